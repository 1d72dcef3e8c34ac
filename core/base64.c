/*
 * Base64 (RFC 4648 sections 4 and 5) without table lookups or data-dependent
 * branches, because the same code encodes and decodes Ed25519 seeds.
 * Branches depend only on lengths and on the position of '=' padding, which
 * the length already reveals.
 */
#include <stdint.h>
#include <stdlib.h>

#include "core/base64.h"
#include "modelseal/dsse.h"

/* All ones if lo <= c <= hi, else 0 (c, lo, hi below 2^31). */
static uint32_t ct_range(uint32_t c, uint32_t lo, uint32_t hi)
{
    /* Either difference wraps around (top bit set) exactly when c is outside. */
    return ((((c - lo) | (hi - c)) >> 31) & 1u) - 1u;
}

/* All ones if x != 0, else 0 (x below 2^31). */
static uint32_t ct_nonzero(uint32_t x)
{
    return 0u - ((0u - x) >> 31);
}

/* The character for a 6-bit value in the standard alphabet. */
static char enc6(uint32_t v)
{
    v &= 63u;
    uint32_t c = 'A' + v;
    c += ct_range(v, 26, 63) & 6u;  /* 'a' == 'A' + 26 + 6 */
    c -= ct_range(v, 52, 63) & 75u; /* '0' == 'a' + 26 - 75 */
    c -= ct_range(v, 62, 63) & 15u; /* '+' == '0' + 10 - 15 */
    c += ct_range(v, 63, 63) & 3u;  /* '/' == '+' + 1 + 3 */
    return (char)(c & 0xffu);
}

/*
 * The 6-bit value of character ch; sets bits in *bad for a character outside
 * both alphabets and records which alphabet-specific characters were seen.
 */
static uint32_t dec6(char ch, uint32_t *bad, uint32_t *std, uint32_t *url)
{
    uint32_t c = (uint32_t)(unsigned char)ch;
    uint32_t v = 0, ok = 0, m;

    m = ct_range(c, 'A', 'Z');
    v |= m & (c - 'A');
    ok |= m;
    m = ct_range(c, 'a', 'z');
    v |= m & (c - 'a' + 26);
    ok |= m;
    m = ct_range(c, '0', '9');
    v |= m & (c - '0' + 52);
    ok |= m;
    m = ct_range(c, '+', '+');
    v |= m & 62u;
    ok |= m;
    *std |= m;
    m = ct_range(c, '/', '/');
    v |= m & 63u;
    ok |= m;
    *std |= m;
    m = ct_range(c, '-', '-');
    v |= m & 62u;
    ok |= m;
    *url |= m;
    m = ct_range(c, '_', '_');
    v |= m & 63u;
    ok |= m;
    *url |= m;
    *bad |= ~ok;
    return v & 63u;
}

int ms_base64_encoded_len(size_t n, size_t *out)
{
    size_t groups = n / 3 + (n % 3 != 0);
    if (groups > (SIZE_MAX - 1) / 4)
        return -1;
    *out = groups * 4;
    return 0;
}

void ms_base64_encode_into(const uint8_t *in, size_t n, char *out)
{
    size_t i = 0, o = 0;
    for (; n - i >= 3; i += 3) {
        uint32_t w = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
        out[o++] = enc6(w >> 18);
        out[o++] = enc6(w >> 12);
        out[o++] = enc6(w >> 6);
        out[o++] = enc6(w);
    }
    if (n - i == 1) {
        uint32_t w = (uint32_t)in[i] << 16;
        out[o++] = enc6(w >> 18);
        out[o++] = enc6(w >> 12);
        out[o++] = '=';
        out[o++] = '=';
    } else if (n - i == 2) {
        uint32_t w = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
        out[o++] = enc6(w >> 18);
        out[o++] = enc6(w >> 12);
        out[o++] = enc6(w >> 6);
        out[o++] = '=';
    }
    out[o] = '\0';
}

char *ms_base64_encode(const uint8_t *in, size_t len)
{
    size_t n;
    if (ms_base64_encoded_len(len, &n) != 0)
        return NULL;
    char *out = malloc(n + 1);
    if (out == NULL)
        return NULL;
    ms_base64_encode_into(in, len, out);
    return out;
}

size_t ms_base64_decoded_max(size_t in_len)
{
    return in_len / 4 * 3 + 2;
}

int ms_base64_decode_into(const char *in, size_t in_len, uint8_t *out, size_t out_cap,
                          size_t *out_len)
{
    if (in == NULL && in_len > 0)
        return MS_B64_INVALID;
    /* Strip at most two '='; a third one stays and fails as a bad character. */
    size_t n = in_len, pad = 0;
    while (pad < 2 && n > 0 && in[n - 1] == '=') {
        n--;
        pad++;
    }
    size_t rem = n % 4;
    if (rem == 1)
        return MS_B64_INVALID;
    /* Padding, when present, must complete the last group exactly. */
    if (pad > 0 && (in_len % 4 != 0 || pad != 4 - rem))
        return MS_B64_INVALID;
    size_t need = n / 4 * 3 + (rem != 0 ? rem - 1 : 0);
    if (need > out_cap)
        return MS_B64_SPACE;

    uint32_t bad = 0, std = 0, url = 0;
    size_t i = 0, o = 0;
    for (; n - i >= 4; i += 4) {
        uint32_t w = dec6(in[i], &bad, &std, &url) << 18 | dec6(in[i + 1], &bad, &std, &url) << 12 |
                     dec6(in[i + 2], &bad, &std, &url) << 6 | dec6(in[i + 3], &bad, &std, &url);
        out[o++] = (uint8_t)(w >> 16);
        out[o++] = (uint8_t)(w >> 8);
        out[o++] = (uint8_t)w;
    }
    if (rem == 2) {
        uint32_t a = dec6(in[i], &bad, &std, &url), b = dec6(in[i + 1], &bad, &std, &url);
        out[o++] = (uint8_t)(a << 2 | b >> 4);
        bad |= ct_nonzero(b & 15u); /* non-canonical: unused low bits set */
    } else if (rem == 3) {
        uint32_t a = dec6(in[i], &bad, &std, &url), b = dec6(in[i + 1], &bad, &std, &url),
                 c = dec6(in[i + 2], &bad, &std, &url);
        out[o++] = (uint8_t)(a << 2 | b >> 4);
        out[o++] = (uint8_t)(b << 4 | c >> 2);
        bad |= ct_nonzero(c & 3u);
    }
    /* One string uses one alphabet: "+" with "_" is a mistake or a trick. */
    bad |= std & url;
    if (bad != 0)
        return MS_B64_INVALID;
    *out_len = o;
    return 0;
}

int ms_base64_decode(const char *in, size_t in_len, uint8_t **out, size_t *out_len)
{
    *out = NULL;
    *out_len = 0;
    size_t cap = ms_base64_decoded_max(in_len);
    uint8_t *buf = malloc(cap);
    if (buf == NULL)
        return MS_B64_NOMEM;
    size_t n = 0;
    int rc = ms_base64_decode_into(in, in_len, buf, cap, &n);
    if (rc != 0) {
        free(buf);
        return rc;
    }
    *out = buf;
    *out_len = n;
    return 0;
}
