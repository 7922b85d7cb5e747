# Shared by the examples' Makefiles (examples/README.md): where the programs are, the two sizes
# and the output folders. A study's Makefile sets its runs' flags for both sizes, then includes
# this file.
#
#   make             the paper's setting, into out/
#   make SMALL=1     a reduced setting that shows the same figures in minutes, into out-small/
#   make report      REPORT.md (and every figure and table it needs)
#   make -n          the commands, run nothing
#   make THREADS=1   every run on one thread (for make -j: runs side by side)
EXAMPLES := $(abspath $(dir $(lastword $(MAKEFILE_LIST)))/..)
TOP := $(abspath $(EXAMPLES)/..)
BIN ?= $(TOP)/bin
export PATH := $(BIN):$(PATH)

SMALL ?=
OUT ?= out$(if $(filter 1,$(SMALL)),-small)
RUNS := $(OUT)/runs
TABLES := $(OUT)/tables
FIGURES := $(OUT)/figures
LOGS := $(OUT)/logs

# gnuplot draws each figure from a script of the study's plots/ folder, told its files:
# $(call plot,SCRIPT,OUTPUT.png,VARIABLES)
plot = gnuplot -e "out='$(2)'; $(3)" $(1)

# THREADS=N: each run outside a sweep on N threads (grok-train --threads; by default every core;
# several runs share the cores, and THREADS=1 is the faster split (README, Sweeps); it also
# makes the runs' bytes the same on any machine's core count. A study's own --threads wins.
THREADS ?=

# Every study's runs: $(call train,FLAGS) trains into $@; a run killed mid-way has left its
# checkpoint $@.part (grok-train --checkpoint-every, 60 s by default), which this continues with
# --resume, to the bytes of an uninterrupted run (on the threads the run started with). A run
# stopped by SIGINT or SIGTERM (Ctrl-C; Slurm's time limit or scancel, which signal the whole
# job) writes its output so far and exits 130; that output becomes $@.part, to be continued, and
# not $@, which the next make would take as finished. The shell waits for grok-train through
# those signals (trap) to make the move.
train = mkdir -p $(@D) && trap : INT TERM && \
    { if [ -e $@.part ]; then grok-train --resume $@.part -q -o $@; \
    else grok-train $(if $(THREADS),--threads $(THREADS) )$(1) -q -o $@; fi || \
    { s=$$?; [ $$s -ne 130 ] || [ ! -e $@ ] || mv -f $@ $@.part; exit $$s; }; }

.DELETE_ON_ERROR:
