/* UTF-8 checks and the message sanitizer every error goes through. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/text.h"

/* Length of the well-formed UTF-8 sequence at s (n bytes available), 0 if ill-formed. */
size_t ms_utf8_seq_len(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    if (c < 0x80)
        return 1;
    size_t len;
    unsigned char lo = 0x80, hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) {
        len = 2;
    } else if (c >= 0xe0 && c <= 0xef) {
        len = 3;
        if (c == 0xe0)
            lo = 0xa0; /* overlong */
        else if (c == 0xed)
            hi = 0x9f; /* UTF-16 surrogates */
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4;
        if (c == 0xf0)
            lo = 0x90; /* overlong */
        else if (c == 0xf4)
            hi = 0x8f; /* above U+10FFFF */
    } else {
        return 0;
    }
    if (n < len)
        return 0;
    if (s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < len; i++)
        if (s[i] < 0x80 || s[i] > 0xbf)
            return 0;
    return len;
}

int ms_utf8_valid(const char *str)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t n = strlen(str);
    for (size_t i = 0; i < n;) {
        size_t l = ms_utf8_seq_len(s + i, n - i);
        if (l == 0)
            return 0;
        i += l;
    }
    return 1;
}

/*
 * Messages quote names taken from the file (tensor names, keys, paths), and
 * callers show messages on terminals.  A name such as "\u001b[2J" decodes
 * to a raw escape sequence, so control bytes, ill-formed UTF-8, C1 controls
 * and bidirectional overrides are rewritten as \xNN or \uNNNN text.
 */

static int unsafe_codepoint(uint32_t cp)
{
    return (cp >= 0x80 && cp <= 0x9f) || cp == 0x200e || cp == 0x200f ||
           (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

void ms_text_sanitize(char *msg, size_t cap)
{
    char out[MS_ERROR_MESSAGE_MAX];
    if (cap > sizeof out)
        cap = sizeof out;
    const unsigned char *in = (const unsigned char *)msg;
    size_t n = strnlen(msg, cap), o = 0;
    for (size_t i = 0; i < n;) {
        char piece[16];
        size_t plen;
        size_t l = ms_utf8_seq_len(in + i, n - i);
        if (l == 0 || in[i] < 0x20 || in[i] == 0x7f) {
            plen = (size_t)snprintf(piece, sizeof piece, "\\x%02x", in[i]);
            l = 1;
        } else if (l > 1) {
            uint32_t cp = in[i] & (0xff >> (l + 1));
            for (size_t k = 1; k < l; k++)
                cp = (cp << 6) | (in[i + k] & 0x3f);
            if (unsafe_codepoint(cp)) {
                plen = (size_t)snprintf(piece, sizeof piece, "\\u%04x", (unsigned)cp);
            } else {
                memcpy(piece, in + i, l);
                plen = l;
            }
        } else {
            piece[0] = (char)in[i];
            plen = 1;
        }
        if (o + plen >= cap)
            break; /* truncate on a character boundary */
        memcpy(out + o, piece, plen);
        o += plen;
        i += l;
    }
    out[o] = '\0';
    memcpy(msg, out, o + 1);
}


const char *ms_text_clean(const char *s)
{
    static __thread char bufs[4][MS_ERROR_MESSAGE_MAX];
    static __thread unsigned next;
    if (s == NULL)
        return NULL;
    char *b = bufs[next++ % 4];
    snprintf(b, MS_ERROR_MESSAGE_MAX, "%s", s);
    ms_text_sanitize(b, MS_ERROR_MESSAGE_MAX);
    return b;
}

static char fold(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

size_t ms_edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 64 || lb > 64)
        return (size_t)-1;
    size_t row[65];
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t cost = fold(a[i - 1]) == fold(b[j - 1]) ? 0 : 1;
            size_t best = diag + cost;
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

const char *ms_nearest_name(const char *name, const char *const *known, size_t n)
{
    const char *best = NULL;
    size_t best_d = (size_t)-1;
    for (size_t i = 0; i < n; i++) {
        size_t d = ms_edit_distance(name, known[i]);
        size_t lk = strlen(known[i]), ln = strlen(name);
        int near = d <= (lk + 2) / 3;
        if (!near && ln >= 3 && ln <= 64 && lk <= 64) {
            char a[65], b[65];
            for (size_t k = 0; k <= ln; k++)
                a[k] = fold(name[k]);
            for (size_t k = 0; k <= lk; k++)
                b[k] = fold(known[i][k]);
            near = strstr(a, b) != NULL || strstr(b, a) != NULL;
        }
        if (near && d < best_d) {
            best = known[i];
            best_d = d;
        }
    }
    return best;
}

void ms_strbuf_printf(ms_strbuf *b, const char *fmt, ...)
{
    if (b->oom)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->oom = 1;
        return;
    }
    if (b->len + (size_t)n + 1 > b->cap) {
        size_t cap = (b->cap + (size_t)n + 1) * 2;
        char *p = realloc(b->p, cap);
        if (p == NULL) {
            b->oom = 1;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    va_start(ap, fmt);
    vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

char *ms_strbuf_take(ms_strbuf *b)
{
    char *p = b->p;
    if (!b->oom && p == NULL)
        p = calloc(1, 1);
    else if (b->oom) {
        free(p);
        p = NULL;
    }
    *b = (ms_strbuf){0};
    return p;
}
