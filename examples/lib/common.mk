# Shared by the examples' Makefiles (examples/README.md): where the programs are, the two sizes
# and the output folders. A study's Makefile sets its runs' flags for both sizes, then includes
# this file.
#
#   make             the paper's setting, into out/
#   make SMALL=1     a reduced setting that shows the same figures in minutes, into out-small/
#   make report      REPORT.md (and every figure and table it needs)
#   make -n          the commands, run nothing
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

# Every study's runs: $(call train,FLAGS) trains into $@; a run killed mid-way has left its
# checkpoint $@.part (grok-train --checkpoint-every, 60 s by default), which this continues with
# --resume, to the bytes of an uninterrupted run.
train = mkdir -p $(@D) && if [ -e $@.part ]; then grok-train --resume $@.part -q -o $@; \
    else grok-train $(1) -q -o $@; fi

.DELETE_ON_ERROR:
