/* grok-fourier --progress: Nanda et al.'s progress measures of a run's transformer at every
 * selected snapshot, from its logits and last MLP neurons over the whole p × p grid (measures.h),
 * written as the group /progress of the output run or as a table, through the analysis driver
 * (analysis.h).
 *
 * Owns: the /progress group and its tables (lib/measures_run.c). Calls: measures (the maths),
 * model (the forward pass over the grid, split between a pool's workers), runmodel, config, data,
 * snapshots, the analysis driver, run, tsv. Called by grok-fourier's main. */
#ifndef GROK_MEASURES_RUN_H
#define GROK_MEASURES_RUN_H

#ifdef __cplusplus
extern "C" {
#endif

struct grok_analysis_io;

/* The tables of --progress, in the order of grok-fourier's -t kinds after its own two. */
enum grok_measures_table { GROK_MEASURES_PROGRESS, GROK_MEASURES_NEURONS, GROK_MEASURES_COEFFICIENTS,
                           GROK_MEASURES_WEIGHTS };

/* Where the key frequencies come from. */
enum grok_keys_from { GROK_KEYS_LAST, GROK_KEYS_EACH, GROK_KEYS_STEP };

struct grok_measures_opts {
    double neuron_share;         /* --neuron-share S: a neuron counts for its frequency from S */
    int key_neurons;             /* --key-neurons N: a key frequency has at least N such neurons */
    enum grok_keys_from keys_from;   /* --keys-from last|each|STEP */
    long long keys_step;         /* with GROK_KEYS_STEP: the snapshot nearest it */
    int threads;                 /* --threads; 0 every core */
    enum grok_measures_table table;  /* -t KIND, for a table */
};

/* Runs the progress measures on io's input (a transformer trained on an odd p, with snapshots of
 * every parameter) and writes /progress or the table. Returns the program's exit status, after
 * one line on standard error when it is not 0. */
int grok_measures_run(const struct grok_measures_opts *o, const struct grok_analysis_io *io);

#ifdef __cplusplus
}
#endif

#endif
