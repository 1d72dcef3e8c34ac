/*
 * Signature verdicts and the signed statement.  A statement is read only
 * from an envelope that carries at least one valid signature by a trusted
 * key: unsigned bytes never influence the verdict.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/json.h"
#include "core/digest.h"
#include "verify/trust_internal.h"
#include "verify/view.h"

#define STATEMENT_TYPE "https://in-toto.io/Statement/v1"
#define PREDICATE_TYPE "https://slsa.dev/provenance/v1"

static const char *subject_digest(const cJSON *s)
{
    const cJSON *d = cJSON_GetObjectItemCaseSensitive(s, "digest");
    const cJSON *h = cJSON_GetObjectItemCaseSensitive(d, "sha256");
    return cJSON_IsString(h) ? h->valuestring : NULL;
}

typedef struct subject_ref {
    const char *name;
    const char *digest;
    int used;
} subject_ref;

static int cmp_ref(const void *a, const void *b)
{
    return strcmp(((const subject_ref *)a)->name, ((const subject_ref *)b)->name);
}

/* The statement's subjects must be exactly the model manifest and every file layer. */
static int check_statement(const ms_view *v, const ms_dsse_envelope *env, const char *what,
                           ms_report *r)
{
    cJSON *s = NULL;
    ms_error e;
    if (ms_json_parse((const char *)env->payload, env->payload_len, what, &s, &e) != MS_OK)
        return ms_report_check(r, "statement", 0, "%s", e.message);
    int ok = 1;
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(s, "_type");
    const cJSON *pt = cJSON_GetObjectItemCaseSensitive(s, "predicateType");
    const cJSON *subj = cJSON_GetObjectItemCaseSensitive(s, "subject");
    if (!cJSON_IsString(t) || strcmp(t->valuestring, STATEMENT_TYPE) != 0)
        ok = ms_report_check(r, "statement", 0, "%s: _type is not %s", what, STATEMENT_TYPE);
    if (!cJSON_IsString(pt) || strcmp(pt->valuestring, PREDICATE_TYPE) != 0)
        ok = ms_report_check(r, "statement", 0, "%s: predicateType is not %s", what,
                             PREDICATE_TYPE);
    if (!cJSON_IsArray(subj) || cJSON_GetArraySize(subj) < 1) {
        ok = ms_report_check(r, "statement", 0, "%s: no subjects", what);
        cJSON_Delete(s);
        return ok;
    }
    const cJSON *first = subj->child;
    const char *mdg = subject_digest(first);
    const cJSON *fname = cJSON_GetObjectItemCaseSensitive(first, "name");
    if (v->name != NULL && v->version != NULL) {
        char ref[400];
        snprintf(ref, sizeof ref, "%s:%s", v->name, v->version);
        if (!cJSON_IsString(fname) || strcmp(fname->valuestring, ref) != 0)
            ok = ms_report_check(r, "statement", 0, "%s: first subject is named '%.200s', "
                                 "expected '%s'", what,
                                 cJSON_IsString(fname) ? fname->valuestring : "(none)", ref);
    }
    if (mdg == NULL || strcmp(mdg, v->manifest_hex) != 0)
        ok = ms_report_check(r, "statement", 0,
                             "%s: first subject sha256:%.64s is not the model manifest "
                             "sha256:%s (signature from another bundle?)",
                             what, mdg != NULL ? mdg : "(none)", v->manifest_hex);
    /* Every file layer must be a subject with the same digest, and nothing more.
     * Subjects are sorted by name once, so this stays O(n log n) for big models. */
    size_t nsubj = (size_t)cJSON_GetArraySize(subj) - 1;
    subject_ref *refs = calloc(nsubj ? nsubj : 1, sizeof *refs);
    if (refs == NULL) {
        cJSON_Delete(s);
        return ms_report_check(r, "statement", 0, "%s: out of memory", what);
    }
    size_t k = 0;
    const cJSON *sj;
    cJSON_ArrayForEach(sj, subj)
    {
        if (sj == first)
            continue;
        const cJSON *nm = cJSON_GetObjectItemCaseSensitive(sj, "name");
        refs[k].name = cJSON_IsString(nm) ? nm->valuestring : "(unnamed)";
        refs[k].digest = subject_digest(sj);
        k++;
    }
    qsort(refs, nsubj, sizeof *refs, cmp_ref);
    for (k = 1; k < nsubj; k++)
        if (strcmp(refs[k - 1].name, refs[k].name) == 0)
            ok = ms_report_check(r, "statement", 0, "%s: subject '%.200s' appears twice", what,
                                 refs[k].name);
    for (size_t i = 0; i < v->file_count; i++) {
        const ms_view_file *f = &v->files[i];
        subject_ref key = {.name = f->filepath};
        subject_ref *hit = bsearch(&key, refs, nsubj, sizeof *refs, cmp_ref);
        if (hit == NULL) {
            ok = ms_report_check(r, "statement", 0,
                                 "%s: file '%.200s' is in the bundle but not in the signed "
                                 "statement", what, f->filepath);
            continue;
        }
        /* Mark every subject of that name (duplicates are reported above). */
        for (subject_ref *q = hit; q >= refs && strcmp(q->name, f->filepath) == 0; q--)
            q->used = 1;
        for (subject_ref *q = hit; q < refs + nsubj && strcmp(q->name, f->filepath) == 0; q++)
            q->used = 1;
        if (hit->digest == NULL || strcmp(hit->digest, f->hex) != 0)
            ok = ms_report_check(r, "statement", 0,
                                 "%s: file '%.200s' is sha256:%s in the bundle but the signed "
                                 "statement says sha256:%.64s",
                                 what, f->filepath, f->hex,
                                 hit->digest != NULL ? hit->digest : "(none)");
    }
    for (k = 0; k < nsubj; k++)
        if (!refs[k].used)
            ok = ms_report_check(r, "statement", 0,
                                 "%s: names '%.200s', which the bundle lacks",
                                 what, refs[k].name);
    free(refs);
    if (ok)
        ms_report_check(r, "statement", 1, "subjects match the model manifest and %zu file%s",
                        v->file_count, v->file_count == 1 ? "" : "s");
    cJSON_Delete(s);
    return ok;
}

/* What an authenticated payload is: the provenance statement, or an approval of it. */
typedef struct payload_kind {
    int provenance;     /* 1: SLSA provenance statement */
    int approval;       /* 1: approval statement naming this bundle's provenance */
    char role[80];
    char problem[300];  /* why the payload cannot count */
} payload_kind;

static void classify(const ms_view *v, const ms_dsse_envelope *env, const char *prov_hex,
                     payload_kind *k)
{
    memset(k, 0, sizeof *k);
    cJSON *s = NULL;
    if (ms_json_parse((const char *)env->payload, env->payload_len, "statement", &s, NULL) !=
        MS_OK) {
        snprintf(k->problem, sizeof k->problem, "payload is not a valid JSON statement");
        return;
    }
    const cJSON *pt = cJSON_GetObjectItemCaseSensitive(s, "predicateType");
    const char *ptype = cJSON_IsString(pt) ? pt->valuestring : "";
    if (strcmp(ptype, PREDICATE_TYPE) == 0) {
        k->provenance = 1;
        snprintf(k->role, sizeof k->role, "%s", MS_ROLE_PACKAGER);
    } else if (strcmp(ptype, MS_APPROVAL_PREDICATE) == 0) {
        const cJSON *subj = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(s, "subject"), 0);
        const char *dg = subject_digest(subj);
        const cJSON *pred = cJSON_GetObjectItemCaseSensitive(s, "predicate");
        const cJSON *role = cJSON_GetObjectItemCaseSensitive(pred, "role");
        const char *pdg = subject_digest(cJSON_GetObjectItemCaseSensitive(pred, "provenance"));
        const char *rp = cJSON_IsString(role) ? ms_role_problem(role->valuestring) : "no role";
        if (dg == NULL || strcmp(dg, v->manifest_hex) != 0)
            snprintf(k->problem, sizeof k->problem,
                     "approval of another model manifest (sha256:%.64s)", dg ? dg : "none");
        else if (rp != NULL)
            snprintf(k->problem, sizeof k->problem, "approval with an invalid role: %s", rp);
        else if (pdg == NULL || prov_hex == NULL || strcmp(pdg, prov_hex) != 0)
            snprintf(k->problem, sizeof k->problem,
                     "approval of another provenance statement");
        else {
            k->approval = 1;
            snprintf(k->role, sizeof k->role, "%s", role->valuestring);
        }
    } else {
        snprintf(k->problem, sizeof k->problem, "unknown predicateType '%.100s'", ptype);
    }
    cJSON_Delete(s);
}

typedef struct role_count {
    char role[80];
    char (*keys)[MS_KEYID_HEX_LEN + 1];
    size_t nkeys;
} role_count;

/* Count key once per role; returns 0 if it had already counted (a duplicate). */
static int count_key(role_count **rc, size_t *nrc, const char *role, const char *keyid)
{
    role_count *c = NULL;
    for (size_t i = 0; i < *nrc && c == NULL; i++)
        if (strcmp((*rc)[i].role, role) == 0)
            c = &(*rc)[i];
    if (c == NULL) {
        role_count *n = realloc(*rc, (*nrc + 1) * sizeof *n);
        if (n == NULL)
            return 1;
        *rc = n;
        c = &n[(*nrc)++];
        memset(c, 0, sizeof *c);
        snprintf(c->role, sizeof c->role, "%s", role);
    }
    for (size_t i = 0; i < c->nkeys; i++)
        if (strcmp(c->keys[i], keyid) == 0)
            return 0;
    char(*k)[MS_KEYID_HEX_LEN + 1] = realloc(c->keys, (c->nkeys + 1) * sizeof *k);
    if (k == NULL)
        return 1;
    c->keys = k;
    snprintf(k[c->nkeys++], sizeof *k, "%s", keyid);
    return 1;
}

static size_t counted(const role_count *rc, size_t nrc, const char *role)
{
    for (size_t i = 0; i < nrc; i++)
        if (strcmp(rc[i].role, role) == 0)
            return rc[i].nkeys;
    return 0;
}

const ms_view_envelope *ms_view_provenance(const ms_view *v, char hex[MS_SHA256_HEX_LEN + 1])
{
    hex[0] = '\0';
    for (size_t i = 0; i < v->envelope_count; i++) {
        const ms_view_envelope *ve = &v->envelopes[i];
        if (ve->env == NULL)
            continue;
        payload_kind k;
        classify(v, ve->env, NULL, &k);
        if (k.provenance) {
            uint8_t dg[MS_SHA256_LEN];
            ms_sha256_buf(ve->env->payload, ve->env->payload_len, dg);
            ms_hex_encode(dg, MS_SHA256_LEN, hex);
            return ve;
        }
    }
    return NULL;
}

int ms_view_check_statement(const ms_view *v, const ms_dsse_envelope *env, ms_report *r)
{
    return check_statement(v, env, "signed statement", r);
}

void ms_view_check_signatures(const ms_view *v, const ms_trust *trust, int64_t at, ms_report *r)
{
    /* The provenance envelope: the first whose payload claims to be provenance. Its payload
     * digest is what approvals name. */
    char prov_hex[MS_SHA256_HEX_LEN + 1];
    const ms_view_envelope *prov = ms_view_provenance(v, prov_hex);
    role_count *rc = NULL;
    size_t nrc = 0, total = 0;
    /* Which envelopes carry a counted signature, and whether an approval counted. */
    unsigned char *counted_env = calloc(v->envelope_count + 1, 1);
    int approval_counted = 0;
    for (size_t i = 0; i < v->envelope_count; i++) {
        const ms_view_envelope *ve = &v->envelopes[i];
        if (ve->env == NULL)
            continue;
        if (strcmp(ve->env->payload_type, MS_INTOTO_PAYLOAD_TYPE) != 0) {
            ms_report_check(r, "envelope", 0, "envelope sha256:%.12s: payloadType '%.100s', "
                            "expected %s", ve->hex, ve->env->payload_type, MS_INTOTO_PAYLOAD_TYPE);
            continue;
        }
        payload_kind kind;
        int classified = 0;
        for (size_t s = 0; s < ve->env->signature_count; s++) {
            const char *hint = ve->env->signatures[s].keyid;
            const ms_trust_key *tk = NULL;
            int valid = 0;
            char detail[MS_ERROR_MESSAGE_MAX] = "";
            /* The keyid is a hint: the key it names is tried first, then every other. */
            const ms_trust_key *named = hint[0] ? ms_trust_find(trust, hint) : NULL;
            ms_error e;
            if (named != NULL) {
                tk = named;
                valid = ms_dsse_verify_signature(ve->env, s, named->pk, &e) == MS_OK;
                if (!valid)
                    snprintf(detail, sizeof detail, "%s", e.message);
            }
            for (size_t k = 0; !valid && named == NULL && k < ms_trust_key_count(trust); k++)
                if (ms_dsse_verify_signature(ve->env, s, trust->keys[k].pk, &e) == MS_OK) {
                    valid = 1;
                    tk = &trust->keys[k];
                }
            const char *keyid = tk != NULL ? ms_public_key_id(tk->pk) : hint;
            const char *alg = tk != NULL ? ms_key_algorithm_name(ms_public_key_algorithm(tk->pk))
                                         : NULL;
            if (tk == NULL) {
                ms_report_signature(r, keyid, NULL, NULL, 0, 0, "untrusted-key",
                                    "no trusted key verifies this signature");
                continue;
            }
            if (!valid) {
                ms_report_signature(r, keyid, alg, NULL, 1, 0, "invalid",
                                    detail[0] ? detail : "signature does not verify");
                continue;
            }
            /* Authenticated by a trusted key: now the payload may be read. */
            if (!classified) {
                classify(v, ve->env, prov_hex[0] ? prov_hex : NULL, &kind);
                classified = 1;
            }
            const char *verdict = NULL;
            char why[300];
            if (kind.problem[0]) {
                ms_report_signature(r, keyid, alg, NULL, 1, 1, "wrong-statement", kind.problem);
                continue;
            }
            if (ms_trust_key_problem(tk, at, &verdict, why, sizeof why) != NULL) {
                ms_report_signature(r, keyid, alg, kind.role, 1, 1, verdict, why);
                continue;
            }
            if (!ms_trust_key_has_role(tk, kind.role)) {
                snprintf(why, sizeof why, "the trust file does not allow this key the role '%s'",
                         kind.role);
                ms_report_signature(r, keyid, alg, kind.role, 1, 1, "role-not-allowed", why);
                continue;
            }
            if (!count_key(&rc, &nrc, kind.role, keyid)) {
                ms_report_signature(r, keyid, alg, kind.role, 1, 1, "duplicate",
                                    "this key already counted for this role");
                continue;
            }
            ms_report_signature(r, keyid, alg, kind.role, 1, 1, "valid", NULL);
            total++;
            if (counted_env != NULL)
                counted_env[i] = 1;
            approval_counted |= kind.approval;
        }
    }
    /*
     * Every provenance statement a counted signature is over must describe this bundle
     * (otherwise a signature from another bundle could be carried along beside an
     * unsigned statement), and so must the one the counted approvals name by digest.
     */
    int checked_prov = 0;
    for (size_t i = 0; counted_env != NULL && i < v->envelope_count; i++) {
        if (!counted_env[i] || v->envelopes[i].env == NULL)
            continue;
        payload_kind k;
        classify(v, v->envelopes[i].env, NULL, &k);
        if (!k.provenance)
            continue;
        check_statement(v, v->envelopes[i].env, "signed statement", r);
        checked_prov |= &v->envelopes[i] == prov;
    }
    if (prov == NULL)
        ms_report_check(r, "statement", 0, "no provenance statement in the bundle");
    else if (approval_counted && !checked_prov)
        check_statement(v, prov->env, "approved statement", r);
    free(counted_env);

    /* Thresholds: the trust file's, else one counted signature in any role. */
    int ok = total > 0;
    if (trust->has_file && trust->nthresholds > 0) {
        for (size_t i = 0; i < trust->nthresholds; i++) {
            const ms_trust_threshold *t = &trust->thresholds[i];
            size_t got = counted(rc, nrc, t->role);
            ms_report_role(r, t->role, t->required, got);
            if (got < t->required) {
                ok = ms_report_check(r, "signature", 0, "role '%s' needs %llu valid signature%s "
                                     "by distinct trusted keys, has %zu", t->role,
                                     (unsigned long long)t->required, t->required == 1 ? "" : "s",
                                     got);
            }
        }
    } else {
        for (size_t i = 0; i < nrc; i++)
            ms_report_role(r, rc[i].role, 0, rc[i].nkeys);
    }
    if (total == 0)
        ms_report_check(r, "signature", 0,
                        "no valid signature by a trusted key (%zu trusted key(s) given)",
                        ms_trust_key_count(trust));
    else if (ok)
        ms_report_check(r, "signature", 1, "%zu valid signature(s) by trusted keys%s", total,
                        trust->has_file && trust->nthresholds ? ", every role's threshold met"
                                                              : "");
    for (size_t i = 0; i < nrc; i++)
        free(rc[i].keys);
    free(rc);
}
