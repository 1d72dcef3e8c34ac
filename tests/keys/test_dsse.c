/*
 * DSSE: PAE, signing, verification and parsing.  Most cases are refusals:
 * tampering of any signed part, and each malformation of the envelope JSON.
 */
#include <stdint.h>

#include "../unit/check.h"
#include "modelseal/dsse.h"
#include "modelseal/keys.h"

static ms_secret_key *sk;
static ms_public_key *pk;

static void test_pae(void)
{
    ms_error err;
    uint8_t *out = NULL;
    size_t n = 0;
    CHECK_INT(ms_dsse_pae("http://example.com/HelloWorld", (const uint8_t *)"hello world", 11, &out,
                          &n, &err),
              MS_OK);
    const char *want = "DSSEv1 29 http://example.com/HelloWorld 11 hello world";
    CHECK_INT(n, strlen(want));
    CHECK(out != NULL && memcmp(out, want, n) == 0);
    free(out);
    /* Empty type and body. */
    CHECK_INT(ms_dsse_pae("", NULL, 0, &out, &n, &err), MS_OK);
    CHECK_INT(n, 12);
    CHECK(out != NULL && memcmp(out, "DSSEv1 0  0 ", 12) == 0);
    free(out);
    /* Bodies with NULs and spaces go in verbatim; lengths are bytes, not characters. */
    const uint8_t body[] = {'a', 0, ' ', 0xff};
    CHECK_INT(ms_dsse_pae("t\xc3\xa9", body, sizeof body, &out, &n, &err), MS_OK);
    CHECK_INT(n, 19);
    CHECK(out != NULL && memcmp(out, "DSSEv1 3 t\xc3\xa9 4 a\0 \xff", 19) == 0);
    free(out);
    CHECK_INT(ms_dsse_pae(NULL, body, 1, &out, &n, &err), MS_E_USAGE);
    CHECK_INT(ms_dsse_pae("t", NULL, 1, &out, &n, &err), MS_E_USAGE);
}

static void test_sign_verify(void)
{
    ms_error err;
    const char *body = "{\"_type\":\"https://in-toto.io/Statement/v1\"}";
    size_t body_len = strlen(body);
    char *json = NULL, *json2 = NULL;
    size_t len = 0, len2 = 0;
    CHECK_INT(ms_dsse_sign(MS_INTOTO_PAYLOAD_TYPE, (const uint8_t *)body, body_len, sk, &json, &len,
                           &err),
              MS_OK);
    if (json == NULL)
        return;
    CHECK_INT(strlen(json), len);

    /* The exact compact shape, built independently from the parts. */
    uint8_t *pae = NULL, *sig = NULL;
    size_t pae_len = 0, sig_len = 0;
    CHECK_INT(
        ms_dsse_pae(MS_INTOTO_PAYLOAD_TYPE, (const uint8_t *)body, body_len, &pae, &pae_len, &err),
        MS_OK);
    CHECK_INT(ms_key_sign(sk, pae, pae_len, &sig, &sig_len, &err), MS_OK);
    char *pb = ms_base64_encode((const uint8_t *)body, body_len);
    char *sb = ms_base64_encode(sig, sig_len);
    char want[1024];
    snprintf(want, sizeof want,
             "{\"payloadType\":\"application/vnd.in-toto+json\",\"payload\":\"%s\","
             "\"signatures\":[{\"keyid\":\"%s\",\"sig\":\"%s\"}]}",
             pb, ms_secret_key_id(sk), sb);
    CHECK_STR(json, want);
    free(pae);
    free(sig);
    free(pb);
    free(sb);

    /* Deterministic: signing again gives the same envelope. */
    CHECK_INT(ms_dsse_sign(MS_INTOTO_PAYLOAD_TYPE, (const uint8_t *)body, body_len, sk, &json2,
                           &len2, &err),
              MS_OK);
    CHECK_STR(json2, json);
    free(json2);

    ms_dsse_envelope *env = NULL;
    CHECK_INT(ms_dsse_parse(json, len, &env, &err), MS_OK);
    if (env == NULL) {
        free(json);
        return;
    }
    CHECK_STR(env->payload_type, MS_INTOTO_PAYLOAD_TYPE);
    CHECK_INT(env->payload_len, body_len);
    CHECK(memcmp(env->payload, body, body_len) == 0);
    CHECK_INT(env->signature_count, 1);
    CHECK_STR(env->signatures[0].keyid, ms_secret_key_id(sk));
    CHECK_INT(env->signatures[0].sig_len, 64);
    CHECK_INT(ms_dsse_verify_signature(env, 0, pk, &err), MS_OK);
    CHECK_INT(ms_dsse_verify_signature(env, 0, pk, NULL), MS_OK);

    /* Wrong key: rejected, message names the envelope's keyid and the key tried. */
    ms_secret_key *other = NULL;
    ms_public_key *opk = NULL;
    CHECK_INT(ms_key_generate(MS_ALG_ED25519, &other, &err), MS_OK);
    CHECK_INT(ms_secret_key_public(other, &opk, &err), MS_OK);
    ms_error_clear(&err);
    CHECK_INT(ms_dsse_verify_signature(env, 0, opk, &err), MS_E_REJECTED);
    CHECK_CONTAINS(err.message, "DSSE signature 0 (keyid '");
    CHECK_CONTAINS(err.message, ms_secret_key_id(sk));
    CHECK_CONTAINS(err.message, ms_public_key_id(opk));
    CHECK_INT(ms_dsse_verify_signature(env, 0, opk, NULL), MS_E_REJECTED);

    /* One flipped bit anywhere in payload or signature. */
    size_t rejected = 0;
    for (size_t i = 0; i < env->payload_len * 8; i += 7) {
        env->payload[i / 8] ^= (uint8_t)(1u << (i % 8));
        rejected += ms_dsse_verify_signature(env, 0, pk, NULL) == MS_E_REJECTED;
        env->payload[i / 8] ^= (uint8_t)(1u << (i % 8));
    }
    CHECK_INT(rejected, (env->payload_len * 8 + 6) / 7);
    rejected = 0;
    for (size_t i = 0; i < 512; i++) {
        env->signatures[0].sig[i / 8] ^= (uint8_t)(1u << (i % 8));
        rejected += ms_dsse_verify_signature(env, 0, pk, NULL) == MS_E_REJECTED;
        env->signatures[0].sig[i / 8] ^= (uint8_t)(1u << (i % 8));
    }
    CHECK_INT(rejected, 512);
    CHECK_INT(ms_dsse_verify_signature(env, 0, pk, &err), MS_OK);

    /* Payload one byte shorter; payloadType changed (same length, case, prefix). */
    env->payload_len--;
    CHECK_INT(ms_dsse_verify_signature(env, 0, pk, &err), MS_E_REJECTED);
    env->payload_len++;
    static const char *const types[] = {"application/vnd.in-toto+jsoN", "application/json",
                                        "application/vnd.in-toto+json ", ""};
    char *saved = env->payload_type;
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        env->payload_type = (char *)types[i];
        CHECK_INT(ms_dsse_verify_signature(env, 0, pk, &err), MS_E_REJECTED);
    }
    env->payload_type = saved;

    /* Truncated and empty signatures: the length is named. */
    env->signatures[0].sig_len = 63;
    ms_error_clear(&err);
    CHECK_INT(ms_dsse_verify_signature(env, 0, pk, &err), MS_E_REJECTED);
    CHECK_CONTAINS(err.message, "63 bytes");
    CHECK_CONTAINS(err.message, "64 bytes");
    env->signatures[0].sig_len = 64;
    CHECK_INT(ms_dsse_verify_signature(env, 1, pk, &err), MS_E_USAGE);
    CHECK_INT(ms_dsse_verify_signature(NULL, 0, pk, &err), MS_E_USAGE);

    ms_dsse_free(env);
    ms_public_key_free(opk);
    ms_secret_key_free(other);
    free(json);

    /* An empty payload signs and verifies too. */
    CHECK_INT(ms_dsse_sign("text/plain", NULL, 0, sk, &json, &len, &err), MS_OK);
    CHECK_CONTAINS(json, "\"payload\":\"\"");
    CHECK_INT(ms_dsse_parse(json, len, &env, &err), MS_OK);
    CHECK_INT(ms_dsse_verify_signature(env, 0, pk, &err), MS_OK);
    ms_dsse_free(env);
    free(json);
    CHECK_INT(ms_dsse_sign("t", NULL, 0, NULL, &json, &len, &err), MS_E_USAGE);
    CHECK_INT(ms_dsse_sign("t", NULL, MS_DSSE_MAX_ENVELOPE, sk, &json, &len, &err), MS_E_LIMIT);
    ms_dsse_free(NULL);
}

/* Parts of a valid envelope, used to build variants. */
static char good_payload[256], good_sig[128], good_keyid[80];

static void make_parts(void)
{
    ms_error err;
    char *json = NULL;
    size_t len = 0;
    if (ms_dsse_sign("text/plain", (const uint8_t *)"hello", 5, sk, &json, &len, &err) != MS_OK)
        abort();
    ms_dsse_envelope *env = NULL;
    if (ms_dsse_parse(json, len, &env, &err) != MS_OK)
        abort();
    char *p = ms_base64_encode(env->payload, env->payload_len);
    char *s = ms_base64_encode(env->signatures[0].sig, env->signatures[0].sig_len);
    snprintf(good_payload, sizeof good_payload, "%s", p);
    snprintf(good_sig, sizeof good_sig, "%s", s);
    snprintf(good_keyid, sizeof good_keyid, "%s", env->signatures[0].keyid);
    free(p);
    free(s);
    ms_dsse_free(env);
    free(json);
}

/* Parse text (with %P, %S, %K standing for the valid payload, sig and keyid). */
static ms_status parse_variant(const char *tmpl, ms_dsse_envelope **env, ms_error *err)
{
    char buf[8192];
    size_t o = 0;
    for (const char *t = tmpl; *t != '\0' && o < sizeof buf - 200; t++) {
        const char *sub = NULL;
        if (t[0] == '%' && t[1] == 'P')
            sub = good_payload;
        else if (t[0] == '%' && t[1] == 'S')
            sub = good_sig;
        else if (t[0] == '%' && t[1] == 'K')
            sub = good_keyid;
        if (sub != NULL) {
            size_t n = strlen(sub);
            memcpy(buf + o, sub, n);
            o += n;
            t++;
        } else {
            buf[o++] = *t;
        }
    }
    buf[o] = '\0';
    ms_error_clear(err);
    return ms_dsse_parse(buf, o, env, err);
}

static void refused(const char *tmpl, ms_status status, const char *fragment)
{
    ms_dsse_envelope *env = NULL;
    ms_error err;
    ms_status st = parse_variant(tmpl, &env, &err);
    if (st != status)
        fprintf(stderr, "envelope %s: got status %d (%s)\n", tmpl, (int)st, err.message);
    CHECK_INT(st, status);
    CHECK(env == NULL);
    CHECK_CONTAINS(err.message, "DSSE envelope");
    CHECK_CONTAINS(err.message, fragment);
    ms_dsse_free(env);
}

static void accepted(const char *tmpl, int must_verify)
{
    ms_dsse_envelope *env = NULL;
    ms_error err;
    ms_status st = parse_variant(tmpl, &env, &err);
    if (st != MS_OK)
        fprintf(stderr, "envelope %s: %s\n", tmpl, err.message);
    CHECK_INT(st, MS_OK);
    if (env != NULL && must_verify)
        CHECK_INT(ms_dsse_verify_signature(env, 0, pk, &err), MS_OK);
    ms_dsse_free(env);
}

static void test_parse(void)
{
    /* Accepted forms. */
    accepted("{\"payloadType\":\"text/plain\",\"payload\":\"%P\","
             "\"signatures\":[{\"keyid\":\"%K\",\"sig\":\"%S\"}]}",
             1);
    accepted(" {\"signatures\" : [ {\"sig\":\"%S\", \"keyid\":\"\"} ],\n"
             "  \"payload\":\"%P\", \"payloadType\":\"text/plain\"}\n",
             1);
    /* keyid absent, unknown fields at both levels (DSSE extensions). */
    accepted("{\"payloadType\":\"text/plain\",\"payload\":\"%P\",\"x-ext\":{\"a\":[1]},"
             "\"signatures\":[{\"sig\":\"%S\",\"cert\":null}]}",
             1);
    /* Several signatures; the second is checked by index. */
    {
        ms_dsse_envelope *env = NULL;
        ms_error err;
        CHECK_INT(parse_variant("{\"payloadType\":\"text/plain\",\"payload\":\"%P\","
                                "\"signatures\":[{\"keyid\":\"a\",\"sig\":\"AAAA\"},"
                                "{\"keyid\":\"\\u00e9\\u001b[2J\",\"sig\":\"AAAA\"},"
                                "{\"keyid\":\"%K\",\"sig\":\"%S\"}]}",
                                &env, &err),
                  MS_OK);
        if (env != NULL) {
            CHECK_INT(env->signature_count, 3);
            CHECK_STR(env->signatures[0].keyid, "a");
            CHECK_INT(ms_dsse_verify_signature(env, 2, pk, &err), MS_OK);
            CHECK_INT(ms_dsse_verify_signature(env, 0, pk, &err), MS_E_REJECTED);
            CHECK_CONTAINS(err.message, "DSSE signature 0 (keyid 'a')");
            CHECK_CONTAINS(err.message, "3 bytes");
            /* Control characters from the envelope are not echoed. */
            CHECK_INT(ms_dsse_verify_signature(env, 1, pk, &err), MS_E_REJECTED);
            CHECK_CONTAINS(err.message, "(keyid '???[2J')");
            ms_dsse_free(env);
        }
    }

    /* Refusals, each naming the field. */
    refused("", MS_E_FORMAT, "empty document");
    refused("{", MS_E_FORMAT, "invalid JSON");
    refused("{\"payloadType\":\"t\",\"payload\":\"%P\",\"signatures\":[{\"sig\":\"%S\"}]} x",
            MS_E_FORMAT, "trailing data");
    refused("[]", MS_E_FORMAT, "not a JSON object");
    refused("\"text\"", MS_E_FORMAT, "not a JSON object");
    refused("null", MS_E_FORMAT, "not a JSON object");
    refused("{\"payload\":\"%P\",\"signatures\":[{\"sig\":\"%S\"}]}", MS_E_FORMAT,
            "missing field 'payloadType'");
    refused("{\"payloadType\":7,\"payload\":\"%P\",\"signatures\":[{\"sig\":\"%S\"}]}", MS_E_FORMAT,
            "field 'payloadType' is not a string");
    refused("{\"payloadType\":null,\"payload\":\"%P\",\"signatures\":[{\"sig\":\"%S\"}]}",
            MS_E_FORMAT, "field 'payloadType' is not a string");
    refused("{\"payloadType\":\"t\",\"signatures\":[{\"sig\":\"%S\"}]}", MS_E_FORMAT,
            "missing field 'payload'");
    refused("{\"payloadType\":\"t\",\"payload\":[],\"signatures\":[{\"sig\":\"%S\"}]}", MS_E_FORMAT,
            "field 'payload' is not a string");
    refused("{\"payloadType\":\"t\",\"payload\":\"%P!\",\"signatures\":[{\"sig\":\"%S\"}]}",
            MS_E_FORMAT, "field 'payload' is not valid base64");
    refused("{\"payloadType\":\"t\",\"payload\":\"a\",\"signatures\":[{\"sig\":\"%S\"}]}",
            MS_E_FORMAT, "field 'payload' is not valid base64");
    refused("{\"payloadType\":\"t\",\"payload\":\"aGVs bG8=\",\"signatures\":[{\"sig\":\"%S\"}]}",
            MS_E_FORMAT, "field 'payload' is not valid base64");
    refused("{\"payloadType\":\"t\",\"payload\":\"%P\"}", MS_E_FORMAT,
            "missing field 'signatures'");
    refused("{\"payloadType\":\"t\",\"payload\":\"%P\",\"signatures\":{\"sig\":\"%S\"}}",
            MS_E_FORMAT, "field 'signatures' is not an array");
    refused("{\"payloadType\":\"t\",\"payload\":\"%P\",\"signatures\":[]}", MS_E_FORMAT,
            "field 'signatures' is empty");
    refused("{\"payloadType\":\"t\",\"payload\":\"%P\",\"signatures\":[\"%S\"]}", MS_E_FORMAT,
            "signatures[0] is not an object");
    refused("{\"payloadType\":\"t\",\"payload\":\"%P\",\"signatures\":[{\"keyid\":\"%K\"}]}",
            MS_E_FORMAT, "signatures[0]: missing field 'sig'");
    refused("{\"payloadType\":\"t\",\"payload\":\"%P\",\"signatures\":[{\"sig\":64}]}", MS_E_FORMAT,
            "signatures[0]: field 'sig' is not a string");
    refused("{\"payloadType\":\"t\",\"payload\":\"%P\",\"signatures\":[{\"sig\":\"%S=\"}]}",
            MS_E_FORMAT, "signatures[0]: field 'sig' is not valid base64");
    refused("{\"payloadType\":\"t\",\"payload\":\"%P\",\"signatures\":[{\"sig\":\"\"}]}",
            MS_E_FORMAT, "signatures[0]: field 'sig' is empty");
    refused("{\"payloadType\":\"t\",\"payload\":\"%P\","
            "\"signatures\":[{\"sig\":\"%S\",\"keyid\":1}]}",
            MS_E_FORMAT, "signatures[0]: field 'keyid' is not a string");
    refused("{\"payloadType\":\"t\",\"payload\":\"%P\","
            "\"signatures\":[{\"sig\":\"%S\",\"keyid\":null}]}",
            MS_E_FORMAT, "signatures[0]: field 'keyid' is not a string");
    refused("{\"payloadType\":\"t\",\"payload\":\"%P\","
            "\"signatures\":[{\"sig\":\"%S\"},{\"sig\":\"%S\",\"keyid\":[]}]}",
            MS_E_FORMAT, "signatures[1]: field 'keyid' is not a string");
    /* Duplicate keys, at the top level and inside a signature. */
    refused("{\"payloadType\":\"t\",\"payload\":\"%P\",\"payload\":\"%P\","
            "\"signatures\":[{\"sig\":\"%S\"}]}",
            MS_E_FORMAT, "duplicate key 'payload'");
    refused("{\"payloadType\":\"t\",\"payloadType\":\"u\",\"payload\":\"%P\","
            "\"signatures\":[{\"sig\":\"%S\"}]}",
            MS_E_FORMAT, "duplicate key 'payloadType'");
    refused("{\"payloadType\":\"t\",\"payload\":\"%P\","
            "\"signatures\":[{\"sig\":\"%S\",\"sig\":\"AAAA\"}]}",
            MS_E_FORMAT, "duplicate key 'sig'");
    refused("{\"payloadType\":\"t\",\"payload\":\"%P\","
            "\"signatures\":[{\"sig\":\"%S\",\"keyid\":\"a\",\"keyid\":\"b\"}]}",
            MS_E_FORMAT, "duplicate key 'keyid'");
    /* A NUL smuggled into a string through an escape. */
    refused("{\"payloadType\":\"text/plain\\u0000evil\",\"payload\":\"%P\","
            "\"signatures\":[{\"sig\":\"%S\"}]}",
            MS_E_FORMAT, "escaped NUL");
    refused("{\"payloadType\":\"text/plain\",\"payload\":\"%P\","
            "\"signatures\":[{\"sig\":\"%S\",\"keyid\":\"\\u0000\"}]}",
            MS_E_FORMAT, "escaped NUL");

    /* Too many signatures. */
    {
        char *buf = malloc(20000);
        size_t o = (size_t)sprintf(
            buf, "{\"payloadType\":\"t\",\"payload\":\"%s\",\"signatures\":[", good_payload);
        for (int i = 0; i <= MS_DSSE_MAX_SIGNATURES; i++)
            o += (size_t)sprintf(buf + o, "%s{\"sig\":\"%s\"}", i ? "," : "", good_sig);
        o += (size_t)sprintf(buf + o, "]}");
        ms_dsse_envelope *env = NULL;
        ms_error err;
        CHECK_INT(ms_dsse_parse(buf, o, &env, &err), MS_E_LIMIT);
        CHECK_CONTAINS(err.message, "field 'signatures' has more than 64 entries");
        /* Exactly the maximum is fine. */
        o = (size_t)sprintf(buf, "{\"payloadType\":\"t\",\"payload\":\"%s\",\"signatures\":[",
                            good_payload);
        for (int i = 0; i < MS_DSSE_MAX_SIGNATURES; i++)
            o += (size_t)sprintf(buf + o, "%s{\"sig\":\"%s\"}", i ? "," : "", good_sig);
        o += (size_t)sprintf(buf + o, "]}");
        CHECK_INT(ms_dsse_parse(buf, o, &env, &err), MS_OK);
        CHECK(env != NULL && env->signature_count == MS_DSSE_MAX_SIGNATURES);
        ms_dsse_free(env);
        free(buf);
    }
    /* Too large, before any parsing. */
    {
        size_t big = (size_t)MS_DSSE_MAX_ENVELOPE + 1;
        char *buf = malloc(big);
        memset(buf, ' ', big);
        ms_dsse_envelope *env = NULL;
        ms_error err;
        CHECK_INT(ms_dsse_parse(buf, big, &env, &err), MS_E_LIMIT);
        CHECK_CONTAINS(err.message, "exceeds the limit");
        free(buf);
    }
    /* The same bytes in URL-safe unpadded base64 verify (the signature is over the bytes). */
    {
        char p[256], s[128];
        snprintf(p, sizeof p, "%s", good_payload);
        snprintf(s, sizeof s, "%s", good_sig);
        for (char *c = s; *c; c++)
            *c = *c == '+' ? '-' : *c == '/' ? '_' : *c;
        s[strcspn(s, "=")] = '\0';
        p[strcspn(p, "=")] = '\0';
        char tmpl[512];
        snprintf(tmpl, sizeof tmpl,
                 "{\"payloadType\":\"text/plain\",\"payload\":\"%s\","
                 "\"signatures\":[{\"sig\":\"%s\"}]}",
                 p, s);
        accepted(tmpl, 1);
    }
}

int main(void)
{
    ms_error err;
    if (ms_key_generate(MS_ALG_ED25519, &sk, &err) != MS_OK ||
        ms_secret_key_public(sk, &pk, &err) != MS_OK) {
        fprintf(stderr, "key generation failed: %s\n", err.message);
        return 1;
    }
    test_pae();
    test_sign_verify();
    make_parts();
    test_parse();
    ms_public_key_free(pk);
    ms_secret_key_free(sk);
    return check_finish("test_dsse");
}
