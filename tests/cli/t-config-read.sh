#!/bin/sh
# A run's /config read back by the programs: a stored value that is refused is named as data
# (the attribute and its value), never by grok-train's flag; grok-train's own flags keep theirs.
. "$(dirname "$0")/tap.sh"
cd "$TMP" || exit 1

skip_all_without_h5py

grok-train --model mlp --p 11 --embed 8 --hidden 16 --steps 4 --eval-every 2 --snapshot-every 2 \
    --threads 1 -q -o run.h5

# doctored COPY PYTHON-STATEMENT: run.h5 copied and edited through h5py as f
doctored() {
    cp run.h5 "$1"
    /usr/bin/python3 -c "import h5py; f = h5py.File('$1', 'r+'); $2; f.close()"
}

doctored mult.h5 'f["config"].attrs["lr_mult"] = "embed=x"'
run grok-train --resume mult.h5 -q -o x.h5
is_exit 1
is_stderr "grok-train: mult.h5: /config@lr_mult 'embed=x': C must be a number in [0, 1e6]"
run grok-train --model mlp --p 11 --lr-mult embed=x
is_exit 2
is_stderr "grok-train: --lr-mult 'embed=x': C must be a number in [0, 1e6] (see grok-train --help)"

doctored freeze.h5 'f["config"].attrs["freeze"] = "embed,,mlp"'
run grok-train --resume freeze.h5 -q -o x.h5
is_exit 1
is_stderr "grok-train: freeze.h5: /config@freeze 'embed,,mlp': an empty glob"

doctored wd.h5 'f["config"].attrs["wd"] = -2.0'
run grok-train --resume wd.h5 -q -o x.h5
is_exit 1
is_stderr "grok-train: wd.h5: /config@wd -2: must be at least 0"
run grok-train --wd -2
is_exit 2
is_stderr "grok-train: --wd -2: must be at least 0 (see grok-train --help)"

doctored hidden.h5 'f["config"].attrs["hidden"] = "16,,8"'
run grok-train --resume hidden.h5 -q -o x.h5
is_exit 1
is_stderr "grok-train: hidden.h5: /config@hidden '16,,8': not widths W[,W...] (at most 8 layers)"

doctored steps.h5 'f["config"].attrs["eval_every"] = 0'
run grok-train --resume steps.h5 -q -o x.h5
is_exit 1
is_stderr "grok-train: steps.h5: /config@eval_every 0: must be between 1 and 1099511627776"

# the parameter globs, checked against the model only for training: named as data too
doctored nofreeze.h5 'f["config"].attrs["freeze"] = "nothing.here"'
run grok-train --resume nofreeze.h5 -q -o x.h5
is_exit 1
is_stderr "grok-train: nofreeze.h5: /config@freeze 'nothing.here': selects no parameter of the model"
doctored nomult.h5 'f["config"].attrs["lr_mult"] = "embed=2,nope=3"'
run grok-train --resume nomult.h5 -q -o x.h5
is_exit 1
is_stderr "grok-train: nomult.h5: /config@lr_mult 'embed=2,nope=3': 'nope' selects no parameter of the model"
doctored nosnap.h5 'f["config"].attrs["snapshot"] = "nope"'
run grok-train --resume nosnap.h5 -q -o x.h5
is_exit 1
is_stderr "grok-train: nosnap.h5: /config@snapshot 'nope': selects no parameter of the model"
run grok-train --model mlp --p 11 --snapshot nope
is_exit 2
is_stderr "grok-train: --snapshot 'nope': selects no parameter of the model (see grok-train --help)"
run grok-align -q --sample 8 -t nofreeze.h5
is_exit 0
is_stderr_empty

# an analysis reads the model through the same reader
doctored act.h5 'f["config"].attrs["act"] = "tanh"'
run grok-align -q --sample 8 -t act.h5
is_exit 1
is_stderr "grok-align: act.h5: /config@act 'tanh' is unknown"

[ ! -e x.h5 ]
ok $? "no output is left behind"

done_testing
