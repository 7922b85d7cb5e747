/* The double instantiation of the layers (suffix _f64): gradient checks and analyses. */
#define R double
#define FN(name) name##_f64
#define GEMM cblas_dgemm
#include "layers_impl.h"
