/*
 * Rollback protection: a state directory remembers, per model name, the
 * highest version verify accepted and its model manifest digest.  The
 * manifest digest (not the archive's) identifies a release, so a bundle
 * co-signed later is still the same release.
 *
 * State file DIR/NAME.json: {"stateVersion":1,"name":..,"version":..,
 * "manifestDigest":"sha256:..","acceptedAt":"RFC 3339"}.  It is replaced
 * atomically (temporary file, fsync, rename) under an exclusive lock on
 * DIR/.lock, and a file that cannot be read as such is an error, never
 * silently reset.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/error_internal.h"
#include "core/fsutil.h"
#include "core/json.h"
#include "core/timefmt.h"
#include "verify/rollback.h"

#define MS_STATE_MAX (64u << 10)

/* A message from a parser that names the file first, without that name. */
static const char *strip_path(const char *msg, const char *path)
{
    size_t n = strlen(path);
    return strncmp(msg, path, n) == 0 && msg[n] == ':' && msg[n + 1] == ' ' ? msg + n + 2 : msg;
}

/*
 * Parse a state file for model `name`: NULL when it holds, else why not (in
 * e->message or a fixed text).  *j owns the strings handed out.
 */
static const char *parse_state(const char *text, size_t len, const char *path, const char *name,
                               cJSON **j, const char **version, const char **digest, ms_error *e)
{
    uint64_t sv = 0;
    const char *got_name = NULL, *p;
    if (ms_json_parse(text, len, path, j, e) != MS_OK ||
        ms_json_get_u64(*j, "stateVersion", path, &sv, e) != MS_OK)
        return strip_path(e->message, path);
    if (sv != 1) {
        snprintf(e->message, sizeof e->message, "unknown stateVersion %llu (this modelseal "
                 "reads 1)", (unsigned long long)sv);
        return e->message;
    }
    if (ms_json_get_string(*j, "name", path, &got_name, e) != MS_OK ||
        ms_json_get_string(*j, "version", path, version, e) != MS_OK ||
        ms_json_get_string(*j, "manifestDigest", path, digest, e) != MS_OK)
        return strip_path(e->message, path);
    if (strcmp(got_name, name) != 0) {
        snprintf(e->message, sizeof e->message, "it records model '%.200s', not '%.200s'",
                 got_name, name);
        return e->message;
    }
    if ((p = ms_semver_problem(*version)) != NULL) {
        snprintf(e->message, sizeof e->message, "accepted version '%.200s' is not a semantic "
                 "version: %s", *version, p);
        return e->message;
    }
    if (strncmp(*digest, "sha256:", 7) != 0 || !ms_is_sha256_hex(*digest + 7)) {
        snprintf(e->message, sizeof e->message, "manifestDigest '%.100s' is not sha256:<64 "
                 "lower-case hex digits>", *digest);
        return e->message;
    }
    return NULL;
}

ms_status ms_rollback_check(const ms_view *v, const char *dir, int64_t at, int commit,
                            ms_report *r, ms_error *err)
{
    if (v->name == NULL || v->version == NULL || ms_name_problem(v->name) != NULL)
        return MS_OK; /* the metadata checks already failed */
    if (mkdir(dir, 0700) != 0 && errno != EEXIST)
        return ms_fail(err, MS_E_IO, "%s: cannot create the state directory: %s", dir,
                       strerror(errno));
    char lock_path[4200], path[4200];
    snprintf(lock_path, sizeof lock_path, "%s/.lock", dir);
    snprintf(path, sizeof path, "%s/%s.json", dir, v->name);
    int lock = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (lock < 0 || flock(lock, LOCK_EX) != 0) {
        ms_status st = ms_fail(err, MS_E_IO, "%s: cannot lock the state: %s", lock_path,
                               strerror(errno));
        if (lock >= 0)
            close(lock);
        return st;
    }
    ms_status st = MS_OK;
    char *text = NULL;
    size_t len = 0;
    cJSON *j = NULL;
    const char *old_version = NULL, *old_digest = NULL;
    char digest[80];
    snprintf(digest, sizeof digest, "sha256:%s", v->manifest_hex);
    ms_error e;
    ms_error_clear(&e);
    if (ms_read_file(path, MS_STATE_MAX, &text, &len, &e) != MS_OK) {
        if (access(path, F_OK) == 0 || errno != ENOENT) {
            st = e.status == MS_E_LIMIT
                     ? ms_fail(err, MS_E_FORMAT, "corrupt state file %s: %s", path,
                               strip_path(e.message, path))
                     : ms_fail(err, MS_E_IO, "cannot read the state: %s", e.message);
            goto out;
        }
    } else {
        const char *why = parse_state(text, len, path, v->name, &j, &old_version, &old_digest,
                                      &e);
        if (why != NULL) {
            st = ms_fail(err, MS_E_FORMAT, "corrupt state file %s: %s", path, why);
            goto out;
        }
    }
    int accept = 1;
    if (old_version != NULL) {
        int c = ms_semver_compare(v->version, old_version);
        if (c < 0)
            accept = ms_report_check(r, "rollback", 0, "%s is older than accepted %s",
                                     v->version, old_version);
        else if (c == 0 && strcmp(old_digest, digest) != 0)
            accept = ms_report_check(r, "rollback", 0,
                                     "version %s was accepted as %.80s; this bundle's "
                                     "manifest is %s", v->version, old_digest, digest);
        else if (c == 0)
            ms_report_check(r, "rollback", 1, "%s %s is the version already accepted", v->name,
                            v->version);
        else
            ms_report_check(r, "rollback", 1, "%s is newer than accepted %s", v->version,
                            old_version);
    } else {
        ms_report_check(r, "rollback", 1, "first version of %s accepted here", v->name);
    }
    const char *sup = v->supersedes;
    if (sup != NULL) {
        if (old_digest != NULL && strcmp(sup, old_digest) == 0)
            ms_report_check(r, "supersedes", 1, "supersedes the accepted %s (%.80s)", old_version,
                            sup);
        else
            ms_report_check(r, "supersedes", 1, "supersedes %.80s%s%s", sup,
                            old_digest != NULL ? "; the accepted release is " : "",
                            old_digest != NULL ? old_digest : "");
    }
    if (accept && commit && ms_report_failures(r) == 0 &&
        (old_version == NULL || ms_semver_compare(v->version, old_version) > 0)) {
        cJSON *s = cJSON_CreateObject();
        char t[32];
        ms_rfc3339_format(at, t);
        ms_json_add_u64(s, "stateVersion", 1);
        cJSON_AddStringToObject(s, "name", v->name);
        cJSON_AddStringToObject(s, "version", v->version);
        cJSON_AddStringToObject(s, "manifestDigest", digest);
        cJSON_AddStringToObject(s, "acceptedAt", t);
        size_t n = 0;
        char *out = ms_json_print(s, &n);
        cJSON_Delete(s);
        if (out == NULL) {
            st = ms_fail(err, MS_E_NOMEM, "out of memory");
            goto out;
        }
        st = ms_write_file_atomic(path, out, n, 0600, err);
        free(out);
    }
out:
    cJSON_Delete(j);
    free(text);
    flock(lock, LOCK_UN);
    close(lock);
    return st;
}
