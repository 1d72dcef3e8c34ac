/*
 * PEM keys made by openssl(1) at test time: "PUBLIC KEY" (SPKI) and
 * unencrypted "PRIVATE KEY" (PKCS#8) for Ed25519, P-256 and P-384 load,
 * sign and verify, with the same key ids as our own key files; signatures
 * interoperate with openssl(1) both ways.  Every other algorithm, curve and
 * PEM type is refused naming it, and malformed PEM is refused.  Skipped
 * (exit 77) without openssl(1).
 */
#include "../unit/check.h"
#include "core/digest.h"
#include "keys_test_util.h"
#include "modelseal/dsse.h"
#include "modelseal/keys.h"

static char P[700]; /* scratch for paths */

static const char *at(const char *name)
{
    path_of(P, sizeof P, name);
    return P;
}

/* openssl(1) in the scratch directory, quiet. */
#define OSSL(...) sh("cd '%s' && openssl " __VA_ARGS__)
#define QUIET " >/dev/null 2>&1"

static void sha256_file_hex(const char *path, size_t skip_to_last, char out[65])
{
    size_t n = 0;
    char *d = read_all_len(path, &n);
    uint8_t dg[32];
    if (d == NULL) {
        strcpy(out, "unreadable");
        return;
    }
    if (skip_to_last != 0 && n >= skip_to_last)
        ms_sha256_buf(d + n - skip_to_last, skip_to_last, dg);
    else
        ms_sha256_buf(d, n, dg);
    ms_hex_encode(dg, 32, out);
    free(d);
}

static ms_status load_sec(const char *name, ms_secret_key **sk, ms_error *err)
{
    char p[700];
    path_of(p, sizeof p, name);
    ms_error_clear(err);
    return ms_secret_key_load(p, NULL, sk, err);
}

static ms_status load_pub(const char *name, ms_public_key **pk, ms_error *err)
{
    char p[700];
    path_of(p, sizeof p, name);
    ms_error_clear(err);
    return ms_public_key_load(p, pk, err);
}

/* Sign msg.bin with sk into NAME (raw signature bytes). */
static void sign_to(ms_secret_key *sk, const char *name)
{
    ms_error err;
    size_t n = 0;
    char *msg = read_all_len(at("msg.bin"), &n);
    uint8_t *sig = NULL;
    size_t sl = 0;
    CHECK_INT(ms_key_sign(sk, (const uint8_t *)msg, n, &sig, &sl, &err), MS_OK);
    if (sig != NULL)
        CHECK_INT(write_file(at(name), sig, sl, 0644), 0);
    free(sig);
    free(msg);
}

static ms_status verify_file(ms_public_key *pk, const char *signame, ms_error *err)
{
    size_t n = 0, sl = 0;
    char *msg = read_all_len(at("msg.bin"), &n);
    char *sig = read_all_len(at(signame), &sl);
    ms_status st = ms_key_verify(pk, (const uint8_t *)msg, n, (const uint8_t *)sig, sl, err);
    free(msg);
    free(sig);
    return st;
}

static void test_ed25519(void)
{
    ms_error err;
    CHECK_INT(OSSL("genpkey -algorithm ed25519 -out ed.pem" QUIET, tmpdir), 0);
    CHECK_INT(chmod(at("ed.pem"), 0600), 0);
    CHECK_INT(OSSL("pkey -in ed.pem -pubout -out ed.pub.pem" QUIET, tmpdir), 0);
    CHECK_INT(OSSL("pkey -in ed.pem -pubout -outform DER -out ed.pub.der" QUIET, tmpdir), 0);
    CHECK_INT(OSSL("pkey -in ed.pem -outform DER -out ed.p8.der" QUIET, tmpdir), 0);

    ms_secret_key *sk = NULL, *sk2 = NULL;
    ms_public_key *pk = NULL, *pk2 = NULL;
    CHECK_INT(load_sec("ed.pem", &sk, &err), MS_OK);
    CHECK_INT(load_pub("ed.pub.pem", &pk, &err), MS_OK);
    if (sk == NULL || pk == NULL)
        goto out;
    CHECK_INT(ms_secret_key_algorithm(sk), MS_ALG_ED25519);
    CHECK_INT(ms_public_key_algorithm(pk), MS_ALG_ED25519);
    /* The key id is SHA-256 of the raw 32-byte key (the end of the SPKI), as for our files. */
    char id[65];
    sha256_file_hex(at("ed.pub.der"), 32, id);
    CHECK_STR(ms_public_key_id(pk), id);
    CHECK_STR(ms_secret_key_id(sk), id);

    /* Written out in our format, the same key: same id, and the seed is the PKCS#8's. */
    char name[700];
    path_of(name, sizeof name, "ed-ours");
    CHECK_INT(ms_key_write_pair(sk, name, NULL, &err), MS_OK);
    CHECK_INT(load_sec("ed-ours.key", &sk2, &err), MS_OK);
    CHECK_INT(load_pub("ed-ours.pub", &pk2, &err), MS_OK);
    if (sk2 != NULL && pk2 != NULL) {
        CHECK_STR(ms_secret_key_id(sk2), id);
        CHECK_STR(ms_public_key_id(pk2), id);
    }
    char *text = read_all(at("ed-ours.key"));
    char *seed_b64 = text != NULL ? field_of(text, "key") : NULL;
    size_t p8n = 0;
    char *p8 = read_all_len(at("ed.p8.der"), &p8n);
    uint8_t *seed = NULL;
    size_t seed_n = 0;
    if (seed_b64 != NULL && p8 != NULL &&
        ms_base64_decode(seed_b64, strlen(seed_b64), &seed, &seed_n) == 0) {
        CHECK_INT(seed_n, 32);
        CHECK(p8n >= 32 && memcmp(seed, p8 + p8n - 32, 32) == 0);
    } else {
        CHECK(!"cannot read the seed back");
    }
    free(seed);
    free(p8);
    free(seed_b64);
    free(text);

    /* Ed25519 is deterministic: ours (PEM and our format) and openssl's signatures are equal. */
    CHECK_INT(write_file(at("msg.bin"), "DSSEv1 1 t 5 hello", 18, 0644), 0);
    sign_to(sk, "ed.sig");
    if (sk2 != NULL)
        sign_to(sk2, "ed2.sig");
    CHECK_INT(OSSL("pkeyutl -sign -rawin -inkey ed.pem -in msg.bin -out ed.ossl.sig" QUIET, tmpdir),
              0);
    CHECK_INT(sh("cmp -s '%s/ed.sig' '%s/ed.ossl.sig'", tmpdir, tmpdir), 0);
    CHECK_INT(sh("cmp -s '%s/ed.sig' '%s/ed2.sig'", tmpdir, tmpdir), 0);
    CHECK_INT(verify_file(pk, "ed.ossl.sig", &err), MS_OK);
    CHECK_INT(OSSL("pkeyutl -verify -rawin -pubin -inkey ed.pub.pem -in msg.bin -sigfile ed.sig"
                   QUIET,
                   tmpdir),
              0);

    /* CRLF line ends and trailing empty lines are fine. */
    CHECK_INT(sh("cd '%s' && sed 's/$/\\r/' ed.pub.pem >ed.crlf.pem && echo >>ed.crlf.pem",
                 tmpdir),
              0);
    ms_public_key *pk3 = NULL;
    CHECK_INT(load_pub("ed.crlf.pem", &pk3, &err), MS_OK);
    if (pk3 != NULL)
        CHECK_STR(ms_public_key_id(pk3), id);
    ms_public_key_free(pk3);
    CHECK_INT(ms_secret_key_file_is_encrypted(at("ed.pem")), 0);

out:
    ms_secret_key_free(sk);
    ms_secret_key_free(sk2);
    ms_public_key_free(pk);
    ms_public_key_free(pk2);
}

static void test_ec(const char *curve, ms_key_algorithm alg, const char *md)
{
    ms_error err;
    CHECK_INT(OSSL("genpkey -algorithm EC -pkeyopt ec_paramgen_curve:%s -out ec.pem" QUIET,
                   tmpdir, curve),
              0);
    CHECK_INT(chmod(at("ec.pem"), 0600), 0);
    CHECK_INT(OSSL("pkey -in ec.pem -pubout -out ec.pub.pem" QUIET, tmpdir), 0);
    CHECK_INT(OSSL("pkey -in ec.pem -pubout -outform DER -out ec.pub.der" QUIET, tmpdir), 0);
    CHECK_INT(OSSL("pkey -in ec.pem -pubout -ec_conv_form compressed -out ec.comp.pem" QUIET,
                   tmpdir),
              0);

    ms_secret_key *sk = NULL, *sk2 = NULL;
    ms_public_key *pk = NULL, *pkc = NULL, *pk2 = NULL;
    CHECK_INT(load_sec("ec.pem", &sk, &err), MS_OK);
    CHECK_INT(load_pub("ec.pub.pem", &pk, &err), MS_OK);
    CHECK_INT(load_pub("ec.comp.pem", &pkc, &err), MS_OK);
    if (sk == NULL || pk == NULL || pkc == NULL)
        goto out;
    CHECK_INT(ms_secret_key_algorithm(sk), alg);
    CHECK_INT(ms_public_key_algorithm(pk), alg);
    /* The key id is SHA-256 of the DER SPKI (uncompressed point), whatever the PEM's encoding. */
    char id[65];
    sha256_file_hex(at("ec.pub.der"), 0, id);
    CHECK_STR(ms_public_key_id(pk), id);
    CHECK_STR(ms_secret_key_id(sk), id);
    CHECK_STR(ms_public_key_id(pkc), id);

    /* Ours signs, openssl verifies; openssl signs, ours verifies. */
    CHECK_INT(write_file(at("msg.bin"), "DSSEv1 1 t 5 hello", 18, 0644), 0);
    sign_to(sk, "ec.sig");
    CHECK_INT(OSSL("dgst -%s -verify ec.pub.pem -signature ec.sig msg.bin" QUIET, tmpdir, md), 0);
    CHECK_INT(OSSL("dgst -%s -sign ec.pem -out ec.ossl.sig msg.bin" QUIET, tmpdir, md), 0);
    CHECK_INT(verify_file(pk, "ec.ossl.sig", &err), MS_OK);
    CHECK_INT(verify_file(pkc, "ec.ossl.sig", &err), MS_OK);
    CHECK_INT(verify_file(pk, "ec.sig", &err), MS_OK);
    /* The wrong digest for the curve does not verify. */
    CHECK_INT(OSSL("dgst -%s -sign ec.pem -out ec.md.sig msg.bin" QUIET, tmpdir,
                   strcmp(md, "sha256") == 0 ? "sha384" : "sha256"),
              0);
    CHECK_INT(verify_file(pk, "ec.md.sig", &err), MS_E_REJECTED);

    /* Rewritten in our format: same key id, signs and verifies. */
    char name[700];
    path_of(name, sizeof name, "ec-ours");
    unlink(at("ec-ours.key"));
    unlink(at("ec-ours.pub"));
    CHECK_INT(ms_key_write_pair(sk, name, NULL, &err), MS_OK);
    CHECK_INT(load_sec("ec-ours.key", &sk2, &err), MS_OK);
    CHECK_INT(load_pub("ec-ours.pub", &pk2, &err), MS_OK);
    if (sk2 != NULL && pk2 != NULL) {
        CHECK_STR(ms_secret_key_id(sk2), id);
        CHECK_STR(ms_public_key_id(pk2), id);
        sign_to(sk2, "ec2.sig");
        CHECK_INT(OSSL("dgst -%s -verify ec.pub.pem -signature ec2.sig msg.bin" QUIET, tmpdir, md),
                  0);
        CHECK_INT(verify_file(pk2, "ec.ossl.sig", &err), MS_OK);
    }
    /* SPKI bytes in our .pub are openssl's DER. */
    char *text = read_all(at("ec-ours.pub"));
    char *k = text != NULL ? field_of(text, "key") : NULL;
    size_t dn = 0;
    char *der = read_all_len(at("ec.pub.der"), &dn);
    char *want = der != NULL ? ms_base64_encode((const uint8_t *)der, dn) : NULL;
    CHECK(k != NULL && want != NULL && strcmp(k, want) == 0);
    free(want);
    free(der);
    free(k);
    free(text);

    /* Explicit curve parameters are refused. */
    CHECK_INT(OSSL("pkey -in ec.pem -pubout -ec_param_enc explicit -out ec.explicit.pem" QUIET,
                   tmpdir),
              0);
    ms_public_key *px = NULL;
    CHECK_INT(load_pub("ec.explicit.pem", &px, &err), MS_E_UNSUPPORTED);
    CHECK_CONTAINS(err.message, "explicit curve parameters");
    /* SEC1 "EC PRIVATE KEY" and encrypted PKCS#8 are refused with advice. */
    CHECK_INT(OSSL("ec -in ec.pem -out ec.sec1.pem" QUIET, tmpdir), 0);
    CHECK_INT(chmod(at("ec.sec1.pem"), 0600), 0);
    ms_secret_key *sx = NULL;
    CHECK_INT(load_sec("ec.sec1.pem", &sx, &err), MS_E_UNSUPPORTED);
    CHECK_CONTAINS(err.message, "EC PRIVATE KEY");
    CHECK_CONTAINS(err.message, "openssl pkcs8 -topk8 -nocrypt");
    CHECK_INT(OSSL("pkcs8 -topk8 -in ec.pem -passout pass:x -out ec.enc.pem" QUIET, tmpdir), 0);
    CHECK_INT(chmod(at("ec.enc.pem"), 0600), 0);
    CHECK_INT(load_sec("ec.enc.pem", &sx, &err), MS_E_UNSUPPORTED);
    CHECK_CONTAINS(err.message, "ENCRYPTED PRIVATE KEY");
    CHECK(sx == NULL);

out:
    ms_secret_key_free(sk);
    ms_secret_key_free(sk2);
    ms_public_key_free(pk);
    ms_public_key_free(pkc);
    ms_public_key_free(pk2);
}

/* openssl genpkey ARGS: the secret key must be refused and so must its public key. */
static void refused_pair(const char *args, const char *fragment)
{
    ms_error err;
    CHECK_INT(OSSL("genpkey %s -out other.pem" QUIET, tmpdir, args), 0);
    CHECK_INT(chmod(at("other.pem"), 0600), 0);
    CHECK_INT(OSSL("pkey -in other.pem -pubout -out other.pub.pem" QUIET, tmpdir), 0);
    ms_secret_key *sk = NULL;
    ms_public_key *pk = NULL;
    CHECK_INT(load_sec("other.pem", &sk, &err), MS_E_UNSUPPORTED);
    CHECK_CONTAINS(err.message, "other.pem: unsupported key algorithm");
    CHECK_CONTAINS(err.message, fragment);
    CHECK_CONTAINS(err.message, "supported: ed25519, ecdsa-p256, ecdsa-p384");
    CHECK_INT(load_pub("other.pub.pem", &pk, &err), MS_E_UNSUPPORTED);
    CHECK_CONTAINS(err.message, "other.pub.pem: unsupported key algorithm");
    CHECK_CONTAINS(err.message, fragment);
    CHECK(sk == NULL && pk == NULL);
}

static void test_other_algorithms(void)
{
    ms_error err;
    refused_pair("-algorithm RSA -pkeyopt rsa_keygen_bits:1024", "'rsa'");
    /* The traditional PKCS#1 file names rsa too. */
    CHECK_INT(OSSL("rsa -in other.pem -traditional -out rsa1.pem" QUIET, tmpdir), 0);
    CHECK_INT(chmod(at("rsa1.pem"), 0600), 0);
    ms_secret_key *sk = NULL;
    CHECK_INT(load_sec("rsa1.pem", &sk, &err), MS_E_UNSUPPORTED);
    CHECK_CONTAINS(err.message, "unsupported key algorithm 'rsa'");
    refused_pair("-algorithm EC -pkeyopt ec_paramgen_curve:secp256k1", "curve 'secp256k1'");
    refused_pair("-algorithm EC -pkeyopt ec_paramgen_curve:P-521", "curve 'secp521r1'");
    refused_pair("-algorithm ed448", "'ed448'");
    refused_pair("-algorithm x25519", "'x25519'");
    /* A certificate is not a public key file. */
    CHECK_INT(OSSL("req -x509 -key ed.pem -subj /CN=t -days 1 -out cert.pem" QUIET, tmpdir), 0);
    ms_public_key *pk = NULL;
    CHECK_INT(load_pub("cert.pem", &pk, &err), MS_E_UNSUPPORTED);
    CHECK_CONTAINS(err.message, "openssl x509 -pubkey -noout");
}

static void test_kinds_and_permissions(void)
{
    ms_error err;
    ms_secret_key *sk = NULL;
    ms_public_key *pk = NULL;
    /* A PEM private key readable by others is refused like our own files. */
    CHECK_INT(chmod(at("ed.pem"), 0644), 0);
    CHECK_INT(load_sec("ed.pem", &sk, &err), MS_E_PERMISSION);
    CHECK_CONTAINS(err.message, "ed.pem: secret key file is readable by group or others (mode 0644)");
    CHECK_INT(chmod(at("ed.pem"), 0640), 0);
    CHECK_INT(load_sec("ed.pem", &sk, &err), MS_E_PERMISSION);
    CHECK_INT(chmod(at("ed.pem"), 0400), 0);
    CHECK_INT(load_sec("ed.pem", &sk, &err), MS_OK);
    ms_secret_key_free(sk);
    sk = NULL;
    CHECK_INT(chmod(at("ed.pem"), 0600), 0);
    /* A PEM public key (mode 0644) given as the secret key: named, no chmod advice. */
    CHECK_INT(load_sec("ed.pub.pem", &sk, &err), MS_E_KEY);
    CHECK_CONTAINS(err.message, "ed.pub.pem: this is a public key (PEM PUBLIC KEY)");
    CHECK(strstr(err.message, "chmod") == NULL);
    CHECK_INT(chmod(at("ed.pub.pem"), 0600), 0);
    CHECK_INT(load_sec("ed.pub.pem", &sk, &err), MS_E_KEY);
    CHECK_CONTAINS(err.message, "this is a public key");
    /* And a private key given as the public key. */
    CHECK_INT(load_pub("ed.pem", &pk, &err), MS_E_KEY);
    CHECK_CONTAINS(err.message, "ed.pem: this is a private key (PEM PRIVATE KEY)");
    CHECK(sk == NULL && pk == NULL);
}

static void pem_refused(const char *text, ms_status status, const char *fragment)
{
    ms_public_key *pk = NULL;
    ms_error err;
    ms_error_clear(&err);
    CHECK_INT(ms_public_key_parse(text, strlen(text), "x.pem", &pk, &err), status);
    CHECK(pk == NULL);
    CHECK_CONTAINS(err.message, "x.pem: ");
    CHECK_CONTAINS(err.message, fragment);
}

static void test_malformed(void)
{
    char *good = read_all(at("ed.pub.pem"));
    if (good == NULL) {
        CHECK(!"no ed.pub.pem");
        return;
    }
    ms_public_key *pk = NULL;
    ms_error err;
    CHECK_INT(ms_public_key_parse(good, strlen(good), "x.pem", &pk, &err), MS_OK);
    ms_public_key_free(pk);
    char *t;
    t = replace(good, "-----END PUBLIC KEY-----\n", "");
    pem_refused(t, MS_E_FORMAT, "has no END line");
    free(t);
    t = replace(good, "-----END PUBLIC KEY-----", "-----END PRIVATE KEY-----");
    pem_refused(t, MS_E_FORMAT, "line 3: the PEM END line does not match");
    free(t);
    t = replace(good, "-----END PUBLIC KEY-----\n", "-----END PUBLIC KEY-----\nhello\n");
    pem_refused(t, MS_E_FORMAT, "line 4: text after the PEM END line");
    free(t);
    /* Two blocks in one file. */
    char two[2000];
    snprintf(two, sizeof two, "%s%s", good, good);
    pem_refused(two, MS_E_FORMAT, "text after the PEM END line");
    t = replace(good, "-----BEGIN PUBLIC KEY-----\n", "-----BEGIN PUBLIC KEY-----\n\n");
    pem_refused(t, MS_E_FORMAT, "empty line in the PEM body");
    free(t);
    t = replace(good, "-----BEGIN PUBLIC KEY-----\n",
                "-----BEGIN PUBLIC KEY-----\nProc-Type: 4,ENCRYPTED\n");
    pem_refused(t, MS_E_UNSUPPORTED, "PEM headers");
    free(t);
    t = replace(good, "-----BEGIN PUBLIC KEY-----", "-----BEGIN public key-----");
    pem_refused(t, MS_E_FORMAT, "line 1: malformed PEM BEGIN line");
    free(t);
    t = replace(good, "-----BEGIN PUBLIC KEY-----", "-----BEGIN PUBLIC KEY----");
    pem_refused(t, MS_E_FORMAT, "malformed PEM BEGIN line");
    free(t);
    t = replace(good, "MC", "M*");
    pem_refused(t, MS_E_FORMAT, "the PEM body is not valid base64");
    free(t);
    pem_refused("-----BEGIN PUBLIC KEY-----\n-----END PUBLIC KEY-----\n", MS_E_FORMAT,
                "the PEM block is empty");
    pem_refused("-----BEGIN FOO-----\nAAAA\n-----END FOO-----\n", MS_E_UNSUPPORTED,
                "unsupported PEM type 'FOO'");
    /* The DER inside with a byte too many, or a byte short. */
    size_t dn = 0;
    char *der = read_all_len(at("ed.pub.der"), &dn);
    if (der != NULL) {
        der[dn] = 0;
        char *b = ms_base64_encode((const uint8_t *)der, dn + 1);
        char text[600];
        snprintf(text, sizeof text, "-----BEGIN PUBLIC KEY-----\n%s\n-----END PUBLIC KEY-----\n",
                 b);
        pem_refused(text, MS_E_FORMAT, "the PEM key has bytes after the SubjectPublicKeyInfo");
        free(b);
        b = ms_base64_encode((const uint8_t *)der, dn - 1);
        snprintf(text, sizeof text, "-----BEGIN PUBLIC KEY-----\n%s\n-----END PUBLIC KEY-----\n",
                 b);
        pem_refused(text, MS_E_FORMAT, "the PEM key is not a DER SubjectPublicKeyInfo");
        free(b);
        free(der);
    }
    /* A NUL byte. */
    char nul[600];
    size_t gl = strlen(good);
    memcpy(nul, good, gl);
    nul[30] = '\0';
    CHECK_INT(ms_public_key_parse(nul, gl, "x.pem", &pk, &err), MS_E_FORMAT);
    CHECK_CONTAINS(err.message, "NUL byte");
    free(good);
}

int main(void)
{
    if (!have_openssl()) {
        printf("SKIP: openssl(1) not found\n");
        return 77;
    }
    if (make_tmpdir("pem") != 0)
        return 1;
    test_ed25519();
    test_ec("P-256", MS_ALG_ECDSA_P256, "sha256");
    test_ec("P-384", MS_ALG_ECDSA_P384, "sha384");
    test_other_algorithms();
    test_kinds_and_permissions();
    test_malformed();
    remove_tmpdir();
    return check_finish("test_pem");
}
