/*
 * Keys for OMS: loading a public key file (PEM, text before the PEM block,
 * modelseal .pub files), and the PEM text model_signing hashes for the
 * 1.1 key hint.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/base64.h"
#include "core/digest.h"
#include "core/error_internal.h"
#include "core/fsutil.h"
#include "oms/oms_internal.h"

/* Largest key file read. */
#define KEY_FILE_MAX (1u << 20)

char *ms_oms_spki_pem(const uint8_t *spki, size_t len, size_t *out_len)
{
    static const char begin[] = "-----BEGIN PUBLIC KEY-----\n";
    static const char end[] = "-----END PUBLIC KEY-----\n";
    char *b64 = ms_base64_encode(spki, len);
    if (b64 == NULL)
        return NULL;
    size_t n = strlen(b64), lines = (n + 63) / 64;
    size_t total = strlen(begin) + n + lines + strlen(end);
    char *pem = malloc(total + 1), *p = pem;
    if (pem != NULL) {
        memcpy(p, begin, strlen(begin));
        p += strlen(begin);
        for (size_t i = 0; i < n; i += 64) {
            size_t k = n - i < 64 ? n - i : 64;
            memcpy(p, b64 + i, k);
            p += k;
            *p++ = '\n';
        }
        memcpy(p, end, strlen(end));
        p += strlen(end);
        *p = '\0';
        if (out_len != NULL)
            *out_len = (size_t)(p - pem);
    }
    free(b64);
    return pem;
}

/* Base64 text of lines [s, e) with line ends removed, decoded; NULL on any problem. */
static uint8_t *decode_lines(const char *s, const char *e, size_t *out_len)
{
    char *buf = malloc((size_t)(e - s) + 1);
    if (buf == NULL)
        return NULL;
    size_t n = 0;
    for (const char *p = s; p < e; p++)
        if (*p != '\n' && *p != '\r')
            buf[n++] = *p;
    uint8_t *der = NULL;
    if (ms_base64_decode(buf, n, &der, out_len) != 0)
        der = NULL;
    free(buf);
    return der;
}

/*
 * The SubjectPublicKeyInfo a key file image holds (PEM body or the `key:`
 * line of a modelseal key file), if it hashes to pk's id; else NULL.
 */
static uint8_t *spki_of_text(const char *text, size_t len, const ms_public_key *pk, size_t *out_len)
{
    const char *end = text + len, *s = NULL, *e = NULL;
    static const char pb[] = "-----BEGIN PUBLIC KEY-----", pe[] = "-----END PUBLIC KEY-----";
    if (len >= strlen(pb) && memcmp(text, pb, strlen(pb)) == 0) {
        s = memchr(text, '\n', len);
        if (s == NULL)
            return NULL;
        s++;
        for (const char *p = s; p + strlen(pe) <= end; p++)
            if ((p == s || p[-1] == '\n') && memcmp(p, pe, strlen(pe)) == 0) {
                e = p;
                break;
            }
    } else {
        for (const char *p = text; p + 5 <= end; p++)
            if ((p == text || p[-1] == '\n') && memcmp(p, "key: ", 5) == 0) {
                s = p + 5;
                e = memchr(s, '\n', (size_t)(end - s));
                if (e == NULL)
                    e = end;
                break;
            }
    }
    if (s == NULL || e == NULL || e < s)
        return NULL;
    size_t n;
    uint8_t *der = decode_lines(s, e, &n);
    if (der == NULL)
        return NULL;
    uint8_t d[32];
    char hex[65];
    ms_sha256_buf(der, n, d);
    ms_hex_encode(d, 32, hex);
    if (strcmp(hex, ms_public_key_id(pk)) != 0) {
        free(der);
        return NULL;
    }
    *out_len = n;
    return der;
}

/*
 * Where the key is in a key file image: the whole text, or, when the file
 * carries a PEM PUBLIC KEY block with other text around it (certtool and
 * `openssl -text` descriptions), just that block.
 */
void ms_oms_key_range(const char *text, size_t len, size_t *off, size_t *n)
{
    static const char pb[] = "-----BEGIN PUBLIC KEY-----", pe[] = "-----END PUBLIC KEY-----";
    *off = 0;
    *n = len;
    if (len >= 13 && memcmp(text, "modelseal-key", 13) == 0)
        return;
    size_t b = SIZE_MAX;
    for (size_t i = 0; i + strlen(pb) <= len; i++)
        if ((i == 0 || text[i - 1] == '\n') && memcmp(text + i, pb, strlen(pb)) == 0) {
            b = i;
            break;
        }
    if (b == SIZE_MAX)
        return;
    for (size_t i = b + 1; i + strlen(pe) <= len; i++)
        if (text[i - 1] == '\n' && memcmp(text + i, pe, strlen(pe)) == 0) {
            size_t e = i + strlen(pe);
            while (e < len && text[e] != '\n')
                e++;
            if (e < len)
                e++;
            *off = b;
            *n = e - b;
            return;
        }
}

ms_status ms_oms_public_key_load(const char *path, ms_public_key **pk, uint8_t **spki,
                                 size_t *spki_len, ms_error *err)
{
    *pk = NULL;
    if (spki != NULL) {
        *spki = NULL;
        *spki_len = 0;
    }
    char *text;
    size_t len;
    ms_status st = ms_read_file(path, KEY_FILE_MAX, &text, &len, err);
    if (st != MS_OK)
        return st;
    size_t off, n;
    ms_oms_key_range(text, len, &off, &n);
    st = ms_public_key_parse(text + off, n, path, pk, err);
    if (st == MS_OK && !ms_oms_ecdsa_alg(ms_public_key_algorithm(*pk))) {
        st = ms_fail(err, MS_E_UNSUPPORTED,
                     "%s: an %s key; OMS signatures use ECDSA keys (P-256 or P-384)", path,
                     ms_key_algorithm_name(ms_public_key_algorithm(*pk)));
        ms_public_key_free(*pk);
        *pk = NULL;
    }
    if (st == MS_OK && spki != NULL)
        *spki = spki_of_text(text + off, n, *pk, spki_len);
    free(text);
    return st;
}
