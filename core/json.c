#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error_internal.h"
#include "core/json.h"
#include "core/text.h"

#define MS_JSON_MAX_DEPTH 64

/*
 * cJSON is more lenient than JSON (RFC 8259): it treats every byte <= 0x20
 * as whitespace, keeps raw control bytes inside strings, ends a string at
 * an escaped NUL, accepts leading zeros, and turns every number into a
 * double, so "1.0", "1e0", "-0" and "0.99999999999999999" all read as an
 * integer.  A signed document must mean the same to every reader, so a
 * lexical pass refuses what JSON forbids, and marks numbers whose literal is
 * not a plain non-negative integer with a spare type bit (cJSON's own flags
 * stop at 512) that ms_json_number_u64() refuses.
 */
#define MS_JSON_NOT_INTEGER_LITERAL (1 << 12)

typedef struct number_marks {
    unsigned char *not_integer; /* one flag per number literal, in text order */
    size_t count, next;
} number_marks;


/*
 * Length of the number-like run at buf[start], at most 40 bytes, for quoting
 * in a message.  buf is not NUL-terminated, so no strspn(): stay within len.
 */
static size_t number_excerpt(const char *buf, size_t start, size_t len)
{
    size_t n = 0;
    while (n < 40 && start + n < len && buf[start + n] != '\0' &&
           strchr("-+.eE0123456789", buf[start + n]) != NULL)
        n++;
    return n;
}

/* Runs after cJSON accepted the text, so strings are closed and escapes complete. */
static ms_status lex_check(const char *buf, size_t len, const char *what, number_marks *m,
                           ms_error *err)
{
    size_t cap = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)buf[i];
        if (c == '"') {
            for (i++; i < len && buf[i] != '"'; i++) {
                if ((unsigned char)buf[i] < 0x20)
                    return ms_fail(err, MS_E_FORMAT,
                                   "%s: control byte 0x%02x inside a string at byte %zu", what,
                                   (unsigned char)buf[i], i);
                if (buf[i] != '\\')
                    continue;
                if (i + 5 < len && memcmp(buf + i + 1, "u0000", 5) == 0)
                    return ms_fail(err, MS_E_FORMAT, "%s: escaped NUL (\\u0000) at byte %zu",
                                   what, i);
                i++;
            }
            continue;
        }
        if (c < 0x20 && c != ' ' && c != '\t' && c != '\n' && c != '\r')
            return ms_fail(err, MS_E_FORMAT, "%s: control byte 0x%02x at byte %zu", what, c, i);
        if (c != '-' && (c < '0' || c > '9'))
            continue;
        size_t start = i;
        size_t d = c == '-' ? i + 1 : i;
        if (d + 1 < len && buf[d] == '0' && buf[d + 1] >= '0' && buf[d + 1] <= '9') {
            size_t n = number_excerpt(buf, start, len);
            return ms_fail(err, MS_E_FORMAT, "%s: number '%.*s' at byte %zu has a leading zero",
                           what, (int)n, buf + start, start);
        }
        /* RFC 8259: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? -- cJSON also takes "1." */
        int plain = c != '-';
        size_t k = d;
        while (k < len && buf[k] >= '0' && buf[k] <= '9')
            k++;
        int ok = k > d;
        if (ok && k < len && buf[k] == '.') {
            plain = 0;
            size_t f = ++k;
            while (k < len && buf[k] >= '0' && buf[k] <= '9')
                k++;
            ok = k > f;
        }
        if (ok && k < len && (buf[k] == 'e' || buf[k] == 'E')) {
            plain = 0;
            k++;
            if (k < len && (buf[k] == '+' || buf[k] == '-'))
                k++;
            size_t f = k;
            while (k < len && buf[k] >= '0' && buf[k] <= '9')
                k++;
            ok = k > f;
        }
        if (!ok) {
            size_t n = number_excerpt(buf, start, len);
            return ms_fail(err, MS_E_FORMAT, "%s: malformed number '%.*s' at byte %zu", what,
                           (int)n, buf + start, start);
        }
        i = k;
        i--;
        if (m->count == cap) {
            cap = cap ? cap * 2 : 64;
            unsigned char *p = realloc(m->not_integer, cap);
            if (p == NULL)
                return ms_fail(err, MS_E_NOMEM, "%s: out of memory", what);
            m->not_integer = p;
        }
        m->not_integer[m->count++] = (unsigned char)!plain;
    }
    return MS_OK;
}

/* cJSON keeps values in text order, so a depth-first walk meets numbers in that order. */
static void mark_numbers(cJSON *item, number_marks *m)
{
    for (; item != NULL; item = item->next) {
        if (cJSON_IsNumber(item) && m->next < m->count) {
            if (m->not_integer[m->next])
                item->type |= MS_JSON_NOT_INTEGER_LITERAL;
            m->next++;
        }
        mark_numbers(item->child, m);
    }
}

/* Containers nested in containers, the outermost being level 1. */
static int depth_ok(const cJSON *item, int level)
{
    if (!cJSON_IsArray(item) && !cJSON_IsObject(item))
        return 1;
    if (level > MS_JSON_MAX_DEPTH)
        return 0;
    for (const cJSON *c = item->child; c != NULL; c = c->next)
        if (!depth_ok(c, level + 1))
            return 0;
    return 1;
}

static int cmp_names(const void *a, const void *b)
{
    const char *x = *(const char *const *)a;
    const char *y = *(const char *const *)b;
    return strcmp(x, y);
}

const char *ms_json_find_duplicate(const cJSON *item)
{
    if (item == NULL)
        return NULL;
    if (cJSON_IsObject(item)) {
        size_t n = 0;
        for (const cJSON *c = item->child; c != NULL; c = c->next)
            n++;
        if (n > 1) {
            /* Sorting names keeps this O(n log n) for headers with many tensors. */
            const char **names = malloc(n * sizeof *names);
            if (names == NULL)
                return "(out of memory)";
            size_t i = 0;
            for (const cJSON *c = item->child; c != NULL; c = c->next)
                names[i++] = c->string != NULL ? c->string : "";
            qsort(names, n, sizeof *names, cmp_names);
            const char *dup = NULL;
            for (i = 1; i < n && dup == NULL; i++)
                if (strcmp(names[i - 1], names[i]) == 0)
                    dup = names[i];
            free(names);
            if (dup != NULL)
                return dup;
        }
    }
    for (const cJSON *c = item->child; c != NULL; c = c->next) {
        const char *d = ms_json_find_duplicate(c);
        if (d != NULL)
            return d;
    }
    return NULL;
}

ms_status ms_json_parse(const char *buf, size_t len, const char *what, cJSON **out,
                        ms_error *err)
{
    *out = NULL;
    if (len == 0)
        return ms_fail(err, MS_E_FORMAT, "%s: empty document", what);
    if (memchr(buf, '\0', len) != NULL)
        return ms_fail(err, MS_E_FORMAT, "%s: contains a NUL byte", what);
    if (len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0)
        return ms_fail(err, MS_E_FORMAT, "%s: starts with a byte order mark", what);
    for (size_t i = 0; i < len;) {
        size_t l = ms_utf8_seq_len((const unsigned char *)buf + i, len - i);
        if (l == 0)
            return ms_fail(err, MS_E_FORMAT, "%s: invalid UTF-8 at byte %zu", what, i);
        i += l;
    }
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(buf, len, &end, 0);
    if (root == NULL) {
        size_t off = (end != NULL && end >= buf) ? (size_t)(end - buf) : 0;
        return ms_fail(err, MS_E_FORMAT, "%s: invalid JSON near byte %zu", what, off);
    }
    /* Only whitespace may follow the value. */
    size_t off = (size_t)(end - buf);
    for (; off < len; off++) {
        char c = buf[off];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
            cJSON_Delete(root);
            return ms_fail(err, MS_E_FORMAT, "%s: trailing data after JSON value at byte %zu",
                           what, off);
        }
    }
    if (!depth_ok(root, 1)) {
        cJSON_Delete(root);
        return ms_fail(err, MS_E_LIMIT, "%s: nesting deeper than %d", what, MS_JSON_MAX_DEPTH);
    }
    number_marks marks = {0};
    ms_status lst = lex_check(buf, len, what, &marks, err);
    if (lst != MS_OK) {
        free(marks.not_integer);
        cJSON_Delete(root);
        return lst;
    }
    mark_numbers(root, &marks);
    free(marks.not_integer);
    const char *dup = ms_json_find_duplicate(root);
    if (dup != NULL) {
        ms_fail(err, MS_E_FORMAT, "%s: duplicate key '%s'", what, dup);
        cJSON_Delete(root);
        return MS_E_FORMAT;
    }
    *out = root;
    return MS_OK;
}

ms_status ms_json_get_string(const cJSON *obj, const char *key, const char *what,
                             const char **out, ms_error *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (v == NULL)
        return ms_fail(err, MS_E_FORMAT, "%s: missing field '%s'", what, key);
    if (!cJSON_IsString(v) || v->valuestring == NULL)
        return ms_fail(err, MS_E_FORMAT, "%s: field '%s' is not a string", what, key);
    *out = v->valuestring;
    return MS_OK;
}

int ms_json_number_u64(const cJSON *item, uint64_t *out)
{
    if (!cJSON_IsNumber(item))
        return -1;
    if (item->type & MS_JSON_NOT_INTEGER_LITERAL)
        return -1;
    double d = item->valuedouble;
    /* Strictly below 2^53: 2^53 + 1 rounds to 2^53 and cannot be told apart. */
    if (!isfinite(d) || d < 0 || d >= (double)MS_JSON_MAX_EXACT_INT || floor(d) != d)
        return -1;
    *out = (uint64_t)d;
    return 0;
}

ms_status ms_json_get_u64(const cJSON *obj, const char *key, const char *what, uint64_t *out,
                          ms_error *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (v == NULL)
        return ms_fail(err, MS_E_FORMAT, "%s: missing field '%s'", what, key);
    if (ms_json_number_u64(v, out) != 0)
        return ms_fail(err, MS_E_FORMAT,
                       "%s: field '%s' is not a non-negative integer below 2^53", what, key);
    return MS_OK;
}

ms_status ms_json_get_object(const cJSON *obj, const char *key, const char *what,
                             const cJSON **out, ms_error *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (v == NULL)
        return ms_fail(err, MS_E_FORMAT, "%s: missing field '%s'", what, key);
    if (!cJSON_IsObject(v))
        return ms_fail(err, MS_E_FORMAT, "%s: field '%s' is not an object", what, key);
    *out = v;
    return MS_OK;
}

ms_status ms_json_get_array(const cJSON *obj, const char *key, const char *what,
                            const cJSON **out, ms_error *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (v == NULL)
        return ms_fail(err, MS_E_FORMAT, "%s: missing field '%s'", what, key);
    if (!cJSON_IsArray(v))
        return ms_fail(err, MS_E_FORMAT, "%s: field '%s' is not an array", what, key);
    *out = v;
    return MS_OK;
}

cJSON *ms_json_u64(uint64_t v)
{
    /* A raw item prints the exact decimal digits; cJSON's own number printer
     * goes through a double and an int cast. */
    char tmp[24];
    snprintf(tmp, sizeof tmp, "%" PRIu64, v);
    return cJSON_CreateRaw(tmp);
}

cJSON *ms_json_add_u64(cJSON *obj, const char *key, uint64_t v)
{
    cJSON *n = ms_json_u64(v);
    if (n == NULL)
        return NULL;
    if (!cJSON_AddItemToObject(obj, key, n)) {
        cJSON_Delete(n);
        return NULL;
    }
    return n;
}

char *ms_json_print(const cJSON *item, size_t *len)
{
    char *s = cJSON_PrintUnformatted(item);
    if (s != NULL && len != NULL)
        *len = strlen(s);
    return s;
}

char *ms_json_print_pretty(const cJSON *item)
{
    char *s = cJSON_Print(item);
    if (s == NULL)
        return NULL;
    size_t n = strlen(s);
    char *t = realloc(s, n + 2);
    if (t == NULL) {
        free(s);
        return NULL;
    }
    memcpy(t + n, "\n", 2);
    return t;
}
