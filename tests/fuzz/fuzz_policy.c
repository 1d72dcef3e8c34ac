/*
 * libFuzzer target for policy documents (policy/policy_doc.c) and their
 * evaluation (policy/policy_eval.c, policy/policy_licenses.c).  The input
 * is parsed with ms_policy_parse().
 *
 * Refused: MS_E_FORMAT or MS_E_LIMIT, no policy, a sanitized message, and
 * for MS_E_FORMAT a non-empty list of mistakes, one per line, each
 * sanitized.  Accepted: the policy evaluates against empty facts and
 * against a full set of facts; every result names a known rule once, has a
 * valid verdict and sanitized evidence and message; a rule that could not
 * be evaluated is a failure in enforce mode unless optional; audit mode
 * never blocks; the counts add up.  Parsing twice gives the same status and
 * mistakes.  Seeds named valid-* must be accepted.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "policy/policy.h"

static void check_lines(const char *s)
{
    for (const unsigned char *c = (const unsigned char *)s; *c != '\0'; c++)
        if ((*c < 0x20 && *c != '\n') || *c == 0x7f)
            abort();
}

static void check_results(const ms_policy *p, const ms_policy_results *r)
{
    size_t nids;
    const char *const *ids = ms_policy_rule_ids(&nids);
    if (r->n > nids || r->pass + r->fail + r->warn + r->not_evaluated != r->n)
        abort();
    if (r->audit != ms_policy_is_audit(p))
        abort();
    if (ms_policy_results_blocking(r) != (!r->audit && r->fail > 0))
        abort();
    for (size_t i = 0; i < r->n; i++) {
        const ms_policy_result *x = &r->v[i];
        size_t k;
        for (k = 0; k < nids && strcmp(ids[k], x->rule) != 0; k++)
            ;
        if (k == nids)
            abort();
        for (size_t j = 0; j < i; j++)
            if (strcmp(r->v[j].rule, x->rule) == 0)
                abort();
        if (x->verdict > MS_VERDICT_NOT_EVALUATED || x->evidence == NULL || x->message == NULL ||
            x->message[0] == '\0')
            abort();
        fuzz_check_text(x->evidence);
        fuzz_check_text(x->message);
        if (x->verdict == MS_VERDICT_NOT_EVALUATED && !x->unevaluated)
            abort();
        if (x->unevaluated && !r->audit && x->verdict != MS_VERDICT_FAIL &&
            x->verdict != MS_VERDICT_NOT_EVALUATED)
            abort();
    }
    char *t = ms_policy_results_text(r);
    cJSON *j = ms_policy_results_json(r);
    if (t == NULL || j == NULL)
        abort();
    check_lines(t);
    free(t);
    cJSON_Delete(j);
}

static void evaluate(const ms_policy *p)
{
    ms_policy_facts empty = {0};
    ms_policy_results *r = NULL;
    ms_error err;
    if (ms_policy_evaluate(p, &empty, &r, &err) != MS_OK)
        abort();
    check_results(p, r);
    ms_policy_results_free(r);

    ms_license_picture *pic = NULL;
    ms_license_parent par[] = {{MS_PARENT_BASE_MODEL, "b", "LicenseRef-Llama-3-Community", "finetune"},
                               {MS_PARENT_DATASET, "d", "CC-BY-NC-4.0 OR GPL-2.0-only", "training"}};
    if (ms_license_propagate("MIT OR (Apache-2.0 AND LicenseRef-x)", par, 2, &pic, &err) != MS_OK)
        abort();
    ms_policy_base_fact bases[] = {{"b", NULL, "LicenseRef-Llama-3-Community", 0}};
    ms_policy_dataset_fact ds[] = {{"d", "https://x.example/d", NULL, "CC-BY-NC-4.0 OR GPL-2.0-only",
                                    "training", 1, 10}};
    ms_policy_signer_fact sg[] = {{"k", "ed25519", "packager", 1}, {"k2", NULL, "approver", 0}};
    ms_policy_tensor_fact t[] = {{"w", "q4_0", "q4_k", 1, 1, 1, 12.5, 10.0, 0.1, 4.5},
                                 {"n", "none", NULL, 0, 0, 0, 0, 0, 0, 32}};
    const char *fields[] = {"description", "license"};
    ms_policy_facts full = {.declared = "MIT OR (Apache-2.0 AND LicenseRef-x)", .licenses = pic,
                            .datasets = ds, .dataset_count = 1, .bases = bases, .base_count = 1,
                            .signers = sg, .signer_count = 2, .signatures_checked = 1,
                            .metadata_fields = fields, .metadata_field_count = 2,
                            .has_compression = 1, .tensors = t, .tensor_count = 2,
                            .has_model_sqnr = 1, .model_sqnr_db = 20, .model_bpw = 5,
                            .has_probes = 1, .probes_checked = 1, .version = "1.2.3",
                            .has_build_time = 1, .build_time = 1700000000, .now = 1800000000,
                            .bundle_size = 12345, .format_version = "1"};
    if (ms_policy_evaluate(p, &full, &r, &err) != MS_OK)
        abort();
    check_results(p, r);
    ms_policy_results_free(r);
    ms_license_picture_free(pic);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ms_policy *p = (ms_policy *)&p;
    char *problems = NULL;
    ms_error err;
    ms_status st = ms_policy_parse((const char *)data, size, "fuzz.json", &p, &problems, &err);
    fuzz_check_error(st, &err);

    ms_policy *p2 = NULL;
    char *problems2 = NULL;
    ms_error err2;
    ms_status st2 = ms_policy_parse((const char *)data, size, "fuzz.json", &p2, &problems2, &err2);
    if (st2 != st || strcmp(err.message, err2.message) != 0 ||
        (problems == NULL) != (problems2 == NULL) ||
        (problems != NULL && strcmp(problems, problems2) != 0))
        abort();

    if (st != MS_OK) {
        if ((st != MS_E_FORMAT && st != MS_E_LIMIT) || p != NULL || p2 != NULL)
            abort();
        if (st == MS_E_FORMAT && (problems == NULL || problems[0] == '\0'))
            abort();
        if (problems != NULL)
            check_lines(problems);
        if (fuzz_input_is_valid_seed())
            abort();
    } else {
        if (p == NULL || problems != NULL)
            abort();
        evaluate(p);
        ms_error e;
        ms_status x = ms_policy_check_expiry(p, 0, &e);
        if (x != MS_OK && x != MS_E_REJECTED)
            abort();
    }
    ms_policy_free(p);
    ms_policy_free(p2);
    free(problems);
    free(problems2);
    return 0;
}
