/*
 * Unit tests for core/oci.c: descriptor parsing and building, and the
 * bundle layout reader on archives made with the tar writer (and, for link
 * entries, ustar headers written by hand).
 */
#include <fcntl.h>
#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "core/digest.h"
#include "core/json.h"
#include "core/oci.h"
#include "core/tar.h"

static char tmpdir[4096];

static void make_tmpdir(void)
{
    const char *base = getenv("TMPDIR");
    snprintf(tmpdir, sizeof tmpdir, "%s/ms-test-oci-XXXXXX",
             base != NULL && base[0] != '\0' ? base : "/tmp");
    if (mkdtemp(tmpdir) == NULL) {
        perror("mkdtemp");
        exit(1);
    }
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static void remove_tmpdir(void)
{
    nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static const char *tpath(const char *name)
{
    static char bufs[64][4200];
    static int k;
    char *p = bufs[k++ % 64];
    snprintf(p, 4200, "%s/%s", tmpdir, name);
    return p;
}

static void write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (f == NULL || (len > 0 && fwrite(data, 1, len, f) != len) || fclose(f) != 0) {
        perror(path);
        exit(1);
    }
}

static const char *hex_of(const void *data, size_t len)
{
    static char bufs[8][MS_SHA256_HEX_LEN + 1];
    static int k;
    char *out = bufs[k++ % 8];
    uint8_t d[MS_SHA256_LEN];
    ms_sha256_buf(data, len, d);
    ms_hex_encode(d, MS_SHA256_LEN, out);
    return out;
}

static const char *blob_name(const char *hex)
{
    static char bufs[8][128];
    static int k;
    char *out = bufs[k++ % 8];
    snprintf(out, 128, "blobs/sha256/%s", hex);
    return out;
}

/* ---- descriptors ---- */

#define HEX_A "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"

static ms_status parse_desc(const char *text, cJSON **root, ms_descriptor *d, ms_error *err)
{
    *root = NULL;
    ms_error_clear(err);
    ms_status st = ms_json_parse(text, strlen(text), "test", root, err);
    if (st != MS_OK) {
        fprintf(stderr, "test JSON does not parse: %s\n", err->message);
        return MS_E_INTERNAL;
    }
    return ms_descriptor_parse(*root, "layers[0]", d, err);
}

#define CHECK_DESC_FAILS(text, want_st, fragment)                                                  \
    do {                                                                                           \
        cJSON *r_;                                                                                 \
        ms_descriptor d_;                                                                          \
        ms_error e_;                                                                               \
        CHECK_INT(parse_desc((text), &r_, &d_, &e_), (want_st));                                   \
        CHECK_INT(e_.status, (want_st));                                                           \
        CHECK_CONTAINS(e_.message, "layers[0]: ");                                                 \
        CHECK_CONTAINS(e_.message, (fragment));                                                    \
        cJSON_Delete(r_);                                                                          \
    } while (0)

static void test_descriptor_parse(void)
{
    cJSON *root;
    ms_descriptor d;
    ms_error err;
    CHECK_INT(
        parse_desc("{\"mediaType\":\"" MS_MT_MODEL_WEIGHT "\",\"digest\":\"sha256:" HEX_A
                   "\",\"size\":2,\"artifactType\":\"x/y\",\"annotations\":{\"" MS_ANN_FILEPATH
                   "\":\"model.safetensors\",\"k\":\"\"}}",
                   &root, &d, &err),
        MS_OK);
    CHECK_STR(d.media_type, MS_MT_MODEL_WEIGHT);
    CHECK_STR(d.artifact_type, "x/y");
    CHECK_STR(d.hex, HEX_A);
    CHECK_INT(d.size, 2);
    CHECK(d.annotations != NULL);
    CHECK_STR(ms_descriptor_annotation(&d, MS_ANN_FILEPATH), "model.safetensors");
    CHECK_STR(ms_descriptor_annotation(&d, "k"), "");
    CHECK(ms_descriptor_annotation(&d, "absent") == NULL);
    cJSON_Delete(root);

    /* Minimal: no artifactType, no annotations. */
    CHECK_INT(parse_desc("{\"mediaType\":\"m\",\"digest\":\"sha256:" HEX_A "\",\"size\":0}", &root,
                         &d, &err),
              MS_OK);
    CHECK(d.artifact_type == NULL);
    CHECK(d.annotations == NULL);
    CHECK(ms_descriptor_annotation(&d, MS_ANN_FILEPATH) == NULL);
    CHECK_INT(d.size, 0);
    cJSON_Delete(root);

    /* Other algorithms are unsupported, not malformed. */
    CHECK_DESC_FAILS("{\"mediaType\":\"m\",\"digest\":\"sha512:" HEX_A HEX_A "\",\"size\":1}",
                     MS_E_UNSUPPORTED, "is not sha256");
    CHECK_DESC_FAILS("{\"mediaType\":\"m\",\"digest\":\"md5:d41d8cd98f00b204e9800998ecf8427e\","
                     "\"size\":1}",
                     MS_E_UNSUPPORTED, "digest 'md5:d41d8cd98f00b204e9800998ecf8427e'");
    CHECK_DESC_FAILS("{\"mediaType\":\"m\",\"digest\":\"SHA256:" HEX_A "\",\"size\":1}",
                     MS_E_UNSUPPORTED, "is not sha256");
    CHECK_DESC_FAILS("{\"mediaType\":\"m\",\"digest\":\"" HEX_A "\",\"size\":1}", MS_E_UNSUPPORTED,
                     "is not sha256");
    CHECK_DESC_FAILS("{\"mediaType\":\"m\",\"digest\":\"\",\"size\":1}", MS_E_UNSUPPORTED,
                     "is not sha256");
    /* Malformed sha256 digests. */
    CHECK_DESC_FAILS(
        "{\"mediaType\":\"m\",\"digest\":\"sha256:"
        "44136FA355B3678A1146AD16F7E8649E94FB4FC21FE77E8310C060F61CAAFF8A\",\"size\":1}",
        MS_E_FORMAT, "is not 64 lower-case hex digits");
    CHECK_DESC_FAILS(
        "{\"mediaType\":\"m\",\"digest\":\"sha256:"
        "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8\",\"size\":1}",
        MS_E_FORMAT, "is not 64 lower-case hex digits");
    CHECK_DESC_FAILS("{\"mediaType\":\"m\",\"digest\":\"sha256:" HEX_A "0\",\"size\":1}",
                     MS_E_FORMAT, "is not 64 lower-case hex digits");
    CHECK_DESC_FAILS("{\"mediaType\":\"m\",\"digest\":\"sha256:\",\"size\":1}", MS_E_FORMAT,
                     "is not 64 lower-case hex digits");
    CHECK_DESC_FAILS("{\"mediaType\":\"m\",\"digest\":\"sha256:" HEX_A "\\n\",\"size\":1}",
                     MS_E_FORMAT, "is not 64 lower-case hex digits");
    /* Missing or mistyped fields. */
    CHECK_DESC_FAILS("{\"mediaType\":\"m\",\"digest\":\"sha256:" HEX_A "\"}", MS_E_FORMAT,
                     "missing field 'size'");
    CHECK_DESC_FAILS("{\"mediaType\":\"m\",\"digest\":\"sha256:" HEX_A "\",\"size\":-1}",
                     MS_E_FORMAT, "field 'size' is not a non-negative integer");
    CHECK_DESC_FAILS("{\"mediaType\":\"m\",\"digest\":\"sha256:" HEX_A "\",\"size\":1.5}",
                     MS_E_FORMAT, "field 'size' is not a non-negative integer");
    CHECK_DESC_FAILS("{\"mediaType\":\"m\",\"digest\":\"sha256:" HEX_A "\",\"size\":\"2\"}",
                     MS_E_FORMAT, "field 'size' is not a non-negative integer");
    CHECK_DESC_FAILS("{\"mediaType\":\"m\",\"digest\":\"sha256:" HEX_A
                     "\",\"size\":9007199254740994}",
                     MS_E_FORMAT, "field 'size'");
    CHECK_DESC_FAILS("{\"digest\":\"sha256:" HEX_A "\",\"size\":1}", MS_E_FORMAT,
                     "missing field 'mediaType'");
    CHECK_DESC_FAILS("{\"mediaType\":7,\"digest\":\"sha256:" HEX_A "\",\"size\":1}", MS_E_FORMAT,
                     "field 'mediaType' is not a string");
    CHECK_DESC_FAILS("{\"mediaType\":\"m\",\"size\":1}", MS_E_FORMAT, "missing field 'digest'");
    CHECK_DESC_FAILS("{\"mediaType\":\"m\",\"digest\":[\"sha256:" HEX_A "\"],\"size\":1}",
                     MS_E_FORMAT, "field 'digest' is not a string");
    CHECK_DESC_FAILS("{\"mediaType\":\"m\",\"digest\":\"sha256:" HEX_A
                     "\",\"size\":1,\"artifactType\":1}",
                     MS_E_FORMAT, "artifactType is not a string");
    CHECK_DESC_FAILS("{\"mediaType\":\"m\",\"digest\":\"sha256:" HEX_A
                     "\",\"size\":1,\"annotations\":[\"a\"]}",
                     MS_E_FORMAT, "annotations is not an object");
    CHECK_DESC_FAILS("{\"mediaType\":\"m\",\"digest\":\"sha256:" HEX_A
                     "\",\"size\":1,\"annotations\":{\"ok\":\"v\",\"num\":5}}",
                     MS_E_FORMAT, "annotation 'num' is not a string");
    CHECK_DESC_FAILS("{\"mediaType\":\"m\",\"digest\":\"sha256:" HEX_A
                     "\",\"size\":1,\"annotations\":{\"n\":null}}",
                     MS_E_FORMAT, "annotation 'n' is not a string");
    CHECK_DESC_FAILS("{\"mediaType\":\"m\",\"digest\":\"sha256:" HEX_A
                     "\",\"size\":1,\"annotations\":{\"o\":{\"x\":\"y\"}}}",
                     MS_E_FORMAT, "annotation 'o' is not a string");
    CHECK_DESC_FAILS("[\"mediaType\"]", MS_E_FORMAT, "descriptor is not an object");
    CHECK_DESC_FAILS("\"sha256:" HEX_A "\"", MS_E_FORMAT, "descriptor is not an object");

    ms_error_clear(&err);
    CHECK_INT(ms_descriptor_parse(NULL, "layers[0]", &d, &err), MS_E_FORMAT);
    CHECK_STR(err.message, "layers[0]: descriptor is not an object");
}

static void test_descriptor_build(void)
{
    cJSON *d = ms_descriptor_build(MS_MT_OCI_MANIFEST, NULL, HEX_A, 1234, NULL);
    CHECK(d != NULL);
    size_t len = 0;
    char *s = ms_json_print(d, &len);
    const char *want = "{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
                       "\"digest\":\"sha256:" HEX_A "\",\"size\":1234}";
    CHECK_STR(s, want);
    CHECK_INT(len, strlen(want));

    /* It parses back to the same fields. */
    cJSON *root = NULL;
    ms_descriptor pd;
    ms_error err;
    CHECK_INT(ms_json_parse(s, len, "built", &root, &err), MS_OK);
    CHECK_INT(ms_descriptor_parse(root, "built", &pd, &err), MS_OK);
    CHECK_STR(pd.media_type, MS_MT_OCI_MANIFEST);
    CHECK_STR(pd.hex, HEX_A);
    CHECK_INT(pd.size, 1234);
    CHECK(pd.artifact_type == NULL);
    cJSON_Delete(root);
    free(s);
    cJSON_Delete(d);

    cJSON *ann = cJSON_CreateObject();
    cJSON_AddStringToObject(ann, MS_ANN_FILEPATH, "dir/w.safetensors");
    cJSON_AddStringToObject(ann, "z", "\"q\"");
    d = ms_descriptor_build(MS_MT_SIGNATURE_ARTIFACT, MS_MT_DSSE, HEX_A, UINT64_MAX, ann);
    CHECK(d != NULL);
    s = ms_json_print(d, &len);
    want = "{\"mediaType\":\"application/vnd.modelseal.signature.v1+json\","
           "\"artifactType\":\"application/vnd.dsse.envelope.v1+json\","
           "\"digest\":\"sha256:" HEX_A "\",\"size\":18446744073709551615,"
           "\"annotations\":{\"org.cncf.model.filepath\":\"dir/w.safetensors\","
           "\"z\":\"\\\"q\\\"\"}}";
    CHECK_STR(s, want);
    CHECK_INT(len, strlen(want));
    free(s);
    cJSON_Delete(d);

    d = ms_descriptor_build(MS_MT_OCI_EMPTY, NULL, MS_EMPTY_DIGEST_HEX, 0, NULL);
    s = ms_json_print(d, &len);
    CHECK_STR(s,
              "{\"mediaType\":\"application/"
              "vnd.oci.empty.v1+json\",\"digest\":\"sha256:" MS_EMPTY_DIGEST_HEX "\",\"size\":0}");
    free(s);
    cJSON_Delete(d);
    /* The empty-blob constant really is the digest of "{}". */
    CHECK_STR(hex_of(MS_EMPTY_BLOB, 2), MS_EMPTY_DIGEST_HEX);
}

/* ---- layouts ---- */

/* Hand-made ustar entries, for link and directory types the writer cannot make. */
static unsigned header_sum(const uint8_t *h)
{
    unsigned s = 0;
    for (size_t i = 0; i < 512; i++)
        s += (i >= 148 && i < 156) ? (unsigned)' ' : h[i];
    return s;
}

static void ustar(FILE *f, const char *name, char type, const char *link, const void *data,
                  size_t size)
{
    uint8_t h[512];
    memset(h, 0, sizeof h);
    memcpy(h, name, strlen(name) < 100 ? strlen(name) : 100);
    snprintf((char *)h + 100, 8, "%07o", 0644);
    snprintf((char *)h + 108, 8, "%07o", 0);
    snprintf((char *)h + 116, 8, "%07o", 0);
    snprintf((char *)h + 124, 12, "%011llo", (unsigned long long)size);
    snprintf((char *)h + 136, 12, "%011o", 0);
    h[156] = (uint8_t)type;
    if (link != NULL)
        memcpy(h + 157, link, strlen(link) < 100 ? strlen(link) : 100);
    memcpy(h + 257, "ustar", 6);
    memcpy(h + 263, "00", 2);
    snprintf((char *)h + 148, 8, "%06o", header_sum(h));
    h[155] = ' ';
    fwrite(h, 1, 512, f);
    if (size > 0) {
        static const uint8_t zeros[512];
        fwrite(data, 1, size, f);
        if (size % 512)
            fwrite(zeros, 1, 512 - size % 512, f);
    }
}

static ms_tar_writer *wopen(const char *path)
{
    ms_tar_writer *w = NULL;
    ms_error err;
    if (ms_tar_writer_open(path, 0, &w, &err) != MS_OK) {
        fprintf(stderr, "%s\n", err.message);
        exit(1);
    }
    return w;
}

static void wadd(ms_tar_writer *w, const char *name, const void *data, size_t len)
{
    ms_error err;
    if (ms_tar_writer_add_bytes(w, name, data, len, &err) != MS_OK) {
        fprintf(stderr, "%s\n", err.message);
        exit(1);
    }
}

static void wcommit(ms_tar_writer *w)
{
    ms_error err;
    if (ms_tar_writer_commit(w, &err) != MS_OK) {
        fprintf(stderr, "%s\n", err.message);
        exit(1);
    }
    ms_tar_writer_free(w);
}

#define FOUR_MIB (4u << 20)

static uint8_t *bigbuf; /* FOUR_MIB + 1 bytes */

static int sorted(const ms_layout *l)
{
    for (size_t i = 1; i < l->blob_count; i++)
        if (strcmp(l->blobs[i - 1].hex, l->blobs[i].hex) >= 0)
            return 0;
    return 1;
}

static void test_layout_good(void)
{
    const char *p = tpath("good.tar");
    const char *hello_hex = hex_of("hello", 5);
    const char *big_hex = hex_of(bigbuf, FOUR_MIB + 1);
    const char *edge_hex = hex_of(bigbuf, FOUR_MIB);
    const char *x_hex = hex_of("x", 1);
    const char *y_hex = hex_of("y", 1);
    const char *z_hex = hex_of("z", 1);
    /* Blobs named by index.json are documents the reader keeps in memory. */
    static char idx[1024];
    snprintf(idx, sizeof idx,
             "{\"schemaVersion\":2,\"manifests\":[{\"digest\":\"sha256:%s\"},"
             "{\"digest\":\"sha256:%s\"},{\"digest\":\"sha256:%s\"},"
             "{\"digest\":\"sha256:%s\"},{\"digest\":\"sha256:%s\"}]}",
             hello_hex, MS_EMPTY_DIGEST_HEX, x_hex, edge_hex, big_hex);

    ms_tar_writer *w = wopen(p);
    wadd(w, "oci-layout", MS_OCI_LAYOUT_CONTENT, strlen(MS_OCI_LAYOUT_CONTENT));
    wadd(w, "index.json", idx, strlen(idx));
    wadd(w, blob_name(hello_hex), "hello", 5);
    wadd(w, blob_name(MS_EMPTY_DIGEST_HEX), MS_EMPTY_BLOB, 2);
    wadd(w, blob_name(x_hex), "y", 1); /* named for "x", holds "y" */
    wadd(w, blob_name(big_hex), bigbuf, FOUR_MIB + 1);
    wadd(w, blob_name(edge_hex), bigbuf, FOUR_MIB);
    wadd(w, blob_name(z_hex), "z", 1);
    wcommit(w);

    for (int hash_all = 1; hash_all >= 0; hash_all--) {
        ms_layout *l = (ms_layout *)1;
        ms_error err;
        ms_error_clear(&err);
        CHECK_INT(ms_layout_read(p, hash_all, &l, &err), MS_OK);
        if (l == NULL || l == (ms_layout *)1)
            continue;
        CHECK_INT(l->problem_count, 0);
        CHECK_STR(l->oci_layout, MS_OCI_LAYOUT_CONTENT);
        CHECK_INT(l->oci_layout_len, strlen(MS_OCI_LAYOUT_CONTENT));
        CHECK_STR(l->index, idx);
        CHECK_INT(l->index_len, strlen(idx));
        CHECK_INT(l->blob_count, 6);
        CHECK(sorted(l));

        /* A small blob no manifest names is hashed (with hash_all) but not kept. */
        ms_blob *z = ms_layout_find(l, z_hex);
        CHECK(z != NULL && z->data == NULL && z->hashed == hash_all);

        ms_blob *b = ms_layout_find(l, hello_hex);
        CHECK(b != NULL);
        if (b != NULL) {
            CHECK_STR(b->hex, hello_hex);
            CHECK_INT(b->size, 5);
            CHECK_INT(b->hashed, 1);
            CHECK_INT(b->digest_ok, 1);
            CHECK_STR(b->actual_hex, hello_hex);
            CHECK(b->data != NULL && memcmp(b->data, "hello", 5) == 0 && b->data[5] == 0);
            CHECK_INT(b->entry_index, 2);
        }
        b = ms_layout_find(l, MS_EMPTY_DIGEST_HEX);
        CHECK(b != NULL && b->digest_ok && b->size == 2 && b->entry_index == 3);
        CHECK(b != NULL && b->data != NULL && strcmp((char *)b->data, "{}") == 0);

        /* Content that does not match its name: hashed, flagged, actual digest kept. */
        b = ms_layout_find(l, x_hex);
        CHECK(b != NULL);
        if (b != NULL) {
            CHECK_INT(b->hashed, 1);
            CHECK_INT(b->digest_ok, 0);
            CHECK_STR(b->actual_hex, y_hex);
            CHECK(b->data != NULL && b->data[0] == 'y');
        }

        /* Exactly 4 MiB: still retained and hashed. */
        b = ms_layout_find(l, edge_hex);
        CHECK(b != NULL);
        if (b != NULL) {
            CHECK_INT(b->size, FOUR_MIB);
            CHECK(b->data != NULL && memcmp(b->data, bigbuf, FOUR_MIB) == 0);
            CHECK_INT(b->hashed, 1);
            CHECK_INT(b->digest_ok, 1);
        }

        /* Over 4 MiB: never retained; hashed only with hash_all. */
        b = ms_layout_find(l, big_hex);
        CHECK(b != NULL);
        if (b != NULL) {
            CHECK_INT(b->size, FOUR_MIB + 1);
            CHECK(b->data == NULL);
            CHECK_INT(b->hashed, hash_all);
            CHECK_INT(b->digest_ok, hash_all);
            CHECK_STR(b->actual_hex, hash_all ? big_hex : "");
            CHECK_INT(b->entry_index, 5);
        }

        /* Lookups of absent digests. */
        CHECK(ms_layout_find(l, y_hex) == NULL);
        CHECK(ms_layout_find(l, "") == NULL);
        CHECK(ms_layout_find(
                  l, "0000000000000000000000000000000000000000000000000000000000000000") == NULL);
        CHECK(ms_layout_find(
                  l, "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff") == NULL);
        ms_layout_free(l);
    }
    ms_layout_free(NULL);
}

static int has_problem(const ms_layout *l, const char *fragment)
{
    for (size_t i = 0; i < l->problem_count; i++)
        if (strstr(l->problems[i], fragment) != NULL)
            return 1;
    return 0;
}

static void show_problems(const ms_layout *l)
{
    for (size_t i = 0; i < l->problem_count; i++)
        fprintf(stderr, "  problem: %s\n", l->problems[i]);
}

static void test_layout_problems(void)
{
    const char *p = tpath("odd.tar");
    const char *a_hex = hex_of("a", 1);
    const char *b_hex = hex_of("b", 1);
    char upper[128];
    snprintf(upper, sizeof upper, "blobs/sha256/%s", a_hex);
    for (char *c = upper + 13; *c; c++)
        if (*c >= 'a' && *c <= 'f')
            *c = (char)(*c - 32);

    ms_tar_writer *w = wopen(p);
    wadd(w, "oci-layout", MS_OCI_LAYOUT_CONTENT, strlen(MS_OCI_LAYOUT_CONTENT));
    wadd(w, "index.json", "{\"first\":1}", 11);
    wadd(w, "README.md", "hi", 2);
    wadd(w, blob_name(a_hex), "a", 1);
    wadd(w, upper, "a", 1);
    wadd(w, "blobs/sha256/abc", "a", 1);
    wadd(w, "blobs/sha512/x", "a", 1);
    wadd(w, "./index.json", "{}", 2);
    wadd(w, blob_name(a_hex), "a", 1); /* duplicate, same content */
    wadd(w, blob_name(b_hex), "b", 1);
    wadd(w, blob_name(b_hex), "not b", 5);       /* duplicate with wrong content */
    wadd(w, "index.json", "{\"second\":2}", 12); /* duplicate document */
    wcommit(w);

    ms_layout *l = NULL;
    ms_error err;
    CHECK_INT(ms_layout_read(p, 1, &l, &err), MS_OK);
    if (l == NULL)
        return;
    CHECK_INT(l->problem_count, 8);
    CHECK(has_problem(l, "unexpected archive entry 'README.md' (allowed: oci-layout, index.json, "
                         "blobs/sha256/<digest>)"));
    CHECK(has_problem(l, "unexpected archive entry 'blobs/sha256/CA978112"));
    CHECK(has_problem(l, "unexpected archive entry 'blobs/sha256/abc'"));
    CHECK(has_problem(l, "unexpected archive entry 'blobs/sha512/x'"));
    CHECK(has_problem(l, "unexpected archive entry './index.json'"));
    CHECK(has_problem(l, "duplicate archive entry 'index.json'"));
    char dup[160];
    snprintf(dup, sizeof dup, "duplicate archive entry 'blobs/sha256/%s'", a_hex);
    CHECK(has_problem(l, dup));
    snprintf(dup, sizeof dup, "duplicate archive entry 'blobs/sha256/%s'", b_hex);
    CHECK(has_problem(l, dup));
    if (l->problem_count != 8)
        show_problems(l);
    /* The first index.json is kept. */
    CHECK_STR(l->index, "{\"first\":1}");
    /* Duplicates collapse to one blob; a bad second copy marks the blob bad. */
    CHECK_INT(l->blob_count, 2);
    ms_blob *b = ms_layout_find(l, a_hex);
    CHECK(b != NULL && b->digest_ok == 1 && b->entry_index == 3);
    b = ms_layout_find(l, b_hex);
    CHECK(b != NULL && b->hashed == 1 && b->digest_ok == 0);
    /* index.json names no manifest, so the blob is not a document: hashed, not kept. */
    CHECK(b != NULL && b->size == 1 && b->data == NULL);
    CHECK(b != NULL && strcmp(b->actual_hex, hex_of("not b", 5)) == 0);
    ms_layout_free(l);

    /* Links, directories and special files, written by hand. */
    p = tpath("links.tar");
    FILE *f = fopen(p, "wb");
    ustar(f, "oci-layout", '0', NULL, MS_OCI_LAYOUT_CONTENT, strlen(MS_OCI_LAYOUT_CONTENT));
    ustar(f, "blobs/", '5', NULL, NULL, 0);
    ustar(f, "blobs/sha256/", '5', NULL, NULL, 0);
    ustar(f, blob_name(a_hex), '0', NULL, "a", 1);
    ustar(f, blob_name(b_hex), '2', "/etc/passwd", NULL, 0);
    ustar(f, "index.json", '1', blob_name(a_hex), NULL, 0);
    ustar(f, "other/", '5', NULL, NULL, 0);
    ustar(f, "pipe", '6', NULL, NULL, 0);
    static const uint8_t zeros[1024];
    fwrite(zeros, 1, sizeof zeros, f);
    fclose(f);
    l = NULL;
    CHECK_INT(ms_layout_read(p, 1, &l, &err), MS_OK);
    if (l == NULL)
        return;
    CHECK_INT(l->problem_count, 4);
    snprintf(dup, sizeof dup,
             "symbolic link 'blobs/sha256/%s' in archive (only regular files are allowed)", b_hex);
    CHECK(has_problem(l, dup));
    CHECK(has_problem(l, "hard link 'index.json' in archive"));
    CHECK(has_problem(l, "directory 'other/' in archive"));
    CHECK(has_problem(l, "special file 'pipe' in archive"));
    CHECK(!has_problem(l, "'blobs/'"));
    CHECK(!has_problem(l, "'blobs/sha256/'"));
    if (l->problem_count != 4)
        show_problems(l);
    /* Link entries never become blobs or documents. */
    CHECK_INT(l->blob_count, 1);
    CHECK(ms_layout_find(l, b_hex) == NULL);
    CHECK(l->index == NULL);
    CHECK_STR(l->oci_layout, MS_OCI_LAYOUT_CONTENT);
    ms_layout_free(l);
}

static void test_layout_errors(void)
{
    ms_error err;
    ms_layout *l = (ms_layout *)1;

    /* Missing file and non-tar file. */
    ms_error_clear(&err);
    CHECK_INT(ms_layout_read(tpath("absent.tar"), 1, &l, &err), MS_E_IO);
    CHECK(l == NULL);
    CHECK_CONTAINS(err.message, "absent.tar");
    write_file(tpath("text.tar"), "this is not a tar archive at all", 32);
    l = (ms_layout *)1;
    ms_error_clear(&err);
    CHECK_INT(ms_layout_read(tpath("text.tar"), 1, &l, &err), MS_E_FORMAT);
    CHECK(l == NULL);

    /* Truncated in the middle of a large blob. */
    const char *p = tpath("trunc-src.tar");
    ms_tar_writer *w = wopen(p);
    wadd(w, "oci-layout", MS_OCI_LAYOUT_CONTENT, strlen(MS_OCI_LAYOUT_CONTENT));
    wadd(w, blob_name(hex_of(bigbuf, 100000)), bigbuf, 100000);
    wcommit(w);
    FILE *f = fopen(p, "rb");
    uint8_t *buf = malloc(60000);
    size_t n = fread(buf, 1, 60000, f);
    fclose(f);
    CHECK_INT(n, 60000);
    write_file(tpath("trunc.tar"), buf, n);
    free(buf);
    for (int hash_all = 0; hash_all <= 1; hash_all++) {
        l = (ms_layout *)1;
        ms_error_clear(&err);
        CHECK_INT(ms_layout_read(tpath("trunc.tar"), hash_all, &l, &err), MS_E_FORMAT);
        CHECK(l == NULL);
        CHECK_CONTAINS(err.message, "trunc.tar");
    }

    /* Truncated inside a blob too large to retain: with hash_all == 0 it is
     * skipped rather than read, and the cut must still be noticed.  The cut
     * lies megabytes past the reader's first buffer. */
    p = tpath("bigtrunc-src.tar");
    w = wopen(p);
    wadd(w, "oci-layout", MS_OCI_LAYOUT_CONTENT, strlen(MS_OCI_LAYOUT_CONTENT));
    wadd(w, blob_name(hex_of(bigbuf, FOUR_MIB + 1)), bigbuf, FOUR_MIB + 1);
    wadd(w, blob_name(hex_of(bigbuf, FOUR_MIB + 1)), bigbuf, FOUR_MIB + 1);
    wcommit(w);
    f = fopen(p, "rb");
    size_t cutlen = 1024 + 512 + FOUR_MIB + 512 + 512 + (3u << 20);
    buf = malloc(cutlen);
    n = fread(buf, 1, cutlen, f);
    fclose(f);
    CHECK_INT(n, cutlen);
    write_file(tpath("bigtrunc.tar"), buf, n);
    write_file(tpath("bigtrunc1.tar"), buf, 1024 + 512 + (3u << 20));
    free(buf);
    for (int hash_all = 0; hash_all <= 1; hash_all++) {
        l = (ms_layout *)1;
        ms_error_clear(&err);
        CHECK_INT(ms_layout_read(tpath("bigtrunc.tar"), hash_all, &l, &err), MS_E_FORMAT);
        CHECK(l == NULL);
        CHECK_CONTAINS(err.message, "bigtrunc.tar");
        CHECK_CONTAINS(err.message, "truncated");
        l = (ms_layout *)1;
        ms_error_clear(&err);
        CHECK_INT(ms_layout_read(tpath("bigtrunc1.tar"), hash_all, &l, &err), MS_E_FORMAT);
        CHECK(l == NULL);
        CHECK_CONTAINS(err.message, "truncated");
    }

    /* index.json over the document limit. */
    p = tpath("hugeindex.tar");
    w = wopen(p);
    wadd(w, "index.json", bigbuf, FOUR_MIB + 1);
    wcommit(w);
    l = (ms_layout *)1;
    ms_error_clear(&err);
    CHECK_INT(ms_layout_read(p, 0, &l, &err), MS_E_LIMIT);
    CHECK(l == NULL);
    CHECK_CONTAINS(err.message, "entry 'index.json' is 4194305 bytes (limit 4194304)");
    p = tpath("hugelayout.tar");
    w = wopen(p);
    wadd(w, "oci-layout", bigbuf, FOUR_MIB + 1);
    wcommit(w);
    CHECK_INT(ms_layout_read(p, 1, &l, &err), MS_E_LIMIT);
    CHECK_CONTAINS(err.message, "entry 'oci-layout'");

    /* Small blobs together over 48 MiB: 12 x 4 MiB fit, a 13th does not. */
    p = tpath("many.tar");
    w = wopen(p);
    for (int i = 0; i < 13; i++) {
        char hex[MS_SHA256_HEX_LEN + 1];
        snprintf(hex, sizeof hex, "%064x", i);
        wadd(w, blob_name(hex), bigbuf, FOUR_MIB);
    }
    wcommit(w);
    l = (ms_layout *)1;
    ms_error_clear(&err);
    CHECK_INT(ms_layout_read(p, 0, &l, &err), MS_E_LIMIT);
    CHECK(l == NULL);
    CHECK_CONTAINS(err.message, "small blobs add up to more than 50331648 bytes");
    unlink(p);
    p = tpath("twelve.tar");
    w = wopen(p);
    for (int i = 0; i < 12; i++) {
        char hex[MS_SHA256_HEX_LEN + 1];
        snprintf(hex, sizeof hex, "%064x", i);
        wadd(w, blob_name(hex), bigbuf, FOUR_MIB);
    }
    wcommit(w);
    l = NULL;
    CHECK_INT(ms_layout_read(p, 0, &l, &err), MS_OK);
    CHECK(l != NULL && l->blob_count == 12 && sorted(l));
    CHECK(l != NULL && l->blob_count == 12 && l->blobs[11].data != NULL &&
          l->blobs[11].digest_ok == 0 && l->blobs[11].hashed == 1);
    ms_layout_free(l);
    unlink(p);
}

int main(void)
{
    make_tmpdir();
    bigbuf = malloc(FOUR_MIB + 1);
    if (bigbuf == NULL)
        abort();
    for (size_t i = 0; i < FOUR_MIB + 1; i++)
        bigbuf[i] = (uint8_t)(i * 131 + (i >> 12));
    test_descriptor_parse();
    test_descriptor_build();
    test_layout_good();
    test_layout_problems();
    test_layout_errors();
    free(bigbuf);
    remove_tmpdir();
    return check_finish("test_oci");
}
