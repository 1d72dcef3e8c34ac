/*
 * ms_audit_render_spdx() on audits filled by hand: what `modelseal audit`
 * cannot produce because the view refuses it first (text that is not UTF-8,
 * malformed digests, unknown roles and relations, an expression that does
 * not parse, no license picture), plus a megabyte of text and many
 * compression schemes.  Checks in C, then writes the documents into the
 * directory argv[1] for check_spdx.py (render.sh).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "check.h"
#include "policy/propagate.h"
#include "verify/audit.h"

static const char HEX_A[] = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
static const char HEX_B[] = "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210";

static void write_doc(const char *dir, const char *name, const char *text)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    CHECK(f != NULL);
    if (f == NULL)
        return;
    CHECK(fwrite(text, 1, strlen(text), f) == strlen(text));
    CHECK(fclose(f) == 0);
}

/* Render twice (same bytes), check it ends in a newline and parses. */
static char *render(const ms_audit *a)
{
    char *s = ms_audit_render_spdx(a);
    char *t = ms_audit_render_spdx(a);
    CHECK(s != NULL && t != NULL);
    if (s == NULL || t == NULL) {
        free(s);
        free(t);
        return NULL;
    }
    CHECK_STR(s, t);
    free(t);
    size_t n = strlen(s);
    CHECK(n > 0 && s[n - 1] == '\n');
    cJSON *j = cJSON_Parse(s);
    CHECK(j != NULL);
    cJSON_Delete(j);
    return s;
}

static void base_view(ms_view *v, ms_view_file *files, size_t nfiles)
{
    memset(v, 0, sizeof *v);
    memcpy(v->manifest_hex, HEX_A, sizeof HEX_A);
    v->files = files;
    v->file_count = nfiles;
}

static void base_audit(ms_audit *a, const ms_view *v)
{
    memset(a, 0, sizeof *a);
    a->view = v;
    memcpy(a->bundle_hex, HEX_B, sizeof HEX_B);
    a->bundle_size = 12345;
    memcpy(a->doc_time, "2024-02-29T12:00:00Z", 21);
    a->tool_version = "0.1.0";
}

/* Odd lineage: everything the view would have refused. */
static void test_edge(const char *dir)
{
    ms_view_file files[2] = {
        {.filepath = "w\xff.bin", .media_type = "not-a-media-type", .size = 7},
        {.filepath = "config.json", .media_type = "application/x/y", .size = 9},
    };
    memcpy(files[0].hex, HEX_A, sizeof HEX_A);
    memcpy(files[1].hex, HEX_B, sizeof HEX_B);
    ms_view v;
    base_view(&v, files, 2);
    v.name = "Not A Valid Name";
    v.version = "1.0.0";
    v.license = "MIT ANDOR GPL";
    v.description = "bad \xc3\x28 utf-8 \xed\xa0\x80 surrogate";
    cJSON *comp = cJSON_CreateObject();
    cJSON *tensors = cJSON_AddArrayToObject(comp, "tensors");
    for (int i = 0; i < 20; i++) {
        cJSON *t = cJSON_CreateObject();
        char sc[16];
        snprintf(sc, sizeof sc, "scheme%d", i);
        cJSON_AddStringToObject(t, "scheme", sc);
        cJSON_AddItemToArray(tensors, t);
    }
    v.compression = comp;

    ms_audit a;
    base_audit(&a, &v);
    a.created = "2023-01-01T00:00:00+01:00"; /* not the Z form SPDX wants: left out */
    const char *authors[] = {"\xff\xfe"};
    a.authors = authors;
    a.author_count = 1;
    ms_audit_base bases[3] = {
        {.name = "no-digest", .relation = "grafted", .license = "Apache-2.0"},
        {.name = "bad-digest", .digest = "sha256:XYZ", .relation = NULL},
        {.name = "upper", .digest = "sha256:0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef",
         .relation = "distilled", .license = "not a license"},
    };
    ms_audit_dataset data[2] = {
        {.name = "odd role", .role = "finetuning-data", .digest = "md5:abc", .license = "mit"},
        {.name = "calib", .role = "calibration", .has_records = 1, .records = 0},
    };
    a.bases = bases;
    a.base_count = 3;
    a.datasets = data;
    a.dataset_count = 2;
    ms_license_parent pp[5] = {
        {MS_PARENT_BASE_MODEL, bases[0].name, bases[0].license, bases[0].relation},
        {MS_PARENT_BASE_MODEL, bases[1].name, bases[1].license, bases[1].relation},
        {MS_PARENT_BASE_MODEL, bases[2].name, bases[2].license, bases[2].relation},
        {MS_PARENT_DATASET, data[0].name, data[0].license, data[0].role},
        {MS_PARENT_DATASET, data[1].name, data[1].license, data[1].role},
    };
    ms_error err;
    CHECK(ms_license_propagate(v.license, pp, 5, &a.licenses, &err) == MS_OK);

    char *s = render(&a);
    if (s != NULL) {
        /* Ill-formed bytes become U+FFFD; the rest is kept. */
        CHECK_CONTAINS(s, "bad \xef\xbf\xbd( utf-8 \xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd surrogate");
        CHECK_CONTAINS(s, "\"w\xef\xbf\xbd.bin\"");
        CHECK(strstr(s, "software_packageUrl") == NULL);
        CHECK(strstr(s, "builtTime") == NULL);
        CHECK(strstr(s, "not-a-media-type") == NULL);
        CHECK(strstr(s, "application/x/y") == NULL);
        CHECK_CONTAINS(s, "The recorded license 'MIT ANDOR GPL' is not a valid SPDX license expression.");
        CHECK_CONTAINS(s, "The recorded license 'not a license' is not a valid SPDX license expression.");
        CHECK_CONTAINS(s, "Recorded as 'mit'; canonical form.");
        CHECK_CONTAINS(s, "The recorded digest 'sha256:XYZ' is not sha256:<64 hex digits> and is not exported.");
        CHECK_CONTAINS(s, "The recorded digest 'md5:abc' is not sha256:<64 hex digits>");
        CHECK_CONTAINS(s, "relation 'grafted', not one modelseal knows");
        CHECK_CONTAINS(s, "relation not recorded");
        CHECK_CONTAINS(s, "recorded role 'finetuning-data' is not one modelseal knows; treated as training");
        CHECK_CONTAINS(s, "role 'calibration', 0 records used in this role");
        CHECK_CONTAINS(s, "calibration data: used to compute the quantization parameters");
        CHECK_CONTAINS(s, "scheme15 x1, and 4 tensors in further schemes");
        CHECK_CONTAINS(s, "No digest is recorded: the lineage entry is a claim that cannot be checked.");
        write_doc(dir, "edge.json", s);
    }
    free(s);
    ms_license_picture_free(a.licenses);
    cJSON_Delete(comp);
}

/* No license picture at all (never from ms_audit_build, but not a crash). */
static void test_no_picture(const char *dir)
{
    ms_view v;
    base_view(&v, NULL, 0);
    v.name = "np";
    v.version = "0.0.0";
    v.license = "MIT";
    ms_audit a;
    base_audit(&a, &v);
    ms_audit_dataset d = {.name = "d", .role = "evaluation"};
    a.datasets = &d;
    a.dataset_count = 1;
    char *s = render(&a);
    if (s != NULL) {
        CHECK_CONTAINS(s, "urn:modelseal:bundle:sha256:fedcba9876543210");
        CHECK_CONTAINS(s, "concluded license: NOASSERTION");
        write_doc(dir, "nopicture.json", s);
    }
    free(s);
}

/* A megabyte of text goes out whole. */
static void test_long(const char *dir)
{
    size_t n = 1u << 20;
    char *big = malloc(n + 1);
    CHECK(big != NULL);
    if (big == NULL)
        return;
    for (size_t i = 0; i < n; i++)
        big[i] = (char)('a' + i % 26);
    memcpy(big + n - 4, "END!", 4);
    big[n] = '\0';
    ms_view v;
    base_view(&v, NULL, 0);
    v.name = "long";
    v.version = "1.0.0";
    v.description = big;
    ms_audit a;
    base_audit(&a, &v);
    a.limitations = big;
    ms_error err;
    CHECK(ms_license_propagate(NULL, NULL, 0, &a.licenses, &err) == MS_OK);
    char *s = render(&a);
    if (s != NULL) {
        cJSON *j = cJSON_Parse(s);
        const cJSON *g = cJSON_GetObjectItemCaseSensitive(j, "@graph");
        const cJSON *e;
        int found = 0;
        cJSON_ArrayForEach(e, g)
        {
            const cJSON *d = cJSON_GetObjectItemCaseSensitive(e, "description");
            const cJSON *l = cJSON_GetObjectItemCaseSensitive(e, "ai_limitation");
            if (cJSON_IsString(d) && cJSON_IsString(l)) {
                found = 1;
                CHECK(strcmp(d->valuestring, big) == 0);
                CHECK(strcmp(l->valuestring, big) == 0);
            }
        }
        CHECK(found);
        cJSON_Delete(j);
        write_doc(dir, "long.json", s);
    }
    free(s);
    ms_license_picture_free(a.licenses);
    free(big);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: test_render OUTDIR\n");
        return 2;
    }
    test_edge(argv[1]);
    test_no_picture(argv[1]);
    test_long(argv[1]);
    CHECK(ms_audit_render_spdx(NULL) == NULL);
    if (check_failures > 0) {
        fprintf(stderr, "%d of %d checks failed\n", check_failures, check_count);
        return 1;
    }
    printf("test_render: %d checks passed\n", check_count);
    return 0;
}
