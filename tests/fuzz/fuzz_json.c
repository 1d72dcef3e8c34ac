/*
 * libFuzzer target for the JSON layer (core/json.c): ms_json_parse() on the
 * raw input.  An accepted document must have no duplicate key at any depth,
 * every typed lookup of its top-level keys must behave, and its compact
 * printing must parse again, to the same tree (number values aside).
 * A refusal carries a sanitized message.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/json.h"
#include "fuzz_common.h"

static void check_lookups(const cJSON *root)
{
    if (!cJSON_IsObject(root))
        return;
    for (const cJSON *c = root->child; c != NULL; c = c->next) {
        if (c->string == NULL)
            abort();
        ms_error err;
        ms_error_clear(&err);
        uint64_t v = 0;
        ms_status st = ms_json_get_u64(root, c->string, "fuzz", &v, &err);
        fuzz_check_error(st, &err);
        if (st == MS_OK) {
            /* Exact non-negative integers below 2^53 only. */
            if (!cJSON_IsNumber(c) || v >= MS_JSON_MAX_EXACT_INT || (double)v != c->valuedouble)
                abort();
            uint64_t w = 1;
            if (ms_json_number_u64(c, &w) != 0 || w != v)
                abort();
        }
        const char *s = NULL;
        st = ms_json_get_string(root, c->string, "fuzz", &s, &err);
        fuzz_check_error(st, &err);
        if (st == MS_OK && (s == NULL || !cJSON_IsString(c)))
            abort();
        const cJSON *o = NULL;
        st = ms_json_get_object(root, c->string, "fuzz", &o, &err);
        fuzz_check_error(st, &err);
        if (st == MS_OK && !cJSON_IsObject(o))
            abort();
        st = ms_json_get_array(root, c->string, "fuzz", &o, &err);
        fuzz_check_error(st, &err);
        if (st == MS_OK && !cJSON_IsArray(o))
            abort();
    }
}

/*
 * Structural equality: same types, keys, strings, booleans, order and
 * sizes.  Number values are not compared: cJSON prints a double with 15
 * significant digits whenever that reads back within a relative
 * DBL_EPSILON, so printing is not exact (9007199254740991 prints as
 * 9.00719925474099e+15, and DBL_MAX as a literal that reads back as
 * infinity, which then prints as null).  modelseal writes every integer of
 * its own documents as a raw item (ms_json_u64()), so that is harmless
 * there; docs/fuzzing.md has the details.
 */
static int same_shape(const cJSON *a, const cJSON *b)
{
    for (; a != NULL && b != NULL; a = a->next, b = b->next) {
        int ta = a->type & 0xff, tb = b->type & 0xff;
        int num_or_null_a = ta == cJSON_Number || ta == cJSON_NULL;
        int num_or_null_b = tb == cJSON_Number || tb == cJSON_NULL;
        if (ta != tb && !(num_or_null_a && num_or_null_b))
            return 0;
        if ((a->string == NULL) != (b->string == NULL) ||
            (a->string != NULL && strcmp(a->string, b->string) != 0))
            return 0;
        if (ta == cJSON_String && strcmp(a->valuestring, b->valuestring) != 0)
            return 0;
        if (!same_shape(a->child, b->child))
            return 0;
    }
    return a == NULL && b == NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ms_error err;
    ms_error_clear(&err);
    cJSON *root = NULL;
    ms_status st = ms_json_parse((const char *)data, size, "fuzz", &root, &err);
    fuzz_check_error(st, &err);
    if (st != MS_OK) {
        if (root != NULL)
            abort();
        return 0;
    }
    if (root == NULL || ms_json_find_duplicate(root) != NULL)
        abort();
    check_lookups(root);

    size_t len = 0;
    char *text = ms_json_print(root, &len);
    if (text == NULL)
        abort();
    if (strlen(text) != len)
        abort();
    /* Invariant: what we print, we parse. */
    cJSON *again = NULL;
    st = ms_json_parse(text, len, "fuzz (printed)", &again, &err);
    fuzz_check_error(st, &err);
    if (st != MS_OK || again == NULL)
        abort();
    /* ... to the same tree, numbers aside (see same_shape). */
    if (!same_shape(root, again))
        abort();
    cJSON_Delete(again);
    free(text);
    cJSON_Delete(root);
    return 0;
}
