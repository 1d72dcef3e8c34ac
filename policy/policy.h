/*
 * Deployment policies (docs/policy.md): a JSON document of rules that a
 * verified bundle must meet, and their evaluation.
 *
 * policy/policy_doc.c parses and validates the document strictly: every
 * mistake is collected (field path, what was expected, the nearest known
 * field name), not only the first.  policy/policy_eval.c evaluates every
 * configured rule against an ms_policy_facts the verifier fills from the
 * bundle it has already read: evaluation never touches the bundle itself.
 *
 * Rule ids are stable (they appear in reports and in a policy's
 * "optional" list); ms_policy_rule_ids() lists them in evaluation order.
 */
#ifndef MS_POLICY_POLICY_H
#define MS_POLICY_POLICY_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "modelseal/policy.h"
#include "policy/propagate.h"
#include "policy/spdx.h"

#define MS_POLICY_MAX_BYTES (1024 * 1024) /* a policy document */
#define MS_POLICY_MAX_LIST 1024           /* entries of any list */
#define MS_POLICY_MAX_PROBLEMS 200        /* mistakes listed before giving up */

typedef enum ms_policy_mode { MS_POLICY_ENFORCE, MS_POLICY_AUDIT } ms_policy_mode;

/* What to do with a license condition the lists do not settle. */
typedef enum ms_policy_action {
    MS_POLICY_UNSET = 0,
    MS_POLICY_ALLOW,
    MS_POLICY_WARN,
    MS_POLICY_DENY,
} ms_policy_action;

typedef struct ms_policy_list {
    char **v;
    size_t n;
} ms_policy_list;

/* One dataset deny entry: every field given must match (uri is a glob). */
typedef struct ms_policy_dataset_match {
    char *name, *uri, *digest, *license;
} ms_policy_dataset_match;

typedef struct ms_policy_role {
    char *role;
    uint64_t threshold;
} ms_policy_role;

/* An optional number: has = 0 when the policy does not set it. */
typedef struct ms_policy_num {
    int has;
    double v;
} ms_policy_num;

struct ms_policy {
    char *name;
    ms_policy_mode mode;
    int has_expires;
    int64_t expires;
    ms_policy_list optional; /* rule ids that may stay not-evaluated in enforce mode */

    /* licenses */
    int lic_has_allow;            /* allow or allowClasses given */
    ms_policy_list lic_allow, lic_deny;
    int lic_allow_classes;        /* MS_LICENSE_* bits; MS_POLICY_CLASS_PERMISSIVE too */
    int lic_allow_permissive;
    int lic_deny_classes;
    ms_policy_action lic_unknown; /* unknown ids and unlisted LicenseRef- */
    int lic_has_inherited;
    int lic_inherited_deny;       /* classes a parent may not pass on */
    ms_policy_action lic_conflicts;

    /* datasets */
    int ds_require_digests;
    ms_policy_dataset_match *ds_deny;
    size_t ds_deny_n;
    ms_policy_list ds_roles;
    int ds_has_min_records;
    uint64_t ds_min_records;

    /* baseModels */
    int bm_require_digests;
    int bm_has_max_depth;
    uint64_t bm_max_depth;
    int bm_require_verified;

    /* signers */
    ms_policy_role *roles;
    size_t role_n;
    ms_policy_list algorithms;

    /* metadata */
    ms_policy_list required_fields;

    /* compression */
    ms_policy_list schemes;
    ms_policy_num min_worst_sqnr, min_model_sqnr, min_probe_sqnr, max_bpw, max_sparsity;
    int has_fallbacks, allow_fallbacks;

    /* integrity */
    int require_probes;

    /* release */
    char *min_version;
    int require_rollback;
    int has_max_age;
    uint64_t max_age_days;

    /* bundle */
    int has_max_size;
    uint64_t max_size;
    ms_policy_list format_versions;
};

/* ---- facts: what the verifier found, with where it came from ---- */

typedef struct ms_policy_dataset_fact {
    const char *name, *uri, *digest, *license, *role;
    int has_records;
    uint64_t records;
} ms_policy_dataset_fact;

typedef struct ms_policy_base_fact {
    const char *name, *digest, *license;
    int verified; /* 1 when --verify-parents verified it */
} ms_policy_base_fact;

typedef struct ms_policy_signer_fact {
    const char *keyid, *algorithm, *role;
    int valid; /* a valid signature by a trusted key */
} ms_policy_signer_fact;

typedef struct ms_policy_tensor_fact {
    const char *name, *scheme, *requested;
    int has_sqnr, has_probe_sqnr, has_sparsity;
    double sqnr_db, probe_sqnr_db, sparsity, bits_per_weight;
} ms_policy_tensor_fact;

typedef struct ms_policy_facts {
    /* license picture (policy/propagate.c); NULL when the bundle has none */
    const char *declared;              /* as recorded in the metadata */
    const ms_license_picture *licenses;
    const ms_policy_dataset_fact *datasets;
    size_t dataset_count;
    const ms_policy_base_fact *bases;
    size_t base_count;
    int parents_checked; /* --verify-parents was given */
    const ms_policy_signer_fact *signers;
    size_t signer_count;
    int signatures_checked;
    /* metadata fields present: "description", "authors", "intendedUse", ... */
    const char *const *metadata_fields;
    size_t metadata_field_count;
    /* compression report, when the bundle has one */
    int has_compression;
    const ms_policy_tensor_fact *tensors;
    size_t tensor_count;
    int has_model_sqnr;      /* null in the report when exact */
    double model_sqnr_db, model_bpw, model_sparsity;
    int has_model_sparsity;
    int has_probes;          /* the bundle carries probes */
    int probes_checked;      /* and they were recomputed and matched */
    const char *version;
    int rollback_used;       /* --state was given and checked */
    int has_build_time;
    int64_t build_time;      /* org.opencontainers.image.created */
    int64_t now;             /* the time of judgement (--at or now) */
    uint64_t bundle_size;
    const char *format_version;
} ms_policy_facts;

/* ---- results ---- */

typedef enum ms_policy_verdict {
    MS_VERDICT_PASS,
    MS_VERDICT_FAIL,
    MS_VERDICT_WARN,
    MS_VERDICT_NOT_EVALUATED,
} ms_policy_verdict;

typedef struct ms_policy_result {
    const char *rule;    /* stable id, "compression.worstSqnr" */
    ms_policy_verdict verdict;
    int unevaluated;     /* the rule could not be evaluated (then fail or not-evaluated) */
    char *evidence;      /* values found and where: "worst tensor 'w1' 21.3 dB (compression report)" */
    char *message;       /* what to do about it; sanitized */
} ms_policy_result;

struct ms_policy_results {
    ms_policy_result *v;
    size_t n;
    size_t fail, warn, not_evaluated, pass;
    int audit;           /* the policy is in audit mode */
    char *policy_name;
};

/*
 * Evaluate every configured rule (none short-circuits).  In enforce mode a
 * rule that cannot be evaluated fails unless its id is in the policy's
 * "optional" list.  MS_E_NOMEM only.
 */
ms_status ms_policy_evaluate(const ms_policy *p, const ms_policy_facts *f,
                             ms_policy_results **out, ms_error *err);

/* The results as a compact table (malloc'd text) and as the report's
 * "policy" object (policy/policy_render.c); NULL when out of memory. */
char *ms_policy_results_text(const ms_policy_results *r);
cJSON *ms_policy_results_json(const ms_policy_results *r);

/* 1 when a rule needs the bundle file's exact size (bundle.maxSize). */
int ms_policy_needs_bundle_size(const ms_policy *p);

/* "pass", "fail", "warn", "not-evaluated". */
const char *ms_policy_verdict_name(ms_policy_verdict v);

/* Every rule id, in evaluation order; *n gets the count. */
const char *const *ms_policy_rule_ids(size_t *n);

/* A class name ("noncommercial", ..., "permissive") to its MS_LICENSE_* bit;
 * MS_POLICY_CLASS_PERMISSIVE for "permissive"; 0 when unknown. */
#define MS_POLICY_CLASS_PERMISSIVE 0x10000
int ms_policy_class_bit(const char *name);
/* The restricting classes: all but attribution. */
#define MS_POLICY_RESTRICTING                                                            \
    (MS_LICENSE_NONCOMMERCIAL | MS_LICENSE_SHAREALIKE | MS_LICENSE_COPYLEFT |            \
     MS_LICENSE_COPYLEFT_WEAK | MS_LICENSE_COPYLEFT_NETWORK | MS_LICENSE_USE_RESTRICTED | \
     MS_LICENSE_NO_DERIVATIVES)

#endif
