/* The events of one input of grok-fit (papers.md P1), a run or a metrics table: its settings,
 * metrics, defect series and PC1 shares, read from a run's /config, /metrics, /commute and /pca
 * or from a table's columns and `# key: value` lines; the events computed from them
 * (grok_events_compute, fit.h); the events table and the events' part of the /fit group.
 *
 * Owns the layout of the events: their columns, in order, and the pc1.MATRIX names. Calls: fit
 * (the events' rules), config (a run's settings), metrics, commute_run (the /commute defect
 * series) and pca_run (the /pca PC1 shares), run, tsv, and input's type. Called by fit_run.
 * Errors name the input ("run.h5: /metrics/step 5 after 7 at row 3"). */
#ifndef GROK_EVENTS_H
#define GROK_EVENTS_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stddef.h>

#include "grok/err.h"
#include "grok/fit.h"
#include "grok/input.h"
#include "grok/run.h"
#include "grok/tsv.h"

/* The fixed columns of the events table (run, op, p, ... pc1_mean). */
#define GROK_EVENTS_NCOLS 19

/* One input's row of the events table, column by column. */
struct grok_events_row {
    char *text[GROK_EVENTS_NCOLS];   /* text columns (run borrowed, the others malloc'd); NULL: nan */
    double num[GROK_EVENTS_NCOLS];   /* the numeric columns */
    char *pc_list;               /* /pca@matrices, malloc'd and cut at its commas */
    char **pc_names;             /* (npc) into pc_list */
    double *pc1;                 /* (npc) each matrix's PC1 share */
    size_t npc;
};

/* Reads the input's settings, metrics (steps increasing), defects and PC1 shares, and fills *r
 * (the caller's; zeroed here) with its events under the thresholds o. A run needs /metrics
 * (step, train_acc, test_acc); /commute and /pca/pc1 are used when present. A table needs the
 * columns step, train_acc and test_acc. r borrows in->name; free r with grok_events_row_free,
 * after a failure too. GROK_ENOTFOUND, GROK_EFORMAT, GROK_ENOMEM or a read error. */
int grok_events_read(const struct grok_input *in, const struct grok_events_opts *o,
                     struct grok_events_row *r, struct grok_err *err);

/* Frees what grok_events_read allocated in r; r may be NULL or zeroed. */
void grok_events_row_free(struct grok_events_row *r);

/* The events column `name` of r (read from input in) into *v: GROK_ENOTFOUND when there is no
 * such column, GROK_EFORMAT when it is a text column (a law needs numbers). */
int grok_events_value(const struct grok_input *in, const struct grok_events_row *r,
                      const char *name, double *v, struct grok_err *err);

/* The events column `name` of r as text into buf (cap bytes): a text column as written ("nan"
 * when absent), a number as grok's tables write it. GROK_ENOTFOUND when there is no such
 * column. For grok-fit --by, which groups rows by it. */
int grok_events_text(const struct grok_input *in, const struct grok_events_row *r,
                     const char *name, char *buf, size_t cap, struct grok_err *err);

/* Whether table t has the columns of metrics (step, train_acc, test_acc). */
int grok_events_is_metrics_table(const struct grok_table *t);

/* A metric of one input against its steps: a run's /metrics/step and /metrics/COLUMN, or a
 * table's columns step and COLUMN. */
struct grok_metric_series {
    const double *step, *value;  /* (n) */
    size_t n;
    struct grok_array own_step, own_value;  /* what step and value point into, for a run */
};

/* Reads the metric `column` of the input into *s (the caller's), its steps checked to increase.
 * s borrows a table's columns; free it with grok_metric_series_free, after a failure too. */
int grok_metric_series_read(const struct grok_input *in, const char *column,
                            struct grok_metric_series *s, struct grok_err *err);
void grok_metric_series_free(struct grok_metric_series *s);

/* Writes the events table of n rows to w: the thresholds o as `# key: value` lines, the events
 * columns, then one pc1.MATRIX column for every matrix of any row, in the order first met (nan
 * for a row whose run did not analyse it). GROK_ENOMEM. */
int grok_events_table_write(struct grok_tsv_writer *w, const struct grok_events_opts *o,
                            const struct grok_events_row *rows, int n, struct grok_err *err);

/* Writes r's numeric events into the /fit group of out as one-value datasets (then its
 * pc1.MATRIX shares), its text columns (run, op, model, preset) as string attributes of /fit,
 * and /fit@columns, the events columns in order, so that grok-snap -t fit prints the row
 * grok-fit -t prints. GROK_EINVAL for a matrix name too long for a dataset, or a write error. */
int grok_events_group_write(struct grok_run *out, const struct grok_events_row *r,
                            struct grok_err *err);

/* Writes the thresholds o as attributes of out's /fit. A write error. */
int grok_events_group_attrs(struct grok_run *out, const struct grok_events_opts *o,
                            struct grok_err *err);

/* Writes one value as the one-value dataset /fit/NAME of out. A write error. */
int grok_fit_scalar_write(struct grok_run *out, const char *name, double v, struct grok_err *err);

/* Writes v to w as a whole number when `whole` is set and v is one, else as a real. */
void grok_fit_num_write(struct grok_tsv_writer *w, double v, int whole);

#ifdef __cplusplus
}
#endif

#endif
