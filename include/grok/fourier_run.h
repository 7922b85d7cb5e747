/* grok-fourier's analysis of a run, and the /fourier group it leaves: per matrix the spectrum
 * over training, key frequencies, Gini and P2's circle measures; written as that group of the
 * output run or as a table, through the analysis driver (analysis.h).
 *
 * Owns: the /fourier group and grok-fourier's table (lib/fourier_run.c). Calls: fourier (the
 * maths), config (the model's shape), snapshots, select (the matrices' globs), the analysis
 * driver, run, tsv. Called by grok-fourier's main. */
#ifndef GROK_FOURIER_RUN_H
#define GROK_FOURIER_RUN_H

#ifdef __cplusplus
extern "C" {
#endif

#include "grok/err.h"
#include "grok/run.h"
#include "grok/fourier.h"

struct grok_analysis_io;

/* grok-fourier's tables, in the order of its -t kinds. */
enum grok_fourier_table { GROK_FOURIER_SUMMARY, GROK_FOURIER_SPECTRUM };

/* grok-fourier's settings (grok-fourier(1) has each flag). */
struct grok_fourier_opts {
    int keys;                    /* --keys N; 0 for the rule of key_share */
    double key_share;            /* --key-share S; 0 with --keys */
    long long key_step;          /* --key-step STEP, when have_key_step */
    int have_key_step;           /* else the keys come from the last selected snapshot */
    enum grok_fourier_table table;   /* -t KIND, for a table */
};

/* Runs grok-fourier: the spectrum of the chosen matrices (io's -p, else the embedding and the
 * unembedding) at every selected snapshot of io's input, written as the group /fourier of the
 * output run or as a table, through the analysis driver. The input must record p (2 to
 * GROK_P_MAX). Returns the program's exit status, after one line on standard error when it is
 * not 0. */
int grok_fourier_run(const struct grok_fourier_opts *o, const struct grok_analysis_io *io);

#ifdef __cplusplus
}
#endif

#endif
