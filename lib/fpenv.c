/* The floating-point environment of the threads that train: subnormals flushed to zero. */
#include "grok/fpenv.h"

#if defined(__x86_64__) || defined(__i386__)
#include <xmmintrin.h>
/* MXCSR's denormals-are-zero bit (pmmintrin.h's _MM_DENORMALS_ZERO_ON, an SSE3 header) */
#define MXCSR_DAZ 0x0040
#endif

int grok_fpenv_flush_subnormals(void)
{
#if defined(__x86_64__) || defined(__i386__)
    _mm_setcsr(_mm_getcsr() | _MM_FLUSH_ZERO_ON | MXCSR_DAZ);
    return 1;
#elif defined(__aarch64__)
    unsigned long fpcr;
    __asm__ volatile("mrs %0, fpcr" : "=r"(fpcr));
    fpcr |= 1ul << 24;   /* FZ: flush-to-zero for inputs and results */
    __asm__ volatile("msr fpcr, %0" : : "r"(fpcr));
    return 1;
#else
    return 0;
#endif
}
