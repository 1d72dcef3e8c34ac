/* Building verification reports (the public side is in modelseal/bundle.h). */
#ifndef MS_VERIFY_REPORT_H
#define MS_VERIFY_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "modelseal/bundle.h"
#include "modelseal/policy.h"

#define MS_REPORT_VERSION 2

ms_report *ms_report_new(const char *bundle_path);
/* Record a check; the detail is printf-formatted.  Returns ok. */
int ms_report_check(ms_report *r, const char *check, int ok, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void ms_report_set_model(ms_report *r, const char *name, const char *version,
                         const char *manifest_digest, const char *format_version);
/* verdict: "valid", "invalid", "untrusted-key", ... ; detail may be NULL. */
void ms_report_signature(ms_report *r, const char *keyid, const char *algorithm,
                         const char *role, int trusted, int valid, const char *verdict,
                         const char *detail);
/* A role's threshold (0 when none is required) and the distinct keys that counted. */
void ms_report_role(ms_report *r, const char *role, uint64_t required, size_t valid);
/* Mark that the bundle could not be fully checked (exit 3), with the reason. */
void ms_report_set_error(ms_report *r, const char *message);
/* Number of valid signatures by trusted keys. */
size_t ms_report_valid_signatures(const ms_report *r);

/* One signature verdict as recorded (strings owned by the report; role, algorithm may be NULL). */
typedef struct ms_report_sig {
    const char *keyid, *algorithm, *role, *verdict;
    int trusted, valid;
} ms_report_sig;
size_t ms_report_signature_count(const ms_report *r);
/* Fill *out with verdict i; 0 when i is out of range. */
int ms_report_signature_get(const ms_report *r, size_t i, ms_report_sig *out);

/* A check that was not run because of an earlier failure (neither passed
 * nor failed: not counted by ms_report_failures). */
void ms_report_not_run(ms_report *r, const char *name, const char *why);
/* Structured facts of a verified bundle (license, compression, lineage): owned. */
void ms_report_set_summary(ms_report *r, cJSON *summary);

/* verify --policy: attach the results (the report owns them), or say why the
 * policy was not run (an earlier check failed). */
void ms_report_set_policy(ms_report *r, ms_policy_results *res);
void ms_report_policy_skipped(ms_report *r, const char *why);
const ms_policy_results *ms_report_policy(const ms_report *r);

/* Details of the failed checks as malloc'd strings; returns their count. */
size_t ms_report_failed_details(const ms_report *r, char ***out);

#endif
