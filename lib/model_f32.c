/* The models in float: what grok-train runs. */
#define R float
#define SFX(name) name
#include "model_impl.h"
