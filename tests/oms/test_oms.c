/*
 * OMS (OpenSSF Model Signing) v1.0: the bundle and statement parsers on
 * the model-transparency vectors and on malformed documents, key loading,
 * path resolution, and verification of statements signed here (including
 * ones no honest signer writes: inconsistent subjects, odd resources).
 */
#include <errno.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../unit/check.h"
#include "core/digest.h"
#include "core/fsutil.h"
#include "modelseal/dsse.h"
#include "modelseal/keys.h"
#include "modelseal/oms.h"

static char vectors[2048];
static char tmp[1024];

static char *path_of(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *path_of(const char *fmt, ...)
{
    static char buf[8][4096];
    static int k;
    char *b = buf[k++ % 8];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(b, sizeof buf[0], fmt, ap);
    va_end(ap);
    return b;
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    CHECK(f != NULL);
    if (f == NULL)
        return;
    fputs(text, f);
    fclose(f);
}

static ms_oms_bundle *load_bundle(const char *path, ms_status want, const char *msg)
{
    char *text;
    size_t len;
    ms_error err;
    ms_status st = ms_read_file(path, MS_OMS_MAX_BUNDLE, &text, &len, &err);
    CHECK_INT(st, MS_OK);
    if (st != MS_OK)
        return NULL;
    ms_oms_bundle *b = NULL;
    st = ms_oms_bundle_parse(text, len, "model.sig", &b, &err);
    free(text);
    CHECK_INT(st, want);
    if (msg != NULL)
        CHECK_CONTAINS(err.message, msg);
    return b;
}

/* ---- the vectors ------------------------------------------------------------ */

static void test_vectors(void)
{
    ms_error err;
    ms_public_key *pk = NULL;
    uint8_t *spki = NULL;
    size_t spki_len = 0;
    /* certtool text comes before the PEM block in this file. */
    CHECK_INT(ms_oms_public_key_load(path_of("%s/keys/signing-key-pub.pem", vectors), &pk, &spki,
                                     &spki_len, &err),
              MS_OK);
    if (pk == NULL)
        return;
    CHECK_INT(ms_public_key_algorithm(pk), MS_ALG_ECDSA_P384);
    CHECK(spki != NULL);
    CHECK_INT(spki_len, 120);
    /* The v1.1.0 hint is SHA-256 of the canonical PEM. */
    size_t pem_len = 0;
    char *pem = ms_oms_spki_pem(spki, spki_len, &pem_len);
    uint8_t d[32];
    char hex[65];
    ms_sha256_buf(pem, pem_len, d);
    ms_hex_encode(d, 32, hex);
    CHECK_STR(hex, "e8450dec4eb99dae995da9af1bc2cc9f76ed669ee2e744f57abba763df3e3f8e");

    /* Text after the block too (`openssl pkey -pubin -text`). */
    char *around = malloc(pem_len + 64);
    sprintf(around, "%sPublic-Key: (384 bit)\npub:\n", pem);
    write_text(path_of("%s/around.pem", tmp), around);
    free(around);
    ms_public_key *pk2 = NULL;
    uint8_t *spki2 = NULL;
    size_t spki2_len = 0;
    CHECK_INT(ms_oms_public_key_load(path_of("%s/around.pem", tmp), &pk2, &spki2, &spki2_len,
                                     &err),
              MS_OK);
    CHECK(pk2 != NULL && strcmp(ms_public_key_id(pk2), ms_public_key_id(pk)) == 0);
    CHECK(spki2 != NULL && spki2_len == spki_len && memcmp(spki2, spki, spki_len) == 0);
    ms_public_key_free(pk2);
    free(spki2);
    /* No PEM block and no key file: refused. */
    write_text(path_of("%s/none.pem", tmp), "Public-Key: (384 bit)\n");
    CHECK(ms_oms_public_key_load(path_of("%s/none.pem", tmp), &pk2, NULL, NULL, &err) != MS_OK);
    CHECK(pk2 == NULL);

    static const struct {
        const char *dir, *subject;
        size_t resources;
        int single, has_ignore;
    } v[] = {
        {"v1.0.0-elliptic-key", "signme-1", 1, 1, 0},
        {"v1.0.1-elliptic-key", "v1.0.1-elliptic-key", 2, 0, 0},
        {"v1.1.0-elliptic-key", "v1.1.0-elliptic-key", 2, 0, 1},
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        ms_oms_bundle *b = load_bundle(path_of("%s/%s/model.sig", vectors, v[i].dir), MS_OK, NULL);
        if (b == NULL)
            continue;
        CHECK_STR(b->payload_type, MS_OMS_PAYLOAD_TYPE);
        CHECK(b->sig_len > 64 && b->sig_len <= 104);
        if (v[i].has_ignore) {
            CHECK(b->key_pem == NULL);
            CHECK_STR(b->key_hint, hex);
        } else {
            CHECK(b->key_pem != NULL && b->key_pem_len == pem_len &&
                  memcmp(b->key_pem, pem, pem_len) == 0);
            CHECK_STR(b->key_details, "PKIX_ECDSA_P384_SHA_384");
        }
        CHECK_INT(ms_oms_bundle_verify(b, pk, &err), MS_OK);
        /* One flipped signature bit: rejected. */
        b->sig[b->sig_len - 3] ^= 1;
        CHECK_INT(ms_oms_bundle_verify(b, pk, &err), MS_E_REJECTED);
        b->sig[b->sig_len - 3] ^= 1;

        ms_oms_statement *s = NULL;
        CHECK_INT(ms_oms_statement_parse(b->payload, b->payload_len, "payload", &s, &err), MS_OK);
        if (s != NULL) {
            CHECK_STR(s->subject_name, v[i].subject);
            CHECK_INT(s->resource_count, v[i].resources);
            CHECK_INT(s->single_file, v[i].single);
            CHECK_INT(s->has_ignore_paths, v[i].has_ignore);
            CHECK_INT(s->allow_symlinks, 0);
            CHECK_MEM(s->subject_digest, s->resources_digest, 32);
            CHECK_STR(s->resources[0].name, v[i].single ? "." : "signme-1");
            if (v[i].has_ignore) {
                CHECK_INT(s->ignore_count, 6);
                int found = 0;
                for (size_t j = 0; j < s->ignore_count; j++)
                    found += strcmp(s->ignore_paths[j], "ignore-me") == 0;
                CHECK_INT(found, 1);
            }
        }
        ms_oms_statement_free(s);
        ms_oms_bundle_free(b);
    }
    free(pem);
    free(spki);
    ms_public_key_free(pk);
}

/* ---- malformed bundles and statements -------------------------------------- */

static void test_bundle_malformed(void)
{
    static const char good_env[] =
        "\"dsseEnvelope\":{\"payload\":\"e30=\",\"payloadType\":\"application/vnd.in-toto+json\","
        "\"signatures\":[{\"sig\":\"AAAA\",\"keyid\":null}]}";
    static const struct {
        const char *json;
        ms_status want;
        const char *msg;
    } cases[] = {
        {"", MS_E_FORMAT, "empty document"},
        {"{", MS_E_FORMAT, "invalid JSON"},
        {"[]", MS_E_FORMAT, "not a JSON object"},
        {"{}", MS_E_FORMAT, "missing field 'mediaType'"},
        {"{\"mediaType\":\"text/plain\"}", MS_E_FORMAT, "is not a Sigstore bundle"},
        {"{\"mediaType\":\"application/vnd.dev.sigstore.bundle+json;version=0.2\"}",
         MS_E_UNSUPPORTED, "is not supported"},
        {"{\"mediaType\":\"application/vnd.dev.sigstore.bundle.v0.3+json\"}", MS_E_FORMAT,
         "missing field 'dsseEnvelope'"},
        {"{\"mediaType\":\"application/vnd.dev.sigstore.bundle.v0.3+json\","
         "\"messageSignature\":{}}",
         MS_E_UNSUPPORTED, "messageSignature"},
        {"{\"mediaType\":\"application/vnd.dev.sigstore.bundle.v0.3+json\","
         "\"dsseEnvelope\":[]}",
         MS_E_FORMAT, "'dsseEnvelope' is not an object"},
        {"{\"mediaType\":\"application/vnd.dev.sigstore.bundle.v0.3+json\","
         "\"dsseEnvelope\":{\"payloadType\":\"x\",\"signatures\":[]}}",
         MS_E_FORMAT, "dsseEnvelope: missing field 'payload'"},
        {"{\"mediaType\":\"application/vnd.dev.sigstore.bundle.v0.3+json\","
         "\"dsseEnvelope\":{\"payload\":\"e30=\",\"payloadType\":\"x\",\"signatures\":[]}}",
         MS_E_FORMAT, "field 'signatures' is empty"},
        {"{\"mediaType\":\"application/vnd.dev.sigstore.bundle.v0.3+json\","
         "\"dsseEnvelope\":{\"payload\":\"e3!=\",\"payloadType\":\"x\","
         "\"signatures\":[{\"sig\":\"AAAA\"}]}}",
         MS_E_FORMAT, "field 'payload' is not valid base64"},
        {"{\"mediaType\":\"application/vnd.dev.sigstore.bundle.v0.3+json\","
         "\"dsseEnvelope\":{\"payload\":\"e30=\",\"payloadType\":\"x\","
         "\"signatures\":[{\"sig\":\"AAAA\"},{\"sig\":\"AAAA\"}]}}",
         MS_E_UNSUPPORTED, "2 signatures"},
        {"{\"mediaType\":\"application/vnd.dev.sigstore.bundle.v0.3+json\","
         "\"dsseEnvelope\":{\"payload\":\"e30=\",\"payloadType\":\"x\","
         "\"signatures\":[{\"keyid\":\"\"}]}}",
         MS_E_FORMAT, "signatures[0]: missing field 'sig'"},
        {"{\"mediaType\":\"application/vnd.dev.sigstore.bundle.v0.3+json\","
         "\"dsseEnvelope\":{\"payload\":\"e30=\",\"payloadType\":\"x\","
         "\"signatures\":[{\"sig\":\"\"}]}}",
         MS_E_FORMAT, "field 'sig' is empty"},
        {"{\"mediaType\":\"application/vnd.dev.sigstore.bundle.v0.3+json\","
         "\"dsseEnvelope\":{\"payload\":\"e30=\",\"payloadType\":\"x\","
         "\"signatures\":[{\"sig\":\"AAAA\",\"keyid\":7}]}}",
         MS_E_FORMAT, "field 'keyid' is not a string"},
        {"{\"mediaType\":\"application/vnd.dev.sigstore.bundle.v0.3+json\","
         "\"mediaType\":\"application/vnd.dev.sigstore.bundle.v0.3+json\"}",
         MS_E_FORMAT, "duplicate"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ms_oms_bundle *b = NULL;
        ms_error err;
        ms_status st = ms_oms_bundle_parse(cases[i].json, strlen(cases[i].json), "m.sig", &b, &err);
        if (st != cases[i].want)
            fprintf(stderr, "bundle case %zu: %s\n", i, err.message);
        CHECK_INT(st, cases[i].want);
        CHECK_CONTAINS(err.message, cases[i].msg);
        CHECK(b == NULL);
    }
    /* verificationMaterial problems. */
    char buf[2048];
    static const struct {
        const char *vm;
        const char *msg;
    } vms[] = {
        {"\"verificationMaterial\":7", "'verificationMaterial' is not an object"},
        {"\"verificationMaterial\":{\"publicKey\":[]}", "'publicKey' is not an object"},
        {"\"verificationMaterial\":{\"publicKey\":{\"rawBytes\":\"**\"}}",
         "field 'rawBytes' is not valid base64"},
        {"\"verificationMaterial\":{\"publicKey\":{\"hint\":1}}", "field 'hint' is not a string"},
    };
    for (size_t i = 0; i < sizeof vms / sizeof vms[0]; i++) {
        snprintf(buf, sizeof buf,
                 "{\"mediaType\":\"application/vnd.dev.sigstore.bundle.v0.3+json\",%s,%s}",
                 vms[i].vm, good_env);
        ms_oms_bundle *b = NULL;
        ms_error err;
        CHECK_INT(ms_oms_bundle_parse(buf, strlen(buf), "m.sig", &b, &err), MS_E_FORMAT);
        CHECK_CONTAINS(err.message, vms[i].msg);
    }
    /* Certificates are noted; a null keyid is accepted (model_signing 1.0.x writes it). */
    snprintf(buf, sizeof buf,
             "{\"mediaType\":\"application/vnd.dev.sigstore.bundle.v0.3+json\","
             "\"verificationMaterial\":{\"certificate\":{},\"tlogEntries\":[]},%s}",
             good_env);
    ms_oms_bundle *b = NULL;
    ms_error err;
    CHECK_INT(ms_oms_bundle_parse(buf, strlen(buf), "m.sig", &b, &err), MS_OK);
    CHECK(b != NULL && b->has_certificate && b->key_pem == NULL && b->key_hint == NULL);
    CHECK(b != NULL && b->payload_len == 2 && memcmp(b->payload, "{}", 2) == 0);
    ms_oms_bundle_free(b);
}

#define H1 "bc9a717db6064a32cbe9eae6fc40651dd6d36ef1757183f590eff2b1765d7ebc"
#define H2 "32dcb1f8e1ae52d5963e56a6ba06ab58b424c15ed2a6b70d2feca1d089370028"
#define ROOT12 "92745110b1ab4368471cbe31664e10174e954b113a3df333db860317b2c6dec4"

/* A statement with the given pieces substituted. */
static char *statement(const char *type, const char *ptype, const char *subject,
                       const char *serialization, const char *resources)
{
    char *s = malloc(8192);
    snprintf(s, 8192,
             "{\"_type\":\"%s\",\"subject\":%s,\"predicateType\":\"%s\","
             "\"predicate\":{\"serialization\":%s,\"resources\":%s}}",
             type, subject, ptype, serialization, resources);
    return s;
}

#define ST_TYPE "https://in-toto.io/Statement/v1"
#define PR_TYPE "https://model_signing/signature/v1.0"
#define SUBJ "[{\"name\":\"m\",\"digest\":{\"sha256\":\"" ROOT12 "\"}}]"
#define SER "{\"method\":\"files\",\"hash_type\":\"sha256\",\"allow_symlinks\":false}"
#define RES                                                                                    \
    "[{\"name\":\"signme-1\",\"algorithm\":\"sha256\",\"digest\":\"" H1 "\"},"                 \
    "{\"name\":\"signme-2\",\"algorithm\":\"sha256\",\"digest\":\"" H2 "\"}]"

static void test_statement_malformed(void)
{
    static const struct {
        const char *type, *ptype, *subject, *ser, *res;
        ms_status want;
        const char *msg;
    } cases[] = {
        {ST_TYPE, PR_TYPE, SUBJ, SER, RES, MS_OK, ""},
        {"https://in-toto.io/Statement/v0.1", PR_TYPE, SUBJ, SER, RES, MS_E_UNSUPPORTED,
         "_type 'https://in-toto.io/Statement/v0.1' is not supported"},
        {ST_TYPE, "https://model_signing/Digests/v0.1", SUBJ, SER, RES, MS_E_UNSUPPORTED,
         "pre-1.0 model_signing signatures are not read"},
        {ST_TYPE, "https://slsa.dev/provenance/v1", SUBJ, SER, RES, MS_E_UNSUPPORTED,
         "predicateType 'https://slsa.dev/provenance/v1' is not supported"},
        {ST_TYPE, PR_TYPE, "[]", SER, RES, MS_E_FORMAT, "0 subjects"},
        {ST_TYPE, PR_TYPE, "[{\"name\":\"m\"}]", SER, RES, MS_E_FORMAT,
         "subject[0]: missing field 'digest'"},
        {ST_TYPE, PR_TYPE, "[{\"name\":\"m\",\"digest\":{\"sha256\":\"abc\"}}]", SER, RES,
         MS_E_FORMAT, "subject[0].digest: field 'sha256' is not 64 hex digits"},
        {ST_TYPE, PR_TYPE, SUBJ, "{\"method\":\"shards\",\"hash_type\":\"sha256\"}", RES,
         MS_E_UNSUPPORTED, "serialization method 'shards' is not supported"},
        {ST_TYPE, PR_TYPE, SUBJ,
         "{\"method\":\"files\",\"hash_type\":\"blake2\",\"allow_symlinks\":false}", RES,
         MS_E_UNSUPPORTED, "hash_type 'blake2' is not supported"},
        {ST_TYPE, PR_TYPE, SUBJ, "{\"method\":\"files\",\"hash_type\":\"sha256\"}", RES,
         MS_E_FORMAT, "missing field 'allow_symlinks'"},
        {ST_TYPE, PR_TYPE, SUBJ,
         "{\"method\":\"files\",\"hash_type\":\"sha256\",\"allow_symlinks\":\"false\"}", RES,
         MS_E_FORMAT, "'allow_symlinks' is not true or false"},
        {ST_TYPE, PR_TYPE, SUBJ,
         "{\"method\":\"files\",\"hash_type\":\"sha256\",\"allow_symlinks\":false,"
         "\"ignore_paths\":[\"../up\"]}",
         RES, MS_E_FORMAT, "ignore_paths[0] '../up': '..' path component"},
        {ST_TYPE, PR_TYPE, SUBJ, SER, "[]", MS_E_FORMAT, "field 'resources' is empty"},
        {ST_TYPE, PR_TYPE, SUBJ, SER, "{}", MS_E_FORMAT, "field 'resources' is not an array"},
        {ST_TYPE, PR_TYPE, SUBJ, SER,
         "[{\"name\":\"a\",\"algorithm\":\"sha512\",\"digest\":\"" H1 "\"}]", MS_E_UNSUPPORTED,
         "algorithm 'sha512' is not supported"},
        {ST_TYPE, PR_TYPE, SUBJ, SER, "[{\"name\":\"a\",\"algorithm\":\"sha256\"}]", MS_E_FORMAT,
         "resources[0]: missing field 'digest'"},
        {ST_TYPE, PR_TYPE, SUBJ, SER,
         "[{\"name\":\"a\",\"algorithm\":\"sha256\",\"digest\":\"xyz\"}]", MS_E_FORMAT,
         "resources[0]: field 'digest' is not 64 hex digits"},
        {ST_TYPE, PR_TYPE, SUBJ, SER,
         "[{\"name\":\"/etc/passwd\",\"algorithm\":\"sha256\",\"digest\":\"" H1 "\"}]",
         MS_E_FORMAT, "name '/etc/passwd': absolute path"},
        {ST_TYPE, PR_TYPE, SUBJ, SER,
         "[{\"name\":\"a/../../b\",\"algorithm\":\"sha256\",\"digest\":\"" H1 "\"}]",
         MS_E_FORMAT, "'..' path component"},
        {ST_TYPE, PR_TYPE, SUBJ, SER,
         "[{\"name\":\"a\",\"algorithm\":\"sha256\",\"digest\":\"" H1 "\"},"
         "{\"name\":\"a\",\"algorithm\":\"sha256\",\"digest\":\"" H2 "\"}]",
         MS_E_FORMAT, "'a' is listed twice"},
        {ST_TYPE, PR_TYPE, SUBJ, SER,
         "[{\"name\":\"a\",\"algorithm\":\"sha256\",\"digest\":\"" H1 "\"},"
         "{\"name\":\"a/b\",\"algorithm\":\"sha256\",\"digest\":\"" H2 "\"}]",
         MS_E_FORMAT, "'a' is a file and also a directory of 'a/b'"},
        {ST_TYPE, PR_TYPE, SUBJ, SER,
         "[{\"name\":\".\",\"algorithm\":\"sha256\",\"digest\":\"" H1 "\"},"
         "{\"name\":\"b\",\"algorithm\":\"sha256\",\"digest\":\"" H2 "\"}]",
         MS_E_FORMAT, "'.' (a single-file model) next to other resources"},
        {ST_TYPE, PR_TYPE, SUBJ, SER,
         "[{\"name\":\"a\\u0000b\",\"algorithm\":\"sha256\",\"digest\":\"" H1 "\"}]",
         MS_E_FORMAT, "escaped NUL"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *text = statement(cases[i].type, cases[i].ptype, cases[i].subject, cases[i].ser,
                               cases[i].res);
        ms_oms_statement *s = NULL;
        ms_error err = {0};
        ms_status st = ms_oms_statement_parse((const uint8_t *)text, strlen(text), "payload", &s,
                                              &err);
        if (st != cases[i].want)
            fprintf(stderr, "statement case %zu: %s\n", i, err.message);
        CHECK_INT(st, cases[i].want);
        if (cases[i].want != MS_OK) {
            CHECK_CONTAINS(err.message, cases[i].msg);
            CHECK(s == NULL);
        } else {
            CHECK(s != NULL && s->resource_count == 2);
            if (s != NULL) {
                char hex[65];
                ms_hex_encode(s->resources_digest, 32, hex);
                CHECK_STR(hex, ROOT12);
            }
        }
        ms_oms_statement_free(s);
        free(text);
    }
    ms_oms_statement *s = NULL;
    ms_error err;
    CHECK_INT(ms_oms_statement_parse((const uint8_t *)"[1]", 3, "payload", &s, &err), MS_E_FORMAT);
    CHECK_CONTAINS(err.message, "payload: not a JSON object");
}

/* ---- paths ------------------------------------------------------------------ */

static void test_paths(void)
{
    char m[4096];
    snprintf(m, sizeof m, "%s/pm", tmp);
    CHECK_INT(mkdir(m, 0755), 0);
    CHECK_INT(mkdir(path_of("%s/pm/sub", tmp), 0755), 0);
    char old[4096];
    CHECK(getcwd(old, sizeof old) != NULL);
    CHECK_INT(chdir(tmp), 0);
    static const struct {
        const char *path;
        int model_rel;
        ms_status want;
        const char *rel; /* NULL: none (MS_OK always sets one) */
    } cases[] = {
        {"pm/model.sig", 0, MS_OK, "model.sig"},
        {"./pm/./sub/../x", 0, MS_OK, "x"},
        {"pm/sub/", 0, MS_OK, "sub"},
        {"other.sig", 0, MS_E_USAGE, NULL},
        {"ignore-me", 1, MS_OK, "ignore-me"},
        {"sub/deep/", 1, MS_OK, "sub/deep"},
        {"pm/ignore-me", 1, MS_OK, "ignore-me"},
        {"../x", 1, MS_E_USAGE, NULL},
        {"a/../../x", 1, MS_E_USAGE, NULL},
        {"pm", 1, MS_E_USAGE, NULL},
        {"/nonexistent/elsewhere", 1, MS_E_USAGE, NULL},
        {"/", 1, MS_E_USAGE, NULL},
        {"", 1, MS_E_USAGE, NULL},
        {"", 0, MS_E_USAGE, NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *rel = NULL;
        ms_error err;
        ms_status st = ms_oms_path_in_model("pm", cases[i].path, cases[i].model_rel, &rel, &err);
        if (st != cases[i].want)
            fprintf(stderr, "path case %zu: %s\n", i, err.message);
        CHECK_INT(st, cases[i].want);
        if (cases[i].rel != NULL)
            CHECK_STR(rel, cases[i].rel);
        else
            CHECK(rel == NULL);
        free(rel);
    }
    /* Absolute paths inside the model. */
    char *rel = NULL;
    ms_error err;
    CHECK_INT(ms_oms_path_in_model("pm", path_of("%s/pm/sub/f", tmp), 0, &rel, &err), MS_OK);
    CHECK_STR(rel, "sub/f");
    free(rel);
    /* Outside: a usage error naming the path, never success without a path. */
    rel = NULL;
    CHECK_INT(ms_oms_path_in_model("pm", "/etc/passwd", 1, &rel, &err), MS_E_USAGE);
    CHECK(rel == NULL);
    CHECK_STR(err.message, "'/etc/passwd' is not inside the model 'pm'");
    CHECK_INT(ms_oms_path_in_model("pm", path_of("%s/pm/../pm2/x", tmp), 1, &rel, &err),
              MS_E_USAGE);
    CHECK(rel == NULL);
    CHECK_CONTAINS(err.message, "/pm/../pm2/x' is not inside the model 'pm'");
    CHECK_INT(chdir(old), 0);
}

/* ---- statements signed here -------------------------------------------------- */

static ms_secret_key *sk;
static ms_public_key *pk;
static uint8_t *spki;
static size_t spki_len;

static void make_key(void)
{
    ms_error err;
    CHECK_INT(ms_key_generate(MS_ALG_ECDSA_P256, &sk, &err), MS_OK);
    char name[4096];
    snprintf(name, sizeof name, "%s/k", tmp);
    CHECK_INT(ms_key_write_pair(sk, name, NULL, &err), MS_OK);
    CHECK_INT(ms_oms_public_key_load(path_of("%s/k.pub", tmp), &pk, &spki, &spki_len, &err),
              MS_OK);
    CHECK(spki != NULL && spki_len == 91);
}

/* Sign the payload text into a bundle file at path (hint: a publicKey.hint value or NULL). */
static void write_bundle(const char *path, const char *payload, const char *hint)
{
    ms_error err;
    uint8_t *pae, *sig;
    size_t pae_len, sig_len;
    CHECK_INT(ms_dsse_pae(MS_OMS_PAYLOAD_TYPE, (const uint8_t *)payload, strlen(payload), &pae,
                          &pae_len, &err),
              MS_OK);
    CHECK_INT(ms_key_sign(sk, pae, pae_len, &sig, &sig_len, &err), MS_OK);
    char *p64 = ms_base64_encode((const uint8_t *)payload, strlen(payload));
    char *s64 = ms_base64_encode(sig, sig_len);
    char *text = malloc(strlen(p64) + strlen(s64) + 1024);
    sprintf(text,
            "{\"mediaType\":\"application/vnd.dev.sigstore.bundle.v0.3+json\","
            "\"verificationMaterial\":{\"publicKey\":{\"hint\":\"%s\"},\"tlogEntries\":[]},"
            "\"dsseEnvelope\":{\"payload\":\"%s\",\"payloadType\":\"%s\","
            "\"signatures\":[{\"sig\":\"%s\",\"keyid\":\"\"}]}}",
            hint ? hint : "", p64, MS_OMS_PAYLOAD_TYPE, s64);
    write_text(path, text);
    free(text);
    free(p64);
    free(s64);
    free(pae);
    free(sig);
}

static ms_status verify(const char *model, const char *sig, ms_oms_result **r, ms_error *err)
{
    ms_oms_verify_options o = {.model_path = model, .signature_path = sig, .key = pk,
                               .key_spki = spki, .key_spki_len = spki_len};
    return ms_oms_verify(&o, r, err);
}

static void test_signed_here(void)
{
    char m[4096];
    snprintf(m, sizeof m, "%s/sm", tmp);
    CHECK_INT(mkdir(m, 0755), 0);
    write_text(path_of("%s/signme-1", m), "signme-1\n");
    write_text(path_of("%s/signme-2", m), "signme-2");
    char sig[4096];
    snprintf(sig, sizeof sig, "%s/s.sig", tmp);
    ms_oms_result *r = NULL;
    ms_error err;

    /* A consistent statement verifies; the wrong hint is only a warning. */
    char *text = statement(ST_TYPE, PR_TYPE, SUBJ, SER, RES);
    write_bundle(sig, text, "00");
    CHECK_INT(verify(m, sig, &r, &err), MS_OK);
    CHECK(r != NULL && r->key_match == MS_OMS_KEY_MISMATCH && r->warning_count == 1);
    CHECK(r != NULL && r->file_count == 2 && r->mismatch_count == 0);
    ms_oms_result_free(r);
    free(text);

    /* The subject digest must be that of the resources. */
    text = statement(ST_TYPE, PR_TYPE,
                     "[{\"name\":\"m\",\"digest\":{\"sha256\":\"" H1 "\"}}]", SER, RES);
    write_bundle(sig, text, NULL);
    CHECK_INT(verify(m, sig, &r, &err), MS_E_REJECTED);
    CHECK_CONTAINS(err.message, "the statement is inconsistent");
    CHECK(r != NULL && r->signature_valid && !r->subject_ok);
    ms_oms_result_free(r);
    free(text);

    /* Resources in another order than sorted: the subject follows the listed order. */
    text = statement(ST_TYPE, PR_TYPE, SUBJ, SER,
                     "[{\"name\":\"signme-2\",\"algorithm\":\"sha256\",\"digest\":\"" H2 "\"},"
                     "{\"name\":\"signme-1\",\"algorithm\":\"sha256\",\"digest\":\"" H1 "\"}]");
    write_bundle(sig, text, NULL);
    CHECK_INT(verify(m, sig, &r, &err), MS_E_REJECTED);
    CHECK_CONTAINS(err.message, "inconsistent");
    ms_oms_result_free(r);
    free(text);

    /* Signed but malformed: could not check. */
    text = statement(ST_TYPE, PR_TYPE, SUBJ, SER, "[]");
    write_bundle(sig, text, NULL);
    CHECK_INT(verify(m, sig, &r, &err), MS_E_FORMAT);
    CHECK_CONTAINS(err.message, "s.sig: payload: predicate: field 'resources' is empty");
    CHECK(r != NULL && r->signature_valid);
    ms_oms_result_free(r);
    free(text);

    /* A signed resource under a signed ignore path counts as removed, saying why. */
    char *ser = "{\"method\":\"files\",\"hash_type\":\"sha256\",\"allow_symlinks\":false,"
                "\"ignore_paths\":[\"signme-2\"]}";
    text = statement(ST_TYPE, PR_TYPE, SUBJ, ser, RES);
    write_bundle(sig, text, NULL);
    CHECK_INT(verify(m, sig, &r, &err), MS_E_REJECTED);
    if (r != NULL && r->file_count == 2) {
        CHECK_STR(r->files[1].name, "signme-2");
        CHECK_INT(r->files[1].state, MS_OMS_FILE_REMOVED);
        CHECK_CONTAINS(r->files[1].detail, "ignore path 'signme-2'");
    } else {
        CHECK(0);
    }
    ms_oms_result_free(r);
    free(text);

    /* No signature file: could not check, and the result says so. */
    CHECK_INT(verify(m, path_of("%s/none.sig", tmp), &r, &err), MS_E_IO);
    CHECK(r != NULL && r->status == MS_E_IO);
    ms_oms_result_free(r);
}

/* ---- ms_oms_sign, and the order of resources ----------------------------------- */

static void test_sign(void)
{
    char m[4096];
    snprintf(m, sizeof m, "%s/om", tmp);
    CHECK_INT(mkdir(m, 0755), 0);
    CHECK_INT(mkdir(path_of("%s/a", m), 0755), 0);
    CHECK_INT(mkdir(path_of("%s/.git", m), 0755), 0);
    write_text(path_of("%s/a/b", m), "1");
    write_text(path_of("%s/a-b", m), "2");
    write_text(path_of("%s/a.b", m), "3");
    write_text(path_of("%s/B", m), "4");
    write_text(path_of("%s/.git/HEAD", m), "ref");
    write_text(path_of("%s/skip.tmp", m), "5");
    char out[4096];
    snprintf(out, sizeof out, "%s/om/model.sig", tmp);
    const char *ign[] = {"skip.tmp"};
    ms_oms_sign_options o = {.model_path = m, .output_path = out, .key = sk, .key_spki = spki,
                             .key_spki_len = spki_len, .ignore_paths = ign, .ignore_count = 1};
    ms_oms_sign_info info;
    ms_error err;
    CHECK_INT(ms_oms_sign(&o, &info, &err), MS_OK);
    CHECK_INT(info.file_count, 4);
    CHECK_STR(info.subject_name, "om");

    ms_oms_bundle *b = load_bundle(out, MS_OK, NULL);
    ms_oms_statement *s = NULL;
    if (b != NULL) {
        CHECK_INT(ms_oms_bundle_verify(b, pk, &err), MS_OK);
        /* The 1.1 key material by default: the hint of the PEM, nothing else. */
        size_t pem_len;
        char *pem = ms_oms_spki_pem(spki, spki_len, &pem_len);
        uint8_t d[32];
        char hex[65];
        ms_sha256_buf(pem, pem_len, d);
        ms_hex_encode(d, 32, hex);
        CHECK_STR(b->key_hint, hex);
        CHECK(b->key_pem == NULL && b->key_details == NULL);
        free(pem);
        CHECK_INT(ms_oms_statement_parse(b->payload, b->payload_len, "p", &s, &err), MS_OK);
    }
    if (s != NULL) {
        /* Component order (as model_signing sorts paths): "a/b" before "a-b". */
        static const char *const want[] = {"B", "a/b", "a-b", "a.b"};
        CHECK_INT(s->resource_count, 4);
        for (size_t i = 0; i < 4 && i < s->resource_count; i++)
            CHECK_STR(s->resources[i].name, want[i]);
        CHECK_MEM(s->subject_digest, s->resources_digest, 32);
        CHECK_STR(s->subject_name, "om");
        CHECK(s->has_ignore_paths);
        static const char *const ig[] = {".git", ".gitattributes", ".github", ".gitignore",
                                         "model.sig", "skip.tmp"};
        CHECK_INT(s->ignore_count, 6);
        for (size_t i = 0; i < 6 && i < s->ignore_count; i++)
            CHECK_STR(s->ignore_paths[i], ig[i]);
    }
    ms_oms_statement_free(s);
    ms_oms_bundle_free(b);

    ms_oms_result *r = NULL;
    CHECK_INT(verify(m, out, &r, &err), MS_OK);
    CHECK(r != NULL && r->key_match == MS_OMS_KEY_MATCH && r->warning_count == 0);
    CHECK(r != NULL && r->ignored_count == 3); /* .git, model.sig, skip.tmp */
    char *json = r ? ms_oms_result_render(r, 1) : NULL;
    CHECK_CONTAINS(json, "\"result\":\t\"ok\"");
    free(json);
    ms_oms_result_free(r);

    /* The 1.0 key material: the PEM itself and its details; verifies the same. */
    o.material = MS_OMS_MATERIAL_1_0;
    CHECK_INT(ms_oms_sign(&o, &info, &err), MS_OK);
    b = load_bundle(out, MS_OK, NULL);
    if (b != NULL) {
        CHECK_STR(b->key_details, "PKIX_ECDSA_P256_SHA_256");
        CHECK(b->key_pem != NULL && strncmp(b->key_pem, "-----BEGIN PUBLIC KEY-----\n", 27) == 0);
        CHECK(b->key_hint == NULL);
    }
    ms_oms_bundle_free(b);
    CHECK_INT(verify(m, out, &r, &err), MS_OK);
    CHECK(r != NULL && r->key_match == MS_OMS_KEY_MATCH && r->warning_count == 0);
    ms_oms_result_free(r);
    o.material = (ms_oms_material)7;
    CHECK_INT(ms_oms_sign(&o, &info, &err), MS_E_USAGE);
    CHECK_CONTAINS(err.message, "unknown verification material format 7");
    o.material = MS_OMS_MATERIAL_1_1;

    /* Change, add, remove: each named. */
    write_text(path_of("%s/a/b", m), "changed");
    write_text(path_of("%s/new", m), "6");
    CHECK_INT(unlink(path_of("%s/B", m)), 0);
    CHECK_INT(verify(m, out, &r, &err), MS_E_REJECTED);
    CHECK_CONTAINS(err.message, "3 files differ");
    if (r != NULL) {
        CHECK_INT(r->mismatch_count, 3);
        char *text = ms_oms_result_render(r, 0);
        CHECK_CONTAINS(text, "removed:   B (signed, but missing)");
        CHECK_CONTAINS(text, "changed:   a/b (signed sha256:");
        CHECK_CONTAINS(text, "added:     new (not in the signature)");
        free(text);
    }
    ms_oms_result_free(r);

    /* Ed25519 keys are not OMS keys. */
    ms_secret_key *ed = NULL;
    CHECK_INT(ms_key_generate(MS_ALG_ED25519, &ed, &err), MS_OK);
    o.key = ed;
    CHECK_INT(ms_oms_sign(&o, NULL, &err), MS_E_UNSUPPORTED);
    CHECK_CONTAINS(err.message, "the key is ed25519");
    ms_secret_key_free(ed);

    /* A single file. */
    o.key = sk;
    o.model_path = path_of("%s/a.b", m);
    o.output_path = path_of("%s/single.sig", tmp);
    o.ignore_count = 0;
    CHECK_INT(ms_oms_sign(&o, &info, &err), MS_OK);
    CHECK_STR(info.subject_name, "a.b");
    CHECK_INT(verify(path_of("%s/a.b", m), path_of("%s/single.sig", tmp), &r, &err), MS_OK);
    CHECK(r != NULL && r->statement != NULL && r->statement->single_file);
    ms_oms_result_free(r);
    CHECK_INT(verify(m, path_of("%s/single.sig", tmp), &r, &err), MS_E_REJECTED);
    CHECK_CONTAINS(err.message, "pass that file as MODEL");
    ms_oms_result_free(r);
}

static void rm_rf(const char *p)
{
    char cmd[8300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", p);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", p);
}

int main(void)
{
    const char *src = getenv("MS_SRC");
    snprintf(vectors, sizeof vectors, "%s/tests/oms/vectors", src ? src : ".");
    const char *t = getenv("TMPDIR");
    snprintf(tmp, sizeof tmp, "%s/ms-oms-unit.XXXXXX", t && *t ? t : "/tmp");
    if (mkdtemp(tmp) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    test_vectors();
    test_bundle_malformed();
    test_statement_malformed();
    test_paths();
    make_key();
    test_signed_here();
    test_sign();
    ms_secret_key_free(sk);
    ms_public_key_free(pk);
    free(spki);
    rm_rf(tmp);
    return check_finish("test_oms");
}
