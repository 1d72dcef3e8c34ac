/*
 * libFuzzer target for the safe-relative-path check (core/fsutil.c):
 * ms_path_problem() on the input as a string (up to its first NUL byte).
 * An accepted path is checked independently: it is non-empty, at most 4096
 * bytes, has no leading '/', no backslash, no control byte, and no empty,
 * "." or ".." component.  Conversely, a path passing that independent check
 * must be accepted.  Either way the answer is a static sentence without
 * control bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/fsutil.h"
#include "fuzz_common.h"

static int ref_path_ok(const char *p)
{
    size_t n = strlen(p);
    if (n == 0 || n > 4096 || p[0] == '/')
        return 0;
    size_t start = 0;
    for (size_t i = 0; i <= n; i++) {
        unsigned char c = (unsigned char)p[i];
        if (i < n && c != '/') {
            if (c < 0x20 || c == 0x7f || c == '\\')
                return 0;
            continue;
        }
        size_t len = i - start;
        if (len == 0)
            return 0; /* empty component: "a//b", trailing '/' */
        if ((len == 1 && p[start] == '.') || (len == 2 && p[start] == '.' && p[start + 1] == '.'))
            return 0;
        start = i + 1;
    }
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *p = fuzz_cstr(data, size);
    const char *problem = ms_path_problem(p);
    if (problem != NULL) {
        if (problem[0] == '\0')
            abort();
        fuzz_check_text(problem);
    }
    if ((problem == NULL) != ref_path_ok(p))
        abort();
    if (problem == NULL) {
        /* Spelled out once more, the way an attacker would try. */
        if (p[0] == '/' || strstr(p, "//") != NULL || p[strlen(p) - 1] == '/')
            abort();
        if (strcmp(p, "..") == 0 || strncmp(p, "../", 3) == 0 || strstr(p, "/../") != NULL ||
            (strlen(p) >= 3 && strcmp(p + strlen(p) - 3, "/..") == 0))
            abort();
    }
    free(p);
    return 0;
}
