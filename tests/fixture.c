/* grok-fixture: writes small, deterministic runs with libgrok, for the tests and `make demo`
 * (grok-train does not exist yet). The numbers are synthetic but shaped like a grokking run:
 * train accuracy rises first, test accuracy thousands of steps later.
 *
 *   grok-fixture [--steps N] [--every K] [--d-model D] [--mb M] [--no-metrics] [--commute]
 *                [--pca] [--foreign] OUT
 *
 * --mb M grows the snapshot count until the run holds about M megabytes (memory tests);
 * --commute adds a synthetic /commute (step, D_median: about 2, rising through 52 at step 500,
 * so P1's onset rule puts the onset there); --pca adds /pca/pc1 = {0.875, 0.75, 0.625, 0.5};
 * --foreign writes an HDF5 file that is not a run. OUT may be '-' for standard output. */
#include "grok/history.h"
#include "grok/run.h"
#include "grok/snapshots.h"
#include "grok/state.h"

#include <hdf5.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void die(const struct grok_err *err)
{
    fprintf(stderr, "grok-fixture: %s\n", err->msg);
    exit(1);
}

static int foreign(const char *path)
{
    hsize_t dims[1] = {4};
    int v[4] = {1, 2, 3, 4};
    hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    hid_t s = H5Screate_simple(1, dims, NULL);
    hid_t d = H5Dcreate2(f, "numbers", H5T_STD_I32LE, s, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    int ok = f >= 0 && s >= 0 && d >= 0 && H5Dwrite(d, H5T_NATIVE_INT, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) >= 0;
    H5Dclose(d);
    H5Sclose(s);
    return (H5Fclose(f) >= 0 && ok) ? 0 : 1;
}

static int usage(const char *why, const char *arg)
{
    fprintf(stderr, "grok-fixture: %s%s%s; usage: grok-fixture [--steps N] [--every K] "
                    "[--d-model D] [--mb M] [--no-metrics] [--commute] [--pca] [--foreign] OUT\n",
            why, arg ? arg : "", arg ? "'" : "");
    return 2;
}

int main(int argc, char **argv)
{
    long steps = 1000, every = 100, d = 8, mb = 0;
    int metrics = 1, commute = 0, pca = 0, is_foreign = 0;
    const char *out = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--steps") && i + 1 < argc) steps = atol(argv[++i]);
        else if (!strcmp(argv[i], "--every") && i + 1 < argc) every = atol(argv[++i]);
        else if (!strcmp(argv[i], "--d-model") && i + 1 < argc) d = atol(argv[++i]);
        else if (!strcmp(argv[i], "--mb") && i + 1 < argc) mb = atol(argv[++i]);
        else if (!strcmp(argv[i], "--no-metrics")) metrics = 0;
        else if (!strcmp(argv[i], "--commute")) commute = 1;
        else if (!strcmp(argv[i], "--pca")) pca = 1;
        else if (!strcmp(argv[i], "--foreign")) is_foreign = 1;
        /* Anything else with a '-' (but '-' alone, standard output) is no file name:
         * `grok-fixture --help` once wrote a run called "--help". */
        else if (argv[i][0] == '-' && argv[i][1]) return usage("unknown option or missing value '", argv[i]);
        else if (out) return usage("more than one OUT: '", argv[i]);
        else out = argv[i];
    }
    if (!out)
        return usage("no OUT", NULL);
    if (steps < 0 || every < 1 || d < 1)
        return usage("bad --steps, --every or --d-model", NULL);
    if (is_foreign)
        return foreign(out);
    const int p = 7, heads = 2, dh = d / 2 > 0 ? (int)d / 2 : 1, vocab = p + 1, ctx = 3;
    size_t n_we = (size_t)vocab * d, n_pos = (size_t)ctx * d, n_q = (size_t)heads * d * dh,
           n_u = (size_t)d * p;
    if (mb > 0) {
        /* Snapshot count that makes about `mb` megabytes of float32 snapshots. */
        size_t per = 4 * (n_we + n_pos + n_q + n_u);
        long t = (long)((double)mb * 1e6 / (double)per);
        steps = (t > 1 ? t - 1 : 1) * every;
    }
    struct grok_err err;
    struct grok_run *run = grok_run_create(out, &err);
    if (!run) die(&err);
    if (grok_run_history_add(run, "grok-fixture", argc, argv, &err)) die(&err);
    if (grok_run_attr_set_int(run, "/config", "p", p, &err) ||
        grok_run_attr_set_str(run, "/config", "op", "add", &err) ||
        grok_run_attr_set_str(run, "/config", "model", "transformer", &err) ||
        grok_run_attr_set_int(run, "/config", "d_model", d, &err) ||
        grok_run_attr_set_double(run, "/config", "lr", 1e-3, &err) ||
        grok_run_attr_set_double(run, "/config", "wd", 1.0, &err) ||
        grok_run_attr_set_int(run, "/config", "seed", 42, &err) ||
        grok_run_attr_set_int(run, "/config", "steps", steps, &err))
        die(&err);

    /* All pairs (a, b); every third pair is in the test set. */
    int train[64][2], test[64][2], train_y[64], test_y[64], ntr = 0, nte = 0;
    for (int a = 0; a < p; a++)
        for (int b = 0; b < p; b++) {
            int k = a * p + b;
            if (k % 3 == 0) { test[nte][0] = a; test[nte][1] = b; test_y[nte++] = (a + b) % p; }
            else { train[ntr][0] = a; train[ntr][1] = b; train_y[ntr++] = (a + b) % p; }
        }
    struct grok_array arr = {.dtype = GROK_I32, .rank = 2, .shape = {(size_t)ntr, 2}, .n = (size_t)ntr * 2, .data = train};
    if (grok_run_write_array(run, "/data/train", &arr, &err)) die(&err);
    arr = (struct grok_array){.dtype = GROK_I32, .rank = 1, .shape = {(size_t)ntr}, .n = (size_t)ntr, .data = train_y};
    if (grok_run_write_array(run, "/data/train_y", &arr, &err)) die(&err);
    arr = (struct grok_array){.dtype = GROK_I32, .rank = 2, .shape = {(size_t)nte, 2}, .n = (size_t)nte * 2, .data = test};
    if (grok_run_write_array(run, "/data/test", &arr, &err)) die(&err);
    arr = (struct grok_array){.dtype = GROK_I32, .rank = 1, .shape = {(size_t)nte}, .n = (size_t)nte, .data = test_y};
    if (grok_run_write_array(run, "/data/test_y", &arr, &err)) die(&err);

    float *w = malloc(4 * (n_we + n_pos + n_q + n_u));
    if (!w) return 1;
    struct grok_tensor t[4] = {
        {"embed.W_E", 2, {(size_t)vocab, (size_t)d}, w},
        {"pos_embed.W_pos", 2, {(size_t)ctx, (size_t)d}, w + n_we},
        {"blocks.0.attn.W_Q", 3, {(size_t)heads, (size_t)d, (size_t)dh}, w + n_we + n_pos},
        {"unembed.W_U", 2, {(size_t)d, (size_t)p}, w + n_we + n_pos + n_q},
    };
    size_t total = n_we + n_pos + n_q + n_u;
    for (long s = 0; s <= steps; s += every) {
        for (size_t i = 0; i < total; i++)
            w[i] = (float)(sin(0.1 * (double)i + 1e-3 * (double)s) * exp(-1e-4 * (double)s));
        if (grok_run_snapshot_append(run, s, t, 4, &err)) die(&err);
        if (commute) {
            long long step = s;
            double D = 2 + 100 / (1 + exp(-((double)s - 500) / 30));
            if (grok_run_column_append(run, "/commute/step", GROK_I64, &step, 1, &err) ||
                grok_run_column_append(run, "/commute/D_median", GROK_F64, &D, 1, &err))
                die(&err);
        }
        if (metrics) {
            double x = (double)s, mem = 1 / (1 + exp(-(x - 200) / 30)), gen = 1 / (1 + exp(-(x - 700) / 40));
            double row[6] = {2.0 * (1 - mem) + 1e-3, mem, 2.0 * (1 - gen) + 1e-2, gen,
                             10.0 * exp(-1e-4 * x), 1e-3};
            static const char *names[6] = {"train_loss", "train_acc", "test_loss", "test_acc",
                                           "param_norm", "lr"};
            long long step = s;
            if (grok_run_column_append(run, "/metrics/step", GROK_I64, &step, 1, &err)) die(&err);
            for (int c = 0; c < 6; c++) {
                char path[64];
                snprintf(path, sizeof path, "/metrics/%s", names[c]);
                if (grok_run_column_append(run, path, GROK_F64, &row[c], 1, &err)) die(&err);
            }
        }
    }
    if (pca) {
        double pc1[4] = {0.875, 0.75, 0.625, 0.5};
        arr = (struct grok_array){.dtype = GROK_F64, .rank = 1, .shape = {4}, .n = 4, .data = pc1};
        if (grok_run_write_array(run, "/pca/pc1", &arr, &err)) die(&err);
    }
    if (grok_run_state_write(run, steps - steps % every, t, 4, &err)) die(&err);
    free(w);
    if (grok_run_commit(run, &err)) die(&err);
    grok_run_close(run);
    return 0;
}
