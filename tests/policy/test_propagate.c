/*
 * License propagation (policy/propagate.c) against the rules of
 * docs/licenses.md, "Propagation": one case per rule with its id, severity,
 * parent and message, version compatibility, the concluded license, the
 * bounds, determinism and hostile names.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "policy/propagate.h"
#include "policy/spdx.h"

#define B MS_PARENT_BASE_MODEL
#define D MS_PARENT_DATASET
#define C MS_FINDING_CONFLICT
#define W MS_FINDING_WARNING
#define N MS_FINDING_NOTE

static ms_license_picture *run(const char *declared, const ms_license_parent *parents, size_t n)
{
    ms_license_picture *p = NULL;
    ms_error err;
    ms_status st = ms_license_propagate(declared, parents, n, &p, &err);
    CHECK_INT(st, MS_OK);
    if (st != MS_OK)
        fprintf(stderr, "ms_license_propagate: %s\n", err.message);
    return p;
}

static size_t count_rule(const ms_license_picture *p, const char *rule)
{
    size_t k = 0;
    for (size_t i = 0; p != NULL && i < p->finding_count; i++)
        k += strcmp(p->findings[i].rule, rule) == 0;
    return k;
}

/* The only finding with this rule: checks its severity and parent, returns its message. */
static const char *only(const ms_license_picture *p, const char *rule, ms_finding_severity sev,
                        size_t parent)
{
    const ms_license_finding *f = NULL;
    size_t k = 0;
    for (size_t i = 0; p != NULL && i < p->finding_count; i++)
        if (strcmp(p->findings[i].rule, rule) == 0) {
            f = &p->findings[i];
            k++;
        }
    check_count++;
    if (k != 1) {
        check_failures++;
        fprintf(stderr, "rule %s: %zu findings, expected 1\n", rule, k);
        for (size_t i = 0; p != NULL && i < p->finding_count; i++)
            fprintf(stderr, "  [%s %s %zd] %s\n", ms_finding_severity_name(p->findings[i].severity),
                    p->findings[i].rule, (ssize_t)p->findings[i].parent, p->findings[i].message);
        return NULL;
    }
    CHECK_INT(f->severity, sev);
    CHECK_INT(f->parent, parent);
    return f->message;
}

static int has_inherited(const ms_license_picture *p, const char *cond, const char *license,
                         size_t parent)
{
    for (size_t i = 0; i < p->inherited_count; i++)
        if (strcmp(p->inherited[i].condition, cond) == 0 &&
            strcmp(p->inherited[i].license, license) == 0 && p->inherited[i].parent == parent)
            return 1;
    return 0;
}

static void test_declared(void)
{
    ms_license_picture *p = run(NULL, NULL, 0);
    CHECK_STR(only(p, "no-declared-license", W, MS_NO_PARENT),
              "the model declares no license, so its license can only be concluded from its parents");
    CHECK(p->declared == NULL && p->concluded == NULL);
    CHECK_INT(p->finding_count, 1);
    CHECK_INT(p->warning_count, 1);
    CHECK_INT(p->conflict_count, 0);
    CHECK_INT(p->parent_count, 0);
    ms_license_picture_free(p);

    p = run("Apache2.0", NULL, 0);
    CHECK_STR(only(p, "declared-malformed", W, MS_NO_PARENT),
              "the declared license 'Apache2.0' is not a valid SPDX expression (unknown license "
              "'Apache2.0' at column 1 (did you mean 'Apache-2.0'?)), so it is treated as absent");
    CHECK(p->declared == NULL && p->concluded == NULL);
    CHECK_INT(count_rule(p, "no-declared-license"), 0);
    ms_license_picture_free(p);

    p = run("mit or LicenseRef-house", NULL, 0);
    CHECK_STR(p->declared, "MIT OR LicenseRef-house");
    CHECK_STR(p->concluded, "MIT OR LicenseRef-house");
    CHECK_INT(p->declared_flags, MS_LICENSE_ATTRIBUTION | MS_LICENSE_UNKNOWN);
    CHECK_STR(only(p, "declared-unknown", W, MS_NO_PARENT),
              "the declared license includes LicenseRef-house, which modelseal does not classify, "
              "so the alternatives containing it are not checked against the parents: review it by "
              "hand");
    ms_license_picture_free(p);

    /* A clean declared license and no parents: nothing to say. */
    p = run("Apache-2.0", NULL, 0);
    CHECK_INT(p->finding_count, 0);
    CHECK_STR(p->concluded, "Apache-2.0");
    CHECK_INT(p->declared_flags, MS_LICENSE_ATTRIBUTION);
    CHECK_INT(p->inherited_flags, 0);
    ms_license_picture_free(p);
}

static void test_parent_warnings(void)
{
    ms_license_parent ps[] = {
        {B, "base-a", NULL, "finetune"},
        {D, "data-b", "CC-BY-4.0 AND", "training"},
        {D, "data-c", "LicenseRef-mystery", NULL},
        {D, "data-d", NULL, "evaluation"},
        {D, "data-e", "not a license", "evaluation"},
    };
    ms_license_picture *p = run("MIT", ps, 5);
    CHECK_STR(only(p, "parent-license-missing", W, 0),
              "base model 'base-a' records no license, so the lineage is incomplete and its "
              "conditions are unknown");
    CHECK_STR(only(p, "parent-license-malformed", W, 1),
              "dataset 'data-b' has license 'CC-BY-4.0 AND', which is not a valid SPDX expression "
              "(expected a license id or '(' at column 14, found end of expression), so its "
              "conditions are unknown");
    CHECK_STR(only(p, "parent-license-unknown", W, 2),
              "dataset 'data-c' is under LicenseRef-mystery, which modelseal does not classify, so "
              "its conditions are unknown: review it by hand");
    /* Evaluation data draws no warning for a missing or malformed license. */
    CHECK_INT(p->finding_count, 3);
    CHECK_INT(p->conflict_count, 0);
    CHECK_STR(p->concluded, "MIT");
    CHECK(p->parent_canonical[0] == NULL && p->parent_chosen[0] == NULL);
    CHECK(p->parent_canonical[1] == NULL && p->parent_chosen[1] == NULL);
    CHECK_STR(p->parent_canonical[2], "LicenseRef-mystery");
    CHECK_STR(p->parent_chosen[2], "LicenseRef-mystery");
    for (int i = 0; i < 5; i++)
        CHECK_INT(p->parent_flags[i], MS_LICENSE_UNKNOWN);
    CHECK_INT(p->parent_propagates[2], 1); /* no role: training */
    CHECK_INT(p->parent_propagates[3], 0);
    CHECK_INT(p->inherited_count, 0);
    CHECK_INT(p->attribution_count, 0);
    CHECK_INT(p->inherited_flags, 0);
    ms_license_picture_free(p);
}

static void test_noncommercial(void)
{
    /* The example of docs/licenses.md: an MIT model trained on CC-BY-NC-4.0 data. */
    ms_license_parent nc[] = {{D, "digits", "CC-BY-NC-4.0", "training"}};
    ms_license_picture *p = run("MIT", nc, 1);
    CHECK_STR(only(p, "noncommercial", C, 0),
              "dataset 'digits' is under CC-BY-NC-4.0, which forbids commercial use, but the "
              "declared license offers 'MIT', which allows it");
    CHECK_INT(p->conflict_count, 1);
    CHECK(p->concluded == NULL);
    CHECK_STR(p->declared, "MIT");
    CHECK(has_inherited(p, "noncommercial", "CC-BY-NC-4.0", 0));
    CHECK_INT(p->inherited_count, 1);
    CHECK_INT(p->inherited_flags, MS_LICENSE_NONCOMMERCIAL | MS_LICENSE_ATTRIBUTION);
    CHECK_INT(p->attribution_count, 1);
    CHECK_STR(p->attributions[0].license, "CC-BY-NC-4.0");
    CHECK_INT(p->attributions[0].parent, 0);
    CHECK_INT(p->parent_propagates[0], 1);
    ms_license_picture_free(p);

    /* Declaring the same license: no conflict, concluded = declared. */
    p = run("CC-BY-NC-4.0", nc, 1);
    CHECK_INT(p->conflict_count, 0);
    CHECK_INT(p->finding_count, 0);
    CHECK_STR(p->concluded, "CC-BY-NC-4.0");
    ms_license_picture_free(p);

    /* Every declared alternative must keep the restriction: MIT does not. */
    p = run("MIT OR CC-BY-NC-4.0", nc, 1);
    CHECK_STR(only(p, "noncommercial", C, 0),
              "dataset 'digits' is under CC-BY-NC-4.0, which forbids commercial use, but the "
              "declared license offers 'MIT', which allows it");
    ms_license_picture_free(p);
    p = run("CC-BY-NC-SA-4.0 OR CC-BY-NC-4.0 AND MIT", nc, 1);
    CHECK_INT(count_rule(p, "noncommercial"), 0);
    CHECK_STR(p->concluded, "CC-BY-NC-SA-4.0 OR CC-BY-NC-4.0 AND MIT");
    ms_license_picture_free(p);

    /* Calibration data propagates too. */
    ms_license_parent cal[] = {{D, "calib", "CC-BY-NC-4.0", "calibration"}};
    p = run("Apache-2.0", cal, 1);
    CHECK_INT(count_rule(p, "noncommercial"), 1);
    ms_license_picture_free(p);
}

static void test_alternatives(void)
{
    ms_license_parent ps[] = {{B, "dual", "MIT OR GPL-3.0-only", "finetune"}};
    ms_license_picture *p = run("Apache-2.0", ps, 1);
    CHECK_STR(p->parent_canonical[0], "MIT OR GPL-3.0-only");
    CHECK_STR(p->parent_chosen[0], "MIT");
    CHECK_INT(p->parent_flags[0], MS_LICENSE_ATTRIBUTION);
    CHECK_STR(only(p, "alternative-chosen", N, 0),
              "base model 'dual' is offered under 'MIT OR GPL-3.0-only', and modelseal assumes its "
              "least restrictive alternative 'MIT'");
    CHECK_INT(p->conflict_count, 0);
    CHECK_INT(p->inherited_count, 0);
    CHECK_STR(p->concluded, "Apache-2.0");
    ms_license_picture_free(p);

    /* AND distributes over OR; ties go to the first alternative in expression order. */
    ms_license_parent q[] = {{B, "x", "(ISC OR MIT) AND (CC-BY-NC-4.0 OR CC-BY-SA-4.0)", NULL}};
    p = run(NULL, q, 1);
    CHECK_STR(p->parent_chosen[0], "ISC AND CC-BY-SA-4.0");
    CHECK(has_inherited(p, "sharealike", "CC-BY-SA-4.0", 0));
    CHECK_STR(p->concluded, "CC-BY-SA-4.0");
    ms_license_picture_free(p);

    /* Repeated alternatives and terms collapse: one alternative, no note. */
    ms_license_parent r[] = {{B, "y", "MIT OR (MIT AND MIT) OR mit", NULL}};
    p = run("MIT", r, 1);
    CHECK_STR(p->parent_chosen[0], "MIT");
    CHECK_INT(p->finding_count, 0);
    ms_license_picture_free(p);

    /* An unknown license only wins when every alternative has one. */
    ms_license_parent u[] = {{B, "z", "LicenseRef-a OR CC-BY-NC-ND-4.0", NULL}};
    p = run("CC-BY-NC-ND-4.0", u, 1);
    CHECK_STR(p->parent_chosen[0], "CC-BY-NC-ND-4.0");
    CHECK_INT(count_rule(p, "parent-license-unknown"), 0);
    CHECK_INT(count_rule(p, "no-derivatives"), 1);
    ms_license_picture_free(p);
}

static void test_no_derivatives(void)
{
    ms_license_parent ps[] = {
        {B, "nd-base", "CC-BY-ND-4.0", "quantized"},
        {D, "nd-data", "CC-BY-NC-ND-4.0", "training"},
    };
    ms_license_picture *p = run(NULL, ps, 2);
    const ms_license_finding *f = p->finding_count > 0 ? &p->findings[0] : NULL;
    CHECK(f != NULL && f->severity == C && strcmp(f->rule, "no-derivatives") == 0);
    if (f != NULL)
        CHECK_STR(f->message, "base model 'nd-base' is under CC-BY-ND-4.0, which forbids sharing "
                              "adaptations, and this model is an adaptation of it");
    int warned = 0;
    for (size_t i = 0; i < p->finding_count; i++)
        if (strcmp(p->findings[i].rule, "no-derivatives") == 0 && p->findings[i].parent == 1) {
            warned++;
            CHECK_INT(p->findings[i].severity, W);
            CHECK_STR(p->findings[i].message,
                      "dataset 'nd-data' is under CC-BY-NC-ND-4.0, which forbids sharing "
                      "adaptations, and whether a model trained on the data is an adaptation of "
                      "it is unsettled");
        }
    CHECK_INT(warned, 1);
    CHECK_INT(p->conflict_count, 1); /* no declared license: no noncommercial conflict */
    CHECK(p->concluded == NULL);
    CHECK(has_inherited(p, "no-derivatives", "CC-BY-ND-4.0", 0));
    CHECK(has_inherited(p, "no-derivatives", "CC-BY-NC-ND-4.0", 1));
    CHECK(has_inherited(p, "noncommercial", "CC-BY-NC-ND-4.0", 1));
    ms_license_picture_free(p);

    /* Without the base model: only the warning, and the conditions conclude. */
    p = run(NULL, ps + 1, 1);
    CHECK_INT(p->conflict_count, 0);
    CHECK_STR(p->concluded, "CC-BY-NC-ND-4.0");
    ms_license_picture_free(p);
}

static void test_sharealike(void)
{
    ms_license_parent sa3[] = {{D, "wiki", "CC-BY-SA-3.0", "training"}};
    ms_license_picture *p = run("CC-BY-SA-4.0", sa3, 1);
    CHECK_INT(count_rule(p, "sharealike"), 0);
    CHECK(has_inherited(p, "sharealike", "CC-BY-SA-3.0", 0));
    CHECK_STR(p->concluded, "CC-BY-SA-4.0");
    ms_license_picture_free(p);

    /* A jurisdiction port counts as its version. */
    p = run("CC-BY-SA-3.0-AT", sa3, 1);
    CHECK_INT(count_rule(p, "sharealike"), 0);
    ms_license_picture_free(p);

    ms_license_parent sa4[] = {{D, "wiki", "CC-BY-SA-4.0", "training"}};
    p = run("CC-BY-SA-3.0", sa4, 1);
    CHECK_STR(only(p, "sharealike", C, 0),
              "dataset 'wiki' is under CC-BY-SA-4.0, which requires adaptations to be shared under "
              "the same license, but the declared license offers 'CC-BY-SA-3.0', which does not "
              "carry CC-BY-SA-4.0 or a later version of it");
    ms_license_picture_free(p);

    /* Other elements do not do: NC-SA is not BY-SA. */
    p = run("CC-BY-NC-SA-4.0", sa4, 1);
    CHECK_INT(count_rule(p, "sharealike"), 1);
    ms_license_picture_free(p);

    ms_license_parent odbl[] = {{D, "osm", "ODbL-1.0", NULL}};
    p = run("MIT", odbl, 1);
    CHECK_STR(only(p, "sharealike", C, 0),
              "dataset 'osm' is under ODbL-1.0, which requires adaptations to be shared under the "
              "same license, but the declared license offers 'MIT', which does not carry ODbL "
              "version 1.0");
    ms_license_picture_free(p);
    p = run("ODbL-1.0", odbl, 1);
    CHECK_INT(p->finding_count, 0);
    ms_license_picture_free(p);
}

static void test_copyleft(void)
{
    ms_license_parent gpl2p[] = {{B, "g2", "GPL-2.0-or-later", "finetune"}};
    ms_license_picture *p = run("GPL-3.0-only", gpl2p, 1);
    CHECK_INT(count_rule(p, "copyleft"), 0);
    CHECK(has_inherited(p, "copyleft", "GPL-2.0-or-later", 0));
    CHECK_STR(p->concluded, "GPL-3.0-only");
    ms_license_picture_free(p);

    /* "+" is "or later" too. */
    ms_license_parent gpl2plus[] = {{B, "g2", "GPL-2.0+", "finetune"}};
    p = run("GPL-3.0-or-later", gpl2plus, 1);
    CHECK_INT(count_rule(p, "copyleft"), 0);
    CHECK(has_inherited(p, "copyleft", "GPL-2.0+", 0));
    ms_license_picture_free(p);

    ms_license_parent gpl3[] = {{B, "g3", "GPL-3.0-only", "finetune"}};
    p = run("GPL-2.0-only", gpl3, 1);
    CHECK_STR(only(p, "copyleft", C, 0),
              "base model 'g3' is under GPL-3.0-only, which requires derived works to be licensed "
              "as a whole under the same terms, but the declared license offers 'GPL-2.0-only', "
              "which does not carry GPL version 3.0");
    CHECK(p->concluded == NULL);
    ms_license_picture_free(p);
    /* GPL-2.0-or-later declared offers 2.0, which a GPL-3.0-only parent does not allow. */
    p = run("GPL-2.0-or-later", gpl3, 1);
    CHECK_INT(count_rule(p, "copyleft"), 1);
    ms_license_picture_free(p);
    p = run("GPL-3.0-or-later", gpl3, 1);
    CHECK_INT(count_rule(p, "copyleft"), 0);
    ms_license_picture_free(p);

    p = run("MIT", gpl2p, 1);
    CHECK_STR(only(p, "copyleft", C, 0),
              "base model 'g2' is under GPL-2.0-or-later, which requires derived works to be "
              "licensed as a whole under the same terms, but the declared license offers 'MIT', "
              "which does not carry GPL version 2.0 or later");
    ms_license_picture_free(p);

    /* A family is not another: LGPL does not satisfy GPL. */
    p = run("LGPL-3.0-only", gpl3, 1);
    CHECK_INT(count_rule(p, "copyleft"), 1);
    ms_license_picture_free(p);

    /* An exception keeps the license's flags (conservative). */
    ms_license_parent cp[] = {{B, "cp", "GPL-2.0-only WITH Classpath-exception-2.0", NULL}};
    p = run(NULL, cp, 1);
    CHECK(has_inherited(p, "copyleft", "GPL-2.0-only WITH Classpath-exception-2.0", 0));
    CHECK_STR(p->concluded, "GPL-2.0-only WITH Classpath-exception-2.0");
    ms_license_picture_free(p);

    /* Network copyleft. */
    ms_license_parent agpl[] = {{B, "svc", "AGPL-3.0-only", "adapter"}};
    p = run("AGPL-3.0-or-later", agpl, 1);
    CHECK_STR(only(p, "copyleft-network", N, 0),
              "base model 'svc' is under AGPL-3.0-only, which counts use over a network as "
              "distribution: offering this model as a service obliges you to share it under the "
              "same terms");
    CHECK_INT(p->conflict_count, 0);
    CHECK(has_inherited(p, "copyleft", "AGPL-3.0-only", 0));
    CHECK(has_inherited(p, "copyleft-network", "AGPL-3.0-only", 0));
    ms_license_picture_free(p);

    /* Weak copyleft: a note, never a conflict, not part of the concluded license. */
    ms_license_parent mpl[] = {{B, "m", "MPL-2.0", "merge"}};
    p = run("MIT", mpl, 1);
    CHECK_STR(only(p, "copyleft-weak", N, 0),
              "base model 'm' is under MPL-2.0, a weak copyleft license: changes to the files it "
              "covers stay under that license");
    CHECK_INT(p->conflict_count, 0);
    CHECK(has_inherited(p, "copyleft-weak", "MPL-2.0", 0));
    ms_license_picture_free(p);
    p = run(NULL, mpl, 1);
    CHECK(p->concluded == NULL);
    ms_license_picture_free(p);
}

static void test_use_restricted(void)
{
    ms_license_parent llama[] = {{B, "llama-3-8b", "LicenseRef-Llama-3-Community", "finetune"}};
    ms_license_picture *p = run("Apache-2.0", llama, 1);
    CHECK_STR(only(p, "use-restricted", C, 0),
              "base model 'llama-3-8b' is under LicenseRef-Llama-3-Community, which restricts "
              "fields of use and requires the restrictions to travel with every derivative, but the "
              "declared license offers 'Apache-2.0', which carries no use restrictions");
    CHECK(has_inherited(p, "use-restricted", "LicenseRef-Llama-3-Community", 0));
    CHECK_INT(p->attribution_count, 1);
    ms_license_picture_free(p);

    p = run("LicenseRef-Llama-3-Community", llama, 1);
    CHECK_INT(p->finding_count, 0);
    CHECK_STR(p->concluded, "LicenseRef-Llama-3-Community");
    ms_license_picture_free(p);

    p = run("LicenseRef-OpenRAIL-M", llama, 1);
    CHECK_STR(only(p, "use-restricted-other", N, 0),
              "base model 'llama-3-8b' is under LicenseRef-Llama-3-Community, and the declared "
              "license offers 'LicenseRef-OpenRAIL-M', which restricts use under other terms: check "
              "that it carries the restrictions of LicenseRef-Llama-3-Community");
    CHECK_INT(p->conflict_count, 0);
    ms_license_picture_free(p);
}

static void test_evaluation(void)
{
    ms_license_parent ps[] = {{D, "bench", "CC-BY-NC-4.0", "evaluation"}};
    ms_license_picture *p = run("MIT", ps, 1);
    CHECK_STR(only(p, "evaluation-only", N, 0),
              "dataset 'bench' is used for evaluation only, so the model does not inherit its "
              "license, but CC-BY-NC-4.0 forbids commercial use: check by hand that evaluating a "
              "commercial model on it is allowed");
    CHECK_INT(p->finding_count, 1);
    CHECK_INT(p->inherited_count, 0);
    CHECK_INT(p->attribution_count, 0);
    CHECK_INT(p->inherited_flags, 0);
    CHECK_INT(p->parent_propagates[0], 0);
    CHECK_STR(p->parent_chosen[0], "CC-BY-NC-4.0");
    CHECK_INT(p->parent_flags[0], MS_LICENSE_NONCOMMERCIAL | MS_LICENSE_ATTRIBUTION);
    CHECK_STR(p->concluded, "MIT");
    ms_license_picture_free(p);

    /* Other evaluation data: nothing at all. */
    ms_license_parent q[] = {{D, "bench", "GPL-3.0-only", "evaluation"}};
    p = run("MIT", q, 1);
    CHECK_INT(p->finding_count, 0);
    ms_license_picture_free(p);
}

static void test_attribution(void)
{
    ms_license_parent ps[] = {
        {B, "b", "Apache-2.0", "finetune"},
        {D, "pd", "CC0-1.0", "training"},
        {D, "by", "CC-BY-4.0 AND MIT", "training"},
    };
    ms_license_picture *p = run("Apache-2.0", ps, 3);
    CHECK_INT(p->finding_count, 0);
    CHECK_INT(p->attribution_count, 2);
    CHECK_INT(p->attributions[0].parent, 0);
    CHECK_STR(p->attributions[0].license, "Apache-2.0");
    CHECK_INT(p->attributions[1].parent, 2);
    CHECK_STR(p->attributions[1].license, "CC-BY-4.0 AND MIT");
    CHECK_INT(p->inherited_count, 0);
    CHECK_INT(p->inherited_flags, MS_LICENSE_ATTRIBUTION);
    CHECK_INT(p->parent_flags[1], 0);
    ms_license_picture_free(p);

    /* Nothing but attribution inherited and no declared license: NOASSERTION. */
    p = run(NULL, ps, 3);
    CHECK(p->concluded == NULL);
    CHECK_INT(p->finding_count, 1);
    ms_license_picture_free(p);
}

static void test_incompatible(void)
{
    ms_license_parent ps[] = {
        {B, "gpl", "GPL-3.0-only", "finetune"},
        {D, "wiki", "CC-BY-SA-4.0", "training"},
    };
    ms_license_picture *p = run(NULL, ps, 2);
    CHECK_STR(only(p, "incompatible-parents", C, 0),
              "base model 'gpl' (GPL-3.0-only) and dataset 'wiki' (CC-BY-SA-4.0) each require "
              "derived works under their own license, and no one license meets both");
    CHECK(p->concluded == NULL);
    ms_license_picture_free(p);

    ms_license_parent v[] = {
        {B, "a", "GPL-2.0-or-later", NULL},
        {B, "b", "GPL-3.0-only", NULL},
        {B, "c", "GPL-2.0-only", NULL},
    };
    p = run(NULL, v, 2); /* 2.0-or-later and 3.0-only: GPL-3.0-only meets both */
    CHECK_INT(p->conflict_count, 0);
    CHECK_STR(p->concluded, "GPL-2.0-or-later AND GPL-3.0-only");
    ms_license_picture_free(p);
    p = run(NULL, v, 3);
    CHECK_STR(only(p, "incompatible-parents", C, 1),
              "base model 'b' (GPL-3.0-only) and base model 'c' (GPL-2.0-only) each require derived "
              "works under their own license, and no one license meets both");
    ms_license_picture_free(p);

    ms_license_parent r[] = {
        {D, "nc", "CC-BY-NC-4.0", "training"},
        {B, "gpl", "GPL-3.0-or-later", "finetune"},
        {B, "llama", "LicenseRef-Llama-3-Community", "finetune"},
    };
    p = run(NULL, r, 2);
    CHECK_STR(only(p, "incompatible-parents", C, 0),
              "dataset 'nc' (CC-BY-NC-4.0) forbids commercial use, but base model 'gpl' "
              "(GPL-3.0-or-later) forbids adding restrictions to derived works, so no one license "
              "meets both");
    ms_license_picture_free(p);
    p = run(NULL, r + 1, 2);
    CHECK_STR(only(p, "incompatible-parents", C, 0),
              "base model 'gpl' (GPL-3.0-or-later) forbids adding restrictions to derived works, "
              "but base model 'llama' (LicenseRef-Llama-3-Community) restricts fields of use, so no "
              "one license meets both");
    ms_license_picture_free(p);
    /* Weak copyleft adds no such conflict. */
    ms_license_parent w[] = {{D, "nc", "CC-BY-NC-4.0", NULL}, {B, "lgpl", "LGPL-2.1-only", NULL}};
    p = run(NULL, w, 2);
    CHECK_INT(p->conflict_count, 0);
    CHECK_STR(p->concluded, "CC-BY-NC-4.0");
    ms_license_picture_free(p);
}

static void test_concluded(void)
{
    ms_license_parent ps[] = {
        {B, "llama-3-8b", "LicenseRef-Llama-3-Community", "finetune"},
        {D, "digits", "CC-BY-NC-4.0", "training"},
        {D, "more", "CC-BY-NC-4.0 AND CC-BY-4.0", "training"},
        {D, "eval", "CC-BY-SA-4.0", "evaluation"},
    };
    ms_license_picture *p = run(NULL, ps, 4);
    CHECK_INT(p->conflict_count, 0);
    CHECK_STR(p->concluded, "LicenseRef-Llama-3-Community AND CC-BY-NC-4.0");
    ms_spdx_expr *e = NULL;
    ms_error err;
    CHECK_INT(ms_spdx_parse(p->concluded, &e, &err), MS_OK);
    CHECK_STR(ms_spdx_canonical(e), p->concluded);
    ms_spdx_free(e);
    CHECK_INT(p->inherited_count, 3);
    CHECK(has_inherited(p, "use-restricted", "LicenseRef-Llama-3-Community", 0));
    CHECK(has_inherited(p, "noncommercial", "CC-BY-NC-4.0", 1));
    CHECK(has_inherited(p, "noncommercial", "CC-BY-NC-4.0", 2));
    CHECK_INT(p->inherited[0].parent, 0);
    CHECK_INT(p->inherited[2].parent, 2);
    CHECK_INT(p->inherited_flags,
              MS_LICENSE_USE_RESTRICTED | MS_LICENSE_NONCOMMERCIAL | MS_LICENSE_ATTRIBUTION);
    ms_license_picture_free(p);
}

/* A concluded AND longer than 4096 bytes is NOASSERTION with a warning. */
static void test_concluded_too_long(void)
{
    const char *exc[] = {"Classpath-exception-2.0", "LLVM-exception", "Autoconf-exception-3.0",
                         "GCC-exception-3.1", "Bison-exception-2.2", "Font-exception-2.0",
                         "Linux-syscall-note", "Qt-GPL-exception-1.0", "u-boot-exception-2.0",
                         "389-exception"};
    size_t nref = 0;
    const ms_spdx_ref_info *refs = ms_spdx_ref_table(&nref);
    size_t n = nref * 10, len = 0;
    ms_license_parent *ps = calloc(n, sizeof *ps);
    char (*texts)[128] = calloc(n, sizeof *texts);
    for (size_t i = 0; i < n; i++) {
        snprintf(texts[i], sizeof texts[i], "%s WITH %s", refs[i / 10].id, exc[i % 10]);
        ps[i] = (ms_license_parent){B, "r", texts[i], NULL};
        len += strlen(texts[i]) + (i > 0 ? 5 : 0);
    }
    CHECK(len > MS_SPDX_MAX_LEN);
    ms_license_picture *p = run(NULL, ps, n);
    CHECK_INT(p->conflict_count, 0);
    CHECK_INT(count_rule(p, "parent-license-malformed"), 0);
    CHECK(p->concluded == NULL);
    char want[200];
    snprintf(want, sizeof want,
             "the concluded license, the AND of %zu inherited licenses, would be longer than 4096 "
             "bytes, so it is left as NOASSERTION",
             n);
    CHECK_STR(only(p, "too-complex", W, MS_NO_PARENT), want);
    ms_license_picture_free(p);
    /* A few of them conclude normally. */
    p = run(NULL, ps, 2);
    snprintf(want, sizeof want, "%s AND %s", texts[0], texts[1]);
    CHECK_STR(p->concluded, want);
    ms_license_picture_free(p);
    free(texts);
    free(ps);
}

static void test_order(void)
{
    ms_license_parent ps[] = {
        {D, "bench", "CC-BY-NC-4.0", "evaluation"},
        {B, "dual", "MIT OR GPL-2.0-only", NULL},
        {D, "nd", "CC-BY-ND-4.0", NULL},
        {D, "nc", "CC-BY-NC-4.0", NULL},
        {B, "nolicense", NULL, NULL},
    };
    ms_license_picture *p = run("MIT", ps, 5);
    CHECK_INT(p->finding_count, 5);
    CHECK_INT(p->conflict_count, 1);
    CHECK_INT(p->warning_count, 2);
    /* Conflicts, warnings, notes; within each by parent, then rule. */
    const char *rules[] = {"noncommercial", "no-derivatives", "parent-license-missing",
                           "evaluation-only", "alternative-chosen"};
    size_t parents[] = {3, 2, 4, 0, 1};
    for (size_t i = 0; i < 5 && i < p->finding_count; i++) {
        CHECK_STR(p->findings[i].rule, rules[i]);
        CHECK_INT(p->findings[i].parent, parents[i]);
    }
    ms_license_picture_free(p);
    CHECK_STR(ms_finding_severity_name(MS_FINDING_CONFLICT), "conflict");
    CHECK_STR(ms_finding_severity_name(MS_FINDING_WARNING), "warning");
    CHECK_STR(ms_finding_severity_name(MS_FINDING_NOTE), "note");
}

/* "LicenseRef-a0 OR ... OR LicenseRef-a<n-1>" */
static char *many_alternatives(int n, const char *sep)
{
    char *s = malloc((size_t)n * 24 + 1);
    size_t o = 0;
    for (int i = 0; i < n; i++)
        o += (size_t)sprintf(s + o, "%sLicenseRef-a%d", i > 0 ? sep : "", i);
    return s;
}

static void test_too_complex(void)
{
    char *s64 = many_alternatives(64, " OR "), *s65 = many_alternatives(65, " OR ");
    ms_license_parent ps[] = {{B, "wide", s65, NULL}, {B, "fine", s64, NULL}};
    ms_license_picture *p = run(s65, ps, 2);
    CHECK_INT(count_rule(p, "too-complex"), 2);
    CHECK_STR(p->findings[0].message,
              "the declared license expands to more than 64 alternatives, too many to check "
              "against the parents: review it by hand");
    CHECK_INT(p->findings[0].parent, MS_NO_PARENT);
    CHECK_STR(p->findings[1].rule, "too-complex");
    CHECK_INT(p->findings[1].parent, 0);
    CHECK_STR(p->findings[1].message,
              "base model 'wide' has a license expression that expands to more than 64 "
              "alternatives, too many to evaluate, so its conditions are unknown: review it by hand");
    CHECK_INT(p->declared_flags, MS_LICENSE_UNKNOWN);
    CHECK(p->declared != NULL && p->concluded != NULL && strcmp(p->declared, p->concluded) == 0);
    CHECK(p->parent_canonical[0] != NULL);
    CHECK(p->parent_chosen[0] == NULL);
    CHECK_INT(p->parent_flags[0], MS_LICENSE_UNKNOWN);
    /* 64 alternatives are evaluated: all unknown, the first is chosen. */
    CHECK_STR(p->parent_chosen[1], "LicenseRef-a0");
    CHECK_INT(count_rule(p, "parent-license-unknown"), 1);
    ms_license_picture_free(p);
    free(s64);
    free(s65);

    /* Distribution: repeated sets collapse, 2^7 = 128 distinct ones are too many. */
    const char *few = "(MIT OR ISC) AND (ISC OR MIT) AND (MIT OR ISC) AND (ISC OR MIT) AND "
                      "(MIT OR ISC) AND (ISC OR MIT) AND (MIT OR ISC)";
    ms_license_parent q[] = {{D, "prod", few, NULL}};
    p = run(NULL, q, 1);
    CHECK_INT(count_rule(p, "too-complex"), 0);
    /* {MIT, ISC}, {MIT}, {ISC} all score 1: the first in expression order wins. */
    CHECK_STR(p->parent_chosen[0], "MIT AND ISC");
    ms_license_picture_free(p);
    q[0].license = "(LicenseRef-a OR LicenseRef-b) AND (LicenseRef-c OR LicenseRef-d) AND "
                   "(LicenseRef-e OR LicenseRef-f) AND (LicenseRef-g OR LicenseRef-h) AND "
                   "(LicenseRef-i OR LicenseRef-j) AND (LicenseRef-k OR LicenseRef-l) AND "
                   "(LicenseRef-m OR LicenseRef-n)";
    p = run(NULL, q, 1);
    CHECK_INT(count_rule(p, "too-complex"), 1);
    ms_license_picture_free(p);
    size_t o = 0;

    /* Deep parentheses and a 4096-byte AND chain: no crash, no deep recursion. */
    char deep[4097];
    o = 0;
    for (int i = 0; i < 64; i++)
        o += (size_t)sprintf(deep + o, "(MIT OR ");
    o += (size_t)sprintf(deep + o, "ISC");
    for (int i = 0; i < 64; i++)
        deep[o++] = ')';
    deep[o] = '\0';
    q[0].license = deep;
    p = run(NULL, q, 1);
    CHECK_STR(p->parent_chosen[0], "MIT");
    CHECK_INT(count_rule(p, "too-complex"), 0);
    ms_license_picture_free(p);
    char *chain = malloc(4097);
    o = 0;
    while (o + 11 <= 4096)
        o += (size_t)sprintf(chain + o, "%sMIT", o > 0 ? " AND " : "");
    chain[o] = '\0';
    q[0].license = chain;
    p = run(chain, q, 1);
    CHECK_STR(p->parent_chosen[0], "MIT");
    CHECK_INT(p->finding_count, 0);
    ms_license_picture_free(p);
    free(chain);
}

static ms_license_picture *run_many(size_t n, ms_status want)
{
    ms_license_parent *ps = calloc(n, sizeof *ps);
    const char *lic[] = {"GPL-2.0-only", "GPL-3.0-only", "CC-BY-4.0", NULL, "CC-BY-NC-4.0"};
    char (*names)[16] = calloc(n, sizeof *names);
    for (size_t i = 0; i < n; i++) {
        snprintf(names[i], sizeof names[i], "p%zu", i);
        ps[i] = (ms_license_parent){i % 2 ? D : B, names[i], lic[i % 5], i % 3 ? NULL : "training"};
    }
    ms_license_picture *p = NULL;
    ms_error err;
    CHECK_INT(ms_license_propagate("MIT", ps, n, &p, &err), want);
    if (want != MS_OK)
        CHECK_STR(err.message, "license propagation: 4097 parents, at most 4096 are allowed");
    free(names);
    free(ps);
    return p;
}

static void test_limits(void)
{
    ms_license_picture *p = run_many(4096, MS_OK);
    CHECK(p != NULL);
    if (p != NULL) {
        CHECK_INT(p->parent_count, 4096);
        /* GPL-2.0-only and GPL-3.0-only parents pair up far beyond the listing cap. */
        CHECK(p->conflict_count > 4096);
        size_t pairs = 0, summary = 0;
        for (size_t i = 0; i < p->finding_count; i++)
            if (strcmp(p->findings[i].rule, "incompatible-parents") == 0) {
                if (p->findings[i].parent == MS_NO_PARENT) {
                    summary++;
                    CHECK_CONTAINS(p->findings[i].message,
                                   "more pairs of parents have requirements that no one license "
                                   "meets (only the first 4096 pairs are listed)");
                } else {
                    pairs++;
                }
            }
        CHECK_INT(pairs, 4096);
        CHECK_INT(summary, 1);
    }
    ms_license_picture_free(p);
    p = run_many(4097, MS_E_LIMIT);
    CHECK(p == NULL);

    ms_error err;
    ms_license_parent one = {B, "x", "MIT", NULL};
    CHECK_INT(ms_license_propagate("MIT", &one, 1, NULL, &err), MS_E_USAGE);
    p = (ms_license_picture *)&one; /* must be reset */
    CHECK_INT(ms_license_propagate("MIT", NULL, 1, &p, &err), MS_E_USAGE);
    CHECK(p == NULL);
    CHECK_INT(ms_license_propagate("MIT", NULL, 0, &p, NULL), MS_OK);
    CHECK(p != NULL && p->parent_count == 0);
    ms_license_picture_free(p);
    ms_license_parent bad = {(ms_parent_kind)7, "x", "MIT", NULL};
    CHECK_INT(ms_license_propagate("MIT", &bad, 1, &p, &err), MS_E_USAGE);
    ms_license_picture_free(NULL);
}

static int same_str(const char *a, const char *b)
{
    return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

static int same_picture(const ms_license_picture *a, const ms_license_picture *b)
{
    if (!same_str(a->declared, b->declared) || !same_str(a->concluded, b->concluded) ||
        a->declared_flags != b->declared_flags || a->inherited_flags != b->inherited_flags ||
        a->parent_count != b->parent_count || a->inherited_count != b->inherited_count ||
        a->attribution_count != b->attribution_count || a->finding_count != b->finding_count ||
        a->conflict_count != b->conflict_count || a->warning_count != b->warning_count)
        return 0;
    for (size_t i = 0; i < a->parent_count; i++)
        if (!same_str(a->parent_canonical[i], b->parent_canonical[i]) ||
            !same_str(a->parent_chosen[i], b->parent_chosen[i]) ||
            a->parent_flags[i] != b->parent_flags[i] ||
            a->parent_propagates[i] != b->parent_propagates[i])
            return 0;
    for (size_t i = 0; i < a->inherited_count; i++)
        if (strcmp(a->inherited[i].condition, b->inherited[i].condition) != 0 ||
            strcmp(a->inherited[i].license, b->inherited[i].license) != 0 ||
            a->inherited[i].parent != b->inherited[i].parent)
            return 0;
    for (size_t i = 0; i < a->attribution_count; i++)
        if (strcmp(a->attributions[i].license, b->attributions[i].license) != 0 ||
            a->attributions[i].parent != b->attributions[i].parent)
            return 0;
    for (size_t i = 0; i < a->finding_count; i++)
        if (a->findings[i].severity != b->findings[i].severity ||
            strcmp(a->findings[i].rule, b->findings[i].rule) != 0 ||
            a->findings[i].parent != b->findings[i].parent ||
            strcmp(a->findings[i].message, b->findings[i].message) != 0)
            return 0;
    return 1;
}

static void test_deterministic(void)
{
    ms_license_parent ps[] = {
        {B, "llama", "LicenseRef-Llama-3-Community OR MIT AND CC-BY-NC-4.0", "finetune"},
        {D, "wiki", "CC-BY-SA-3.0", "training"},
        {D, "code", "GPL-2.0-or-later OR AGPL-3.0-only", "calibration"},
        {D, "eval", "CC-BY-NC-SA-4.0", "evaluation"},
        {B, "m", "MPL-2.0 AND Apache-2.0", "merge"},
        {D, "x", "LicenseRef-x", NULL},
        {D, "y", NULL, NULL},
        {B, "z", "bad)", NULL},
    };
    const char *decls[] = {"Apache-2.0 OR CC-BY-SA-4.0", NULL, "GPL-3.0-or-later", "(("};
    for (size_t d = 0; d < sizeof decls / sizeof decls[0]; d++) {
        ms_license_picture *a = run(decls[d], ps, 8), *b = run(decls[d], ps, 8);
        CHECK(a != NULL && b != NULL && same_picture(a, b));
        ms_license_picture_free(a);
        ms_license_picture_free(b);
    }
}

static void test_hostile_names(void)
{
    char longname[200];
    memset(longname, 'n', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    /* A multi-byte character across the 64-byte cut is not split. */
    memcpy(longname + 63, "\xc3\xa9", 2);
    ms_license_parent ps[] = {
        {D, "evil\x1b[2J\n\xe2\x80\xae", "CC-BY-NC-4.0", "training"},
        {B, longname, NULL, NULL},
        {D, "bad-license", "MIT\x1b[31m", NULL},
        {B, NULL, "MIT", NULL},
    };
    ms_license_picture *p = run("MIT", ps, 4);
    CHECK_STR(only(p, "noncommercial", C, 0),
              "dataset 'evil\\x1b[2J\\x0a\\u202e' is under CC-BY-NC-4.0, which forbids commercial "
              "use, but the declared license offers 'MIT', which allows it");
    char want[400];
    snprintf(want, sizeof want,
             "base model '%.63s...' records no license, so the lineage is incomplete and its "
             "conditions are unknown",
             longname);
    CHECK_STR(only(p, "parent-license-missing", W, 1), want);
    CHECK_STR(only(p, "parent-license-malformed", W, 2),
              "dataset 'bad-license' has license 'MIT\\x1b[31m', which is not a valid SPDX "
              "expression (unexpected byte 0x1B at column 4), so its conditions are unknown");
    for (size_t i = 0; i < p->finding_count; i++)
        for (const char *c = p->findings[i].message; *c; c++)
            CHECK((unsigned char)*c >= 0x20 && *c != 0x7f);
    ms_license_picture_free(p);

    p = run("MIT\x07", NULL, 0);
    CHECK_STR(only(p, "declared-malformed", W, MS_NO_PARENT),
              "the declared license 'MIT\\x07' is not a valid SPDX expression (unexpected byte 0x07 "
              "at column 4), so it is treated as absent");
    ms_license_picture_free(p);
}

int main(void)
{
    test_declared();
    test_parent_warnings();
    test_noncommercial();
    test_alternatives();
    test_no_derivatives();
    test_sharealike();
    test_copyleft();
    test_use_restricted();
    test_evaluation();
    test_attribution();
    test_incompatible();
    test_concluded();
    test_concluded_too_long();
    test_order();
    test_too_complex();
    test_limits();
    test_deterministic();
    test_hostile_names();
    return check_finish("test_propagate");
}
