/*
 * Encrypted secret key files (argon2id-xchacha20poly1305) and the
 * passphrase helpers.  Key files are built here with libsodium directly,
 * from the format as docs/keys.md describes it (small Argon2id limits keep
 * this fast), and files written by the library are decrypted here the same
 * way; then every way a file can be wrong is refused, naming the field.
 */
#include <sodium.h>

#include "../unit/check.h"
#include "core/digest.h"
#include "keys_test_util.h"
#include "modelseal/dsse.h"
#include "modelseal/keys.h"

#define ENC "argon2id-xchacha20poly1305"

/* RFC 8032 test 1. */
#define RFC1_SEED "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"
#define RFC1_PK "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
#define RFC1_SIG                                                                                   \
    "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e"         \
    "39701cf9b46bd25bf5f0595bbe24655141438e7a100b"

static uint8_t rfc1_seed[32];
static char rfc1_keyid[65], other_keyid[65];

/* The header (additional data) and key file image, as docs/keys.md specifies them. */
typedef struct enc_spec {
    const char *alg, *keyid;
    const char *ops, *mem; /* decimal, as written */
    uint8_t salt[16], nonce[24];
} enc_spec;

static char *enc_header(const enc_spec *s)
{
    char *salt = ms_base64_encode(s->salt, 16), *nonce = ms_base64_encode(s->nonce, 24);
    char *h = malloc(1024);
    snprintf(h, 1024,
             "modelseal-key v1\ntype: secret\nalgorithm: %s\nkeyid: %s\nencryption: " ENC "\n"
             "kdf-opslimit: %s\nkdf-memlimit: %s\nsalt: %s\nnonce: %s\n",
             s->alg, s->keyid, s->ops, s->mem, salt, nonce);
    free(salt);
    free(nonce);
    return h;
}

/* Encrypt secret (n bytes) under pass; the key file image, malloc'd. */
static char *enc_image(const enc_spec *s, const uint8_t *secret, size_t n, const char *pass)
{
    char *h = enc_header(s);
    uint8_t key[32];
    unsigned long long ops = strtoull(s->ops, NULL, 10), mem = strtoull(s->mem, NULL, 10);
    if (crypto_pwhash(key, 32, pass, strlen(pass), s->salt, ops, (size_t)mem,
                      crypto_pwhash_ALG_ARGON2ID13) != 0)
        abort();
    uint8_t *ct = malloc(n + 16);
    unsigned long long cl = 0;
    crypto_aead_xchacha20poly1305_ietf_encrypt(ct, &cl, secret, n, (const uint8_t *)h, strlen(h),
                                               NULL, s->nonce, key);
    char *b = ms_base64_encode(ct, (size_t)cl);
    char *text = malloc(strlen(h) + strlen(b) + 16);
    sprintf(text, "%skey: %s\n", h, b);
    free(b);
    free(ct);
    free(h);
    return text;
}

static void spec_init(enc_spec *s, const char *alg, const char *keyid)
{
    memset(s, 0, sizeof *s);
    s->alg = alg;
    s->keyid = keyid;
    s->ops = "1";
    s->mem = "8192";
    for (int i = 0; i < 16; i++)
        s->salt[i] = (uint8_t)(0x10 + i);
    for (int i = 0; i < 24; i++)
        s->nonce[i] = (uint8_t)(0xa0 + i);
}

static char keypath[700];

static ms_status load_text(const char *text, mode_t mode, const char *pass, ms_secret_key **sk,
                           ms_error *err)
{
    if (write_file(keypath, text, strlen(text), mode) != 0)
        abort();
    ms_error_clear(err);
    return ms_secret_key_load(keypath, pass, sk, err);
}

/* Refused with status; the message is "<path>: " + fragment somewhere. */
static void refused(const char *text, const char *pass, ms_status status, const char *fragment)
{
    ms_secret_key *sk = NULL;
    ms_error err;
    CHECK_INT(load_text(text, 0600, pass, &sk, &err), status);
    CHECK(sk == NULL);
    CHECK_CONTAINS(err.message, keypath);
    CHECK_CONTAINS(err.message, fragment);
}

static void exact(const char *text, const char *pass, ms_status status, const char *tail)
{
    ms_secret_key *sk = NULL;
    ms_error err;
    CHECK_INT(load_text(text, 0600, pass, &sk, &err), status);
    CHECK(sk == NULL);
    char want[900];
    snprintf(want, sizeof want, "%s: %s", keypath, tail);
    CHECK_STR(err.message, want);
}

static void test_handmade_ed25519(void)
{
    enc_spec s;
    spec_init(&s, "ed25519", rfc1_keyid);
    char *good = enc_image(&s, rfc1_seed, 32, "correct horse");
    ms_secret_key *sk = NULL;
    ms_error err;

    /* Loads with the passphrase; it is RFC 8032's key 1. */
    CHECK_INT(load_text(good, 0600, "correct horse", &sk, &err), MS_OK);
    if (sk != NULL) {
        CHECK_STR(ms_secret_key_id(sk), rfc1_keyid);
        uint8_t *sig = NULL;
        size_t sl = 0;
        char hex[129];
        CHECK_INT(ms_key_sign(sk, NULL, 0, &sig, &sl, &err), MS_OK);
        if (sig != NULL) {
            ms_hex_encode(sig, sl, hex);
            CHECK_STR(hex, RFC1_SIG);
        }
        free(sig);
        ms_secret_key_free(sk);
        sk = NULL;
    }
    CHECK_INT(ms_secret_key_file_is_encrypted(keypath), 1);
    /* Field order and line ends do not matter: the additional data is rebuilt in the
     * documented order from the values as written. */
    char *t = replace(good, "kdf-opslimit: 1\n", "");
    char *t2 = replace(t, "nonce: ", "kdf-opslimit: 1\r\nnonce: ");
    CHECK_INT(load_text(t2, 0600, "correct horse", &sk, &err), MS_OK);
    ms_secret_key_free(sk);
    sk = NULL;
    free(t);
    free(t2);

    /* Wrong passphrase, no passphrase: exact messages, no key. */
    exact(good, "correct horsf", MS_E_KEY, "wrong passphrase");
    exact(good, "", MS_E_KEY, "wrong passphrase");
    exact(good, NULL, MS_E_KEY, "encrypted key: a passphrase is needed");

    /* Every header value is covered: changing any of them is refused, even with the
     * right passphrase.  The key id swap keeps the derived key and only breaks the
     * additional data. */
    static const struct {
        const char *from, *to;
    } swaps[] = {
        {"algorithm: ed25519", "algorithm: ecdsa-p256"},
        {"kdf-opslimit: 1", "kdf-opslimit: 2"},
        {"kdf-memlimit: 8192", "kdf-memlimit: 16384"},
        {"salt: EBES", "salt: EBET"},
        {"nonce: oKGi", "nonce: oKGj"},
    };
    char idline[100];
    snprintf(idline, sizeof idline, "keyid: %s", rfc1_keyid);
    char otherline[100];
    snprintf(otherline, sizeof otherline, "keyid: %s", other_keyid);
    t = replace(good, idline, otherline);
    exact(t, "correct horse", MS_E_KEY, "wrong passphrase");
    free(t);
    for (size_t i = 0; i < sizeof swaps / sizeof swaps[0]; i++) {
        t = replace(good, swaps[i].from, swaps[i].to);
        exact(t, "correct horse", MS_E_KEY, "wrong passphrase");
        free(t);
    }
    /* The right key id but the ciphertext of another header: refused too. */
    enc_spec s2 = s;
    s2.keyid = other_keyid;
    char *other = enc_image(&s2, rfc1_seed, 32, "correct horse");
    t = replace(other, otherline, idline);
    exact(t, "correct horse", MS_E_KEY, "wrong passphrase");
    free(t);
    free(other);

    /* Truncated or garbled ciphertext. */
    char *key = field_of(good, "key");
    uint8_t *ct = NULL;
    size_t cn = 0;
    CHECK_INT(ms_base64_decode(key, strlen(key), &ct, &cn), 0);
    CHECK_INT(cn, 48);
    char *b = ms_base64_encode(ct, cn - 1);
    char kl[200];
    snprintf(kl, sizeof kl, "key: %s", key);
    char nl[200];
    snprintf(nl, sizeof nl, "key: %s", b);
    t = replace(good, kl, nl);
    refused(t, "correct horse", MS_E_KEY, "field 'key' is 47 bytes; an encrypted ed25519 seed is 48");
    free(t);
    free(b);
    ct[5] ^= 1;
    b = ms_base64_encode(ct, cn);
    snprintf(nl, sizeof nl, "key: %s", b);
    t = replace(good, kl, nl);
    exact(t, "correct horse", MS_E_KEY, "wrong passphrase");
    free(t);
    free(b);
    t = replace(good, kl, "key: AAAA!");
    refused(t, "correct horse", MS_E_FORMAT, "field 'key' is not valid base64");
    free(t);
    free(ct);
    free(key);

    /* KDF parameters: caps, minimums, strict decimals. */
    static const struct {
        const char *from, *to;
        ms_status status;
        const char *fragment;
    } cases[] = {
        {"kdf-opslimit: 1", "kdf-opslimit: 17", MS_E_LIMIT,
         "field 'kdf-opslimit' is 17; modelseal accepts at most 16"},
        {"kdf-opslimit: 1", "kdf-opslimit: 18446744073709551615", MS_E_LIMIT,
         "field 'kdf-opslimit' is 18446744073709551615"},
        {"kdf-memlimit: 8192", "kdf-memlimit: 1073741825", MS_E_LIMIT,
         "field 'kdf-memlimit' is 1073741825; modelseal accepts at most 1073741824"},
        {"kdf-memlimit: 8192", "kdf-memlimit: 4294967296", MS_E_LIMIT, "'kdf-memlimit'"},
        {"kdf-opslimit: 1", "kdf-opslimit: 0", MS_E_KEY,
         "field 'kdf-opslimit' is 0; Argon2id needs at least 1"},
        {"kdf-memlimit: 8192", "kdf-memlimit: 8191", MS_E_KEY,
         "field 'kdf-memlimit' is 8191; Argon2id needs at least 8192"},
        {"kdf-opslimit: 1", "kdf-opslimit: 01", MS_E_FORMAT,
         "field 'kdf-opslimit' is not a decimal number"},
        {"kdf-opslimit: 1", "kdf-opslimit: +1", MS_E_FORMAT, "'kdf-opslimit' is not a decimal"},
        {"kdf-opslimit: 1", "kdf-opslimit: 1x", MS_E_FORMAT, "'kdf-opslimit' is not a decimal"},
        {"kdf-memlimit: 8192", "kdf-memlimit: 99999999999999999999999", MS_E_FORMAT,
         "'kdf-memlimit' is not a decimal"},
        {"kdf-memlimit: 8192", "kdf-memlimit: 18446744073709551616", MS_E_FORMAT,
         "'kdf-memlimit' is not a decimal"},
        {"salt: EBES", "salt: EBE", MS_E_FORMAT, "field 'salt' is not valid base64"},
        {"salt: EBES", "salt: AAAAEBES", MS_E_KEY, "field 'salt' is 19 bytes; it must be 16"},
        {"nonce: oKGi", "nonce: oKG", MS_E_FORMAT, "field 'nonce' is not valid base64"},
        {"nonce: oKGi", "nonce: AAAAoKGi", MS_E_KEY, "field 'nonce' is 27 bytes; it must be 24"},
        {"kdf-opslimit: 1\n", "", MS_E_FORMAT, "missing field 'kdf-opslimit'"},
        {"kdf-memlimit: 8192\n", "", MS_E_FORMAT, "missing field 'kdf-memlimit'"},
        {"salt: ", "pepper: ", MS_E_FORMAT, "unknown field 'pepper'"},
        {"nonce: ", "nonce: AAAA\nnonce: ", MS_E_FORMAT, "duplicate field 'nonce'"},
        {"encryption: " ENC, "encryption: " ENC "x", MS_E_UNSUPPORTED,
         "unsupported encryption 'argon2id-xchacha20poly1305x'"},
        {"encryption: " ENC, "encryption: none", MS_E_FORMAT,
         "field 'kdf-opslimit' does not belong in an unencrypted key file"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        t = replace(good, cases[i].from, cases[i].to);
        refused(t, "correct horse", cases[i].status, cases[i].fragment);
        free(t);
    }
    /* Missing salt and nonce (each alone). */
    char *salt = field_of(good, "salt"), *nonce = field_of(good, "nonce");
    snprintf(kl, sizeof kl, "salt: %s\n", salt);
    t = replace(good, kl, "");
    refused(t, "correct horse", MS_E_FORMAT, "missing field 'salt'");
    free(t);
    snprintf(kl, sizeof kl, "nonce: %s\n", nonce);
    t = replace(good, kl, "");
    refused(t, "correct horse", MS_E_FORMAT, "missing field 'nonce'");
    free(t);
    free(salt);
    free(nonce);

    /* Exposed to others: refused before any passphrase matters (so none is asked for). */
    for (mode_t m = 0604; m <= 0644; m += 040) {
        CHECK_INT(load_text(good, m, "correct horse", &sk, &err), MS_E_PERMISSION);
        CHECK_CONTAINS(err.message, "secret key file is readable by group or others");
        CHECK(sk == NULL);
        CHECK_INT(ms_secret_key_file_is_encrypted(keypath), 0);
    }
    CHECK_INT(chmod(keypath, 0400), 0);
    CHECK_INT(ms_secret_key_file_is_encrypted(keypath), 1);
    free(good);
}

static void test_handmade_ecdsa(void)
{
    ms_error err;
    ms_secret_key *gen = NULL, *sk = NULL;
    CHECK_INT(ms_key_generate(MS_ALG_ECDSA_P256, &gen, &err), MS_OK);
    if (gen == NULL)
        return;
    char name[700], kp[800];
    path_of(name, sizeof name, "p256-plain");
    snprintf(kp, sizeof kp, "%s.key", name);
    CHECK_INT(ms_key_write_pair(gen, name, NULL, &err), MS_OK);
    CHECK_INT(ms_secret_key_file_is_encrypted(kp), 0);
    char *plain = read_all(kp), *k = plain != NULL ? field_of(plain, "key") : NULL;
    uint8_t *p8 = NULL;
    size_t n = 0;
    if (k == NULL || ms_base64_decode(k, strlen(k), &p8, &n) != 0) {
        CHECK(!"cannot read the PKCS#8");
        goto out;
    }
    enc_spec s;
    spec_init(&s, "ecdsa-p256", ms_secret_key_id(gen));
    char *good = enc_image(&s, p8, n, "pass");
    CHECK_INT(load_text(good, 0600, "pass", &sk, &err), MS_OK);
    if (sk != NULL)
        CHECK_STR(ms_secret_key_id(sk), ms_secret_key_id(gen));
    ms_secret_key_free(sk);
    exact(good, "Pass", MS_E_KEY, "wrong passphrase");
    exact(good, NULL, MS_E_KEY, "encrypted key: a passphrase is needed");
    /* Truncated by a byte: the tag no longer matches. */
    char *kv = field_of(good, "key");
    uint8_t *ct = NULL;
    size_t cn = 0;
    CHECK_INT(ms_base64_decode(kv, strlen(kv), &ct, &cn), 0);
    char *b = ms_base64_encode(ct, cn - 1);
    char *t = replace(good, kv, b);
    exact(t, "pass", MS_E_KEY, "wrong passphrase");
    free(t);
    free(b);
    b = ms_base64_encode(ct, 16);
    t = replace(good, kv, b);
    refused(t, "pass", MS_E_KEY, "field 'key' is 16 bytes; an encrypted ecdsa-p256 key is 17 to");
    free(t);
    free(b);
    /* The ed25519 lengths do not apply: an algorithm swap is caught by the tag. */
    t = replace(good, "algorithm: ecdsa-p256", "algorithm: ecdsa-p384");
    exact(t, "pass", MS_E_KEY, "wrong passphrase");
    free(t);
    free(ct);
    free(kv);
    free(good);
out:
    free(p8);
    free(k);
    free(plain);
    ms_secret_key_free(gen);
}

/* Files the library writes, decrypted here from the documented format. */
static void test_library_round_trip(ms_key_algorithm alg)
{
    ms_error err;
    ms_secret_key *sk = NULL, *sk2 = NULL;
    CHECK_INT(ms_key_generate(alg, &sk, &err), MS_OK);
    if (sk == NULL)
        return;
    char name[700], kp[800], pp[800];
    snprintf(name, sizeof name, "%s/enc-%s", tmpdir, ms_key_algorithm_name(alg));
    snprintf(kp, sizeof kp, "%s.key", name);
    snprintf(pp, sizeof pp, "%s.pub", name);
    CHECK_INT(ms_key_write_pair(sk, name, "s3cret passphrase", &err), MS_OK);
    struct stat st;
    CHECK(stat(kp, &st) == 0 && (st.st_mode & 07777) == 0600);
    CHECK_INT(ms_secret_key_file_is_encrypted(kp), 1);
    CHECK_INT(ms_secret_key_file_is_encrypted(pp), 0);

    /* The layout: exactly these lines in this order. */
    char *text = read_all(kp);
    if (text == NULL) {
        CHECK(!"no key file");
        ms_secret_key_free(sk);
        return;
    }
    char head[512];
    snprintf(head, sizeof head,
             "modelseal-key v1\ntype: secret\nalgorithm: %s\nkeyid: %s\nencryption: " ENC
             "\nkdf-opslimit: 2\nkdf-memlimit: 67108864\nsalt: ",
             ms_key_algorithm_name(alg), ms_secret_key_id(sk));
    CHECK(strncmp(text, head, strlen(head)) == 0);
    const char *keyline = strstr(text, "\nkey: ");
    const char *nonceline = strstr(text, "\nnonce: ");
    CHECK(keyline != NULL && nonceline != NULL && nonceline < keyline);
    CHECK_INT(MS_KEY_KDF_OPSLIMIT, crypto_pwhash_OPSLIMIT_INTERACTIVE);
    CHECK_INT(MS_KEY_KDF_MEMLIMIT, crypto_pwhash_MEMLIMIT_INTERACTIVE);

    /* Decrypt independently: AD = every byte before the key line. */
    char *salt_b = field_of(text, "salt"), *nonce_b = field_of(text, "nonce"),
         *key_b = field_of(text, "key");
    uint8_t *salt = NULL, *nonce = NULL, *ct = NULL;
    size_t sn = 0, nn = 0, cn = 0;
    CHECK(salt_b && nonce_b && key_b && ms_base64_decode(salt_b, strlen(salt_b), &salt, &sn) == 0 &&
          ms_base64_decode(nonce_b, strlen(nonce_b), &nonce, &nn) == 0 &&
          ms_base64_decode(key_b, strlen(key_b), &ct, &cn) == 0);
    CHECK_INT(sn, 16);
    CHECK_INT(nn, 24);
    if (keyline != NULL && sn == 16 && nn == 24 && cn > 16) {
        uint8_t k[32];
        CHECK_INT(crypto_pwhash(k, 32, "s3cret passphrase", 17, salt, 2, 67108864,
                                crypto_pwhash_ALG_ARGON2ID13),
                  0);
        uint8_t *pt = malloc(cn);
        unsigned long long pl = 0;
        CHECK_INT(crypto_aead_xchacha20poly1305_ietf_decrypt(
                      pt, &pl, NULL, ct, cn, (const uint8_t *)text,
                      (unsigned long long)(keyline + 1 - text), nonce, k),
                  0);
        if (alg == MS_ALG_ED25519) {
            /* The plaintext is the seed: it gives the public key the id names. */
            CHECK_INT(pl, 32);
            uint8_t pub[32], sec[64], d[32];
            char id[65];
            crypto_sign_seed_keypair(pub, sec, pt);
            ms_sha256_buf(pub, 32, d);
            ms_hex_encode(d, 32, id);
            CHECK_STR(id, ms_secret_key_id(sk));
            sodium_memzero(sec, sizeof sec);
        } else {
            /* A DER PKCS#8 (SEQUENCE). */
            CHECK(pl > 100 && pt[0] == 0x30);
        }
        sodium_memzero(pt, cn);
        free(pt);
    }
    free(salt);
    free(nonce);
    free(ct);
    free(salt_b);
    free(nonce_b);
    free(key_b);

    /* The library loads it back with the passphrase only. */
    CHECK_INT(ms_secret_key_load(kp, "s3cret passphrase", &sk2, &err), MS_OK);
    if (sk2 != NULL) {
        CHECK_STR(ms_secret_key_id(sk2), ms_secret_key_id(sk));
        ms_public_key *pk = NULL;
        uint8_t *sig = NULL;
        size_t sl = 0;
        CHECK_INT(ms_public_key_load(pp, &pk, &err), MS_OK);
        CHECK_INT(ms_key_sign(sk2, (const uint8_t *)"m", 1, &sig, &sl, &err), MS_OK);
        if (pk != NULL)
            CHECK_INT(ms_key_verify(pk, (const uint8_t *)"m", 1, sig, sl, &err), MS_OK);
        free(sig);
        ms_public_key_free(pk);
    }
    ms_secret_key_free(sk2);
    sk2 = NULL;
    ms_error_clear(&err);
    CHECK_INT(ms_secret_key_load(kp, "s3cret passphrasE", &sk2, &err), MS_E_KEY);
    char want[900];
    snprintf(want, sizeof want, "%s: wrong passphrase", kp);
    CHECK_STR(err.message, want);
    CHECK(sk2 == NULL);
    CHECK_INT(ms_secret_key_load(kp, NULL, &sk2, &err), MS_E_KEY);
    snprintf(want, sizeof want, "%s: encrypted key: a passphrase is needed", kp);
    CHECK_STR(err.message, want);
    CHECK(strstr(err.message, "s3cret") == NULL);
    CHECK(sk2 == NULL);
    free(text);
    ms_secret_key_free(sk);
}

static void test_write_refusals(void)
{
    ms_error err;
    ms_secret_key *sk = NULL;
    CHECK_INT(ms_key_generate(MS_ALG_ED25519, &sk, &err), MS_OK);
    char name[700], kp[800];
    path_of(name, sizeof name, "empty-pass");
    snprintf(kp, sizeof kp, "%s.key", name);
    CHECK_INT(ms_key_write_pair(sk, name, "", &err), MS_E_USAGE);
    CHECK_CONTAINS(err.message, "empty passphrase");
    struct stat st;
    CHECK(stat(kp, &st) != 0);
    /* An unencrypted key loads whatever passphrase is given. */
    CHECK_INT(ms_key_write_pair(sk, name, NULL, &err), MS_OK);
    ms_secret_key *sk2 = NULL;
    CHECK_INT(ms_secret_key_load(kp, "ignored", &sk2, &err), MS_OK);
    ms_secret_key_free(sk2);
    ms_secret_key_free(sk);
    /* is_encrypted on things that are not (readable) key files. */
    char p[700];
    path_of(p, sizeof p, "missing.key");
    CHECK_INT(ms_secret_key_file_is_encrypted(p), -1);
    CHECK_INT(ms_secret_key_file_is_encrypted(tmpdir), -1);
    CHECK_INT(ms_secret_key_file_is_encrypted(""), -1);
    CHECK_INT(ms_secret_key_file_is_encrypted(NULL), -1);
    path_of(p, sizeof p, "junk.key");
    CHECK_INT(write_file(p, "hello\n", 6, 0600), 0);
    CHECK_INT(ms_secret_key_file_is_encrypted(p), -1);
}

static ms_status pass_file(const char *content, size_t n, char **out, ms_error *err)
{
    char p[700];
    path_of(p, sizeof p, "pass.txt");
    if (write_file(p, content, n, 0600) != 0)
        abort();
    ms_error_clear(err);
    return ms_passphrase_read_file(p, out, err);
}

static void test_passphrase_helpers(void)
{
    ms_error err;
    char *p = NULL;
    CHECK_INT(pass_file("secret\nsecond line\n", 19, &p, &err), MS_OK);
    CHECK_STR(p, "secret");
    ms_passphrase_free(p);
    CHECK_INT(pass_file("with spaces  \r\n", 15, &p, &err), MS_OK);
    CHECK_STR(p, "with spaces  ");
    ms_passphrase_free(p);
    CHECK_INT(pass_file("no newline", 10, &p, &err), MS_OK);
    CHECK_STR(p, "no newline");
    ms_passphrase_free(p);
    CHECK_INT(pass_file("", 0, &p, &err), MS_E_USAGE);
    CHECK_CONTAINS(err.message, "pass.txt: passphrase file is empty");
    CHECK(p == NULL);
    CHECK_INT(pass_file("\nsecret\n", 8, &p, &err), MS_E_USAGE);
    CHECK_INT(pass_file("\r\n", 2, &p, &err), MS_E_USAGE);
    CHECK_INT(pass_file("a\0b\n", 4, &p, &err), MS_E_FORMAT);
    CHECK_CONTAINS(err.message, "NUL byte");
    char big[MS_PASSPHRASE_MAX + 3];
    memset(big, 'x', sizeof big);
    CHECK_INT(pass_file(big, MS_PASSPHRASE_MAX, &p, &err), MS_OK);
    CHECK(p != NULL && strlen(p) == MS_PASSPHRASE_MAX);
    ms_passphrase_free(p);
    big[MS_PASSPHRASE_MAX] = '\r';
    big[MS_PASSPHRASE_MAX + 1] = '\n';
    CHECK_INT(pass_file(big, MS_PASSPHRASE_MAX + 2, &p, &err), MS_OK);
    ms_passphrase_free(p);
    memset(big, 'x', sizeof big);
    CHECK_INT(pass_file(big, MS_PASSPHRASE_MAX + 1, &p, &err), MS_E_LIMIT);
    CHECK_INT(pass_file(big, MS_PASSPHRASE_MAX + 3, &p, &err), MS_E_LIMIT);
    CHECK(p == NULL);
    char missing[700];
    path_of(missing, sizeof missing, "no-such-pass.txt");
    CHECK_INT(ms_passphrase_read_file(missing, &p, &err), MS_E_IO);
    CHECK_CONTAINS(err.message, "no-such-pass.txt: cannot open");
    CHECK_INT(ms_passphrase_read_file(tmpdir, &p, &err), MS_E_IO);
    CHECK_INT(ms_passphrase_read_file("", &p, &err), MS_E_USAGE);

    /* A pipe: one line per call, nothing beyond it consumed. */
    int fds[2];
    CHECK_INT(pipe(fds), 0);
    CHECK_INT(write(fds[1], "first\nsecond\r\nthird", 19), 19);
    close(fds[1]);
    CHECK_INT(ms_passphrase_read_line(fds[0], "pipe", &p, &err), MS_OK);
    CHECK_STR(p, "first");
    ms_passphrase_free(p);
    CHECK_INT(ms_passphrase_read_line(fds[0], "pipe", &p, &err), MS_OK);
    CHECK_STR(p, "second");
    ms_passphrase_free(p);
    CHECK_INT(ms_passphrase_read_line(fds[0], "pipe", &p, &err), MS_OK);
    CHECK_STR(p, "third");
    ms_passphrase_free(p);
    CHECK_INT(ms_passphrase_read_line(fds[0], "pipe", &p, &err), MS_OK);
    CHECK_STR(p, "");
    ms_passphrase_free(p);
    close(fds[0]);
    CHECK_INT(ms_passphrase_read_line(-1, "bad fd", &p, &err), MS_E_IO);
    CHECK_CONTAINS(err.message, "bad fd: read failed");

    CHECK_INT(ms_passphrase_copy("copy me", &p, &err), MS_OK);
    CHECK_STR(p, "copy me");
    ms_passphrase_free(p);
    CHECK_INT(ms_passphrase_copy(NULL, &p, &err), MS_E_USAGE);
    big[MS_PASSPHRASE_MAX + 1] = '\0';
    CHECK_INT(ms_passphrase_copy(big, &p, &err), MS_E_LIMIT);
    ms_passphrase_free(NULL);
}

int main(void)
{
    if (sodium_init() < 0 || make_tmpdir("enc") != 0)
        return 1;
    uint8_t pk[32], d[32];
    ms_hex_decode(RFC1_SEED, 32, rfc1_seed);
    ms_hex_decode(RFC1_PK, 32, pk);
    ms_sha256_buf(pk, 32, d);
    ms_hex_encode(d, 32, rfc1_keyid);
    ms_sha256_buf("other", 5, d);
    ms_hex_encode(d, 32, other_keyid);
    path_of(keypath, sizeof keypath, "alice.key");

    test_handmade_ed25519();
    test_handmade_ecdsa();
    test_library_round_trip(MS_ALG_ED25519);
    test_library_round_trip(MS_ALG_ECDSA_P384);
    test_write_refusals();
    test_passphrase_helpers();
    remove_tmpdir();
    return check_finish("test_encrypted");
}
