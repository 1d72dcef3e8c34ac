/*
 * The SPDX license list compiled in: policy/spdx_list.h is generated at
 * build time from the JSON files of policy/data/ by policy/gen_spdx_tables.py (see
 * policy/meson.build) into the build directory, which is on the include
 * path as the build root.
 */
#include <string.h>

#include "policy/spdx_internal.h"

#if defined(__has_include) && !__has_include("policy/spdx_list.h")
/*
 * Compiled outside meson without the generated header (tests/fuzz/run_fuzz.sh
 * without MS_CONFIG_DIR naming a meson build directory): define nothing, so
 * that programs not using the license list still link and those using it
 * fail to link, loudly.
 */
#warning "policy/spdx_list.h not found: run python3 policy/gen_spdx_tables.py policy/data/licenses.json policy/data/exceptions.json DIR/policy/spdx_list.h and compile with -IDIR (a meson build directory has it)"
#else
#include "policy/spdx_list.h"

const ms_spdx_license_entry *const ms_spdx_licenses = ms_spdx_gen_licenses;
const size_t ms_spdx_license_count = sizeof ms_spdx_gen_licenses / sizeof ms_spdx_gen_licenses[0];
const ms_spdx_exception_entry *const ms_spdx_exceptions = ms_spdx_gen_exceptions;
const size_t ms_spdx_exception_count =
    sizeof ms_spdx_gen_exceptions / sizeof ms_spdx_gen_exceptions[0];
const char ms_spdx_version[] = MS_SPDX_GEN_LIST_VERSION;
const unsigned char (*const ms_spdx_license_letters)[36] = ms_spdx_gen_license_letters;
const unsigned char (*const ms_spdx_exception_letters)[36] = ms_spdx_gen_exception_letters;

/* Longest id accepted as a search key; list ids are far shorter. */
#define KEY_MAX 256

/* key[0..len) lower-cased into buf; 0 when it does not fit or holds a NUL. */
static int lower_key(const char *id, size_t len, char *buf)
{
    if (id == NULL || len == 0 || len >= KEY_MAX)
        return 0;
    for (size_t i = 0; i < len; i++) {
        char c = id[i];
        if (c == '\0')
            return 0;
        buf[i] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
    }
    buf[len] = '\0';
    return 1;
}

const ms_spdx_license_entry *ms_spdx_find_license(const char *id, size_t len)
{
    char key[KEY_MAX];
    if (!lower_key(id, len, key))
        return NULL;
    size_t lo = 0, hi = ms_spdx_license_count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(key, ms_spdx_licenses[mid].lower);
        if (c == 0)
            return &ms_spdx_licenses[mid];
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NULL;
}

const ms_spdx_exception_entry *ms_spdx_find_exception(const char *id, size_t len)
{
    char key[KEY_MAX];
    if (!lower_key(id, len, key))
        return NULL;
    size_t lo = 0, hi = ms_spdx_exception_count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(key, ms_spdx_exceptions[mid].lower);
        if (c == 0)
            return &ms_spdx_exceptions[mid];
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NULL;
}
#endif
