/* verify --policy and audit --policy: a policy judged against a verified view. */
#ifndef MS_VERIFY_POLICY_CHECK_H
#define MS_VERIFY_POLICY_CHECK_H

#include "modelseal/policy.h"
#include "verify/view.h"

/*
 * Evaluate p on the verified view v (read with MS_LAYOUT_HASH_FILE): facts
 * come from the view, its audit picture and the report r, never from the
 * file again.  at: the time of judgement; rollback_used: --state was
 * checked; parents_checked: --verify-parents verified the base models.
 */
ms_status ms_policy_check_view(const ms_view *v, const char *path, const ms_policy *p,
                               const ms_report *r, int64_t at, int rollback_used,
                               int parents_checked, ms_policy_results **out, ms_error *err);

/*
 * audit --policy: the verdicts after the rendered audit out (freed here): a
 * table for text, a "policy" member for JSON.  NULL when out of memory.
 */
char *ms_policy_append_to_audit(char *out, int json, const ms_policy_results *pol);

#endif
