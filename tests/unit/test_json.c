/* Unit tests for core/json.c: strict parsing, typed lookups, exact integers. */
#include <stdint.h>
#include <time.h>

#include "check.h"
#include "core/json.h"

/* Parse len bytes from an exact-size heap copy (no NUL after it), so the
 * sanitizer build catches any read past the end. */
static ms_status parse_n(const char *s, size_t len, cJSON **out, ms_error *err)
{
    char *copy = malloc(len > 0 ? len : 1);
    if (copy == NULL)
        abort();
    memcpy(copy, s, len);
    ms_error_clear(err);
    ms_status st = ms_json_parse(copy, len, "doc.json", out, err);
    free(copy);
    return st;
}

static ms_status parse(const char *s, cJSON **out, ms_error *err)
{
    return parse_n(s, strlen(s), out, err);
}

/* Parse and expect a failure with status and message fragment; out must stay NULL. */
#define CHECK_PARSE_FAILS(text, len, want_st, fragment)                                            \
    do {                                                                                           \
        cJSON *fail_root_ = (cJSON *)1;                                                            \
        ms_error fail_err_;                                                                        \
        CHECK_INT(parse_n((text), (len), &fail_root_, &fail_err_), (want_st));                     \
        CHECK(fail_root_ == NULL);                                                                 \
        CHECK_INT(fail_err_.status, (want_st));                                                    \
        CHECK_CONTAINS(fail_err_.message, (fragment));                                             \
        CHECK_CONTAINS(fail_err_.message, "doc.json");                                             \
        if (fail_root_ != NULL && fail_root_ != (cJSON *)1)                                        \
            cJSON_Delete(fail_root_);                                                              \
    } while (0)

#define CHECK_PARSE_FAILS_S(text, want_st, fragment)                                               \
    CHECK_PARSE_FAILS((text), strlen(text), (want_st), (fragment))

static char *nested(int levels, char open, char close, const char *inner)
{
    size_t n = (size_t)levels * 8 + strlen(inner) + 1;
    char *s = malloc(n);
    if (s == NULL)
        abort();
    size_t k = 0;
    for (int i = 0; i < levels; i++) {
        if (open == '{') {
            memcpy(s + k, "{\"a\":", 5);
            k += 5;
        } else {
            s[k++] = open;
        }
    }
    memcpy(s + k, inner, strlen(inner));
    k += strlen(inner);
    for (int i = 0; i < levels; i++)
        s[k++] = close;
    s[k] = '\0';
    return s;
}

static void test_parse_valid(void)
{
    cJSON *root = NULL;
    ms_error err;
    const char *doc = "{\"name\":\"m\",\"n\":42,\"o\":{\"k\":[1,2]},\"arr\":[],\"t\":true}";
    CHECK_INT(parse(doc, &root, &err), MS_OK);
    CHECK(root != NULL);
    CHECK(cJSON_IsObject(root));
    CHECK_INT(cJSON_GetArraySize(root), 5);
    const char *name = NULL;
    CHECK_INT(ms_json_get_string(root, "name", "doc", &name, &err), MS_OK);
    CHECK_STR(name, "m");
    uint64_t n = 0;
    CHECK_INT(ms_json_get_u64(root, "n", "doc", &n, &err), MS_OK);
    CHECK_INT(n, 42);
    const cJSON *o = NULL, *a = NULL;
    CHECK_INT(ms_json_get_object(root, "o", "doc", &o, &err), MS_OK);
    CHECK(o != NULL && cJSON_IsObject(o));
    CHECK_INT(ms_json_get_array(o, "k", "doc", &a, &err), MS_OK);
    CHECK_INT(cJSON_GetArraySize(a), 2);
    CHECK_INT(ms_json_get_array(root, "arr", "doc", &a, &err), MS_OK);
    CHECK_INT(cJSON_GetArraySize(a), 0);
    cJSON_Delete(root);

    /* Scalars and arrays are values too. */
    root = NULL;
    CHECK_INT(parse("[1,\"x\",null]", &root, &err), MS_OK);
    CHECK(cJSON_IsArray(root));
    cJSON_Delete(root);
    root = NULL;
    CHECK_INT(parse("7", &root, &err), MS_OK);
    CHECK(cJSON_IsNumber(root));
    cJSON_Delete(root);

    /* Whitespace around the value is allowed. */
    root = NULL;
    CHECK_INT(parse(" \t\r\n{\"a\":1} \n\t\r ", &root, &err), MS_OK);
    CHECK(root != NULL);
    cJSON_Delete(root);
    root = NULL;
    CHECK_INT(parse("{}\n", &root, &err), MS_OK);
    CHECK(root != NULL && cJSON_GetArraySize(root) == 0);
    cJSON_Delete(root);

    /* Same key in different objects, and keys differing only in case, are fine. */
    root = NULL;
    CHECK_INT(parse("[{\"x\":1},{\"x\":2}]", &root, &err), MS_OK);
    cJSON_Delete(root);
    root = NULL;
    CHECK_INT(parse("{\"a\":1,\"A\":2,\"o\":{\"a\":3}}", &root, &err), MS_OK);
    cJSON_Delete(root);
}

static void test_parse_invalid(void)
{
    /* Empty and whitespace-only documents. */
    CHECK_PARSE_FAILS("", 0, MS_E_FORMAT, "empty document");
    CHECK_PARSE_FAILS_S("   \n", MS_E_FORMAT, "invalid JSON");
    /* NUL bytes anywhere: after the value, inside a string, first byte. */
    CHECK_PARSE_FAILS("{\"a\":1}\0", 8, MS_E_FORMAT, "NUL byte");
    CHECK_PARSE_FAILS("{\"a\":\"x\0y\"}", 11, MS_E_FORMAT, "NUL byte");
    CHECK_PARSE_FAILS("\0{}", 3, MS_E_FORMAT, "NUL byte");
    /* Trailing garbage after the value, with its offset. */
    CHECK_PARSE_FAILS_S("{\"a\":1} x", MS_E_FORMAT, "trailing data after JSON value at byte 8");
    CHECK_PARSE_FAILS_S("{}{}", MS_E_FORMAT, "trailing data after JSON value at byte 2");
    CHECK_PARSE_FAILS_S("1 2", MS_E_FORMAT, "trailing data");
    CHECK_PARSE_FAILS_S("{}\n\v", MS_E_FORMAT, "trailing data after JSON value at byte 3");
    CHECK_PARSE_FAILS_S("[1],", MS_E_FORMAT, "trailing data");
    /* Malformed documents. */
    CHECK_PARSE_FAILS_S("{\"a\":}", MS_E_FORMAT, "invalid JSON near byte");
    CHECK_PARSE_FAILS_S("{\"a\":1", MS_E_FORMAT, "invalid JSON");
    CHECK_PARSE_FAILS_S("{\"a\" 1}", MS_E_FORMAT, "invalid JSON");
    CHECK_PARSE_FAILS_S("{'a':1}", MS_E_FORMAT, "invalid JSON");
    CHECK_PARSE_FAILS_S("[1,]x", MS_E_FORMAT, "JSON");
    CHECK_PARSE_FAILS_S("\"unterminated", MS_E_FORMAT, "invalid JSON");
    CHECK_PARSE_FAILS_S("nul", MS_E_FORMAT, "invalid JSON");
    /* A value cut short by len is invalid even if more bytes follow in memory. */
    CHECK_PARSE_FAILS("{\"a\":12}", 6, MS_E_FORMAT, "invalid JSON");
}

static void test_nesting(void)
{
    cJSON *root = NULL;
    ms_error err;
    /* 64 levels of containers: accepted (empty innermost, or holding a scalar). */
    char *s = nested(64, '[', ']', "");
    CHECK_INT(parse(s, &root, &err), MS_OK);
    CHECK(root != NULL);
    cJSON_Delete(root);
    free(s);
    s = nested(63, '{', '}', "{}"); /* 64 objects */
    root = NULL;
    CHECK_INT(parse(s, &root, &err), MS_OK);
    CHECK(root != NULL);
    cJSON_Delete(root);
    free(s);
    s = nested(64, '[', ']', "0"); /* 64 arrays around a scalar */
    root = NULL;
    CHECK_INT(parse(s, &root, &err), MS_OK);
    CHECK(root != NULL);
    cJSON_Delete(root);
    free(s);

    /* 65 and more levels: refused with MS_E_LIMIT, whether or not the
     * innermost container holds anything. */
    s = nested(65, '[', ']', ""); /* 65 arrays, innermost empty */
    CHECK_PARSE_FAILS_S(s, MS_E_LIMIT, "nesting deeper than 64");
    free(s);
    s = nested(64, '{', '}', "{}"); /* 65 objects, innermost empty */
    CHECK_PARSE_FAILS_S(s, MS_E_LIMIT, "nesting deeper than 64");
    free(s);
    s = nested(65, '[', ']', "0"); /* 65 arrays around a scalar */
    CHECK_PARSE_FAILS_S(s, MS_E_LIMIT, "nesting deeper than 64");
    free(s);
    s = nested(66, '[', ']', "");
    CHECK_PARSE_FAILS_S(s, MS_E_LIMIT, "nesting deeper than 64");
    free(s);
    s = nested(65, '{', '}', "{}"); /* 66 objects */
    CHECK_PARSE_FAILS_S(s, MS_E_LIMIT, "nesting deeper than 64");
    free(s);
    s = nested(500, '[', ']', "");
    CHECK_PARSE_FAILS_S(s, MS_E_LIMIT, "nesting deeper than 64");
    free(s);
    /* Beyond cJSON's own limit the document is refused all the same. */
    s = nested(5000, '[', ']', "");
    root = (cJSON *)1;
    CHECK(parse(s, &root, &err) != MS_OK);
    CHECK(root == NULL);
    free(s);
}

static void test_duplicates(void)
{
    CHECK_PARSE_FAILS_S("{\"a\":1,\"b\":2,\"a\":3}", MS_E_FORMAT, "duplicate key 'a'");
    CHECK_PARSE_FAILS_S("{\"k\":1,\"k\":1}", MS_E_FORMAT, "duplicate key 'k'");
    CHECK_PARSE_FAILS_S("{\"list\":[{\"x\":1},{\"y\":1,\"z\":0,\"y\":2}]}", MS_E_FORMAT,
                        "duplicate key 'y'");
    CHECK_PARSE_FAILS_S("[[[{\"o\":{\"deep\":1,\"deep\":2}}]]]", MS_E_FORMAT,
                        "duplicate key 'deep'");
    /* Escapes are decoded before comparing: "\u0061" is "a". */
    CHECK_PARSE_FAILS_S("{\"a\":1,\"\\u0061\":2}", MS_E_FORMAT, "duplicate key 'a'");
    CHECK_PARSE_FAILS_S("{\"\":1,\"\":2}", MS_E_FORMAT, "duplicate key ''");

    /* ms_json_find_duplicate on trees built by hand. */
    CHECK(ms_json_find_duplicate(NULL) == NULL);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "p", 1);
    cJSON_AddNumberToObject(o, "q", 2);
    CHECK(ms_json_find_duplicate(o) == NULL);
    cJSON *inner = cJSON_AddObjectToObject(o, "r");
    cJSON_AddNumberToObject(inner, "s", 1);
    cJSON_AddNumberToObject(inner, "s", 2);
    CHECK_STR(ms_json_find_duplicate(o), "s");
    cJSON_Delete(o);
}

static void test_many_keys(void)
{
    enum { KEYS = 50000 };
    size_t cap = (size_t)KEYS * 24 + 64;
    char *s = malloc(cap);
    if (s == NULL)
        abort();
    size_t k = 0;
    s[k++] = '{';
    for (int i = 0; i < KEYS; i++)
        k += (size_t)snprintf(s + k, cap - k, "%s\"key%06d\":%d", i ? "," : "", i, i);
    s[k++] = '}';
    s[k] = '\0';
    cJSON *root = NULL;
    ms_error err;
    clock_t t0 = clock();
    CHECK_INT(parse(s, &root, &err), MS_OK);
    double secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
    CHECK(secs < 5.0); /* O(n log n): well under a second even under sanitizers */
    CHECK_INT(cJSON_GetArraySize(root), KEYS);
    uint64_t v = 0;
    CHECK_INT(ms_json_get_u64(root, "key049999", "doc", &v, &err), MS_OK);
    CHECK_INT(v, 49999);
    cJSON_Delete(root);

    /* The same document with the last key repeating the first one. */
    char *last = strrchr(s, '"');
    char *open = last - 9; /* "key049999" starts 9 bytes before the closing quote */
    CHECK(*(open - 1) == '"');
    memcpy(open, "key000000", 9);
    t0 = clock();
    CHECK_PARSE_FAILS_S(s, MS_E_FORMAT, "duplicate key 'key000000'");
    secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
    CHECK(secs < 5.0);
    free(s);
}

static void test_get_string(void)
{
    cJSON *root = NULL;
    ms_error err;
    CHECK_INT(parse("{\"s\":\"v\",\"n\":1,\"z\":null,\"a\":[\"x\"],\"e\":\"\"}", &root, &err),
              MS_OK);
    const char *out = "untouched";
    ms_error_clear(&err);
    CHECK_INT(ms_json_get_string(root, "missing", "the manifest", &out, &err), MS_E_FORMAT);
    CHECK_INT(err.status, MS_E_FORMAT);
    CHECK_STR(err.message, "the manifest: missing field 'missing'");
    CHECK_STR(out, "untouched");
    CHECK_INT(ms_json_get_string(root, "n", "the manifest", &out, &err), MS_E_FORMAT);
    CHECK_STR(err.message, "the manifest: field 'n' is not a string");
    CHECK_INT(ms_json_get_string(root, "z", "m", &out, &err), MS_E_FORMAT);
    CHECK_CONTAINS(err.message, "field 'z' is not a string");
    CHECK_INT(ms_json_get_string(root, "a", "m", &out, &err), MS_E_FORMAT);
    CHECK_CONTAINS(err.message, "field 'a' is not a string");
    /* Lookups are case-sensitive. */
    CHECK_INT(ms_json_get_string(root, "S", "m", &out, &err), MS_E_FORMAT);
    CHECK_CONTAINS(err.message, "missing field 'S'");
    CHECK_STR(out, "untouched");
    CHECK_INT(ms_json_get_string(root, "e", "m", &out, &err), MS_OK);
    CHECK_STR(out, "");
    CHECK_INT(ms_json_get_string(root, "s", "m", &out, &err), MS_OK);
    CHECK_STR(out, "v");
    cJSON_Delete(root);
}

/* Parse {"v": <text>} and run ms_json_get_u64 on it. */
static ms_status u64_of(const char *text, uint64_t *out, ms_error *err)
{
    char doc[256];
    snprintf(doc, sizeof doc, "{\"v\":%s}", text);
    cJSON *root = NULL;
    ms_status st = parse(doc, &root, err);
    if (st != MS_OK)
        return MS_E_INTERNAL;
    ms_error_clear(err);
    st = ms_json_get_u64(root, "v", "desc", out, err);
    cJSON_Delete(root);
    return st;
}

#define CHECK_U64_OK(text, expect)                                                                 \
    do {                                                                                           \
        uint64_t u_ = 12345;                                                                       \
        ms_error e_;                                                                               \
        CHECK_INT(u64_of((text), &u_, &e_), MS_OK);                                                \
        CHECK(u_ == (uint64_t)(expect));                                                           \
    } while (0)

#define CHECK_U64_BAD(text)                                                                        \
    do {                                                                                           \
        uint64_t u_ = 12345;                                                                       \
        ms_error e_;                                                                               \
        CHECK_INT(u64_of((text), &u_, &e_), MS_E_FORMAT);                                          \
        CHECK_STR(e_.message, "desc: field 'v' is not a non-negative integer below 2^53");         \
        CHECK(u_ == 12345);                                                                        \
    } while (0)

static void test_get_u64(void)
{
    CHECK_U64_OK("0", 0);
    CHECK_U64_OK("1", 1);
    CHECK_U64_OK("4294967296", 4294967296ULL);
    CHECK_U64_OK("9007199254740991", 9007199254740991ULL); /* 2^53 - 1 */

    CHECK_U64_BAD("-1");
    CHECK_U64_BAD("-9007199254740992");
    CHECK_U64_BAD("1.5");
    CHECK_U64_BAD("0.1");
    CHECK_U64_BAD("1e-1");
    /* 2^53 and above: 2^53 + 1 reads as the double 2^53, so 2^53 itself
     * cannot be told apart from it and is refused too. */
    CHECK_U64_BAD("9007199254740992");
    CHECK_U64_BAD("9007199254740993");
    CHECK_U64_BAD("9007199254740994");
    CHECK_U64_BAD("18446744073709551615");
    CHECK_U64_BAD("1e300");
    CHECK_U64_BAD("1e400"); /* infinity after strtod */
    /* Integers written with a fraction or an exponent are not integer
     * literals, even when their value is whole. */
    CHECK_U64_BAD("1e3");
    CHECK_U64_BAD("1E3");
    CHECK_U64_BAD("1.0");
    CHECK_U64_BAD("0.0");
    CHECK_U64_BAD("10e-1");
    CHECK_U64_BAD("0.99999999999999999"); /* would round to 1 */
    CHECK_U64_BAD("\"5\"");
    CHECK_U64_BAD("true");
    CHECK_U64_BAD("null");
    CHECK_U64_BAD("[1]");
    CHECK_U64_BAD("{}");

    /* Number-like text in strings and keys does not shift which literal is
     * which: each field keeps its own verdict. */
    cJSON *doc = NULL;
    ms_error derr;
    CHECK_INT(parse("{\"s\":\"1.5\",\"1.5\":2,\"q\":\"a\\\"9.9\",\"a\":[2.5,{\"k\":\"e.E\"}],"
                    "\"v\":3,\"w\":4.0,\"x\":-0.5,\"y\":1e2,\"z\":5}",
                    &doc, &derr),
              MS_OK);
    uint64_t dv = 0;
    CHECK_INT(ms_json_get_u64(doc, "1.5", "d", &dv, &derr), MS_OK);
    CHECK_INT(dv, 2);
    CHECK_INT(ms_json_get_u64(doc, "v", "d", &dv, &derr), MS_OK);
    CHECK_INT(dv, 3);
    CHECK_INT(ms_json_get_u64(doc, "w", "d", &dv, &derr), MS_E_FORMAT);
    CHECK_INT(ms_json_get_u64(doc, "x", "d", &dv, &derr), MS_E_FORMAT);
    CHECK_INT(ms_json_get_u64(doc, "y", "d", &dv, &derr), MS_E_FORMAT);
    CHECK_INT(ms_json_get_u64(doc, "z", "d", &dv, &derr), MS_OK);
    CHECK_INT(dv, 5);
    const char *qs = NULL;
    CHECK_INT(ms_json_get_string(doc, "q", "d", &qs, &derr), MS_OK);
    CHECK_STR(qs, "a\"9.9");
    cJSON_Delete(doc);
    /* A string ending in an escaped backslash, then numbers. */
    doc = NULL;
    CHECK_INT(parse("{\"s\":\"x\\\\\",\"n\":1.5,\"m\":7,\"t\":[\"\\\\\",8]}", &doc, &derr), MS_OK);
    CHECK_INT(ms_json_get_u64(doc, "n", "d", &dv, &derr), MS_E_FORMAT);
    CHECK_INT(ms_json_get_u64(doc, "m", "d", &dv, &derr), MS_OK);
    CHECK_INT(dv, 7);
    CHECK_INT(ms_json_get_string(doc, "s", "d", &qs, &derr), MS_OK);
    CHECK_STR(qs, "x\\");
    uint64_t t8 = 0;
    CHECK_INT(
        ms_json_number_u64(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(doc, "t"), 1), &t8),
        0);
    CHECK_INT(t8, 8);
    cJSON_Delete(doc);

    /* Missing field. */
    cJSON *root = NULL;
    ms_error err;
    CHECK_INT(parse("{\"w\":1}", &root, &err), MS_OK);
    uint64_t v = 7;
    CHECK_INT(ms_json_get_u64(root, "size", "blob", &v, &err), MS_E_FORMAT);
    CHECK_STR(err.message, "blob: missing field 'size'");
    CHECK_INT(v, 7);
    cJSON_Delete(root);

    /* ms_json_number_u64 directly. */
    cJSON *n = cJSON_CreateNumber(3.0);
    CHECK_INT(ms_json_number_u64(n, &v), 0);
    CHECK_INT(v, 3);
    cJSON_Delete(n);
    n = cJSON_CreateNumber(-3.0);
    CHECK_INT(ms_json_number_u64(n, &v), -1);
    cJSON_Delete(n);
    n = cJSON_CreateNumber(2.5);
    CHECK_INT(ms_json_number_u64(n, &v), -1);
    cJSON_Delete(n);
    n = cJSON_CreateString("3");
    CHECK_INT(ms_json_number_u64(n, &v), -1);
    cJSON_Delete(n);
    CHECK_INT(v, 3);
}

static void test_get_object_array(void)
{
    cJSON *root = NULL;
    ms_error err;
    CHECK_INT(parse("{\"o\":{},\"a\":[],\"s\":\"x\",\"n\":null}", &root, &err), MS_OK);
    const cJSON *out = NULL;
    CHECK_INT(ms_json_get_object(root, "a", "index.json", &out, &err), MS_E_FORMAT);
    CHECK_STR(err.message, "index.json: field 'a' is not an object");
    CHECK(out == NULL);
    CHECK_INT(ms_json_get_object(root, "s", "index.json", &out, &err), MS_E_FORMAT);
    CHECK_CONTAINS(err.message, "field 's' is not an object");
    CHECK_INT(ms_json_get_object(root, "n", "index.json", &out, &err), MS_E_FORMAT);
    CHECK_CONTAINS(err.message, "field 'n' is not an object");
    CHECK_INT(ms_json_get_object(root, "x", "index.json", &out, &err), MS_E_FORMAT);
    CHECK_STR(err.message, "index.json: missing field 'x'");
    CHECK_INT(ms_json_get_array(root, "o", "index.json", &out, &err), MS_E_FORMAT);
    CHECK_STR(err.message, "index.json: field 'o' is not an array");
    CHECK_INT(ms_json_get_array(root, "s", "index.json", &out, &err), MS_E_FORMAT);
    CHECK_CONTAINS(err.message, "field 's' is not an array");
    CHECK_INT(ms_json_get_array(root, "manifests", "index.json", &out, &err), MS_E_FORMAT);
    CHECK_STR(err.message, "index.json: missing field 'manifests'");
    CHECK(out == NULL);
    CHECK_INT(ms_json_get_object(root, "o", "index.json", &out, &err), MS_OK);
    CHECK(out == cJSON_GetObjectItemCaseSensitive(root, "o"));
    CHECK_INT(ms_json_get_array(root, "a", "index.json", &out, &err), MS_OK);
    CHECK(out == cJSON_GetObjectItemCaseSensitive(root, "a"));
    cJSON_Delete(root);
}

static void test_print_u64(void)
{
    cJSON *o = cJSON_CreateObject();
    CHECK(ms_json_add_u64(o, "zero", 0) != NULL);
    CHECK(ms_json_add_u64(o, "four_g", 4294967296ULL) != NULL);
    CHECK(ms_json_add_u64(o, "big", 9007199254740993ULL) != NULL);
    CHECK(ms_json_add_u64(o, "max", UINT64_MAX) != NULL);
    cJSON_AddStringToObject(o, "s", "a\"b");
    size_t len = 0;
    char *s = ms_json_print(o, &len);
    const char *want = "{\"zero\":0,\"four_g\":4294967296,\"big\":9007199254740993,"
                       "\"max\":18446744073709551615,\"s\":\"a\\\"b\"}";
    CHECK_STR(s, want);
    CHECK_INT(len, strlen(want));
    free(s);
    cJSON_Delete(o);

    cJSON *n = ms_json_u64(18446744073709551615ULL);
    CHECK(n != NULL && cJSON_IsRaw(n));
    s = ms_json_print(n, NULL);
    CHECK_STR(s, "18446744073709551615");
    free(s);
    cJSON_Delete(n);

    cJSON *a = cJSON_CreateArray();
    cJSON_AddItemToArray(a, ms_json_u64(0));
    cJSON_AddItemToArray(a, ms_json_u64(4294967296ULL));
    cJSON_AddItemToArray(a, ms_json_u64(9007199254740993ULL));
    len = 0;
    s = ms_json_print(a, &len);
    CHECK_STR(s, "[0,4294967296,9007199254740993]");
    CHECK_INT(len, 31);
    free(s);
    cJSON_Delete(a);

    /* The printed document parses back; values below 2^53 read exactly. */
    o = cJSON_CreateObject();
    ms_json_add_u64(o, "size", 9007199254740991ULL);
    s = ms_json_print(o, &len);
    cJSON *back = NULL;
    ms_error err;
    CHECK_INT(parse(s, &back, &err), MS_OK);
    uint64_t v = 0;
    CHECK_INT(ms_json_get_u64(back, "size", "x", &v, &err), MS_OK);
    CHECK(v == 9007199254740991ULL);
    cJSON_Delete(back);
    free(s);
    cJSON_Delete(o);

    /* Compact output keeps insertion order. */
    o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "z", "1");
    cJSON_AddItemToObject(o, "a", cJSON_CreateArray());
    cJSON_AddBoolToObject(o, "m", 0);
    s = ms_json_print(o, &len);
    CHECK_STR(s, "{\"z\":\"1\",\"a\":[],\"m\":false}");
    CHECK_INT(len, strlen("{\"z\":\"1\",\"a\":[],\"m\":false}"));
    free(s);
    cJSON_Delete(o);
}

int main(void)
{
    test_parse_valid();
    test_parse_invalid();
    test_nesting();
    test_duplicates();
    test_many_keys();
    test_get_string();
    test_get_u64();
    test_get_object_array();
    test_print_u64();
    return check_finish("test_json");
}
