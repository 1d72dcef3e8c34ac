/*
 * Binding the compression report, the probes layer and the weights files
 * together after the archive was read (bundle-format.md 8.11): every file the
 * report names is a weights layer whose compression record agrees with the
 * report and with its own header, every weights layer is in the report, and
 * every probe is bound to one file and tensor and was re-checked there.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compress/compress.h"
#include "compress/probes.h"
#include "verify/probecheck_internal.h"

/* Lookups by filepath and by blob: a hostile bundle may hold many files and probes. */
static int cmp_path(const void *a, const void *b)
{
    return strcmp((*(const ms_view_file *const *)a)->filepath,
                  (*(const ms_view_file *const *)b)->filepath);
}

static const ms_view_file *file_by_path(const ms_probe_checker *pc, const char *path)
{
    ms_view_file key = {.filepath = path};
    const ms_view_file *kp = &key;
    const ms_view_file **hit =
        pc->by_path != NULL ? bsearch(&kp, pc->by_path, pc->nby_path, sizeof *pc->by_path, cmp_path)
                            : NULL;
    return hit != NULL ? *hit : NULL;
}

static int cmp_wfile(const void *a, const void *b)
{
    return strcmp(((const wfile *)a)->hex, ((const wfile *)b)->hex);
}

static const wfile *wfile_of(const ms_probe_checker *pc, const char *hex)
{
    wfile key;
    snprintf(key.hex, sizeof key.hex, "%s", hex);
    return pc->files != NULL ? bsearch(&key, pc->files, pc->nfiles, sizeof *pc->files, cmp_wfile)
                             : NULL;
}

static int is_changed(const cJSON *e)
{
    const char *scheme = ms_probe_str(e, "scheme"), *prune = ms_probe_str(e, "prune");
    return (scheme != NULL && strcmp(scheme, "none") != 0) ||
           (prune != NULL && strcmp(prune, "none") != 0);
}

/* What the writer probes (compression.md section 8): a changed 2-D float tensor. */
static int wants_probe(const cJSON *e)
{
    const char *d = ms_probe_str(e, "dtype");
    return is_changed(e) && cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(e, "shape")) == 2 &&
           d != NULL &&
           (strcmp(d, "F32") == 0 || strcmp(d, "F16") == 0 || strcmp(d, "BF16") == 0 ||
            strcmp(d, "F64") == 0);
}

/* The record's entry agrees with the report's on scheme, dtype, shape and pruning. */
static int same_entry(const cJSON *rec, const cJSON *rep)
{
    static const char *const keys[] = {"scheme", "dtype", "prune"};
    for (size_t i = 0; i < 3; i++) {
        const char *a = ms_probe_str(rec, keys[i]), *b = ms_probe_str(rep, keys[i]);
        if (a == NULL || b == NULL || strcmp(a, b) != 0)
            return 0;
    }
    return cJSON_Compare(cJSON_GetObjectItemCaseSensitive(rec, "shape"),
                         cJSON_GetObjectItemCaseSensitive(rep, "shape"), 1);
}

/* A report tensor, indexed: models hold up to many thousands of tensors. */
typedef struct rent {
    const char *file, *name;
    const cJSON *e;
} rent;

static int cmp_file_name(const void *a, const void *b)
{
    const rent *x = a, *y = b;
    int c = strcmp(x->file, y->file);
    return c != 0 ? c : strcmp(x->name, y->name);
}

static int cmp_name_file(const void *a, const void *b)
{
    const rent *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    return c != 0 ? c : strcmp(x->file, y->file);
}

/* The first entry of sorted ents whose key (file or name) is key, or n. */
static size_t lower(const rent *ents, size_t n, const char *key, int by_name)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(by_name ? ents[mid].name : ents[mid].file, key) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* The report's tensors with a file and a name, sorted by (file, name); NULL on no memory. */
static rent *index_report(const cJSON *ts, size_t *n, ms_report *r, int *ok)
{
    rent *ents = calloc((size_t)cJSON_GetArraySize(ts) + 1, sizeof *ents);
    *n = 0;
    if (ents == NULL)
        return NULL;
    const cJSON *e;
    cJSON_ArrayForEach(e, ts)
    {
        const char *fp = ms_probe_str(e, "file"), *name = ms_probe_str(e, "name");
        if (fp == NULL || name == NULL) {
            *ok = ms_report_check(r, "compression", 0,
                                  "compression report: a tensor without "
                                  "file or name");
            continue;
        }
        ents[(*n)++] = (rent){fp, name, e};
    }
    qsort(ents, *n, sizeof *ents, cmp_file_name);
    for (size_t i = 1; i < *n; i++)
        if (cmp_file_name(&ents[i - 1], &ents[i]) == 0)
            *ok = ms_report_check(r, "compression", 0,
                                  "compression report: tensor '%.200s' of "
                                  "'%.200s' is listed twice",
                                  ents[i].name, ents[i].file);
    return ents;
}

/* One report file's tensors against its weights layer (rules 1, 3 and 4 of section 8.11). */
static int check_file(const ms_probe_checker *pc, const rent *ents, size_t n, ms_report *r)
{
    const char *fp = ents[0].file;
    const ms_view_file *vf = file_by_path(pc, fp);
    if (vf == NULL)
        return ms_report_check(r, "compression", 0,
                               "the compression report names '%.200s', "
                               "which is not a file of the bundle",
                               fp);
    if (strcmp(vf->media_type, MS_MT_MODEL_WEIGHT) != 0)
        return ms_report_check(r, "compression", 0,
                               "'%.200s' was compressed (compression "
                               "report) but its layer has media type %.100s, not %s",
                               fp, vf->media_type, MS_MT_MODEL_WEIGHT);
    const wfile *wf = wfile_of(pc, vf->hex);
    if (wf == NULL || !wf->header_ok)
        return ms_report_check(r, "compression", 0, "weights file '%.200s': %s", fp,
                               wf == NULL ? "its blob is missing or was not read"
                                          : "its safetensors header could not be read");
    if (wf->record == NULL)
        return ms_report_check(r, "compression", 0,
                               "weights file '%.200s' has no %s record, "
                               "but the compression report says it was compressed",
                               fp, MS_META_COMPRESSION);
    int ok = 1;
    for (size_t i = 0; i < wf->nproblems; i++)
        ok = ms_report_check(r, "compression", 0, "weights file '%.200s': %s", fp, wf->problems[i]);
    if (!ok)
        return 0;
    size_t changed = 0;
    for (size_t i = 0; i < n; i++) {
        const char *name = ents[i].name;
        const cJSON *re = ms_probe_record(wf, name);
        if (!is_changed(ents[i].e)) {
            if (re != NULL)
                ok = ms_report_check(r, "compression", 0,
                                     "weights file '%.200s': tensor "
                                     "'%.200s' is in its compression record, but the "
                                     "compression report says it is stored unchanged",
                                     fp, name);
            continue;
        }
        changed++;
        if (re == NULL)
            ok = ms_report_check(r, "compression", 0,
                                 "weights file '%.200s': the compression "
                                 "report says tensor '%.200s' was compressed, but its "
                                 "compression record does not list it",
                                 fp, name);
        else if (!same_entry(re, ents[i].e))
            ok = ms_report_check(r, "compression", 0,
                                 "weights file '%.200s': tensor '%.200s': "
                                 "its compression record and the compression report differ "
                                 "(scheme, dtype, shape or pruning)",
                                 fp, name);
    }
    if (wf->nrec > changed)
        ok = ms_report_check(r, "compression", 0,
                             "weights file '%.200s': its compression record "
                             "lists %zu tensors, the compression report %zu",
                             fp, wf->nrec, changed);
    return ok;
}

/*
 * The compression report against the bundle (rules 1 to 4 of section 8.11):
 * every file it names is a weights layer whose record lists exactly the
 * tensors the report says were changed, as the report says, and stores each
 * as its record implies; every weights layer is in the report.  Returns 1
 * when all of it holds.
 */
static int check_files(const ms_probe_checker *pc, const ms_view *v, ms_report *r)
{
    const cJSON *ts = cJSON_GetObjectItemCaseSensitive(v->compression, "tensors");
    if (!cJSON_IsArray(ts))
        return ms_report_check(r, "compression", 0, "compression report has no tensors array");
    int ok = 1;
    size_t n;
    rent *ents = index_report(ts, &n, r, &ok);
    if (ents == NULL)
        return ms_report_check(r, "compression", 0, "out of memory");
    for (size_t i = 0, j; i < n; i = j) {
        for (j = i + 1; j < n && strcmp(ents[j].file, ents[i].file) == 0; j++)
            ;
        ok &= check_file(pc, ents + i, j - i, r);
    }
    for (size_t i = 0; i < v->file_count; i++) {
        const ms_view_file *vf = &v->files[i];
        if (strcmp(vf->media_type, MS_MT_MODEL_WEIGHT) != 0)
            continue;
        size_t at = lower(ents, n, vf->filepath, 0);
        const wfile *wf = wfile_of(pc, vf->hex);
        if ((at == n || strcmp(ents[at].file, vf->filepath) != 0) &&
            !(wf != NULL && wf->header_ok && wf->ntensors == 0))
            ok = ms_report_check(r, "compression", 0,
                                 "weights file '%.200s' is not in the "
                                 "compression report",
                                 vf->filepath);
    }
    free(ents);
    return ok;
}

static unsigned long format_minor(const char *fv)
{
    const char *dot = fv != NULL ? strchr(fv, '.') : NULL;
    return dot != NULL ? strtoul(dot + 1, NULL, 10) : 0;
}

static int cmp_result(const void *a, const void *b)
{
    const result *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    return c != 0 ? c : strcmp(x->blob, y->blob);
}

/* The re-check of one bound probe. Returns 1 when it passed. */
static int check_bound(const ms_probe_checker *pc, const ms_layout *l, const char *name,
                       const char *fp, double *worst, ms_report *r)
{
    const ms_view_file *vf = file_by_path(pc, fp);
    if (vf == NULL || strcmp(vf->media_type, MS_MT_MODEL_WEIGHT) != 0)
        return ms_report_check(r, "probes", 0,
                               "tensor '%.200s' of '%.200s': not re-checked: "
                               "'%.200s' is not a weights layer of the bundle",
                               name, fp, fp);
    result key = {.name = (char *)name};
    snprintf(key.blob, sizeof key.blob, "%s", vf->hex);
    const result *x =
        pc->nresults > 0 ? bsearch(&key, pc->results, pc->nresults, sizeof *pc->results, cmp_result)
                         : NULL;
    const wfile *wf = wfile_of(pc, vf->hex);
    if (x == NULL)
        return ms_report_check(
            r, "probes", 0, "tensor '%.200s' of '%.200s': not re-checked: %s", name, fp,
            wf == NULL           ? "its blob is missing or was not read"
            : !wf->header_ok     ? "its safetensors header could not be read"
            : wf->record == NULL ? "the file has no compression record"
            : wf->nproblems > 0  ? "the file's compression record does not match its tensors"
                                 : "the file holds no such compressed tensor");
    /* Bytes were used before their digest was known: a result counts only if it held. */
    const ms_blob *b = ms_layout_find(l, x->blob);
    if (b == NULL || !b->digest_ok)
        return ms_report_check(r, "probes", 0,
                               "tensor '%s': not re-checked: its weights blob "
                               "fails its digest",
                               x->name);
    if (x->problem != NULL)
        return ms_report_check(r, "probes", 0, "tensor '%s': %s", x->name, x->problem);
    if (!x->ok)
        return ms_report_check(r, "probes", 0,
                               "tensor '%s': recomputed outputs differ from the "
                               "recorded ones (relative error %.3g > %g): the weights are not "
                               "the ones the probes were recorded for",
                               x->name, x->rel, MS_PROBE_TOLERANCE);
    if (x->rel > *worst)
        *worst = x->rel;
    return 1;
}

/*
 * Every probe is bound to one file and tensor (the probes layer's
 * modelseal.probes.files, or in format 1.0 the report's probed tensors),
 * re-checked on that file's blob, and every changed 2-D float tensor of the
 * report is probed (rules 5 and 6 of section 8.11).
 */
static int check_probes(ms_probe_checker *pc, const ms_view *v, const ms_layout *l, ms_report *r)
{
    const cJSON *ts = cJSON_GetObjectItemCaseSensitive(v->compression, "tensors");
    int ok = 1, legacy = pc->bindings == NULL;
    if (legacy && format_minor(v->format_version) >= 1)
        ok = ms_report_check(r, "probes", 0,
                             "probes layer: no %s (format 1.1 binds every "
                             "probe to its file)",
                             MS_PROBES_META_FILES);
    /* The report's probed tensors by name, and the results by name and blob. */
    size_t n = 0;
    rent *probed = calloc((size_t)cJSON_GetArraySize(ts) + 1, sizeof *probed);
    if (probed == NULL)
        return ms_report_check(r, "probes", 0, "out of memory");
    const cJSON *e;
    cJSON_ArrayForEach(e, ts)
    {
        const char *fp = ms_probe_str(e, "file"), *name = ms_probe_str(e, "name");
        if (fp != NULL && name != NULL &&
            cJSON_GetObjectItemCaseSensitive(e, "probeSqnrDb") != NULL)
            probed[n++] = (rent){fp, name, e};
    }
    qsort(probed, n, sizeof *probed, cmp_name_file);
    if (pc->nresults > 0)
        qsort(pc->results, pc->nresults, sizeof *pc->results, cmp_result);
    size_t good = 0;
    double worst = 0;
    for (size_t i = 0; i < ms_safetensors_count(pc->probes); i++) {
        const char *pn = ms_safetensors_tensor(pc->probes, i)->name;
        size_t len = strlen(pn);
        if (len <= 5 || strcmp(pn + len - 5, "@comp") != 0)
            continue;
        char *name = strndup(pn, len - 5);
        if (name == NULL) {
            ok = ms_report_check(r, "probes", 0, "out of memory");
            break;
        }
        size_t at = lower(probed, n, name, 1), claims = 0;
        while (at + claims < n && strcmp(probed[at + claims].name, name) == 0)
            claims++;
        const char *bound = legacy ? NULL : ms_probe_str(pc->bindings, name);
        if (!legacy && bound == NULL)
            ok = ms_report_check(r, "probes", 0,
                                 "probes recorded for '%.200s' are bound to no "
                                 "file (%s)",
                                 name, MS_PROBES_META_FILES);
        else if (claims != 1)
            ok = ms_report_check(r, "probes", 0, "probes recorded for '%.200s', which %s", name,
                                 claims == 0 ? "the compression report does not list as probed"
                                             : "the compression report lists as probed in more "
                                               "than one file");
        else if (bound != NULL && strcmp(bound, probed[at].file) != 0)
            ok = ms_report_check(r, "probes", 0,
                                 "probes recorded for '%.200s' are bound to "
                                 "'%.200s', but the compression report names '%.200s'",
                                 name, bound, probed[at].file);
        else if (check_bound(pc, l, name, probed[at].file, &worst, r))
            good++;
        else
            ok = 0;
        free(name);
    }
    free(probed);
    cJSON_ArrayForEach(e, ts)
    {
        const char *name = ms_probe_str(e, "name"), *fp = ms_probe_str(e, "file");
        if (name == NULL || fp == NULL)
            continue;
        int claimed = cJSON_GetObjectItemCaseSensitive(e, "probeSqnrDb") != NULL;
        if ((claimed || wants_probe(e)) && ms_probe_output(pc, name) == NULL)
            ok = ms_report_check(r, "probes", 0,
                                 "tensor '%.200s' of '%.200s' was compressed "
                                 "but the probes layer holds no outputs for it",
                                 name, fp);
        else if (!claimed && wants_probe(e))
            ok = ms_report_check(r, "probes", 0,
                                 "tensor '%.200s' of '%.200s' was compressed "
                                 "but the compression report records no probe for it",
                                 name, fp);
    }
    if (ok)
        ms_report_check(r, "probes", 1,
                        "%zu weight%s reproduce%s their recorded probe outputs "
                        "(largest relative error %.2g, tolerance %g)%s",
                        good, good == 1 ? "" : "s", good == 1 ? "s" : "", worst, MS_PROBE_TOLERANCE,
                        legacy ? "; format 1.0 probes, bound to their files by the compression "
                                 "report"
                               : "");
    return ok;
}

int ms_probe_checker_report(ms_probe_checker *pc, const ms_view *v, ms_report *r)
{
    if (!pc->compressed && !v->has_probes_layer && v->compression == NULL)
        return 1;
    /* The archive order is not signed: weights that streamed past before the
     * manifest was known were not checked, and reordering must not switch the
     * checks off. */
    if (!pc->ready) {
        return ms_report_check(r, "probes", 0,
                               "the bundle is compressed but its weights could "
                               "not be checked: index.json, the model manifest and the probes "
                               "layer must come before every model file in the archive");
    }
    if (v->compression == NULL)
        return ms_report_check(r, "probes", 0,
                               "the bundle has a probes layer but no usable "
                               "compression report to bind its probes to files");
    /* Streams are closed: the files may be reordered for lookups. */
    if (pc->nfiles > 0)
        qsort(pc->files, pc->nfiles, sizeof *pc->files, cmp_wfile);
    pc->by_path = calloc(v->file_count + 1, sizeof *pc->by_path);
    if (pc->by_path == NULL)
        return ms_report_check(r, "compression", 0, "out of memory");
    for (size_t i = 0; i < v->file_count; i++)
        pc->by_path[pc->nby_path++] = &v->files[i];
    qsort(pc->by_path, pc->nby_path, sizeof *pc->by_path, cmp_path);
    int ok = check_files(pc, v, r);
    const cJSON *rp = cJSON_GetObjectItemCaseSensitive(v->compression, "probes");
    if (pc->setup_problem != NULL)
        return ms_report_check(r, "probes", 0, "%s", pc->setup_problem);
    if (!v->has_probes_layer && cJSON_IsObject(rp))
        return ms_report_check(r, "probes", 0,
                               "the compression report records probes but the "
                               "bundle has no probes layer");
    if (!v->has_probes_layer) {
        ms_report_check(r, "probes", 1,
                        "no integrity probes recorded (packed with "
                        "--no-probes): compressed weights are covered by digests only");
        return ok;
    }
    if (pc->probes == NULL)
        return ms_report_check(r, "probes", 0,
                               "the bundle records integrity probes but they "
                               "could not be re-checked: index.json, the model manifest and the "
                               "probes layer must come before every model file in the archive");
    check_probes(pc, v, v->layout, r);
    return ok;
}
