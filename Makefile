# grok — build, test, install.  `make check` on a fresh Debian machine is the whole set-up.

VERSION    := 0.1.0
PREFIX     ?= /usr/local
CC         ?= cc
SANITIZE   ?=

# The sanitizer build lives in its own tree so that it never mixes objects with the normal one.
ifeq ($(SANITIZE),1)
O          := build-san
LIBDIR     := $(O)/lib
BINDIR     := $(O)/bin
SANFLAGS   := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
else
O          := build
LIBDIR     := lib
BINDIR     := bin
SANFLAGS   :=
endif

PKGS       := hdf5 lapacke gsl
# Evaluated on first use, once: on a fresh machine pkg-config and the libraries arrive only when
# deps-check has run, after this Makefile was read.
PKG_CFLAGS  = $(eval PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null))$(PKG_CFLAGS)
# GSL's own libgsl.so needs libgslcblas, so the CBLAS that GSL's gsl_blas_* calls bind to is
# whichever of OpenBLAS and libgslcblas the loader meets first. With the linker's --as-needed
# (Debian's default) OpenBLAS would be a dependency only of a program whose objects call it, and
# a program's numbers from GSL (grok-fit's sigmoid fits) would change in their last digits with
# the objects it happens to link. OpenBLAS is linked into every program, needed or not, so GSL
# always uses it.
PKG_LIBS    = $(eval PKG_LIBS := $(shell pkg-config --libs-only-L hdf5 2>/dev/null) \
                -lhdf5_hl -lhdf5 -llapacke -Wl,--push-state,--no-as-needed -lopenblas \
                -Wl,--pop-state -lgsl -lm)$(PKG_LIBS)

# CFLAGS and CPPFLAGS are the user's (`make CFLAGS=-O2`): a variable set on the command line
# overrides every assignment here, `+=` included, so the flags grok needs live in their own
# variables and the user's come after them.
CFLAGS     ?= -O3 -g
# -fno-math-errno lets sqrt vectorise and -fno-trapping-math lets selects and divisions run on
# every lane; neither changes a value (grok reads no errno of libm and no floating-point
# exception flag), unlike -ffast-math, which is never used. -ffp-contract=off: no multiply and
# add fused into one rounding, which would make a machine with FMA (and an AVX2 clone) compute
# other numbers; GCC's ISO mode implies it, but not a user's -std=gnu11, nor clang.
GROK_CFLAGS   := -std=c11 -Wall -Wextra -Wshadow -Werror=implicit-function-declaration -pthread -fno-math-errno -fno-trapping-math -ffp-contract=off
GROK_CPPFLAGS := -D_POSIX_C_SOURCE=200809L -DGROK_VERSION='"$(VERSION)"' -Iinclude
ALL_CFLAGS  = $(GROK_CPPFLAGS) $(CPPFLAGS) $(PKG_CFLAGS) $(GROK_CFLAGS) $(CFLAGS) $(SANFLAGS)
LDLIBS      = $(PKG_LIBS) -pthread

LIB_SRC    := $(wildcard lib/*.c)
LIB_OBJ    := $(LIB_SRC:lib/%.c=$(O)/lib/%.o)
LIBGROK    := $(LIBDIR)/libgrok.a
CMD_SRC    := $(wildcard cmd/grok-*.c)
PROGS      := $(CMD_SRC:cmd/%.c=$(BINDIR)/%)
UNIT_SRC   := $(wildcard tests/unit/t-*.c)
UNIT_BIN   := $(UNIT_SRC:tests/unit/%.c=$(O)/tests/%)
CLI_TESTS  := $(wildcard tests/cli/t-*.sh)
FIXTURE    := $(O)/tests/grok-fixture
PUB_HEADERS := $(wildcard include/grok/*.h)
# lib/*.h are private: the templates that lib/*_f32.c and lib/*_f64.c instantiate, and the HDF5
# side of a run that lib/run*.c share (run_h5.h).
HEADERS    := $(PUB_HEADERS) $(wildcard lib/*.h)
MANPAGES   := $(wildcard doc/*.1)

.PHONY: all check examples-check demo bench bench-pca bench-checkpoint bench-intervene bench-filters bench-jacreg bench-progress bench-sweep bench-profile bench-deps install uninstall clean deps deps-check fuzz fuzz-deps fuzz-build fuzz-ci
.DELETE_ON_ERROR:

all: deps-check $(LIBGROK) $(PROGS)

deps:
	@tools/deps.sh

# Runs before every build: installs what is missing, so `make check` is the whole set-up.
deps-check:
	@tools/deps.sh

$(O)/lib/%.o: lib/%.c $(HEADERS) | deps-check
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Ilib -c -o $@ $<

$(LIBGROK): $(LIB_OBJ)
	@mkdir -p $(@D)
	rm -f $@
	ar rcs $@ $^

$(BINDIR)/%: cmd/%.c $(LIBGROK) $(HEADERS)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(LIBGROK) $(LDLIBS)

$(O)/tests/%: tests/unit/%.c tests/tap.h tests/models.h tests/runs.h $(LIBGROK) $(HEADERS)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Itests -Ilib -o $@ $< $(LIBGROK) $(LDLIBS)

$(FIXTURE): tests/fixture.c $(LIBGROK) $(HEADERS)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(LIBGROK) $(LDLIBS)

# The tests find the programs and helpers through these variables (tests/cli/tap.sh).
TEST_ENV := GROK_VERSION_TEST=$(VERSION) GROK_BIN=$(abspath $(BINDIR)) GROK_TESTBIN=$(abspath $(O)/tests) GROK_TOP=$(CURDIR)
ifeq ($(SANITIZE),1)
TEST_ENV += ASAN_OPTIONS=detect_leaks=1 LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp:print_suppressions=0 UBSAN_OPTIONS=print_stacktrace=1
endif

check: all $(UNIT_BIN) $(FIXTURE)
	$(TEST_ENV) GROK_LIBGROK=$(abspath $(LIBGROK)) GROK_LDLIBS='$(SANFLAGS) $(LDLIBS)' prove --exec '' $(UNIT_BIN) $(CLI_TESTS)

# Every study of examples/ in its reduced setting (examples/README.md); about ten minutes.
examples-check: all $(FIXTURE)
	$(TEST_ENV) prove tests/examples/t-studies.sh

demo: all
	@sh examples/demo.sh $(abspath $(BINDIR)) $(abspath $(O)/demo)

# The benchmark against PyTorch (bench/README.md). PyTorch is a benchmark dependency only.
BENCH_BIN := $(O)/bench/step-time $(O)/bench/sgemm-rate $(O)/bench/transform-step $(O)/bench/hvp-cost \
             $(O)/bench/products-time

# products-time records the step's BLAS calls and pool jobs: the link routes them through its
# own wrappers
$(O)/bench/products-time: bench/products-time.c bench/timing.h bench/trainer.h $(LIBGROK) $(HEADERS)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(LIBGROK) $(LDLIBS) \
	    -Wl,--wrap=cblas_sgemm,--wrap=cblas_sgemv,--wrap=cblas_sger,--wrap=grok_pool_run

$(O)/bench/%: bench/%.c bench/timing.h bench/trainer.h $(LIBGROK) $(HEADERS)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(LIBGROK) $(LDLIBS)

bench-deps:
	@tools/deps.sh --bench

# What grok-train's checkpoints cost on the Nanda preset, with and without, side by side.
bench-checkpoint: all
	sh bench/checkpoint.sh $(BINDIR) 3

# What P1's interventions cost in grok-train's step on the Xu preset, with and without.
bench-intervene: all $(O)/bench/transform-step
	sh bench/intervene.sh $(BINDIR) 5 $(O)/bench

# What the gradient filters (Grokfast, ⊥Grad) cost in a step on the Xu and Nanda presets.
bench-filters: all $(O)/bench/transform-step
	sh bench/filters.sh $(O)/bench 3

# What GrokAlign's regulariser costs in a step of the Nanda preset, and PyTorch's double backprop.
bench-jacreg: all $(O)/bench/transform-step
	sh bench/jacreg.sh $(BINDIR) $(O)/bench 3

# grok-fourier --progress against the progress measures' own computation in PyTorch.
bench-progress: all
	sh bench/progress.sh $(BINDIR) 3

# Sweep throughput: runs side by side on one thread each against one at a time on two.
bench-sweep: all
	sh bench/sweep.sh $(BINDIR) 3

# Where a step's time goes, by phase (perf; bench/README.md, "Where the step's time goes").
bench-profile: $(O)/bench/step-time
	sh bench/profile.sh $(O)/bench 2

bench: all $(BENCH_BIN)
	@tools/deps.sh --bench --check
	/usr/bin/python3 bench/bench.py --bin $(abspath $(BINDIR)) --tools $(abspath $(O)/bench)
	/usr/bin/python3 bench/pca.py --bin $(abspath $(BINDIR)) --run $(abspath $(O)/bench/xu-attn-501.h5)

# grok-pca against numpy's SVD alone (a few minutes, most of them training the trajectory once).
bench-pca: all
	@tools/deps.sh --bench --check
	/usr/bin/python3 bench/pca.py --bin $(abspath $(BINDIR)) --run $(abspath $(O)/bench/xu-attn-501.h5)

# The fuzz targets (tests/fuzz/README.md): clang's libFuzzer with ASan and UBSan, apart from
# the build above. The run reader's target links all of libgrok, built again instrumented.
FUZZ_SECONDS ?= 60
FUZZ       := $(O)/fuzz
FUZZ_FLAGS := -g -O1 -fsanitize=address,undefined -fno-sanitize-recover=undefined
FUZZ_OBJ   := $(LIB_SRC:lib/%.c=$(FUZZ)/lib/%.o)

fuzz-deps:
	@tools/deps.sh --fuzz

$(FUZZ)/lib/%.o: lib/%.c $(HEADERS) | deps-check fuzz-deps
	@mkdir -p $(@D)
	clang $(GROK_CPPFLAGS) $(CPPFLAGS) $(PKG_CFLAGS) $(GROK_CFLAGS) $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link -Ilib -c -o $@ $<

$(FUZZ)/libgrok.a: $(FUZZ_OBJ)
	rm -f $@
	ar rcs $@ $^

$(FUZZ)/fuzz-tsv: tests/fuzz/fuzz-tsv.c lib/tsv.c lib/err.c $(HEADERS) | fuzz-deps
	@mkdir -p $(@D)
	clang $(FUZZ_FLAGS) -fsanitize=fuzzer -std=c11 $(GROK_CPPFLAGS) $(CPPFLAGS) \
	    -o $@ tests/fuzz/fuzz-tsv.c lib/tsv.c lib/err.c

$(FUZZ)/fuzz-run: tests/fuzz/fuzz-run.c $(FUZZ)/libgrok.a $(HEADERS)
	clang $(GROK_CPPFLAGS) $(CPPFLAGS) $(PKG_CFLAGS) $(GROK_CFLAGS) $(FUZZ_FLAGS) -fsanitize=fuzzer \
	    -o $@ $< $(FUZZ)/libgrok.a $(LDLIBS)

fuzz-build: $(FUZZ)/fuzz-tsv $(FUZZ)/fuzz-run

# Each target for FUZZ_SECONDS on its corpus (a copy in $(FUZZ), where new inputs collect).
fuzz: fuzz-build
	@mkdir -p $(FUZZ)/corpus $(FUZZ)/corpus-run
	cp -n tests/fuzz/corpus/* $(FUZZ)/corpus/ 2>/dev/null || true
	cp -n tests/fuzz/corpus-run/* $(FUZZ)/corpus-run/ 2>/dev/null || true
	$(FUZZ)/fuzz-tsv -max_total_time=$(FUZZ_SECONDS) -max_len=4096 $(FUZZ)/corpus
	tools/fuzz-run.sh $(FUZZ)/fuzz-run $(FUZZ_SECONDS) $(FUZZ)/corpus-run

# For CI: the same for a bounded time, from the corpora in the repository alone; fails on any
# finding in grok's code (tools/fuzz-run.sh).
fuzz-ci: fuzz-build
	@rm -rf $(FUZZ)/ci && mkdir -p $(FUZZ)/ci/corpus $(FUZZ)/ci/corpus-run
	$(FUZZ)/fuzz-tsv -max_total_time=$(FUZZ_SECONDS) -max_len=4096 $(FUZZ)/ci/corpus tests/fuzz/corpus
	tools/fuzz-run.sh $(FUZZ)/fuzz-run $(FUZZ_SECONDS) $(FUZZ)/ci/corpus-run tests/fuzz/corpus-run

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/pkgconfig \
	    $(DESTDIR)$(PREFIX)/include/grok $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 755 $(PROGS) $(DESTDIR)$(PREFIX)/bin/
	install -m 644 $(LIBGROK) $(DESTDIR)$(PREFIX)/lib/
	install -m 644 $(PUB_HEADERS) $(DESTDIR)$(PREFIX)/include/grok/
	$(if $(MANPAGES),install -m 644 $(MANPAGES) $(DESTDIR)$(PREFIX)/share/man/man1/)
	install -d $(DESTDIR)$(PREFIX)/share/doc/grok
	install -m 644 README.md doc/run-format.md doc/architecture.md doc/robustness.md $(DESTDIR)$(PREFIX)/share/doc/grok/
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@VERSION@|$(VERSION)|' \
	    -e 's|@CFLAGS@|$(PKG_CFLAGS)|' -e 's|@LIBS@|$(PKG_LIBS)|' grok.pc.in \
	    > $(DESTDIR)$(PREFIX)/lib/pkgconfig/grok.pc

uninstall:
	rm -f $(PROGS:$(BINDIR)/%=$(DESTDIR)$(PREFIX)/bin/%) $(DESTDIR)$(PREFIX)/lib/libgrok.a \
	    $(DESTDIR)$(PREFIX)/lib/pkgconfig/grok.pc $(MANPAGES:doc/%=$(DESTDIR)$(PREFIX)/share/man/man1/%)
	rm -rf $(DESTDIR)$(PREFIX)/include/grok $(DESTDIR)$(PREFIX)/share/doc/grok

clean:
	rm -rf build build-san bin lib/libgrok.a
