/*
 * Policy documents (policy/policy_doc.c) and their evaluation
 * (policy/policy_eval.c, policy/policy_licenses.c) with facts built here.
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "policy/policy.h"

static ms_policy *parse_ok(const char *text)
{
    ms_policy *p = NULL;
    char *problems = NULL;
    ms_error err;
    ms_status st = ms_policy_parse(text, strlen(text), "p.json", &p, &problems, &err);
    CHECK_INT(st, MS_OK);
    if (st != MS_OK)
        fprintf(stderr, "unexpected problems:\n%s", problems ? problems : err.message);
    free(problems);
    return p;
}

/* The document is refused; every fragment must appear among the problems. */
static void parse_bad(const char *text, size_t count, const char *const *frags)
{
    ms_policy *p = (ms_policy *)&p;
    char *problems = NULL;
    ms_error err;
    ms_status st = ms_policy_parse(text, strlen(text), "p.json", &p, &problems, &err);
    CHECK_INT(st, MS_E_FORMAT);
    CHECK(p == NULL);
    size_t lines = 0;
    for (const char *c = problems; c != NULL && *c; c++)
        lines += *c == '\n';
    CHECK_INT(lines, count);
    for (size_t i = 0; frags[i] != NULL; i++)
        CHECK_CONTAINS(problems, frags[i]);
    CHECK_CONTAINS(err.message, "p.json: ");
    free(problems);
}

static void test_parse(void)
{
    ms_policy *p = parse_ok(ms_policy_template());
    CHECK(p != NULL);
    if (p != NULL) {
        CHECK_STR(ms_policy_name(p), "my-release-policy");
        CHECK_INT(ms_policy_is_audit(p), 0);
        CHECK_INT(p->lic_allow_permissive, 1);
        CHECK_INT(p->lic_deny_classes, MS_LICENSE_NONCOMMERCIAL);
        CHECK_INT(p->role_n, 1);
        CHECK_INT(p->ds_min_records, 1000);
        ms_error err;
        CHECK_INT(ms_policy_check_expiry(p, 1700000000, &err), MS_OK);
        CHECK_INT(ms_policy_check_expiry(p, 1900000000, &err), MS_E_REJECTED);
        CHECK_CONTAINS(err.message, "policy 'my-release-policy' expired at 2030-01-01T00:00:00Z");
    }
    ms_policy_free(p);

    p = parse_ok("{\"policyVersion\":1,\"mode\":\"audit\",\"$comment\":\"x\"}");
    CHECK(p != NULL && ms_policy_is_audit(p));
    ms_policy_free(p);

    const char *const f1[] = {"mode: missing", "policyVersion: missing", NULL};
    parse_bad("{}", 2, f1);
    const char *const f2[] = {"licences: unknown field (did you mean 'licenses'?)",
                              "licenses.alow: unknown field (did you mean 'allow'?)",
                              "licenses.deny[0]: unknown license 'Apache2.0' at column 1 (did you "
                              "mean 'Apache-2.0'?)",
                              "policyVersion: expected 1, found 2",
                              NULL};
    parse_bad("{\"policyVersion\":2,\"mode\":\"enforce\",\"licences\":{},"
              "\"licenses\":{\"alow\":[\"MIT\"],\"deny\":[\"Apache2.0\"]}}", 4, f2);
    const char *const f3[] = {"compression.minWorstSqnrDb: expected a number, found a string",
                              "compression.maxSparsity: expected a number from 0 to 1, found 2",
                              "compression.schemes[1]: unknown scheme 'q4k' (did you mean 'q4_k'?)",
                              "integrity.requireProbes: expected true or false, found a number",
                              NULL};
    parse_bad("{\"policyVersion\":1,\"mode\":\"enforce\",\"compression\":{\"minWorstSqnrDb\":\"30\","
              "\"maxSparsity\":2,\"schemes\":[\"int8\",\"q4k\"]},\"integrity\":{\"requireProbes\":1}}",
              4, f3);
    const char *const f4[] = {"signers.requiredRoles.approver: expected a threshold from 1 to 1000, found 0",
                              "signers.algorithms[0]: unknown algorithm 'ed2551' (did you mean 'ed25519'?)",
                              "datasets.deny[0]: needs at least one of name, uri, digest, license",
                              "datasets.requiredRoles[0]: unknown dataset role 'eval'",
                              "metadata.required[0]: unknown metadata field 'intended_use' (did you mean 'intendedUse'?)",
                              "release.minVersion: '1.0' is not a semantic version",
                              "expires: 'tomorrow' is not an RFC 3339 time",
                              "optional[0]: unknown rule id 'compression.worstSNR' (did you mean 'compression.worstSqnr'?)",
                              NULL};
    parse_bad("{\"policyVersion\":1,\"mode\":\"enforce\",\"expires\":\"tomorrow\","
              "\"optional\":[\"compression.worstSNR\"],"
              "\"signers\":{\"requiredRoles\":{\"approver\":0},\"algorithms\":[\"ed2551\"]},"
              "\"datasets\":{\"deny\":[{}],\"requiredRoles\":[\"eval\"]},"
              "\"metadata\":{\"required\":[\"intended_use\"]},\"release\":{\"minVersion\":\"1.0\"}}",
              8, f4);
    const char *const f5[] = {"licenses: expected an object, found an array", "$comment: expected a string", NULL};
    parse_bad("{\"policyVersion\":1,\"mode\":\"audit\",\"licenses\":[],\"$comment\":3}", 2, f5);
    const char *const f6[] = {"licenses.allow[0]: 'MIT OR GPL-2.0-only' is an expression", NULL};
    parse_bad("{\"policyVersion\":1,\"mode\":\"audit\",\"licenses\":{\"allow\":[\"MIT OR GPL-2.0-only\"]}}", 1, f6);

    /* Not JSON, duplicate keys, not an object. */
    ms_policy *q = NULL;
    char *problems = NULL;
    ms_error err;
    const char *dup = "{\"mode\":\"audit\",\"mode\":\"enforce\",\"policyVersion\":1}";
    CHECK_INT(ms_policy_parse(dup, strlen(dup), "p.json", &q, &problems, &err), MS_E_FORMAT);
    CHECK_CONTAINS(err.message, "p.json: duplicate key 'mode'");
    free(problems);
    CHECK_INT(ms_policy_parse("[1]", 3, "p.json", &q, &problems, &err), MS_E_FORMAT);
    CHECK_CONTAINS(err.message, "p.json: expected a JSON object");
    free(problems);
    CHECK_INT(ms_policy_load("/nonexistent/policy.json", &q, &problems, &err), MS_E_IO);
    CHECK(q == NULL);
    free(problems);
}

/* ---- evaluation ---- */

static const ms_policy_result *find(const ms_policy_results *r, const char *rule)
{
    for (size_t i = 0; i < r->n; i++)
        if (strcmp(r->v[i].rule, rule) == 0)
            return &r->v[i];
    return NULL;
}

static ms_policy_results *eval(const char *policy, const ms_policy_facts *f)
{
    ms_policy *p = parse_ok(policy);
    if (p == NULL)
        return NULL;
    ms_policy_results *r = NULL;
    ms_error err;
    CHECK_INT(ms_policy_evaluate(p, f, &r, &err), MS_OK);
    ms_policy_free(p);
    return r;
}

/* Evaluate and check one rule's verdict and a fragment of its evidence or message. */
static void expect(const char *policy, const ms_policy_facts *f, const char *rule,
                   ms_policy_verdict v, const char *frag)
{
    ms_policy_results *r = eval(policy, f);
    if (r == NULL)
        return;
    const ms_policy_result *x = find(r, rule);
    CHECK(x != NULL);
    if (x != NULL) {
        if (x->verdict != v)
            fprintf(stderr, "rule %s: %s / %s\n", rule, x->evidence, x->message);
        CHECK_STR(ms_policy_verdict_name(x->verdict), ms_policy_verdict_name(v));
        if (frag != NULL && strstr(x->evidence, frag) == NULL)
            CHECK_CONTAINS(x->message, frag);
    }
    ms_policy_results_free(r);
}

#define HEAD "{\"policyVersion\":1,\"mode\":\"enforce\","
#define AUDIT "{\"policyVersion\":1,\"mode\":\"audit\","

static ms_license_picture *picture(const char *declared, const ms_license_parent *par, size_t n)
{
    ms_license_picture *pic = NULL;
    ms_error err;
    CHECK_INT(ms_license_propagate(declared, par, n, &pic, &err), MS_OK);
    return pic;
}

static void test_licenses(void)
{
    ms_policy_facts f = {0};
    ms_license_picture *pic = picture("MIT OR GPL-3.0-only", NULL, 0);
    f.licenses = pic;
    f.declared = "MIT OR GPL-3.0-only";
    const char *permissive = HEAD "\"licenses\":{\"allowClasses\":[\"permissive\"]}}";
    expect(permissive, &f, "licenses.allowed", MS_VERDICT_PASS, "declared 'MIT OR GPL-3.0-only'");
    expect(HEAD "\"licenses\":{\"deny\":[\"MIT\"],\"allowClasses\":[\"permissive\"]}}", &f,
           "licenses.allowed", MS_VERDICT_FAIL, "'GPL-3.0-only' is copyleft");
    expect(HEAD "\"licenses\":{\"denyClasses\":[\"copyleft\"]}}", &f, "licenses.allowed",
           MS_VERDICT_PASS, NULL);
    ms_license_picture_free(pic);

    pic = picture("MIT AND CC-BY-NC-4.0", NULL, 0);
    f.licenses = pic;
    expect(permissive, &f, "licenses.allowed", MS_VERDICT_FAIL, "'CC-BY-NC-4.0' is noncommercial");
    expect(HEAD "\"licenses\":{\"allow\":[\"MIT\",\"CC-BY-NC-4.0\"]}}", &f, "licenses.allowed",
           MS_VERDICT_PASS, NULL);
    expect(HEAD "\"licenses\":{\"allowClasses\":[\"permissive\",\"noncommercial\"]}}", &f,
           "licenses.allowed", MS_VERDICT_PASS, NULL);
    ms_license_picture_free(pic);

    pic = picture("LGPL-2.1-only", NULL, 0);
    f.licenses = pic;
    expect(HEAD "\"licenses\":{\"allowClasses\":[\"permissive\",\"copyleft-weak\"]}}", &f,
           "licenses.allowed", MS_VERDICT_PASS, NULL);
    expect(HEAD "\"licenses\":{\"allowClasses\":[\"permissive\"]}}", &f, "licenses.allowed",
           MS_VERDICT_FAIL, "copyleft");
    ms_license_picture_free(pic);

    /* No declared license: cannot be evaluated; fails in enforce unless optional. */
    pic = picture(NULL, NULL, 0);
    f.licenses = pic;
    f.declared = NULL;
    expect(permissive, &f, "licenses.allowed", MS_VERDICT_FAIL, "could not be evaluated");
    expect(HEAD "\"optional\":[\"licenses.allowed\"],\"licenses\":{\"allowClasses\":[\"permissive\"]}}",
           &f, "licenses.allowed", MS_VERDICT_NOT_EVALUATED, "declares no valid license");
    expect(AUDIT "\"licenses\":{\"allowClasses\":[\"permissive\"]}}", &f, "licenses.allowed",
           MS_VERDICT_NOT_EVALUATED, NULL);
    expect(HEAD "\"licenses\":{\"unknown\":\"deny\"}}", &f, "licenses.unknown", MS_VERDICT_FAIL,
           "no valid declared license");
    ms_license_picture_free(pic);

    pic = picture("LicenseRef-Acme-Internal", NULL, 0);
    f.licenses = pic;
    expect(HEAD "\"licenses\":{\"unknown\":\"warn\"}}", &f, "licenses.unknown", MS_VERDICT_WARN,
           "'LicenseRef-Acme-Internal' (metadata license)");
    expect(HEAD "\"licenses\":{\"unknown\":\"allow\"}}", &f, "licenses.unknown", MS_VERDICT_PASS, NULL);
    ms_license_picture_free(pic);

    /* Inherited conditions and conflicts. */
    ms_license_parent par[] = {{MS_PARENT_BASE_MODEL, "llama", "LicenseRef-Llama-3-Community", "finetune"},
                               {MS_PARENT_DATASET, "nc-data", "CC-BY-NC-4.0", "training"}};
    ms_policy_base_fact bases[] = {{"llama", NULL, "LicenseRef-Llama-3-Community", 0}};
    ms_policy_dataset_fact ds[] = {{"nc-data", NULL, NULL, "CC-BY-NC-4.0", "training", 0, 0}};
    pic = picture("MIT", par, 2);
    f.licenses = pic;
    f.declared = "MIT";
    f.bases = bases;
    f.base_count = 1;
    f.datasets = ds;
    f.dataset_count = 1;
    expect(HEAD "\"licenses\":{\"denyInherited\":[\"noncommercial\"]}}", &f, "licenses.inherited",
           MS_VERDICT_FAIL, "noncommercial from 'nc-data' under 'CC-BY-NC-4.0' (lineage)");
    expect(HEAD "\"licenses\":{\"denyInherited\":[\"copyleft\"]}}", &f, "licenses.inherited",
           MS_VERDICT_PASS, NULL);
    expect(HEAD "\"licenses\":{\"conflicts\":\"fail\"}}", &f, "licenses.conflicts", MS_VERDICT_FAIL,
           "license conflict");
    expect(HEAD "\"licenses\":{\"conflicts\":\"warn\"}}", &f, "licenses.conflicts", MS_VERDICT_WARN, NULL);
    ms_license_picture_free(pic);
    pic = picture("Apache-2.0", NULL, 0);
    f.licenses = pic;
    f.base_count = f.dataset_count = 0;
    expect(HEAD "\"licenses\":{\"conflicts\":\"fail\"}}", &f, "licenses.conflicts", MS_VERDICT_PASS, NULL);
    ms_license_picture_free(pic);
}

static void test_lineage(void)
{
    ms_policy_dataset_fact ds[] = {
        {"wiki", "https://example.com/wiki", "sha256:aa", "CC-BY-SA-4.0", "training", 1, 5000},
        {"evalset", "https://scraped.example/x", NULL, NULL, "evaluation", 1, 10},
    };
    ms_policy_base_fact bases[] = {{"base", "sha256:bb", "MIT", 0}};
    ms_policy_facts f = {.datasets = ds, .dataset_count = 2, .bases = bases, .base_count = 1};
    expect(HEAD "\"datasets\":{\"requireDigests\":true}}", &f, "datasets.digests", MS_VERDICT_FAIL,
           "dataset 'evalset' has no digest (metadata datasets[1])");
    expect(HEAD "\"datasets\":{\"deny\":[{\"uri\":\"https://scraped.example/*\"}]}}", &f,
           "datasets.denied", MS_VERDICT_FAIL, "dataset 'evalset' matches datasets.deny[0]");
    expect(HEAD "\"datasets\":{\"deny\":[{\"license\":\"CC-BY-SA-4.0\",\"name\":\"other\"}]}}", &f,
           "datasets.denied", MS_VERDICT_PASS, NULL);
    expect(HEAD "\"datasets\":{\"deny\":[{\"license\":\"CC-BY-SA-4.0\"}]}}", &f, "datasets.denied",
           MS_VERDICT_FAIL, "'wiki'");
    expect(HEAD "\"datasets\":{\"requiredRoles\":[\"evaluation\",\"calibration\"]}}", &f,
           "datasets.roles", MS_VERDICT_FAIL, "no calibration dataset declared");
    expect(HEAD "\"datasets\":{\"requiredRoles\":[\"evaluation\"]}}", &f, "datasets.roles",
           MS_VERDICT_PASS, "evaluation: 'evalset'");
    expect(HEAD "\"datasets\":{\"minRecords\":100}}", &f, "datasets.records", MS_VERDICT_FAIL,
           "dataset 'evalset' has 10 records");
    expect(HEAD "\"datasets\":{\"minRecords\":10}}", &f, "datasets.records", MS_VERDICT_PASS, NULL);
    expect(HEAD "\"baseModels\":{\"requireDigests\":true,\"maxDepth\":0}}", &f, "baseModels.depth",
           MS_VERDICT_FAIL, "lineage depth 1");
    expect(HEAD "\"baseModels\":{\"requireDigests\":true}}", &f, "baseModels.digests",
           MS_VERDICT_PASS, NULL);
    expect(HEAD "\"baseModels\":{\"requireVerified\":true}}", &f, "baseModels.verified",
           MS_VERDICT_FAIL, "--verify-parents");
    f.parents_checked = 1;
    bases[0].verified = 1;
    expect(HEAD "\"baseModels\":{\"requireVerified\":true}}", &f, "baseModels.verified",
           MS_VERDICT_PASS, NULL);
}

static void test_signers_and_more(void)
{
    ms_policy_signer_fact s[] = {{"k1", "ed25519", "packager", 1},
                                 {"k2", "ecdsa-p256", "approver", 1},
                                 {"k2", "ecdsa-p256", "approver", 1},
                                 {"k3", "ed25519", "approver", 0}};
    const char *fields[] = {"description", "authors"};
    ms_policy_tensor_fact t[] = {{"w1", "q4_0", "q4_0", 1, 1, 1, 22.5, 25.0, 0.0, 4.5},
                                 {"w2", "int8", "q4_0", 1, 0, 1, 40.0, 0, 0.5, 8.0},
                                 {"b", "none", "none", 0, 0, 0, 0, 0, 0, 32}};
    ms_policy_facts f = {.signers = s, .signer_count = 4, .signatures_checked = 1,
                         .metadata_fields = fields, .metadata_field_count = 2,
                         .has_compression = 1, .tensors = t, .tensor_count = 3,
                         .has_model_sqnr = 1, .model_sqnr_db = 31.0, .model_bpw = 6.2,
                         .has_model_sparsity = 1, .model_sparsity = 0.25,
                         .has_probes = 1, .probes_checked = 1, .version = "1.2.0",
                         .has_build_time = 1, .build_time = 1000000, .now = 1000000 + 10 * 86400,
                         .bundle_size = 4096, .format_version = "1.0"};
    expect(HEAD "\"signers\":{\"requiredRoles\":{\"approver\":2}}}", &f, "signers.roles",
           MS_VERDICT_FAIL, "approver: 1 of 2");
    expect(HEAD "\"signers\":{\"requiredRoles\":{\"approver\":1,\"packager\":1}}}", &f,
           "signers.roles", MS_VERDICT_PASS, NULL);
    expect(HEAD "\"signers\":{\"algorithms\":[\"ed25519\"]}}", &f, "signers.algorithms",
           MS_VERDICT_FAIL, "key k2: ecdsa-p256");
    expect(HEAD "\"signers\":{\"algorithms\":[\"ed25519\",\"ecdsa-p256\"]}}", &f,
           "signers.algorithms", MS_VERDICT_PASS, NULL);
    expect(HEAD "\"metadata\":{\"required\":[\"authors\",\"limitations\"]}}", &f,
           "metadata.required", MS_VERDICT_FAIL, "limitations missing (metadata)");
    expect(HEAD "\"metadata\":{\"required\":[\"authors\"]}}", &f, "metadata.required",
           MS_VERDICT_PASS, NULL);
    expect(HEAD "\"compression\":{\"schemes\":[\"q4_0\",\"none\"]}}", &f, "compression.schemes",
           MS_VERDICT_FAIL, "tensor 'w2' uses int8");
    expect(HEAD "\"compression\":{\"minWorstSqnrDb\":30}}", &f, "compression.worstSqnr",
           MS_VERDICT_FAIL, "worst tensor 'w1' 22.50 dB, floor 30.00 dB");
    expect(HEAD "\"compression\":{\"minWorstSqnrDb\":20}}", &f, "compression.worstSqnr",
           MS_VERDICT_PASS, NULL);
    expect(HEAD "\"compression\":{\"minModelSqnrDb\":35}}", &f, "compression.modelSqnr",
           MS_VERDICT_FAIL, "model SQNR 31.00 dB");
    expect(HEAD "\"compression\":{\"minProbeSqnrDb\":30}}", &f, "compression.probeSqnr",
           MS_VERDICT_FAIL, "worst probe 'w1' 25.00 dB");
    expect(HEAD "\"compression\":{\"maxBitsPerWeight\":4.5}}", &f, "compression.bitsPerWeight",
           MS_VERDICT_FAIL, "6.200 bits per weight");
    expect(HEAD "\"compression\":{\"maxSparsity\":0.1}}", &f, "compression.sparsity",
           MS_VERDICT_FAIL, "sparsity 0.2500");
    expect(HEAD "\"compression\":{\"allowFallbacks\":false}}", &f, "compression.fallbacks",
           MS_VERDICT_FAIL, "tensor 'w2' asked q4_0, got int8");
    expect(HEAD "\"compression\":{\"allowFallbacks\":true}}", &f, "compression.fallbacks",
           MS_VERDICT_PASS, NULL);
    expect(HEAD "\"integrity\":{\"requireProbes\":true}}", &f, "integrity.probes", MS_VERDICT_PASS, NULL);
    expect(HEAD "\"release\":{\"minVersion\":\"1.10.0\"}}", &f, "release.minVersion",
           MS_VERDICT_FAIL, "version 1.2.0, minimum 1.10.0");
    expect(HEAD "\"release\":{\"requireRollbackState\":true}}", &f, "release.rollbackState",
           MS_VERDICT_FAIL, "--state DIR");
    expect(HEAD "\"release\":{\"maxAgeDays\":7}}", &f, "release.maxAge", MS_VERDICT_FAIL,
           "built 10 days ago, limit 7");
    expect(HEAD "\"release\":{\"maxAgeDays\":30}}", &f, "release.maxAge", MS_VERDICT_PASS, NULL);
    expect(HEAD "\"bundle\":{\"maxSizeBytes\":4095}}", &f, "bundle.maxSize", MS_VERDICT_FAIL,
           "4096 bytes, limit 4095");
    expect(HEAD "\"bundle\":{\"formatVersions\":[\"2.0\"]}}", &f, "bundle.formatVersion",
           MS_VERDICT_FAIL, "format version 1.0");

    /* Nothing about compression without a report; every rule still reported. */
    f.has_compression = 0;
    f.has_probes = 0;
    ms_policy_results *r = eval(HEAD "\"compression\":{\"schemes\":[\"int8\"],\"minWorstSqnrDb\":1},"
                                "\"integrity\":{\"requireProbes\":true},"
                                "\"bundle\":{\"maxSizeBytes\":1}}", &f);
    if (r != NULL) {
        CHECK_INT(r->n, 4);
        CHECK_INT(r->fail, 4);
        CHECK_INT(ms_policy_results_blocking(r), 1);
        CHECK_CONTAINS(find(r, "compression.schemes")->message, "could not be evaluated: the "
                       "bundle carries no compression report");
        CHECK_INT(find(r, "compression.schemes")->unevaluated, 1);
        CHECK_CONTAINS(find(r, "integrity.probes")->evidence, "no probes layer");
    }
    ms_policy_results_free(r);
    r = eval(AUDIT "\"bundle\":{\"maxSizeBytes\":1}}", &f);
    if (r != NULL) {
        CHECK_INT(r->fail, 1);
        CHECK_INT(ms_policy_results_blocking(r), 0);
    }
    ms_policy_results_free(r);
}

int main(void)
{
    test_parse();
    test_licenses();
    test_lineage();
    test_signers_and_more();
    return check_finish("test_policy");
}
