/* grok-pca's analysis of a run, and the /pca group it leaves: per matrix (or jointly) the
 * principal components of the weight trajectory, expanding windows, the random-walk null and
 * the execution-subspace basis; and the reader of what grok-fit takes back from /pca.
 *
 * Owns: the /pca group (its per-matrix groups, summary columns and settings; /pca/basis itself is
 * pca_basis's) and grok-pca's tables (lib/pca_run.c). Calls: pca (the maths), spectra (the
 * maths of -t spectra), traj (reading a trajectory), pca_basis (writing /pca/basis), model (the
 * parameter layout), runmodel (the model /config describes), select (the matrices' globs), the
 * analysis driver, cli (out of memory, the warning of too few snapshots), run, tsv. Called by
 * grok-pca's main and grok-fit (events.c, the PC1 shares). */
#ifndef GROK_PCA_RUN_H
#define GROK_PCA_RUN_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stddef.h>

#include "grok/err.h"
#include "grok/pca.h"
#include "grok/run.h"

struct grok_analysis_io;

/* grok-pca's tables, in the order of its -t kinds (summary, window, proj, spectra). */
enum grok_pca_table {
    GROK_PCA_TABLE_SUMMARY, GROK_PCA_TABLE_WINDOW, GROK_PCA_TABLE_PROJ, GROK_PCA_TABLE_SPECTRA
};

/* grok-pca's settings (grok-pca(1) has each flag). The matrices and snapshots are io's -p, -s. */
struct grok_pca_opts {
    int k;                        /* -k: components kept per matrix; with -t spectra, singular
                                   * values per matrix and block */
    int joint;                    /* --joint: the selected parameters as one vector */
    int basis_k;                  /* --basis-k: each matrix's directions in /pca/basis; 0: none */
    int window;                   /* --window expanding:N: N, or 0 for no windows */
    int null_walks;               /* --null random-walk:R: R, or 0 for no null */
    long long seed;               /* --seed: the null's walks */
    enum grok_pca_method method;  /* --method */
    enum grok_pca_table table;    /* -t KIND, when the output is a table */
    int quiet;                    /* -q: no warning of too few snapshots */
};

/* Runs grok-pca on io's input through the analysis driver: one unit per selected matrix (one
 * unit with --joint), written as the group /pca of the output run (with /pca/basis when the run's
 * /config describes a model and --basis-k is not 0) or as the table o->table. Returns the
 * program's exit status, after one line on standard error when it is not 0. Fewer than 5
 * snapshots (whose shares the count fixes) is one warning line, unless o->quiet, not a failure.
 * The table GROK_PCA_TABLE_SPECTRA (a table only) is P1's weight-spectrum measures instead
 * (spectra.h): one unit per selected snapshot; per snapshot, per layer whose blocks.L.attn.W_Q
 * and W_K /snapshots holds (both matched by -p when given), a row of the whole joined matrices
 * and a row per head's diagonal block, o->k singular values each. It fails, naming the run, when
 * -s selects no snapshot, a layer has one of W_Q, W_K without the other, no layer has both (or
 * none that -p selects), their shapes differ or do not join into a square matrix, d_head < 3,
 * o->k > d_head, or a value is not finite. */
int grok_pca_run(const struct grok_pca_opts *o, const struct grok_analysis_io *io);

/* What grok-fit takes back from a run's /pca: each analysed matrix's PC1 share, by name. */
struct grok_pca_pc1 {
    double *pc1;      /* (n) /pca/pc1; NULL when the run has none */
    size_t n;
    char **names;     /* (n) /pca@matrices cut at its commas, or NULL when the attribute is
                       * absent (the shares then have no names) */
    char *list;       /* the attribute's text, which names points into */
};

/* Reads run's /pca/pc1 and /pca@matrices into p (the caller's; free with grok_pca_pc1_free).
 * A run without /pca/pc1 gives p empty (n 0, pc1 NULL) and GROK_OK. Fails with the read's error,
 * or GROK_EFORMAT "RUN: /pca@matrices names N matrices, /pca/pc1 holds M values", "RUN:
 * /pca@matrices names an empty matrix" / "a repeated matrix" (each name becomes a column of its
 * own downstream), or GROK_ENOMEM "RUN: out of memory"; p is empty after any failure. */
int grok_pca_pc1_read(struct grok_run *run, struct grok_pca_pc1 *p, struct grok_err *err);

/* Frees what grok_pca_pc1_read filled and empties p; p may be NULL or zeroed. */
void grok_pca_pc1_free(struct grok_pca_pc1 *p);

#ifdef __cplusplus
}
#endif

#endif
