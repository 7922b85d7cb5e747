#!/bin/sh
# Runs rewritten by another writer (h5py), each in one form grok does not write itself: every
# program that reads or copies a run gives the tables it gives for the original run, and what
# grok cannot copy is refused in one line, never a crash (HDF5 1.10's H5Ocopy crashed on an
# h5py `str` attribute in /config).
. "$(dirname "$0")/tap.sh"
cd "$TMP" || exit 1

skip_all_without_h5py

MODEL="--p 11 --d-model 8 --heads 2 --d-mlp 16"
grok-train $MODEL --steps 40 --eval-every 10 --snapshot-every 10 --threads 1 -q -o f-orig.h5

# Each form is f-orig.h5 rewritten through h5py; the names start with f- so that the tables can
# be compared with the file names masked.
/usr/bin/python3 - <<'EOF'
import h5py, numpy as np, shutil

def form(name, edit):
    shutil.copy("f-orig.h5", "f-%s.h5" % name)
    with h5py.File("f-%s.h5" % name, "r+") as f:
        edit(f)

def strings(f, fixed):
    a = f["config"].attrs
    for k in list(a):
        v = a[k]
        if isinstance(v, (str, bytes)):
            s = v.decode() if isinstance(v, bytes) else v
            a[k] = np.bytes_(s.encode()) if fixed else s   # NULLPAD fixed-length, or vlen str
    if fixed:
        # a space-padded (Fortran-style) string, through the low-level API
        del a["act"]
        t = h5py.h5t.C_S1.copy()
        t.set_size(8)
        t.set_strpad(h5py.h5t.STR_SPACEPAD)
        h5py.h5a.create(f["config"].id, b"act", t, h5py.h5s.create(h5py.h5s.SCALAR)).write(
            np.array(b"relu    ", dtype="S8"))

def narrow(f):
    for g in ("config", "state"):
        a = f[g].attrs
        for k in list(a):
            v = a[k]
            if isinstance(v, np.integer) and np.int32(v) == v:
                a[k] = np.int32(v)
            elif isinstance(v, np.floating) and np.float32(v) == v:
                a[k] = np.float32(v)
    f["config"].attrs["d_model"] = np.uint8(8)
    f["config"].attrs["p"] = np.uint16(11)

def gzip(f):
    # every dataset rewritten gzip + shuffle in other chunks, h5py's fixed maximum shape; the
    # snapshots as float64
    def redo(g):
        for n in list(g):
            d = g[n]
            if isinstance(d, h5py.Group):
                redo(d)
                continue
            x = d[()]
            del g[n]
            if g.name == "/snapshots" and n != "step":
                x = x.astype(np.float64)
            g.create_dataset(n, data=x, compression="gzip", shuffle=True,
                             chunks=tuple(max(1, (s + 1) // 2) for s in x.shape))
    for g in ("data", "metrics", "snapshots", "state"):
        redo(f[g])

def extra(f):
    f.attrs["note"] = "written by h5py"
    f["metrics/train_loss"].attrs["units"] = "nats"
    f["snapshots"].attrs["labels"] = ["a", "bb", "ccc"]
    g = f.create_group("user")
    g.create_dataset("text", data=["x", "yy"], dtype=h5py.string_dtype(), compression="gzip")
    g.attrs["empty"] = h5py.Empty("f8")
    g["alias"] = h5py.SoftLink("/user/text")
    g.create_group("sub")["up"] = g

form("vlen", lambda f: strings(f, False))
form("fixed", lambda f: strings(f, True))
form("narrow", narrow)
form("gzip", gzip)
form("extra", extra)
form("flag", lambda f: f["config"].attrs.__setitem__("flag", True))
form("compound", lambda f: f.create_group("user").create_dataset(
    "c", data=np.zeros(2, dtype=[("a", "i4"), ("b", "f8")])))
form("extlink", lambda f: f["metrics"].__setitem__("ext", h5py.ExternalLink("f-orig.h5", "/metrics/step")))
EOF
ok $? "h5py wrote every form"

# step NAME CMD...: CMD's stdout (a table) in $D/NAME, its status in $D/NAME.rc
step() {
    name=$1
    shift
    rc=0
    "$@" >"$D/$name" 2>"$D/$name.err" || rc=$?
    echo "$rc" >"$D/$name.rc"
}

# tables F: every program that reads or copies a run, on f-F.h5, each table in F.d/
tables() {
    F=f-$1
    D=$1.d
    mkdir -p "$D"
    step list grok-snap -l $F.h5
    step metrics grok-snap -t metrics $F.h5
    step cut sh -c "grok-snap -q -s 0:20 $F.h5 -o $D/cut.h5 && grok-pca -q -t $D/cut.h5"
    step at sh -c "grok-snap -q --at 20 $F.h5 -o $D/at.h5 && grok-snap --at 20 -t embed.W_E $F.h5"
    step init sh -c "grok-train $MODEL -q --init $D/at.h5 --steps 20 --eval-every 10 --threads 1 -o $D/i.h5 && grok-snap -t metrics $D/i.h5"
    step init-run sh -c "grok-train $MODEL -q --init $F.h5 --steps 20 --eval-every 10 --threads 1 -t"
    step pca-commute sh -c "grok-pca -q $F.h5 -o $D/pca.h5 && grok-commute -q -K 2 --batch 8 -t $D/pca.h5"
    step commute-fit sh -c "grok-commute -q -K 2 --batch 8 $D/pca.h5 -o $D/com.h5 && grok-fit -t $D/com.h5"
    step fourier grok-fourier -q -t $F.h5
    step fourier-align sh -c "grok-fourier -q $F.h5 -o $D/four.h5 && grok-align -q --sample 8 -t $D/four.h5"
    step align-snap sh -c "grok-align -q --sample 8 $D/four.h5 -o $D/align.h5 && grok-snap -t metrics $D/align.h5"
    step fit sh -c "grok-fit -q $F.h5 -o $D/fit.h5 && grok-fit -t $D/fit.h5"
    step resume sh -c "grok-train -q --resume $F.h5 --steps 60 --threads 1 -o $D/res.h5 && grok-snap -t metrics $D/res.h5 && grok-pca -q -t $D/res.h5"
    for t in "$D"/*.rc; do
        sed "s/f-$1/RUN/g; s/$1\\.d/DIR/g" "${t%.rc}" >"${t%.rc}.tsv"
    done
}

tables orig
for t in orig.d/*.rc; do
    [ "$(cat "$t")" = 0 ]
    ok $? "original: $(basename "${t%.rc}") exits 0"
done

for form in vlen fixed narrow gzip extra; do
    tables $form
    for t in orig.d/*.rc; do
        name=$(basename "${t%.rc}")
        [ "$(cat "$form.d/$name.rc")" = 0 ] && { [ "$name" = list ] || cmp -s "orig.d/$name.tsv" "$form.d/$name.tsv"; }
        ok $? "$form: $name exits 0, its table that of the original"
        [ "$(cat "$form.d/$name.rc")" = 0 ] || sed 's/^/# /' "$form.d/$name.err"
    done
done

# a copied variable-length string is fixed-length in the output, its value kept
run h5dump -a /config/model vlen.d/pca.h5
grep -q 'STRSIZE 12;' "$TMP/stdout" && grep -q '"transformer"' "$TMP/stdout"
ok $? "vlen: /config@model copied as a fixed-length string"
run h5dump -d /user/text extra.d/pca.h5
grep -q 'STRSIZE 3;' "$TMP/stdout" && grep -q '"x", "yy"' "$TMP/stdout"
ok $? "extra: a variable-length string dataset copied fixed-length"

# what grok does not copy: one line naming the run and the object, exit 1, no output
for prog in "grok-pca -q" "grok-fourier -q" "grok-align -q --sample 8" "grok-snap -q -s 0:20" "grok-snap -q --at 20"; do
    run $prog f-flag.h5 -o x.h5
    is_exit 1
    is_stderr "${prog%% *}: f-flag.h5: /config@flag has a type grok does not copy (enum)"
done
run grok-pca -q f-compound.h5 -o x.h5
is_exit 1
is_stderr "grok-pca: f-compound.h5: /user/c has a type grok does not copy (compound)"
run grok-train -q --resume f-extlink.h5 --steps 60 -o x.h5
is_exit 1
is_stderr "grok-train: f-extlink.h5: /metrics/ext is an external link, which grok does not copy"
[ ! -e x.h5 ]
ok $? "no output is left behind"
# /config is written afresh by a resumed run, not copied: the flag is not in the way
run grok-train -q --resume f-flag.h5 --steps 60 --threads 1 -o flag-res.h5
is_exit 0

done_testing
