/*
 * The cross-file rules of a model directory (include/modelseal/model.h):
 * each directory's weight files against its index files, or unique tensor
 * names when it has none.
 */
#include <stdlib.h>
#include <string.h>

#include "core/error_internal.h"
#include "core/fsutil.h"
#include "core/json.h"
#include "core/model_internal.h"

#define WEIGHTS_SUFFIX ".safetensors"
#define INDEX_SUFFIX ".safetensors.index.json"
/* Index files are a few megabytes at most; this bounds what is read. */
#define INDEX_MAX_BYTES MS_SAFETENSORS_MAX_HEADER

typedef struct shard_model {
    ms_model_file *files;
    size_t nfiles;
    int sharded;
} shard_model;

static int ends_with(const char *s, const char *suffix)
{
    size_t ls = strlen(s), lx = strlen(suffix);
    return ls >= lx && strcmp(s + ls - lx, suffix) == 0;
}

static const char *base_name(const char *relpath)
{
    const char *slash = strrchr(relpath, '/');
    return slash != NULL ? slash + 1 : relpath;
}

/* Length of the directory part of relpath ("" for a top-level file). */
static size_t dir_len(const char *relpath)
{
    const char *slash = strrchr(relpath, '/');
    return slash != NULL ? (size_t)(slash - relpath) : 0;
}

static int is_index(const ms_model_file *f)
{
    return f->kind == MS_FILE_CONFIG && ends_with(base_name(f->relpath), INDEX_SUFFIX);
}


/* A set of files of one directory, by index into m->files. */
typedef struct group {
    size_t *weights; /* sorted by base name (= by relpath within one directory) */
    size_t nweights;
    size_t *indexes;
    size_t nindexes;
} group;

typedef struct tensor_ref {
    const char *name;
    size_t file; /* index into m->files */
} tensor_ref;

static int cmp_ref(const void *a, const void *b)
{
    return strcmp(((const tensor_ref *)a)->name, ((const tensor_ref *)b)->name);
}

static const tensor_ref *find_ref(const tensor_ref *refs, size_t n, const char *name)
{
    tensor_ref key = {name, 0};
    return bsearch(&key, refs, n, sizeof *refs, cmp_ref);
}

/* Position in g->weights of the weight file whose base name is name, or (size_t)-1. */
static size_t find_shard(const shard_model *m, const group *g, const char *name)
{
    size_t lo = 0, hi = g->nweights;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(name, base_name(m->files[g->weights[mid]].relpath));
        if (c == 0)
            return mid;
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return (size_t)-1;
}

/* Without an index, a tensor name may appear in only one weight file of the directory. */
static ms_status check_unique(const shard_model *m, const group *g, ms_error *err)
{
    size_t total = 0;
    for (size_t i = 0; i < g->nweights; i++)
        total += ms_safetensors_count(m->files[g->weights[i]].st);
    if (g->nweights < 2 || total < 2)
        return MS_OK;
    tensor_ref *refs = malloc(total * sizeof *refs);
    if (refs == NULL)
        return ms_fail(err, MS_E_NOMEM, "%s: out of memory", m->files[g->weights[0]].path);
    size_t k = 0;
    for (size_t i = 0; i < g->nweights; i++) {
        const ms_safetensors *st = m->files[g->weights[i]].st;
        for (size_t j = 0; j < ms_safetensors_count(st); j++)
            refs[k++] = (tensor_ref){ms_safetensors_tensor(st, j)->name, g->weights[i]};
    }
    qsort(refs, total, sizeof *refs, cmp_ref);
    ms_status s = MS_OK;
    for (size_t i = 1; i < total && s == MS_OK; i++)
        if (strcmp(refs[i - 1].name, refs[i].name) == 0) {
            size_t a = refs[i - 1].file < refs[i].file ? refs[i - 1].file : refs[i].file;
            size_t b = refs[i - 1].file < refs[i].file ? refs[i].file : refs[i - 1].file;
            s = ms_fail(err, MS_E_FORMAT,
                        "tensor '%s' appears in both %s and %s (a model without an index "
                        "must not repeat tensor names)",
                        refs[i].name, m->files[a].path, m->files[b].path);
        }
    free(refs);
    return s;
}

/*
 * One index against the weight files of its directory: weight_map must name
 * exactly the tensors of the shards it references, each in the shard that
 * holds it, and metadata.total_size, if present, their total byte size.
 * Marks the shards it references in referenced[] (indexed like m->files).
 */
static ms_status check_index(const shard_model *m, const group *g, size_t idx, char *referenced,
                             ms_error *err)
{
    const char *ipath = m->files[idx].path;
    char *text = NULL;
    size_t len = 0;
    ms_status s = ms_read_file(ipath, INDEX_MAX_BYTES, &text, &len, err);
    if (s != MS_OK)
        return s;
    cJSON *root = NULL;
    s = ms_json_parse(text, len, ipath, &root, err);
    free(text);
    if (s != MS_OK)
        return s;
    tensor_ref *refs = NULL;
    size_t nrefs = 0;
    char *mine = calloc(g->nweights ? g->nweights : 1, 1); /* shards this index names */
    if (mine == NULL) {
        s = ms_fail(err, MS_E_NOMEM, "%s: out of memory", ipath);
        goto out;
    }
    if (!cJSON_IsObject(root)) {
        s = ms_fail(err, MS_E_FORMAT, "%s: not a JSON object", ipath);
        goto out;
    }
    const cJSON *wm = NULL;
    s = ms_json_get_object(root, "weight_map", ipath, &wm, err);
    if (s != MS_OK)
        goto out;
    for (const cJSON *c = wm->child; c != NULL; c = c->next)
        nrefs++;
    if (nrefs > 0 && (refs = malloc(nrefs * sizeof *refs)) == NULL) {
        s = ms_fail(err, MS_E_NOMEM, "%s: out of memory", ipath);
        goto out;
    }

    /* weight_map -> shards: every named shard exists and holds the tensor. */
    size_t k = 0;
    for (const cJSON *c = wm->child; c != NULL; c = c->next, k++) {
        if (!cJSON_IsString(c) || c->valuestring == NULL) {
            s = ms_fail(err, MS_E_FORMAT, "%s: weight_map entry for tensor '%s' is not a string",
                        ipath, c->string);
            goto out;
        }
        const char *shard = c->valuestring;
        /* Shards live beside the index; a path here could reach outside the model. */
        if (shard[0] == '\0' || shard[0] == '.' || strchr(shard, '/') != NULL ||
            !ends_with(shard, WEIGHTS_SUFFIX)) {
            s = ms_fail(err, MS_E_FORMAT,
                        "%s: weight_map puts tensor '%s' in '%s', which is not a .safetensors "
                        "file name in the index's directory",
                        ipath, c->string, shard);
            goto out;
        }
        size_t pos = find_shard(m, g, shard);
        if (pos == (size_t)-1) {
            s = ms_fail(err, MS_E_FORMAT,
                        "%s: weight_map puts tensor '%s' in shard '%s', which is missing from "
                        "the model",
                        ipath, c->string, shard);
            goto out;
        }
        size_t f = g->weights[pos];
        if (ms_safetensors_find(m->files[f].st, c->string) == NULL) {
            const char *holder = NULL;
            for (size_t i = 0; i < g->nweights && holder == NULL; i++)
                if (ms_safetensors_find(m->files[g->weights[i]].st, c->string) != NULL)
                    holder = base_name(m->files[g->weights[i]].relpath);
            if (holder != NULL)
                s = ms_fail(err, MS_E_FORMAT,
                            "%s: weight_map puts tensor '%s' in shard '%s', but it is in '%s'",
                            ipath, c->string, shard, holder);
            else
                s = ms_fail(err, MS_E_FORMAT,
                            "%s: weight_map puts tensor '%s' in shard '%s', which does not "
                            "hold it",
                            ipath, c->string, shard);
            goto out;
        }
        refs[k] = (tensor_ref){c->string, f};
        mine[pos] = 1;
        referenced[f] = 1;
    }
    if (nrefs > 1)
        qsort(refs, nrefs, sizeof *refs, cmp_ref);

    /* Shards -> weight_map: every tensor of a referenced shard is mapped to that shard. */
    uint64_t total = 0;
    for (size_t i = 0; i < g->nweights; i++) {
        if (!mine[i])
            continue;
        size_t f = g->weights[i];
        const ms_safetensors *st = m->files[f].st;
        for (size_t j = 0; j < ms_safetensors_count(st); j++) {
            const ms_tensor_info *t = ms_safetensors_tensor(st, j);
            const tensor_ref *r = find_ref(refs, nrefs, t->name);
            if (r == NULL) {
                s = ms_fail(err, MS_E_FORMAT,
                            "%s: tensor '%s' of shard '%s' is missing from weight_map", ipath,
                            t->name, base_name(m->files[f].relpath));
                goto out;
            }
            if (r->file != f) {
                s = ms_fail(err, MS_E_FORMAT,
                            "%s: tensor '%s' appears in two shards, '%s' and '%s'", ipath, t->name,
                            base_name(m->files[r->file].relpath), base_name(m->files[f].relpath));
                goto out;
            }
            if (__builtin_add_overflow(total, t->end - t->begin, &total)) {
                s = ms_fail(err, MS_E_LIMIT, "%s: total tensor size overflows 64 bits", ipath);
                goto out;
            }
        }
    }

    const cJSON *meta = cJSON_GetObjectItemCaseSensitive(root, "metadata");
    if (meta != NULL && !cJSON_IsNull(meta)) {
        if (!cJSON_IsObject(meta)) {
            s = ms_fail(err, MS_E_FORMAT, "%s: field 'metadata' is not an object", ipath);
            goto out;
        }
        if (cJSON_GetObjectItemCaseSensitive(meta, "total_size") != NULL) {
            uint64_t declared;
            if (ms_json_number_u64(cJSON_GetObjectItemCaseSensitive(meta, "total_size"),
                                   &declared) != 0) {
                s = ms_fail(err, MS_E_FORMAT,
                            "%s: metadata.total_size is not a non-negative integer below 2^53",
                            ipath);
                goto out;
            }
            if (declared != total) {
                s = ms_fail(err, MS_E_FORMAT,
                            "%s: metadata.total_size %llu does not match the sum of tensor "
                            "sizes %llu",
                            ipath, (unsigned long long)declared, (unsigned long long)total);
                goto out;
            }
        }
    }
out:
    free(mine);
    free(refs);
    cJSON_Delete(root);
    return s;
}

static ms_status check_group(const shard_model *m, const group *g, char *referenced, int *sharded,
                             ms_error *err)
{
    if (g->nindexes == 0)
        return check_unique(m, g, err);
    *sharded = 1;
    for (size_t i = 0; i < g->nindexes; i++) {
        ms_status s = check_index(m, g, g->indexes[i], referenced, err);
        if (s != MS_OK)
            return s;
    }
    for (size_t i = 0; i < g->nweights; i++)
        if (!referenced[g->weights[i]])
            return ms_fail(err, MS_E_FORMAT, "%s: shard not referenced by the weight_map of %s",
                           m->files[g->weights[i]].path, m->files[g->indexes[0]].path);
    return MS_OK;
}

static int same_dir(const char *a, const char *b)
{
    size_t la = dir_len(a), lb = dir_len(b);
    return la == lb && memcmp(a, b, la) == 0;
}

/* Group weight and index files by directory and check each group. */
static ms_status check_shards(shard_model *m, ms_error *err)
{
    size_t *weights = malloc(m->nfiles * sizeof *weights);
    size_t *indexes = malloc(m->nfiles * sizeof *indexes);
    char *referenced = calloc(m->nfiles, 1);
    char *done = calloc(m->nfiles, 1);
    ms_status s = MS_OK;
    if (weights == NULL || indexes == NULL || referenced == NULL || done == NULL) {
        s = ms_fail(err, MS_E_NOMEM, "model: out of memory");
        goto out;
    }
    /* Files are sorted by relpath, so each group comes out sorted by base name. */
    for (size_t i = 0; i < m->nfiles && s == MS_OK; i++) {
        if (done[i] || (m->files[i].kind != MS_FILE_WEIGHTS && !is_index(&m->files[i])))
            continue;
        group g = {weights, 0, indexes, 0};
        for (size_t j = i; j < m->nfiles; j++) {
            if (done[j] || !same_dir(m->files[i].relpath, m->files[j].relpath))
                continue;
            if (m->files[j].kind == MS_FILE_WEIGHTS)
                g.weights[g.nweights++] = j;
            else if (is_index(&m->files[j]))
                g.indexes[g.nindexes++] = j;
            else
                continue;
            done[j] = 1;
        }
        s = check_group(m, &g, referenced, &m->sharded, err);
    }
out:
    free(weights);
    free(indexes);
    free(referenced);
    free(done);
    return s;
}

ms_status ms_model_check_shards(ms_model_file *files, size_t nfiles, int *sharded, ms_error *err)
{
    shard_model m = {files, nfiles, 0};
    ms_status s = check_shards(&m, err);
    *sharded = m.sharded;
    return s;
}
