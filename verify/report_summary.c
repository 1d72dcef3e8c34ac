/*
 * The report's "summary" member (report version 2, docs/cli.md): the facts
 * of a verified bundle a pipeline acts on, as fields rather than sentences:
 * the declared and concluded license with their classes, the compression
 * figures, and the lineage.  Built from the verified view in memory.
 */
#include <stdlib.h>
#include <string.h>

#include "core/json.h"
#include "policy/propagate.h"
#include "policy/spdx.h"
#include "verify/report_summary.h"

static const char *str_at(const cJSON *o, const char *k)
{
    const cJSON *f = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(f) ? f->valuestring : NULL;
}

static void add_classes(cJSON *o, const char *key, int flags)
{
    cJSON *a = cJSON_AddArrayToObject(o, key);
    for (int bit = 1; a != NULL && bit <= MS_LICENSE_UNKNOWN; bit <<= 1)
        if (flags & bit)
            cJSON_AddItemToArray(a, cJSON_CreateString(ms_spdx_license_flag_name(bit)));
}

static void add_str_or_null(cJSON *o, const char *key, const char *v)
{
    if (v != NULL)
        cJSON_AddStringToObject(o, key, v);
    else
        cJSON_AddNullToObject(o, key);
}

static void add_num_or_null(cJSON *o, const char *key, const cJSON *v)
{
    if (cJSON_IsNumber(v))
        cJSON_AddNumberToObject(o, key, v->valuedouble);
    else
        cJSON_AddNullToObject(o, key);
}

/* Lineage entries copied field by field (only strings of the verified metadata). */
static cJSON *lineage(const cJSON *md, ms_license_parent **parents, size_t *np)
{
    cJSON *l = cJSON_CreateObject();
    cJSON *bases = cJSON_AddArrayToObject(l, "baseModels");
    cJSON *data = cJSON_AddArrayToObject(l, "datasets");
    const cJSON *b = cJSON_GetObjectItemCaseSensitive(md, "baseModels");
    const cJSON *d = cJSON_GetObjectItemCaseSensitive(md, "datasets");
    size_t cap = (size_t)(cJSON_IsArray(b) ? cJSON_GetArraySize(b) : 0) +
                 (size_t)(cJSON_IsArray(d) ? cJSON_GetArraySize(d) : 0);
    *np = 0;
    *parents = calloc(cap ? cap : 1, sizeof **parents);
    if (l == NULL || bases == NULL || data == NULL || *parents == NULL) {
        cJSON_Delete(l);
        return NULL;
    }
    static const char *const bkeys[] = {"name", "digest", "relation", "license"};
    static const char *const dkeys[] = {"name", "role", "digest", "license"};
    const cJSON *e;
    cJSON_ArrayForEach(e, (cJSON_IsArray(b) ? b : NULL))
    {
        cJSON *x = cJSON_CreateObject();
        for (size_t k = 0; x != NULL && k < 4; k++)
            if (str_at(e, bkeys[k]) != NULL)
                cJSON_AddStringToObject(x, bkeys[k], str_at(e, bkeys[k]));
        cJSON_AddItemToArray(bases, x);
        (*parents)[(*np)++] = (ms_license_parent){MS_PARENT_BASE_MODEL, str_at(e, "name"),
                                                  str_at(e, "license"), str_at(e, "relation")};
    }
    cJSON_ArrayForEach(e, (cJSON_IsArray(d) ? d : NULL))
    {
        cJSON *x = cJSON_CreateObject();
        for (size_t k = 0; x != NULL && k < 4; k++)
            if (str_at(e, dkeys[k]) != NULL)
                cJSON_AddStringToObject(x, dkeys[k], str_at(e, dkeys[k]));
        uint64_t rec;
        const cJSON *rc = cJSON_GetObjectItemCaseSensitive(e, "records");
        if (x != NULL && rc != NULL && ms_json_number_u64(rc, &rec) == 0)
            ms_json_add_u64(x, "records", rec);
        cJSON_AddItemToArray(data, x);
        (*parents)[(*np)++] = (ms_license_parent){MS_PARENT_DATASET, str_at(e, "name"),
                                                  str_at(e, "license"), str_at(e, "role")};
    }
    return l;
}

static cJSON *compression(const cJSON *rep)
{
    if (rep == NULL)
        return cJSON_CreateNull();
    cJSON *c = cJSON_CreateObject();
    cJSON *schemes = cJSON_AddObjectToObject(c, "schemes");
    cJSON *tensors = cJSON_AddArrayToObject(c, "tensors");
    const cJSON *t;
    cJSON_ArrayForEach(t, cJSON_GetObjectItemCaseSensitive(rep, "tensors"))
    {
        const char *sc = str_at(t, "scheme");
        const char *name = str_at(t, "name");
        if (sc == NULL || name == NULL || schemes == NULL || tensors == NULL)
            continue;
        cJSON *n = cJSON_GetObjectItemCaseSensitive(schemes, sc);
        if (n == NULL)
            cJSON_AddNumberToObject(schemes, sc, 1);
        else
            cJSON_SetNumberValue(n, n->valuedouble + 1);
        cJSON *x = cJSON_CreateObject();
        cJSON_AddStringToObject(x, "name", name);
        cJSON_AddStringToObject(x, "scheme", sc);
        add_num_or_null(x, "sqnrDb", cJSON_GetObjectItemCaseSensitive(t, "sqnrDb"));
        cJSON_AddItemToArray(tensors, x);
    }
    const cJSON *worst = cJSON_GetObjectItemCaseSensitive(rep, "worst");
    const cJSON *tot = cJSON_GetObjectItemCaseSensitive(rep, "total");
    add_str_or_null(c, "worstTensor", str_at(worst, "name"));
    add_num_or_null(c, "worstSqnrDb", cJSON_GetObjectItemCaseSensitive(worst, "sqnrDb"));
    add_num_or_null(c, "modelSqnrDb", cJSON_GetObjectItemCaseSensitive(tot, "sqnrDb"));
    add_num_or_null(c, "bitsPerWeight", cJSON_GetObjectItemCaseSensitive(tot, "bitsPerWeight"));
    return c;
}

ms_status ms_report_summary_build(const ms_view *v, ms_report *r)
{
    ms_license_parent *parents = NULL;
    size_t np = 0;
    cJSON *s = cJSON_CreateObject();
    cJSON *lin = lineage(v->metadata, &parents, &np);
    ms_license_picture *pic = NULL;
    ms_error err;
    if (s == NULL || lin == NULL ||
        ms_license_propagate(v->license, parents, np, &pic, &err) != MS_OK) {
        free(parents);
        cJSON_Delete(s);
        cJSON_Delete(lin);
        return MS_E_NOMEM;
    }
    free(parents);
    cJSON *lic = cJSON_AddObjectToObject(s, "license");
    if (lic != NULL) {
        add_str_or_null(lic, "declared", pic->declared);
        add_classes(lic, "declaredClasses", pic->declared != NULL ? pic->declared_flags : 0);
        add_str_or_null(lic, "concluded", pic->concluded);
        add_classes(lic, "inheritedClasses", pic->inherited_flags);
        ms_json_add_u64(lic, "conflicts", pic->conflict_count);
    }
    ms_license_picture_free(pic);
    cJSON_AddItemToObject(s, "compression", compression(v->compression));
    cJSON_AddItemToObject(s, "lineage", lin);
    ms_report_set_summary(r, s);
    return MS_OK;
}
