#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error_internal.h"
#include "core/json.h"
#include "core/oci.h"
#include "core/progress.h"
#include "core/tar.h"

#define BLOB_PREFIX "blobs/sha256/"

static ms_status add_problem(ms_layout *l, ms_error *err, const char *fmt, const char *arg)
{
    if (l->problem_count >= 1000)
        return MS_OK; /* enough said; keep memory bounded */
    char buf[600];
    snprintf(buf, sizeof buf, fmt, arg);
    char **p = realloc(l->problems, (l->problem_count + 1) * sizeof *p);
    if (p == NULL)
        return ms_fail(err, MS_E_NOMEM, "out of memory");
    l->problems = p;
    if ((p[l->problem_count] = strdup(buf)) == NULL)
        return ms_fail(err, MS_E_NOMEM, "out of memory");
    l->problem_count++;
    return MS_OK;
}

static int cmp_blob(const void *a, const void *b)
{
    const ms_blob *x = a, *y = b;
    int c = strcmp(x->hex, y->hex);
    if (c != 0)
        return c;
    return x->entry_index < y->entry_index ? -1 : x->entry_index > y->entry_index;
}

ms_entry_kind ms_layout_entry_kind(const ms_tar_entry *e, char *why, size_t cap)
{
    int is_blob = strncmp(e->name, BLOB_PREFIX, strlen(BLOB_PREFIX)) == 0 &&
                  ms_is_sha256_hex(e->name + strlen(BLOB_PREFIX));
    if (e->type == MS_TAR_DIRECTORY &&
        (strcmp(e->name, "blobs/") == 0 || strcmp(e->name, "blobs/sha256/") == 0 ||
         strcmp(e->name, "blobs") == 0 || strcmp(e->name, "blobs/sha256") == 0))
        return MS_ENTRY_IGNORED; /* common tools add them; harmless */
    if (e->type != MS_TAR_REGULAR) {
        /* A sparse entry is refused whatever its map: tar programs disagree on
         * where its bytes go, so the file they extract need not be the one hashed. */
        snprintf(why, cap, "%s '%s' in archive (only regular files are allowed)",
                 ms_tar_type_name(e->type), e->name);
        return MS_ENTRY_REFUSED;
    }
    if (strcmp(e->name, "oci-layout") == 0)
        return MS_ENTRY_LAYOUT;
    if (strcmp(e->name, "index.json") == 0)
        return MS_ENTRY_INDEX;
    if (is_blob)
        return MS_ENTRY_BLOB;
    snprintf(why, cap, "unexpected archive entry '%s' (allowed: oci-layout, index.json, "
             "blobs/sha256/<digest>)", e->name);
    return MS_ENTRY_REFUSED;
}

/*
 * Read the current entry: hash it and keep it when small enough.  Blocks
 * come straight from libarchive's buffer (no copy), so hashing runs at the
 * speed of the digest.  Only regular entries get here, and the tar reader
 * refuses a block that does not follow the previous one.
 */
static ms_status read_entry(ms_tar_reader *r, uint64_t size, int keep, int hash,
                            uint8_t **data, uint8_t digest[MS_SHA256_LEN], ms_sha256 *h,
                            const ms_blob_sink *sink, void *state, ms_error *err)
{
    *data = NULL;
    if (!keep && !hash && state == NULL)
        return ms_tar_reader_skip(r, err);
    uint8_t *kept = NULL;
    if (keep && (kept = malloc(size + 1)) == NULL)
        return ms_fail(err, MS_E_NOMEM, "out of memory");
    uint64_t done = 0;
    for (;;) {
        const void *block;
        size_t got;
        ms_status st = ms_tar_reader_block(r, &block, &got, err);
        if (st != MS_OK) {
            free(kept);
            return st;
        }
        if (got == 0)
            break;
        if (got > size - done) {
            free(kept);
            return ms_fail(err, MS_E_FORMAT, "tar entry longer than its header says");
        }
        if (kept != NULL)
            memcpy(kept + done, block, got);
        if (hash)
            ms_sha256_update(h, block, got);
        if (state != NULL)
            sink->data(state, block, got);
        done += got;
        ms_prog_add(got, 0);
    }
    if (done != size) {
        free(kept);
        return ms_fail(err, MS_E_FORMAT, "tar entry shorter than its header says");
    }
    if (hash)
        ms_sha256_final(h, digest);
    if (kept != NULL)
        kept[size] = 0;
    *data = kept;
    return MS_OK;
}

/*
 * Which blobs are JSON documents the verifier needs in memory.  A bundle is
 * read in one pass, and writers put index.json first and every manifest
 * before the blobs it references (docs/bundle-format.md), so by the time a
 * blob arrives the reader knows whether it is a document: index.json names
 * the manifests, and each manifest its config and "+json" layers.  Other
 * small blobs (model config files, tokenizers) are hashed, not kept.
 */
#define MS_OCI_MAX_WANTED 4096

typedef struct wanted_set {
    char (*hex)[MS_SHA256_HEX_LEN + 2]; /* sorted; the byte after the NUL: 1 for a probes layer */
    size_t count;
    int known; /* index.json has been read */
} wanted_set;

static int cmp_hex(const void *a, const void *b)
{
    return strcmp(a, b);
}

/* 0: not wanted; 1: a document; 2: the probes layer (a larger limit). */
static int wanted_has(const wanted_set *w, const char *hex)
{
    const char *e = w->count > 0 ? bsearch(hex, w->hex, w->count, sizeof *w->hex, cmp_hex) : NULL;
    return e == NULL ? 0 : 1 + e[MS_SHA256_HEX_LEN + 1];
}

static void wanted_add(wanted_set *w, const char *digest, int probes)
{
    if (digest == NULL || strncmp(digest, "sha256:", 7) != 0 || !ms_is_sha256_hex(digest + 7) ||
        w->count >= MS_OCI_MAX_WANTED || wanted_has(w, digest + 7))
        return;
    if (w->hex == NULL && (w->hex = malloc(MS_OCI_MAX_WANTED * sizeof *w->hex)) == NULL)
        return;
    size_t i = w->count;
    while (i > 0 && strcmp(w->hex[i - 1], digest + 7) > 0) {
        memcpy(w->hex[i], w->hex[i - 1], sizeof *w->hex);
        i--;
    }
    memcpy(w->hex[i], digest + 7, MS_SHA256_HEX_LEN + 1);
    w->hex[i][MS_SHA256_HEX_LEN + 1] = (char)(probes != 0);
    w->count++;
}

static const char *digest_of(const cJSON *d)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(d, "digest");
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* Learn wanted digests from index.json or a manifest; malformed input teaches nothing. */
static void wanted_learn(wanted_set *w, const void *data, size_t len, int is_index)
{
    cJSON *j = NULL;
    if (ms_json_parse(data, len, "document", &j, NULL) != MS_OK)
        return;
    const cJSON *item;
    if (is_index) {
        cJSON_ArrayForEach(item, cJSON_GetObjectItemCaseSensitive(j, "manifests"))
            wanted_add(w, digest_of(item), 0);
    } else {
        wanted_add(w, digest_of(cJSON_GetObjectItemCaseSensitive(j, "config")), 0);
        cJSON_ArrayForEach(item, cJSON_GetObjectItemCaseSensitive(j, "layers"))
        {
            const cJSON *mt = cJSON_GetObjectItemCaseSensitive(item, "mediaType");
            size_t n = cJSON_IsString(mt) ? strlen(mt->valuestring) : 0;
            if (n >= 5 && strcmp(mt->valuestring + n - 5, "+json") == 0)
                wanted_add(w, digest_of(item), 0);
            else if (n > 0 && strcmp(mt->valuestring, MS_MT_PROBES) == 0)
                wanted_add(w, digest_of(item), 1);
        }
    }
    cJSON_Delete(j);
}

ms_status ms_layout_read(const char *path, int hash_all, ms_layout **out, ms_error *err)
{
    return ms_layout_read_with(path, hash_all, NULL, out, err);
}

const ms_blob *ms_layout_find_unsorted(const ms_layout *l, const char *hex)
{
    for (size_t i = 0; i < l->blob_count; i++)
        if (strcmp(l->blobs[i].hex, hex) == 0)
            return &l->blobs[i];
    return NULL;
}

ms_status ms_layout_read_with(const char *path, int hash_all, const ms_blob_sink *sink,
                              ms_layout **out, ms_error *err)
{
    wanted_set wanted = {0};
    *out = NULL;
    ms_layout *l = calloc(1, sizeof *l);
    ms_tar_reader *r = NULL;
    ms_sha256 *h = ms_sha256_new();
    size_t cap_blobs = 0;
    uint64_t retained = 0;
    ms_status st = MS_OK;
    if (l == NULL || h == NULL) {
        st = ms_fail(err, MS_E_NOMEM, "out of memory");
        goto out;
    }
    int hash_file = (hash_all & MS_LAYOUT_HASH_FILE) != 0;
    st = hash_file ? ms_tar_reader_open_hashed(path, &r, err) : ms_tar_reader_open(path, &r, err);
    if (st != MS_OK)
        goto out;
    for (size_t index = 0;; index++) {
        ms_tar_entry e;
        int done;
        if ((st = ms_tar_reader_next(r, &e, &done, err)) != MS_OK)
            goto out;
        if (done)
            break;
        char why[700];
        ms_entry_kind kind = ms_layout_entry_kind(&e, why, sizeof why);
        if (kind == MS_ENTRY_IGNORED)
            continue;
        if (kind == MS_ENTRY_REFUSED) {
            if ((st = add_problem(l, err, "%s", why)) != MS_OK)
                goto out;
            continue;
        }
        int is_layout = kind == MS_ENTRY_LAYOUT;
        int is_index = kind == MS_ENTRY_INDEX;
        if (is_layout || is_index) {
            if ((is_layout && l->oci_layout != NULL) || (is_index && l->index != NULL)) {
                if ((st = add_problem(l, err, "duplicate archive entry '%s'", e.name)) != MS_OK)
                    goto out;
                continue;
            }
            if (e.size > MS_OCI_MAX_DOCUMENT) {
                st = ms_fail(err, MS_E_LIMIT, "%s: entry '%s' is %llu bytes (limit %u)", path,
                             e.name, (unsigned long long)e.size, MS_OCI_MAX_DOCUMENT);
                goto out;
            }
            uint8_t *data = NULL;
            uint8_t dg[MS_SHA256_LEN];
            if ((st = read_entry(r, e.size, 1, 0, &data, dg, h, NULL, NULL, err)) != MS_OK)
                goto out;
            if (is_layout) {
                l->oci_layout = (char *)data;
                l->oci_layout_len = e.size;
            } else {
                l->index = (char *)data;
                l->index_len = e.size;
                wanted_learn(&wanted, data, e.size, 1);
                wanted.known = 1;
                /* Manifests that came before index.json were kept provisionally: learn
                 * from them now, so the blobs they name are kept too. */
                for (size_t k = 0; k < l->blob_count; k++)
                    if (l->blobs[k].data != NULL && wanted_has(&wanted, l->blobs[k].hex) == 1)
                        wanted_learn(&wanted, l->blobs[k].data, l->blobs[k].size, 0);
            }
            continue;
        }
        if (l->blob_count >= MS_OCI_MAX_BLOBS) {
            st = ms_fail(err, MS_E_LIMIT, "%s: more than %d blobs", path, MS_OCI_MAX_BLOBS);
            goto out;
        }
        if (l->blob_count == cap_blobs) {
            cap_blobs = cap_blobs ? cap_blobs * 2 : 16;
            ms_blob *nb = realloc(l->blobs, cap_blobs * sizeof *nb);
            if (nb == NULL) {
                st = ms_fail(err, MS_E_NOMEM, "out of memory");
                goto out;
            }
            l->blobs = nb;
        }
        ms_blob *b = &l->blobs[l->blob_count];
        memset(b, 0, sizeof *b);
        memcpy(b->hex, e.name + strlen(BLOB_PREFIX), MS_SHA256_HEX_LEN);
        b->size = e.size;
        b->entry_index = index;
        int is_wanted = wanted_has(&wanted, b->hex);
        uint64_t limit = is_wanted == 2 ? MS_OCI_MAX_PROBES : MS_OCI_MAX_DOCUMENT;
        int keep = e.size <= limit && (!wanted.known || is_wanted);
        if (keep && retained + e.size > MS_OCI_MAX_RETAINED) {
            st = ms_fail(err, MS_E_LIMIT, "%s: small blobs add up to more than %u bytes", path,
                         MS_OCI_MAX_RETAINED);
            goto out;
        }
        int hash = hash_all || keep;
        uint8_t dg[MS_SHA256_LEN];
        void *state = NULL;
        if (!keep && sink != NULL)
            state = sink->open(sink->ctx, l, b->hex, e.size);
        st = read_entry(r, e.size, keep, hash || state != NULL, &b->data, dg, h, sink, state, err);
        if (state != NULL)
            sink->close(state, st == MS_OK);
        if (st != MS_OK)
            goto out;
        if (keep)
            retained += e.size;
        if (keep && is_wanted == 1)
            wanted_learn(&wanted, b->data, e.size, 0);
        l->blob_count++;
        ms_prog_add(0, 1);
        if (hash) {
            b->hashed = 1;
            ms_hex_encode(dg, MS_SHA256_LEN, b->actual_hex);
            b->digest_ok = strcmp(b->actual_hex, b->hex) == 0;
        }
    }
    if (l->blob_count > 1) {
        qsort(l->blobs, l->blob_count, sizeof *l->blobs, cmp_blob);
        size_t w = 1;
        for (size_t i = 1; i < l->blob_count; i++) {
            if (strcmp(l->blobs[i].hex, l->blobs[w - 1].hex) == 0) {
                char name[128];
                snprintf(name, sizeof name, BLOB_PREFIX "%s", l->blobs[i].hex);
                if ((st = add_problem(l, err, "duplicate archive entry '%s'", name)) != MS_OK)
                    goto out;
                /* Keep the first copy but remember any mismatch of the second. */
                if (l->blobs[i].hashed && !l->blobs[i].digest_ok) {
                    l->blobs[w - 1].digest_ok = 0;
                    memcpy(l->blobs[w - 1].actual_hex, l->blobs[i].actual_hex,
                           sizeof l->blobs[i].actual_hex);
                }
                free(l->blobs[i].data);
                continue;
            }
            l->blobs[w++] = l->blobs[i];
        }
        l->blob_count = w;
    }
    /* Nothing unsigned rides along: after the end-of-archive marker only zero
     * padding may follow, or tools that read on (tar --ignore-zeros) see more. */
    uint64_t end;
    int64_t junk_at;
    if ((st = ms_tar_reader_trailing(r, &end, &junk_at, err)) != MS_OK)
        goto out;
    if (junk_at >= 0) {
        char why[200];
        snprintf(why, sizeof why, "data after the end of the archive: a non-zero byte at offset "
                 "%lld (the archive ends at %llu; only zero padding may follow)",
                 (long long)junk_at, (unsigned long long)end);
        if ((st = add_problem(l, err, "%s", why)) != MS_OK)
            goto out;
    }
    if (hash_file) {
        uint8_t file_digest[MS_SHA256_LEN];
        if ((st = ms_tar_reader_file_digest(r, file_digest, &l->file_size, err)) != MS_OK)
            goto out;
        ms_hex_encode(file_digest, sizeof file_digest, l->file_hex);
    }
out:
    free(wanted.hex);
    ms_tar_reader_free(r);
    ms_sha256_free(h);
    if (st != MS_OK) {
        ms_layout_free(l);
        return st;
    }
    *out = l;
    return MS_OK;
}

void ms_layout_free(ms_layout *l)
{
    if (l == NULL)
        return;
    for (size_t i = 0; i < l->blob_count; i++)
        free(l->blobs[i].data);
    for (size_t i = 0; i < l->problem_count; i++)
        free(l->problems[i]);
    free(l->problems);
    free(l->blobs);
    free(l->oci_layout);
    free(l->index);
    free(l);
}

ms_blob *ms_layout_find(const ms_layout *l, const char *hex)
{
    size_t lo = 0, hi = l->blob_count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(l->blobs[mid].hex, hex);
        if (c == 0)
            return &l->blobs[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

ms_status ms_descriptor_parse(const cJSON *obj, const char *what, ms_descriptor *d,
                              ms_error *err)
{
    memset(d, 0, sizeof *d);
    if (!cJSON_IsObject(obj))
        return ms_fail(err, MS_E_FORMAT, "%s: descriptor is not an object", what);
    ms_status st;
    const char *digest;
    if ((st = ms_json_get_string(obj, "mediaType", what, &d->media_type, err)) != MS_OK ||
        (st = ms_json_get_string(obj, "digest", what, &digest, err)) != MS_OK ||
        (st = ms_json_get_u64(obj, "size", what, &d->size, err)) != MS_OK)
        return st;
    if (strncmp(digest, "sha256:", 7) != 0)
        return ms_fail(err, MS_E_UNSUPPORTED,
                       "%s: digest '%.80s' is not sha256 (the only algorithm bundles use)", what,
                       digest);
    if (!ms_is_sha256_hex(digest + 7))
        return ms_fail(err, MS_E_FORMAT, "%s: digest '%.80s' is not 64 lower-case hex digits",
                       what, digest);
    memcpy(d->hex, digest + 7, MS_SHA256_HEX_LEN + 1);
    const cJSON *at = cJSON_GetObjectItemCaseSensitive(obj, "artifactType");
    if (at != NULL) {
        if (!cJSON_IsString(at))
            return ms_fail(err, MS_E_FORMAT, "%s: artifactType is not a string", what);
        d->artifact_type = at->valuestring;
    }
    const cJSON *ann = cJSON_GetObjectItemCaseSensitive(obj, "annotations");
    if (ann != NULL) {
        if (!cJSON_IsObject(ann))
            return ms_fail(err, MS_E_FORMAT, "%s: annotations is not an object", what);
        for (const cJSON *c = ann->child; c != NULL; c = c->next)
            if (!cJSON_IsString(c))
                return ms_fail(err, MS_E_FORMAT, "%s: annotation '%s' is not a string", what,
                               c->string);
        d->annotations = ann;
    }
    return MS_OK;
}

const char *ms_descriptor_annotation(const ms_descriptor *d, const char *key)
{
    if (d->annotations == NULL)
        return NULL;
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(d->annotations, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

cJSON *ms_descriptor_build(const char *media_type, const char *artifact_type, const char *hex,
                           uint64_t size, cJSON *annotations)
{
    cJSON *d = cJSON_CreateObject();
    char digest[80];
    snprintf(digest, sizeof digest, "sha256:%s", hex);
    if (d == NULL || cJSON_AddStringToObject(d, "mediaType", media_type) == NULL ||
        (artifact_type != NULL &&
         cJSON_AddStringToObject(d, "artifactType", artifact_type) == NULL) ||
        cJSON_AddStringToObject(d, "digest", digest) == NULL ||
        ms_json_add_u64(d, "size", size) == NULL) {
        cJSON_Delete(d);
        cJSON_Delete(annotations);
        return NULL;
    }
    if (annotations != NULL)
        cJSON_AddItemToObject(d, "annotations", annotations);
    return d;
}
