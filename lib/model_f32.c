/* The models in float: what grok-train runs. */
#define R float
#define SFX(name) name
#define GEMM cblas_sgemm
#include "model_impl.h"
