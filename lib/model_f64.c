/* The models in double: the gradient checks and the analyses. */
#define R double
#define SFX(name) name##_f64
#define GEMM cblas_dgemm
#define GEMV cblas_dgemv
#define GER cblas_dger
#include "model_impl.h"
#include "model_jac_impl.h"
