/*
 * Signing keys: key files, generation, signing and verification.
 *
 * This is the only file that calls libsodium's signing, password hashing and
 * AEAD APIs, and (with digest.c) the only one that calls libcrypto, so every
 * secret byte passes through here: secret key files are read into
 * sodium_malloc() memory, decoded and decrypted into sodium_malloc() memory,
 * and every temporary that held secret bytes is released with sodium_free()
 * or wiped with sodium_memzero() on every path, errors included.
 *
 * Ed25519 keys are libsodium's.  ECDSA keys are held as DER: the public key
 * as its canonical SubjectPublicKeyInfo (named curve, uncompressed point),
 * the secret key as PKCS#8 in sodium_malloc() memory.  OpenSSL only ever
 * sees a secret key for the length of one signing call: it is decoded into
 * an EVP_PKEY, used and freed at once (OpenSSL clears key material it
 * frees).  So both key structs stay plain values without OpenSSL objects in
 * them, and a public key can be copied with `=`.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/encoder.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <sodium.h>

#include "core/base64.h"
#include "core/digest.h"
#include "core/error_internal.h"
#include "core/fsutil.h"
#include "core/outfile.h"
#include "core/safeopen.h"
#include "modelseal/keys.h"

#define KEY_FILE_MAX (64u * 1024u)
#define KEY_MAGIC "modelseal-key v1"
#define KEY_MAGIC_PREFIX "modelseal-key "

#define ED25519_PK_LEN crypto_sign_PUBLICKEYBYTES
#define ED25519_SK_LEN crypto_sign_SECRETKEYBYTES
#define ED25519_SEED_LEN crypto_sign_SEEDBYTES
#define ED25519_SIG_LEN crypto_sign_BYTES

/* The largest canonical EC SubjectPublicKeyInfo (P-384: 23 + 97 bytes). */
#define EC_SPKI_MAX 120
/* The largest PKCS#8 EC private key accepted (OpenSSL writes 138 / 185 bytes). */
#define EC_P8_MAX 1024

#define AEAD_KEY_LEN crypto_aead_xchacha20poly1305_ietf_KEYBYTES
#define AEAD_NONCE_LEN crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
#define AEAD_TAG_LEN crypto_aead_xchacha20poly1305_ietf_ABYTES
#define KDF_SALT_LEN crypto_pwhash_SALTBYTES

/* Longest quoted excerpt of file contents put into an error message. */
#define QUOTE_MAX 64

struct ms_public_key {
    ms_key_algorithm alg;
    char keyid[MS_KEYID_HEX_LEN + 1];
    union {
        struct {
            uint8_t pk[ED25519_PK_LEN];
        } ed25519;
        struct {
            /* Canonical DER SubjectPublicKeyInfo; the key id hashes these bytes. */
            uint8_t spki[EC_SPKI_MAX];
            size_t spki_len;
        } ecdsa;
    } u;
};

struct ms_secret_key {
    ms_key_algorithm alg;
    ms_public_key pub; /* the public half: key id, ms_secret_key_public() */
    union {
        struct {
            /* libsodium's seed || public key, sodium_malloc()'d and read-only. */
            uint8_t *sk;
        } ed25519;
        struct {
            /* DER PKCS#8 PrivateKeyInfo, sodium_malloc()'d and read-only. */
            uint8_t *p8;
            size_t p8_len;
        } ecdsa;
    } u;
};

/* ---- libsodium initialization ------------------------------------------ */

static pthread_once_t sodium_once = PTHREAD_ONCE_INIT;
static int sodium_init_result = -1;

static void sodium_init_once(void)
{
    sodium_init_result = sodium_init();
}

static ms_status sodium_ready(ms_error *err)
{
    /* sodium_init() picks implementations and seeds the CSPRNG; once per process. */
    if (pthread_once(&sodium_once, sodium_init_once) != 0 || sodium_init_result < 0)
        return ms_fail(err, MS_E_CRYPTO, "libsodium initialization failed");
    return MS_OK;
}

/* ---- algorithms ---------------------------------------------------------- */

/* The ECDSA curves: everything that differs between P-256 and P-384. */
typedef struct ec_curve {
    ms_key_algorithm alg;
    int nid;             /* the curve's OpenSSL NID */
    const char *group;   /* OpenSSL's group name, as EVP_PKEY_get_group_name() says */
    const char *keygen;  /* the name EVP_PKEY_Q_keygen() takes */
    const char *md;      /* the digest over the message */
    size_t field_len;    /* bytes of a coordinate (and at most of r and s) */
    const uint8_t *spki_prefix; /* the DER of the SPKI up to the point's 0x04 */
    size_t prefix_len;
} ec_curve;

/* SEQUENCE { SEQUENCE { id-ecPublicKey, prime256v1 }, BIT STRING (66 bytes: 0 unused bits) */
static const uint8_t p256_prefix[] = {0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48,
                                      0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a, 0x86, 0x48,
                                      0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00};
/* SEQUENCE { SEQUENCE { id-ecPublicKey, secp384r1 }, BIT STRING (98 bytes) */
static const uint8_t p384_prefix[] = {0x30, 0x76, 0x30, 0x10, 0x06, 0x07, 0x2a, 0x86,
                                      0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x05, 0x2b,
                                      0x81, 0x04, 0x00, 0x22, 0x03, 0x62, 0x00};

static const ec_curve ec_curves[] = {
    {MS_ALG_ECDSA_P256, NID_X9_62_prime256v1, "prime256v1", "P-256", "SHA256", 32, p256_prefix,
     sizeof p256_prefix},
    {MS_ALG_ECDSA_P384, NID_secp384r1, "secp384r1", "P-384", "SHA384", 48, p384_prefix,
     sizeof p384_prefix},
};

static const ec_curve *curve_of_alg(ms_key_algorithm alg)
{
    for (size_t i = 0; i < sizeof ec_curves / sizeof ec_curves[0]; i++)
        if (ec_curves[i].alg == alg)
            return &ec_curves[i];
    return NULL;
}

static const ec_curve *curve_of_nid(int nid)
{
    for (size_t i = 0; i < sizeof ec_curves / sizeof ec_curves[0]; i++)
        if (ec_curves[i].nid == nid)
            return &ec_curves[i];
    return NULL;
}

const char *ms_key_algorithm_name(ms_key_algorithm alg)
{
    switch (alg) {
    case MS_ALG_ED25519:
        return "ed25519";
    case MS_ALG_ECDSA_P256:
        return "ecdsa-p256";
    case MS_ALG_ECDSA_P384:
        return "ecdsa-p384";
    }
    return NULL;
}

ms_key_algorithm ms_key_algorithm_from_name(const char *name)
{
    static const ms_key_algorithm all[] = {MS_ALG_ED25519, MS_ALG_ECDSA_P256, MS_ALG_ECDSA_P384};
    if (name == NULL)
        return (ms_key_algorithm)0;
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        if (strcmp(name, ms_key_algorithm_name(all[i])) == 0)
            return all[i];
    return (ms_key_algorithm)0;
}

/* The supported algorithms, for messages. */
#define SUPPORTED_ALGS "ed25519, ecdsa-p256, ecdsa-p384"

/* ---- small helpers ------------------------------------------------------ */

static void keyid_of_bytes(const uint8_t *p, size_t n, char out[MS_KEYID_HEX_LEN + 1])
{
    uint8_t d[MS_SHA256_LEN];
    ms_sha256_buf(p, n, d);
    ms_hex_encode(d, sizeof d, out);
}

/*
 * Copy at most QUOTE_MAX bytes of untrusted text into buf for an error
 * message, replacing anything but printable ASCII so a crafted file cannot
 * put terminal escapes into what the user sees.
 */
static const char *quote(const char *s, size_t n, char buf[QUOTE_MAX + 4])
{
    size_t k = n < QUOTE_MAX ? n : QUOTE_MAX;
    for (size_t i = 0; i < k; i++) {
        unsigned char c = (unsigned char)s[i];
        buf[i] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
    }
    if (k < n) {
        memcpy(buf + k, "...", 3);
        k += 3;
    }
    buf[k] = '\0';
    return buf;
}

/* OpenSSL failures leave entries in the thread's error queue; drop them. */
#define OSSL_FAIL(err, status, ...) (ERR_clear_error(), ms_fail((err), (status), __VA_ARGS__))

/* Build a secret key object from a 32-byte Ed25519 seed. */
static ms_status ed25519_from_seed(const uint8_t *seed, ms_secret_key **out, ms_error *err)
{
    ms_secret_key *sk = calloc(1, sizeof *sk);
    if (sk == NULL)
        return ms_fail(err, MS_E_NOMEM, "out of memory");
    sk->alg = MS_ALG_ED25519;
    sk->pub.alg = MS_ALG_ED25519;
    sk->u.ed25519.sk = sodium_malloc(ED25519_SK_LEN);
    if (sk->u.ed25519.sk == NULL) {
        free(sk);
        return ms_fail(err, MS_E_NOMEM, "out of memory (secure memory)");
    }
    if (crypto_sign_seed_keypair(sk->pub.u.ed25519.pk, sk->u.ed25519.sk, seed) != 0) {
        ms_secret_key_free(sk);
        return ms_fail(err, MS_E_CRYPTO, "ed25519 key derivation failed");
    }
    keyid_of_bytes(sk->pub.u.ed25519.pk, ED25519_PK_LEN, sk->pub.keyid);
    /* Best effort: a stray write through a bad pointer then faults instead of
     * corrupting the key.  Not every platform supports it. */
    (void)sodium_mprotect_readonly(sk->u.ed25519.sk);
    *out = sk;
    return MS_OK;
}

/* ---- ECDSA keys as DER ---------------------------------------------------- */

/*
 * The canonical SubjectPublicKeyInfo of an EC key on `c`: the fixed prefix,
 * then 0x04 || X || Y with both coordinates padded to the field length.
 * Whatever encoding the key came in (a compressed point, explicit
 * lengths), the key id is computed over these bytes.
 */
static int ec_canonical_spki(const EVP_PKEY *pkey, const ec_curve *c, uint8_t *out, size_t *len)
{
    BIGNUM *x = NULL, *y = NULL;
    int ok = EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_EC_PUB_X, &x) == 1 &&
             EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_EC_PUB_Y, &y) == 1;
    if (ok) {
        uint8_t *q = out + c->prefix_len;
        memcpy(out, c->spki_prefix, c->prefix_len);
        q[0] = 0x04;
        ok = BN_bn2binpad(x, q + 1, (int)c->field_len) == (int)c->field_len &&
             BN_bn2binpad(y, q + 1 + c->field_len, (int)c->field_len) == (int)c->field_len;
        *len = c->prefix_len + 1 + 2 * c->field_len;
    }
    BN_free(x);
    BN_free(y);
    return ok;
}

/* The key's curve must be the one its algorithm identifier named. */
static int ec_group_is(const EVP_PKEY *pkey, const ec_curve *c)
{
    char name[64];
    size_t n = 0;
    return EVP_PKEY_is_a(pkey, "EC") &&
           EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, name, sizeof name,
                                          &n) == 1 &&
           strcmp(name, c->group) == 0;
}

/* A short name for an algorithm OID, for messages ("rsa", "ed448", "1.2.3.4"). */
static const char *oid_name(const ASN1_OBJECT *obj, char buf[96])
{
    switch (OBJ_obj2nid(obj)) {
    case NID_rsaEncryption:
        return "rsa";
    case NID_rsassaPss:
        return "rsa-pss";
    case NID_dsa:
        return "dsa";
    case NID_ED448:
        return "ed448";
    case NID_X25519:
        return "x25519";
    case NID_X448:
        return "x448";
    case NID_dhKeyAgreement:
    case NID_dhpublicnumber:
        return "dh";
    }
    if (OBJ_obj2txt(buf, 96, obj, 0) <= 0)
        snprintf(buf, 96, "(unnamed)");
    for (char *p = buf; *p != '\0'; p++)
        if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
            *p = '?';
    return buf;
}

/*
 * The curve named by an id-ecPublicKey AlgorithmIdentifier's parameters:
 * P-256 and P-384 by name; anything else is refused naming it.
 */
static ms_status ec_curve_of_params(int ptype, const void *pval, const char *what,
                                    const ec_curve **out, ms_error *err)
{
    *out = NULL;
    if (ptype == V_ASN1_SEQUENCE)
        return OSSL_FAIL(err, MS_E_UNSUPPORTED,
                         "%s: unsupported EC key with explicit curve parameters (supported: "
                         "P-256 and P-384 by name)",
                         what);
    if (ptype != V_ASN1_OBJECT || pval == NULL)
        return OSSL_FAIL(err, MS_E_FORMAT, "%s: EC key without a named curve", what);
    int nid = OBJ_obj2nid((const ASN1_OBJECT *)pval);
    if ((*out = curve_of_nid(nid)) != NULL)
        return MS_OK;
    char buf[96];
    const char *name = nid != NID_undef ? OBJ_nid2sn(nid) : NULL;
    if (name == NULL)
        name = oid_name((const ASN1_OBJECT *)pval, buf);
    return OSSL_FAIL(err, MS_E_UNSUPPORTED,
                     "%s: unsupported key algorithm: ecdsa on curve '%s' (supported: " SUPPORTED_ALGS
                     ")",
                     what, name);
}

/* The algorithm an AlgorithmIdentifier names; unsupported ones are refused naming them. */
static ms_status alg_of_identifier(const ASN1_OBJECT *obj, const X509_ALGOR *palg,
                                   const char *what, ms_key_algorithm *alg, ms_error *err)
{
    char buf[96];
    int nid = OBJ_obj2nid(obj);
    if (nid == NID_ED25519) {
        *alg = MS_ALG_ED25519;
        return MS_OK;
    }
    if (nid == NID_X9_62_id_ecPublicKey) {
        int ptype = V_ASN1_UNDEF;
        const void *pval = NULL;
        const ec_curve *c = NULL;
        X509_ALGOR_get0(NULL, &ptype, &pval, palg);
        ms_status st = ec_curve_of_params(ptype, pval, what, &c, err);
        if (st == MS_OK)
            *alg = c->alg;
        return st;
    }
    return OSSL_FAIL(err, MS_E_UNSUPPORTED,
                     "%s: unsupported key algorithm '%s' (supported: " SUPPORTED_ALGS ")", what,
                     oid_name(obj, buf));
}

/*
 * A public key from a DER SubjectPublicKeyInfo.  want: the algorithm the
 * key must have (0: any supported one).  canonical: the bytes must be
 * exactly the canonical encoding (our own key files); PEM files made
 * elsewhere may use another encoding of the same key, which is normalized.
 * `field` names the place in messages ("field 'key'", "the PEM key").
 */
static ms_status public_from_spki(const uint8_t *der, size_t len, ms_key_algorithm want,
                                  int canonical, const char *what, const char *field,
                                  ms_public_key *pk, ms_error *err)
{
    memset(pk, 0, sizeof *pk);
    const unsigned char *p = der;
    if (len == 0 || len > KEY_FILE_MAX)
        return ms_fail(err, MS_E_FORMAT, "%s: %s is not a DER SubjectPublicKeyInfo", what, field);
    X509_PUBKEY *xpk = d2i_X509_PUBKEY(NULL, &p, (long)len);
    if (xpk == NULL)
        return OSSL_FAIL(err, MS_E_FORMAT, "%s: %s is not a DER SubjectPublicKeyInfo", what,
                         field);
    ms_status st = MS_OK;
    ASN1_OBJECT *obj = NULL;
    X509_ALGOR *palg = NULL;
    ms_key_algorithm alg = 0;
    if (p != der + len) {
        st = OSSL_FAIL(err, MS_E_FORMAT, "%s: %s has bytes after the SubjectPublicKeyInfo", what,
                       field);
        goto out;
    }
    if (X509_PUBKEY_get0_param(&obj, NULL, NULL, &palg, xpk) != 1 || obj == NULL) {
        st = OSSL_FAIL(err, MS_E_FORMAT, "%s: %s is not a DER SubjectPublicKeyInfo", what, field);
        goto out;
    }
    if ((st = alg_of_identifier(obj, palg, what, &alg, err)) != MS_OK)
        goto out;
    if (want != 0 && alg != want) {
        st = OSSL_FAIL(err, MS_E_KEY,
                       "%s: %s holds an %s key, but field 'algorithm' says '%s'", what, field,
                       ms_key_algorithm_name(alg), ms_key_algorithm_name(want));
        goto out;
    }
    /* Decodes the key itself: an EC point must lie on the curve. */
    EVP_PKEY *pkey = X509_PUBKEY_get0(xpk);
    if (pkey == NULL) {
        st = OSSL_FAIL(err, MS_E_KEY, "%s: %s is not a valid %s public key", what, field,
                       ms_key_algorithm_name(alg));
        goto out;
    }
    pk->alg = alg;
    if (alg == MS_ALG_ED25519) {
        size_t n = ED25519_PK_LEN;
        if (EVP_PKEY_get_raw_public_key(pkey, pk->u.ed25519.pk, &n) != 1 ||
            n != ED25519_PK_LEN) {
            st = OSSL_FAIL(err, MS_E_KEY, "%s: %s is not a valid ed25519 public key", what,
                           field);
            goto out;
        }
        keyid_of_bytes(pk->u.ed25519.pk, ED25519_PK_LEN, pk->keyid);
    } else {
        const ec_curve *c = curve_of_alg(alg);
        if (!ec_group_is(pkey, c) ||
            !ec_canonical_spki(pkey, c, pk->u.ecdsa.spki, &pk->u.ecdsa.spki_len)) {
            st = OSSL_FAIL(err, MS_E_KEY, "%s: %s is not a valid %s public key", what, field,
                           ms_key_algorithm_name(alg));
            goto out;
        }
        if (canonical &&
            (len != pk->u.ecdsa.spki_len || memcmp(der, pk->u.ecdsa.spki, len) != 0)) {
            st = ms_fail(err, MS_E_KEY,
                         "%s: %s is not the canonical SubjectPublicKeyInfo (named curve, "
                         "uncompressed point)",
                         what, field);
            goto out;
        }
        keyid_of_bytes(pk->u.ecdsa.spki, pk->u.ecdsa.spki_len, pk->keyid);
    }
out:
    X509_PUBKEY_free(xpk);
    if (st != MS_OK)
        memset(pk, 0, sizeof *pk);
    return st;
}

/* Build an ECDSA secret key object around PKCS#8 bytes (copied) and its public half. */
static ms_status ecdsa_secret_new(const uint8_t *p8, size_t p8_len, const ms_public_key *pub,
                                  ms_secret_key **out, ms_error *err)
{
    ms_secret_key *sk = calloc(1, sizeof *sk);
    if (sk == NULL)
        return ms_fail(err, MS_E_NOMEM, "out of memory");
    sk->alg = pub->alg;
    sk->pub = *pub;
    sk->u.ecdsa.p8 = sodium_malloc(p8_len);
    if (sk->u.ecdsa.p8 == NULL) {
        free(sk);
        return ms_fail(err, MS_E_NOMEM, "out of memory (secure memory)");
    }
    memcpy(sk->u.ecdsa.p8, p8, p8_len);
    sk->u.ecdsa.p8_len = p8_len;
    (void)sodium_mprotect_readonly(sk->u.ecdsa.p8);
    *out = sk;
    return MS_OK;
}

/*
 * Decode DER PKCS#8 (in secure memory) into an EVP_PKEY; *alg gets its
 * algorithm.  Trailing bytes and encrypted PKCS#8 are refused.
 */
static ms_status pkey_from_p8(const uint8_t *der, size_t len, const char *what, const char *field,
                              ms_key_algorithm *alg, EVP_PKEY **out, ms_error *err)
{
    *out = NULL;
    if (len == 0 || len > KEY_FILE_MAX)
        return ms_fail(err, MS_E_FORMAT, "%s: %s is not an unencrypted DER PKCS#8 private key",
                       what, field);
    const unsigned char *p = der;
    PKCS8_PRIV_KEY_INFO *p8 = d2i_PKCS8_PRIV_KEY_INFO(NULL, &p, (long)len);
    if (p8 == NULL)
        return OSSL_FAIL(err, MS_E_FORMAT,
                         "%s: %s is not an unencrypted DER PKCS#8 private key", what, field);
    ms_status st = MS_OK;
    const ASN1_OBJECT *obj = NULL;
    const X509_ALGOR *palg = NULL;
    if (p != der + len)
        st = OSSL_FAIL(err, MS_E_FORMAT, "%s: %s has bytes after the PKCS#8 private key", what,
                       field);
    else if (PKCS8_pkey_get0(&obj, NULL, NULL, &palg, p8) != 1 || obj == NULL)
        st = OSSL_FAIL(err, MS_E_FORMAT, "%s: %s is not an unencrypted DER PKCS#8 private key",
                       what, field);
    else
        st = alg_of_identifier(obj, palg, what, alg, err);
    if (st == MS_OK && (*out = EVP_PKCS82PKEY(p8)) == NULL)
        st = OSSL_FAIL(err, MS_E_KEY, "%s: %s is not a valid %s private key", what, field,
                       ms_key_algorithm_name(*alg));
    PKCS8_PRIV_KEY_INFO_free(p8); /* clears the key bytes it holds */
    return st;
}

/*
 * A secret key from DER PKCS#8 (in secure memory).  want: the algorithm it
 * must have (0: any supported one).  Ed25519 keys become the same object as
 * a seed from our own key file; EC keys must pass OpenSSL's pairwise check
 * (the public key inside, if any, belongs to the private key).
 */
static ms_status secret_from_p8(const uint8_t *der, size_t len, ms_key_algorithm want,
                                const char *what, const char *field, ms_secret_key **out,
                                ms_error *err)
{
    *out = NULL;
    ms_key_algorithm alg = 0;
    EVP_PKEY *pkey = NULL;
    ms_status st = pkey_from_p8(der, len, what, field, &alg, &pkey, err);
    if (st != MS_OK)
        return st;
    if (want != 0 && alg != want) {
        st = ms_fail(err, MS_E_KEY, "%s: %s holds an %s key, but field 'algorithm' says '%s'",
                     what, field, ms_key_algorithm_name(alg), ms_key_algorithm_name(want));
    } else if (alg == MS_ALG_ED25519) {
        uint8_t *seed = sodium_malloc(ED25519_SEED_LEN);
        size_t n = ED25519_SEED_LEN;
        if (seed == NULL)
            st = ms_fail(err, MS_E_NOMEM, "out of memory (secure memory)");
        else if (EVP_PKEY_get_raw_private_key(pkey, seed, &n) != 1 || n != ED25519_SEED_LEN)
            st = OSSL_FAIL(err, MS_E_KEY, "%s: %s is not a valid ed25519 private key", what,
                           field);
        else
            st = ed25519_from_seed(seed, out, err);
        if (seed != NULL)
            sodium_free(seed);
    } else {
        const ec_curve *c = curve_of_alg(alg);
        ms_public_key pub;
        memset(&pub, 0, sizeof pub);
        pub.alg = alg;
        EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
        int ok = ctx != NULL && ec_group_is(pkey, c) && EVP_PKEY_pairwise_check(ctx) == 1 &&
                 ec_canonical_spki(pkey, c, pub.u.ecdsa.spki, &pub.u.ecdsa.spki_len);
        EVP_PKEY_CTX_free(ctx);
        if (!ok) {
            st = OSSL_FAIL(err, MS_E_KEY, "%s: %s is not a valid %s private key", what, field,
                           ms_key_algorithm_name(alg));
        } else {
            keyid_of_bytes(pub.u.ecdsa.spki, pub.u.ecdsa.spki_len, pub.keyid);
            st = ecdsa_secret_new(der, len, &pub, out, err);
        }
    }
    EVP_PKEY_free(pkey);
    return st;
}

/* ---- generation, accessors, freeing ------------------------------------- */

static ms_status ecdsa_generate(const ec_curve *c, ms_secret_key **out, ms_error *err)
{
    EVP_PKEY *pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", c->keygen);
    if (pkey == NULL)
        return OSSL_FAIL(err, MS_E_CRYPTO, "%s key generation failed",
                         ms_key_algorithm_name(c->alg));
    ms_status st = MS_OK;
    ms_public_key pub;
    memset(&pub, 0, sizeof pub);
    pub.alg = c->alg;
    uint8_t *p8 = sodium_malloc(EC_P8_MAX);
    OSSL_ENCODER_CTX *ectx =
        OSSL_ENCODER_CTX_new_for_pkey(pkey, EVP_PKEY_KEYPAIR, "DER", "PrivateKeyInfo", NULL);
    unsigned char *w = p8;
    size_t left = EC_P8_MAX;
    if (p8 == NULL)
        st = ms_fail(err, MS_E_NOMEM, "out of memory (secure memory)");
    else if (ectx == NULL || OSSL_ENCODER_CTX_get_num_encoders(ectx) == 0 ||
             OSSL_ENCODER_to_data(ectx, &w, &left) != 1 ||
             !ec_canonical_spki(pkey, c, pub.u.ecdsa.spki, &pub.u.ecdsa.spki_len))
        st = OSSL_FAIL(err, MS_E_CRYPTO, "%s key encoding failed", ms_key_algorithm_name(c->alg));
    OSSL_ENCODER_CTX_free(ectx);
    EVP_PKEY_free(pkey);
    if (st == MS_OK) {
        keyid_of_bytes(pub.u.ecdsa.spki, pub.u.ecdsa.spki_len, pub.keyid);
        st = ecdsa_secret_new(p8, EC_P8_MAX - left, &pub, out, err);
    }
    if (p8 != NULL)
        sodium_free(p8);
    return st;
}

ms_status ms_key_generate(ms_key_algorithm alg, ms_secret_key **out, ms_error *err)
{
    *out = NULL;
    ms_status st = sodium_ready(err);
    if (st != MS_OK)
        return st;
    const ec_curve *c = curve_of_alg(alg);
    if (c != NULL)
        return ecdsa_generate(c, out, err);
    if (alg != MS_ALG_ED25519)
        return ms_fail(err, MS_E_UNSUPPORTED, "unsupported key algorithm %d", (int)alg);
    uint8_t *seed = sodium_malloc(ED25519_SEED_LEN);
    if (seed == NULL)
        return ms_fail(err, MS_E_NOMEM, "out of memory (secure memory)");
    randombytes_buf(seed, ED25519_SEED_LEN);
    st = ed25519_from_seed(seed, out, err);
    sodium_free(seed);
    return st;
}

void ms_secret_key_free(ms_secret_key *sk)
{
    if (sk == NULL)
        return;
    switch (sk->alg) {
    case MS_ALG_ED25519:
        if (sk->u.ed25519.sk != NULL)
            sodium_free(sk->u.ed25519.sk); /* unprotects and wipes */
        break;
    case MS_ALG_ECDSA_P256:
    case MS_ALG_ECDSA_P384:
        if (sk->u.ecdsa.p8 != NULL)
            sodium_free(sk->u.ecdsa.p8);
        break;
    }
    sodium_memzero(sk, sizeof *sk);
    free(sk);
}

void ms_public_key_free(ms_public_key *pk)
{
    free(pk);
}

ms_key_algorithm ms_secret_key_algorithm(const ms_secret_key *sk)
{
    return sk->alg;
}

ms_key_algorithm ms_public_key_algorithm(const ms_public_key *pk)
{
    return pk->alg;
}

const char *ms_secret_key_id(const ms_secret_key *sk)
{
    return sk->pub.keyid;
}

const char *ms_public_key_id(const ms_public_key *pk)
{
    return pk->keyid;
}

ms_status ms_secret_key_public(const ms_secret_key *sk, ms_public_key **out, ms_error *err)
{
    *out = NULL;
    if (sk == NULL)
        return ms_fail(err, MS_E_USAGE, "no secret key given");
    ms_public_key *pk = malloc(sizeof *pk);
    if (pk == NULL)
        return ms_fail(err, MS_E_NOMEM, "out of memory");
    *pk = sk->pub;
    *out = pk;
    return MS_OK;
}

/* ---- signing and verification ------------------------------------------- */

/*
 * Strict DER of an ECDSA-Sig-Value: SEQUENCE { r INTEGER, s INTEGER } with
 * minimal lengths, minimal positive integers of at most field_len
 * significant bytes, and nothing after it.  (OpenSSL re-encodes and
 * compares as well; this check comes first so the refusal says why.)
 */
static int der_integer_ok(const uint8_t *p, size_t n, size_t field_len)
{
    if (n == 0 || (p[0] & 0x80) != 0) /* empty or negative */
        return 0;
    if (n > 1 && p[0] == 0x00 && (p[1] & 0x80) == 0) /* a needless leading zero */
        return 0;
    return n - (p[0] == 0x00 && n > 1) <= field_len;
}

static int ecdsa_der_ok(const uint8_t *sig, size_t len, size_t field_len)
{
    /* For P-256 and P-384 every length fits the short form (< 128). */
    if (len < 8 || sig[0] != 0x30 || sig[1] >= 0x80 || (size_t)sig[1] + 2 != len)
        return 0;
    size_t pos = 2;
    for (int i = 0; i < 2; i++) {
        if (pos + 2 > len || sig[pos] != 0x02 || sig[pos + 1] >= 0x80)
            return 0;
        size_t n = sig[pos + 1];
        pos += 2;
        if (n > len - pos || !der_integer_ok(sig + pos, n, field_len))
            return 0;
        pos += n;
    }
    return pos == len;
}

/* 1 valid, 0 invalid, -1 OpenSSL could not check. */
static int ecdsa_verify_raw(const ms_public_key *pk, const ec_curve *c, const uint8_t *msg,
                            size_t len, const uint8_t *sig, size_t sig_len)
{
    const unsigned char *p = pk->u.ecdsa.spki;
    EVP_PKEY *pkey = d2i_PUBKEY(NULL, &p, (long)pk->u.ecdsa.spki_len);
    EVP_MD_CTX *mctx = EVP_MD_CTX_new();
    int rc = -1;
    if (pkey != NULL && mctx != NULL &&
        EVP_DigestVerifyInit_ex(mctx, NULL, c->md, NULL, NULL, pkey, NULL) == 1)
        rc = EVP_DigestVerify(mctx, sig, sig_len, msg, len) == 1 ? 1 : 0;
    EVP_MD_CTX_free(mctx);
    EVP_PKEY_free(pkey);
    ERR_clear_error();
    return rc;
}

static ms_status ecdsa_sign(const ms_secret_key *sk, const ec_curve *c, const uint8_t *msg,
                            size_t len, uint8_t **sig, size_t *sig_len, ms_error *err)
{
    ms_key_algorithm alg = 0;
    EVP_PKEY *pkey = NULL;
    ms_status st = pkey_from_p8(sk->u.ecdsa.p8, sk->u.ecdsa.p8_len, sk->pub.keyid, "the key",
                                &alg, &pkey, err);
    if (st != MS_OK)
        return st;
    EVP_MD_CTX *mctx = EVP_MD_CTX_new();
    uint8_t *s = NULL;
    size_t n = 0;
    if (alg != c->alg || mctx == NULL ||
        EVP_DigestSignInit_ex(mctx, NULL, c->md, NULL, NULL, pkey, NULL) != 1 ||
        EVP_DigestSign(mctx, NULL, &n, msg, len) != 1 || n == 0 || (s = malloc(n)) == NULL ||
        EVP_DigestSign(mctx, s, &n, msg, len) != 1)
        st = OSSL_FAIL(err, s == NULL && n != 0 ? MS_E_NOMEM : MS_E_CRYPTO,
                       "%s signing failed with key %s", ms_key_algorithm_name(c->alg),
                       sk->pub.keyid);
    EVP_MD_CTX_free(mctx);
    EVP_PKEY_free(pkey); /* the private key leaves OpenSSL's memory here */
    /* Check the signature before it leaves: a fault while signing must not
     * publish a bad signature (or one that leaks the key). */
    if (st == MS_OK &&
        (!ecdsa_der_ok(s, n, c->field_len) || ecdsa_verify_raw(&sk->pub, c, msg, len, s, n) != 1))
        st = ms_fail(err, MS_E_CRYPTO, "%s signature by key %s does not verify",
                     ms_key_algorithm_name(c->alg), sk->pub.keyid);
    if (st != MS_OK) {
        free(s);
        return st;
    }
    *sig = s;
    *sig_len = n;
    return MS_OK;
}

ms_status ms_key_sign(const ms_secret_key *sk, const uint8_t *msg, size_t len, uint8_t **sig,
                      size_t *sig_len, ms_error *err)
{
    static const uint8_t empty[1];
    *sig = NULL;
    *sig_len = 0;
    if (sk == NULL)
        return ms_fail(err, MS_E_USAGE, "no secret key given");
    if (msg == NULL && len > 0)
        return ms_fail(err, MS_E_USAGE, "no message given");
    ms_status st = sodium_ready(err);
    if (st != MS_OK)
        return st;
    const ec_curve *c = curve_of_alg(sk->alg);
    if (c != NULL)
        return ecdsa_sign(sk, c, msg != NULL ? msg : empty, len, sig, sig_len, err);
    if (sk->alg != MS_ALG_ED25519)
        return ms_fail(err, MS_E_UNSUPPORTED, "unsupported key algorithm %d", (int)sk->alg);
    uint8_t *s = malloc(ED25519_SIG_LEN);
    if (s == NULL)
        return ms_fail(err, MS_E_NOMEM, "out of memory");
    if (crypto_sign_detached(s, NULL, msg != NULL ? msg : empty, len, sk->u.ed25519.sk) != 0) {
        free(s);
        return ms_fail(err, MS_E_CRYPTO, "ed25519 signing failed with key %s", sk->pub.keyid);
    }
    *sig = s;
    *sig_len = ED25519_SIG_LEN;
    return MS_OK;
}

ms_status ms_key_verify(const ms_public_key *pk, const uint8_t *msg, size_t len, const uint8_t *sig,
                        size_t sig_len, ms_error *err)
{
    static const uint8_t empty[1];
    if (pk == NULL)
        return ms_fail(err, MS_E_USAGE, "no public key given");
    if ((msg == NULL && len > 0) || (sig == NULL && sig_len > 0))
        return ms_fail(err, MS_E_USAGE, "no message or signature given");
    ms_status st = sodium_ready(err);
    if (st != MS_OK)
        return st;
    const ec_curve *c = curve_of_alg(pk->alg);
    if (c != NULL) {
        if (!ecdsa_der_ok(sig, sig_len, c->field_len))
            return ms_fail(err, MS_E_REJECTED,
                           "signature is not a DER-encoded %s signature (%zu bytes; key %s)",
                           ms_key_algorithm_name(pk->alg), sig_len, pk->keyid);
        int rc = ecdsa_verify_raw(pk, c, msg != NULL ? msg : empty, len, sig, sig_len);
        if (rc < 0)
            return ms_fail(err, MS_E_CRYPTO, "%s verification failed in OpenSSL (key %s)",
                           ms_key_algorithm_name(pk->alg), pk->keyid);
        if (rc == 0)
            return ms_fail(err, MS_E_REJECTED, "%s signature does not verify with key %s",
                           ms_key_algorithm_name(pk->alg), pk->keyid);
        return MS_OK;
    }
    if (pk->alg != MS_ALG_ED25519)
        return ms_fail(err, MS_E_UNSUPPORTED, "unsupported key algorithm %d", (int)pk->alg);
    if (sig_len != ED25519_SIG_LEN)
        return ms_fail(err, MS_E_REJECTED,
                       "signature is %zu bytes; an ed25519 signature is %d bytes (key %s)",
                       sig_len, (int)ED25519_SIG_LEN, pk->keyid);
    /* libsodium also refuses non-canonical S and small-order keys and R. */
    if (crypto_sign_verify_detached(sig, msg != NULL ? msg : empty, len, pk->u.ed25519.pk) != 0)
        return ms_fail(err, MS_E_REJECTED, "ed25519 signature does not verify with key %s",
                       pk->keyid);
    return MS_OK;
}

/* ---- key file parsing --------------------------------------------------- */

enum {
    F_TYPE,
    F_ALGORITHM,
    F_KEYID,
    F_ENCRYPTION,
    F_KDF_OPSLIMIT,
    F_KDF_MEMLIMIT,
    F_SALT,
    F_NONCE,
    F_KEY,
    F_COUNT
};
/* Also the order in which fields are written (and, for encrypted keys, authenticated). */
static const char *const field_names[F_COUNT] = {
    "type", "algorithm", "keyid", "encryption", "kdf-opslimit", "kdf-memlimit", "salt", "nonce",
    "key"};
/* The fields only an encrypted secret key file has. */
static const int enc_fields[] = {F_KDF_OPSLIMIT, F_KDF_MEMLIMIT, F_SALT, F_NONCE};
#define N_ENC_FIELDS (sizeof enc_fields / sizeof enc_fields[0])

typedef struct span {
    const char *p;
    size_t n;
} span;

typedef struct key_fields {
    int present[F_COUNT];
    span v[F_COUNT];
} key_fields;

static int span_is(span s, const char *lit)
{
    size_t n = strlen(lit);
    return s.n == n && memcmp(s.p, lit, n) == 0;
}

static int is_field_name(const char *p, size_t n)
{
    if (n == 0 || n > 32)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((p[i] >= 'a' && p[i] <= 'z') || p[i] == '-' || p[i] == '_'))
            return 0;
    return 1;
}

/*
 * Split a key file image into its fields.  Nothing from a `key` line ever
 * goes into a message: for secret keys it is the seed.
 */
static ms_status parse_fields(const char *text, size_t len, const char *what, key_fields *f,
                              ms_error *err)
{
    char q[QUOTE_MAX + 4];
    memset(f, 0, sizeof *f);
    if (len == 0)
        return ms_fail(err, MS_E_FORMAT, "%s: empty key file", what);
    if (memchr(text, '\0', len) != NULL)
        return ms_fail(err, MS_E_FORMAT, "%s: contains a NUL byte; not a key file", what);

    size_t pos = 0;
    unsigned line = 0;
    while (pos < len) {
        line++;
        const char *s = text + pos;
        const char *nl = memchr(s, '\n', len - pos);
        /* A missing newline after the last line is tolerated. */
        size_t n = nl != NULL ? (size_t)(nl - s) : len - pos;
        pos += n + (nl != NULL);
        if (n > 0 && s[n - 1] == '\r')
            n--;

        if (line == 1) {
            if (n == strlen(KEY_MAGIC) && memcmp(s, KEY_MAGIC, n) == 0)
                continue;
            size_t pl = strlen(KEY_MAGIC_PREFIX);
            if (n > pl && memcmp(s, KEY_MAGIC_PREFIX, pl) == 0)
                return ms_fail(err, MS_E_UNSUPPORTED,
                               "%s: unsupported key file version '%s' (expected v1)", what,
                               quote(s + pl, n - pl, q));
            return ms_fail(err, MS_E_FORMAT,
                           "%s: not a modelseal key file (first line must be '%s') nor a PEM "
                           "key ('-----BEGIN ...')",
                           what, KEY_MAGIC);
        }
        if (n == 0)
            return ms_fail(err, MS_E_FORMAT, "%s: line %u: empty line", what, line);
        const char *colon = memchr(s, ':', n);
        if (colon == NULL || (size_t)(colon - s) + 1 >= n || colon[1] != ' ')
            return ms_fail(err, MS_E_FORMAT, "%s: line %u: expected 'field: value'", what, line);
        size_t name_len = (size_t)(colon - s);
        int idx = -1;
        for (int i = 0; i < F_COUNT; i++)
            if (strlen(field_names[i]) == name_len && memcmp(s, field_names[i], name_len) == 0)
                idx = i;
        if (idx < 0) {
            if (is_field_name(s, name_len))
                return ms_fail(err, MS_E_FORMAT, "%s: line %u: unknown field '%.*s'", what, line,
                               (int)name_len, s);
            return ms_fail(err, MS_E_FORMAT, "%s: line %u: unknown field", what, line);
        }
        if (f->present[idx])
            return ms_fail(err, MS_E_FORMAT, "%s: line %u: duplicate field '%s'", what, line,
                           field_names[idx]);
        f->present[idx] = 1;
        f->v[idx].p = colon + 2;
        f->v[idx].n = n - name_len - 2;
    }
    return MS_OK;
}

static ms_status need_field(const key_fields *f, int idx, const char *what, ms_error *err)
{
    if (!f->present[idx])
        return ms_fail(err, MS_E_FORMAT, "%s: missing field '%s'", what, field_names[idx]);
    return MS_OK;
}

/*
 * Check everything but the key bytes; *alg and *encrypted get what the
 * file says.  The type comes first so that a public key file handed to the
 * secret key loader is named as such rather than reported as lacking
 * `encryption`.
 */
static ms_status check_fields(const key_fields *f, const char *what, int want_secret,
                              ms_key_algorithm *alg, int *encrypted, ms_error *err)
{
    char q[QUOTE_MAX + 4];
    *alg = 0;
    *encrypted = 0;
    ms_status st = need_field(f, F_TYPE, what, err);
    if (st != MS_OK)
        return st;
    span type = f->v[F_TYPE];
    int is_secret;
    if (span_is(type, "secret"))
        is_secret = 1;
    else if (span_is(type, "public"))
        is_secret = 0;
    else
        return ms_fail(err, MS_E_FORMAT, "%s: field 'type' must be 'secret' or 'public', not '%s'",
                       what, quote(type.p, type.n, q));
    if (want_secret && !is_secret)
        return ms_fail(err, MS_E_KEY,
                       "%s: this is a public key file, but a secret key (NAME.key) is needed",
                       what);
    if (!want_secret && is_secret)
        return ms_fail(err, MS_E_KEY,
                       "%s: this is a secret key file, but a public key (NAME.pub) is expected",
                       what);

    static const int required[] = {F_ALGORITHM, F_KEYID, F_KEY};
    for (size_t i = 0; i < sizeof required / sizeof required[0]; i++)
        if ((st = need_field(f, required[i], what, err)) != MS_OK)
            return st;
    if (is_secret && (st = need_field(f, F_ENCRYPTION, what, err)) != MS_OK)
        return st;
    if (!is_secret && f->present[F_ENCRYPTION])
        return ms_fail(err, MS_E_FORMAT,
                       "%s: field 'encryption' does not belong in a public key file", what);

    span a = f->v[F_ALGORITHM];
    for (ms_key_algorithm k = MS_ALG_ED25519; k <= MS_ALG_ECDSA_P384; k++)
        if (span_is(a, ms_key_algorithm_name(k)))
            *alg = k;
    if (*alg == 0)
        return ms_fail(err, MS_E_UNSUPPORTED,
                       "%s: unsupported algorithm '%s' (supported: " SUPPORTED_ALGS ")", what,
                       quote(a.p, a.n, q));
    if (is_secret) {
        span e = f->v[F_ENCRYPTION];
        if (span_is(e, MS_KEY_ENCRYPTION))
            *encrypted = 1;
        else if (!span_is(e, "none"))
            return ms_fail(err, MS_E_UNSUPPORTED,
                           "%s: unsupported encryption '%s' (supported: none, " MS_KEY_ENCRYPTION
                           ")",
                           what, quote(e.p, e.n, q));
    }
    for (size_t i = 0; i < N_ENC_FIELDS; i++) {
        int k = enc_fields[i];
        if (*encrypted && (st = need_field(f, k, what, err)) != MS_OK)
            return st;
        if (!*encrypted && f->present[k])
            return ms_fail(err, MS_E_FORMAT, "%s: field '%s' does not belong in %s", what,
                           field_names[k],
                           is_secret ? "an unencrypted key file" : "a public key file");
    }

    span id = f->v[F_KEYID];
    int hex_ok = id.n == MS_KEYID_HEX_LEN;
    for (size_t i = 0; hex_ok && i < id.n; i++)
        hex_ok = (id.p[i] >= '0' && id.p[i] <= '9') || (id.p[i] >= 'a' && id.p[i] <= 'f');
    if (!hex_ok)
        return ms_fail(err, MS_E_FORMAT, "%s: field 'keyid' is not 64 lower-case hex digits", what);
    return MS_OK;
}

static ms_status check_keyid(const key_fields *f, const char *computed, const char *what,
                             ms_error *err)
{
    if (memcmp(f->v[F_KEYID].p, computed, MS_KEYID_HEX_LEN) != 0)
        return ms_fail(err, MS_E_KEY,
                       "%s: field 'keyid' does not match the key (file says %.*s, key is %s)", what,
                       MS_KEYID_HEX_LEN, f->v[F_KEYID].p, computed);
    return MS_OK;
}

/* ---- PEM ------------------------------------------------------------------ */

#define PEM_BEGIN "-----BEGIN "
#define PEM_END "-----END "
#define PEM_DASHES "-----"
#define PEM_LABEL_MAX 40

static int is_pem(const char *text, size_t len)
{
    return len >= strlen(PEM_BEGIN) && memcmp(text, PEM_BEGIN, strlen(PEM_BEGIN)) == 0;
}

/* "-----<word> LABEL-----": the label, or 0 if the line is not one. */
static size_t pem_label(const char *s, size_t n, const char *word, char label[PEM_LABEL_MAX + 1])
{
    size_t wl = strlen(word), dl = strlen(PEM_DASHES);
    if (n < wl + dl + 1 || memcmp(s, word, wl) != 0 || memcmp(s + n - dl, PEM_DASHES, dl) != 0)
        return 0;
    size_t ll = n - wl - dl;
    if (ll > PEM_LABEL_MAX)
        return 0;
    for (size_t i = 0; i < ll; i++) {
        char c = s[wl + i];
        if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == ' '))
            return 0;
    }
    memcpy(label, s + wl, ll);
    label[ll] = '\0';
    return ll;
}

/*
 * Decode a PEM file holding exactly one block: the BEGIN line first, lines
 * of base64, the matching END line, then nothing but empty lines.  Lines
 * may end with "\r\n".  Headers (old encrypted PEM) are refused.  The DER
 * goes to sodium_malloc() memory when secret, else malloc() memory.  The
 * body is never quoted.
 */
static ms_status pem_decode(const char *text, size_t len, const char *what, int secret,
                            char label[PEM_LABEL_MAX + 1], uint8_t **der, size_t *der_len,
                            ms_error *err)
{
    *der = NULL;
    *der_len = 0;
    if (memchr(text, '\0', len) != NULL)
        return ms_fail(err, MS_E_FORMAT, "%s: contains a NUL byte; not a key file", what);
    /* The base64 body, its lines joined; no longer than the file. */
    char *b64 = secret ? sodium_malloc(len + 1) : malloc(len + 1);
    if (b64 == NULL)
        return ms_fail(err, MS_E_NOMEM, "%s: out of memory", what);
    size_t b64_len = 0, pos = 0;
    unsigned line = 0;
    int state = 0; /* 0: before BEGIN, 1: body, 2: after END */
    char end_label[PEM_LABEL_MAX + 1];
    ms_status st = MS_OK;
    while (st == MS_OK && pos < len) {
        line++;
        const char *s = text + pos;
        const char *nl = memchr(s, '\n', len - pos);
        size_t n = nl != NULL ? (size_t)(nl - s) : len - pos;
        pos += n + (nl != NULL);
        if (n > 0 && s[n - 1] == '\r')
            n--;
        if (state == 0) {
            if (pem_label(s, n, PEM_BEGIN, label) == 0)
                st = ms_fail(err, MS_E_FORMAT, "%s: line 1: malformed PEM BEGIN line", what);
            state = 1;
        } else if (state == 1) {
            if (n >= strlen(PEM_END) && memcmp(s, PEM_END, strlen(PEM_END)) == 0) {
                if (pem_label(s, n, PEM_END, end_label) == 0 || strcmp(end_label, label) != 0)
                    st = ms_fail(err, MS_E_FORMAT,
                                 "%s: line %u: the PEM END line does not match '%s%s%s'", what,
                                 line, PEM_BEGIN, label, PEM_DASHES);
                state = 2;
                continue;
            }
            if (n == 0) {
                st = ms_fail(err, MS_E_FORMAT, "%s: line %u: empty line in the PEM body", what,
                             line);
                break;
            }
            if (memchr(s, ':', n) != NULL) {
                st = ms_fail(err, MS_E_UNSUPPORTED,
                             "%s: line %u: PEM headers (old-style encrypted PEM) are not "
                             "supported",
                             what, line);
                break;
            }
            memcpy(b64 + b64_len, s, n);
            b64_len += n;
        } else if (n != 0) {
            st = ms_fail(err, MS_E_FORMAT, "%s: line %u: text after the PEM END line", what,
                         line);
        }
    }
    if (st == MS_OK && state != 2)
        st = ms_fail(err, MS_E_FORMAT, "%s: the PEM block has no END line", what);
    if (st == MS_OK && b64_len == 0)
        st = ms_fail(err, MS_E_FORMAT, "%s: the PEM block is empty", what);
    if (st == MS_OK) {
        size_t cap = ms_base64_decoded_max(b64_len);
        uint8_t *out = secret ? sodium_malloc(cap) : malloc(cap);
        if (out == NULL) {
            st = ms_fail(err, MS_E_NOMEM, "%s: out of memory", what);
        } else if (ms_base64_decode_into(b64, b64_len, out, cap, der_len) != 0) {
            st = ms_fail(err, MS_E_FORMAT, "%s: the PEM body is not valid base64", what);
            if (secret)
                sodium_free(out);
            else
                free(out);
        } else {
            *der = out;
        }
    }
    if (secret)
        sodium_free(b64);
    else
        free(b64);
    return st;
}

/* A label of a private key PEM block, or of something else entirely. */
static int label_is_private(const char *label)
{
    size_t n = strlen(label), k = strlen("PRIVATE KEY");
    return n >= k && strcmp(label + n - k, "PRIVATE KEY") == 0;
}

/* Refusals of PEM blocks by their label; MS_OK for the label that fits. */
static ms_status pem_check_label(const char *label, int secret, const char *what, ms_error *err)
{
    const char *want = secret ? "PRIVATE KEY" : "PUBLIC KEY";
    if (strcmp(label, want) == 0)
        return MS_OK;
    if (strcmp(label, "RSA PRIVATE KEY") == 0 || strcmp(label, "RSA PUBLIC KEY") == 0)
        return ms_fail(err, MS_E_UNSUPPORTED,
                       "%s: unsupported key algorithm 'rsa' (supported: " SUPPORTED_ALGS ")",
                       what);
    if (strcmp(label, "DSA PRIVATE KEY") == 0)
        return ms_fail(err, MS_E_UNSUPPORTED,
                       "%s: unsupported key algorithm 'dsa' (supported: " SUPPORTED_ALGS ")",
                       what);
    if (!secret && label_is_private(label))
        return ms_fail(err, MS_E_KEY,
                       "%s: this is a private key (PEM %s), but a public key is expected", what,
                       label);
    if (secret && strcmp(label, "PUBLIC KEY") == 0)
        return ms_fail(err, MS_E_KEY,
                       "%s: this is a public key (PEM PUBLIC KEY), but a secret key is needed",
                       what);
    if (strcmp(label, "ENCRYPTED PRIVATE KEY") == 0)
        return ms_fail(err, MS_E_UNSUPPORTED,
                       "%s: encrypted PKCS#8 (PEM ENCRYPTED PRIVATE KEY) is not supported; "
                       "decrypt it with 'openssl pkey' or make an encrypted modelseal key",
                       what);
    if (strcmp(label, "EC PRIVATE KEY") == 0)
        return ms_fail(err, MS_E_UNSUPPORTED,
                       "%s: SEC1 EC keys (PEM EC PRIVATE KEY) are not supported; convert to "
                       "PKCS#8 with 'openssl pkcs8 -topk8 -nocrypt'",
                       what);
    if (strcmp(label, "CERTIFICATE") == 0 && !secret)
        return ms_fail(err, MS_E_UNSUPPORTED,
                       "%s: a certificate is not a public key file; extract the key with "
                       "'openssl x509 -pubkey -noout'",
                       what);
    return ms_fail(err, MS_E_UNSUPPORTED, "%s: unsupported PEM type '%s' (expected %s)", what,
                   label, want);
}

static ms_status pem_public(const char *text, size_t len, const char *what, ms_public_key **out,
                            ms_error *err)
{
    char label[PEM_LABEL_MAX + 1];
    uint8_t *der = NULL;
    size_t der_len = 0;
    ms_status st = pem_decode(text, len, what, 0, label, &der, &der_len, err);
    if (st != MS_OK)
        return st;
    ms_public_key *pk = NULL;
    if ((st = pem_check_label(label, 0, what, err)) == MS_OK) {
        if ((pk = malloc(sizeof *pk)) == NULL)
            st = ms_fail(err, MS_E_NOMEM, "%s: out of memory", what);
        else
            st = public_from_spki(der, der_len, 0, 0, what, "the PEM key", pk, err);
    }
    free(der);
    if (st != MS_OK) {
        free(pk);
        return st;
    }
    *out = pk;
    return MS_OK;
}

static ms_status pem_secret(const char *text, size_t len, const char *what, ms_secret_key **out,
                            ms_error *err)
{
    char label[PEM_LABEL_MAX + 1];
    uint8_t *der = NULL;
    size_t der_len = 0;
    ms_status st = pem_decode(text, len, what, 1, label, &der, &der_len, err);
    if (st != MS_OK)
        return st;
    if ((st = pem_check_label(label, 1, what, err)) == MS_OK)
        st = secret_from_p8(der, der_len, 0, what, "the PEM key", out, err);
    sodium_free(der); /* wipes */
    return st;
}

/* ---- parsing key files ------------------------------------------------------ */

ms_status ms_public_key_parse(const char *text, size_t len, const char *what, ms_public_key **out,
                              ms_error *err)
{
    *out = NULL;
    if (what == NULL)
        what = "public key";
    if (text == NULL && len > 0)
        return ms_fail(err, MS_E_USAGE, "%s: no text given", what);
    if (len > KEY_FILE_MAX)
        return ms_fail(err, MS_E_LIMIT, "%s: %zu bytes exceeds the %u-byte limit for key files",
                       what, len, KEY_FILE_MAX);
    if (text != NULL && is_pem(text, len))
        return pem_public(text, len, what, out, err);
    key_fields f;
    ms_key_algorithm alg = 0;
    int encrypted = 0;
    ms_status st = parse_fields(text != NULL ? text : "", len, what, &f, err);
    if (st == MS_OK)
        st = check_fields(&f, what, 0, &alg, &encrypted, err);
    if (st != MS_OK)
        return st;

    uint8_t *raw = NULL;
    size_t raw_len = 0;
    int rc = ms_base64_decode(f.v[F_KEY].p, f.v[F_KEY].n, &raw, &raw_len);
    if (rc == MS_B64_NOMEM)
        return ms_fail(err, MS_E_NOMEM, "%s: out of memory", what);
    if (rc != 0)
        return ms_fail(err, MS_E_FORMAT, "%s: field 'key' is not valid base64", what);
    ms_public_key *pk = calloc(1, sizeof *pk);
    if (pk == NULL) {
        free(raw);
        return ms_fail(err, MS_E_NOMEM, "%s: out of memory", what);
    }
    if (alg == MS_ALG_ED25519) {
        if (raw_len != ED25519_PK_LEN) {
            st = ms_fail(err, MS_E_KEY,
                         "%s: field 'key' is %zu bytes; an ed25519 public key is %d bytes", what,
                         raw_len, (int)ED25519_PK_LEN);
        } else {
            pk->alg = MS_ALG_ED25519;
            memcpy(pk->u.ed25519.pk, raw, ED25519_PK_LEN);
            keyid_of_bytes(pk->u.ed25519.pk, ED25519_PK_LEN, pk->keyid);
        }
    } else {
        st = public_from_spki(raw, raw_len, alg, 1, what, "field 'key'", pk, err);
    }
    free(raw);
    if (st == MS_OK)
        st = check_keyid(&f, pk->keyid, what, err);
    if (st != MS_OK) {
        free(pk);
        return st;
    }
    *out = pk;
    return MS_OK;
}

/* A strict decimal: digits only, no sign, no leading zero, no overflow. */
static int parse_decimal(span s, unsigned long long *out)
{
    if (s.n == 0 || s.n > 20 || (s.n > 1 && s.p[0] == '0'))
        return -1;
    unsigned long long v = 0;
    for (size_t i = 0; i < s.n; i++) {
        if (s.p[i] < '0' || s.p[i] > '9')
            return -1;
        unsigned d = (unsigned)(s.p[i] - '0');
        if (v > (ULLONG_MAX - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    *out = v;
    return 0;
}

/* Base64 field of exactly n bytes into out. */
static ms_status fixed_b64_field(const key_fields *f, int idx, uint8_t *out, size_t n,
                                 const char *what, ms_error *err)
{
    uint8_t buf[64];
    size_t got = 0;
    span v = f->v[idx];
    if (ms_base64_decode_into(v.p, v.n, buf, sizeof buf, &got) != 0)
        return ms_fail(err, MS_E_FORMAT, "%s: field '%s' is not valid base64 of %zu bytes", what,
                       field_names[idx], n);
    if (got != n)
        return ms_fail(err, MS_E_KEY, "%s: field '%s' is %zu bytes; it must be %zu", what,
                       field_names[idx], got, n);
    memcpy(out, buf, n);
    return MS_OK;
}

/* The parameters of an encrypted secret key file, checked before any work. */
typedef struct enc_params {
    unsigned long long opslimit, memlimit;
    uint8_t salt[KDF_SALT_LEN];
    uint8_t nonce[AEAD_NONCE_LEN];
} enc_params;

static ms_status check_enc_params(const key_fields *f, const char *what, enc_params *p,
                                  ms_error *err)
{
    static const struct {
        int idx;
        unsigned long long min, max;
    } limits[] = {
        {F_KDF_OPSLIMIT, crypto_pwhash_OPSLIMIT_MIN, MS_KEY_KDF_OPSLIMIT_MAX},
        {F_KDF_MEMLIMIT, crypto_pwhash_MEMLIMIT_MIN, MS_KEY_KDF_MEMLIMIT_MAX},
    };
    for (size_t i = 0; i < 2; i++) {
        unsigned long long v = 0;
        const char *name = field_names[limits[i].idx];
        if (parse_decimal(f->v[limits[i].idx], &v) != 0)
            return ms_fail(err, MS_E_FORMAT, "%s: field '%s' is not a decimal number", what,
                           name);
        if (v < limits[i].min)
            return ms_fail(err, MS_E_KEY, "%s: field '%s' is %llu; Argon2id needs at least %llu",
                           what, name, v, limits[i].min);
        if (v > limits[i].max)
            return ms_fail(err, MS_E_LIMIT,
                           "%s: field '%s' is %llu; modelseal accepts at most %llu", what, name, v,
                           limits[i].max);
        if (limits[i].idx == F_KDF_OPSLIMIT)
            p->opslimit = v;
        else
            p->memlimit = v;
    }
    ms_status st = fixed_b64_field(f, F_SALT, p->salt, sizeof p->salt, what, err);
    if (st == MS_OK)
        st = fixed_b64_field(f, F_NONCE, p->nonce, sizeof p->nonce, what, err);
    return st;
}

/*
 * Header lines: the format line and then, in the order of field_names,
 * "name: value\n" for every field before `key` that has a value (p set).
 * For an encrypted key these bytes, with every value exactly as it stands
 * in the file, are the AEAD's additional data.  malloc'd (nothing secret).
 */
static char *header_text(const span v[F_COUNT], size_t *len)
{
    size_t cap = strlen(KEY_MAGIC) + 2;
    for (int i = 0; i < F_KEY; i++)
        if (v[i].p != NULL)
            cap += strlen(field_names[i]) + 2 + v[i].n + 1;
    char *h = malloc(cap);
    if (h == NULL)
        return NULL;
    size_t n = strlen(KEY_MAGIC);
    memcpy(h, KEY_MAGIC, n);
    h[n++] = '\n';
    for (int i = 0; i < F_KEY; i++) {
        if (v[i].p == NULL)
            continue;
        size_t k = strlen(field_names[i]);
        memcpy(h + n, field_names[i], k);
        n += k;
        memcpy(h + n, ": ", 2);
        n += 2;
        memcpy(h + n, v[i].p, v[i].n);
        n += v[i].n;
        h[n++] = '\n';
    }
    h[n] = '\0';
    *len = n;
    return h;
}

/* Argon2id of the passphrase into a sodium_malloc()'d key (release with sodium_free()). */
static ms_status derive_key(const char *passphrase, const enc_params *p, const char *what,
                            uint8_t **key, ms_error *err)
{
    *key = sodium_malloc(AEAD_KEY_LEN);
    if (*key == NULL)
        return ms_fail(err, MS_E_NOMEM, "%s: out of memory (secure memory)", what);
    if (crypto_pwhash(*key, AEAD_KEY_LEN, passphrase, strlen(passphrase), p->salt, p->opslimit,
                      (size_t)p->memlimit, crypto_pwhash_ALG_ARGON2ID13) != 0) {
        sodium_free(*key);
        *key = NULL;
        return ms_fail(err, MS_E_NOMEM,
                       "%s: key derivation failed: Argon2id could not get %llu bytes of memory",
                       what, p->memlimit);
    }
    return MS_OK;
}

/*
 * The secret key bytes of an encrypted key file, decrypted into
 * sodium_malloc() memory (*plain, *plain_len).
 */
static ms_status decrypt_secret(const key_fields *f, ms_key_algorithm alg, const char *passphrase,
                                const char *what, uint8_t **plain, size_t *plain_len,
                                ms_error *err)
{
    *plain = NULL;
    *plain_len = 0;
    enc_params p;
    ms_status st = check_enc_params(f, what, &p, err);
    if (st != MS_OK)
        return st;
    uint8_t *ct = NULL;
    size_t ct_len = 0;
    int rc = ms_base64_decode(f->v[F_KEY].p, f->v[F_KEY].n, &ct, &ct_len);
    if (rc == MS_B64_NOMEM)
        return ms_fail(err, MS_E_NOMEM, "%s: out of memory", what);
    if (rc != 0)
        return ms_fail(err, MS_E_FORMAT, "%s: field 'key' is not valid base64", what);
    /* Lengths are checked before the (deliberately slow) key derivation. */
    if (alg == MS_ALG_ED25519 && ct_len != ED25519_SEED_LEN + AEAD_TAG_LEN)
        st = ms_fail(err, MS_E_KEY,
                     "%s: field 'key' is %zu bytes; an encrypted ed25519 seed is %d bytes", what,
                     ct_len, (int)(ED25519_SEED_LEN + AEAD_TAG_LEN));
    else if (alg != MS_ALG_ED25519 && (ct_len <= AEAD_TAG_LEN || ct_len > EC_P8_MAX + AEAD_TAG_LEN))
        st = ms_fail(err, MS_E_KEY,
                     "%s: field 'key' is %zu bytes; an encrypted %s key is %d to %d bytes", what,
                     ct_len, ms_key_algorithm_name(alg), (int)AEAD_TAG_LEN + 1,
                     (int)(EC_P8_MAX + AEAD_TAG_LEN));
    else if (passphrase == NULL)
        st = ms_fail(err, MS_E_KEY, "%s: encrypted key: a passphrase is needed", what);
    if (st != MS_OK) {
        free(ct);
        return st;
    }
    size_t ad_len = 0;
    char *ad = header_text(f->v, &ad_len);
    uint8_t *key = NULL, *out = sodium_malloc(ct_len - AEAD_TAG_LEN);
    unsigned long long out_len = 0;
    if (ad == NULL || out == NULL)
        st = ms_fail(err, MS_E_NOMEM, "%s: out of memory", what);
    else if ((st = derive_key(passphrase, &p, what, &key, err)) == MS_OK &&
             crypto_aead_xchacha20poly1305_ietf_decrypt(out, &out_len, NULL, ct, ct_len,
                                                        (const uint8_t *)ad, ad_len, p.nonce,
                                                        key) != 0)
        /* A wrong passphrase and an altered header are indistinguishable here. */
        st = ms_fail(err, MS_E_KEY, "%s: wrong passphrase", what);
    if (key != NULL)
        sodium_free(key);
    free(ad);
    free(ct);
    if (st != MS_OK) {
        if (out != NULL)
            sodium_free(out);
        return st;
    }
    *plain = out;
    *plain_len = (size_t)out_len;
    return MS_OK;
}

/* Parse a secret key file image (in secure memory) into a key object. */
static ms_status secret_key_parse(const char *text, size_t len, const char *what,
                                  const char *passphrase, ms_secret_key **out, ms_error *err)
{
    if (is_pem(text, len))
        return pem_secret(text, len, what, out, err);
    key_fields f;
    ms_key_algorithm alg = 0;
    int encrypted = 0;
    ms_status st = parse_fields(text, len, what, &f, err);
    if (st == MS_OK)
        st = check_fields(&f, what, 1, &alg, &encrypted, err);
    if (st != MS_OK)
        return st;

    uint8_t *plain = NULL;
    size_t plain_len = 0;
    if (encrypted) {
        st = decrypt_secret(&f, alg, passphrase, what, &plain, &plain_len, err);
        if (st != MS_OK)
            return st;
    } else {
        /* The value lies inside a file of at most KEY_FILE_MAX bytes: no overflow. */
        size_t cap = ms_base64_decoded_max(f.v[F_KEY].n);
        plain = sodium_malloc(cap != 0 ? cap : 1);
        if (plain == NULL)
            return ms_fail(err, MS_E_NOMEM, "%s: out of memory (secure memory)", what);
        if (ms_base64_decode_into(f.v[F_KEY].p, f.v[F_KEY].n, plain, cap, &plain_len) != 0) {
            sodium_free(plain);
            return ms_fail(err, MS_E_FORMAT, "%s: field 'key' is not valid base64", what);
        }
    }
    if (alg == MS_ALG_ED25519) {
        if (plain_len != ED25519_SEED_LEN)
            st = ms_fail(err, MS_E_KEY,
                         "%s: field 'key' is %zu bytes; an ed25519 secret key (seed) is %d bytes",
                         what, plain_len, (int)ED25519_SEED_LEN);
        else
            st = ed25519_from_seed(plain, out, err);
    } else {
        st = secret_from_p8(plain, plain_len, alg, what, "field 'key'", out, err);
    }
    sodium_free(plain); /* wipes */
    if (st != MS_OK)
        return st;
    /* The key id is checked against the public key derived from the secret key. */
    st = check_keyid(&f, (*out)->pub.keyid, what, err);
    if (st != MS_OK) {
        ms_secret_key_free(*out);
        *out = NULL;
    }
    return st;
}

/* ---- key file I/O ------------------------------------------------------- */

/*
 * Read a whole key file: secret ones into sodium_malloc() memory (release
 * with sodium_free()), public ones into malloc() memory.  *mode gets the
 * permission bits for the caller's check.
 */
static ms_status read_key_file(const char *path, int secret, char **out, size_t *out_len,
                               mode_t *mode, ms_error *err)
{
    *out = NULL;
    *out_len = 0;
    /* A FIFO planted under the key's name must not hang us. */
    int fd;
    struct stat st;
    ms_status ost = ms_open_regular_as(path, MS_E_KEY, &fd, &st, err);
    if (ost != MS_OK)
        return ost;
    *mode = st.st_mode & 07777;
    if (st.st_size < 0 || (uint64_t)st.st_size > KEY_FILE_MAX) {
        close(fd);
        return ms_fail(err, MS_E_LIMIT, "%s: %lld bytes exceeds the %u-byte limit for key files",
                       path, (long long)st.st_size, KEY_FILE_MAX);
    }
    /* One spare byte shows whether the file grew after fstat(). */
    size_t cap = (size_t)st.st_size + 1;
    char *buf = secret ? sodium_malloc(cap) : malloc(cap);
    if (buf == NULL) {
        close(fd);
        return ms_fail(err, MS_E_NOMEM, "%s: out of memory", path);
    }
    size_t total = 0;
    ms_status status = MS_OK;
    while (total < cap) {
        ssize_t r = read(fd, buf + total, cap - total);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            status = ms_fail(err, MS_E_IO, "%s: read failed: %s", path, strerror(errno));
            break;
        }
        if (r == 0)
            break;
        total += (size_t)r;
    }
    close(fd);
    if (status == MS_OK && total == cap)
        status = ms_fail(err, MS_E_IO, "%s: file changed while being read", path);
    if (status != MS_OK) {
        if (secret)
            sodium_free(buf); /* wipes */
        else
            free(buf);
        return status;
    }
    *out = buf;
    *out_len = total;
    return MS_OK;
}

/*
 * The refusal for a secret key file that group or others may access.  The
 * usual way to get here is passing NAME.pub (mode 0644) where NAME.key
 * belongs; that is reported as such instead of suggesting a chmod.  Reading
 * the exposed file first costs nothing: its bytes are already exposed on
 * disk, stay in secure memory here and are never used.
 */
static ms_status refuse_exposed(const char *text, size_t len, const char *path, mode_t mode,
                                ms_error *err)
{
    key_fields f;
    if (is_pem(text, len)) {
        char label[PEM_LABEL_MAX + 1];
        const char *nl = memchr(text, '\n', len);
        size_t n = nl != NULL ? (size_t)(nl - text) : len;
        if (n > 0 && text[n - 1] == '\r')
            n--;
        if (pem_label(text, n, PEM_BEGIN, label) != 0 && strcmp(label, "PUBLIC KEY") == 0)
            return pem_check_label(label, 1, path, err);
    } else if (parse_fields(text, len, path, &f, NULL) == MS_OK && f.present[F_TYPE] &&
               span_is(f.v[F_TYPE], "public")) {
        ms_key_algorithm alg;
        int encrypted;
        return check_fields(&f, path, 1, &alg, &encrypted, err);
    }
    return ms_fail(err, MS_E_PERMISSION,
                   "%s: secret key file is %s by group or others (mode %04o); run chmod 600 %s",
                   path,
                   (mode & 044) != 0   ? "readable"
                   : (mode & 022) != 0 ? "writable"
                                       : "accessible",
                   (unsigned)mode, path);
}

ms_status ms_secret_key_load(const char *path, const char *passphrase, ms_secret_key **out,
                             ms_error *err)
{
    *out = NULL;
    if (path == NULL || path[0] == '\0')
        return ms_fail(err, MS_E_USAGE, "no secret key file given");
    ms_status st = sodium_ready(err);
    if (st != MS_OK)
        return st;
    char *text = NULL;
    size_t len = 0;
    mode_t mode = 0;
    st = read_key_file(path, 1, &text, &len, &mode, err);
    if (st != MS_OK)
        return st;
    if ((mode & 077) != 0)
        st = refuse_exposed(text, len, path, mode, err);
    else
        st = secret_key_parse(text, len, path, passphrase, out, err);
    sodium_free(text); /* wipes the file image, secret key included */
    return st;
}

int ms_secret_key_file_is_encrypted(const char *path)
{
    if (path == NULL || path[0] == '\0' || sodium_ready(NULL) != MS_OK)
        return -1;
    char *text = NULL;
    size_t len = 0;
    mode_t mode = 0;
    if (read_key_file(path, 1, &text, &len, &mode, NULL) != MS_OK)
        return -1;
    int rc;
    key_fields f;
    /* Loading refuses an exposed file before any decryption: no passphrase to ask for. */
    if ((mode & 077) != 0 || is_pem(text, len))
        rc = 0;
    else if (parse_fields(text, len, path, &f, NULL) != MS_OK)
        rc = -1;
    else
        rc = f.present[F_ENCRYPTION] && span_is(f.v[F_ENCRYPTION], MS_KEY_ENCRYPTION) &&
             f.present[F_TYPE] && span_is(f.v[F_TYPE], "secret");
    sodium_free(text);
    return rc;
}

ms_status ms_public_key_load(const char *path, ms_public_key **out, ms_error *err)
{
    *out = NULL;
    if (path == NULL || path[0] == '\0')
        return ms_fail(err, MS_E_USAGE, "no public key file given");
    char *text = NULL;
    size_t len = 0;
    mode_t mode = 0;
    ms_status st = read_key_file(path, 0, &text, &len, &mode, err);
    if (st != MS_OK)
        return st;
    st = ms_public_key_parse(text, len, path, out, err);
    free(text);
    return st;
}

/* ---- key file writing --------------------------------------------------- */

/*
 * Create path exclusively with exactly `mode` (whatever the umask) holding
 * data, whole or not at all (core/outfile.h: nameless until it is linked
 * into place, which refuses an existing file or a dangling symlink).
 * *created tells the caller whether there is a file to remove after a
 * later failure.
 */
static ms_status write_new_file(const char *path, mode_t mode, const char *data, size_t len,
                                int *created, ms_error *err)
{
    *created = 0;
    struct stat sb;
    if (lstat(path, &sb) == 0)
        return ms_fail(err, MS_E_EXISTS, "%s: already exists", path);
    ms_outfile *o;
    ms_status st = ms_outfile_open(path, mode, &o, err);
    if (st != MS_OK)
        return st;
    if (ms_write_all(ms_outfile_fd(o), data, len) != 0) {
        int e = errno;
        ms_outfile_free(o);
        return ms_fail(err, MS_E_IO, "%s: write failed: %s", path, strerror(e));
    }
    st = ms_outfile_commit(o, 0, err);
    ms_outfile_free(o);
    if (st == MS_OK)
        *created = 1;
    return st;
}

/* Make the new directory entries durable too (best effort: some file systems refuse). */
static void sync_parent_dir(const char *path)
{
    const char *slash = strrchr(path, '/');
    char *dir;
    if (slash == NULL)
        dir = strdup(".");
    else if (slash == path)
        dir = strdup("/");
    else
        dir = strndup(path, (size_t)(slash - path));
    if (dir == NULL)
        return;
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    free(dir);
    if (fd < 0)
        return;
    (void)fsync(fd);
    close(fd);
}

/* The public key bytes a key file holds: the Ed25519 point or the SPKI. */
static void public_bytes(const ms_public_key *pk, const uint8_t **p, size_t *n)
{
    if (pk->alg == MS_ALG_ED25519) {
        *p = pk->u.ed25519.pk;
        *n = ED25519_PK_LEN;
    } else {
        *p = pk->u.ecdsa.spki;
        *n = pk->u.ecdsa.spki_len;
    }
}

/* NAME.pub contents, malloc'd. */
static ms_status format_public(const ms_secret_key *sk, char **out, size_t *out_len, ms_error *err)
{
    const uint8_t *raw;
    size_t raw_len;
    public_bytes(&sk->pub, &raw, &raw_len);
    char *b64 = ms_base64_encode(raw, raw_len);
    if (b64 == NULL)
        return ms_fail(err, MS_E_NOMEM, "out of memory");
    size_t cap = 256 + strlen(b64);
    char *text = malloc(cap);
    if (text == NULL) {
        free(b64);
        return ms_fail(err, MS_E_NOMEM, "out of memory");
    }
    int n = snprintf(text, cap, "%s\ntype: public\nalgorithm: %s\nkeyid: %s\nkey: %s\n", KEY_MAGIC,
                     ms_key_algorithm_name(sk->alg), sk->pub.keyid, b64);
    free(b64);
    if (n < 0 || (size_t)n >= cap) {
        free(text);
        return ms_fail(err, MS_E_INTERNAL, "public key file image does not fit");
    }
    *out = text;
    *out_len = (size_t)n;
    return MS_OK;
}

/* The secret key bytes a key file holds (seed or PKCS#8), copied into sodium_malloc() memory. */
static ms_status secret_bytes(const ms_secret_key *sk, uint8_t **out, size_t *len, ms_error *err)
{
    size_t n = sk->alg == MS_ALG_ED25519 ? ED25519_SEED_LEN : sk->u.ecdsa.p8_len;
    uint8_t *p = sodium_malloc(n);
    if (p == NULL)
        return ms_fail(err, MS_E_NOMEM, "out of memory (secure memory)");
    if (sk->alg == MS_ALG_ED25519)
        crypto_sign_ed25519_sk_to_seed(p, sk->u.ed25519.sk);
    else
        memcpy(p, sk->u.ecdsa.p8, n);
    *out = p;
    *len = n;
    return MS_OK;
}

/*
 * NAME.key contents, in sodium_malloc() memory (release with sodium_free()):
 * the secret key bytes in base64, or with a passphrase their encryption.
 */
static ms_status format_secret(const ms_secret_key *sk, const char *passphrase, char **out,
                               size_t *out_len, ms_error *err)
{
    uint8_t *plain = NULL;
    size_t plain_len = 0;
    ms_status st = secret_bytes(sk, &plain, &plain_len, err);
    if (st != MS_OK)
        return st;

    /* Every field value but `key`, as written (and, encrypted, authenticated). */
    span v[F_COUNT];
    char ops[24], mem[24], salt_b64[32], nonce_b64[48];
    enc_params p;
    memset(v, 0, sizeof v);
    memset(&p, 0, sizeof p);
    v[F_TYPE] = (span){"secret", 6};
    v[F_ALGORITHM] = (span){ms_key_algorithm_name(sk->alg), strlen(ms_key_algorithm_name(sk->alg))};
    v[F_KEYID] = (span){sk->pub.keyid, MS_KEYID_HEX_LEN};
    const uint8_t *body = plain; /* the bytes base64 encodes into `key` */
    size_t body_len = plain_len;
    uint8_t *ct = NULL, *key = NULL;
    char *head = NULL;
    size_t head_len = 0;
    if (passphrase == NULL) {
        v[F_ENCRYPTION] = (span){"none", 4};
    } else {
        p.opslimit = MS_KEY_KDF_OPSLIMIT;
        p.memlimit = MS_KEY_KDF_MEMLIMIT;
        randombytes_buf(p.salt, sizeof p.salt);
        randombytes_buf(p.nonce, sizeof p.nonce);
        snprintf(ops, sizeof ops, "%llu", p.opslimit);
        snprintf(mem, sizeof mem, "%llu", p.memlimit);
        ms_base64_encode_into(p.salt, sizeof p.salt, salt_b64);
        ms_base64_encode_into(p.nonce, sizeof p.nonce, nonce_b64);
        v[F_ENCRYPTION] = (span){MS_KEY_ENCRYPTION, strlen(MS_KEY_ENCRYPTION)};
        v[F_KDF_OPSLIMIT] = (span){ops, strlen(ops)};
        v[F_KDF_MEMLIMIT] = (span){mem, strlen(mem)};
        v[F_SALT] = (span){salt_b64, strlen(salt_b64)};
        v[F_NONCE] = (span){nonce_b64, strlen(nonce_b64)};
    }
    head = header_text(v, &head_len);
    if (head == NULL) {
        st = ms_fail(err, MS_E_NOMEM, "out of memory");
    } else if (passphrase != NULL) {
        if ((ct = malloc(plain_len + AEAD_TAG_LEN)) == NULL) {
            st = ms_fail(err, MS_E_NOMEM, "out of memory");
        } else if ((st = derive_key(passphrase, &p, "key encryption", &key, err)) == MS_OK) {
            unsigned long long n = 0;
            crypto_aead_xchacha20poly1305_ietf_encrypt(ct, &n, plain, plain_len,
                                                       (const uint8_t *)head, head_len, NULL,
                                                       p.nonce, key);
            body = ct;
            body_len = (size_t)n;
        }
    }
    if (key != NULL)
        sodium_free(key);
    char *text = NULL;
    size_t b64_len = 0, used = 0;
    if (st == MS_OK && ms_base64_encoded_len(body_len, &b64_len) != 0)
        st = ms_fail(err, MS_E_INTERNAL, "secret key file image does not fit");
    if (st == MS_OK) {
        size_t cap = head_len + strlen("key: ") + b64_len + 2;
        if ((text = sodium_malloc(cap)) == NULL) {
            st = ms_fail(err, MS_E_NOMEM, "out of memory (secure memory)");
        } else {
            memcpy(text, head, head_len);
            used = head_len;
            memcpy(text + used, "key: ", 5);
            used += 5;
            ms_base64_encode_into(body, body_len, text + used); /* NUL-terminates */
            used += b64_len;
            text[used++] = '\n';
            text[used] = '\0';
        }
    }
    free(head);
    free(ct);
    sodium_free(plain);
    if (st != MS_OK)
        return st;
    *out = text;
    *out_len = used;
    return MS_OK;
}

ms_status ms_key_write_pair(const ms_secret_key *sk, const char *name, const char *passphrase,
                            ms_error *err)
{
    if (sk == NULL)
        return ms_fail(err, MS_E_USAGE, "no secret key given");
    if (name == NULL || name[0] == '\0')
        return ms_fail(err, MS_E_USAGE, "no key name given");
    if (passphrase != NULL && passphrase[0] == '\0')
        return ms_fail(err, MS_E_USAGE, "empty passphrase");
    if (ms_key_algorithm_name(sk->alg) == NULL)
        return ms_fail(err, MS_E_UNSUPPORTED, "unsupported key algorithm %d", (int)sk->alg);
    ms_status st = sodium_ready(err);
    if (st != MS_OK)
        return st;
    size_t nl = strlen(name);
    if (nl > SIZE_MAX - 5)
        return ms_fail(err, MS_E_USAGE, "key name too long");
    char *key_path = malloc(nl + 5), *pub_path = malloc(nl + 5);
    char *sec_text = NULL, *pub_text = NULL;
    size_t sec_len = 0, pub_len = 0;
    int key_created = 0, pub_created = 0;
    if (key_path == NULL || pub_path == NULL) {
        st = ms_fail(err, MS_E_NOMEM, "out of memory");
        goto out;
    }
    memcpy(key_path, name, nl);
    memcpy(key_path + nl, ".key", 5);
    memcpy(pub_path, name, nl);
    memcpy(pub_path + nl, ".pub", 5);

    if ((st = format_secret(sk, passphrase, &sec_text, &sec_len, err)) != MS_OK ||
        (st = format_public(sk, &pub_text, &pub_len, err)) != MS_OK)
        goto out;
    st = write_new_file(key_path, 0600, sec_text, sec_len, &key_created, err);
    if (st == MS_OK)
        st = write_new_file(pub_path, 0644, pub_text, pub_len, &pub_created, err);
    if (st == MS_OK)
        sync_parent_dir(key_path);

out:
    if (st != MS_OK) {
        /* Remove only what this call created, never a file that was already there. */
        if (key_created)
            (void)unlink(key_path);
        if (pub_created)
            (void)unlink(pub_path);
    }
    if (sec_text != NULL)
        sodium_free(sec_text);
    free(pub_text);
    free(key_path);
    free(pub_path);
    return st;
}

/* ---- passphrases ---------------------------------------------------------- */

ms_status ms_passphrase_read_line(int fd, const char *what, char **out, ms_error *err)
{
    *out = NULL;
    if (what == NULL)
        what = "passphrase";
    ms_status st = sodium_ready(err);
    if (st != MS_OK)
        return st;
    char *buf = sodium_malloc(MS_PASSPHRASE_MAX + 2);
    if (buf == NULL)
        return ms_fail(err, MS_E_NOMEM, "%s: out of memory (secure memory)", what);
    size_t n = 0;
    for (;;) {
        char c;
        ssize_t r = read(fd, &c, 1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            st = ms_fail(err, MS_E_IO, "%s: read failed: %s", what, strerror(errno));
            break;
        }
        if (r == 0 || c == '\n')
            break;
        if (c == '\0') {
            st = ms_fail(err, MS_E_FORMAT, "%s: the passphrase contains a NUL byte", what);
            break;
        }
        /* One byte of slack for a '\r' before the newline. */
        if (n == MS_PASSPHRASE_MAX + 1) {
            st = ms_fail(err, MS_E_LIMIT, "%s: passphrase longer than %d bytes", what,
                         MS_PASSPHRASE_MAX);
            break;
        }
        buf[n++] = c;
    }
    if (st == MS_OK && n > 0 && buf[n - 1] == '\r')
        n--;
    if (st == MS_OK && n > MS_PASSPHRASE_MAX)
        st = ms_fail(err, MS_E_LIMIT, "%s: passphrase longer than %d bytes", what,
                     MS_PASSPHRASE_MAX);
    if (st != MS_OK) {
        sodium_free(buf); /* wipes */
        return st;
    }
    buf[n] = '\0';
    *out = buf;
    return MS_OK;
}

ms_status ms_passphrase_read_file(const char *path, char **out, ms_error *err)
{
    *out = NULL;
    if (path == NULL || path[0] == '\0')
        return ms_fail(err, MS_E_USAGE, "no passphrase file given");
    /* Blocking on purpose: a pipe (`--passphrase-file <(...)`) is fine here. */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return ms_fail(err, MS_E_IO, "%s: cannot open: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
        close(fd);
        return ms_fail(err, MS_E_IO, "%s: is a directory, not a passphrase file", path);
    }
    char *p = NULL;
    ms_status status = ms_passphrase_read_line(fd, path, &p, err);
    close(fd);
    if (status != MS_OK)
        return status;
    if (p[0] == '\0') {
        ms_passphrase_free(p);
        return ms_fail(err, MS_E_USAGE,
                       "%s: passphrase file is empty (the passphrase is its first line)", path);
    }
    *out = p;
    return MS_OK;
}

ms_status ms_passphrase_copy(const char *s, char **out, ms_error *err)
{
    *out = NULL;
    if (s == NULL)
        return ms_fail(err, MS_E_USAGE, "no passphrase given");
    size_t n = strlen(s);
    if (n > MS_PASSPHRASE_MAX)
        return ms_fail(err, MS_E_LIMIT, "passphrase longer than %d bytes", MS_PASSPHRASE_MAX);
    ms_status st = sodium_ready(err);
    if (st != MS_OK)
        return st;
    char *p = sodium_malloc(n + 1);
    if (p == NULL)
        return ms_fail(err, MS_E_NOMEM, "out of memory (secure memory)");
    memcpy(p, s, n + 1);
    *out = p;
    return MS_OK;
}

void ms_passphrase_free(char *passphrase)
{
    if (passphrase != NULL)
        sodium_free(passphrase); /* wipes */
}
