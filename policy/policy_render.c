/*
 * Policy results for people (a compact table after verify's checks) and for
 * pipelines (the "policy" section of the verify and audit JSON reports).
 */
#include <stdlib.h>
#include <string.h>

#include "core/json.h"
#include "core/text.h"
#include "policy/policy.h"

static const char *summary_word(const ms_policy_results *r)
{
    if (r->fail > 0)
        return r->audit ? "failed (audit mode: not enforced)" : "FAILED";
    return r->warn > 0 ? "passed with warnings" : "passed";
}

char *ms_policy_results_text(const ms_policy_results *r)
{
    ms_strbuf b = {0};
    ms_strbuf_printf(&b, "policy:    %s (%s mode)\n",
                     r->policy_name[0] ? ms_text_clean(r->policy_name) : "(unnamed)",
                     r->audit ? "audit" : "enforce");
    size_t w = 4;
    for (size_t i = 0; i < r->n; i++)
        if (strlen(r->v[i].rule) > w)
            w = strlen(r->v[i].rule);
    for (size_t i = 0; i < r->n; i++) {
        const ms_policy_result *x = &r->v[i];
        const char *v = x->verdict == MS_VERDICT_PASS   ? "pass"
                        : x->verdict == MS_VERDICT_FAIL ? "FAIL"
                        : x->verdict == MS_VERDICT_WARN ? "warn"
                                                        : "n/a";
        ms_strbuf_printf(&b, "  %-4s %-*s %s\n", v, (int)w, x->rule, ms_text_clean(x->evidence));
        if (x->verdict != MS_VERDICT_PASS)
            ms_strbuf_printf(&b, "       %-*s -> %s\n", (int)w, "", ms_text_clean(x->message));
    }
    ms_strbuf_printf(&b, "policy result: %s (%zu pass, %zu fail, %zu warn, %zu not evaluated)\n",
                     summary_word(r), r->pass, r->fail, r->warn, r->not_evaluated);
    return ms_strbuf_take(&b);
}

cJSON *ms_policy_results_json(const ms_policy_results *r)
{
    cJSON *o = cJSON_CreateObject();
    if (o == NULL)
        return NULL;
    cJSON_AddStringToObject(o, "state", "evaluated");
    cJSON_AddStringToObject(o, "name", r->policy_name);
    cJSON_AddStringToObject(o, "mode", r->audit ? "audit" : "enforce");
    cJSON_AddStringToObject(o, "result", r->fail > 0 ? "fail" : r->warn > 0 ? "warn" : "pass");
    cJSON_AddBoolToObject(o, "enforced", !r->audit);
    cJSON *c = cJSON_AddObjectToObject(o, "counts");
    if (c != NULL) {
        ms_json_add_u64(c, "pass", r->pass);
        ms_json_add_u64(c, "fail", r->fail);
        ms_json_add_u64(c, "warn", r->warn);
        ms_json_add_u64(c, "notEvaluated", r->not_evaluated);
    }
    cJSON *rules = cJSON_AddArrayToObject(o, "rules");
    for (size_t i = 0; rules != NULL && i < r->n; i++) {
        cJSON *x = cJSON_CreateObject();
        if (x == NULL)
            break;
        cJSON_AddStringToObject(x, "rule", r->v[i].rule);
        cJSON_AddStringToObject(x, "verdict", ms_policy_verdict_name(r->v[i].verdict));
        cJSON_AddBoolToObject(x, "evaluated", !r->v[i].unevaluated);
        cJSON_AddStringToObject(x, "evidence", r->v[i].evidence);
        cJSON_AddStringToObject(x, "message", r->v[i].message);
        cJSON_AddItemToArray(rules, x);
    }
    return o;
}
