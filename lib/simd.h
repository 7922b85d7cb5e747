/* Elementwise passes compiled twice: for AVX2 and for the baseline the distribution builds for.
 *
 * Debian compiles for x86-64's baseline, SSE2: four floats a vector. The optimiser's update and
 * the activations' passes are simple loops over long arrays that the compiler vectorises; with
 * AVX2 they run eight floats a vector. A function marked SIMD_CLONES is compiled once per target
 * and the loader picks the clone the processor runs (GCC's target_clones, an ifunc), so one
 * binary serves every machine. The clones give the same bytes: the same operations in the same
 * order on each lane, no fused multiply-add (ISO C mode leaves contraction off), and division and
 * square root correctly rounded in both (grok-train's metrics of 60 to 300 steps of nanda, xu
 * and alquabeh were byte for byte the same). The one exception is the cross-entropy's exp,
 * glibc's vector exp of two lanes in one clone and four in the other: they differ in the last
 * bit of about 1 double in 10 000 (195 of 2.3 million arguments in [−700, 0.5]), which the
 * float gradient nearly always rounds away. A machine without AVX2 may so write other bytes
 * than one with it, as OpenBLAS's kernels for the two already make it; one machine writes the
 * same bytes every time. Measured on the 2-core machine, old and new
 * step-time alternated: alquabeh 1.69 → 1.59 ms a step, xu 7.85 → 7.63, nanda unchanged.
 *
 * Owns: the SIMD_CLONES attribute only. Calls nothing. Included by optim.c (the update) and the
 * layers' and model's templates (layers_impl.h, model_impl.h). */
#ifndef GROK_SIMD_H
#define GROK_SIMD_H

/* Not with clang, which builds only the fuzz targets: clang 14 gives the clones of two files'
 * static functions of one name the same global resolver, and the link fails. */
#if !defined(SIMD_CLONES) && defined(__x86_64__) && defined(__has_attribute) && !defined(__clang__)
#if __has_attribute(target_clones)
#define SIMD_CLONES __attribute__((target_clones("avx2", "default")))
#endif
#endif
/* -DSIMD_CLONES= builds the baseline alone: the way to compare its numbers with the clones' */
#ifndef SIMD_CLONES
#define SIMD_CLONES
#endif

#endif
