/*
 * ECDSA P-256 and P-384 keys: generation, key files, key ids, signing and
 * verification, the strictness of DER signatures, and DSSE envelopes with
 * ECDSA keys.  OpenSSL is used here independently of the library to build
 * the encodings that must be refused or accepted.
 */
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "../unit/check.h"
#include "core/digest.h"
#include "keys_test_util.h"
#include "modelseal/dsse.h"
#include "modelseal/keys.h"

typedef struct curve {
    ms_key_algorithm alg;
    const char *name, *ossl;
    size_t spki_len, field_len;
    const char *order_hex;
} curve;

static const curve curves[] = {
    {MS_ALG_ECDSA_P256, "ecdsa-p256", "P-256", 91, 32,
     "FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551"},
    {MS_ALG_ECDSA_P384, "ecdsa-p384", "P-384", 120, 48,
     "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFC7634D81F4372DDF581A0DB248B0A77AECEC196ACCC52973"},
};

static void keyid_of_bytes(const uint8_t *p, size_t n, char out[65])
{
    uint8_t d[32];
    ms_sha256_buf(p, n, d);
    ms_hex_encode(d, 32, out);
}

static char *b64(const uint8_t *p, size_t n)
{
    return ms_base64_encode(p, n);
}

/* A public key file image for alg, holding `der` under key id `keyid`. */
static char *pub_image(const char *alg, const char *keyid, const uint8_t *der, size_t n)
{
    char *k = b64(der, n);
    char *text = malloc(strlen(k) + 512);
    sprintf(text, "modelseal-key v1\ntype: public\nalgorithm: %s\nkeyid: %s\nkey: %s\n", alg, keyid,
            k);
    free(k);
    return text;
}

static char *sec_image(const char *alg, const char *keyid, const uint8_t *der, size_t n)
{
    char *k = b64(der, n);
    char *text = malloc(strlen(k) + 512);
    sprintf(text,
            "modelseal-key v1\ntype: secret\nalgorithm: %s\nkeyid: %s\nencryption: none\nkey: %s\n",
            alg, keyid, k);
    free(k);
    return text;
}

/* Load a secret key image written with mode 0600. */
static ms_status load_secret_text(const char *text, ms_secret_key **sk, ms_error *err)
{
    char path[600];
    path_of(path, sizeof path, "t.key");
    if (write_file(path, text, strlen(text), 0600) != 0)
        abort();
    ms_status st = ms_secret_key_load(path, NULL, sk, err);
    unlink(path);
    return st;
}

static void pub_refused(const char *text, ms_status status, const char *fragment)
{
    ms_public_key *pk = NULL;
    ms_error err;
    ms_error_clear(&err);
    CHECK_INT(ms_public_key_parse(text, strlen(text), "e.pub", &pk, &err), status);
    CHECK(pk == NULL);
    CHECK_CONTAINS(err.message, "e.pub: ");
    CHECK_CONTAINS(err.message, fragment);
}

static void sec_refused(const char *text, ms_status status, const char *fragment)
{
    ms_secret_key *sk = NULL;
    ms_error err;
    ms_error_clear(&err);
    CHECK_INT(load_secret_text(text, &sk, &err), status);
    CHECK(sk == NULL);
    CHECK_CONTAINS(err.message, "t.key: ");
    CHECK_CONTAINS(err.message, fragment);
}

/* Decode the `key` field of a key file on disk. */
static uint8_t *key_bytes(const char *path, size_t *n)
{
    char *text = read_all(path);
    char *v = text != NULL ? field_of(text, "key") : NULL;
    uint8_t *raw = NULL;
    if (v == NULL || ms_base64_decode(v, strlen(v), &raw, n) != 0)
        raw = NULL;
    free(v);
    free(text);
    return raw;
}

/* DER of SEQUENCE { INTEGER r, INTEGER s } from big-endian magnitudes (minimal). */
static size_t der_sig(const uint8_t *r, size_t rn, const uint8_t *s, size_t sn, uint8_t *out)
{
    uint8_t *p = out + 2;
    const uint8_t *v[2] = {r, s};
    size_t n[2] = {rn, sn};
    for (int i = 0; i < 2; i++) {
        while (n[i] > 1 && v[i][0] == 0) {
            v[i]++;
            n[i]--;
        }
        int pad = (v[i][0] & 0x80) != 0;
        *p++ = 0x02;
        *p++ = (uint8_t)(n[i] + (size_t)pad);
        if (pad)
            *p++ = 0;
        memcpy(p, v[i], n[i]);
        p += n[i];
    }
    out[0] = 0x30;
    out[1] = (uint8_t)(p - out - 2);
    return (size_t)(p - out);
}

/* Split a DER signature into r and s magnitudes (no leading zero). */
static void split_sig(const uint8_t *sig, uint8_t *r, size_t *rn, uint8_t *s, size_t *sn)
{
    size_t pos = 2;
    uint8_t *dst[2] = {r, s};
    size_t *dn[2] = {rn, sn};
    for (int i = 0; i < 2; i++) {
        size_t n = sig[pos + 1];
        const uint8_t *v = sig + pos + 2;
        pos += 2 + n;
        while (n > 1 && v[0] == 0) {
            v++;
            n--;
        }
        memcpy(dst[i], v, n);
        *dn[i] = n;
    }
}

static void test_generate_sign_verify(const curve *c)
{
    ms_error err;
    ms_secret_key *sk = NULL, *sk2 = NULL, *other = NULL;
    ms_public_key *pk = NULL, *pk2 = NULL, *opk = NULL;
    CHECK_INT(ms_key_generate(c->alg, &sk, &err), MS_OK);
    if (sk == NULL)
        return;
    CHECK_INT(ms_secret_key_algorithm(sk), c->alg);
    CHECK_STR(ms_key_algorithm_name(c->alg), c->name);
    CHECK_INT(ms_key_algorithm_from_name(c->name), c->alg);

    char name[600], kp[700], pp[700];
    path_of(name, sizeof name, c->name);
    snprintf(kp, sizeof kp, "%s.key", name);
    snprintf(pp, sizeof pp, "%s.pub", name);
    mode_t old = umask(0);
    CHECK_INT(ms_key_write_pair(sk, name, NULL, &err), MS_OK);
    umask(old);
    struct stat st;
    CHECK(stat(kp, &st) == 0 && (st.st_mode & 07777) == 0600);
    CHECK(stat(pp, &st) == 0 && (st.st_mode & 07777) == 0644);

    /* The exact layout, and a key id that is SHA-256 of the SPKI bytes in `key`. */
    char *ptext = read_all(pp), *stext = read_all(kp);
    char want[512];
    snprintf(want, sizeof want, "modelseal-key v1\ntype: public\nalgorithm: %s\nkeyid: %s\nkey: ",
             c->name, ms_secret_key_id(sk));
    CHECK(ptext != NULL && strncmp(ptext, want, strlen(want)) == 0);
    snprintf(want, sizeof want,
             "modelseal-key v1\ntype: secret\nalgorithm: %s\nkeyid: %s\nencryption: none\nkey: ",
             c->name, ms_secret_key_id(sk));
    CHECK(stext != NULL && strncmp(stext, want, strlen(want)) == 0);
    free(ptext);
    free(stext);
    size_t spki_len = 0, p8_len = 0;
    uint8_t *spki = key_bytes(pp, &spki_len), *p8 = key_bytes(kp, &p8_len);
    CHECK(spki != NULL && p8 != NULL);
    if (spki == NULL || p8 == NULL) {
        free(spki);
        free(p8);
        ms_secret_key_free(sk);
        return;
    }
    CHECK_INT(spki_len, c->spki_len);
    char id[65];
    keyid_of_bytes(spki, spki_len, id);
    CHECK_STR(id, ms_secret_key_id(sk));
    /* OpenSSL reads both as keys on the right curve, and they are a pair. */
    const unsigned char *q = spki;
    EVP_PKEY *ospk = d2i_PUBKEY(NULL, &q, (long)spki_len);
    q = p8;
    EVP_PKEY *ossk = d2i_AutoPrivateKey(NULL, &q, (long)p8_len);
    CHECK(ospk != NULL && ossk != NULL);
    if (ospk != NULL && ossk != NULL) {
        char g[64];
        CHECK(EVP_PKEY_get_group_name(ospk, g, sizeof g, NULL) == 1);
        CHECK(strcmp(g, c->alg == MS_ALG_ECDSA_P256 ? "prime256v1" : "secp384r1") == 0);
        CHECK_INT(EVP_PKEY_eq(ospk, ossk), 1);
    }

    CHECK_INT(ms_secret_key_load(kp, NULL, &sk2, &err), MS_OK);
    CHECK_INT(ms_public_key_load(pp, &pk, &err), MS_OK);
    CHECK_INT(ms_secret_key_public(sk, &pk2, &err), MS_OK);
    if (sk2 == NULL || pk == NULL || pk2 == NULL)
        goto out;
    CHECK_STR(ms_secret_key_id(sk2), ms_secret_key_id(sk));
    CHECK_STR(ms_public_key_id(pk), ms_secret_key_id(sk));
    CHECK_STR(ms_public_key_id(pk2), ms_secret_key_id(sk));
    CHECK_INT(ms_public_key_algorithm(pk), c->alg);

    /* Round trips: generated and loaded keys, empty and non-empty messages. */
    const uint8_t msg[] = "DSSEv1 4 type 5 hello";
    uint8_t *s1 = NULL, *s2 = NULL, *s0 = NULL;
    size_t l1 = 0, l2 = 0, l0 = 0;
    CHECK_INT(ms_key_sign(sk, msg, sizeof msg, &s1, &l1, &err), MS_OK);
    CHECK_INT(ms_key_sign(sk2, msg, sizeof msg, &s2, &l2, &err), MS_OK);
    CHECK_INT(ms_key_sign(sk, NULL, 0, &s0, &l0, &err), MS_OK);
    if (s1 == NULL || s2 == NULL || s0 == NULL)
        goto out_sigs;
    CHECK(l1 <= 2 * c->field_len + 8 && s1[0] == 0x30);
    /* Randomized: two signatures of one message differ, both verify. */
    CHECK(l1 != l2 || memcmp(s1, s2, l1) != 0);
    CHECK_INT(ms_key_verify(pk, msg, sizeof msg, s1, l1, &err), MS_OK);
    CHECK_INT(ms_key_verify(pk, msg, sizeof msg, s2, l2, &err), MS_OK);
    CHECK_INT(ms_key_verify(pk2, msg, sizeof msg, s1, l1, &err), MS_OK);
    CHECK_INT(ms_key_verify(pk, NULL, 0, s0, l0, &err), MS_OK);
    /* OpenSSL, used directly, agrees: DER over SHA-256 / SHA-384 of the message. */
    if (ospk != NULL) {
        EVP_MD_CTX *m = EVP_MD_CTX_new();
        CHECK(EVP_DigestVerifyInit_ex(m, NULL, c->alg == MS_ALG_ECDSA_P256 ? "SHA256" : "SHA384",
                                      NULL, NULL, ospk, NULL) == 1);
        CHECK_INT(EVP_DigestVerify(m, s1, l1, msg, sizeof msg), 1);
        EVP_MD_CTX_free(m);
    }

    /* Wrong message, flipped bit, wrong key. */
    ms_error_clear(&err);
    CHECK_INT(ms_key_verify(pk, msg, sizeof msg - 1, s1, l1, &err), MS_E_REJECTED);
    CHECK_CONTAINS(err.message, "signature does not verify with key");
    CHECK_CONTAINS(err.message, ms_public_key_id(pk));
    CHECK_INT(ms_key_verify(pk, NULL, 0, s1, l1, &err), MS_E_REJECTED);
    s1[l1 - 1] ^= 0x01;
    CHECK_INT(ms_key_verify(pk, msg, sizeof msg, s1, l1, &err), MS_E_REJECTED);
    s1[l1 - 1] ^= 0x01;
    CHECK_INT(ms_key_generate(c->alg, &other, &err), MS_OK);
    CHECK_INT(ms_secret_key_public(other, &opk, &err), MS_OK);
    if (opk != NULL) {
        CHECK(strcmp(ms_public_key_id(opk), ms_public_key_id(pk)) != 0);
        ms_error_clear(&err);
        CHECK_INT(ms_key_verify(opk, msg, sizeof msg, s1, l1, &err), MS_E_REJECTED);
        CHECK_CONTAINS(err.message, ms_public_key_id(opk));
    }

    /* DER strictness. */
    uint8_t bad[200];
    memcpy(bad, s1, l1);
    bad[l1] = 0x00;
    ms_error_clear(&err);
    CHECK_INT(ms_key_verify(pk, msg, sizeof msg, bad, l1 + 1, &err), MS_E_REJECTED);
    CHECK_CONTAINS(err.message, "not a DER-encoded");
    CHECK_INT(ms_key_verify(pk, msg, sizeof msg, s1, l1 - 1, &err), MS_E_REJECTED);
    CHECK_INT(ms_key_verify(pk, msg, sizeof msg, s1, 0, &err), MS_E_REJECTED);
    CHECK_INT(ms_key_verify(pk, msg, sizeof msg, s1, 2, &err), MS_E_REJECTED);
    bad[1]++; /* outer length one too long */
    CHECK_INT(ms_key_verify(pk, msg, sizeof msg, bad, l1 + 1, &err), MS_E_REJECTED);
    CHECK_CONTAINS(err.message, "not a DER-encoded");
    /* Long-form outer length (BER, not DER). */
    bad[0] = 0x30;
    bad[1] = 0x81;
    bad[2] = s1[1];
    memcpy(bad + 3, s1 + 2, l1 - 2);
    CHECK_INT(ms_key_verify(pk, msg, sizeof msg, bad, l1 + 1, &err), MS_E_REJECTED);
    CHECK_CONTAINS(err.message, "not a DER-encoded");
    /* Indefinite length. */
    bad[1] = 0x80;
    memcpy(bad + 2, s1 + 2, l1 - 2);
    bad[l1] = 0;
    bad[l1 + 1] = 0;
    CHECK_INT(ms_key_verify(pk, msg, sizeof msg, bad, l1 + 2, &err), MS_E_REJECTED);
    /* A needless leading zero on r, a negative r, a wrong tag. */
    uint8_t r[80], s[80];
    size_t rn = 0, sn = 0;
    split_sig(s1, r, &rn, s, &sn);
    size_t n = 0;
    uint8_t *w = bad;
    *w++ = 0x30;
    w++;
    *w++ = 0x02;
    *w++ = (uint8_t)(rn + 1 + ((r[0] & 0x80) != 0));
    *w++ = 0x00;
    if (r[0] & 0x80)
        *w++ = 0x00;
    memcpy(w, r, rn);
    w += rn;
    *w++ = 0x02;
    *w++ = (uint8_t)(sn + ((s[0] & 0x80) != 0));
    if (s[0] & 0x80)
        *w++ = 0x00;
    memcpy(w, s, sn);
    w += sn;
    n = (size_t)(w - bad);
    bad[1] = (uint8_t)(n - 2);
    CHECK_INT(ms_key_verify(pk, msg, sizeof msg, bad, n, &err), MS_E_REJECTED);
    CHECK_CONTAINS(err.message, "not a DER-encoded");
    memcpy(bad, s1, l1);
    bad[2] = 0x04; /* OCTET STRING instead of INTEGER */
    CHECK_INT(ms_key_verify(pk, msg, sizeof msg, bad, l1, &err), MS_E_REJECTED);
    memcpy(bad, s1, l1);
    if (bad[4] == 0x00) {
        /* r has a sign byte: dropping it makes r negative. */
        memmove(bad + 4, bad + 5, l1 - 5);
        bad[3]--;
        bad[1]--;
        CHECK_INT(ms_key_verify(pk, msg, sizeof msg, bad, l1 - 1, &err), MS_E_REJECTED);
    }
    /* High S (n - s) is still a valid signature: accepted, as DER allows it. */
    BIGNUM *order = NULL, *bs = BN_bin2bn(s, (int)sn, NULL);
    CHECK(BN_hex2bn(&order, c->order_hex) > 0);
    BIGNUM *hs = BN_new();
    CHECK(BN_sub(hs, order, bs) == 1);
    uint8_t hsb[80];
    int hsn = BN_bn2bin(hs, hsb);
    n = der_sig(r, rn, hsb, (size_t)hsn, bad);
    CHECK(n != l1 || memcmp(bad, s1, n) != 0);
    CHECK_INT(ms_key_verify(pk, msg, sizeof msg, bad, n, &err), MS_OK);
    /* r = 0 and s = 0: well-formed DER, invalid signatures. */
    uint8_t zero = 0;
    n = der_sig(&zero, 1, s, sn, bad);
    CHECK_INT(ms_key_verify(pk, msg, sizeof msg, bad, n, &err), MS_E_REJECTED);
    n = der_sig(r, rn, &zero, 1, bad);
    CHECK_INT(ms_key_verify(pk, msg, sizeof msg, bad, n, &err), MS_E_REJECTED);
    /* s = n: out of range. */
    uint8_t nb[80];
    int nn = BN_bn2bin(order, nb);
    n = der_sig(r, rn, nb, (size_t)nn, bad);
    CHECK_INT(ms_key_verify(pk, msg, sizeof msg, bad, n, &err), MS_E_REJECTED);
    /* An integer longer than the field. */
    uint8_t big[60];
    memset(big, 0x11, sizeof big);
    n = der_sig(big, c->field_len + 1, s, sn, bad);
    CHECK_INT(ms_key_verify(pk, msg, sizeof msg, bad, n, &err), MS_E_REJECTED);
    CHECK_CONTAINS(err.message, "not a DER-encoded");
    BN_free(order);
    BN_free(bs);
    BN_free(hs);

    /* A 64-byte raw r||s (the other common encoding) is not DER. */
    uint8_t raw[96] = {0};
    memcpy(raw + c->field_len - rn, r, rn);
    memcpy(raw + 2 * c->field_len - sn, s, sn);
    CHECK_INT(ms_key_verify(pk, msg, sizeof msg, raw, 2 * c->field_len, &err), MS_E_REJECTED);

    /* DSSE with an ECDSA key: the envelope verifies, tampering does not. */
    const char *body = "{\"_type\":\"https://in-toto.io/Statement/v1\"}";
    char *json = NULL;
    size_t json_len = 0;
    CHECK_INT(ms_dsse_sign(MS_INTOTO_PAYLOAD_TYPE, (const uint8_t *)body, strlen(body), sk2, &json,
                           &json_len, &err),
              MS_OK);
    ms_dsse_envelope *env = NULL;
    if (json != NULL)
        CHECK_INT(ms_dsse_parse(json, json_len, &env, &err), MS_OK);
    if (env != NULL) {
        CHECK_STR(env->signatures[0].keyid, ms_secret_key_id(sk));
        CHECK_INT(ms_dsse_verify_signature(env, 0, pk, &err), MS_OK);
        if (opk != NULL)
            CHECK_INT(ms_dsse_verify_signature(env, 0, opk, &err), MS_E_REJECTED);
        env->payload[0] ^= 1;
        CHECK_INT(ms_dsse_verify_signature(env, 0, pk, &err), MS_E_REJECTED);
        ms_dsse_free(env);
    }
    free(json);

out_sigs:
    free(s0);
    free(s1);
    free(s2);
out:
    EVP_PKEY_free(ospk);
    EVP_PKEY_free(ossk);
    free(spki);
    free(p8);
    ms_public_key_free(opk);
    ms_secret_key_free(other);
    ms_public_key_free(pk);
    ms_public_key_free(pk2);
    ms_secret_key_free(sk2);
    ms_secret_key_free(sk);
}

/* DER of a fresh OpenSSL key on curve `ossl`: SPKI (uncompressed or compressed) and PKCS#8. */
static EVP_PKEY *ossl_key(const char *ossl)
{
    return EVP_PKEY_Q_keygen(NULL, NULL, "EC", ossl);
}

static uint8_t *ossl_spki(EVP_PKEY *k, int compressed, size_t *n)
{
    if (compressed &&
        EVP_PKEY_set_utf8_string_param(k, OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT,
                                       "compressed") != 1)
        return NULL;
    unsigned char *der = NULL;
    int len = i2d_PUBKEY(k, &der);
    if (compressed)
        EVP_PKEY_set_utf8_string_param(k, OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT,
                                       "uncompressed");
    if (len <= 0)
        return NULL;
    uint8_t *out = malloc((size_t)len + 8);
    memcpy(out, der, (size_t)len);
    OPENSSL_free(der);
    *n = (size_t)len;
    return out;
}

static uint8_t *ossl_p8(EVP_PKEY *k, size_t *n)
{
    PKCS8_PRIV_KEY_INFO *p8 = EVP_PKEY2PKCS8(k);
    unsigned char *der = NULL;
    int len = p8 != NULL ? i2d_PKCS8_PRIV_KEY_INFO(p8, &der) : -1;
    PKCS8_PRIV_KEY_INFO_free(p8);
    if (len <= 0)
        return NULL;
    uint8_t *out = malloc((size_t)len + 8);
    memcpy(out, der, (size_t)len);
    OPENSSL_free(der);
    *n = (size_t)len;
    return out;
}

static void test_key_file_refusals(void)
{
    EVP_PKEY *a = ossl_key("P-256"), *b = ossl_key("P-256"), *c = ossl_key("P-384");
    size_t an = 0, acn = 0, bn = 0, cn = 0, ap8n = 0, bp8n = 0, cp8n = 0;
    uint8_t *aspki = ossl_spki(a, 0, &an), *acomp = ossl_spki(a, 1, &acn),
            *bspki = ossl_spki(b, 0, &bn), *cspki = ossl_spki(c, 0, &cn);
    uint8_t *ap8 = ossl_p8(a, &ap8n), *bp8 = ossl_p8(b, &bp8n), *cp8 = ossl_p8(c, &cp8n);
    CHECK(aspki && acomp && bspki && cspki && ap8 && bp8 && cp8);
    if (!(aspki && acomp && bspki && cspki && ap8 && bp8 && cp8))
        return;
    CHECK_INT(an, 91);
    CHECK_INT(acn, 59);
    char aid[65], cid[65], compid[65];
    keyid_of_bytes(aspki, an, aid);
    keyid_of_bytes(cspki, cn, cid);
    keyid_of_bytes(acomp, acn, compid);

    /* Keys made by OpenSSL load from our format, and both halves agree. */
    ms_public_key *pk = NULL;
    ms_secret_key *sk = NULL;
    ms_error err;
    char *t = pub_image("ecdsa-p256", aid, aspki, an);
    CHECK_INT(ms_public_key_parse(t, strlen(t), "e.pub", &pk, &err), MS_OK);
    free(t);
    t = sec_image("ecdsa-p256", aid, ap8, ap8n);
    CHECK_INT(load_secret_text(t, &sk, &err), MS_OK);
    free(t);
    if (pk != NULL && sk != NULL) {
        CHECK_STR(ms_public_key_id(pk), aid);
        CHECK_STR(ms_secret_key_id(sk), aid);
        uint8_t *sig = NULL;
        size_t sl = 0;
        CHECK_INT(ms_key_sign(sk, (const uint8_t *)"m", 1, &sig, &sl, &err), MS_OK);
        CHECK_INT(ms_key_verify(pk, (const uint8_t *)"m", 1, sig, sl, &err), MS_OK);
        free(sig);
    }
    ms_public_key_free(pk);
    ms_secret_key_free(sk);
    t = pub_image("ecdsa-p384", cid, cspki, cn);
    CHECK_INT(ms_public_key_parse(t, strlen(t), "e.pub", &pk, &err), MS_OK);
    ms_public_key_free(pk);
    free(t);

    /* Public key files. */
    t = pub_image("ecdsa-p256", cid, cspki, cn);
    pub_refused(t, MS_E_KEY, "field 'key' holds an ecdsa-p384 key, but field 'algorithm' says "
                             "'ecdsa-p256'");
    free(t);
    t = pub_image("ed25519", aid, aspki, an);
    pub_refused(t, MS_E_KEY, "is 91 bytes; an ed25519 public key is 32 bytes");
    free(t);
    t = pub_image("ecdsa-p256", compid, acomp, acn);
    pub_refused(t, MS_E_KEY, "not the canonical SubjectPublicKeyInfo");
    free(t);
    t = pub_image("ecdsa-p256", aid, aspki, an - 1);
    pub_refused(t, MS_E_FORMAT, "field 'key' is not a DER SubjectPublicKeyInfo");
    free(t);
    aspki[an] = 0x00;
    t = pub_image("ecdsa-p256", aid, aspki, an + 1);
    pub_refused(t, MS_E_FORMAT, "bytes after the SubjectPublicKeyInfo");
    free(t);
    t = pub_image("ecdsa-p256", aid, (const uint8_t *)"\x01\x02\x03", 3);
    pub_refused(t, MS_E_FORMAT, "not a DER SubjectPublicKeyInfo");
    free(t);
    t = pub_image("ecdsa-p256", aid, ap8, ap8n);
    pub_refused(t, MS_E_FORMAT, "not a DER SubjectPublicKeyInfo");
    free(t);
    /* A point off the curve. */
    aspki[an - 1] ^= 0x01;
    t = pub_image("ecdsa-p256", aid, aspki, an);
    pub_refused(t, MS_E_KEY, "field 'key' is not a valid ecdsa-p256 public key");
    free(t);
    aspki[an - 1] ^= 0x01;
    t = pub_image("ecdsa-p256", cid, aspki, an);
    pub_refused(t, MS_E_KEY, "field 'keyid' does not match the key");
    free(t);
    t = pub_image("ecdsa-p521", aid, aspki, an);
    pub_refused(t, MS_E_UNSUPPORTED, "unsupported algorithm 'ecdsa-p521'");
    free(t);

    /* Secret key files. */
    t = sec_image("ecdsa-p256", cid, cp8, cp8n);
    sec_refused(t, MS_E_KEY, "holds an ecdsa-p384 key, but field 'algorithm' says 'ecdsa-p256'");
    free(t);
    t = sec_image("ecdsa-p256", cid, ap8, ap8n);
    sec_refused(t, MS_E_KEY, "field 'keyid' does not match the key");
    free(t);
    t = sec_image("ecdsa-p256", aid, ap8, ap8n - 1);
    sec_refused(t, MS_E_FORMAT, "field 'key' is not an unencrypted DER PKCS#8 private key");
    free(t);
    ap8[ap8n] = 0;
    t = sec_image("ecdsa-p256", aid, ap8, ap8n + 1);
    sec_refused(t, MS_E_FORMAT, "bytes after the PKCS#8 private key");
    free(t);
    t = sec_image("ecdsa-p256", aid, aspki, an);
    sec_refused(t, MS_E_FORMAT, "not an unencrypted DER PKCS#8");
    free(t);
    t = sec_image("ed25519", aid, ap8, ap8n);
    sec_refused(t, MS_E_KEY, "an ed25519 secret key (seed) is 32 bytes");
    free(t);
    /* The public key inside the PKCS#8 belongs to another private key. */
    if (ap8n > 65 && memcmp(ap8 + ap8n - 65, aspki + an - 65, 65) == 0) {
        memcpy(ap8 + ap8n - 65, bspki + bn - 65, 65);
        t = sec_image("ecdsa-p256", aid, ap8, ap8n);
        sec_refused(t, MS_E_KEY, "field 'key' is not a valid ecdsa-p256 private key");
        free(t);
    } else {
        CHECK(!"OpenSSL's PKCS#8 does not end with the public key");
    }

    free(aspki);
    free(acomp);
    free(bspki);
    free(cspki);
    free(ap8);
    free(bp8);
    free(cp8);
    EVP_PKEY_free(a);
    EVP_PKEY_free(b);
    EVP_PKEY_free(c);
}

static void test_cross_algorithm(void)
{
    ms_error err;
    ms_secret_key *ed = NULL, *p256 = NULL, *p384 = NULL;
    ms_public_key *edp = NULL, *p256p = NULL, *p384p = NULL;
    CHECK_INT(ms_key_generate(MS_ALG_ED25519, &ed, &err), MS_OK);
    CHECK_INT(ms_key_generate(MS_ALG_ECDSA_P256, &p256, &err), MS_OK);
    CHECK_INT(ms_key_generate(MS_ALG_ECDSA_P384, &p384, &err), MS_OK);
    if (ed == NULL || p256 == NULL || p384 == NULL)
        goto out;
    ms_secret_key_public(ed, &edp, &err);
    ms_secret_key_public(p256, &p256p, &err);
    ms_secret_key_public(p384, &p384p, &err);
    const uint8_t msg[] = "m";
    uint8_t *s_ed = NULL, *s_256 = NULL, *s_384 = NULL;
    size_t l_ed = 0, l_256 = 0, l_384 = 0;
    ms_key_sign(ed, msg, 1, &s_ed, &l_ed, &err);
    ms_key_sign(p256, msg, 1, &s_256, &l_256, &err);
    ms_key_sign(p384, msg, 1, &s_384, &l_384, &err);
    CHECK_INT(l_ed, 64);
    /* Every signature verifies only under its own key. */
    CHECK_INT(ms_key_verify(edp, msg, 1, s_256, l_256, &err), MS_E_REJECTED);
    CHECK_INT(ms_key_verify(p256p, msg, 1, s_ed, l_ed, &err), MS_E_REJECTED);
    CHECK_INT(ms_key_verify(p256p, msg, 1, s_384, l_384, &err), MS_E_REJECTED);
    CHECK_INT(ms_key_verify(p384p, msg, 1, s_256, l_256, &err), MS_E_REJECTED);
    CHECK_INT(ms_key_verify(p384p, msg, 1, s_384, l_384, &err), MS_OK);
    CHECK_INT(ms_key_verify(p256p, msg, 1, s_256, l_256, &err), MS_OK);
    CHECK_INT(ms_key_verify(edp, msg, 1, s_ed, l_ed, &err), MS_OK);
    free(s_ed);
    free(s_256);
    free(s_384);
out:
    ms_public_key_free(edp);
    ms_public_key_free(p256p);
    ms_public_key_free(p384p);
    ms_secret_key_free(ed);
    ms_secret_key_free(p256);
    ms_secret_key_free(p384);
    CHECK_INT(ms_key_algorithm_from_name("ecdsa-p521"), 0);
    CHECK_INT(ms_key_algorithm_from_name("ECDSA-P256"), 0);
    CHECK_INT(ms_key_algorithm_from_name(NULL), 0);
    CHECK_INT(ms_key_algorithm_from_name("ed25519"), MS_ALG_ED25519);
}

int main(void)
{
    if (make_tmpdir("ecdsa") != 0)
        return 1;
    for (size_t i = 0; i < sizeof curves / sizeof curves[0]; i++)
        test_generate_sign_verify(&curves[i]);
    test_key_file_refusals();
    test_cross_algorithm();
    remove_tmpdir();
    return check_finish("test_ecdsa");
}
