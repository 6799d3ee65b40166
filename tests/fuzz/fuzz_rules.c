/* fuzz_rules.c: libFuzzer target for the rules compiler: any text must give a rule set
 * or a FILE:LINE error, never a crash, a leak or a hang. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "detect/rules.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    char err[512];
    struct ruleset *rs = ruleset_new();
    /* The built-in lists first, so fuzzed rules can use @lists and extend them. */
    if (rs && ruleset_load_builtin(rs, err, sizeof(err)) &&
        ruleset_load_text(rs, "fuzz.rules", text, err, sizeof(err)))
        ruleset_finish(rs, err, sizeof(err));
    ruleset_free(rs);
    free(text);
    return 0;
}
