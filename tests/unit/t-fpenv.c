/* Subnormals flushed to zero, on the calling thread and on the threads it starts. */
#include <float.h>
#include <pthread.h>

#include "tap.h"

#include "grok/fpenv.h"

/* volatile, so that the compiler cannot fold the products at compile time */
static volatile float tiny = 1e-30f, scale = 1e-10f, subnormal;

static float product(void) { return tiny * scale; }

static void *in_thread(void *out)
{
    *(float *)out = product();
    subnormal = FLT_MIN / 4;   /* a subnormal input: read as zero, 0 · 4 = 0 */
    ((float *)out)[1] = subnormal * 4;
    return NULL;
}

int main(void)
{
    float before = product();
    ok(before > 0 && before < FLT_MIN, "without the switch 1e-30 · 1e-10 is a subnormal (%g)", before);
    if (!grok_fpenv_flush_subnormals()) {
        diag("no flush-to-zero switch on this processor");
        return done_testing();
    }
    is_int(product() == 0.0f, 1, "with it the product is zero");
    subnormal = FLT_MIN / 4;
    ok(subnormal * 4 == 0.0f, "a subnormal input is read as zero");
    float normal = 1e-20f * (float)scale;
    ok(normal > FLT_MIN, "a normal product is untouched (%g)", normal);
    float got[2] = {1, 1};
    pthread_t th;
    ok(pthread_create(&th, NULL, in_thread, got) == 0 && pthread_join(th, NULL) == 0, "a thread ran");
    ok(got[0] == 0.0f && got[1] == 0.0f, "a thread started afterwards inherits the switch");
    return done_testing();
}
