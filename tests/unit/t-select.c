/* Step ranges and globs. */
#include "tap.h"

#include "grok/select.h"


static void steps_ok(const char *text, long long from, long long to, long long every)
{
    struct grok_steps r;
    struct grok_err err = {0};
    int rc = grok_steps_parse(text, &r, &err);
    ok(rc == GROK_OK && r.from == from && r.to == to && r.every == every, "steps '%s' -> %lld:%lld:%lld %s",
       text, from, to, every, rc ? err.msg : "");
}

static void steps_bad(const char *text, const char *msg)
{
    struct grok_steps r;
    struct grok_err err = {0};
    ok(grok_steps_parse(text, &r, &err) == GROK_EINVAL, "steps '%s' refused", text);
    is_str(err.msg, msg, "  its message");
}

int main(void)
{
    steps_ok("0:5000:500", 0, 5000, 500);
    steps_ok("100:200", 100, 200, 1);
    steps_ok(":5000", 0, 5000, 1);
    steps_ok("1000:", 1000, -1, 1);
    steps_ok("::100", 0, -1, 100);
    steps_ok("700", 700, 700, 1);
    steps_bad("", "bad step range '' (FROM:TO[:EVERY], e.g. 0:5000:500)");
    steps_bad("a:b", "bad step range 'a:b' (FROM:TO[:EVERY], e.g. 0:5000:500)");
    steps_bad("-5:10", "bad step range '-5:10' (FROM:TO[:EVERY], e.g. 0:5000:500)");
    steps_bad("1:2:3:4", "bad step range '1:2:3:4' (FROM:TO[:EVERY], e.g. 0:5000:500)");
    steps_bad("1:2:", "bad step range '1:2:' (FROM:TO[:EVERY], e.g. 0:5000:500)");
    steps_bad("10:5", "bad step range '10:5': FROM is after TO");
    steps_bad("0:10:0", "bad step range '0:10:0': EVERY must be at least 1");

    struct grok_steps r;
    grok_steps_parse("100:1000:300", &r, NULL);
    ok(!grok_steps_match(&r, 0) && grok_steps_match(&r, 100) && !grok_steps_match(&r, 200) &&
       grok_steps_match(&r, 400) && grok_steps_match(&r, 1000) && !grok_steps_match(&r, 1300),
       "match 100:1000:300");
    r = GROK_STEPS_ALL;
    ok(grok_steps_match(&r, 0) && grok_steps_match(&r, 123456789), "all steps match");

    struct grok_err err = {0};
    ok(grok_glob_check("blocks.*.attn.W_[QKVO]", &err) == GROK_OK, "a good glob");
    ok(grok_glob_check("[]x]", &err) == GROK_OK, "']' first in a class is a member");
    ok(grok_glob_check("a\\[b", &err) == GROK_OK, "escaped '['");
    ok(grok_glob_check("W_[QK", &err) == GROK_EINVAL, "unterminated class refused");
    is_str(err.msg, "bad glob 'W_[QK': '[' without ']'", "  its message");
    ok(grok_glob_check("", &err) == GROK_EINVAL, "empty glob refused");

    char *globs[] = {"blocks.*.attn.W_[QK]", "embed.*"};
    ok(grok_globs_match(globs, 2, "blocks.0.attn.W_Q"), "glob matches W_Q");
    ok(!grok_globs_match(globs, 2, "blocks.0.attn.W_V"), "glob does not match W_V");
    ok(grok_globs_match(globs, 2, "embed.W_E"), "second glob matches");
    ok(grok_globs_match(NULL, 0, "anything"), "no globs match all");
    char joined[64], small[28];
    grok_globs_join(joined, sizeof joined, globs, 2);
    is_str(joined, "blocks.*.attn.W_[QK] or embed.*", "globs joined by ' or '");
    grok_globs_join(small, sizeof small, globs, 2);
    is_str(small, "blocks.*.attn.W_[QK] or emb", "  cut to the buffer");
    grok_globs_join(joined, sizeof joined, globs, 1);
    is_str(joined, "blocks.*.attn.W_[QK]", "one glob joined is itself");
    struct grok_selection sel;
    ok(grok_selection_init(&sel, 3, &err) == GROK_OK && sel.nglobs == 0 && !sel.steps_text &&
       sel.steps.from == 0 && sel.steps.to == -1 && sel.steps.every == 1,
       "a new selection: no globs, every step");
    grok_selection_free(&sel);
    grok_selection_free(&sel);
    grok_selection_free(NULL);
    ok(1, "grok_selection_free twice, and of NULL, is fine");

    return done_testing();
}
