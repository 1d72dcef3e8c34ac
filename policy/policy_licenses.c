/*
 * The licenses.* rules of a policy (docs/policy.md): the declared SPDX
 * expression against allow and deny lists and classes, unknown licenses,
 * conditions inherited through the lineage, and conflicts found by
 * policy/propagate.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "policy/policy_judge.h"

/* ---- licenses ---- */

#define MAX_TERMS 64

/* One OR-alternative: the license terms that all apply. */
typedef struct alt {
    const ms_spdx_node *t[MAX_TERMS];
    size_t n;
} alt;

/* Expand into at most cap alternatives; -1 when larger. */
static int expand(const ms_spdx_node *n, alt *out, size_t cap, size_t *count)
{
    if (n->kind == MS_SPDX_LICENSE || n->kind == MS_SPDX_WITH) {
        if (*count >= cap)
            return -1;
        out[*count].t[0] = n;
        out[*count].n = 1;
        (*count)++;
        return 0;
    }
    if (n->kind == MS_SPDX_OR)
        return expand(n->left, out, cap, count) != 0 ? -1 : expand(n->right, out, cap, count);
    /* AND: the cross product of both sides' alternatives. */
    alt *l = calloc(cap, sizeof *l), *r = calloc(cap, sizeof *r);
    size_t ln = 0, rn = 0;
    int rc = -1;
    if (l != NULL && r != NULL && expand(n->left, l, cap, &ln) == 0 &&
        expand(n->right, r, cap, &rn) == 0 && *count + ln * rn <= cap) {
        rc = 0;
        for (size_t a = 0; a < ln && rc == 0; a++)
            for (size_t b = 0; b < rn; b++) {
                if (l[a].n + r[b].n > MAX_TERMS) {
                    rc = -1;
                    break;
                }
                alt *o = &out[(*count)++];
                memcpy(o->t, l[a].t, l[a].n * sizeof o->t[0]);
                memcpy(o->t + l[a].n, r[b].t, r[b].n * sizeof o->t[0]);
                o->n = l[a].n + r[b].n;
            }
    }
    free(l);
    free(r);
    return rc;
}

static const char *term_id(const ms_spdx_node *t)
{
    return t->kind == MS_SPDX_WITH ? t->left->id : t->id;
}

/* The classes of a term that an allowClasses list must cover. */
static int covered_by_classes(const ms_policy *p, int flags)
{
    if (flags & MS_LICENSE_UNKNOWN)
        return 0;
    int ok = p->lic_allow_classes;
    if (p->lic_allow_permissive)
        ok |= MS_LICENSE_ATTRIBUTION;
    /* Allowing a kind of copyleft allows the copyleft bit that comes with it. */
    if ((flags & MS_LICENSE_COPYLEFT_WEAK) && (ok & MS_LICENSE_COPYLEFT_WEAK))
        ok |= MS_LICENSE_COPYLEFT;
    if ((flags & MS_LICENSE_COPYLEFT_NETWORK) && (ok & MS_LICENSE_COPYLEFT_NETWORK))
        ok |= MS_LICENSE_COPYLEFT;
    if (p->lic_allow_classes == 0 && !p->lic_allow_permissive)
        return 0;
    return (flags & ~ok) == 0;
}

/* Why one term is not acceptable, into why; 1 when it is acceptable. */
static int term_ok(const ms_policy *p, const ms_spdx_node *t, char *why, size_t cap)
{
    const char *id = term_id(t);
    int flags = ms_spdx_license_flags(id);
    if (ms_policy_in_list(&p->lic_deny, id)) {
        snprintf(why, cap, "'%s' is denied", id);
        return 0;
    }
    int denied = flags & p->lic_deny_classes & ~MS_LICENSE_UNKNOWN;
    for (int b = 1; b <= MS_LICENSE_NO_DERIVATIVES; b <<= 1)
        if (denied & b) {
            snprintf(why, cap, "'%s' is %s, a denied class", id, ms_spdx_license_flag_name(b));
            return 0;
        }
    if (!p->lic_has_allow || ms_policy_in_list(&p->lic_allow, id) || covered_by_classes(p, flags))
        return 1;
    if (flags & MS_LICENSE_UNKNOWN) {
        snprintf(why, cap, "'%s' is not classified and not in the allow list", id);
        return 0;
    }
    for (int b = 1; b <= MS_LICENSE_NO_DERIVATIVES; b <<= 1)
        if ((flags & b) && b != MS_LICENSE_ATTRIBUTION && !(p->lic_allow_classes & b)) {
            snprintf(why, cap, "'%s' is %s, not an allowed class or id", id,
                     ms_spdx_license_flag_name(b));
            return 0;
        }
    snprintf(why, cap, "'%s' is not in the allow list", id);
    return 0;
}

void ms_policy_rule_allowed(judge *j)
{
    const ms_policy *p = j->p;
    if (!p->lic_has_allow && p->lic_deny.n == 0 && p->lic_deny_classes == 0)
        return;
    const char *rule = "licenses.allowed";
    const char *decl = j->f->licenses != NULL ? j->f->licenses->declared : NULL;
    if (decl == NULL) {
        ms_policy_evidence(j, "declared license %s%s%s (metadata license)",
                 j->f->declared ? "'" : "none", j->f->declared ? ms_policy_q(j->f->declared) : "",
                 j->f->declared ? "', not a valid SPDX expression" : "");
        ms_policy_record(j, rule, MS_VERDICT_NOT_EVALUATED,
                "the bundle declares no valid license: pack it with --license SPDX-EXPRESSION");
        return;
    }
    ms_policy_evidence(j, "declared '%s' (metadata license)", ms_policy_q(decl));
    ms_spdx_expr *e = NULL;
    ms_error err;
    alt *alts = calloc(MAX_TERMS, sizeof *alts);
    size_t n = 0;
    if (alts == NULL) {
        j->oom = 1;
        return;
    }
    if (ms_spdx_parse(decl, &e, &err) != MS_OK || expand(ms_spdx_root(e), alts, MAX_TERMS, &n) != 0) {
        ms_policy_record(j, rule, MS_VERDICT_NOT_EVALUATED,
                "the declared license is too large to evaluate; simplify the expression");
    } else {
        char why[256] = "";
        int ok = 0;
        for (size_t a = 0; a < n && !ok; a++) {
            ok = 1;
            for (size_t t = 0; t < alts[a].n && ok; t++)
                ok = term_ok(p, alts[a].t[t], why, sizeof why);
        }
        if (ok)
            ms_policy_record(j, rule, MS_VERDICT_PASS, "some choice of the license's alternatives uses "
                    "only allowed licenses");
        else
            ms_policy_record(j, rule, MS_VERDICT_FAIL, "%s%s: relicense the model or change the "
                    "policy's allow and deny lists", n > 1 ? "no alternative is acceptable, e.g. " : "",
                    why);
    }
    ms_spdx_free(e);
    free(alts);
}

/* Unknown or unclassified licenses in one expression, appended to b. */
static size_t collect_unknown(const char *expr, ms_strbuf *b, const char *where)
{
    ms_spdx_expr *e = NULL;
    ms_error err;
    if (expr == NULL || ms_spdx_parse(expr, &e, &err) != MS_OK)
        return 0;
    size_t found = 0;
    const ms_spdx_node *stack[MS_SPDX_MAX_DEPTH * 4 + 8];
    size_t top = 0;
    stack[top++] = ms_spdx_root(e);
    while (top > 0) {
        const ms_spdx_node *x = stack[--top];
        if (x->kind == MS_SPDX_LICENSE || x->kind == MS_SPDX_WITH) {
            const char *id = term_id(x);
            if (ms_spdx_license_flags(id) & MS_LICENSE_UNKNOWN) {
                ms_strbuf_printf(b, "%s'%s' (%s)", b->len ? ", " : "", ms_policy_q(id), where);
                found++;
            }
            continue;
        }
        /* AND/OR trees lean one way: push the right side first and keep within bounds. */
        if (top + 2 <= sizeof stack / sizeof stack[0]) {
            stack[top++] = x->right;
            stack[top++] = x->left;
        }
    }
    ms_spdx_free(e);
    return found;
}

void ms_policy_rule_unknown(judge *j)
{
    if (j->p->lic_unknown == MS_POLICY_UNSET)
        return;
    const char *rule = "licenses.unknown";
    const ms_policy_facts *f = j->f;
    ms_strbuf b = {0};
    size_t found = 0;
    if (f->licenses == NULL || f->licenses->declared == NULL) {
        ms_strbuf_printf(&b, "no valid declared license (metadata license)");
        found++;
    } else {
        found += collect_unknown(f->licenses->declared, &b, "metadata license");
    }
    for (size_t i = 0; i < f->base_count; i++) {
        char where[128];
        snprintf(where, sizeof where, "base model '%.64s'", ms_policy_q(f->bases[i].name));
        found += collect_unknown(f->bases[i].license, &b, where);
    }
    for (size_t i = 0; i < f->dataset_count; i++) {
        char where[128];
        snprintf(where, sizeof where, "dataset '%.64s'", ms_policy_q(f->datasets[i].name));
        found += collect_unknown(f->datasets[i].license, &b, where);
    }
    char *s = ms_strbuf_take(&b);
    if (s == NULL) {
        j->oom = 1;
        return;
    }
    if (found == 0) {
        ms_policy_evidence(j, "every license is on the SPDX list or a known LicenseRef-");
        ms_policy_record(j, rule, MS_VERDICT_PASS, "no unknown licenses");
    } else {
        ms_policy_evidence(j, "%s", s);
        ms_policy_action a = j->p->lic_unknown;
        ms_policy_record(j, rule, a == MS_POLICY_ALLOW ? MS_VERDICT_PASS
                         : a == MS_POLICY_WARN ? MS_VERDICT_WARN : MS_VERDICT_FAIL,
                "%zu license%s modelseal cannot classify: review %s by hand, or declare an "
                "SPDX id", found, found == 1 ? "" : "s", found == 1 ? "it" : "them");
    }
    free(s);
}

static const char *parent_name(const ms_policy_facts *f, size_t i)
{
    if (i < f->base_count)
        return f->bases[i].name;
    if (i - f->base_count < f->dataset_count)
        return f->datasets[i - f->base_count].name;
    return "";
}

void ms_policy_rule_inherited(judge *j)
{
    if (!j->p->lic_has_inherited)
        return;
    const char *rule = "licenses.inherited";
    const ms_license_picture *pic = j->f->licenses;
    if (pic == NULL) {
        ms_policy_record(j, rule, MS_VERDICT_NOT_EVALUATED, "no license picture was computed");
        return;
    }
    size_t bad = 0;
    for (size_t i = 0; i < pic->inherited_count; i++) {
        const ms_license_inherited *h = &pic->inherited[i];
        int bit = ms_policy_class_bit(h->condition);
        if (!(bit & j->p->lic_inherited_deny))
            continue;
        if (bad++ < 8)
            ms_policy_evidence(j, "%s from '%s' under '%s' (lineage)", h->condition,
                     ms_policy_q(parent_name(j->f, h->parent)), ms_policy_q(h->license));
    }
    if (bad == 0) {
        ms_policy_evidence(j, "%zu inherited condition%s, none denied", pic->inherited_count,
                 pic->inherited_count == 1 ? "" : "s");
        ms_policy_record(j, rule, MS_VERDICT_PASS, "no denied condition is inherited through the lineage");
    } else {
        ms_policy_record(j, rule, MS_VERDICT_FAIL, "%zu denied condition%s inherited through the lineage: "
                "replace the parent or change licenses.denyInherited", bad, bad == 1 ? " is" : "s are");
    }
}

void ms_policy_rule_conflicts(judge *j)
{
    if (j->p->lic_conflicts == MS_POLICY_UNSET)
        return;
    const char *rule = "licenses.conflicts";
    const ms_license_picture *pic = j->f->licenses;
    if (pic == NULL) {
        ms_policy_record(j, rule, MS_VERDICT_NOT_EVALUATED, "no license picture was computed");
        return;
    }
    if (pic->conflict_count == 0) {
        ms_policy_evidence(j, "no conflicts between the declared license and the lineage");
        ms_policy_record(j, rule, MS_VERDICT_PASS, "the declared license holds given the lineage");
        return;
    }
    for (size_t i = 0; i < pic->finding_count && i < 4; i++)
        if (pic->findings[i].severity == MS_FINDING_CONFLICT)
            ms_policy_evidence(j, "%s: %s", pic->findings[i].rule, pic->findings[i].message);
    ms_policy_record(j, rule, j->p->lic_conflicts == MS_POLICY_WARN ? MS_VERDICT_WARN : MS_VERDICT_FAIL,
            "%zu license conflict%s (modelseal audit shows the picture): fix the declared "
            "license or the lineage", pic->conflict_count, pic->conflict_count == 1 ? "" : "s");
}

int ms_policy_license_mentions(const char *expr, const char *id)
{
    if (expr == NULL)
        return 0;
    if (strcasecmp(expr, id) == 0)
        return 1;
    ms_strbuf b = {0};
    ms_spdx_expr *e = NULL;
    ms_error err;
    int hit = 0;
    if (ms_spdx_parse(expr, &e, &err) == MS_OK) {
        alt *alts = calloc(MAX_TERMS, sizeof *alts);
        size_t n = 0;
        if (alts != NULL && expand(ms_spdx_root(e), alts, MAX_TERMS, &n) == 0)
            for (size_t a = 0; a < n && !hit; a++)
                for (size_t t = 0; t < alts[a].n && !hit; t++)
                    hit = strcasecmp(term_id(alts[a].t[t]), id) == 0;
        free(alts);
    }
    ms_spdx_free(e);
    free(ms_strbuf_take(&b));
    return hit;
}

