/* The float instantiation of the layers: the names without a suffix, used for training. */
#define R float
#define FN(name) name
#define GEMM cblas_sgemm
#include "layers_impl.h"
