/*
 * Model licenses (policy/spdx_models.c): the built-in LicenseRef- table,
 * the Hugging Face hub mapping and the license flags, against the tables
 * of docs/licenses.md.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "policy/spdx.h"
#include "policy/spdx_internal.h"

static int ci_cmp(const char *a, const char *b)
{
    for (;; a++, b++) {
        int x = (*a >= 'A' && *a <= 'Z') ? *a - 'A' + 'a' : *a;
        int y = (*b >= 'A' && *b <= 'Z') ? *b - 'A' + 'a' : *b;
        if (x != y || x == 0)
            return x - y;
    }
}

/* The expression parses, is canonical and draws no warning. */
static void check_expression(const char *text)
{
    ms_spdx_expr *e = NULL;
    ms_error err;
    check_count++;
    if (ms_spdx_parse(text, &e, &err) != MS_OK) {
        check_failures++;
        fprintf(stderr, "\"%s\" does not parse: %s\n", text, err.message);
        return;
    }
    CHECK_STR(ms_spdx_canonical(e), text);
    CHECK_STR(ms_spdx_warnings(e), "");
    ms_spdx_free(e);
}

static void test_refs(void)
{
    size_t n = 0;
    const ms_spdx_ref_info *t = ms_spdx_ref_table(&n);
    CHECK_INT(n, 14);
    for (size_t i = 0; i < n; i++) {
        CHECK(strncmp(t[i].id, "LicenseRef-", 11) == 0);
        check_expression(t[i].id);
        CHECK(strncmp(t[i].url, "https://", 8) == 0);
        CHECK(t[i].name[0] != '\0' && t[i].nature[0] != '\0');
        /* Every model license here restricts use and asks for a notice. */
        CHECK((t[i].flags & MS_LICENSE_USE_RESTRICTED) != 0);
        CHECK((t[i].flags & MS_LICENSE_ATTRIBUTION) != 0);
        CHECK((t[i].flags & MS_LICENSE_UNKNOWN) == 0);
        CHECK_INT(ms_spdx_license_flags(t[i].id), t[i].flags);
        CHECK_STR(ms_spdx_license_flags_reason(t[i].id), t[i].nature);
        CHECK(ms_spdx_ref_lookup(t[i].id) == &t[i]);
        if (i > 0)
            CHECK(ci_cmp(t[i - 1].id, t[i].id) < 0);
    }
    const char *required[] = {"LicenseRef-Llama-2-Community", "LicenseRef-Llama-3-Community",
                              "LicenseRef-Llama-3.1-Community", "LicenseRef-Llama-3.2-Community",
                              "LicenseRef-Llama-3.3-Community", "LicenseRef-OpenRAIL-M",
                              "LicenseRef-CreativeML-OpenRAIL-M", "LicenseRef-BigScience-OpenRAIL-M",
                              "LicenseRef-Gemma-Terms"};
    for (size_t i = 0; i < sizeof required / sizeof required[0]; i++)
        CHECK(ms_spdx_ref_lookup(required[i]) != NULL);
    CHECK_STR(ms_spdx_ref_lookup("licenseref-gemma-terms")->id, "LicenseRef-Gemma-Terms");
    CHECK_STR(ms_spdx_ref_lookup("LicenseRef-Gemma-Terms")->url, "https://ai.google.dev/gemma/terms");
    CHECK(ms_spdx_ref_lookup("LicenseRef-Gemma") == NULL);
    CHECK(ms_spdx_ref_lookup(NULL) == NULL);
    CHECK_INT(ms_spdx_license_flags("LicenseRef-DeepFloyd-IF"),
              MS_LICENSE_NONCOMMERCIAL | MS_LICENSE_USE_RESTRICTED | MS_LICENSE_ATTRIBUTION);
}

typedef struct hf_case {
    const char *license, *name, *want;
} hf_case;

static void test_hf(void)
{
    static const hf_case cases[] = {
        {"apache-2.0", NULL, "Apache-2.0"},
        {"mit", NULL, "MIT"},
        {"MIT", NULL, "MIT"},
        {"llama2", NULL, "LicenseRef-Llama-2-Community"},
        {"llama3", NULL, "LicenseRef-Llama-3-Community"},
        {"llama3.1", NULL, "LicenseRef-Llama-3.1-Community"},
        {"llama3.2", NULL, "LicenseRef-Llama-3.2-Community"},
        {"llama3.3", NULL, "LicenseRef-Llama-3.3-Community"},
        {"llama4", NULL, "LicenseRef-Llama-4-Community"},
        {"openrail", NULL, "LicenseRef-OpenRAIL-M"},
        {"openrail++", NULL, "LicenseRef-OpenRAILpp-M"},
        {"creativeml-openrail-m", NULL, "LicenseRef-CreativeML-OpenRAIL-M"},
        {"bigscience-openrail-m", NULL, "LicenseRef-BigScience-OpenRAIL-M"},
        {"bigscience-bloom-rail-1.0", NULL, "LicenseRef-BigScience-BLOOM-RAIL-1.0"},
        {"bigcode-openrail-m", NULL, "LicenseRef-BigCode-OpenRAIL-M"},
        {"gemma", NULL, "LicenseRef-Gemma-Terms"},
        {"cc-by-nc-4.0", NULL, "CC-BY-NC-4.0"},
        {"cc-by-4.0", NULL, "CC-BY-4.0"},
        {"cc-by-sa-4.0", NULL, "CC-BY-SA-4.0"},
        {"bsd-3-clause", NULL, "BSD-3-Clause"},
        {"gpl-3.0", NULL, "GPL-3.0-only"},
        {"gpl-2.0", NULL, "GPL-2.0-only"},
        {"agpl-3.0", NULL, "AGPL-3.0-only"},
        {"lgpl-2.1", NULL, "LGPL-2.1-only"},
        {"lgpl-lr", NULL, "LGPLLR"},
        {"odbl", NULL, "ODbL-1.0"},
        {"odc-by", NULL, "ODC-By-1.0"},
        {"pddl", NULL, "PDDL-1.0"},
        {"c-uda", NULL, "C-UDA-1.0"},
        {"postgresql", NULL, "PostgreSQL"},
        /* Ambiguous families and non-answers. */
        {"gpl", NULL, NULL},
        {"lgpl", NULL, NULL},
        {"gfdl", NULL, NULL},
        {"bsd", NULL, NULL},
        {"cc", NULL, NULL},
        {"unknown", NULL, NULL},
        {"unknown", "whatever", NULL},
        {"", NULL, NULL},
        {NULL, NULL, NULL},
        {"no-such-license", NULL, NULL},
        {"apache2", NULL, NULL},
        /* The general rule: an SPDX id in any case. */
        {"bsd-2-clause-patent", NULL, "BSD-2-Clause-Patent"},
        {"mit-0", NULL, "MIT-0"},
        {"cc-by-nc-nd-3.0-igo", NULL, "CC-BY-NC-ND-3.0-IGO"},
        {"gpl-3.0-or-later", NULL, "GPL-3.0-or-later"},
        /* "other" with license_name. */
        {"other", NULL, NULL},
        {"other", "", NULL},
        {"other", "coqui-public-model-license", "LicenseRef-coqui-public-model-license"},
        {"Other", "Coqui Public Model License", "LicenseRef-Coqui-Public-Model-License"},
        {"other", "  my_license (v2.1) ", "LicenseRef-my-license-v2.1"},
        {"other", "a--b__c", "LicenseRef-a-b-c"},
        {"other", "tongyi-qianwen", "LicenseRef-tongyi-qianwen"},
        {"other", "mod\xc3\xa8le", "LicenseRef-mod-le"},
        {"other", "___", NULL},
        {"other", "---", NULL},
        {"other", "llama3", "LicenseRef-Llama-3-Community"},
        {"other", "MIT", "MIT"},
        {"other", "gpl", NULL},
        {"other", "gemma-terms", "LicenseRef-Gemma-Terms"},
        {"other", "LLAMA-2-COMMUNITY", "LicenseRef-Llama-2-Community"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *got = ms_spdx_from_hf(cases[i].license, cases[i].name);
        check_count++;
        if ((got == NULL) != (cases[i].want == NULL) || (got != NULL && strcmp(got, cases[i].want) != 0)) {
            check_failures++;
            fprintf(stderr, "ms_spdx_from_hf(\"%s\", \"%s\") = \"%s\", expected \"%s\"\n",
                    cases[i].license ? cases[i].license : "(null)", cases[i].name ? cases[i].name : "(null)",
                    got ? got : "(null)", cases[i].want ? cases[i].want : "(null)");
        }
        if (got != NULL)
            check_expression(got);
    }
    /* 128 bytes of name are kept, 129 are refused. */
    char name[200], want[256];
    memset(name, 'n', 128);
    name[128] = '\0';
    snprintf(want, sizeof want, "LicenseRef-%s", name);
    CHECK_STR(ms_spdx_from_hf("other", name), want);
    check_expression(want);
    name[128] = 'n';
    name[129] = '\0';
    CHECK(ms_spdx_from_hf("other", name) == NULL);

    /* Every table entry maps to a canonical expression, and ids are sorted and lower case. */
    size_t n = 0;
    const ms_spdx_hf_entry *t = ms_spdx_hf_table(&n);
    CHECK(n >= 70);
    for (size_t i = 0; i < n; i++) {
        for (const char *c = t[i].hf; *c != '\0'; c++)
            CHECK(!(*c >= 'A' && *c <= 'Z'));
        if (i > 0)
            CHECK(strcmp(t[i - 1].hf, t[i].hf) < 0);
        if (t[i].spdx != NULL) {
            check_expression(t[i].spdx);
            CHECK_STR(ms_spdx_from_hf(t[i].hf, NULL), t[i].spdx);
            /* Entries the general rule would give are listed for the docs; they must agree with it. */
            const char *general = ms_spdx_license_id(t[i].hf);
            if (general != NULL && !ms_spdx_license_deprecated(general))
                CHECK_STR(t[i].spdx, general);
        }
    }
}

typedef struct flag_case {
    const char *id;
    int flags;
} flag_case;

static void test_flags(void)
{
    enum {
        NC = MS_LICENSE_NONCOMMERCIAL,
        SA = MS_LICENSE_SHAREALIKE,
        CL = MS_LICENSE_COPYLEFT,
        WEAK = MS_LICENSE_COPYLEFT_WEAK,
        NET = MS_LICENSE_COPYLEFT_NETWORK,
        AT = MS_LICENSE_ATTRIBUTION,
        UR = MS_LICENSE_USE_RESTRICTED,
        ND = MS_LICENSE_NO_DERIVATIVES,
        UN = MS_LICENSE_UNKNOWN,
    };
    static const flag_case cases[] = {
        {"MIT", AT},
        {"mit", AT},
        {"Apache-2.0", AT},
        {"Apache-2.0+", AT},
        {"BSD-3-Clause", AT},
        {"BSD-2-Clause-Patent", AT},
        {"ISC", AT},
        {"Zlib", AT},
        {"MIT-CMU", AT},
        {"CC-BY-4.0", AT},
        {"CC-BY-3.0-IGO", AT},
        {"CC-BY-NC-4.0", AT | NC},
        {"CC-BY-SA-4.0", AT | SA},
        {"CC-BY-NC-SA-4.0", AT | NC | SA},
        {"CC-BY-NC-SA-2.0-FR", AT | NC | SA},
        {"CC-BY-ND-4.0", AT | ND},
        {"CC-BY-NC-ND-4.0", AT | NC | ND},
        {"CC-SA-1.0", SA},
        {"CC0-1.0", 0},
        {"CC-PDDC", 0},
        {"Unlicense", 0},
        {"0BSD", 0},
        {"MIT-0", 0},
        {"WTFPL", 0},
        {"PDDL-1.0", 0},
        {"GPL-2.0-only", CL | AT},
        {"GPL-3.0-or-later", CL | AT},
        {"GPL-2.0+", CL | AT},
        {"GPL-2.0", CL | AT},
        {"GPL-2.0-with-classpath-exception", CL | AT},
        {"AGPL-3.0-only", CL | NET | AT},
        {"SSPL-1.0", CL | NET | AT},
        {"OSL-3.0", CL | NET | AT},
        {"OSL-2.1", CL | AT},
        {"EUPL-1.2", CL | AT},
        {"LGPL-2.1-only", CL | WEAK | AT},
        {"LGPL-3.0-or-later", CL | WEAK | AT},
        {"MPL-2.0", CL | WEAK | AT},
        {"MPL-2.0-no-copyleft-exception", CL | WEAK | AT},
        {"EPL-2.0", CL | WEAK | AT},
        {"CDDL-1.0", CL | WEAK | AT},
        {"OFL-1.1", CL | WEAK | AT},
        {"CECILL-2.1", CL | AT},
        {"CECILL-C", CL | WEAK | AT},
        {"CECILL-B", AT},
        {"ODbL-1.0", SA | AT},
        {"CDLA-Sharing-1.0", SA | AT},
        {"CDLA-Permissive-2.0", AT},
        {"JSON", UR | AT},
        {"Hippocratic-2.1", UR | AT},
        {"BSD-3-Clause-No-Military-License", UR | AT},
        {"BSD-3-Clause-No-Nuclear-Warranty", AT},
        {"BSD-Protection", UN},
        {"Beerware", UN},
        {"LPPL-1.3c", UN},
        {"LicenseRef-Llama-2-Community", UR | AT},
        {"LicenseRef-Llama-3-Community", UR | AT},
        {"LicenseRef-OpenRAIL-M", UR | AT},
        {"LicenseRef-Gemma-Terms", UR | AT},
        {"licenseref-gemma-terms", UR | AT},
        {"LicenseRef-my-own", UN},
        {"DocumentRef-x:LicenseRef-Gemma-Terms", UN},
        {"Apache2.0", UN},
        {"", UN},
        {NULL, UN},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int got = ms_spdx_license_flags(cases[i].id);
        check_count++;
        if (got != cases[i].flags) {
            check_failures++;
            fprintf(stderr, "flags(\"%s\") = 0x%03x, expected 0x%03x\n", cases[i].id ? cases[i].id : "(null)",
                    (unsigned)got, (unsigned)cases[i].flags);
        }
        CHECK(ms_spdx_license_flags_reason(cases[i].id) != NULL);
    }
    CHECK_STR(ms_spdx_license_flags_reason("MIT"), "permissive: copies must keep the copyright and license notice");
    CHECK_STR(ms_spdx_license_flags_reason("Beerware"), "not classified by modelseal: review the license text");
    CHECK_STR(ms_spdx_license_flags_reason("LicenseRef-x"), "a LicenseRef not in modelseal's table: review the license text");

    /* Weak and network copyleft always come with COPYLEFT; UNKNOWN always alone. */
    for (size_t i = 0; i < ms_spdx_license_count; i++) {
        int f = ms_spdx_license_flags(ms_spdx_licenses[i].id);
        if (f & (MS_LICENSE_COPYLEFT_WEAK | MS_LICENSE_COPYLEFT_NETWORK))
            CHECK(f & MS_LICENSE_COPYLEFT);
        CHECK((f & MS_LICENSE_COPYLEFT_WEAK) == 0 || (f & MS_LICENSE_COPYLEFT_NETWORK) == 0);
        if (f & MS_LICENSE_UNKNOWN)
            CHECK_INT(f, MS_LICENSE_UNKNOWN);
        /* Every CC-*-NC-* id is non-commercial. */
        if (strncmp(ms_spdx_licenses[i].id, "CC-", 3) == 0 && strstr(ms_spdx_licenses[i].id, "-NC-") != NULL)
            CHECK(f & MS_LICENSE_NONCOMMERCIAL);
    }
}

/* Flag names as audit reports print them; one bit at a time only. */
static void test_flag_names(void)
{
    CHECK_STR(ms_spdx_license_flag_name(MS_LICENSE_NONCOMMERCIAL), "noncommercial");
    CHECK_STR(ms_spdx_license_flag_name(MS_LICENSE_SHAREALIKE), "sharealike");
    CHECK_STR(ms_spdx_license_flag_name(MS_LICENSE_COPYLEFT), "copyleft");
    CHECK_STR(ms_spdx_license_flag_name(MS_LICENSE_COPYLEFT_WEAK), "copyleft-weak");
    CHECK_STR(ms_spdx_license_flag_name(MS_LICENSE_COPYLEFT_NETWORK), "copyleft-network");
    CHECK_STR(ms_spdx_license_flag_name(MS_LICENSE_ATTRIBUTION), "attribution");
    CHECK_STR(ms_spdx_license_flag_name(MS_LICENSE_USE_RESTRICTED), "use-restricted");
    CHECK_STR(ms_spdx_license_flag_name(MS_LICENSE_NO_DERIVATIVES), "no-derivatives");
    CHECK_STR(ms_spdx_license_flag_name(MS_LICENSE_UNKNOWN), "unknown");
    CHECK(ms_spdx_license_flag_name(0) == NULL);
    CHECK(ms_spdx_license_flag_name(MS_LICENSE_COPYLEFT | MS_LICENSE_ATTRIBUTION) == NULL);
    CHECK(ms_spdx_license_flag_name(0x200) == NULL);
}

int main(void)
{
    test_flag_names();
    test_refs();
    test_hf();
    test_flags();
    return check_finish("test_licenses");
}
