/*
 * Key files, generation, signing and verification.  Most cases are
 * refusals: every malformation of a key file must be refused with a message
 * naming the file and the field.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../unit/check.h"
#include "core/digest.h"
#include "modelseal/dsse.h"
#include "modelseal/keys.h"

/* RFC 8032 section 7.1, tests 1 and 2. */
#define RFC1_SEED "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"
#define RFC1_PK "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
#define RFC1_SIG                                                                                   \
    "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e"         \
    "39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
#define RFC2_SEED "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb"
#define RFC2_PK "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c"
#define RFC2_SIG                                                                                   \
    "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f"         \
    "3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"

static char tmpdir[512];

static void path_of(char *out, size_t cap, const char *name)
{
    snprintf(out, cap, "%s/%s", tmpdir, name);
}

static int write_file(const char *path, const char *text, size_t len, mode_t mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0)
        return -1;
    int ok = fchmod(fd, mode) == 0 && write(fd, text, len) == (ssize_t)len;
    return (close(fd) == 0 && ok) ? 0 : -1;
}

static char *read_all(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    char *buf = calloc(1, 70000);
    size_t n = buf != NULL ? fread(buf, 1, 69999, f) : 0;
    (void)n;
    fclose(f);
    return buf;
}

/* Copy of text with the first occurrence of `from` replaced by `to`. */
static char *replace(const char *text, const char *from, const char *to)
{
    const char *at = strstr(text, from);
    if (at == NULL) {
        fprintf(stderr, "replace: '%s' not found\n", from);
        abort();
    }
    size_t a = (size_t)(at - text), fl = strlen(from), tl = strlen(to);
    char *out = malloc(strlen(text) - fl + tl + 1);
    memcpy(out, text, a);
    memcpy(out + a, to, tl);
    strcpy(out + a + tl, at + fl);
    return out;
}

static void hex_to_b64(const char *hex, char *out, size_t cap)
{
    uint8_t raw[64];
    size_t n = strlen(hex) / 2;
    if (ms_hex_decode(hex, n, raw) != 0)
        abort();
    char *b = ms_base64_encode(raw, n);
    snprintf(out, cap, "%s", b);
    free(b);
}

static void keyid_of(const char *pk_hex, char out[65])
{
    uint8_t raw[32], d[32];
    if (ms_hex_decode(pk_hex, 32, raw) != 0)
        abort();
    ms_sha256_buf(raw, 32, d);
    ms_hex_encode(d, 32, out);
}

/* Valid key file images for RFC 8032 key 1 (the exact format ms_key_write_pair writes). */
static char pub_text[512], sec_text[512], rfc1_keyid[65], rfc1_seed_b64[64], rfc1_pk_b64[64];

static void make_texts(void)
{
    keyid_of(RFC1_PK, rfc1_keyid);
    hex_to_b64(RFC1_SEED, rfc1_seed_b64, sizeof rfc1_seed_b64);
    hex_to_b64(RFC1_PK, rfc1_pk_b64, sizeof rfc1_pk_b64);
    snprintf(pub_text, sizeof pub_text,
             "modelseal-key v1\ntype: public\nalgorithm: ed25519\nkeyid: %s\nkey: %s\n", rfc1_keyid,
             rfc1_pk_b64);
    snprintf(sec_text, sizeof sec_text,
             "modelseal-key v1\ntype: secret\nalgorithm: ed25519\nkeyid: %s\n"
             "encryption: none\nkey: %s\n",
             rfc1_keyid, rfc1_seed_b64);
}

/* Parse a public key image that must be refused with status and message fragment. */
static void pub_refused(const char *text, ms_status status, const char *fragment)
{
    ms_public_key *pk = NULL;
    ms_error err;
    ms_error_clear(&err);
    CHECK_INT(ms_public_key_parse(text, strlen(text), "bob.pub", &pk, &err), status);
    CHECK(pk == NULL);
    CHECK_INT(err.status, status);
    CHECK_CONTAINS(err.message, "bob.pub: ");
    CHECK_CONTAINS(err.message, fragment);
}

/* Load a secret key file written with mode 0600 that must be refused. */
static void sec_refused(const char *text, ms_status status, const char *fragment)
{
    char path[600];
    path_of(path, sizeof path, "bad.key");
    unlink(path);
    CHECK_INT(write_file(path, text, strlen(text), 0600), 0);
    ms_secret_key *sk = NULL;
    ms_error err;
    ms_error_clear(&err);
    CHECK_INT(ms_secret_key_load(path, NULL, &sk, &err), status);
    CHECK(sk == NULL);
    CHECK_CONTAINS(err.message, path);
    CHECK_CONTAINS(err.message, fragment);
    /* No message ever quotes the seed. */
    CHECK(strstr(err.message, rfc1_seed_b64) == NULL);
    unlink(path);
}

static void test_rfc8032_vectors(void)
{
    ms_error err;
    char path[600], b64[64], id2[65];
    path_of(path, sizeof path, "rfc1.key");
    CHECK_INT(write_file(path, sec_text, strlen(sec_text), 0600), 0);
    ms_secret_key *sk = NULL;
    CHECK_INT(ms_secret_key_load(path, NULL, &sk, &err), MS_OK);
    if (sk == NULL)
        return;
    CHECK_STR(ms_secret_key_id(sk), rfc1_keyid);
    CHECK_INT(ms_secret_key_algorithm(sk), MS_ALG_ED25519);
    uint8_t *sig = NULL;
    size_t sig_len = 0;
    CHECK_INT(ms_key_sign(sk, NULL, 0, &sig, &sig_len, &err), MS_OK);
    CHECK_INT(sig_len, 64);
    char hex[129];
    ms_hex_encode(sig, sig_len, hex);
    CHECK_STR(hex, RFC1_SIG);
    free(sig);

    /* write_pair reproduces the exact documented format, byte for byte. */
    char name[600], kp[700], pp[700];
    path_of(name, sizeof name, "rfc1copy");
    snprintf(kp, sizeof kp, "%s.key", name);
    snprintf(pp, sizeof pp, "%s.pub", name);
    CHECK_INT(ms_key_write_pair(sk, name, NULL, &err), MS_OK);
    char *k = read_all(kp), *p = read_all(pp);
    CHECK_STR(k, sec_text);
    CHECK_STR(p, pub_text);
    free(k);
    free(p);
    ms_secret_key_free(sk);

    /* Test 2: a one-byte message, through a key written with CRLF line ends. */
    keyid_of(RFC2_PK, id2);
    hex_to_b64(RFC2_SEED, b64, sizeof b64);
    char text[512];
    snprintf(text, sizeof text,
             "modelseal-key v1\r\ntype: secret\r\nalgorithm: ed25519\r\nkeyid: %s\r\n"
             "encryption: none\r\nkey: %s",
             id2, b64);
    path_of(path, sizeof path, "rfc2.key");
    CHECK_INT(write_file(path, text, strlen(text), 0400), 0);
    CHECK_INT(ms_secret_key_load(path, NULL, &sk, &err), MS_OK);
    if (sk == NULL)
        return;
    CHECK_STR(ms_secret_key_id(sk), id2);
    const uint8_t msg[1] = {0x72};
    CHECK_INT(ms_key_sign(sk, msg, 1, &sig, &sig_len, &err), MS_OK);
    ms_hex_encode(sig, sig_len, hex);
    CHECK_STR(hex, RFC2_SIG);
    ms_public_key *pk = NULL;
    CHECK_INT(ms_secret_key_public(sk, &pk, &err), MS_OK);
    CHECK_STR(ms_public_key_id(pk), id2);
    CHECK_INT(ms_key_verify(pk, msg, 1, sig, sig_len, &err), MS_OK);
    free(sig);
    ms_public_key_free(pk);
    ms_secret_key_free(sk);
}

static void test_generate_write_load(void)
{
    ms_error err;
    ms_secret_key *sk = NULL;
    CHECK_INT(ms_key_generate(MS_ALG_ED25519, &sk, &err), MS_OK);
    if (sk == NULL)
        return;
    char name[600], kp[700], pp[700];
    path_of(name, sizeof name, "alice");
    snprintf(kp, sizeof kp, "%s.key", name);
    snprintf(pp, sizeof pp, "%s.pub", name);

    /* Modes hold whatever the umask. */
    mode_t old = umask(0);
    CHECK_INT(ms_key_write_pair(sk, name, NULL, &err), MS_OK);
    umask(old);
    struct stat st;
    CHECK_INT(stat(kp, &st), 0);
    CHECK_INT(st.st_mode & 07777, 0600);
    CHECK_INT(stat(pp, &st), 0);
    CHECK_INT(st.st_mode & 07777, 0644);

    char name2[600], kp2[700], pp2[700];
    path_of(name2, sizeof name2, "carol");
    snprintf(kp2, sizeof kp2, "%s.key", name2);
    snprintf(pp2, sizeof pp2, "%s.pub", name2);
    old = umask(077);
    CHECK_INT(ms_key_write_pair(sk, name2, NULL, &err), MS_OK);
    umask(old);
    CHECK_INT(stat(kp2, &st), 0);
    CHECK_INT(st.st_mode & 07777, 0600);
    CHECK_INT(stat(pp2, &st), 0);
    CHECK_INT(st.st_mode & 07777, 0644);

    /* Refuses to overwrite; the existing files stay as they were. */
    char *before = read_all(kp);
    ms_error_clear(&err);
    CHECK_INT(ms_key_write_pair(sk, name, NULL, &err), MS_E_EXISTS);
    CHECK_CONTAINS(err.message, "alice.key: already exists");
    char *after = read_all(kp);
    CHECK_STR(after, before);
    free(before);
    free(after);
    CHECK_INT(stat(pp, &st), 0);

    /* Only NAME.pub exists: refused, and no NAME.key is left behind. */
    char name3[600], kp3[700], pp3[700];
    path_of(name3, sizeof name3, "dave");
    snprintf(kp3, sizeof kp3, "%s.key", name3);
    snprintf(pp3, sizeof pp3, "%s.pub", name3);
    CHECK_INT(write_file(pp3, "x", 1, 0644), 0);
    CHECK_INT(ms_key_write_pair(sk, name3, NULL, &err), MS_E_EXISTS);
    CHECK_CONTAINS(err.message, "dave.pub: already exists");
    CHECK(stat(kp3, &st) != 0 && errno == ENOENT);
    char *x = read_all(pp3);
    CHECK_STR(x, "x");
    free(x);

    /* A directory that does not exist: an I/O error naming the file. */
    char name4[600];
    path_of(name4, sizeof name4, "no-such-dir/erin");
    CHECK_INT(ms_key_write_pair(sk, name4, NULL, &err), MS_E_IO);
    CHECK_CONTAINS(err.message, "erin.key");
    CHECK_INT(ms_key_write_pair(sk, "", NULL, &err), MS_E_USAGE);

    /* Load both halves back; ids agree and are SHA-256 of the raw public key. */
    ms_secret_key *sk2 = NULL;
    ms_public_key *pk = NULL;
    CHECK_INT(ms_secret_key_load(kp, NULL, &sk2, &err), MS_OK);
    CHECK_INT(ms_public_key_load(pp, &pk, &err), MS_OK);
    if (sk2 == NULL || pk == NULL) {
        ms_secret_key_free(sk);
        ms_secret_key_free(sk2);
        ms_public_key_free(pk);
        return;
    }
    CHECK_STR(ms_secret_key_id(sk2), ms_secret_key_id(sk));
    CHECK_STR(ms_public_key_id(pk), ms_secret_key_id(sk));
    CHECK_INT(ms_public_key_algorithm(pk), MS_ALG_ED25519);
    char *ptext = read_all(pp);
    const char *kl = ptext != NULL ? strstr(ptext, "\nkey: ") : NULL;
    CHECK(kl != NULL);
    if (kl != NULL) {
        uint8_t *raw = NULL, d[32];
        size_t n = 0;
        const char *v = kl + 6;
        CHECK_INT(ms_base64_decode(v, strcspn(v, "\n"), &raw, &n), 0);
        CHECK_INT(n, 32);
        char id[65];
        ms_sha256_buf(raw, n, d);
        ms_hex_encode(d, 32, id);
        CHECK_STR(id, ms_public_key_id(pk));
        free(raw);
    }
    free(ptext);

    /* Sign with the generated key, verify with the loaded public key. */
    const uint8_t msg[] = "model bytes";
    uint8_t *s1 = NULL, *s2 = NULL;
    size_t l1 = 0, l2 = 0;
    CHECK_INT(ms_key_sign(sk, msg, sizeof msg, &s1, &l1, &err), MS_OK);
    CHECK_INT(ms_key_sign(sk2, msg, sizeof msg, &s2, &l2, &err), MS_OK);
    /* Ed25519 is deterministic. */
    CHECK_INT(l1, 64);
    CHECK(l1 == l2 && memcmp(s1, s2, l1) == 0);
    CHECK_INT(ms_key_verify(pk, msg, sizeof msg, s1, l1, &err), MS_OK);

    /* Refusals: wrong message, flipped signature bit, bad lengths, wrong key. */
    ms_error_clear(&err);
    CHECK_INT(ms_key_verify(pk, msg, sizeof msg - 1, s1, l1, &err), MS_E_REJECTED);
    CHECK_CONTAINS(err.message, ms_public_key_id(pk));
    s1[10] ^= 0x01;
    CHECK_INT(ms_key_verify(pk, msg, sizeof msg, s1, l1, &err), MS_E_REJECTED);
    s1[10] ^= 0x01;
    CHECK_INT(ms_key_verify(pk, msg, sizeof msg, s1, 63, &err), MS_E_REJECTED);
    CHECK_CONTAINS(err.message, "63 bytes");
    CHECK_INT(ms_key_verify(pk, msg, sizeof msg, s1, 0, &err), MS_E_REJECTED);
    CHECK_CONTAINS(err.message, "0 bytes");
    ms_secret_key *other = NULL;
    ms_public_key *opk = NULL;
    CHECK_INT(ms_key_generate(MS_ALG_ED25519, &other, &err), MS_OK);
    CHECK_INT(ms_secret_key_public(other, &opk, &err), MS_OK);
    CHECK(strcmp(ms_public_key_id(opk), ms_public_key_id(pk)) != 0);
    CHECK_INT(ms_key_verify(opk, msg, sizeof msg, s1, l1, &err), MS_E_REJECTED);
    CHECK_CONTAINS(err.message, ms_public_key_id(opk));

    free(s1);
    free(s2);
    ms_public_key_free(opk);
    ms_secret_key_free(other);
    ms_public_key_free(pk);
    ms_secret_key_free(sk2);
    ms_secret_key_free(sk);
}

static void test_public_malformations(void)
{
    ms_public_key *pk = NULL;
    ms_error err;
    /* The valid image and tolerated variations load. */
    CHECK_INT(ms_public_key_parse(pub_text, strlen(pub_text), "bob.pub", &pk, &err), MS_OK);
    CHECK(pk != NULL && strcmp(ms_public_key_id(pk), rfc1_keyid) == 0);
    ms_public_key_free(pk);
    char *t = replace(pub_text, "\nkey: ", "\r\nkey: ");
    CHECK_INT(ms_public_key_parse(t, strlen(t), "bob.pub", &pk, &err), MS_OK);
    ms_public_key_free(pk);
    free(t);
    /* Unpadded and URL-safe base64 name the same key. */
    t = replace(pub_text, "=\n", "\n");
    CHECK_INT(ms_public_key_parse(t, strlen(t), "bob.pub", &pk, &err), MS_OK);
    ms_public_key_free(pk);
    free(t);
    t = replace(pub_text, "S/7T", "S_7T");
    CHECK_INT(ms_public_key_parse(t, strlen(t), "bob.pub", &pk, &err), MS_OK);
    ms_public_key_free(pk);
    free(t);
    /* Field order is not significant on input. */
    char reordered[512];
    snprintf(reordered, sizeof reordered,
             "modelseal-key v1\nkey: %s\nkeyid: %s\nalgorithm: ed25519\ntype: public", rfc1_pk_b64,
             rfc1_keyid);
    CHECK_INT(ms_public_key_parse(reordered, strlen(reordered), "bob.pub", &pk, &err), MS_OK);
    ms_public_key_free(pk);

    static const struct {
        const char *from, *to;
        ms_status status;
        const char *fragment;
    } cases[] = {
        {"type: public\n", "type: public\ncomment: hi\n", MS_E_FORMAT, "unknown field 'comment'"},
        {"type: public\n", "type: public\nKey ID: 1\n", MS_E_FORMAT, "unknown field"},
        {"algorithm: ed25519\n", "algorithm: ed25519\nalgorithm: ed25519\n", MS_E_FORMAT,
         "duplicate field 'algorithm'"},
        {"type: public\n", "type: public\ntype: public\n", MS_E_FORMAT, "duplicate field 'type'"},
        {"keyid: ", "x-keyid: ", MS_E_FORMAT, "unknown field 'x-keyid'"},
        {"type: public\n", "", MS_E_FORMAT, "missing field 'type'"},
        {"algorithm: ed25519\n", "", MS_E_FORMAT, "missing field 'algorithm'"},
        {"key: ", "kex: ", MS_E_FORMAT, "unknown field 'kex'"},
        {"algorithm: ed25519\n", "algorithm: rsa\n", MS_E_UNSUPPORTED,
         "unsupported algorithm 'rsa'"},
        {"algorithm: ed25519\n", "algorithm: Ed25519\n", MS_E_UNSUPPORTED,
         "unsupported algorithm 'Ed25519'"},
        /* ECDSA public keys are DER SPKI (tests/keys/test_ecdsa.c), not 32 raw bytes. */
        {"algorithm: ed25519\n", "algorithm: ecdsa-p256\n", MS_E_FORMAT,
         "field 'key' is not a DER SubjectPublicKeyInfo"},
        {"algorithm: ed25519\n", "algorithm: ecdsa-p521\n", MS_E_UNSUPPORTED,
         "unsupported algorithm 'ecdsa-p521' (supported: ed25519, ecdsa-p256, ecdsa-p384)"},
        {"type: public\n", "type: public\nencryption: none\n", MS_E_FORMAT,
         "'encryption' does not belong"},
        {"type: public", "type: private", MS_E_FORMAT, "field 'type' must be"},
        {"type: public", "type: secret", MS_E_KEY, "secret key file"},
        {"modelseal-key v1", "modelseal-key v2", MS_E_UNSUPPORTED, "version 'v2'"},
        {"modelseal-key v1", "modelseal-key", MS_E_FORMAT, "not a modelseal key file"},
        {"modelseal-key v1\n", "", MS_E_FORMAT, "not a modelseal key file"},
        {"modelseal-key v1\n", "\nmodelseal-key v1\n", MS_E_FORMAT, "not a modelseal key file"},
        {"keyid: ", "keyid:", MS_E_FORMAT, "line 4: expected 'field: value'"},
        {"keyid: ", "keyid ", MS_E_FORMAT, "line 4: expected 'field: value'"},
        {"type: public\n", "type: public\n\n", MS_E_FORMAT, "line 3: empty line"},
        {"type: public", "type: public ", MS_E_FORMAT, "field 'type' must be"},
        {"type: public", "type:  public", MS_E_FORMAT, "field 'type' must be"},
        {"keyid: 21fe", "keyid: 21FE", MS_E_FORMAT, "field 'keyid' is not 64 lower-case hex"},
        {"keyid: 2", "keyid: 22", MS_E_FORMAT, "field 'keyid' is not 64 lower-case hex"},
        {"keyid: 2", "keyid: g", MS_E_FORMAT, "field 'keyid' is not 64 lower-case hex"},
        {"keyid: 2", "keyid: 3", MS_E_KEY, "field 'keyid' does not match the key"},
        {"key: 1", "key: *", MS_E_FORMAT, "field 'key' is not valid base64"},
        {"key: 1", "key:  1", MS_E_FORMAT, "field 'key' is not valid base64"},
        {"=\n", "==\n", MS_E_FORMAT, "field 'key' is not valid base64"},
        {"key: 1", "key: AAAA1", MS_E_KEY, "35 bytes; an ed25519 public key is 32"},
        {"key: 11qY", "key: ", MS_E_KEY, "29 bytes; an ed25519 public key is 32"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *bad = replace(pub_text, cases[i].from, cases[i].to);
        pub_refused(bad, cases[i].status, cases[i].fragment);
        free(bad);
    }
    /* Missing keyid and missing key. */
    char text[512];
    snprintf(text, sizeof text, "modelseal-key v1\ntype: public\nalgorithm: ed25519\nkey: %s\n",
             rfc1_pk_b64);
    pub_refused(text, MS_E_FORMAT, "missing field 'keyid'");
    snprintf(text, sizeof text, "modelseal-key v1\ntype: public\nalgorithm: ed25519\nkeyid: %s\n",
             rfc1_keyid);
    pub_refused(text, MS_E_FORMAT, "missing field 'key'");
    /* Base64 of a 31-byte key (a valid encoding). */
    uint8_t raw[33] = {0};
    char *b = ms_base64_encode(raw, 31);
    snprintf(text, sizeof text,
             "modelseal-key v1\ntype: public\nalgorithm: ed25519\nkeyid: %s\nkey: %s\n", rfc1_keyid,
             b);
    free(b);
    pub_refused(text, MS_E_KEY, "31 bytes");
    pub_refused("", MS_E_FORMAT, "empty key file");
    pub_refused("modelseal-key v1\n", MS_E_FORMAT, "missing field 'type'");
    /* PEM is recognized (tests/keys/test_pem.c); other first lines are not. */
    pub_refused("-----BEGIN PUBLIC KEY-----\n", MS_E_FORMAT, "the PEM block has no END line");
    pub_refused("----BEGIN PUBLIC KEY-----\n", MS_E_FORMAT, "not a modelseal key file");
    /* An embedded NUL. */
    memcpy(text, pub_text, strlen(pub_text) + 1);
    text[20] = '\0';
    CHECK_INT(ms_public_key_parse(text, strlen(pub_text), "bob.pub", &pk, &err), MS_E_FORMAT);
    CHECK_CONTAINS(err.message, "bob.pub: contains a NUL byte");
    /* Over the size limit. */
    size_t big = 64 * 1024 + 1;
    char *huge = malloc(big);
    memset(huge, 'a', big);
    CHECK_INT(ms_public_key_parse(huge, big, "bob.pub", &pk, &err), MS_E_LIMIT);
    CHECK_CONTAINS(err.message, "bob.pub:");
    free(huge);
    /* Control characters in a quoted value are not echoed. */
    char *esc = replace(pub_text, "algorithm: ed25519", "algorithm: \x1b[31mred");
    pub_refused(esc, MS_E_UNSUPPORTED, "unsupported algorithm '?[31mred'");
    free(esc);
}

static void test_secret_malformations(void)
{
    char path[600];
    path_of(path, sizeof path, "bad.key");
    static const struct {
        const char *from, *to;
        ms_status status;
        const char *fragment;
    } cases[] = {
        {"encryption: none\n", "", MS_E_FORMAT, "missing field 'encryption'"},
        {"encryption: none", "encryption: scrypt", MS_E_UNSUPPORTED,
         "unsupported encryption 'scrypt'"},
        {"encryption: none", "encryption: None", MS_E_UNSUPPORTED, "unsupported encryption"},
        {"algorithm: ed25519", "algorithm: ecdsa-p256", MS_E_FORMAT,
         "field 'key' is not an unencrypted DER PKCS#8 private key"},
        {"algorithm: ed25519", "algorithm: ecdsa-p192", MS_E_UNSUPPORTED,
         "unsupported algorithm 'ecdsa-p192'"},
        {"keyid: 2", "keyid: 3", MS_E_KEY, "field 'keyid' does not match the key"},
        {"keyid: ", "key-id: ", MS_E_FORMAT, "unknown field 'key-id'"},
        {"type: secret\n", "type: secret\npassphrase: x\n", MS_E_FORMAT,
         "unknown field 'passphrase'"},
        {"encryption: none\n", "encryption: none\nencryption: none\n", MS_E_FORMAT,
         "duplicate field 'encryption'"},
        {"key: n", "key: n!", MS_E_FORMAT, "field 'key' is not valid base64"},
        {"key: n", "key: AAAAn", MS_E_KEY, "35 bytes; an ed25519 secret key (seed) is 32"},
        {"key: ", "key:", MS_E_FORMAT, "line 6: expected 'field: value'"},
        {"key: ", "kye: ", MS_E_FORMAT, "unknown field 'kye'"},
        {"key: ", "KEY: ", MS_E_FORMAT, "line 6: unknown field"},
        {"modelseal-key v1", "modelseal-key v9", MS_E_UNSUPPORTED, "version 'v9'"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *bad = replace(sec_text, cases[i].from, cases[i].to);
        sec_refused(bad, cases[i].status, cases[i].fragment);
        free(bad);
    }
    /* libsodium's 64-byte secret key pasted instead of the seed. */
    uint8_t raw[64];
    ms_hex_decode(RFC1_SEED, 32, raw);
    ms_hex_decode(RFC1_PK, 32, raw + 32);
    char *b = ms_base64_encode(raw, 64);
    char *bad = replace(sec_text, rfc1_seed_b64, b);
    sec_refused(bad, MS_E_KEY, "64 bytes");
    free(bad);
    free(b);
    /* The public half's key id on a different seed. */
    char b2[64];
    hex_to_b64(RFC2_SEED, b2, sizeof b2);
    bad = replace(sec_text, rfc1_seed_b64, b2);
    sec_refused(bad, MS_E_KEY, "does not match");
    free(bad);
    /* A public key file (mode 0600) given as the secret key. */
    sec_refused(pub_text, MS_E_KEY, "this is a public key file");
}

static void test_permissions_and_files(void)
{
    char path[600], pubpath[600];
    ms_secret_key *sk = NULL;
    ms_error err;

    /* Exposed secret key files are refused with the chmod hint. */
    static const struct {
        mode_t mode;
        const char *fragment;
    } modes[] = {
        {0644, "secret key file is readable by group or others (mode 0644); run chmod 600 "},
        {0640, "readable by group or others (mode 0640)"},
        {0604, "readable by group or others (mode 0604)"},
        {0620, "writable by group or others (mode 0620)"},
        {0602, "writable by group or others (mode 0602)"},
        {0610, "accessible by group or others (mode 0610)"},
    };
    path_of(path, sizeof path, "exposed.key");
    for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++) {
        unlink(path);
        CHECK_INT(write_file(path, sec_text, strlen(sec_text), modes[i].mode), 0);
        ms_error_clear(&err);
        CHECK_INT(ms_secret_key_load(path, NULL, &sk, &err), MS_E_PERMISSION);
        CHECK(sk == NULL);
        CHECK_CONTAINS(err.message, path);
        CHECK_CONTAINS(err.message, modes[i].fragment);
    }
    char hint[700];
    snprintf(hint, sizeof hint, "run chmod 600 %s", path);
    unlink(path);
    CHECK_INT(write_file(path, sec_text, strlen(sec_text), 0644), 0);
    CHECK_INT(ms_secret_key_load(path, NULL, &sk, &err), MS_E_PERMISSION);
    CHECK_CONTAINS(err.message, hint);
    CHECK(strstr(err.message, rfc1_seed_b64) == NULL);
    /* Mode 0400 and 0600 are fine. */
    CHECK_INT(chmod(path, 0400), 0);
    CHECK_INT(ms_secret_key_load(path, NULL, &sk, &err), MS_OK);
    ms_secret_key_free(sk);
    sk = NULL;
    unlink(path);

    /* NAME.pub (0644) passed where NAME.key belongs: named as a public key, no chmod hint. */
    path_of(pubpath, sizeof pubpath, "bob.pub");
    CHECK_INT(write_file(pubpath, pub_text, strlen(pub_text), 0644), 0);
    ms_error_clear(&err);
    CHECK_INT(ms_secret_key_load(pubpath, NULL, &sk, &err), MS_E_KEY);
    CHECK_CONTAINS(err.message, "bob.pub: this is a public key file");
    CHECK(strstr(err.message, "chmod") == NULL);
    /* And the reverse: a secret key file given as the public key. */
    path_of(path, sizeof path, "bob.key");
    CHECK_INT(write_file(path, sec_text, strlen(sec_text), 0600), 0);
    ms_public_key *pk = NULL;
    CHECK_INT(ms_public_key_load(path, &pk, &err), MS_E_KEY);
    CHECK(pk == NULL);
    CHECK_CONTAINS(err.message, "bob.key: this is a secret key file");
    CHECK(strstr(err.message, rfc1_seed_b64) == NULL);
    CHECK_INT(ms_public_key_load(pubpath, &pk, &err), MS_OK);
    ms_public_key_free(pk);
    pk = NULL;

    /* Not there, not a regular file, too large. */
    path_of(path, sizeof path, "missing.key");
    CHECK_INT(ms_secret_key_load(path, NULL, &sk, &err), MS_E_IO);
    CHECK_CONTAINS(err.message, "missing.key: cannot open");
    CHECK_INT(ms_public_key_load(path, &pk, &err), MS_E_IO);
    CHECK_INT(ms_secret_key_load(tmpdir, NULL, &sk, &err), MS_E_KEY);
    CHECK_CONTAINS(err.message, "not a regular file");
    path_of(path, sizeof path, "fifo.key");
    CHECK_INT(mkfifo(path, 0600), 0);
    CHECK_INT(ms_secret_key_load(path, NULL, &sk, &err), MS_E_KEY);
    CHECK_CONTAINS(err.message, "fifo.key: not a regular file");
    unlink(path);
    path_of(path, sizeof path, "huge.key");
    size_t big = 64 * 1024 + 10;
    char *huge = malloc(big);
    memset(huge, '\n', big);
    CHECK_INT(write_file(path, huge, big, 0600), 0);
    free(huge);
    CHECK_INT(ms_secret_key_load(path, NULL, &sk, &err), MS_E_LIMIT);
    CHECK_CONTAINS(err.message, "huge.key");
    CHECK_INT(ms_secret_key_load("", NULL, &sk, &err), MS_E_USAGE);
    CHECK(sk == NULL);
}

static void test_misc(void)
{
    ms_error err;
    ms_secret_key *sk = NULL;
    CHECK_STR(ms_key_algorithm_name(MS_ALG_ED25519), "ed25519");
    CHECK_STR(ms_key_algorithm_name(MS_ALG_ECDSA_P256), "ecdsa-p256");
    CHECK_STR(ms_key_algorithm_name(MS_ALG_ECDSA_P384), "ecdsa-p384");
    CHECK_INT(ms_key_algorithm_from_name("ecdsa-p384"), MS_ALG_ECDSA_P384);
    CHECK_INT(ms_key_algorithm_from_name("rsa"), 0);
    CHECK(ms_key_algorithm_name((ms_key_algorithm)99) == NULL);
    CHECK_INT(ms_key_generate((ms_key_algorithm)99, &sk, &err), MS_E_UNSUPPORTED);
    CHECK(sk == NULL);
    ms_secret_key_free(NULL);
    ms_public_key_free(NULL);
    /* Two generated keys differ. */
    ms_secret_key *a = NULL, *b = NULL;
    CHECK_INT(ms_key_generate(MS_ALG_ED25519, &a, &err), MS_OK);
    CHECK_INT(ms_key_generate(MS_ALG_ED25519, &b, &err), MS_OK);
    CHECK(a != NULL && b != NULL && strcmp(ms_secret_key_id(a), ms_secret_key_id(b)) != 0);
    CHECK_INT(strlen(ms_secret_key_id(a)), MS_KEYID_HEX_LEN);
    CHECK(ms_is_sha256_hex(ms_secret_key_id(a)));
    ms_secret_key_free(a);
    ms_secret_key_free(b);
}

static void remove_tree(const char *dir)
{
    DIR *d = opendir(dir);
    if (d == NULL)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char p[1024];
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        unlink(p);
    }
    closedir(d);
    rmdir(dir);
}

int main(void)
{
    const char *base = getenv("TMPDIR");
    snprintf(tmpdir, sizeof tmpdir, "%s/ms-keys-XXXXXX", base != NULL && *base ? base : "/tmp");
    if (mkdtemp(tmpdir) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    make_texts();
    test_rfc8032_vectors();
    test_generate_write_load();
    test_public_malformations();
    test_secret_malformations();
    test_permissions_and_files();
    test_misc();
    remove_tree(tmpdir);
    return check_finish("test_keys");
}
