/*
 * Signing keys: key files, generation, signing and verification.
 *
 * This is the only file that calls libsodium's signing API, so every secret
 * byte passes through here: secret key files are read into sodium_malloc()
 * memory, decoded into sodium_malloc() memory, and every temporary that held
 * secret bytes is released with sodium_free() or wiped with sodium_memzero()
 * on every path, errors included.
 *
 * Keys are tagged structs over the algorithm so that ECDSA keys held by
 * OpenSSL can be added as another union member without changing callers.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "core/base64.h"
#include "core/digest.h"
#include "core/error_internal.h"
#include "modelseal/keys.h"

#define KEY_FILE_MAX (64u * 1024u)
#define KEY_MAGIC "modelseal-key v1"
#define KEY_MAGIC_PREFIX "modelseal-key "

#define ED25519_PK_LEN crypto_sign_PUBLICKEYBYTES
#define ED25519_SK_LEN crypto_sign_SECRETKEYBYTES
#define ED25519_SEED_LEN crypto_sign_SEEDBYTES
#define ED25519_SIG_LEN crypto_sign_BYTES

/* Longest quoted excerpt of file contents put into an error message. */
#define QUOTE_MAX 64

struct ms_public_key {
    ms_key_algorithm alg;
    char keyid[MS_KEYID_HEX_LEN + 1];
    union {
        struct {
            uint8_t pk[ED25519_PK_LEN];
        } ed25519;
        /* ECDSA: an OpenSSL EVP_PKEY * goes here. */
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
        /* ECDSA: an OpenSSL EVP_PKEY * goes here. */
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

/* ---- small helpers ------------------------------------------------------ */

const char *ms_key_algorithm_name(ms_key_algorithm alg)
{
    switch (alg) {
    case MS_ALG_ED25519:
        return "ed25519";
    }
    return NULL;
}

static void ed25519_keyid(const uint8_t pk[ED25519_PK_LEN], char out[MS_KEYID_HEX_LEN + 1])
{
    uint8_t d[MS_SHA256_LEN];
    ms_sha256_buf(pk, ED25519_PK_LEN, d);
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
    ed25519_keyid(sk->pub.u.ed25519.pk, sk->pub.keyid);
    /* Best effort: a stray write through a bad pointer then faults instead of
     * corrupting the key.  Not every platform supports it. */
    (void)sodium_mprotect_readonly(sk->u.ed25519.sk);
    *out = sk;
    return MS_OK;
}

/* ---- generation, accessors, freeing ------------------------------------- */

ms_status ms_key_generate(ms_key_algorithm alg, ms_secret_key **out, ms_error *err)
{
    *out = NULL;
    ms_status st = sodium_ready(err);
    if (st != MS_OK)
        return st;
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
    switch (sk->alg) {
    case MS_ALG_ED25519: {
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
    }
    return ms_fail(err, MS_E_UNSUPPORTED, "unsupported key algorithm %d", (int)sk->alg);
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
    switch (pk->alg) {
    case MS_ALG_ED25519:
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
    return ms_fail(err, MS_E_UNSUPPORTED, "unsupported key algorithm %d", (int)pk->alg);
}

/* ---- key file parsing --------------------------------------------------- */

enum { F_TYPE, F_ALGORITHM, F_KEYID, F_ENCRYPTION, F_KEY, F_COUNT };
static const char *const field_names[F_COUNT] = {"type", "algorithm", "keyid", "encryption", "key"};

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
                           "%s: not a modelseal key file (first line must be '%s')", what,
                           KEY_MAGIC);
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
 * Check everything but the key bytes.  The type comes first so that a public
 * key file handed to the secret key loader is named as such rather than
 * reported as lacking `encryption`.
 */
static ms_status check_fields(const key_fields *f, const char *what, int want_secret, ms_error *err)
{
    char q[QUOTE_MAX + 4];
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

    span alg = f->v[F_ALGORITHM];
    if (!span_is(alg, "ed25519"))
        return ms_fail(err, MS_E_UNSUPPORTED, "%s: unsupported algorithm '%s'", what,
                       quote(alg.p, alg.n, q));
    if (is_secret && !span_is(f->v[F_ENCRYPTION], "none"))
        return ms_fail(err, MS_E_UNSUPPORTED, "%s: unsupported encryption '%s'", what,
                       quote(f->v[F_ENCRYPTION].p, f->v[F_ENCRYPTION].n, q));

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
    key_fields f;
    ms_status st = parse_fields(text != NULL ? text : "", len, what, &f, err);
    if (st == MS_OK)
        st = check_fields(&f, what, 0, err);
    if (st != MS_OK)
        return st;

    uint8_t *raw = NULL;
    size_t raw_len = 0;
    int rc = ms_base64_decode(f.v[F_KEY].p, f.v[F_KEY].n, &raw, &raw_len);
    if (rc == MS_B64_NOMEM)
        return ms_fail(err, MS_E_NOMEM, "%s: out of memory", what);
    if (rc != 0)
        return ms_fail(err, MS_E_FORMAT, "%s: field 'key' is not valid base64", what);
    if (raw_len != ED25519_PK_LEN) {
        free(raw);
        return ms_fail(err, MS_E_KEY,
                       "%s: field 'key' is %zu bytes; an ed25519 public key is %d bytes", what,
                       raw_len, (int)ED25519_PK_LEN);
    }
    ms_public_key *pk = calloc(1, sizeof *pk);
    if (pk == NULL) {
        free(raw);
        return ms_fail(err, MS_E_NOMEM, "%s: out of memory", what);
    }
    pk->alg = MS_ALG_ED25519;
    memcpy(pk->u.ed25519.pk, raw, ED25519_PK_LEN);
    free(raw);
    ed25519_keyid(pk->u.ed25519.pk, pk->keyid);
    st = check_keyid(&f, pk->keyid, what, err);
    if (st != MS_OK) {
        free(pk);
        return st;
    }
    *out = pk;
    return MS_OK;
}

/* Parse a secret key file image (in secure memory) into a key object. */
static ms_status secret_key_parse(const char *text, size_t len, const char *what,
                                  ms_secret_key **out, ms_error *err)
{
    key_fields f;
    ms_status st = parse_fields(text, len, what, &f, err);
    if (st == MS_OK)
        st = check_fields(&f, what, 1, err);
    if (st != MS_OK)
        return st;

    /* The value lies inside a file of at most KEY_FILE_MAX bytes: no overflow. */
    size_t cap = ms_base64_decoded_max(f.v[F_KEY].n);
    uint8_t *seed = sodium_malloc(cap);
    if (seed == NULL)
        return ms_fail(err, MS_E_NOMEM, "%s: out of memory (secure memory)", what);
    size_t seed_len = 0;
    int rc = ms_base64_decode_into(f.v[F_KEY].p, f.v[F_KEY].n, seed, cap, &seed_len);
    if (rc != 0)
        st = ms_fail(err, MS_E_FORMAT, "%s: field 'key' is not valid base64", what);
    else if (seed_len != ED25519_SEED_LEN)
        st = ms_fail(err, MS_E_KEY,
                     "%s: field 'key' is %zu bytes; an ed25519 secret key (seed) is %d bytes", what,
                     seed_len, (int)ED25519_SEED_LEN);
    else
        st = ed25519_from_seed(seed, out, err);
    sodium_free(seed); /* wipes */
    if (st != MS_OK)
        return st;
    /* The key id is checked against the public key derived from the seed. */
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
    /* O_NONBLOCK: a FIFO planted under the key's name must not hang us. */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0)
        return ms_fail(err, MS_E_IO, "%s: cannot open: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return ms_fail(err, MS_E_IO, "%s: cannot stat: %s", path, strerror(e));
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return ms_fail(err, MS_E_KEY, "%s: not a regular file", path);
    }
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
    if (parse_fields(text, len, path, &f, NULL) == MS_OK && f.present[F_TYPE] &&
        span_is(f.v[F_TYPE], "public"))
        return check_fields(&f, path, 1, err);
    return ms_fail(err, MS_E_PERMISSION,
                   "%s: secret key file is %s by group or others (mode %04o); run chmod 600 %s",
                   path,
                   (mode & 044) != 0   ? "readable"
                   : (mode & 022) != 0 ? "writable"
                                       : "accessible",
                   (unsigned)mode, path);
}

ms_status ms_secret_key_load(const char *path, ms_secret_key **out, ms_error *err)
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
        st = secret_key_parse(text, len, path, out, err);
    sodium_free(text); /* wipes the file image, seed included */
    return st;
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
 * Create path exclusively with exactly `mode` (fchmod: the umask must not
 * loosen or tighten it), write all of data and fsync.  *created tells the
 * caller whether there is a file to remove after a failure.
 */
static ms_status write_new_file(const char *path, mode_t mode, const char *data, size_t len,
                                int *created, ms_error *err)
{
    *created = 0;
    /* O_EXCL with O_CREAT also refuses a dangling symlink at path. */
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOCTTY, mode);
    if (fd < 0) {
        if (errno == EEXIST)
            return ms_fail(err, MS_E_EXISTS, "%s: already exists", path);
        return ms_fail(err, MS_E_IO, "%s: cannot create: %s", path, strerror(errno));
    }
    *created = 1;
    if (fchmod(fd, mode) != 0) {
        int e = errno;
        close(fd);
        return ms_fail(err, MS_E_IO, "%s: cannot set mode %04o: %s", path, (unsigned)mode,
                       strerror(e));
    }
    size_t done = 0;
    while (done < len) {
        ssize_t w = write(fd, data + done, len - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            int e = w < 0 ? errno : ENOSPC;
            close(fd);
            return ms_fail(err, MS_E_IO, "%s: write failed: %s", path, strerror(e));
        }
        done += (size_t)w;
    }
    if (fsync(fd) != 0) {
        int e = errno;
        close(fd);
        return ms_fail(err, MS_E_IO, "%s: fsync failed: %s", path, strerror(e));
    }
    if (close(fd) != 0)
        return ms_fail(err, MS_E_IO, "%s: close failed: %s", path, strerror(errno));
    return MS_OK;
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

/* Header lines shared by both files: everything up to and including keyid. */
static int format_header(char *buf, size_t cap, const char *type, const ms_secret_key *sk)
{
    return snprintf(buf, cap, "%s\ntype: %s\nalgorithm: %s\nkeyid: %s\n", KEY_MAGIC, type,
                    ms_key_algorithm_name(sk->alg), sk->pub.keyid);
}

/* NAME.pub contents, malloc'd. */
static ms_status format_public(const ms_secret_key *sk, char **out, size_t *out_len, ms_error *err)
{
    char *b64 = ms_base64_encode(sk->pub.u.ed25519.pk, ED25519_PK_LEN);
    if (b64 == NULL)
        return ms_fail(err, MS_E_NOMEM, "out of memory");
    char head[256];
    int hn = format_header(head, sizeof head, "public", sk);
    if (hn < 0 || (size_t)hn >= sizeof head) {
        free(b64);
        return ms_fail(err, MS_E_INTERNAL, "public key file image does not fit");
    }
    size_t cap = (size_t)hn + strlen("key: ") + strlen(b64) + 2;
    char *text = malloc(cap);
    if (text == NULL) {
        free(b64);
        return ms_fail(err, MS_E_NOMEM, "out of memory");
    }
    int n = snprintf(text, cap, "%skey: %s\n", head, b64);
    free(b64);
    *out = text;
    *out_len = (size_t)n;
    return MS_OK;
}

/* NAME.key contents, in sodium_malloc() memory (release with sodium_free()). */
static ms_status format_secret(const ms_secret_key *sk, char **out, size_t *out_len, ms_error *err)
{
    enum { CAP = 512 };
    size_t b64_len = 0;
    (void)ms_base64_encoded_len(ED25519_SEED_LEN, &b64_len);
    char *text = sodium_malloc(CAP);
    uint8_t *seed = sodium_malloc(ED25519_SEED_LEN);
    if (text == NULL || seed == NULL) {
        if (text != NULL)
            sodium_free(text);
        if (seed != NULL)
            sodium_free(seed);
        return ms_fail(err, MS_E_NOMEM, "out of memory (secure memory)");
    }
    int hn = format_header(text, CAP, "secret", sk);
    int en = -1;
    if (hn >= 0 && hn < CAP)
        en = snprintf(text + hn, CAP - (size_t)hn, "encryption: none\nkey: ");
    size_t used = (size_t)hn + (size_t)en;
    if (en < 0 || used + b64_len + 2 > CAP) {
        sodium_free(text);
        sodium_free(seed);
        return ms_fail(err, MS_E_INTERNAL, "secret key file image does not fit");
    }
    crypto_sign_ed25519_sk_to_seed(seed, sk->u.ed25519.sk);
    ms_base64_encode_into(seed, ED25519_SEED_LEN, text + used);
    sodium_free(seed);
    used += b64_len;
    text[used++] = '\n';
    text[used] = '\0';
    *out = text;
    *out_len = used;
    return MS_OK;
}

ms_status ms_key_write_pair(const ms_secret_key *sk, const char *name, ms_error *err)
{
    if (sk == NULL)
        return ms_fail(err, MS_E_USAGE, "no secret key given");
    if (name == NULL || name[0] == '\0')
        return ms_fail(err, MS_E_USAGE, "no key name given");
    if (sk->alg != MS_ALG_ED25519)
        return ms_fail(err, MS_E_UNSUPPORTED, "unsupported key algorithm %d", (int)sk->alg);
    size_t nl = strlen(name);
    if (nl > SIZE_MAX - 5)
        return ms_fail(err, MS_E_USAGE, "key name too long");
    char *key_path = malloc(nl + 5), *pub_path = malloc(nl + 5);
    char *sec_text = NULL, *pub_text = NULL;
    size_t sec_len = 0, pub_len = 0;
    int key_created = 0, pub_created = 0;
    ms_status st = MS_OK;
    if (key_path == NULL || pub_path == NULL) {
        st = ms_fail(err, MS_E_NOMEM, "out of memory");
        goto out;
    }
    memcpy(key_path, name, nl);
    memcpy(key_path + nl, ".key", 5);
    memcpy(pub_path, name, nl);
    memcpy(pub_path + nl, ".pub", 5);

    if ((st = format_secret(sk, &sec_text, &sec_len, err)) != MS_OK ||
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
