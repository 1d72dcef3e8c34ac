/*
 * Small helpers shared by the OMS files: string lists, the path order of
 * model_signing, excerpts of untrusted text for messages.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/digest.h"
#include "core/error_internal.h"
#include "core/text.h"
#include "oms/oms_internal.h"

/* An excerpt of untrusted text short enough for a message (ms_fail sanitizes it). */
const char *ms_oms_excerpt(const char *s, char buf[MS_OMS_QUOTE_MAX + 4])
{
    size_t n = strlen(s), k = n < MS_OMS_QUOTE_MAX ? n : MS_OMS_QUOTE_MAX;
    memcpy(buf, s, k);
    if (k < n) {
        memcpy(buf + k, "...", 3);
        k += 3;
    }
    buf[k] = '\0';
    return buf;
}

int ms_oms_strlist_add_n(ms_oms_strlist *l, const char *s, size_t len)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 8;
        char **v = realloc(l->v, cap * sizeof *v);
        if (v == NULL)
            return -1;
        l->v = v;
        l->cap = cap;
    }
    char *c = malloc(len + 1);
    if (c == NULL)
        return -1;
    memcpy(c, s, len);
    c[len] = '\0';
    l->v[l->n++] = c;
    return 0;
}

int ms_oms_strlist_add(ms_oms_strlist *l, const char *s)
{
    return ms_oms_strlist_add_n(l, s, strlen(s));
}

int ms_oms_strlist_has(const ms_oms_strlist *l, const char *s)
{
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->v[i], s) == 0)
            return 1;
    return 0;
}

void ms_oms_strlist_free(ms_oms_strlist *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
    l->v = NULL;
    l->n = l->cap = 0;
}

int ms_oms_strlist_addf(ms_oms_strlist *l, const char *fmt, ...)
{
    char buf[MS_ERROR_MESSAGE_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    /* Warnings quote the bundle; a cut may split a character (JSON needs UTF-8). */
    ms_text_sanitize(buf, sizeof buf);
    return ms_oms_strlist_add(l, buf);
}

/*
 * Path order of the resources: component by component, bytes unsigned, a
 * prefix first.  This is byte order with '/' below every other byte, and is
 * the order model_signing lists resources in (sorted pure POSIX paths).
 */
int ms_oms_path_cmp(const char *a, const char *b)
{
    const unsigned char *p = (const unsigned char *)a, *q = (const unsigned char *)b;
    for (;; p++, q++) {
        unsigned ca = *p, cb = *q;
        if (ca == cb) {
            if (ca == 0)
                return 0;
            continue;
        }
        if (ca == 0)
            return -1;
        if (cb == 0)
            return 1;
        if (ca == '/')
            return -1;
        if (cb == '/')
            return 1;
        return ca < cb ? -1 : 1;
    }
}

/* path is `prefix` or lies under it. */
int ms_oms_path_under(const char *path, const char *prefix)
{
    size_t n = strlen(prefix);
    return strncmp(path, prefix, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

/* The ignore entry covering path, or NULL. */
const char *ms_oms_ignored_by(const ms_oms_strlist *ign, const char *path)
{
    for (size_t i = 0; i < ign->n; i++)
        if (ms_oms_path_under(path, ign->v[i]))
            return ign->v[i];
    return NULL;
}

int ms_oms_hex64_decode(const char *s, uint8_t out[32])
{
    return strlen(s) == 64 && ms_hex_decode(s, 32, out) == 0 ? 0 : -1;
}

int ms_oms_ecdsa_alg(ms_key_algorithm a)
{
    return a == MS_ALG_ECDSA_P256 || a == MS_ALG_ECDSA_P384;
}

int ms_oms_cmp_resource_ptr(const void *a, const void *b)
{
    const ms_oms_resource *x = *(const ms_oms_resource *const *)a;
    const ms_oms_resource *y = *(const ms_oms_resource *const *)b;
    return ms_oms_path_cmp(x->name, y->name);
}

int ms_oms_cmp_name(const void *a, const void *b)
{
    return ms_oms_path_cmp(*(char *const *)a, *(char *const *)b);
}

char **ms_oms_strlist_take(ms_oms_strlist *l, size_t *n)
{
    char **v = l->v;
    *n = l->n;
    l->v = NULL;
    l->n = l->cap = 0;
    return v;
}

cJSON *ms_oms_json_add_str(cJSON *o, const char *k, const char *v)
{
    return o ? cJSON_AddStringToObject(o, k, v) : NULL;
}
