/*
 * Model directories: classification, the walk, and the sharded-model and
 * duplicate-tensor checks.  Every model is built in a fresh temporary
 * directory.
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../unit/check.h"
#include "core/error_internal.h"
#include "core/safeopen.h"
#include "modelseal/model.h"
#include "modelseal/safetensors.h"

static char tmpdir[256];
static char cur[512]; /* the model directory of the current case */

static const char *at(const char *rel)
{
    static char buf[8][1024];
    static int k;
    char *p = buf[k++ % 8];
    snprintf(p, sizeof buf[0], "%s/%s", cur, rel);
    return p;
}

static void mkdirs(const char *path)
{
    char tmp[1024];
    snprintf(tmp, sizeof tmp, "%s", path);
    for (char *p = tmp + 1; *p != '\0'; p++) {
        if (*p == '/') {
            *p = '\0';
            mkdir(tmp, 0755);
            *p = '/';
        }
    }
    mkdir(tmp, 0755);
}

/* Start a new model directory named name under the temporary directory. */
static const char *model_dir(const char *name)
{
    snprintf(cur, sizeof cur, "%s/%s", tmpdir, name);
    mkdirs(cur);
    return cur;
}

static void parent_dirs(const char *rel)
{
    char d[1024];
    snprintf(d, sizeof d, "%s", at(rel));
    char *slash = strrchr(d, '/');
    if (slash != NULL) {
        *slash = '\0';
        mkdirs(d);
    }
}

static void put_bytes(const char *rel, const void *data, size_t len)
{
    parent_dirs(rel);
    FILE *f = fopen(at(rel), "wb");
    CHECK(f != NULL);
    if (f == NULL)
        return;
    CHECK_INT(fwrite(data, 1, len, f), len);
    fclose(f);
}

static void put_text(const char *rel, const char *text)
{
    put_bytes(rel, text, strlen(text));
}

/* A safetensors file holding the comma-separated tensors, each U8 [4] (4 bytes). */
static void put_st(const char *rel, const char *names)
{
    parent_dirs(rel);
    static const uint8_t data[4] = {1, 2, 3, 4};
    static const uint64_t shape[1] = {4};
    ms_st_writer *w = NULL;
    ms_error err;
    CHECK_INT(ms_st_writer_new(&w, &err), MS_OK);
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", names);
    for (char *save = NULL, *n = strtok_r(buf, ",", &save); n != NULL;
         n = strtok_r(NULL, ",", &save))
        CHECK_INT(ms_st_writer_add(w, n, MS_DTYPE_U8, 1, shape, data, &err), MS_OK);
    CHECK_INT(ms_st_writer_write(w, at(rel), &err), MS_OK);
    ms_st_writer_free(w);
}

static ms_status open_model(const char *path, ms_model **m, ms_error *err)
{
    ms_error_clear(err);
    ms_status s = ms_model_open(path, m, err);
    if (s != MS_OK)
        CHECK(*m == NULL);
    return s;
}

#define REFUSE_MODEL(path, want, fragment)                                                         \
    do {                                                                                           \
        ms_model *m_ = NULL;                                                                       \
        ms_error e_;                                                                               \
        CHECK_INT(open_model((path), &m_, &e_), (want));                                           \
        CHECK_INT(e_.status, (want));                                                              \
        CHECK_CONTAINS(e_.message, (fragment));                                                    \
        ms_model_close(m_);                                                                        \
    } while (0)

static ms_model *accept_model(const char *path)
{
    ms_model *m = NULL;
    ms_error err;
    ms_status s = open_model(path, &m, &err);
    CHECK_INT(s, MS_OK);
    if (s != MS_OK)
        fprintf(stderr, "  unexpected refusal: %s\n", err.message);
    return m;
}

/* ------------------------------------------------------------------ cases */

static void test_single_file(void)
{
    model_dir("single");
    put_st("m.safetensors", "b,a");
    ms_model *m = accept_model(at("m.safetensors"));
    if (m == NULL)
        return;
    CHECK_INT(ms_model_file_count(m), 1);
    const ms_model_file *f = ms_model_file_at(m, 0);
    CHECK_STR(f->relpath, "m.safetensors");
    CHECK_STR(f->path, at("m.safetensors"));
    CHECK_INT(f->kind, MS_FILE_WEIGHTS);
    CHECK(f->st != NULL);
    CHECK_INT(f->size, ms_safetensors_file_size(f->st));
    CHECK_INT(ms_model_tensor_count(m), 2);
    CHECK_INT(ms_model_is_sharded(m), 0);
    CHECK(ms_model_file_at(m, 1) == NULL);
    ms_model_close(m);

    put_text("config.json", "{}");
    REFUSE_MODEL(at("config.json"), MS_E_USAGE,
                 "config.json: a model is a .safetensors file or a directory");
    REFUSE_MODEL(at("absent.safetensors"), MS_E_IO, "absent.safetensors: cannot stat");
    /* A broken single file is refused by the reader, naming it. */
    put_bytes("broken.safetensors", "\x02\0\0\0\0\0\0\0{}x", 11);
    REFUSE_MODEL(at("broken.safetensors"), MS_E_FORMAT,
                 "broken.safetensors: no tensors but the data section holds 1 bytes");
    put_text("short.safetensors", "abc");
    REFUSE_MODEL(at("short.safetensors"), MS_E_FORMAT, "short.safetensors: file is 3 bytes");
}

static void test_classification(void)
{
    const char *dir = model_dir("classify");
    put_st("model.safetensors", "w");
    put_text("config.json", "{}");
    put_text("generation_config.json", "{}");
    put_text("README.md", "# m");
    put_text("readme.MD", "# m");
    put_text("LICENSE", "x");
    put_text("License.txt", "x");
    put_text("NOTICE", "x");
    put_text("COPYING.LESSER", "x");
    put_text("modeling_x.py", "pass");
    put_text("tokenizer.model", "x");
    put_text("tokenizer.json", "{}");
    put_text("merges.txt", "x");
    put_text("vocab.tiktoken", "x");
    put_text("chat_template.jinja", "x");
    put_text("params.yaml", "x");
    put_text("other.yml", "x");
    put_st("sub/nested/deep.safetensors", "deep");
    put_text("sub/notes.md", "x");
    /* Skipped: dot-files and dot-directories at any depth. */
    put_text(".gitattributes", "x");
    put_text(".git/objects/ab/cdef", "binary");
    put_text(".cache/huggingface/x.lock", "");
    put_text("sub/.DS_Store", "x");
    put_text(".hidden.safetensors", "not even a safetensors file");
    mkdirs(at("empty_dir"));

    ms_model *m = accept_model(dir);
    if (m == NULL)
        return;
    static const struct {
        const char *rel;
        ms_file_kind kind;
    } expect[] = {
        {"COPYING.LESSER", MS_FILE_DOC},
        {"LICENSE", MS_FILE_DOC},
        {"License.txt", MS_FILE_DOC},
        {"NOTICE", MS_FILE_DOC},
        {"README.md", MS_FILE_DOC},
        {"chat_template.jinja", MS_FILE_CONFIG},
        {"config.json", MS_FILE_CONFIG},
        {"generation_config.json", MS_FILE_CONFIG},
        {"merges.txt", MS_FILE_CONFIG},
        {"model.safetensors", MS_FILE_WEIGHTS},
        {"modeling_x.py", MS_FILE_CODE},
        {"other.yml", MS_FILE_CONFIG},
        {"params.yaml", MS_FILE_CONFIG},
        {"readme.MD", MS_FILE_DOC},
        {"sub/nested/deep.safetensors", MS_FILE_WEIGHTS},
        {"sub/notes.md", MS_FILE_DOC},
        {"tokenizer.json", MS_FILE_CONFIG},
        {"tokenizer.model", MS_FILE_CONFIG},
        {"vocab.tiktoken", MS_FILE_CONFIG},
    };
    size_t n = sizeof expect / sizeof *expect;
    CHECK_INT(ms_model_file_count(m), n);
    for (size_t i = 0; i < n && i < ms_model_file_count(m); i++) {
        const ms_model_file *f = ms_model_file_at(m, i);
        CHECK_STR(f->relpath, expect[i].rel);
        CHECK_STR(f->path, at(expect[i].rel));
        CHECK_INT(f->kind, expect[i].kind);
        CHECK((f->st != NULL) == (f->kind == MS_FILE_WEIGHTS));
    }
    const ms_model_file *cfg = ms_model_file_at(m, 6);
    CHECK_INT(cfg->size, 2);
    CHECK_INT(ms_model_tensor_count(m), 2);
    CHECK_INT(ms_model_is_sharded(m), 0);
    ms_model_close(m);

    /* The root given with a trailing slash gives the same relpaths. */
    char slash[600];
    snprintf(slash, sizeof slash, "%s/", dir);
    m = accept_model(slash);
    if (m != NULL) {
        CHECK_STR(ms_model_file_at(m, 0)->relpath, "COPYING.LESSER");
        ms_model_close(m);
    }
}

static void test_unknown_files(void)
{
    model_dir("unknown");
    put_st("model.safetensors", "w");
    put_text("pytorch_model.bin", "pickle");
    REFUSE_MODEL(cur, MS_E_UNSUPPORTED, "pytorch_model.bin: unknown file kind");

    model_dir("unknown_nested");
    put_st("model.safetensors", "w");
    put_text("onnx/model.onnx", "x");
    REFUSE_MODEL(cur, MS_E_UNSUPPORTED, "unknown_nested/onnx/model.onnx: unknown file kind");

    /* Extensions other than the doc names are case-sensitive. */
    model_dir("unknown_case");
    put_st("model.safetensors", "w");
    put_text("CONFIG.JSON", "{}");
    REFUSE_MODEL(cur, MS_E_UNSUPPORTED, "CONFIG.JSON: unknown file kind");

    model_dir("unknown_noext");
    put_st("model.safetensors", "w");
    put_text("README", "x");
    REFUSE_MODEL(cur, MS_E_UNSUPPORTED, "README: unknown file kind");

    /* A hostile file name is shown escaped. */
    model_dir("unknown_escape");
    put_st("model.safetensors", "w");
    put_text("evil\x1b[2J.bin", "x");
    REFUSE_MODEL(cur, MS_E_UNSUPPORTED, "unknown_escape/evil\\x1b[2J.bin: unknown file kind");

    model_dir("fifo");
    put_st("model.safetensors", "w");
    CHECK_INT(mkfifo(at("pipe.json"), 0600), 0);
    REFUSE_MODEL(cur, MS_E_UNSUPPORTED, "pipe.json: not a regular file or directory");
}

static void test_no_weights(void)
{
    model_dir("noweights");
    put_text("config.json", "{}");
    put_text("sub/README.md", "x");
    put_text(".x.safetensors", "");
    REFUSE_MODEL(cur, MS_E_FORMAT, "no .safetensors file in ");
    REFUSE_MODEL(cur, MS_E_FORMAT, "noweights");

    model_dir("emptydir");
    REFUSE_MODEL(cur, MS_E_FORMAT, "no .safetensors file in ");
    REFUSE_MODEL(at("missing"), MS_E_IO, "missing: cannot stat");
}

static void test_bad_weights(void)
{
    model_dir("badweights");
    put_st("a.safetensors", "w");
    /* Header length 2, "{}", and two stray data bytes. */
    put_bytes("sub/b.safetensors", "\x02\0\0\0\0\0\0\0{}xy", 12);
    REFUSE_MODEL(cur, MS_E_FORMAT,
                 "badweights/sub/b.safetensors: no tensors but the data section holds 2 bytes");
}

static void test_duplicates_without_index(void)
{
    model_dir("dup");
    put_st("a.safetensors", "x,shared");
    put_st("b.safetensors", "shared,y");
    REFUSE_MODEL(cur, MS_E_FORMAT, "tensor 'shared' appears in both ");
    REFUSE_MODEL(cur, MS_E_FORMAT, "dup/a.safetensors and ");
    REFUSE_MODEL(cur, MS_E_FORMAT, "dup/b.safetensors");

    /* Distinct names across files are fine. */
    model_dir("nodup");
    put_st("a.safetensors", "x,y");
    put_st("b.safetensors", "z");
    ms_model *m = accept_model(cur);
    CHECK_INT(ms_model_tensor_count(m), 3);
    CHECK_INT(ms_model_is_sharded(m), 0);
    ms_model_close(m);

    /* Components in separate directories may reuse names (diffusers-style layouts). */
    model_dir("components");
    put_st("unet/diffusion_pytorch_model.safetensors", "conv_in.weight,conv_out.weight");
    put_st("vae/diffusion_pytorch_model.safetensors", "conv_in.weight");
    put_text("model_index.json", "{}");
    m = accept_model(cur);
    CHECK_INT(ms_model_tensor_count(m), 3);
    CHECK_INT(ms_model_file_count(m), 3);
    ms_model_close(m);

    /* Within one nested directory the rule still holds. */
    put_st("vae/extra.safetensors", "conv_in.weight");
    REFUSE_MODEL(cur, MS_E_FORMAT, "tensor 'conv_in.weight' appears in both ");
}

#define INDEX_OK                                                                                   \
    "{\"metadata\":{\"total_size\":16},\"weight_map\":{"                                           \
    "\"a\":\"model-00001-of-00002.safetensors\","                                                  \
    "\"b\":\"model-00001-of-00002.safetensors\","                                                  \
    "\"c\":\"model-00002-of-00002.safetensors\","                                                  \
    "\"d\":\"model-00002-of-00002.safetensors\"}}"

static void make_sharded(const char *name, const char *index)
{
    model_dir(name);
    put_st("model-00001-of-00002.safetensors", "a,b");
    put_st("model-00002-of-00002.safetensors", "c,d");
    put_text("config.json", "{}");
    put_text("model.safetensors.index.json", index);
}

static void test_sharded_valid(void)
{
    make_sharded("sharded", INDEX_OK);
    ms_model *m = accept_model(cur);
    if (m == NULL)
        return;
    CHECK_INT(ms_model_is_sharded(m), 1);
    CHECK_INT(ms_model_file_count(m), 4);
    CHECK_INT(ms_model_tensor_count(m), 4);
    CHECK_STR(ms_model_file_at(m, 0)->relpath, "config.json");
    CHECK_STR(ms_model_file_at(m, 1)->relpath, "model-00001-of-00002.safetensors");
    CHECK_STR(ms_model_file_at(m, 3)->relpath, "model.safetensors.index.json");
    CHECK_INT(ms_model_file_at(m, 3)->kind, MS_FILE_CONFIG);
    CHECK(ms_model_file_at(m, 3)->st == NULL);
    ms_model_close(m);

    /* total_size is optional, other fields are ignored. */
    make_sharded("sharded_nosize",
                 "{\"metadata\":{\"format\":\"pt\"},\"extra\":[1],\"weight_map\":{"
                 "\"d\":\"model-00002-of-00002.safetensors\","
                 "\"a\":\"model-00001-of-00002.safetensors\","
                 "\"c\":\"model-00002-of-00002.safetensors\","
                 "\"b\":\"model-00001-of-00002.safetensors\"}}");
    m = accept_model(cur);
    CHECK_INT(ms_model_is_sharded(m), 1);
    ms_model_close(m);

    make_sharded("sharded_nometa", "{\"weight_map\":{"
                                   "\"a\":\"model-00001-of-00002.safetensors\","
                                   "\"b\":\"model-00001-of-00002.safetensors\","
                                   "\"c\":\"model-00002-of-00002.safetensors\","
                                   "\"d\":\"model-00002-of-00002.safetensors\"}}");
    m = accept_model(cur);
    CHECK_INT(ms_model_is_sharded(m), 1);
    ms_model_close(m);

    /* A sharded component in a subdirectory. */
    model_dir("sharded_nested");
    put_st("text_encoder/model-00001-of-00002.safetensors", "a,b");
    put_st("text_encoder/model-00002-of-00002.safetensors", "c,d");
    put_text("text_encoder/model.safetensors.index.json", INDEX_OK);
    put_st("vae/diffusion_pytorch_model.safetensors", "a");
    m = accept_model(cur);
    CHECK_INT(ms_model_is_sharded(m), 1);
    CHECK_INT(ms_model_tensor_count(m), 5);
    ms_model_close(m);
}

static void test_sharded_refusals(void)
{
    /* Tensor 'c' mapped to the first shard, but it lives in the second. */
    make_sharded("wrong_shard", "{\"weight_map\":{"
                                "\"a\":\"model-00001-of-00002.safetensors\","
                                "\"b\":\"model-00001-of-00002.safetensors\","
                                "\"c\":\"model-00001-of-00002.safetensors\","
                                "\"d\":\"model-00002-of-00002.safetensors\"}}");
    REFUSE_MODEL(cur, MS_E_FORMAT,
                 "wrong_shard/model.safetensors.index.json: weight_map puts tensor 'c' in shard "
                 "'model-00001-of-00002.safetensors', but it is in "
                 "'model-00002-of-00002.safetensors'");

    /* A tensor no shard holds. */
    make_sharded("ghost_tensor", "{\"weight_map\":{"
                                 "\"a\":\"model-00001-of-00002.safetensors\","
                                 "\"b\":\"model-00001-of-00002.safetensors\","
                                 "\"c\":\"model-00002-of-00002.safetensors\","
                                 "\"d\":\"model-00002-of-00002.safetensors\","
                                 "\"e\":\"model-00002-of-00002.safetensors\"}}");
    REFUSE_MODEL(cur, MS_E_FORMAT,
                 "weight_map puts tensor 'e' in shard 'model-00002-of-00002.safetensors', which "
                 "does not hold it");

    /* The index names a shard that is not there. */
    make_sharded("missing_shard", "{\"weight_map\":{"
                                  "\"a\":\"model-00001-of-00002.safetensors\","
                                  "\"b\":\"model-00001-of-00002.safetensors\","
                                  "\"c\":\"model-00002-of-00002.safetensors\","
                                  "\"d\":\"model-00003-of-00003.safetensors\"}}");
    REFUSE_MODEL(cur, MS_E_FORMAT,
                 "missing_shard/model.safetensors.index.json: weight_map puts tensor 'd' in "
                 "shard 'model-00003-of-00003.safetensors', which is missing from the model");

    /* A shard the index never mentions. */
    make_sharded("unreferenced", INDEX_OK);
    put_st("model-00003-of-00003.safetensors", "e");
    REFUSE_MODEL(cur, MS_E_FORMAT,
                 "unreferenced/model-00003-of-00003.safetensors: shard not referenced by the "
                 "weight_map of ");

    /* A tensor of a referenced shard left out of weight_map. */
    make_sharded("unmapped", "{\"weight_map\":{"
                             "\"a\":\"model-00001-of-00002.safetensors\","
                             "\"c\":\"model-00002-of-00002.safetensors\","
                             "\"d\":\"model-00002-of-00002.safetensors\"}}");
    REFUSE_MODEL(cur, MS_E_FORMAT,
                 "unmapped/model.safetensors.index.json: tensor 'b' of shard "
                 "'model-00001-of-00002.safetensors' is missing from weight_map");

    /* total_size must be the sum of tensor byte sizes (4 x 4 = 16). */
    make_sharded("total_size", "{\"metadata\":{\"total_size\":17},\"weight_map\":{"
                               "\"a\":\"model-00001-of-00002.safetensors\","
                               "\"b\":\"model-00001-of-00002.safetensors\","
                               "\"c\":\"model-00002-of-00002.safetensors\","
                               "\"d\":\"model-00002-of-00002.safetensors\"}}");
    REFUSE_MODEL(cur, MS_E_FORMAT,
                 "total_size/model.safetensors.index.json: metadata.total_size 17 does not "
                 "match the sum of tensor sizes 16");
    make_sharded("total_size_type", "{\"metadata\":{\"total_size\":\"16\"},\"weight_map\":{"
                                    "\"a\":\"model-00001-of-00002.safetensors\","
                                    "\"b\":\"model-00001-of-00002.safetensors\","
                                    "\"c\":\"model-00002-of-00002.safetensors\","
                                    "\"d\":\"model-00002-of-00002.safetensors\"}}");
    REFUSE_MODEL(cur, MS_E_FORMAT, "metadata.total_size is not a non-negative integer");

    /* The same tensor in two shards, the index naming one of them. */
    make_sharded("two_shards", INDEX_OK);
    put_st("model-00002-of-00002.safetensors", "c,d,a");
    REFUSE_MODEL(cur, MS_E_FORMAT,
                 "two_shards/model.safetensors.index.json: tensor 'a' appears in two shards, "
                 "'model-00001-of-00002.safetensors' and 'model-00002-of-00002.safetensors'");

    /* Malformed indexes. */
    make_sharded("index_dup", "{\"weight_map\":{"
                              "\"a\":\"model-00001-of-00002.safetensors\","
                              "\"a\":\"model-00002-of-00002.safetensors\"}}");
    REFUSE_MODEL(cur, MS_E_FORMAT, "index_dup/model.safetensors.index.json: duplicate key 'a'");
    make_sharded("index_nomap", "{\"metadata\":{}}");
    REFUSE_MODEL(cur, MS_E_FORMAT,
                 "index_nomap/model.safetensors.index.json: missing field 'weight_map'");
    make_sharded("index_badjson", "{\"weight_map\":");
    REFUSE_MODEL(cur, MS_E_FORMAT, "index_badjson/model.safetensors.index.json: invalid JSON");
    make_sharded("index_array", "[]");
    REFUSE_MODEL(cur, MS_E_FORMAT, "index_array/model.safetensors.index.json: not a JSON object");
    make_sharded("index_value", "{\"weight_map\":{\"a\":1}}");
    REFUSE_MODEL(cur, MS_E_FORMAT, "weight_map entry for tensor 'a' is not a string");
    make_sharded("index_path", "{\"weight_map\":{\"a\":\"../x.safetensors\"}}");
    REFUSE_MODEL(cur, MS_E_FORMAT,
                 "weight_map puts tensor 'a' in '../x.safetensors', which is not a .safetensors "
                 "file name in the index's directory");
    make_sharded("index_subdir", "{\"weight_map\":{\"a\":\"sub/x.safetensors\"}}");
    REFUSE_MODEL(cur, MS_E_FORMAT, "in 'sub/x.safetensors', which is not a .safetensors");
    make_sharded("index_meta", "{\"metadata\":[],\"weight_map\":{}}");
    REFUSE_MODEL(cur, MS_E_FORMAT, "field 'metadata' is not an object");
    /* An empty weight_map leaves every shard unreferenced. */
    make_sharded("index_empty", "{\"weight_map\":{}}");
    REFUSE_MODEL(cur, MS_E_FORMAT, "shard not referenced");

    /* The index governs its own directory only: shards elsewhere do not count. */
    model_dir("index_other_dir");
    put_st("model-00001-of-00002.safetensors", "a,b");
    put_st("sub/model-00002-of-00002.safetensors", "c,d");
    put_text("model.safetensors.index.json", INDEX_OK);
    REFUSE_MODEL(cur, MS_E_FORMAT,
                 "shard 'model-00002-of-00002.safetensors', which is missing from the model");
}

static void test_symlinks(void)
{
    model_dir("links");
    put_st("real/w.safetensors", "w");
    put_text("real/config.json", "{}");
    CHECK_INT(symlink("real/w.safetensors", at("linked.safetensors")), 0);
    ms_model *m = NULL;
    ms_error err;
    /* The link to a file is followed: two weight files holding 'w' in the root and 'real'. */
    CHECK_INT(open_model(cur, &m, &err), MS_OK);
    CHECK_INT(ms_model_file_count(m), 3);
    if (ms_model_file_count(m) == 3)
        CHECK_STR(ms_model_file_at(m, 0)->relpath, "linked.safetensors");
    ms_model_close(m);

    CHECK_INT(symlink("..", at("real/up")), 0);
    REFUSE_MODEL(cur, MS_E_FORMAT, "links/real/up: directory loop");

    model_dir("dangling");
    put_st("w.safetensors", "w");
    CHECK_INT(symlink("nowhere", at("gone.json")), 0);
    REFUSE_MODEL(cur, MS_E_IO, "dangling/gone.json: symbolic link to 'nowhere' cannot be followed");
}

static void check_link(const ms_model *m, size_t i, const char *link, const char *target)
{
    const ms_model_link *l = ms_model_link_at(m, i);
    CHECK(l != NULL);
    if (l != NULL) {
        CHECK_STR(l->link, link);
        CHECK_STR(l->target, target);
    }
}

/* Links are followed only beneath the model directory (or the root given), in either resolver. */
static void test_links_beneath(int openat2)
{
    ms_beneath_set_openat2(openat2);
    char name[64];
    ms_model *m = NULL;
#define CASE(n) (snprintf(name, sizeof name, "%s-%d", (n), openat2), model_dir(name))
    CASE("abs");
    put_st("w.safetensors", "w");
    CHECK_INT(symlink("/proc/self/environ", at("tokenizer_notes.txt")), 0);
    REFUSE_MODEL(cur, MS_E_UNSAFE_PATH,
                 "/tokenizer_notes.txt: symbolic link to '/proc/self/environ' leads outside ");

    CASE("up");
    put_st("w.safetensors", "w");
    CHECK_INT(symlink("..", at("extras")), 0);
    REFUSE_MODEL(cur, MS_E_UNSAFE_PATH, "/extras: symbolic link to '..' leads outside ");

    /* A link inside that leads to one that leaves: both are named. */
    CASE("chain");
    put_st("w.safetensors", "w");
    put_text("../outside.txt", "secret");
    CHECK_INT(symlink("sub/b.txt", at("a.txt")), 0);
    put_text("sub/keep.txt", "");
    CHECK_INT(symlink("../../outside.txt", at("sub/b.txt")), 0);
    REFUSE_MODEL(cur, MS_E_UNSAFE_PATH,
                 "/a.txt: symbolic link to 'sub/b.txt' leads outside ");
    REFUSE_MODEL(cur, MS_E_UNSAFE_PATH, " (through 'sub/b.txt' -> '../../outside.txt')");

    /* A link through /proc/self/cwd is refused before any magic link is met. */
    CASE("magic");
    put_st("w.safetensors", "w");
    CHECK_INT(symlink("../../../../../../../../proc/self/cwd/k.key", at("special_tokens.txt")), 0);
    REFUSE_MODEL(cur, MS_E_UNSAFE_PATH, "special_tokens.txt: symbolic link to '../../");

    /* Links that point at each other. */
    CASE("cycle");
    put_st("w.safetensors", "w");
    CHECK_INT(symlink("b.txt", at("a.txt")), 0);
    CHECK_INT(symlink("a.txt", at("b.txt")), 0);
    REFUSE_MODEL(cur, MS_E_FORMAT, "/a.txt: symbolic link to 'b.txt': too many levels of links");

    /* ".." that stays inside is fine; the path is recorded without it. */
    CASE("dotdot");
    put_st("sub/w.safetensors", "w");
    put_text("sub/deeper/.keep", "");
    CHECK_INT(symlink("../../sub/w.safetensors", at("sub/deeper/x.safetensors")), 0);
    m = accept_model(cur);
    if (m != NULL) {
        CHECK_INT(ms_model_link_count(m), 1);
        check_link(m, 0, "sub/deeper/x.safetensors", "sub/w.safetensors");
    }
    ms_model_close(m);

    /* Two ways into one directory: the second is refused, whichever it is. */
    CASE("twice");
    put_st("real/w.safetensors", "w");
    CHECK_INT(symlink("real", at("alias")), 0);
    REFUSE_MODEL(cur, MS_E_FORMAT, "/real: the directory is already in the model as 'alias'");

    /* A link to a directory that is reached no other way is walked, under the link's name. */
    CASE("dotdir");
    put_st(".store/w.safetensors", "w");
    CHECK_INT(symlink(".store", at("m")), 0);
    CHECK_INT(symlink("m/w.safetensors", at("n.safetensors")), 0);
    m = accept_model(cur);
    if (m != NULL) {
        CHECK_INT(ms_model_file_count(m), 2);
        CHECK_STR(ms_model_file_at(m, 0)->relpath, "m/w.safetensors");
        CHECK_CONTAINS(ms_model_file_at(m, 0)->path, "/.store/w.safetensors");
        CHECK_CONTAINS(ms_model_file_at(m, 1)->path, "/.store/w.safetensors");
        CHECK_INT(ms_model_link_count(m), 2);
        check_link(m, 0, "m", ".store");
        check_link(m, 1, "n.safetensors", ".store/w.safetensors");
    }
    ms_model_close(m);

    /* A Hugging Face cache: snapshots link into ../../blobs, allowed under the cache only. */
    CASE("hf");
    char snap[1100], hf[600];
    snprintf(hf, sizeof hf, "%s", cur);
    put_st("blobs/0a1b", "w");
    put_text("blobs/c0de", "{}");
    put_text("snapshots/rev1/sub/.keep", "");
    CHECK_INT(symlink("../../blobs/0a1b", at("snapshots/rev1/model.safetensors")), 0);
    CHECK_INT(symlink("../../../blobs/c0de", at("snapshots/rev1/sub/config.json")), 0);
    snprintf(snap, sizeof snap, "%s/snapshots/rev1", hf);
    REFUSE_MODEL(snap, MS_E_UNSAFE_PATH,
                 "rev1/model.safetensors: symbolic link to '../../blobs/0a1b' leads outside ");
    ms_error err;
    m = NULL;
    CHECK_INT(ms_model_open_under(snap, hf, &m, &err), MS_OK);
    if (m != NULL) {
        CHECK_INT(ms_model_file_count(m), 2);
        CHECK_STR(ms_model_file_at(m, 0)->relpath, "model.safetensors");
        CHECK_CONTAINS(ms_model_file_at(m, 0)->path, "/blobs/0a1b");
        CHECK_STR(ms_model_file_at(m, 1)->relpath, "sub/config.json");
        CHECK_INT(ms_model_link_count(m), 2);
        check_link(m, 0, "snapshots/rev1/model.safetensors", "blobs/0a1b");
        check_link(m, 1, "snapshots/rev1/sub/config.json", "blobs/c0de");
    }
    ms_model_close(m);
    /* Leaving the cache is still refused. */
    CHECK_INT(symlink("../../../outside.txt", at("snapshots/rev1/notes.txt")), 0);
    m = NULL;
    CHECK_INT(ms_model_open_under(snap, hf, &m, &err), MS_E_UNSAFE_PATH);
    CHECK_CONTAINS(err.message, "rev1/notes.txt: symbolic link to '../../../outside.txt' leads "
                                "outside ");
    ms_model_close(m);
    /* The root must hold the model. */
    m = NULL;
    CHECK_INT(ms_model_open_under(hf, snap, &m, &err), MS_E_USAGE);
    CHECK_CONTAINS(err.message, "the model directory is not inside ");
    ms_model_close(m);
#undef CASE
    ms_beneath_set_openat2(1);
}

static void test_limits(void)
{
    model_dir("many");
    put_st("w.safetensors", "w");
    char name[32];
    /* MS_MODEL_MAX_FILES files in all is fine ... */
    for (int i = 1; i < MS_MODEL_MAX_FILES; i++) {
        snprintf(name, sizeof name, "f/%04d.txt", i);
        put_text(name, "");
    }
    ms_model *m = accept_model(cur);
    CHECK_INT(ms_model_file_count(m), MS_MODEL_MAX_FILES);
    ms_model_close(m);
    /* ... one more is not. */
    put_text("one-more.txt", "");
    REFUSE_MODEL(cur, MS_E_LIMIT, "more than 4096 files");
}

static void test_null_args(void)
{
    ms_model *m = NULL;
    ms_error err;
    CHECK_INT(ms_model_open(NULL, &m, &err), MS_E_USAGE);
    ms_model_close(NULL);
    CHECK_INT(ms_model_file_count(NULL), 0);
    CHECK(ms_model_file_at(NULL, 0) == NULL);
    CHECK_INT(ms_model_tensor_count(NULL), 0);
    CHECK_INT(ms_model_is_sharded(NULL), 0);
}

static void remove_tree(const char *path)
{
    DIR *d = opendir(path);
    if (d == NULL) {
        unlink(path);
        return;
    }
    for (struct dirent *de; (de = readdir(d)) != NULL;) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        char sub[1024];
        snprintf(sub, sizeof sub, "%s/%s", path, de->d_name);
        struct stat sb;
        if (lstat(sub, &sb) == 0 && S_ISDIR(sb.st_mode))
            remove_tree(sub);
        else
            unlink(sub);
    }
    closedir(d);
    rmdir(path);
}

int main(void)
{
    const char *base = getenv("TMPDIR");
    snprintf(tmpdir, sizeof tmpdir, "%s/ms-model-XXXXXX", base != NULL ? base : "/tmp");
    if (mkdtemp(tmpdir) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    test_single_file();
    test_classification();
    test_unknown_files();
    test_no_weights();
    test_bad_weights();
    test_duplicates_without_index();
    test_sharded_valid();
    test_sharded_refusals();
    test_symlinks();
    test_links_beneath(1);
    test_links_beneath(0);
    test_limits();
    test_null_args();
    remove_tree(tmpdir);
    return check_finish("test_model");
}
