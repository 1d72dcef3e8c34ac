/*
 * sign: add a co-signature to a bundle.
 *
 * The new signature is a DSSE envelope over an approval statement (in-toto
 * Statement v1, predicateType MS_APPROVAL_PREDICATE) whose subject is the
 * model manifest and whose predicate names the role and the digest of the
 * provenance statement.  The role is signed, so it cannot be relabelled; the
 * envelope becomes one more layer of the signature manifest, and only that
 * manifest and index.json change: the model manifest digest stays the same.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/digest.h"
#include "core/error_internal.h"
#include "core/json.h"
#include "core/oci.h"
#include "core/progress.h"
#include "core/tar.h"
#include "core/timefmt.h"
#include "modelseal/bundle.h"
#include "modelseal/dsse.h"
#include "verify/view.h"

static cJSON *approval(const ms_view *v, const char *role, const char *prov_hex, int64_t sde)
{
    cJSON *s = cJSON_CreateObject();
    cJSON_AddStringToObject(s, "_type", "https://in-toto.io/Statement/v1");
    cJSON *subj = cJSON_AddArrayToObject(s, "subject");
    cJSON *one = cJSON_CreateObject();
    char ref[400];
    snprintf(ref, sizeof ref, "%s:%s", v->name, v->version);
    cJSON_AddStringToObject(one, "name", ref);
    cJSON_AddStringToObject(cJSON_AddObjectToObject(one, "digest"), "sha256", v->manifest_hex);
    cJSON_AddItemToArray(subj, one);
    cJSON_AddStringToObject(s, "predicateType", MS_APPROVAL_PREDICATE);
    cJSON *pred = cJSON_AddObjectToObject(s, "predicate");
    cJSON_AddStringToObject(pred, "role", role);
    cJSON *prov = cJSON_AddObjectToObject(pred, "provenance");
    cJSON_AddStringToObject(prov, "name", "provenance");
    cJSON_AddStringToObject(cJSON_AddObjectToObject(prov, "digest"), "sha256", prov_hex);
    if (sde >= 0) {
        char t[32];
        ms_rfc3339_format(sde, t);
        cJSON_AddStringToObject(pred, "signedOn", t);
    }
    return s;
}

/* The first failed check of a report, for the refusal message. */
static void first_failure(ms_report *r, char *buf, size_t len)
{
    char **d = NULL;
    size_t n = ms_report_failed_details(r, &d);
    snprintf(buf, len, "%s", n > 0 ? d[0] : "");
    for (size_t i = 0; i < n; i++)
        free(d[i]);
    free(d);
}

static ms_status sign_bundle(const ms_sign_options *o, ms_error *err)
{
    const char *p;
    if (o == NULL || o->bundle_path == NULL || o->key == NULL || o->role == NULL)
        return ms_fail(err, MS_E_USAGE, "sign needs a bundle, a key and a role");
    if ((p = ms_role_problem(o->role)) != NULL)
        return ms_fail(err, MS_E_USAGE, "invalid role '%s': %s", o->role, p);
    const char *out = o->output_path != NULL ? o->output_path : o->bundle_path;
    ms_report *r = ms_report_new(o->bundle_path);
    ms_view *v = NULL;
    char *stmt = NULL, *env = NULL, *sm = NULL, *idx = NULL;
    size_t stmt_len = 0, env_len = 0, sm_len = 0, idx_len = 0;
    cJSON *smj = NULL, *idxj = NULL, *sj = NULL;
    ms_tar_reader *rd = NULL;
    ms_tar_writer *w = NULL;
    ms_status st;
    if (r == NULL)
        return ms_fail(err, MS_E_NOMEM, "out of memory");
    if ((st = ms_view_load(o->bundle_path, 1, r, &v, err)) != MS_OK)
        goto out;
    /* Only a bundle whose content holds together gets another signature. */
    char prov_hex[MS_SHA256_HEX_LEN + 1];
    const ms_view_envelope *prov = ms_view_provenance(v, prov_hex);
    if (v->unsupported) {
        st = ms_fail(err, MS_E_UNSUPPORTED, "%s: refusing to sign: unsupported bundle format "
                     "version", o->bundle_path);
        goto out;
    }
    if (v->envelope_count >= MS_DSSE_MAX_SIGNATURES) {
        st = ms_fail(err, MS_E_LIMIT, "%s: the signature manifest already holds %zu envelopes "
                     "(the most a bundle may have is %d)", o->bundle_path, v->envelope_count,
                     MS_DSSE_MAX_SIGNATURES);
        goto out;
    }
    if (prov == NULL || v->sigmanifest == NULL || v->name == NULL) {
        st = ms_fail(err, MS_E_REJECTED, "%s: refusing to sign: no provenance statement",
                     o->bundle_path);
        goto out;
    }
    ms_view_check_statement(v, prov->env, r);
    if (ms_report_failures(r) > 0) {
        char why[MS_ERROR_MESSAGE_MAX];
        first_failure(r, why, sizeof why);
        st = ms_fail(err, MS_E_REJECTED, "%s: refusing to sign a bundle that fails its own "
                     "checks: %s", o->bundle_path, why);
        goto out;
    }
    const char *kid = ms_secret_key_id(o->key);
    for (size_t i = 0; i < v->envelope_count; i++) {
        const ms_view_envelope *ve = &v->envelopes[i];
        for (size_t s = 0; ve->env != NULL && s < ve->env->signature_count; s++)
            if (strcmp(ve->env->signatures[s].keyid, kid) == 0 && ve->role != NULL &&
                strcmp(ve->role, o->role) == 0) {
                st = ms_fail(err, MS_E_EXISTS, "%s: already signed by key %s as %s",
                             o->bundle_path, kid, o->role);
                goto out;
            }
    }
    if ((sj = approval(v, o->role, prov_hex, o->source_date_epoch)) == NULL ||
        (stmt = ms_json_print(sj, &stmt_len)) == NULL) {
        st = ms_fail(err, MS_E_NOMEM, "out of memory");
        goto out;
    }
    if ((st = ms_dsse_sign(MS_INTOTO_PAYLOAD_TYPE, (const uint8_t *)stmt, stmt_len, o->key, &env,
                           &env_len, err)) != MS_OK)
        goto out;
    uint8_t dg[MS_SHA256_LEN];
    char env_hex[MS_SHA256_HEX_LEN + 1], sm_hex[MS_SHA256_HEX_LEN + 1];
    ms_sha256_buf(env, env_len, dg);
    ms_hex_encode(dg, MS_SHA256_LEN, env_hex);
    /* The signature manifest with one more layer, and index.json pointing at it. */
    smj = cJSON_Duplicate(v->sigmanifest, 1);
    cJSON *ann = cJSON_CreateObject();
    cJSON_AddStringToObject(ann, MS_ANN_KEYID, kid);
    cJSON_AddStringToObject(ann, MS_ANN_ALGORITHM,
                            ms_key_algorithm_name(ms_secret_key_algorithm(o->key)));
    cJSON_AddStringToObject(ann, MS_ANN_ROLE, o->role);
    cJSON *layer = ms_descriptor_build(MS_MT_DSSE, NULL, env_hex, env_len, ann);
    if (smj == NULL || layer == NULL ||
        !cJSON_AddItemToArray(cJSON_GetObjectItemCaseSensitive(smj, "layers"), layer) ||
        (sm = ms_json_print(smj, &sm_len)) == NULL) {
        cJSON_Delete(layer);
        st = ms_fail(err, MS_E_NOMEM, "out of memory");
        goto out;
    }
    ms_sha256_buf(sm, sm_len, dg);
    ms_hex_encode(dg, MS_SHA256_LEN, sm_hex);
    idxj = cJSON_Duplicate(v->index, 1);
    char old_sm[MS_SHA256_HEX_LEN + 1] = "";
    cJSON *d;
    cJSON_ArrayForEach(d, cJSON_GetObjectItemCaseSensitive(idxj, "manifests"))
    {
        const cJSON *at = cJSON_GetObjectItemCaseSensitive(d, "artifactType");
        if (!cJSON_IsString(at) || strcmp(at->valuestring, MS_MT_SIGNATURE_ARTIFACT) != 0)
            continue;
        const cJSON *od = cJSON_GetObjectItemCaseSensitive(d, "digest");
        if (cJSON_IsString(od) && strlen(od->valuestring) == 7 + MS_SHA256_HEX_LEN)
            memcpy(old_sm, od->valuestring + 7, sizeof old_sm);
        char nd[80];
        snprintf(nd, sizeof nd, "sha256:%s", sm_hex);
        cJSON_ReplaceItemInObject(d, "digest", cJSON_CreateString(nd));
        cJSON_ReplaceItemInObject(d, "size", ms_json_u64(sm_len));
    }
    if ((idx = ms_json_print(idxj, &idx_len)) == NULL) {
        st = ms_fail(err, MS_E_NOMEM, "out of memory");
        goto out;
    }
    /* Rewrite: same entries in the same order, the new signature manifest and envelope
     * where the old signature manifest was; every copied blob is re-hashed. */
    int64_t mtime = o->source_date_epoch >= 0 ? o->source_date_epoch : 0;
    struct stat sb;
    uint64_t size = stat(o->bundle_path, &sb) == 0 ? (uint64_t)sb.st_size : 0;
    ms_prog_begin(MS_PROGRESS_WRITE_BUNDLE, size, v->file_count);
    if ((st = ms_tar_reader_open(o->bundle_path, &rd, err)) != MS_OK ||
        (st = ms_tar_writer_open(out, mtime, &w, err)) != MS_OK)
        goto out;
    for (;;) {
        ms_tar_entry e;
        int done;
        if ((st = ms_tar_reader_next(rd, &e, &done, err)) != MS_OK || done)
            break;
        /* The reader's entry rule: the bundle was checked with it a moment ago. */
        char why[700];
        ms_entry_kind kind = ms_layout_entry_kind(&e, why, sizeof why);
        if (kind == MS_ENTRY_IGNORED)
            continue; /* a directory entry: copying it would make it a file */
        if (kind == MS_ENTRY_REFUSED) {
            st = ms_fail(err, MS_E_REJECTED, "%s: changed while signing: %s", o->bundle_path,
                         why);
            break;
        }
        char name[128];
        snprintf(name, sizeof name, "%s", e.name);
        if (strcmp(name, "index.json") == 0) {
            st = ms_tar_writer_add_bytes(w, name, idx, idx_len, err);
        } else if (strncmp(name, "blobs/sha256/", 13) == 0 && strcmp(name + 13, old_sm) == 0) {
            char n1[96], n2[96];
            snprintf(n1, sizeof n1, "blobs/sha256/%s", sm_hex);
            snprintf(n2, sizeof n2, "blobs/sha256/%s", env_hex);
            st = ms_tar_writer_add_bytes(w, n1, sm, sm_len, err);
            if (st == MS_OK)
                st = ms_tar_writer_add_bytes(w, n2, env, env_len, err);
        } else {
            uint8_t want[MS_SHA256_LEN];
            int is_blob = strncmp(name, "blobs/sha256/", 13) == 0 &&
                          ms_hex_decode(name + 13, MS_SHA256_LEN, want) == 0;
            st = ms_tar_writer_add_from(w, name, rd, e.size, is_blob ? want : NULL, err);
            for (size_t i = 0; st == MS_OK && is_blob && i < v->file_count; i++)
                if (strcmp(v->files[i].hex, name + 13) == 0)
                    ms_prog_add(0, 1);
        }
        if (st != MS_OK)
            break;
    }
    if (st == MS_OK)
        st = ms_tar_writer_commit(w, err);
    if (st == MS_OK) {
        ms_prog_set_bytes(size);
        ms_prog_finish();
    }
out:
    ms_tar_writer_free(w);
    ms_tar_reader_free(rd);
    cJSON_Delete(sj);
    cJSON_Delete(smj);
    cJSON_Delete(idxj);
    free(stmt);
    free(env);
    free(sm);
    free(idx);
    ms_view_free(v);
    ms_report_free(r);
    return st;
}

ms_status ms_sign(const ms_sign_options *o, ms_error *err)
{
    if (o == NULL)
        return ms_fail(err, MS_E_USAGE, "sign needs a bundle, a key and a role");
    ms_prog pg;
    ms_prog_enter(&pg, o->progress, o->progress_user);
    ms_status st = sign_bundle(o, err);
    ms_prog_leave(&pg);
    return st;
}
