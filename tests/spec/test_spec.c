/* Unit tests for packager/spec.c: fields, messages, enums, digests, dataset hashing. */
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "core/digest.h"
#include "packager/spec.h"

static char tmpdir[256];

/* Parse from an exact-size heap copy (no NUL after it) so sanitizers see overreads. */
static ms_status parse(const char *text, ms_spec **out, ms_error *err)
{
    size_t len = strlen(text);
    char *copy = malloc(len ? len : 1);
    if (copy == NULL)
        abort();
    memcpy(copy, text, len);
    ms_error_clear(err);
    ms_status st = ms_spec_parse(copy, len, "modelseal.json", tmpdir, out, err);
    free(copy);
    return st;
}

#define CHECK_REFUSED(text, want_st, want_msg)                                             \
    do {                                                                                   \
        ms_spec *refused_s_ = (ms_spec *)1;                                                \
        ms_error refused_e_;                                                               \
        CHECK_INT(parse((text), &refused_s_, &refused_e_), (want_st));                     \
        CHECK(refused_s_ == NULL);                                                         \
        const char *refused_w_ = (want_msg);                                               \
        if (refused_w_ != NULL)                                                            \
            CHECK_STR(refused_e_.message, refused_w_);                                     \
    } while (0)

#define H64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define V "{\"specVersion\":1,"

static void test_refusals(void)
{
    CHECK_REFUSED("[]", MS_E_USAGE, "modelseal.json: must be a JSON object");
    CHECK_REFUSED("{}", MS_E_USAGE, "modelseal.json: missing field 'specVersion'");
    CHECK_REFUSED("{\"specVersion\":2}", MS_E_UNSUPPORTED,
                  "modelseal.json: unsupported specVersion 2 (this modelseal reads version 1)");
    CHECK_REFUSED("{\"specVersion\":\"1\"}", MS_E_USAGE,
                  "modelseal.json: specVersion must be an integer");
    CHECK_REFUSED(V "\"nmae\":\"x\"}", MS_E_USAGE,
                  "modelseal.json: unknown field 'nmae' (did you mean 'name'?)");
    CHECK_REFUSED(V "\"zzzzzz\":1}", MS_E_USAGE,
                  "modelseal.json: unknown field 'zzzzzz' (known fields: specVersion, name, "
                  "version, description, authors, license, card, baseModels, datasets, recipe)");
    CHECK_REFUSED(V "\"name\":\"Bad Name\"}", MS_E_USAGE, NULL);
    {
        ms_spec *s = NULL;
        ms_error e;
        CHECK_INT(parse(V "\"name\":\"Bad Name\"}", &s, &e), MS_E_USAGE);
        CHECK_CONTAINS(e.message, "modelseal.json: name: invalid name 'Bad Name': ");
        CHECK_INT(parse(V "\"version\":\"1.0\"}", &s, &e), MS_E_USAGE);
        CHECK_CONTAINS(e.message, "modelseal.json: version: invalid version '1.0': ");
    }
    CHECK_REFUSED(V "\"version\":\"1.0\"}", MS_E_USAGE, NULL);
    CHECK_REFUSED(V "\"name\":7}", MS_E_USAGE, "modelseal.json: name must be a string");
    CHECK_REFUSED(V "\"description\":\"\"}", MS_E_USAGE,
                  "modelseal.json: description must not be empty");
    CHECK_REFUSED(V "\"authors\":\"me\"}", MS_E_USAGE,
                  "modelseal.json: authors must be an array of strings");
    CHECK_REFUSED(V "\"authors\":[\"a\",3]}", MS_E_USAGE,
                  "modelseal.json: authors[1] must be a non-empty UTF-8 string");
    CHECK_REFUSED(V "\"card\":{\"intendedUse\":\"x\",\"limitation\":\"y\"}}", MS_E_USAGE,
                  "modelseal.json: card: unknown field 'limitation' (did you mean "
                  "'limitations'?)");
    CHECK_REFUSED(V "\"card\":[]}", MS_E_USAGE, "modelseal.json: card must be an object");

    /* Datasets. */
    CHECK_REFUSED(V "\"datasets\":[{\"name\":\"d\",\"role\":\"training\",\"uri\":\"u\","
                    "\"lisence\":\"MIT\"}]}",
                  MS_E_USAGE,
                  "modelseal.json: datasets[0]: unknown field 'lisence' (did you mean "
                  "'license'?)");
    CHECK_REFUSED(V "\"datasets\":[{\"role\":\"training\",\"uri\":\"u\"}]}", MS_E_USAGE,
                  "modelseal.json: datasets[0]: missing field 'name'");
    CHECK_REFUSED(V "\"datasets\":[{\"name\":\"d\",\"uri\":\"u\",\"role\":\"training\"},"
                    "{\"name\":\"d\",\"uri\":\"u\"}]}",
                  MS_E_USAGE, "modelseal.json: datasets[1]: missing field 'role'");
    CHECK_REFUSED(V "\"datasets\":[{\"name\":\"d\",\"uri\":\"u\",\"role\":\"train\"}]}",
                  MS_E_USAGE,
                  "modelseal.json: datasets[0].role: unknown role 'train' (did you mean "
                  "'training'?)");
    CHECK_REFUSED(V "\"datasets\":[{\"name\":\"d\",\"uri\":\"u\",\"role\":\"xyz\"}]}",
                  MS_E_USAGE,
                  "modelseal.json: datasets[0].role: unknown role 'xyz' (known: training, "
                  "evaluation, calibration)");
    CHECK_REFUSED(V "\"datasets\":[{\"name\":\"d\",\"role\":\"training\"}]}", MS_E_USAGE,
                  "modelseal.json: datasets[0]: needs 'digest', 'path' or 'uri'");
    CHECK_REFUSED(V "\"datasets\":[{\"name\":\"d\",\"role\":\"training\",\"digest\":\"" H64
                    "\"}]}",
                  MS_E_USAGE,
                  "modelseal.json: datasets[0].digest must be sha256:<64 lower-case hex "
                  "digits>, not '" H64 "'");
    CHECK_REFUSED(V "\"datasets\":[{\"name\":\"d\",\"role\":\"training\",\"digest\":"
                    "\"sha256:ABCDEF\"}]}",
                  MS_E_USAGE,
                  "modelseal.json: datasets[0].digest must be sha256:<64 lower-case hex "
                  "digits>, not 'sha256:ABCDEF'");
    CHECK_REFUSED(V "\"datasets\":[{\"name\":\"d\",\"role\":\"training\",\"uri\":\"u\","
                    "\"records\":-1}]}",
                  MS_E_USAGE, "modelseal.json: datasets[0].records must be a non-negative integer");
    CHECK_REFUSED(V "\"datasets\":[{\"name\":\"d\",\"role\":\"training\",\"uri\":\"u\","
                    "\"records\":1.5}]}",
                  MS_E_USAGE, "modelseal.json: datasets[0].records must be a non-negative integer");
    CHECK_REFUSED(V "\"datasets\":[{\"name\":\"d\",\"role\":\"training\",\"path\":\"nope\"}]}",
                  MS_E_IO, NULL);
    CHECK_REFUSED(V "\"datasets\":{}}", MS_E_USAGE, "modelseal.json: datasets must be an array");
    CHECK_REFUSED(V "\"datasets\":[1]}", MS_E_USAGE,
                  "modelseal.json: datasets[0] must be an object");

    /* Base models. */
    CHECK_REFUSED(V "\"baseModels\":[{\"name\":\"b\",\"relation\":\"finetune\"}]}", MS_E_USAGE,
                  "modelseal.json: baseModels[0]: needs 'digest' or 'bundle' (the parent "
                  "model's manifest digest)");
    CHECK_REFUSED(V "\"baseModels\":[{\"name\":\"b\",\"digest\":\"sha256:" H64 "\"}]}",
                  MS_E_USAGE, "modelseal.json: baseModels[0]: missing field 'relation'");
    CHECK_REFUSED(V "\"baseModels\":[{\"name\":\"b\",\"digest\":\"sha256:" H64
                    "\",\"relation\":\"fine-tune\"}]}",
                  MS_E_USAGE,
                  "modelseal.json: baseModels[0].relation: unknown relation 'fine-tune' (did "
                  "you mean 'finetune'?)");
    CHECK_REFUSED(V "\"baseModels\":[{\"name\":\"b\",\"digest\":\"sha256:" H64
                    "\",\"relation\":\"merge\",\"bundel\":\"x\"}]}",
                  MS_E_USAGE,
                  "modelseal.json: baseModels[0]: unknown field 'bundel' (did you mean "
                  "'bundle'?)");

    /* The recipe is checked with its own messages, under the spec's name. */
    CHECK_REFUSED(V "\"recipe\":{\"recipeVersion\":1,\"defualt\":\"q8_0\"}}", MS_E_USAGE,
                  "modelseal.json: recipe: unknown field 'defualt' (did you mean 'default'?)");
    CHECK_REFUSED(V "\"recipe\":\"q8_0\"}", MS_E_USAGE,
                  "modelseal.json: recipe must be an object");
    /* Strict JSON. */
    CHECK_REFUSED(V "\"name\":\"a\",\"name\":\"b\"}", MS_E_FORMAT, NULL);
}

static void test_licenses(void)
{
    ms_spec *s = NULL;
    ms_error e;
    CHECK_INT(parse(V "\"license\":\"apache-2.0 or mit\"}", &s, &e), MS_OK);
    if (s != NULL)
        CHECK_STR(s->license, "Apache-2.0 OR MIT");
    ms_spec_free(s);
    CHECK_INT(parse(V "\"license\":\"Apache2.0\"}", &s, &e), MS_E_USAGE);
    CHECK_CONTAINS(e.message, "modelseal.json: license: ");
    CHECK_CONTAINS(e.message, "Apache-2.0");
    CHECK_INT(parse(V "\"datasets\":[{\"name\":\"d\",\"role\":\"training\",\"uri\":\"u\","
                      "\"license\":\"CC-BY-4.0 AND\"}]}",
                    &s, &e),
              MS_E_USAGE);
    CHECK_CONTAINS(e.message, "modelseal.json: datasets[0].license: ");
    CHECK_INT(parse(V "\"baseModels\":[{\"name\":\"b\",\"relation\":\"adapter\",\"digest\":"
                      "\"sha256:" H64 "\",\"license\":\"NotALicense-9\"}]}",
                    &s, &e),
              MS_E_USAGE);
    CHECK_CONTAINS(e.message, "modelseal.json: baseModels[0].license: ");
    /* A deprecated id is accepted with a warning naming the field. */
    CHECK_INT(parse(V "\"license\":\"GPL-2.0\"}", &s, &e), MS_OK);
    if (s != NULL) {
        CHECK_CONTAINS(s->warnings, "modelseal.json: license: ");
        ms_spec_free(s);
    }
}

static void test_full(void)
{
    ms_spec *s = NULL;
    ms_error e;
    const char *doc =
        V "\"name\":\"m\",\"version\":\"1.2.3\",\"description\":\"d\",\"authors\":[\"A\",\"B\"],"
        "\"license\":\"MIT\",\"card\":{\"intendedUse\":\"i\",\"outOfScopeUse\":\"o\","
        "\"limitations\":\"l\"},"
        "\"baseModels\":[{\"name\":\"p\",\"uri\":\"https://x\",\"digest\":\"sha256:" H64 "\","
        "\"license\":\"mit\",\"relation\":\"quantized\"}],"
        "\"datasets\":[{\"name\":\"d1\",\"uri\":\"https://d\",\"digest\":\"sha256:" H64 "\","
        "\"role\":\"calibration\",\"records\":42},{\"name\":\"d2\",\"uri\":\"u\",\"role\":"
        "\"evaluation\"}],"
        "\"recipe\":{\"recipeVersion\":1,\"default\":\"q8_0\"}}";
    CHECK_INT(parse(doc, &s, &e), MS_OK);
    if (s == NULL)
        return;
    CHECK_STR(s->name, "m");
    CHECK_STR(s->version, "1.2.3");
    CHECK_INT(s->author_count, 2);
    CHECK_STR(s->authors[1], "B");
    CHECK_STR(s->limitations, "l");
    CHECK_INT(s->base_model_count, 1);
    CHECK_STR(s->base_models[0].hex, H64);
    CHECK_STR(s->base_models[0].license, "MIT");
    CHECK_STR(s->base_models[0].relation, "quantized");
    CHECK_INT(s->dataset_count, 2);
    CHECK_INT(s->datasets[0].records, 42);
    CHECK_INT(s->datasets[0].has_records, 1);
    CHECK_INT(s->datasets[1].has_records, 0);
    CHECK_STR(s->datasets[1].hex, "");
    CHECK_STR(s->recipe_json, "{\"recipeVersion\":1,\"default\":\"q8_0\"}");
    /* The spec digest is of the bytes as given. */
    uint8_t dg[MS_SHA256_LEN];
    char hex[MS_SHA256_HEX_LEN + 1];
    ms_sha256_buf(doc, strlen(doc), dg);
    ms_hex_encode(dg, MS_SHA256_LEN, hex);
    CHECK_STR(s->hex, hex);
    CHECK(s->warnings == NULL);
    ms_spec_free(s);
    /* Minimal. */
    CHECK_INT(parse("{\"specVersion\":1}", &s, &e), MS_OK);
    if (s != NULL) {
        CHECK(s->name == NULL && s->dataset_count == 0 && !s->has_datasets);
        ms_spec_free(s);
    }
}

static void write_file(const char *rel, const char *content)
{
    char p[512];
    snprintf(p, sizeof p, "%s/%s", tmpdir, rel);
    FILE *f = fopen(p, "wb");
    if (f == NULL)
        abort();
    fputs(content, f);
    fclose(f);
}

static void hex_of(const char *content, char hex[65])
{
    uint8_t dg[MS_SHA256_LEN];
    ms_sha256_buf(content, strlen(content), dg);
    ms_hex_encode(dg, MS_SHA256_LEN, hex);
}

static void test_dataset_digest(void)
{
    char p[512], hex[65], want[65];
    ms_error e;
    write_file("one.csv", "1,2,3\n");
    snprintf(p, sizeof p, "%s/one.csv", tmpdir);
    CHECK_INT(ms_dataset_digest(p, "t", hex, &e), MS_OK);
    hex_of("1,2,3\n", want);
    CHECK_STR(hex, want);

    /* A directory: dot-files included, nested, sorted bytewise ('.' < '/' < 'B' < 'a'). */
    snprintf(p, sizeof p, "%s/ds", tmpdir);
    mkdir(p, 0755);
    snprintf(p, sizeof p, "%s/ds/a", tmpdir);
    mkdir(p, 0755);
    snprintf(p, sizeof p, "%s/ds/empty", tmpdir);
    mkdir(p, 0755);
    write_file("ds/a/b", "ab\n");
    write_file("ds/a.b", "a.b\n");
    write_file("ds/B", "B\n");
    write_file("ds/.hidden", "h\n");
    const char *order[][2] = {{".hidden", "h\n"}, {"B", "B\n"}, {"a.b", "a.b\n"},
                              {"a/b", "ab\n"}};
    char lines[1024] = "";
    for (size_t i = 0; i < 4; i++) {
        char fh[65];
        hex_of(order[i][1], fh);
        strcat(lines, fh);
        strcat(lines, "  ");
        strcat(lines, order[i][0]);
        strcat(lines, "\n");
    }
    hex_of(lines, want);
    snprintf(p, sizeof p, "%s/ds", tmpdir);
    CHECK_INT(ms_dataset_digest(p, "t", hex, &e), MS_OK);
    CHECK_STR(hex, want);

    /* Through the spec: path relative to the spec's directory, digest must agree. */
    ms_spec *s = NULL;
    char doc[512];
    snprintf(doc, sizeof doc,
             V "\"datasets\":[{\"name\":\"d\",\"role\":\"training\",\"path\":\"ds\","
               "\"digest\":\"sha256:%s\"}]}", want);
    CHECK_INT(parse(doc, &s, &e), MS_OK);
    if (s != NULL) {
        CHECK_STR(s->datasets[0].hex, want);
        ms_spec_free(s);
    }
    snprintf(doc, sizeof doc,
             V "\"datasets\":[{\"name\":\"d\",\"role\":\"training\",\"path\":\"ds\","
               "\"digest\":\"sha256:" H64 "\"}]}");
    CHECK_INT(parse(doc, &s, &e), MS_E_USAGE);
    char msg[512];
    snprintf(msg, sizeof msg,
             "modelseal.json: datasets[0]: digest sha256:" H64 " differs from the content of "
             "'path', sha256:%s", want);
    CHECK_STR(e.message, msg);

    /* Symbolic links inside a directory are refused, naming the field. */
    snprintf(p, sizeof p, "%s/ds/link", tmpdir);
    CHECK_INT(symlink("B", p), 0);
    CHECK_INT(parse(V "\"datasets\":[{\"name\":\"d\",\"role\":\"training\",\"path\":\"ds\"}]}",
                    &s, &e),
              MS_E_UNSUPPORTED);
    CHECK_STR(e.message, "modelseal.json: datasets[0].path: 'link' is a symbolic link, not a "
                         "regular file or a directory");
    unlink(p);

    /* Not a bundle. */
    CHECK_INT(parse(V "\"baseModels\":[{\"name\":\"b\",\"relation\":\"finetune\",\"bundle\":"
                      "\"one.csv\"}]}",
                    &s, &e),
              e.status);
    CHECK(s == NULL);
    CHECK_CONTAINS(e.message, "modelseal.json: baseModels[0].bundle: ");
}

static void rm_tree(void)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", tmpdir);
}

int main(void)
{
    const char *t = getenv("TMPDIR");
    snprintf(tmpdir, sizeof tmpdir, "%s/ms-spec-XXXXXX", t != NULL && t[0] ? t : "/tmp");
    if (mkdtemp(tmpdir) == NULL)
        return 2;
    test_refusals();
    test_licenses();
    test_full();
    test_dataset_digest();
    rm_tree();
    return check_finish("spec");
}
