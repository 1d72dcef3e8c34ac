/*
 * Shared by the rule files of policy evaluation (policy/policy_eval.c,
 * policy/policy_licenses.c): one rule at a time gathers its evidence, then
 * records its verdict.
 */
#ifndef MS_POLICY_JUDGE_H
#define MS_POLICY_JUDGE_H

#include "core/text.h"
#include "policy/policy.h"

typedef struct judge {
    const ms_policy *p;
    const ms_policy_facts *f;
    ms_policy_results *r;
    int oom;
    ms_strbuf ev; /* evidence of the rule being judged, "; "-separated */
} judge;

/* Append one piece of evidence (values found and where in the bundle). */
void ms_policy_evidence(judge *j, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Record the rule's result; a not-evaluated rule fails in enforce mode unless optional. */
void ms_policy_record(judge *j, const char *rule, ms_policy_verdict v, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* A bundle string made safe for a message ("" for NULL). */
const char *ms_policy_q(const char *s);
/* 1 when id is in the list, ASCII case folded. */
int ms_policy_in_list(const ms_policy_list *l, const char *id);

/* The licenses.* rules (policy/policy_licenses.c). */
void ms_policy_rule_allowed(judge *j);
void ms_policy_rule_unknown(judge *j);
void ms_policy_rule_inherited(judge *j);
void ms_policy_rule_conflicts(judge *j);
/* 1 when the SPDX expression names the license id in some alternative. */
int ms_policy_license_mentions(const char *expr, const char *id);

#endif
