# A sweep: many runs described once, run by make on one machine or as a Slurm job array, the
# same rule either way (examples/README.md, "Sweeps"). Include after common.mk, with SWEEP set
# to a TSV file: a header line `name<TAB>flags`, then one row per run, its name (the run is
# $(RUNS)/NAME.h5, its log $(LOGS)/NAME.log) and grok-train's flags for it.
#
#   make sweep            every run not yet finished; make -j N runs N at once, one thread each
#   make -n sweep         a dry run: the commands, nothing run
#   make $(RUNS)/NAME.h5  one run
#   make slurm-sweep      the runs as a Slurm job array, one row per task (slurm-sweep.sh);
#                         SLURM_FLAGS adds sbatch flags (--partition=..., --time=...)
#
# A finished run is a file, so a second `make sweep` does nothing for it. A run that was
# interrupted (Ctrl-C, a kill, a job's time limit) is continued from its checkpoint NAME.h5.part
# (common.mk's train).
SWEEP_NAMES := $(shell awk -F'\t' '!/^\#/ && NF && $$1 != "name" { print $$1 }' $(SWEEP))
SWEEP_RUNS := $(SWEEP_NAMES:%=$(RUNS)/%.h5)
sweep_flags = $(shell awk -F'\t' -v n='$(1)' '$$1 == n { print $$2; exit }' $(SWEEP))

sweep: $(SWEEP_RUNS)
.PHONY: sweep slurm-sweep

$(SWEEP_RUNS): $(RUNS)/%.h5:
	@mkdir -p $(LOGS)
	{ $(call train,$(call sweep_flags,$*) --threads 1); } > $(LOGS)/$*.log 2>&1

slurm-sweep:
	sh $(EXAMPLES)/lib/slurm-sweep.sh $(SWEEP) "$(CURDIR)" "$(RUNS)" "$(LOGS)" \
	    "$(MAKE) SMALL=$(SMALL) OUT=$(OUT) BIN=$(BIN)" $(SLURM_FLAGS)
