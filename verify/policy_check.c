/*
 * verify --policy: gather the facts a policy judges from the bundle already
 * read and verified (the view, its audit picture, the report), evaluate the
 * policy (policy/policy_eval.c) and attach the results to the report.  The
 * bundle is not read again: everything here comes from memory.
 */
#include <stdlib.h>
#include <string.h>

#include "core/error_internal.h"
#include "core/json.h"
#include "core/text.h"
#include "core/timefmt.h"
#include "policy/policy.h"
#include "verify/audit.h"
#include "verify/policy_check.h"

static double num_at(const cJSON *o, const char *k, int *ok)
{
    const cJSON *f = cJSON_GetObjectItemCaseSensitive(o, k);
    *ok = cJSON_IsNumber(f);
    return *ok ? f->valuedouble : 0.0;
}

static const char *str_at(const cJSON *o, const char *k)
{
    const cJSON *f = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(f) ? f->valuestring : NULL;
}

/* Per-tensor and model-wide figures of the compression report layer. */
static ms_status compression_facts(const cJSON *rep, ms_policy_facts *f,
                                   ms_policy_tensor_fact **out)
{
    *out = NULL;
    if (rep == NULL)
        return MS_OK;
    f->has_compression = 1;
    const cJSON *tensors = cJSON_GetObjectItemCaseSensitive(rep, "tensors");
    size_t n = cJSON_IsArray(tensors) ? (size_t)cJSON_GetArraySize(tensors) : 0;
    ms_policy_tensor_fact *t = calloc(n ? n : 1, sizeof *t);
    if (t == NULL)
        return MS_E_NOMEM;
    size_t i = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, (n > 0 ? tensors : NULL))
    {
        if (i == n)
            break;
        ms_policy_tensor_fact *x = &t[i++];
        x->name = str_at(e, "name");
        x->scheme = str_at(e, "scheme");
        x->requested = str_at(e, "requested");
        if (x->name == NULL)
            x->name = "";
        if (x->scheme == NULL)
            x->scheme = "";
        int ok;
        x->sqnr_db = num_at(e, "sqnrDb", &x->has_sqnr);
        x->probe_sqnr_db = num_at(e, "probeSqnrDb", &x->has_probe_sqnr);
        x->sparsity = num_at(e, "sparsity", &x->has_sparsity);
        x->bits_per_weight = num_at(e, "bitsPerWeight", &ok);
    }
    f->tensors = t;
    f->tensor_count = i;
    const cJSON *tot = cJSON_GetObjectItemCaseSensitive(rep, "total");
    int ok;
    f->model_sqnr_db = num_at(tot, "sqnrDb", &f->has_model_sqnr);
    f->model_bpw = num_at(tot, "bitsPerWeight", &ok);
    f->model_sparsity = num_at(tot, "sparsity", &f->has_model_sparsity);
    *out = t;
    return MS_OK;
}

ms_status ms_policy_check_view(const ms_view *v, const char *path, const ms_policy *p,
                               const ms_report *r, int64_t at, int rollback_used,
                               int parents_checked, ms_policy_results **out, ms_error *err)
{
    *out = NULL;
    ms_audit *a = NULL;
    ms_status st = ms_audit_build(v, path, r, at, &a, err);
    if (st != MS_OK)
        return st;
    ms_policy_facts f = {0};
    f.declared = v->license;
    f.licenses = a->licenses;
    ms_policy_base_fact *bases = calloc(a->base_count ? a->base_count : 1, sizeof *bases);
    ms_policy_dataset_fact *ds = calloc(a->dataset_count ? a->dataset_count : 1, sizeof *ds);
    ms_policy_signer_fact *sg = calloc(a->signer_count ? a->signer_count : 1, sizeof *sg);
    ms_policy_tensor_fact *tensors = NULL;
    if (bases == NULL || ds == NULL || sg == NULL ||
        compression_facts(v->compression, &f, &tensors) != MS_OK) {
        st = ms_fail(err, MS_E_NOMEM, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < a->base_count; i++) {
        const ms_audit_base *b = &a->bases[i];
        /* --verify-parents found and verified every base model with a digest. */
        bases[i] = (ms_policy_base_fact){b->name, b->digest, b->license,
                                         parents_checked && b->digest != NULL};
    }
    for (size_t i = 0; i < a->dataset_count; i++) {
        const ms_audit_dataset *d = &a->datasets[i];
        ds[i] = (ms_policy_dataset_fact){d->name, d->uri,  d->digest, d->license,
                                         d->role, d->has_records, d->records};
    }
    for (size_t i = 0; i < a->signer_count; i++) {
        const ms_audit_signer *s = &a->signers[i];
        sg[i] = (ms_policy_signer_fact){s->keyid, s->algorithm, s->role, s->checked && s->valid};
    }
    f.bases = bases;
    f.base_count = a->base_count;
    f.datasets = ds;
    f.dataset_count = a->dataset_count;
    f.parents_checked = parents_checked;
    f.signers = sg;
    f.signer_count = a->signer_count;
    f.signatures_checked = a->signatures_checked;

    const char *fields[8];
    size_t nf = 0;
    if (v->description != NULL && v->description[0] != '\0')
        fields[nf++] = "description";
    if (a->author_count > 0)
        fields[nf++] = "authors";
    if (v->license != NULL)
        fields[nf++] = "license";
    if (a->intended_use != NULL)
        fields[nf++] = "intendedUse";
    if (a->out_of_scope_use != NULL)
        fields[nf++] = "outOfScopeUse";
    if (a->limitations != NULL)
        fields[nf++] = "limitations";
    if (a->base_count > 0)
        fields[nf++] = "baseModels";
    if (a->dataset_count > 0)
        fields[nf++] = "datasets";
    f.metadata_fields = fields;
    f.metadata_field_count = nf;

    /* The probes layer was recomputed while the bundle was read; a mismatch
     * would have rejected the bundle before the policy is evaluated. */
    f.has_probes = v->has_probes_layer;
    f.probes_checked = v->has_probes_layer;
    f.version = v->version;
    f.rollback_used = rollback_used;
    f.has_build_time = a->created != NULL && ms_rfc3339_parse(a->created, &f.build_time) == 0;
    f.now = at;
    f.bundle_size = a->bundle_size;
    f.format_version = v->format_version;
    st = ms_policy_evaluate(p, &f, out, err);
done:
    free(bases);
    free(ds);
    free(sg);
    free(tensors);
    ms_audit_free(a);
    return st;
}

/* The policy's verdicts after the rendered audit: a table, or a "policy" member. */
char *ms_policy_append_to_audit(char *out, int json, const ms_policy_results *pol)
{
    if (!json) {
        char *t = ms_policy_results_text(pol);
        ms_strbuf b = {0};
        if (t != NULL)
            ms_strbuf_printf(&b, "%s\n%s", out, t);
        free(t);
        free(out);
        return t != NULL ? ms_strbuf_take(&b) : NULL;
    }
    cJSON *doc = cJSON_Parse(out);
    free(out);
    cJSON *p = ms_policy_results_json(pol);
    char *s = NULL;
    if (doc != NULL && p != NULL && cJSON_AddItemToObject(doc, "policy", p)) {
        p = NULL;
        s = ms_json_print_pretty(doc);
    }
    cJSON_Delete(p);
    cJSON_Delete(doc);
    return s;
}
