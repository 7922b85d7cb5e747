/* The floating-point environment of the threads that train.
 *
 * Owns no data: it sets the calling thread's control register (x86's MXCSR, Arm's FPCR). Calls
 * nothing (compiler intrinsics). Called by train_session and commute_run before they start
 * their threads. */
#ifndef GROK_FPENV_H
#define GROK_FPENV_H

#ifdef __cplusplus
extern "C" {
#endif

/* Makes float and double results too small to be normal (below 1.2e-38 in float) zero, and reads
 * such inputs as zero, on the calling thread and on the threads it starts afterwards (a pool's
 * workers; threads inherit the environment they are created in). Late in a run some values fall
 * that low, and some processors (Intel's) take a slow path for every operation on one: on a
 * 16-core Xeon, steps 5000 to 6000 of the nanda preset took about twice as long without this.
 * A value that small is zero to every sum it enters, so losses and gradients do not change
 * beyond rounding; the bytes of a run still depend only on its flags, seed and thread count.
 * Returns 1 when the processor has the switch (x86-64, 64-bit Arm), 0 when it does nothing.
 * Call it before creating threads. */
int grok_fpenv_flush_subnormals(void);

#ifdef __cplusplus
}
#endif

#endif
