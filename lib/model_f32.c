/* The models in float: what grok-train runs. */
#define R float
#define SFX(name) name
#define GEMM cblas_sgemm
#define GEMV cblas_sgemv
#define GER cblas_sger
#include "model_impl.h"
#include "model_jac_impl.h"
