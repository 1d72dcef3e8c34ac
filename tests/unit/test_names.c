/* Unit tests for core/names.c: semantic versions (semver.org 2.0.0) and model names. */
#include "check.h"
#include "modelseal/bundle.h"

#define CHECK_SEMVER_OK(s)                                                                         \
    CHECK_STR(ms_semver_problem(s) == NULL ? "valid" : ms_semver_problem(s), "valid")

/* Invalid, with the sentence (or a fragment of it) saying why. */
#define CHECK_SEMVER_BAD(s, fragment) CHECK_CONTAINS(ms_semver_problem(s), (fragment))

#define CHECK_NAME_OK(s)                                                                           \
    CHECK_STR(ms_name_problem(s) == NULL ? "valid" : ms_name_problem(s), "valid")

#define NEEDS_THREE "a version needs MAJOR.MINOR.PATCH with three numbers"
#define EXACTLY_THREE "a version has exactly three numbers, MAJOR.MINOR.PATCH"
#define NOT_NUMBERS "MAJOR, MINOR and PATCH must be numbers (like 1.2.3)"
#define LEADING_ZERO "MAJOR, MINOR and PATCH must not have leading zeros"
#define PRE_CHARS "a pre-release may only hold [0-9A-Za-z-] and dots"
#define BUILD_CHARS "build metadata may only hold [0-9A-Za-z-] and dots"
#define PRE_EMPTY_ID "an empty pre-release identifier"
#define BUILD_EMPTY_ID "an empty build identifier"
#define PRE_ZERO "a numeric pre-release identifier must not have leading zeros"

static void test_semver_valid(void)
{
    CHECK_SEMVER_OK("0.0.0");
    CHECK_SEMVER_OK("1.2.3");
    CHECK_SEMVER_OK("10.20.30");
    CHECK_SEMVER_OK("1.0.0-alpha");
    CHECK_SEMVER_OK("1.0.0-alpha.1");
    CHECK_SEMVER_OK("1.0.0-0.3.7");
    CHECK_SEMVER_OK("1.0.0-x.7.z.92");
    CHECK_SEMVER_OK("1.0.0-x-y-z.--");
    CHECK_SEMVER_OK("1.0.0+20130313144700");
    CHECK_SEMVER_OK("1.0.0-beta+exp.sha.5114f85");
    CHECK_SEMVER_OK("1.0.0+21AF26D3----117B344092BD");
    CHECK_SEMVER_OK("1.0.0+001");         /* build identifiers may have leading zeros */
    CHECK_SEMVER_OK("1.0.0-0A.is.legal"); /* alphanumeric, not numeric */
    CHECK_SEMVER_OK("1.0.0-0");
    CHECK_SEMVER_OK("1.2.3----RC-SNAPSHOT.12.9.1--.12+788");
    CHECK_SEMVER_OK("1.0.0-alpha-a.b-c-somethinglong+build.1-aef.1-its-okay");
    CHECK_SEMVER_OK("999999999999999999.0.0"); /* 18 digits */
    CHECK_SEMVER_OK("1.0.0+build-with-dash");
}

static void test_semver_invalid(void)
{
    CHECK_STR(ms_semver_problem(""), "a version must not be empty");
    CHECK_SEMVER_BAD("v1.2.3", "no leading 'v'");
    CHECK_SEMVER_BAD("V1.2.3", "no leading 'v'");
    CHECK_STR(ms_semver_problem("1.2"), NEEDS_THREE);
    CHECK_STR(ms_semver_problem("1"), NEEDS_THREE);
    CHECK_STR(ms_semver_problem("1..3"), NEEDS_THREE);
    CHECK_STR(ms_semver_problem("1.2."), NEEDS_THREE);
    CHECK_STR(ms_semver_problem(".1.2.3"), NEEDS_THREE);
    CHECK_STR(ms_semver_problem("1.2-SNAPSHOT"), NEEDS_THREE);
    CHECK_STR(ms_semver_problem("1.2.3.4"), EXACTLY_THREE);
    CHECK_STR(ms_semver_problem("1.2.3.DEV"), EXACTLY_THREE);
    CHECK_STR(ms_semver_problem("1.2.31.2.3----RC-SNAPSHOT.12.09.1--..12+788"), EXACTLY_THREE);
    CHECK_STR(ms_semver_problem("01.2.3"), LEADING_ZERO);
    CHECK_STR(ms_semver_problem("1.02.3"), LEADING_ZERO);
    CHECK_STR(ms_semver_problem("1.2.03"), LEADING_ZERO);
    CHECK_STR(ms_semver_problem("00.0.0"), LEADING_ZERO);
    CHECK_STR(ms_semver_problem("1.2.3 "), NOT_NUMBERS);
    CHECK_STR(ms_semver_problem(" 1.2.3"), NOT_NUMBERS);
    CHECK_STR(ms_semver_problem("1.2.3\n"), NOT_NUMBERS);
    CHECK_STR(ms_semver_problem("a.b.c"), NOT_NUMBERS);
    CHECK_STR(ms_semver_problem("1.2.x"), NOT_NUMBERS);
    CHECK_STR(ms_semver_problem("alpha"), NOT_NUMBERS);
    CHECK_SEMVER_BAD("-1.2.3", "MAJOR.MINOR.PATCH");
    CHECK_SEMVER_BAD("+invalid", "MAJOR.MINOR.PATCH");
    CHECK_STR(ms_semver_problem("1234567890123456789.0.0"), "a version number is too large");
    CHECK_STR(ms_semver_problem("1.2.3-"), "an empty pre-release after '-'");
    CHECK_STR(ms_semver_problem("1.2.3-+b"), "an empty pre-release after '-'");
    CHECK_STR(ms_semver_problem("1.2.3+"), "empty build metadata after '+'");
    CHECK_STR(ms_semver_problem("1.2.3-a+"), "empty build metadata after '+'");
    CHECK_STR(ms_semver_problem("1.2.3-01"), PRE_ZERO);
    CHECK_STR(ms_semver_problem("1.2.3-0123.0123"), PRE_ZERO);
    CHECK_STR(ms_semver_problem("1.2.3-a.00"), PRE_ZERO);
    CHECK_STR(ms_semver_problem("1.2.3-a..b"), PRE_EMPTY_ID);
    CHECK_STR(ms_semver_problem("1.2.3-a."), PRE_EMPTY_ID);
    CHECK_STR(ms_semver_problem("1.2.3-.a"), PRE_EMPTY_ID);
    CHECK_STR(ms_semver_problem("1.0.0-alpha...1"), PRE_EMPTY_ID);
    CHECK_STR(ms_semver_problem("1.1.2+.123"), BUILD_EMPTY_ID);
    CHECK_STR(ms_semver_problem("1.2.3+a..b"), BUILD_EMPTY_ID);
    CHECK_STR(ms_semver_problem("1.2.3-\xc3\xa9"), PRE_CHARS); /* 1.2.3-é */
    CHECK_STR(ms_semver_problem("1.2.3-a b"), PRE_CHARS);
    CHECK_STR(ms_semver_problem("1.0.0-alpha_beta"), PRE_CHARS);
    CHECK_STR(ms_semver_problem("1.2.3-a/b"), PRE_CHARS);
    CHECK_STR(ms_semver_problem("1.2.3+\xc3\xa9"), BUILD_CHARS);
    CHECK_STR(ms_semver_problem("9.8.7+meta+meta"), BUILD_CHARS);
    CHECK_STR(ms_semver_problem("9.8.7-whatever+meta+meta"), BUILD_CHARS);
    CHECK_STR(ms_semver_problem("1.2.3+a b"), BUILD_CHARS);

    char longv[300];
    memcpy(longv, "1.0.0-", 6);
    memset(longv + 6, 'a', 251);
    longv[257] = '\0'; /* 257 characters */
    CHECK_STR(ms_semver_problem(longv), "a version must be at most 256 characters");
    longv[256] = '\0'; /* 256 characters */
    CHECK(ms_semver_problem(longv) == NULL);
}

/* Sign of a comparison: -1, 0 or 1. */
static int sgn(int c)
{
    return (c > 0) - (c < 0);
}

#define CHECK_LT(a, b)                                                                             \
    do {                                                                                           \
        CHECK_INT(sgn(ms_semver_compare((a), (b))), -1);                                           \
        CHECK_INT(sgn(ms_semver_compare((b), (a))), 1);                                            \
    } while (0)
#define CHECK_EQ(a, b)                                                                             \
    do {                                                                                           \
        CHECK_INT(ms_semver_compare((a), (b)), 0);                                                 \
        CHECK_INT(ms_semver_compare((b), (a)), 0);                                                 \
    } while (0)

static void test_semver_compare(void)
{
    /* semver.org section 11: each one precedes all the ones after it. */
    static const char *chain[] = {
        "1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta",
        "1.0.0-beta",  "1.0.0-beta.2",  "1.0.0-beta.11",
        "1.0.0-rc.1",  "1.0.0",         "1.0.1",
        "1.1.0",       "2.0.0",
    };
    size_t n = sizeof chain / sizeof chain[0];
    for (size_t i = 0; i < n; i++) {
        CHECK(ms_semver_problem(chain[i]) == NULL);
        CHECK_INT(ms_semver_compare(chain[i], chain[i]), 0);
        for (size_t j = i + 1; j < n; j++) {
            if (sgn(ms_semver_compare(chain[i], chain[j])) != -1 ||
                sgn(ms_semver_compare(chain[j], chain[i])) != 1)
                fprintf(stderr, "order broken: %s vs %s\n", chain[i], chain[j]);
            CHECK_LT(chain[i], chain[j]);
        }
    }

    CHECK_LT("1.9.0", "1.10.0");
    CHECK_LT("1.0.9", "1.0.10");
    CHECK_LT("9.0.0", "10.0.0");
    CHECK_LT("1.99.99", "2.0.0");
    CHECK_LT("0.0.0", "0.0.1");
    /* Build metadata is ignored. */
    CHECK_EQ("1.0.0+a", "1.0.0+b");
    CHECK_EQ("1.0.0+a", "1.0.0");
    CHECK_EQ("1.0.0-alpha+001", "1.0.0-alpha+exp.sha.5114f85");
    CHECK_EQ("1.0.0+build-with-dash", "1.0.0");
    CHECK_EQ("1.0.0-rc.1", "1.0.0-rc.1+x.y");
    CHECK_LT("1.0.0-rc.1+build.5", "1.0.0");
    CHECK_LT("1.0.0-rc", "1.0.0+build-1");
    CHECK_LT("1.0.0-alpha+zzz", "1.0.0-alpha.1+aaa");
    /* Numeric identifiers compare numerically and before alphanumeric ones. */
    CHECK_LT("1.0.0-2", "1.0.0-10");
    CHECK_LT("1.0.0-99", "1.0.0-123456789012345678901234567890");
    CHECK_LT("1.0.0-1", "1.0.0-a");
    CHECK_LT("1.0.0-999", "1.0.0-0a");
    CHECK_LT("1.0.0-alpha.9", "1.0.0-alpha.10");
    CHECK_LT("1.0.0-alpha.1", "1.0.0-alpha.1.0");
    /* Alphanumeric identifiers compare in ASCII order. */
    CHECK_LT("1.0.0-a10", "1.0.0-a9");
    CHECK_LT("1.0.0-BETA", "1.0.0-alpha");
    CHECK_LT("1.0.0-alpha-1", "1.0.0-alpha-2");
    CHECK_LT("1.0.0-alpha", "1.0.0-alpha-1");
    CHECK_LT("1.0.0-a.b", "1.0.0-a.b.c");
    CHECK_EQ("1.0.0-x.7.z.92", "1.0.0-x.7.z.92");
    CHECK_LT("1.0.0-x.7.z.92", "1.0.0-x.7.z.93");
}

static void test_names(void)
{
    CHECK_NAME_OK("a");
    CHECK_NAME_OK("0model");
    CHECK_NAME_OK("llama-3.1_8b");
    CHECK_NAME_OK("resnet50");
    char n128[130];
    memset(n128, 'x', 128);
    n128[128] = '\0';
    CHECK_NAME_OK(n128);

    CHECK_STR(ms_name_problem(""), "a name must not be empty");
    n128[128] = 'x';
    n128[129] = '\0';
    CHECK_STR(ms_name_problem(n128), "a name must be at most 128 characters");
    CHECK_STR(ms_name_problem("Model"), "a name must start with a lower-case letter or a digit");
    CHECK_STR(ms_name_problem("-model"), "a name must start with a lower-case letter or a digit");
    CHECK_STR(ms_name_problem(".model"), "a name must start with a lower-case letter or a digit");
    CHECK_STR(ms_name_problem("_model"), "a name must start with a lower-case letter or a digit");
    CHECK_STR(ms_name_problem(" model"), "a name must start with a lower-case letter or a digit");
    CHECK_STR(ms_name_problem("/etc"), "a name must start with a lower-case letter or a digit");
    CHECK_STR(ms_name_problem("\xc3\xa9t\xc3\xa9"),
              "a name must start with a lower-case letter or a digit");
#define ONLY "a name may only hold a-z, 0-9, '.', '_' and '-'"
    CHECK_STR(ms_name_problem("myModel"), ONLY);
    CHECK_STR(ms_name_problem("my model"), ONLY);
    CHECK_STR(ms_name_problem("my/model"), ONLY);
    CHECK_STR(ms_name_problem("my:model"), ONLY);
    CHECK_STR(ms_name_problem("model@1"), ONLY);
    CHECK_STR(ms_name_problem("mod\xc3\xa8le"), ONLY);
    CHECK_STR(ms_name_problem("model\n"), ONLY);
    CHECK_STR(ms_name_problem("a\\b"), ONLY);
#undef ONLY
}

int main(void)
{
    test_semver_valid();
    test_semver_invalid();
    test_semver_compare();
    test_names();
    /* The library's own version is a valid semantic version. */
    CHECK(ms_version() != NULL && ms_semver_problem(ms_version()) == NULL);
    return check_finish("test_names");
}
