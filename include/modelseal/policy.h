/*
 * modelseal: deployment policies (docs/policy.md).
 *
 * A policy is a JSON document (schemas/policy-v1.schema.json) of rules a
 * verified bundle must meet: licenses, datasets, base models, signers,
 * metadata, compression fidelity, probes, release and bundle limits.
 */
#ifndef MODELSEAL_POLICY_H
#define MODELSEAL_POLICY_H

#include <stddef.h>
#include <stdint.h>

#include "modelseal/error.h"
#include "modelseal/keys.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ms_policy ms_policy;
typedef struct ms_policy_results ms_policy_results;

/*
 * Parse and validate a policy document of len bytes; `what` names it in
 * messages.  An invalid document gives MS_E_FORMAT (MS_E_LIMIT when too
 * large) and, when problems is not NULL, *problems receives every mistake,
 * one per line ("licenses.alow: unknown field (did you mean 'allow'?)"),
 * malloc'd; err holds the first and the count.  *out is NULL on failure.
 */
ms_status ms_policy_parse(const char *buf, size_t len, const char *what, ms_policy **out,
                          char **problems, ms_error *err);
/* The same, reading a file (MS_E_IO when unreadable). */
ms_status ms_policy_load(const char *path, ms_policy **out, char **problems, ms_error *err);
void ms_policy_free(ms_policy *p);

/* The DSSE payload type of a signed policy. */
#define MS_POLICY_PAYLOAD_TYPE "application/vnd.modelseal.policy.v1+json"

/*
 * Sign a policy document: it is validated first (as ms_policy_parse, with
 * *problems), then wrapped in a DSSE envelope signed by sk; *out is the
 * envelope's JSON text, malloc'd.
 */
ms_status ms_policy_sign(const char *buf, size_t len, const char *what, const ms_secret_key *sk,
                         char **out, char **problems, ms_error *err);
/* The same, reading the policy file at path. */
ms_status ms_policy_sign_file(const char *path, const ms_secret_key *sk, char **out,
                              char **problems, ms_error *err);
/*
 * Load a policy that may be signed.  A DSSE envelope of payload type
 * MS_POLICY_PAYLOAD_TYPE gives its payload; with key not NULL the envelope
 * must carry a valid signature by key, else MS_E_REJECTED (a bad or missing
 * signature, another key, a plain unsigned document, another payload
 * type).  Then as ms_policy_load.
 */
ms_status ms_policy_load_signed(const char *path, const ms_public_key *key, ms_policy **out,
                                char **problems, ms_error *err);

/* The policy's name ("" when it has none), and 1 in audit mode. */
const char *ms_policy_name(const ms_policy *p);
int ms_policy_is_audit(const ms_policy *p);
/* MS_E_REJECTED with a message when the policy has expired at time `at` (Unix seconds). */
ms_status ms_policy_check_expiry(const ms_policy *p, int64_t at, ms_error *err);

/* A starting policy with a "$comment" explaining each rule (static text, valid). */
const char *ms_policy_template(void);

/* Results of evaluating a policy (made by ms_verify with a policy). */
void ms_policy_results_free(ms_policy_results *r);
/* Counts; 1 when the results mean the bundle may not ship (a failure, enforce mode). */
size_t ms_policy_results_failed(const ms_policy_results *r);
int ms_policy_results_blocking(const ms_policy_results *r);

#ifdef __cplusplus
}
#endif
#endif
