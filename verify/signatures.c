/*
 * Signature verdicts and the signed statement.  A statement is read only
 * from an envelope that carries at least one valid signature by a trusted
 * key: unsigned bytes never influence the verdict.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/json.h"
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

void ms_view_check_signatures(const ms_view *v, ms_public_key *const *trusted, size_t n,
                              ms_report *r)
{
    size_t good = 0;
    for (size_t i = 0; i < v->envelope_count; i++) {
        const ms_view_envelope *ve = &v->envelopes[i];
        if (ve->env == NULL)
            continue;
        char what[96];
        snprintf(what, sizeof what, "envelope sha256:%.12s", ve->hex);
        if (strcmp(ve->env->payload_type, MS_INTOTO_PAYLOAD_TYPE) != 0) {
            ms_report_check(r, "envelope", 0, "%s: payloadType '%.100s', expected %s", what,
                            ve->env->payload_type, MS_INTOTO_PAYLOAD_TYPE);
            continue;
        }
        size_t env_good = 0;
        for (size_t s = 0; s < ve->env->signature_count; s++) {
            const char *hint = ve->env->signatures[s].keyid;
            const ms_public_key *match = NULL;
            int hinted = 0, valid = 0;
            char detail[MS_ERROR_MESSAGE_MAX] = "";
            /* The keyid is only a hint: a trusted key it names is tried first, then the rest. */
            for (int pass = 0; pass < 2 && !valid; pass++) {
                for (size_t k = 0; k < n && !valid; k++) {
                    int named = hint[0] != '\0' && strcmp(hint, ms_public_key_id(trusted[k])) == 0;
                    if ((pass == 0) != named)
                        continue;
                    hinted |= named;
                    ms_error e;
                    ms_status st = ms_dsse_verify_signature(ve->env, s, trusted[k], &e);
                    if (st == MS_OK) {
                        valid = 1;
                        match = trusted[k];
                    } else if (named) {
                        match = trusted[k];
                        snprintf(detail, sizeof detail, "%s", e.message);
                    }
                }
            }
            const char *alg = match != NULL ? ms_key_algorithm_name(
                                                  ms_public_key_algorithm(match))
                                            : NULL;
            const char *keyid = match != NULL ? ms_public_key_id(match) : hint;
            if (valid) {
                env_good++;
                ms_report_signature(r, keyid, alg, 1, 1, "valid", NULL);
            } else if (hinted) {
                ms_report_signature(r, keyid, alg, 1, 0, "invalid",
                                    detail[0] ? detail : "signature does not verify");
            } else {
                ms_report_signature(r, keyid, NULL, 0, 0, "untrusted-key",
                                    "no trusted key verifies this signature");
            }
        }
        good += env_good;
        if (env_good > 0)
            check_statement(v, ve->env, "signed statement", r);
    }
    if (good == 0)
        ms_report_check(r, "signature", 0,
                        "no valid signature by a trusted key (%zu trusted key(s) given)", n);
    else
        ms_report_check(r, "signature", 1, "%zu valid signature(s) by trusted keys", good);
}
