/*
 * verify --verify-parents: verify the parent bundles at hand and check that
 * they are the ones the lineage names (docs/cli.md, "verify").
 *
 * Candidates are the files given and the *.mseal files directly inside the
 * directories given.  Each is first read without hashing its blobs, for its
 * model manifest digest; a candidate that the lineage reaches is then fully
 * verified with the same trust set and time.  Every direct base model that
 * records a digest must be found and verify; the parents of a verified
 * parent are followed when they are at hand too.  A file given by name that
 * is no ancestor is a failure (the caller meant it to be one).
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/error_internal.h"
#include "policy/spdx.h"
#include "verify/parents.h"

#define MAX_CANDIDATES 4096
#define MAX_DEPTH 64

typedef struct candidate {
    char *path;
    int explicit_file;       /* named on the command line, not found in a directory */
    int readable;            /* its manifest digest could be read */
    char hex[MS_SHA256_HEX_LEN + 1];
    int used;                /* reached from the lineage */
    int verified;            /* -1 not yet, 0 failed, 1 verified */
    char *license;           /* its metadata license, when verified */
    char **parent_digests;   /* its base models' digests (hex), when verified */
    char **parent_names;
    char **parent_licenses;  /* as recorded, or NULL */
    size_t parent_count;
} candidate;

typedef struct cands {
    candidate *c;
    size_t n;
} cands;

static void cands_free(cands *cs)
{
    for (size_t i = 0; i < cs->n; i++) {
        candidate *c = &cs->c[i];
        free(c->path);
        free(c->license);
        for (size_t k = 0; k < c->parent_count; k++) {
            free(c->parent_digests[k]);
            free(c->parent_names[k]);
            free(c->parent_licenses[k]);
        }
        free(c->parent_digests);
        free(c->parent_names);
        free(c->parent_licenses);
    }
    free(cs->c);
}

static ms_status add_candidate(cands *cs, const char *path, int explicit_file, ms_error *err)
{
    if (cs->n == MAX_CANDIDATES)
        return ms_fail(err, MS_E_LIMIT, "--verify-parents: more than %d bundles",
                       MAX_CANDIDATES);
    candidate *c = realloc(cs->c, (cs->n + 1) * sizeof *c);
    if (c == NULL)
        return ms_fail(err, MS_E_NOMEM, "out of memory");
    cs->c = c;
    c += cs->n;
    memset(c, 0, sizeof *c);
    c->verified = -1;
    c->explicit_file = explicit_file;
    if ((c->path = strdup(path)) == NULL)
        return ms_fail(err, MS_E_NOMEM, "out of memory");
    cs->n++;
    return MS_OK;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The *.mseal regular files directly inside dir, in byte order of their names. */
static ms_status add_directory(cands *cs, const char *dir, ms_error *err)
{
    DIR *d = opendir(dir);
    if (d == NULL)
        return ms_fail(err, MS_E_IO, "--verify-parents: cannot read directory '%s': %s", dir,
                       strerror(errno));
    char **names = NULL;
    size_t n = 0;
    ms_status st = MS_OK;
    struct dirent *e;
    while (st == MS_OK && (e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        if (len < 7 || strcmp(e->d_name + len - 6, ".mseal") != 0)
            continue;
        size_t need = strlen(dir) + 1 + len + 1;
        char *p = malloc(need);
        char **nn = p != NULL ? realloc(names, (n + 1) * sizeof *names) : NULL;
        if (nn == NULL) {
            free(p);
            st = ms_fail(err, MS_E_NOMEM, "out of memory");
            break;
        }
        names = nn;
        snprintf(p, need, "%s/%s", dir, e->d_name);
        struct stat sb;
        if (lstat(p, &sb) != 0 || !S_ISREG(sb.st_mode)) {
            free(p);
            continue;
        }
        names[n++] = p;
        if (n > MAX_CANDIDATES)
            st = ms_fail(err, MS_E_LIMIT, "--verify-parents: more than %d bundles in '%s'",
                         MAX_CANDIDATES, dir);
    }
    closedir(d);
    if (names != NULL)
        qsort(names, n, sizeof *names, by_name);
    for (size_t i = 0; i < n; i++) {
        if (st == MS_OK)
            st = add_candidate(cs, names[i], 0, err);
        free(names[i]);
    }
    free(names);
    return st;
}

/* Read the candidate's manifest digest (documents only, no blob hashing). */
static void probe_candidate(candidate *c)
{
    ms_report *r = ms_report_new(c->path);
    ms_view *v = NULL;
    ms_error e;
    if (r != NULL && ms_view_load(c->path, 0, r, &v, &e) == MS_OK && v->manifest_hex[0]) {
        memcpy(c->hex, v->manifest_hex, sizeof c->hex);
        c->readable = 1;
    }
    ms_view_free(v);
    ms_report_free(r);
}

static char *dup_opt(const char *s)
{
    return s != NULL ? strdup(s) : NULL;
}

/* Keep what the walk needs from a verified parent's metadata. */
static int keep_lineage(candidate *c, const ms_view *v)
{
    c->license = dup_opt(v->license);
    const cJSON *bases = cJSON_GetObjectItemCaseSensitive(v->metadata, "baseModels");
    int n = cJSON_IsArray(bases) ? cJSON_GetArraySize(bases) : 0;
    if (n == 0)
        return 1;
    c->parent_digests = calloc((size_t)n, sizeof *c->parent_digests);
    c->parent_names = calloc((size_t)n, sizeof *c->parent_names);
    c->parent_licenses = calloc((size_t)n, sizeof *c->parent_licenses);
    if (c->parent_digests == NULL || c->parent_names == NULL || c->parent_licenses == NULL)
        return 0;
    const cJSON *b;
    cJSON_ArrayForEach(b, bases)
    {
        const cJSON *dg = cJSON_GetObjectItemCaseSensitive(b, "digest");
        const cJSON *nm = cJSON_GetObjectItemCaseSensitive(b, "name");
        const cJSON *li = cJSON_GetObjectItemCaseSensitive(b, "license");
        size_t k = c->parent_count++;
        c->parent_digests[k] = cJSON_IsString(dg) ? strdup(dg->valuestring + 7) : NULL;
        c->parent_names[k] = strdup(cJSON_IsString(nm) ? nm->valuestring : "?");
        c->parent_licenses[k] = cJSON_IsString(li) ? strdup(li->valuestring) : NULL;
        if (c->parent_names[k] == NULL || (cJSON_IsString(dg) && c->parent_digests[k] == NULL))
            return 0;
    }
    return 1;
}

/* Two license expressions say the same thing (canonical forms equal). */
static int same_license(const char *a, const char *b)
{
    ms_spdx_expr *ea = NULL, *eb = NULL;
    ms_error e;
    int same = strcmp(a, b) == 0;
    if (!same && ms_spdx_parse(a, &ea, &e) == MS_OK && ms_spdx_parse(b, &eb, &e) == MS_OK)
        same = strcmp(ms_spdx_canonical(ea), ms_spdx_canonical(eb)) == 0;
    ms_spdx_free(ea);
    ms_spdx_free(eb);
    return same;
}

typedef struct pending {
    const char *name, *hex, *license, *child; /* child: who names this parent */
    int depth;
} pending;

typedef struct queue {
    pending *p;
    size_t n, cap;
} queue;

static int push(queue *q, pending p)
{
    if (q->n == q->cap) {
        size_t cap = q->cap ? 2 * q->cap : 16;
        pending *np = realloc(q->p, cap * sizeof *np);
        if (np == NULL)
            return 0;
        q->p = np;
        q->cap = cap;
    }
    q->p[q->n++] = p;
    return 1;
}

static candidate *find(cands *cs, const char *hex)
{
    for (size_t i = 0; i < cs->n; i++)
        if (cs->c[i].readable && strcmp(cs->c[i].hex, hex) == 0)
            return &cs->c[i];
    return NULL;
}

static ms_status verify_candidate(candidate *c, const ms_trust *trust, int64_t at,
                                  ms_report *r, const pending *p, ms_error *err)
{
    ms_report *pr = NULL;
    ms_view *pv = NULL;
    ms_error pe;
    ms_status st = ms_verify_view(c->path, trust, at, NULL, &pr, &pv, &pe);
    if (st == MS_OK) {
        c->verified = 1;
        if (!keep_lineage(c, pv)) {
            ms_view_free(pv);
            ms_report_free(pr);
            return ms_fail(err, MS_E_NOMEM, "out of memory");
        }
        ms_report_check(r, "parents", 1, "base model '%.200s' of %.200s: %s verified (%.100s %.100s, "
                        "sha256:%s)", p->name, p->child, c->path, pv->name, pv->version, c->hex);
        if (p->license != NULL && (c->license == NULL || !same_license(p->license, c->license)))
            ms_report_check(r, "parents", 0, "base model '%.200s' of %.200s is recorded under "
                            "license '%.200s' but its bundle %s declares '%.200s'", p->name,
                            p->child, p->license, c->path,
                            c->license != NULL ? c->license : "no license");
    } else {
        c->verified = 0;
        char **details = NULL;
        size_t nd = pr != NULL ? ms_report_failed_details(pr, &details) : 0;
        ms_report_check(r, "parents", 0, "base model '%.200s' of %.200s: %s does not verify: "
                        "%.300s", p->name, p->child, c->path,
                        nd > 0 ? details[0] : pe.message);
        for (size_t i = 0; i < nd; i++)
            free(details[i]);
        free(details);
    }
    ms_view_free(pv);
    ms_report_free(pr);
    return MS_OK;
}

ms_status ms_parents_check(const ms_view *child, const char *const *paths, size_t n,
                           const ms_trust *trust, int64_t at, ms_report *r, ms_error *err)
{
    cands cs = {0};
    ms_status st = MS_OK;
    for (size_t i = 0; st == MS_OK && i < n; i++) {
        struct stat sb;
        if (stat(paths[i], &sb) != 0)
            st = ms_fail(err, MS_E_IO, "--verify-parents: cannot read '%s': %s", paths[i],
                         strerror(errno));
        else if (S_ISDIR(sb.st_mode))
            st = add_directory(&cs, paths[i], err);
        else
            st = add_candidate(&cs, paths[i], 1, err);
    }
    for (size_t i = 0; st == MS_OK && i < cs.n; i++) {
        probe_candidate(&cs.c[i]);
        if (!cs.c[i].readable && cs.c[i].explicit_file)
            ms_report_check(r, "parents", 0, "%s: not a readable modelseal bundle",
                            cs.c[i].path);
    }

    /* Breadth-first over the lineage, from the child's own base models. */
    queue q = {0};
    const cJSON *bases = cJSON_GetObjectItemCaseSensitive(child->metadata, "baseModels");
    const cJSON *b;
    size_t direct = 0;
    cJSON_ArrayForEach(b, (st == MS_OK ? bases : NULL))
    {
        const cJSON *dg = cJSON_GetObjectItemCaseSensitive(b, "digest");
        const cJSON *nm = cJSON_GetObjectItemCaseSensitive(b, "name");
        const cJSON *li = cJSON_GetObjectItemCaseSensitive(b, "license");
        const char *name = cJSON_IsString(nm) ? nm->valuestring : "?";
        if (!cJSON_IsString(dg)) {
            ms_report_check(r, "parents", 1, "base model '%.200s' records no digest: a claim, "
                            "not checkable", name);
            continue;
        }
        if (!push(&q, (pending){name, dg->valuestring + 7,
                                cJSON_IsString(li) ? li->valuestring : NULL, child->name, 1})) {
            st = ms_fail(err, MS_E_NOMEM, "out of memory");
            break;
        }
        direct++;
    }
    if (st == MS_OK && direct == 0 && bases == NULL)
        ms_report_check(r, "parents", 1, "the lineage names no base models");
    for (size_t h = 0; st == MS_OK && h < q.n; h++) {
        pending p = q.p[h];
        if (strcmp(p.hex, child->manifest_hex) == 0) {
            ms_report_check(r, "parents", 0, "base model '%.200s' names the model itself "
                            "(sha256:%s)", p.name, p.hex);
            continue;
        }
        candidate *c = find(&cs, p.hex);
        if (c == NULL) {
            ms_report_check(r, "parents", p.depth > 1, p.depth > 1
                            ? "base model '%.200s' of %.200s (sha256:%s) is not at hand: not checked"
                            : "base model '%.200s' of %.200s (sha256:%s): no bundle with this model "
                              "manifest digest among --verify-parents", p.name, p.child, p.hex);
            continue;
        }
        c->used = 1;
        if (c->verified >= 0)
            continue; /* reached twice (a merge of relatives): checked once */
        if ((st = verify_candidate(c, trust, at, r, &p, err)) != MS_OK || c->verified != 1)
            continue;
        if (p.depth >= MAX_DEPTH) {
            ms_report_check(r, "parents", 0, "lineage deeper than %d generations at %s",
                            MAX_DEPTH, c->path);
            continue;
        }
        for (size_t k = 0; k < c->parent_count && st == MS_OK; k++) {
            if (c->parent_digests[k] == NULL)
                continue;
            if (!push(&q, (pending){c->parent_names[k], c->parent_digests[k],
                                    c->parent_licenses[k], c->path, p.depth + 1}))
                st = ms_fail(err, MS_E_NOMEM, "out of memory");
        }
    }
    for (size_t i = 0; st == MS_OK && i < cs.n; i++) {
        const candidate *c = &cs.c[i];
        if (c->explicit_file && c->readable && !c->used && strcmp(c->hex, child->manifest_hex) != 0)
            ms_report_check(r, "parents", 0, "%s is not a parent of this model: its model "
                            "manifest sha256:%s is not in the lineage", c->path, c->hex);
    }
    free(q.p);
    cands_free(&cs);
    return st;
}
