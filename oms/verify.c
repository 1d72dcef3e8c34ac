/*
 * Verifying a model against an OMS signature: the bundle's key material
 * compared with the trusted key, the DSSE signature, the statement's
 * subject, then every file of the model (docs/oms.md, "verify-oms").
 * Trust comes only from the key the caller passes.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/digest.h"
#include "core/error_internal.h"
#include "core/fsutil.h"
#include "oms/oms_internal.h"

const char *ms_oms_file_state_name(ms_oms_file_state s)
{
    switch (s) {
    case MS_OMS_FILE_OK: return "ok";
    case MS_OMS_FILE_CHANGED: return "changed";
    case MS_OMS_FILE_ADDED: return "added";
    case MS_OMS_FILE_REMOVED: return "removed";
    case MS_OMS_FILE_REFUSED: return "refused";
    }
    return "?";
}

void ms_oms_result_free(ms_oms_result *r)
{
    if (r == NULL)
        return;
    free(r->model_path);
    free(r->signature_path);
    ms_oms_statement_free(r->statement);
    for (size_t i = 0; i < r->file_count; i++) {
        free(r->files[i].name);
        free(r->files[i].detail);
    }
    free(r->files);
    for (size_t i = 0; i < r->ignored_count; i++)
        free(r->ignored[i]);
    free(r->ignored);
    for (size_t i = 0; i < r->warning_count; i++)
        free(r->warnings[i]);
    free(r->warnings);
    free(r);
}

typedef struct filelist {
    ms_oms_file *v;
    size_t n, cap;
} filelist;

static ms_oms_file *file_add(filelist *l, const char *name, ms_oms_file_state state)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        ms_oms_file *v = realloc(l->v, cap * sizeof *v);
        if (v == NULL)
            return NULL;
        l->v = v;
        l->cap = cap;
    }
    ms_oms_file *f = &l->v[l->n];
    memset(f, 0, sizeof *f);
    if ((f->name = strdup(name)) == NULL)
        return NULL;
    f->state = state;
    l->n++;
    return f;
}

static int set_detail(ms_oms_file *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int set_detail(ms_oms_file *f, const char *fmt, ...)
{
    char buf[MS_ERROR_MESSAGE_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    free(f->detail);
    f->detail = strdup(buf);
    return f->detail ? 0 : -1;
}

/* Compare the bundle's public key (rawBytes or hint) with the trusted one. */
static void compare_key_material(const ms_oms_bundle *b, const ms_oms_verify_options *o,
                                 ms_oms_result *r, ms_oms_strlist *warn)
{
    if (b->key_pem != NULL) {
        ms_public_key *bk = NULL;
        ms_error e2;
        size_t off, n;
        ms_oms_key_range(b->key_pem, b->key_pem_len, &off, &n);
        if (ms_public_key_parse(b->key_pem + off, n, "verificationMaterial.publicKey.rawBytes", &bk,
                                &e2) != MS_OK) {
            r->key_match = MS_OMS_KEY_UNCHECKED;
            ms_oms_strlist_addf(
                warn,
                "the bundle's publicKey.rawBytes is not a key this tool reads (%s); "
                "it is not used",
                e2.message);
        } else {
            r->key_match = strcmp(ms_public_key_id(bk), ms_public_key_id(o->key)) == 0
                               ? MS_OMS_KEY_MATCH
                               : MS_OMS_KEY_MISMATCH;
            if (r->key_match == MS_OMS_KEY_MISMATCH)
                ms_oms_strlist_addf(warn,
                                    "the bundle's publicKey.rawBytes is another key (id %s), not "
                                    "--key; only --key is trusted",
                                    ms_public_key_id(bk));
        }
        ms_public_key_free(bk);
    } else if (b->key_hint != NULL) {
        if (o->key_spki == NULL) {
            r->key_match = MS_OMS_KEY_UNCHECKED;
            ms_oms_strlist_addf(warn,
                                "the bundle's publicKey.hint could not be compared with --key");
        } else {
            size_t pem_len;
            char *pem = ms_oms_spki_pem(o->key_spki, o->key_spki_len, &pem_len);
            if (pem == NULL) {
                r->key_match = MS_OMS_KEY_UNCHECKED;
                return;
            }
            uint8_t d[32];
            char hex[65];
            ms_sha256_buf(pem, pem_len, d);
            ms_hex_encode(d, 32, hex);
            free(pem);
            r->key_match = strcmp(hex, b->key_hint) == 0 ? MS_OMS_KEY_MATCH : MS_OMS_KEY_MISMATCH;
            if (r->key_match == MS_OMS_KEY_MISMATCH)
                ms_oms_strlist_addf(warn,
                                    "the bundle's publicKey.hint %s is not the hint of --key (%s); "
                                    "only --key is trusted",
                                    b->key_hint, hex);
        }
    }
    if (b->key_details != NULL) {
        const char *want = ms_public_key_algorithm(o->key) == MS_ALG_ECDSA_P384
                               ? "PKIX_ECDSA_P384_SHA_384"
                               : "PKIX_ECDSA_P256_SHA_256";
        if (strcmp(b->key_details, want) != 0)
            ms_oms_strlist_addf(warn, "the bundle's publicKey.keyDetails is '%s', --key is %s",
                                b->key_details,
                                ms_key_algorithm_name(ms_public_key_algorithm(o->key)));
    }
    if (b->has_certificate)
        ms_oms_strlist_addf(warn,
                            "the bundle carries a certificate; it is not checked (only --key is "
                            "trusted)");
}

/* Compare the statement's resources with a directory walk. */
static ms_status compare_dir(const ms_oms_statement *s, const char *model, const ms_oms_walk *w,
                             const ms_oms_strlist *ign, filelist *files, ms_error *err)
{
    size_t n = s->resource_count;
    const ms_oms_resource **res = malloc((n ? n : 1) * sizeof *res);
    if (res == NULL)
        return ms_fail(err, MS_E_NOMEM, "out of memory");
    for (size_t i = 0; i < n; i++)
        res[i] = &s->resources[i];
    qsort(res, n, sizeof *res, ms_oms_cmp_resource_ptr);
    int dfd = open(model, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0) {
        free(res);
        return ms_fail(err, MS_E_IO, "%s: cannot open: %s", model, strerror(errno));
    }
    ms_status st = MS_OK;
    size_t i = 0, j = 0;
    while ((i < n || j < w->n) && st == MS_OK) {
        int c = i >= n ? 1 : j >= w->n ? -1 : ms_oms_path_cmp(res[i]->name, w->v[j].rel);
        ms_oms_file *f;
        if (c < 0) {
            const ms_oms_resource *r = res[i++];
            const char *by = ms_oms_ignored_by(ign, r->name);
            if ((f = file_add(files, r->name, MS_OMS_FILE_REMOVED)) == NULL) {
                st = ms_fail(err, MS_E_NOMEM, "out of memory");
                break;
            }
            ms_hex_encode(r->digest, 32, f->signed_hex);
            if (by != NULL && set_detail(f, "signed, but left out by the ignore path '%s'", by))
                st = ms_fail(err, MS_E_NOMEM, "out of memory");
            continue;
        }
        const ms_oms_entry *e = &w->v[j++];
        const ms_oms_resource *r = c == 0 ? res[i++] : NULL;
        f = file_add(files, e->rel, r ? MS_OMS_FILE_OK : MS_OMS_FILE_ADDED);
        if (f == NULL) {
            st = ms_fail(err, MS_E_NOMEM, "out of memory");
            break;
        }
        if (r != NULL)
            ms_hex_encode(r->digest, 32, f->signed_hex);
        const char *why = NULL;
        switch (e->kind) {
        case MS_OMS_ENTRY_LINK:
            why = "a symbolic link, and the signature does not allow symlinks";
            break;
        case MS_OMS_ENTRY_LINK_OTHER:
            why = "a symbolic link to something other than a regular file";
            break;
        case MS_OMS_ENTRY_SPECIAL:
            why = "not a regular file, directory or symbolic link";
            break;
        default:
            break;
        }
        if (why == NULL) {
            uint8_t d[32];
            int odd;
            char *disp;
            if (asprintf(&disp, "%s/%s", model, e->rel) < 0) {
                st = ms_fail(err, MS_E_NOMEM, "out of memory");
                break;
            }
            st = ms_oms_hash_entry(dfd, e->rel, disp, e->kind == MS_OMS_ENTRY_LINK_FILE, d, &odd,
                                   err);
            free(disp);
            if (st != MS_OK)
                break;
            if (odd) {
                why = "changed to something other than a regular file while being read";
            } else {
                ms_hex_encode(d, 32, f->actual_hex);
                if (r != NULL && memcmp(d, r->digest, 32) != 0)
                    f->state = MS_OMS_FILE_CHANGED;
            }
        }
        if (why != NULL) {
            f->state = MS_OMS_FILE_REFUSED;
            if (set_detail(f, "%s", why) != 0)
                st = ms_fail(err, MS_E_NOMEM, "out of memory");
        }
    }
    close(dfd);
    free(res);
    return st;
}

static ms_status compare_file(const ms_oms_statement *s, const char *model, filelist *files,
                              ms_error *err)
{
    ms_oms_file *f = file_add(files, ".", MS_OMS_FILE_OK);
    if (f == NULL)
        return ms_fail(err, MS_E_NOMEM, "out of memory");
    ms_hex_encode(s->resources[0].digest, 32, f->signed_hex);
    uint8_t d[32];
    int odd;
    ms_status st = ms_oms_hash_entry(-1, NULL, model, 1, d, &odd, err);
    if (st != MS_OK)
        return st;
    if (odd) {
        f->state = MS_OMS_FILE_REFUSED;
        return set_detail(f, "not a regular file") ? ms_fail(err, MS_E_NOMEM, "out of memory")
                                                   : MS_OK;
    }
    ms_hex_encode(d, 32, f->actual_hex);
    if (memcmp(d, s->resources[0].digest, 32) != 0)
        f->state = MS_OMS_FILE_CHANGED;
    return MS_OK;
}

static ms_status verify_inner(const ms_oms_verify_options *o, ms_oms_result *r,
                              ms_oms_strlist *warn, ms_oms_strlist *ignored, filelist *files,
                              ms_error *err)
{
    char q[MS_OMS_QUOTE_MAX + 4];
    if (o->model_path == NULL || o->signature_path == NULL || o->key == NULL)
        return ms_fail(err, MS_E_USAGE, "OMS verify: model, signature and key are required");
    if (!ms_oms_ecdsa_alg(ms_public_key_algorithm(o->key)))
        return ms_fail(err, MS_E_UNSUPPORTED,
                       "OMS signatures use ECDSA keys (P-256 or P-384); the key is %s",
                       ms_key_algorithm_name(ms_public_key_algorithm(o->key)));
    snprintf(r->key_id, sizeof r->key_id, "%s", ms_public_key_id(o->key));
    r->key_algorithm = ms_key_algorithm_name(ms_public_key_algorithm(o->key));

    char *text;
    size_t len;
    ms_status st = ms_read_file(o->signature_path, MS_OMS_MAX_BUNDLE, &text, &len, err);
    if (st != MS_OK)
        return st;
    ms_oms_bundle *b;
    st = ms_oms_bundle_parse(text, len, o->signature_path, &b, err);
    free(text);
    if (st != MS_OK)
        return st;
    compare_key_material(b, o, r, warn);
    if (strcmp(b->payload_type, MS_OMS_PAYLOAD_TYPE) != 0) {
        st = ms_fail(err, MS_E_UNSUPPORTED, "%s: dsseEnvelope: payloadType '%s' is not '%s'",
                     o->signature_path, ms_oms_excerpt(b->payload_type, q), MS_OMS_PAYLOAD_TYPE);
        ms_oms_bundle_free(b);
        return st;
    }
    st = ms_oms_bundle_verify(b, o->key, err);
    r->signature_checked = st == MS_OK || st == MS_E_REJECTED;
    r->signature_valid = st == MS_OK;
    if (st == MS_E_REJECTED) {
        st = ms_fail(err, MS_E_REJECTED,
                     "%s: signature: not valid under --key (%s key %s)%s", o->signature_path,
                     r->key_algorithm, r->key_id,
                     r->key_match == MS_OMS_KEY_MISMATCH
                         ? "; the bundle names another public key: was it signed with "
                           "another key?"
                         : "");
    }
    if (st != MS_OK) {
        ms_oms_bundle_free(b);
        return st;
    }
    char what[MS_ERROR_MESSAGE_MAX];
    snprintf(what, sizeof what, "%s: payload", o->signature_path);
    st = ms_oms_statement_parse(b->payload, b->payload_len, what, &r->statement, err);
    ms_oms_bundle_free(b);
    if (st != MS_OK)
        return st;
    const ms_oms_statement *s = r->statement;

    ms_hex_encode(s->resources_digest, 32, r->subject_hex);
    r->subject_ok = memcmp(s->resources_digest, s->subject_digest, 32) == 0;
    if (!r->subject_ok) {
        char sh[65];
        ms_hex_encode(s->subject_digest, 32, sh);
        return ms_fail(err, MS_E_REJECTED,
                       "%s: subject '%s' has digest sha256:%s, but the signed resources hash to "
                       "sha256:%s: the statement is inconsistent",
                       o->signature_path, ms_oms_excerpt(s->subject_name, q), sh, r->subject_hex);
    }

    struct stat sb;
    if (stat(o->model_path, &sb) != 0)
        return ms_fail(err, MS_E_IO, "%s: %s", o->model_path, strerror(errno));
    if (S_ISDIR(sb.st_mode)) {
        if (s->single_file)
            return ms_fail(err, MS_E_REJECTED,
                           "%s: the signature covers a single file (resource '.', subject '%s'; "
                           "v1.0.0 signatures of one file look like this), but %s is a "
                           "directory: pass that file as MODEL",
                           o->signature_path, ms_oms_excerpt(s->subject_name, q), o->model_path);
        ms_oms_strlist ign = {0};
        st = ms_oms_ignores_build(&ign, o->ignore_paths, o->ignore_count, o->no_git_paths, err);
        for (size_t i = 0; st == MS_OK && i < s->ignore_count; i++)
            if (!ms_oms_strlist_has(&ign, s->ignore_paths[i]) &&
                ms_oms_strlist_add(&ign, s->ignore_paths[i]))
                st = ms_fail(err, MS_E_NOMEM, "out of memory");
        char *sig_rel = NULL;
        if (st == MS_OK)
            st = ms_oms_locate_in_model(o->model_path, o->signature_path, 0, &sig_rel, err);
        if (st == MS_OK && sig_rel != NULL && !ms_oms_strlist_has(&ign, sig_rel) &&
            ms_oms_strlist_add(&ign, sig_rel) != 0)
            st = ms_fail(err, MS_E_NOMEM, "out of memory");
        free(sig_rel);
        ms_oms_walk w = {.ign = &ign, .allow_symlinks = s->allow_symlinks, .root = o->model_path};
        if (st == MS_OK)
            st = ms_oms_walk_model(&w, o->model_path, err);
        if (st == MS_OK)
            st = compare_dir(s, o->model_path, &w, &ign, files, err);
        if (st == MS_OK) {
            *ignored = w.ignored;
            memset(&w.ignored, 0, sizeof w.ignored);
        }
        ms_oms_walk_free(&w);
        ms_oms_strlist_free(&ign);
    } else if (S_ISREG(sb.st_mode)) {
        if (!s->single_file)
            return ms_fail(err, MS_E_REJECTED,
                           "%s: the signature covers a directory of %zu files, but %s is a "
                           "single file",
                           o->signature_path, s->resource_count, o->model_path);
        st = compare_file(s, o->model_path, files, err);
    } else {
        return ms_fail(err, MS_E_IO, "%s: not a directory or regular file", o->model_path);
    }
    if (st != MS_OK)
        return st;
    size_t bad = 0, first = SIZE_MAX;
    for (size_t i = 0; i < files->n; i++)
        if (files->v[i].state != MS_OMS_FILE_OK) {
            bad++;
            if (first == SIZE_MAX)
                first = i;
        }
    r->mismatch_count = bad;
    if (bad != 0) {
        const ms_oms_file *f = &files->v[first];
        return ms_fail(err, MS_E_REJECTED,
                       "%s: %zu file%s differ%s from the signature (first: "
                       "'%s' %s)",
                       o->model_path, bad, bad == 1 ? "" : "s", bad == 1 ? "s" : "",
                       ms_oms_excerpt(f->name, q), ms_oms_file_state_name(f->state));
    }
    snprintf(r->message, sizeof r->message, "%s matches %s: %zu file%s, signature valid",
             o->model_path, o->signature_path, files->n, files->n == 1 ? "" : "s");
    return MS_OK;
}

ms_status ms_oms_verify(const ms_oms_verify_options *o, ms_oms_result **out, ms_error *err)
{
    *out = NULL;
    ms_oms_result *r = calloc(1, sizeof *r);
    if (r == NULL)
        return ms_fail(err, MS_E_NOMEM, "out of memory");
    r->model_path = strdup(o->model_path ? o->model_path : "");
    r->signature_path = strdup(o->signature_path ? o->signature_path : "");
    if (r->model_path == NULL || r->signature_path == NULL) {
        ms_oms_result_free(r);
        return ms_fail(err, MS_E_NOMEM, "out of memory");
    }
    ms_oms_strlist warn = {0}, ignored = {0};
    filelist files = {0};
    ms_error local;
    if (err == NULL)
        err = &local;
    ms_error_clear(err);
    ms_status st = verify_inner(o, r, &warn, &ignored, &files, err);
    r->status = st;
    if (st != MS_OK)
        snprintf(r->message, sizeof r->message, "%s", err->message);
    r->files = files.v;
    r->file_count = files.n;
    r->mismatch_count = 0;
    for (size_t i = 0; i < files.n; i++)
        if (files.v[i].state != MS_OMS_FILE_OK)
            r->mismatch_count++;
    r->warnings = ms_oms_strlist_take(&warn, &r->warning_count);
    r->ignored = ms_oms_strlist_take(&ignored, &r->ignored_count);
    *out = r;
    return st;
}
