/*
 * Signing a model in the OMS format: hash every file, build the statement,
 * sign its DSSE PAE and write the bundle atomically.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/base64.h"
#include "core/digest.h"
#include "core/error_internal.h"
#include "core/fsutil.h"
#include "core/text.h"
#include "modelseal/dsse.h"
#include "oms/oms_internal.h"

/* The subject name: the model path's last component (its real one for "." or ".."). */
static int model_name(const char *path, char out[256])
{
    size_t n = strlen(path);
    while (n > 1 && path[n - 1] == '/')
        n--;
    size_t s = n;
    while (s > 0 && path[s - 1] != '/')
        s--;
    size_t k = n - s;
    if (k == 0 || (k == 1 && path[s] == '.') || (k == 2 && path[s] == '.' && path[s + 1] == '.')) {
        char *rp = realpath(path, NULL);
        if (rp == NULL)
            return -1;
        const char *b = strrchr(rp, '/');
        snprintf(out, 256, "%s", b && b[1] ? b + 1 : rp);
        free(rp);
        return 0;
    }
    if (k > 255)
        k = 255;
    memcpy(out, path + s, k);
    out[k] = '\0';
    return 0;
}

static ms_status sign_checks(const ms_oms_sign_options *o, ms_error *err)
{
    if (o->model_path == NULL || o->output_path == NULL || o->key == NULL)
        return ms_fail(err, MS_E_USAGE, "OMS sign: model, output and key are required");
    if (!ms_oms_ecdsa_alg(ms_secret_key_algorithm(o->key)))
        return ms_fail(err, MS_E_UNSUPPORTED,
                       "OMS signatures use ECDSA keys (P-256 or P-384); the key is %s",
                       ms_key_algorithm_name(ms_secret_key_algorithm(o->key)));
    if (o->material != MS_OMS_MATERIAL_1_1 && o->material != MS_OMS_MATERIAL_1_0)
        return ms_fail(err, MS_E_USAGE, "OMS sign: unknown verification material format %d",
                       (int)o->material);
    if (o->key_spki == NULL || o->key_spki_len == 0)
        return ms_fail(err, MS_E_USAGE, "OMS sign: the key's SubjectPublicKeyInfo is required");
    uint8_t d[32];
    char hex[65];
    ms_sha256_buf(o->key_spki, o->key_spki_len, d);
    ms_hex_encode(d, 32, hex);
    if (strcmp(hex, ms_secret_key_id(o->key)) != 0)
        return ms_fail(err, MS_E_KEY, "OMS sign: the public key given is not the signing key's");
    return MS_OK;
}

/* Hash every file of the model; names and digests in path order. */
static ms_status hash_model(const ms_oms_sign_options *o, const ms_oms_strlist *ign,
                            ms_oms_strlist *names, uint8_t (**digests)[32], ms_error *err)
{
    char q[MS_OMS_QUOTE_MAX + 4];
    struct stat sb;
    if (stat(o->model_path, &sb) != 0)
        return ms_fail(err, MS_E_IO, "%s: %s", o->model_path, strerror(errno));
    if (S_ISREG(sb.st_mode)) {
        if ((*digests = malloc(32)) == NULL || ms_oms_strlist_add(names, ".") != 0)
            return ms_fail(err, MS_E_NOMEM, "out of memory");
        int odd;
        ms_status st = ms_oms_hash_entry(-1, NULL, o->model_path, 1, (*digests)[0], &odd, err);
        if (st == MS_OK && odd)
            st = ms_fail(err, MS_E_IO, "%s: not a regular file", o->model_path);
        return st;
    }
    if (!S_ISDIR(sb.st_mode))
        return ms_fail(err, MS_E_USAGE, "%s: not a directory or regular file", o->model_path);
    ms_oms_walk w = {.ign = ign, .allow_symlinks = o->allow_symlinks, .root = o->model_path};
    ms_status st = ms_oms_walk_model(&w, o->model_path, err);
    int dfd = -1;
    if (st == MS_OK && w.n == 0)
        st = ms_fail(err, MS_E_USAGE, "%s: no files to sign (after the ignore paths)",
                     o->model_path);
    if (st == MS_OK && (*digests = calloc(w.n, 32)) == NULL)
        st = ms_fail(err, MS_E_NOMEM, "out of memory");
    if (st == MS_OK && (dfd = open(o->model_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
        st = ms_fail(err, MS_E_IO, "%s: cannot open: %s", o->model_path, strerror(errno));
    for (size_t i = 0; st == MS_OK && i < w.n; i++) {
        const ms_oms_entry *e = &w.v[i];
        char *disp;
        if (asprintf(&disp, "%s/%s", o->model_path, e->rel) < 0) {
            st = ms_fail(err, MS_E_NOMEM, "out of memory");
            break;
        }
        const char *problem = ms_path_problem(e->rel);
        if (problem == NULL && !ms_utf8_valid(e->rel))
            problem = "not valid UTF-8";
        if (problem != NULL) {
            st = ms_fail(err, MS_E_USAGE, "%s: cannot sign this name: %s", ms_oms_excerpt(disp, q),
                         problem);
            free(disp);
            break;
        }
        switch (e->kind) {
        case MS_OMS_ENTRY_LINK:
            st = ms_fail(err, MS_E_USAGE,
                         "%s: a symbolic link (pass --allow-symlinks to hash its target, or "
                         "--ignore-paths to leave it out)",
                         disp);
            break;
        case MS_OMS_ENTRY_LINK_OTHER:
            st = ms_fail(err, MS_E_USAGE,
                         "%s: a symbolic link to something other than a regular file", disp);
            break;
        case MS_OMS_ENTRY_SPECIAL:
            st = ms_fail(err, MS_E_USAGE, "%s: not a regular file, directory or symbolic link",
                         disp);
            break;
        default: {
            int odd;
            st = ms_oms_hash_entry(dfd, e->rel, disp, e->kind == MS_OMS_ENTRY_LINK_FILE,
                                   (*digests)[i], &odd, err);
            if (st == MS_OK && odd)
                st = ms_fail(err, MS_E_IO, "%s: changed while being read", disp);
            if (st == MS_OK && ms_oms_strlist_add(names, e->rel) != 0)
                st = ms_fail(err, MS_E_NOMEM, "out of memory");
        }
        }
        free(disp);
    }
    if (dfd >= 0)
        close(dfd);
    ms_oms_walk_free(&w);
    return st;
}

ms_status ms_oms_sign(const ms_oms_sign_options *o, ms_oms_sign_info *info, ms_error *err)
{
    ms_status st = sign_checks(o, err);
    if (st != MS_OK)
        return st;
    if (info != NULL)
        memset(info, 0, sizeof *info);
    char name[256];
    if (model_name(o->model_path, name) != 0)
        return ms_fail(err, MS_E_IO, "%s: %s", o->model_path, strerror(errno));
    if (!ms_utf8_valid(name))
        return ms_fail(err, MS_E_USAGE, "%s: the model's name is not valid UTF-8",
                       o->model_path);

    ms_oms_strlist ign = {0}, names = {0};
    uint8_t(*digests)[32] = NULL;
    char *payload = NULL, *payload_b64 = NULL, *sig_b64 = NULL, *pem = NULL;
    char *bundle = NULL, *out_rel = NULL;
    uint8_t *pae = NULL, *sig = NULL;
    size_t pae_len, sig_len;
    char subject_hex[65];

    st = ms_oms_ignores_build(&ign, o->ignore_paths, o->ignore_count, o->no_git_paths, err);
    struct stat sb;
    int is_dir = stat(o->model_path, &sb) == 0 && S_ISDIR(sb.st_mode);
    if (st == MS_OK && is_dir)
        st = ms_oms_locate_in_model(o->model_path, o->output_path, 0, &out_rel, err);
    if (st == MS_OK && out_rel != NULL && !ms_oms_strlist_has(&ign, out_rel) &&
        ms_oms_strlist_add(&ign, out_rel) != 0)
        st = ms_fail(err, MS_E_NOMEM, "out of memory");
    if (st == MS_OK && ign.n > 1)
        qsort(ign.v, ign.n, sizeof *ign.v, ms_oms_cmp_name);
    if (st == MS_OK)
        st = hash_model(o, &ign, &names, &digests, err);
    if (st == MS_OK) {
        /* A single-file model has no ignore paths to record. */
        ms_oms_strlist none = {0};
        payload = ms_oms_statement_json(name, names.v, digests, names.n, is_dir ? &ign : &none,
                                        o->allow_symlinks, subject_hex);
        if (payload == NULL)
            st = ms_fail(err, MS_E_NOMEM, "out of memory");
    }
    if (st == MS_OK)
        st = ms_dsse_pae(MS_OMS_PAYLOAD_TYPE, (const uint8_t *)payload, strlen(payload), &pae,
                         &pae_len, err);
    if (st == MS_OK)
        st = ms_key_sign(o->key, pae, pae_len, &sig, &sig_len, err);
    if (st == MS_OK) {
        size_t pem_len = 0;
        payload_b64 = ms_base64_encode((const uint8_t *)payload, strlen(payload));
        sig_b64 = ms_base64_encode(sig, sig_len);
        pem = ms_oms_spki_pem(o->key_spki, o->key_spki_len, &pem_len);
        if (payload_b64 && sig_b64 && pem)
            bundle = ms_oms_bundle_json(payload_b64, sig_b64, pem, pem_len,
                                        ms_secret_key_algorithm(o->key), o->material);
        if (bundle == NULL)
            st = ms_fail(err, MS_E_NOMEM, "out of memory");
    }
    if (st == MS_OK) {
        st = ms_write_file_atomic(o->output_path, bundle, strlen(bundle), 0644, err);
    }
    if (st == MS_OK && info != NULL) {
        info->file_count = names.n;
        snprintf(info->subject_name, sizeof info->subject_name, "%s", name);
        memcpy(info->subject_hex, subject_hex, sizeof subject_hex);
    }
    ms_oms_strlist_free(&ign);
    ms_oms_strlist_free(&names);
    free(digests);
    free(payload);
    free(payload_b64);
    free(sig_b64);
    free(pem);
    free(bundle);
    free(out_rel);
    free(pae);
    free(sig);
    return st;
}
