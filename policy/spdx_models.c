/*
 * Model licenses: the built-in LicenseRef- table, the Hugging Face hub
 * license ids, and the license classification (flags) used by license
 * propagation.  docs/licenses.md documents every table here; keep them in
 * step.
 */
#include <string.h>

#include "policy/spdx.h"
#include "policy/spdx_internal.h"

static char lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

static int equal_ci(const char *a, const char *b)
{
    for (; *a != '\0' && *b != '\0'; a++, b++)
        if (lower(*a) != lower(*b))
            return 0;
    return *a == *b;
}

static int prefix_ci(const char *s, const char *prefix)
{
    for (; *prefix != '\0'; s++, prefix++)
        if (lower(*s) != *prefix) /* also stops at the end of s */
            return 0;
    return 1;
}

static int is_name_char(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.';
}

/* ------------------------------------------------------ built-in LicenseRefs */

#define RAIL (MS_LICENSE_USE_RESTRICTED | MS_LICENSE_ATTRIBUTION)

/* Sorted by id, case-insensitively. */
static const ms_spdx_ref_info ref_table[] = {
    {"LicenseRef-BigCode-OpenRAIL-M", "BigCode Open RAIL-M License Agreement v1",
     "https://huggingface.co/spaces/bigcode/bigcode-model-license-agreement", RAIL,
     "Responsible AI license: use restrictions (Attachment A) bind every user and must be passed on "
     "in every distribution and derivative; otherwise royalty-free, commercial use allowed."},
    {"LicenseRef-BigScience-BLOOM-RAIL-1.0", "BigScience RAIL License v1.0",
     "https://huggingface.co/spaces/bigscience/license", RAIL,
     "Responsible AI license of BLOOM: use restrictions (Attachment A) that must be passed on to "
     "every downstream user and derivative."},
    {"LicenseRef-BigScience-OpenRAIL-M", "BigScience Open RAIL-M License",
     "https://www.licenses.ai/blog/2022/8/26/bigscience-open-rail-m-license", RAIL,
     "Responsible AI license: use restrictions (Attachment A) that must be passed on to every "
     "downstream user and derivative."},
    {"LicenseRef-CreativeML-OpenRAIL-M", "CreativeML Open RAIL-M License",
     "https://huggingface.co/spaces/CompVis/stable-diffusion-license", RAIL,
     "Responsible AI license of Stable Diffusion 1.x: use restrictions (Attachment A) that must be "
     "passed on to every downstream user and derivative."},
    {"LicenseRef-DeepFloyd-IF", "DeepFloyd IF License Agreement",
     "https://huggingface.co/spaces/DeepFloyd/deepfloyd-if-license",
     MS_LICENSE_NONCOMMERCIAL | RAIL,
     "Non-commercial research use only, with use restrictions passed on to derivatives."},
    {"LicenseRef-Gemma-Terms", "Gemma Terms of Use", "https://ai.google.dev/gemma/terms", RAIL,
     "Google's Prohibited Use Policy binds every user; distributions must pass the use "
     "restrictions on and carry a notice."},
    {"LicenseRef-Llama-2-Community", "Llama 2 Community License Agreement",
     "https://github.com/meta-llama/llama/blob/main/LICENSE", RAIL,
     "Acceptable Use Policy; products above 700 million monthly active users need a separate "
     "license from Meta; outputs may not be used to improve other large language models."},
    {"LicenseRef-Llama-3-Community", "Meta Llama 3 Community License Agreement",
     "https://github.com/meta-llama/llama3/blob/main/LICENSE", RAIL,
     "Acceptable Use Policy; 700 million monthly active users clause; \"Built with Meta Llama 3\" "
     "attribution; derived models' names must begin with \"Llama 3\"."},
    {"LicenseRef-Llama-3.1-Community", "Llama 3.1 Community License Agreement",
     "https://github.com/meta-llama/llama-models/blob/main/models/llama3_1/LICENSE", RAIL,
     "Acceptable Use Policy; 700 million monthly active users clause; \"Built with Llama\" "
     "attribution; derived models' names must begin with \"Llama\"."},
    {"LicenseRef-Llama-3.2-Community", "Llama 3.2 Community License Agreement",
     "https://github.com/meta-llama/llama-models/blob/main/models/llama3_2/LICENSE", RAIL,
     "As Llama 3.1; the Acceptable Use Policy also withholds the multimodal models' rights from "
     "individuals and companies domiciled in the European Union."},
    {"LicenseRef-Llama-3.3-Community", "Llama 3.3 Community License Agreement",
     "https://github.com/meta-llama/llama-models/blob/main/models/llama3_3/LICENSE", RAIL,
     "Acceptable Use Policy; 700 million monthly active users clause; \"Built with Llama\" "
     "attribution; derived models' names must begin with \"Llama\"."},
    {"LicenseRef-Llama-4-Community", "Llama 4 Community License Agreement",
     "https://github.com/meta-llama/llama-models/blob/main/models/llama4/LICENSE", RAIL,
     "Acceptable Use Policy; 700 million monthly active users clause; \"Built with Llama\" "
     "attribution; derived models' names must begin with \"Llama\"."},
    {"LicenseRef-OpenRAIL-M", "Open RAIL-M license family (Hugging Face id \"openrail\")",
     "https://huggingface.co/blog/open_rail", RAIL,
     "A Responsible AI license of the Open RAIL-M family: use restrictions that must be passed on "
     "to every downstream user and derivative; the exact text is the model's own."},
    {"LicenseRef-OpenRAILpp-M", "CreativeML Open RAIL++-M License (Hugging Face id \"openrail++\")",
     "https://github.com/Stability-AI/generative-models/blob/main/model_licenses/LICENSE-SDXL1.0", RAIL,
     "Responsible AI license of Stable Diffusion XL: use restrictions (Attachment A) that must be "
     "passed on to every downstream user and derivative."},
};

#define REF_COUNT (sizeof ref_table / sizeof ref_table[0])

const ms_spdx_ref_info *ms_spdx_ref_lookup(const char *ref)
{
    if (ref == NULL)
        return NULL;
    for (size_t i = 0; i < REF_COUNT; i++)
        if (equal_ci(ref, ref_table[i].id))
            return &ref_table[i];
    return NULL;
}

const ms_spdx_ref_info *ms_spdx_ref_table(size_t *count)
{
    if (count != NULL)
        *count = REF_COUNT;
    return ref_table;
}

/* ------------------------------------------------------------ classification */

typedef struct flag_rule {
    const char *pattern;
    int prefix; /* pattern is a prefix of the id, else the whole id */
    int flags;
    const char *reason;
} flag_rule;

#define ATTR MS_LICENSE_ATTRIBUTION
#define STRONG (MS_LICENSE_COPYLEFT | MS_LICENSE_ATTRIBUTION)
#define WEAK (MS_LICENSE_COPYLEFT | MS_LICENSE_COPYLEFT_WEAK | MS_LICENSE_ATTRIBUTION)
#define NETWORK (MS_LICENSE_COPYLEFT | MS_LICENSE_COPYLEFT_NETWORK | MS_LICENSE_ATTRIBUTION)

static const char *const R_FREE = "public-domain dedication or license without conditions";
static const char *const R_PERMISSIVE = "permissive: copies must keep the copyright and license notice";
static const char *const R_STRONG = "strong copyleft: derived works are licensed as a whole under the same terms";
static const char *const R_WEAK = "weak copyleft: changes to the covered files or library stay under the license, "
                                  "larger works may use other terms";
static const char *const R_NETWORK = "strong copyleft that also counts use over a network (offering it as a "
                                     "service) as distribution";

/* First match wins; CC-BY-* and CC-SA-* are decided by their parts (cc_flags). */
static const flag_rule rules[] = {
    {"0BSD", 0, 0, R_FREE},
    {"CC0-1.0", 0, 0, R_FREE},
    {"CC-PDDC", 0, 0, R_FREE},
    {"CC-PDM-1.0", 0, 0, R_FREE},
    {"MIT-0", 0, 0, R_FREE},
    {"PDDL-1.0", 0, 0, R_FREE},
    {"Unlicense", 0, 0, R_FREE},
    {"WTFPL", 0, 0, R_FREE},
    {"BSD-3-Clause-No-Military-License", 0, MS_LICENSE_USE_RESTRICTED | ATTR,
     "BSD terms with a ban on military use"},
    {"BSD-3-Clause-No-Nuclear-License", 0, MS_LICENSE_USE_RESTRICTED | ATTR,
     "BSD terms; not licensed for use in nuclear facilities"},
    {"BSD-3-Clause-No-Nuclear-License-2014", 0, MS_LICENSE_USE_RESTRICTED | ATTR,
     "BSD terms; not licensed for use in nuclear facilities"},
    {"Hippocratic-2.1", 0, MS_LICENSE_USE_RESTRICTED | ATTR,
     "forbids uses that violate its human-rights standards"},
    {"JSON", 0, MS_LICENSE_USE_RESTRICTED | ATTR, "MIT terms plus \"shall be used for Good, not Evil\""},
    {"BSD-Protection", 0, MS_LICENSE_UNKNOWN,
     "unlike the other BSD licenses it has copyleft-like conditions: review by hand"},
    {"AGPL-", 1, NETWORK, R_NETWORK},
    {"SSPL-1.0", 0, NETWORK, R_NETWORK},
    {"OSL-3.0", 0, NETWORK, R_NETWORK},
    {"RPL-", 1, NETWORK, R_NETWORK},
    {"OSL-", 1, STRONG, R_STRONG},
    {"LGPL-", 1, WEAK, R_WEAK},
    {"LGPLLR", 0, WEAK, R_WEAK},
    {"GPL-", 1, STRONG, R_STRONG},
    {"EUPL-", 1, STRONG, R_STRONG},
    {"CECILL-B", 0, ATTR, R_PERMISSIVE},
    {"CECILL-C", 0, WEAK, R_WEAK},
    {"CECILL-", 1, STRONG, R_STRONG},
    {"Sleepycat", 0, STRONG, R_STRONG},
    {"MPL-", 1, WEAK, R_WEAK},
    {"EPL-", 1, WEAK, R_WEAK},
    {"CDDL-", 1, WEAK, R_WEAK},
    {"CPL-1.0", 0, WEAK, R_WEAK},
    {"MS-RL", 0, WEAK, R_WEAK},
    {"OFL-", 1, WEAK, "fonts: modified fonts stay under the OFL, software using them may use other terms"},
    {"ODbL-1.0", 0, MS_LICENSE_SHAREALIKE | ATTR, "share-alike data license: adapted databases under the same terms"},
    {"CDLA-Sharing-1.0", 0, MS_LICENSE_SHAREALIKE | ATTR,
     "share-alike data license: shared data under the same terms"},
    {"Apache-", 1, ATTR, R_PERMISSIVE},
    {"MIT", 0, ATTR, R_PERMISSIVE},
    {"MIT-", 1, ATTR, R_PERMISSIVE},
    {"MITNFA", 0, ATTR, R_PERMISSIVE},
    {"X11", 0, ATTR, R_PERMISSIVE},
    {"BSD-", 1, ATTR, R_PERMISSIVE},
    {"ISC", 0, ATTR, R_PERMISSIVE},
    {"Zlib", 0, ATTR, R_PERMISSIVE},
    {"BSL-1.0", 0, ATTR, R_PERMISSIVE},
    {"PostgreSQL", 0, ATTR, R_PERMISSIVE},
    {"NCSA", 0, ATTR, R_PERMISSIVE},
    {"AFL-", 1, ATTR, R_PERMISSIVE},
    {"ECL-", 1, ATTR, R_PERMISSIVE},
    {"Artistic-2.0", 0, ATTR, R_PERMISSIVE},
    {"PSF-2.0", 0, ATTR, R_PERMISSIVE},
    {"Python-2.0", 0, ATTR, R_PERMISSIVE},
    {"UPL-1.0", 0, ATTR, R_PERMISSIVE},
    {"Unicode-3.0", 0, ATTR, R_PERMISSIVE},
    {"BlueOak-1.0.0", 0, ATTR, R_PERMISSIVE},
    {"MS-PL", 0, ATTR, R_PERMISSIVE},
    {"CDLA-Permissive-", 1, ATTR, "permissive data license: keep the license text with shared data"},
    {"ODC-By-1.0", 0, ATTR, "attribution data license"},
    {"etalab-2.0", 0, ATTR, "French open licence: credit the source"},
};

#define RULE_COUNT (sizeof rules / sizeof rules[0])

static const char *const R_CC = "Creative Commons: BY requires credit, NC forbids commercial use, SA requires "
                                "adaptations under the same license, ND forbids sharing adaptations";
static const char *const R_UNLISTED = "not classified by modelseal: review the license text";
static const char *const R_REF = "a LicenseRef not in modelseal's table: review the license text";
static const char *const R_NOT_ID = "not a license id of the SPDX list nor a LicenseRef";

/* CC-BY-*, CC-SA-*: the flags of the dash-separated parts after "CC-"; -1 for other ids. */
static int cc_flags(const char *id)
{
    if (strncmp(id, "CC-BY-", 6) != 0 && strncmp(id, "CC-SA-", 6) != 0)
        return -1;
    int flags = 0;
    const char *part = id + 3;
    while (*part != '\0') {
        size_t n = strcspn(part, "-");
        if (n == 2 && memcmp(part, "BY", 2) == 0)
            flags |= MS_LICENSE_ATTRIBUTION;
        else if (n == 2 && memcmp(part, "NC", 2) == 0)
            flags |= MS_LICENSE_NONCOMMERCIAL;
        else if (n == 2 && memcmp(part, "SA", 2) == 0)
            flags |= MS_LICENSE_SHAREALIKE;
        else if (n == 2 && memcmp(part, "ND", 2) == 0)
            flags |= MS_LICENSE_NO_DERIVATIVES;
        part += n;
        if (*part == '-')
            part++;
    }
    return flags;
}

/* Classify; *reason gets the sentence. */
static int classify(const char *id, const char **reason)
{
    if (id == NULL) {
        *reason = R_NOT_ID;
        return MS_LICENSE_UNKNOWN;
    }
    const ms_spdx_ref_info *ref = ms_spdx_ref_lookup(id);
    if (ref != NULL) {
        *reason = ref->nature;
        return ref->flags;
    }
    if (prefix_ci(id, "licenseref-") || prefix_ci(id, "documentref-")) {
        *reason = R_REF;
        return MS_LICENSE_UNKNOWN;
    }
    size_t n = strlen(id);
    const ms_spdx_license_entry *e = ms_spdx_find_license(id, n);
    if (e == NULL && n > 1 && id[n - 1] == '+')
        e = ms_spdx_find_license(id, n - 1);
    if (e == NULL) {
        *reason = R_NOT_ID;
        return MS_LICENSE_UNKNOWN;
    }
    /* "GPL-2.0+" is an entry of its own: classify its base id. */
    char base[256];
    size_t bn = strlen(e->id);
    if (bn >= sizeof base)
        bn = sizeof base - 1;
    memcpy(base, e->id, bn);
    base[bn] = '\0';
    if (bn > 1 && base[bn - 1] == '+')
        base[bn - 1] = '\0';
    int cc = cc_flags(base);
    if (cc >= 0) {
        *reason = R_CC;
        return cc;
    }
    for (size_t i = 0; i < RULE_COUNT; i++) {
        const flag_rule *r = &rules[i];
        if (r->prefix ? strncmp(base, r->pattern, strlen(r->pattern)) == 0 : strcmp(base, r->pattern) == 0) {
            *reason = r->reason;
            return r->flags;
        }
    }
    *reason = R_UNLISTED;
    return MS_LICENSE_UNKNOWN;
}

int ms_spdx_license_flags(const char *canonical_id_or_ref)
{
    const char *reason;
    return classify(canonical_id_or_ref, &reason);
}

const char *ms_spdx_license_flags_reason(const char *canonical_id_or_ref)
{
    const char *reason;
    classify(canonical_id_or_ref, &reason);
    return reason;
}

/* ------------------------------------------------------------- Hugging Face */

/*
 * Every license id the hub offers, with its expression; NULL marks ids
 * that name a family rather than one license.  Ids not listed map by the
 * general rule (an SPDX id, any case) or not at all.
 */
static const ms_spdx_hf_entry hf_table[] = {
    {"afl-3.0", "AFL-3.0"},
    {"agpl-3.0", "AGPL-3.0-only"},
    {"apache-2.0", "Apache-2.0"},
    {"artistic-2.0", "Artistic-2.0"},
    {"bigcode-openrail-m", "LicenseRef-BigCode-OpenRAIL-M"},
    {"bigscience-bloom-rail-1.0", "LicenseRef-BigScience-BLOOM-RAIL-1.0"},
    {"bigscience-openrail-m", "LicenseRef-BigScience-OpenRAIL-M"},
    {"bsd", NULL},
    {"bsd-2-clause", "BSD-2-Clause"},
    {"bsd-3-clause", "BSD-3-Clause"},
    {"bsd-3-clause-clear", "BSD-3-Clause-Clear"},
    {"bsl-1.0", "BSL-1.0"},
    {"c-uda", "C-UDA-1.0"},
    {"cc", NULL},
    {"cc-by-2.0", "CC-BY-2.0"},
    {"cc-by-2.5", "CC-BY-2.5"},
    {"cc-by-3.0", "CC-BY-3.0"},
    {"cc-by-4.0", "CC-BY-4.0"},
    {"cc-by-nc-2.0", "CC-BY-NC-2.0"},
    {"cc-by-nc-3.0", "CC-BY-NC-3.0"},
    {"cc-by-nc-4.0", "CC-BY-NC-4.0"},
    {"cc-by-nc-nd-3.0", "CC-BY-NC-ND-3.0"},
    {"cc-by-nc-nd-4.0", "CC-BY-NC-ND-4.0"},
    {"cc-by-nc-sa-2.0", "CC-BY-NC-SA-2.0"},
    {"cc-by-nc-sa-3.0", "CC-BY-NC-SA-3.0"},
    {"cc-by-nc-sa-4.0", "CC-BY-NC-SA-4.0"},
    {"cc-by-nd-4.0", "CC-BY-ND-4.0"},
    {"cc-by-sa-3.0", "CC-BY-SA-3.0"},
    {"cc-by-sa-4.0", "CC-BY-SA-4.0"},
    {"cc0-1.0", "CC0-1.0"},
    {"cdla-permissive-1.0", "CDLA-Permissive-1.0"},
    {"cdla-permissive-2.0", "CDLA-Permissive-2.0"},
    {"cdla-sharing-1.0", "CDLA-Sharing-1.0"},
    {"creativeml-openrail-m", "LicenseRef-CreativeML-OpenRAIL-M"},
    {"deepfloyd-if-license", "LicenseRef-DeepFloyd-IF"},
    {"ecl-2.0", "ECL-2.0"},
    {"epl-1.0", "EPL-1.0"},
    {"epl-2.0", "EPL-2.0"},
    {"etalab-2.0", "etalab-2.0"},
    {"eupl-1.1", "EUPL-1.1"},
    {"eupl-1.2", "EUPL-1.2"},
    {"gemma", "LicenseRef-Gemma-Terms"},
    {"gfdl", NULL},
    {"gpl", NULL},
    {"gpl-2.0", "GPL-2.0-only"},
    {"gpl-3.0", "GPL-3.0-only"},
    {"isc", "ISC"},
    {"lgpl", NULL},
    {"lgpl-2.1", "LGPL-2.1-only"},
    {"lgpl-3.0", "LGPL-3.0-only"},
    {"lgpl-lr", "LGPLLR"},
    {"llama2", "LicenseRef-Llama-2-Community"},
    {"llama3", "LicenseRef-Llama-3-Community"},
    {"llama3.1", "LicenseRef-Llama-3.1-Community"},
    {"llama3.2", "LicenseRef-Llama-3.2-Community"},
    {"llama3.3", "LicenseRef-Llama-3.3-Community"},
    {"llama4", "LicenseRef-Llama-4-Community"},
    {"lppl-1.3c", "LPPL-1.3c"},
    {"mit", "MIT"},
    {"mpl-2.0", "MPL-2.0"},
    {"ms-pl", "MS-PL"},
    {"ncsa", "NCSA"},
    {"odbl", "ODbL-1.0"},
    {"odc-by", "ODC-By-1.0"},
    {"ofl-1.1", "OFL-1.1"},
    {"openrail", "LicenseRef-OpenRAIL-M"},
    {"openrail++", "LicenseRef-OpenRAILpp-M"},
    {"osl-3.0", "OSL-3.0"},
    {"other", NULL},
    {"pddl", "PDDL-1.0"},
    {"postgresql", "PostgreSQL"},
    {"unknown", NULL},
    {"unlicense", "Unlicense"},
    {"wtfpl", "WTFPL"},
    {"zlib", "Zlib"},
};

#define HF_COUNT (sizeof hf_table / sizeof hf_table[0])

const ms_spdx_hf_entry *ms_spdx_hf_table(size_t *count)
{
    if (count != NULL)
        *count = HF_COUNT;
    return hf_table;
}

/*
 * A hub id (not "other") to its expression, or NULL.  *known is set when
 * the id is in the table (with or without an expression) or is an SPDX id.
 */
static const char *hf_id(const char *hf, int *known)
{
    *known = 1;
    for (size_t i = 0; i < HF_COUNT; i++)
        if (equal_ci(hf, hf_table[i].hf))
            return hf_table[i].spdx;
    const char *id = ms_spdx_license_id(hf); /* the general rule: an SPDX id, any case */
    *known = id != NULL;
    return id;
}

/* Longest license_name read, and longest LicenseRef- suffix made of it. */
#define NAME_MAX_IN 1024
#define NAME_MAX_OUT 128

static _Thread_local char other_buf[11 + NAME_MAX_OUT + 1];

static const char *hf_other(const char *name)
{
    if (name == NULL)
        return NULL;
    size_t n = strnlen(name, NAME_MAX_IN + 1);
    if (n == 0 || n > NAME_MAX_IN)
        return NULL;
    /* A hub id as the name maps as that id ("gpl" stays ambiguous). */
    int known;
    const char *mapped = hf_id(name, &known);
    if (known)
        return mapped;
    /* Every run of bytes other than letters, digits and '.' becomes one '-'. */
    char tmp[NAME_MAX_IN + 1];
    size_t len = 0;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (is_name_char(c))
            tmp[len++] = c;
        else if (len == 0 || tmp[len - 1] != '-')
            tmp[len++] = '-';
    }
    size_t start = 0;
    while (start < len && tmp[start] == '-')
        start++;
    while (len > start && tmp[len - 1] == '-')
        len--;
    if (len == start || len - start > NAME_MAX_OUT)
        return NULL;
    memcpy(other_buf, "LicenseRef-", 11);
    memcpy(other_buf + 11, tmp + start, len - start);
    other_buf[11 + len - start] = '\0';
    const ms_spdx_ref_info *ref = ms_spdx_ref_lookup(other_buf);
    return ref != NULL ? ref->id : other_buf;
}

const char *ms_spdx_from_hf(const char *hf_license, const char *license_name)
{
    if (hf_license == NULL || hf_license[0] == '\0')
        return NULL;
    if (equal_ci(hf_license, "other"))
        return hf_other(license_name);
    int known;
    return hf_id(hf_license, &known);
}

const char *ms_spdx_license_flag_name(int flag)
{
    static const struct {
        int flag;
        const char *name;
    } names[] = {
        {MS_LICENSE_NONCOMMERCIAL, "noncommercial"},   {MS_LICENSE_SHAREALIKE, "sharealike"},
        {MS_LICENSE_COPYLEFT, "copyleft"},             {MS_LICENSE_COPYLEFT_WEAK, "copyleft-weak"},
        {MS_LICENSE_COPYLEFT_NETWORK, "copyleft-network"}, {MS_LICENSE_ATTRIBUTION, "attribution"},
        {MS_LICENSE_USE_RESTRICTED, "use-restricted"}, {MS_LICENSE_NO_DERIVATIVES, "no-derivatives"},
        {MS_LICENSE_UNKNOWN, "unknown"},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (names[i].flag == flag)
            return names[i].name;
    return NULL;
}
