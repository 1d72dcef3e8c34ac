/*
 * Model card front matter (packager/modelcard.h).  A line parser for a small
 * YAML subset: no recursion, no allocation proportional to anything but the
 * values kept, every line and value bounded.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/error_internal.h"
#include "core/safeopen.h"
#include "core/text.h"
#include "packager/modelcard.h"
#include "policy/spdx.h"

enum { K_NONE = -1, K_SKIP = -2, K_LICENSE = 0, K_LICENSE_NAME, K_DATASETS, K_BASE_MODEL,
       K_RELATION, K_COUNT };
static const char *const keys[K_COUNT] = {"license", "license_name", "datasets", "base_model",
                                          "base_model_relation"};

typedef struct card_parse {
    ms_card_meta *m;
    const char *what;
    int oom;
    int seen[K_COUNT];
    int capped[K_COUNT];
    size_t warned;
} card_parse;

#define MAX_WARNINGS 20 /* per card; then one line says more were left out */

static void warn(card_parse *p, size_t line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void warn(card_parse *p, size_t line, const char *fmt, ...)
{
    char msg[512], full[700];
    if (p->warned++ >= MAX_WARNINGS) {
        char more[300];
        snprintf(more, sizeof more, "%s: further warnings left out", p->what);
        ms_text_sanitize(more, sizeof more);
        if (p->warned == MAX_WARNINGS + 1 && ms_text_append_line(&p->m->warnings, more) != 0)
            p->oom = 1;
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (line > 0)
        snprintf(full, sizeof full, "%s: line %zu: %s", p->what, line, msg);
    else
        snprintf(full, sizeof full, "%s: %s", p->what, msg);
    ms_text_sanitize(full, sizeof full);
    if (ms_text_append_line(&p->m->warnings, full) != 0)
        p->oom = 1;
}

static char *dup_n(const char *s, size_t n)
{
    char *p = malloc(n + 1);
    if (p != NULL) {
        memcpy(p, s, n);
        p[n] = '\0';
    }
    return p;
}

static int is_space(char c)
{
    return c == ' ' || c == '\t';
}

/* Trim spaces and tabs on both ends of [*s, *s + *n). */
static void trim(const char **s, size_t *n)
{
    while (*n > 0 && is_space(**s)) {
        (*s)++;
        (*n)--;
    }
    while (*n > 0 && is_space((*s)[*n - 1]))
        (*n)--;
}

/*
 * One scalar at s (n bytes): quoted or plain.  In a flow list (flow != 0) a
 * plain scalar stops at ',' or ']'.  Returns the malloc'd value (NULL with
 * *bad set to a reason when malformed, NULL with *bad NULL on OOM) and
 * stores in *used how many bytes were consumed.
 */
static char *scalar(const char *s, size_t n, int flow, size_t *used, const char **bad)
{
    *bad = NULL;
    char *out = malloc(n + 1);
    size_t o = 0, i = 0;
    if (out == NULL)
        return NULL;
    if (n > 0 && (s[0] == '"' || s[0] == '\'')) {
        char q = s[0];
        int closed = 0;
        for (i = 1; i < n; i++) {
            if (s[i] == q) {
                if (q == '\'' && i + 1 < n && s[i + 1] == '\'') {
                    out[o++] = '\'';
                    i++;
                    continue;
                }
                closed = 1;
                i++;
                break;
            }
            if (q == '"' && s[i] == '\\') {
                if (i + 1 >= n) {
                    *bad = "a quoted value ends in a lone backslash";
                    break;
                }
                char e = s[++i];
                char r = e == 'n' ? '\n' : e == 't' ? '\t' : e == '\\' ? '\\' : e == '"' ? '"'
                       : e == '/' ? '/' : 0;
                if (r == 0) {
                    *bad = "unsupported escape in a quoted value";
                    break;
                }
                out[o++] = r;
                continue;
            }
            out[o++] = s[i];
        }
        if (*bad == NULL && !closed)
            *bad = "a quoted value has no closing quote";
    } else {
        if (n > 0 && strchr("{&*!|>%@`", s[0]) != NULL) {
            *bad = "a block scalar, flow mapping, anchor or tag is not supported here";
        } else {
            for (i = 0; i < n; i++) {
                if (flow && (s[i] == ',' || s[i] == ']'))
                    break;
                if (s[i] == '#' && i > 0 && is_space(s[i - 1]))
                    break; /* a comment */
                out[o++] = s[i];
            }
            while (o > 0 && is_space(out[o - 1]))
                o--;
        }
    }
    if (*bad != NULL) {
        free(out);
        return NULL;
    }
    out[o] = '\0';
    *used = i;
    return out;
}

/* After a value: only spaces or a comment may follow. */
static int rest_blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '#')
            return i == 0 || is_space(s[i - 1]);
        if (!is_space(s[i]))
            return 0;
    }
    return 1;
}

/* Keep a value for key k (NULL-terminated list of one for scalars). */
static void keep(card_parse *p, int k, char *v, size_t line)
{
    ms_card_meta *m = p->m;
    if (strlen(v) == 0) {
        free(v);
        warn(p, line, "empty value for '%s' ignored", keys[k]);
        return;
    }
    if (strlen(v) > MS_CARD_MAX_VALUE || !ms_utf8_valid(v) || strchr(v, '\n') != NULL) {
        free(v);
        warn(p, line, "value for '%s' is too long, multi-line or not UTF-8; ignored", keys[k]);
        return;
    }
    char ***list = k == K_DATASETS ? &m->datasets : k == K_BASE_MODEL ? &m->base_models : NULL;
    if (list != NULL) {
        size_t *cnt = k == K_DATASETS ? &m->dataset_count : &m->base_model_count;
        if (*cnt >= MS_CARD_MAX_LIST) {
            free(v);
            if (!p->capped[k])
                warn(p, line, "more than %d entries for '%s'; the rest are ignored",
                     MS_CARD_MAX_LIST, keys[k]);
            p->capped[k] = 1;
            return;
        }
        char **np = realloc(*list, (*cnt + 1) * sizeof *np);
        if (np == NULL) {
            free(v);
            p->oom = 1;
            return;
        }
        np[(*cnt)++] = v;
        *list = np;
        return;
    }
    char **slot = k == K_LICENSE ? &m->license : k == K_LICENSE_NAME ? &m->license_name
                                                                     : &m->base_model_relation;
    free(*slot);
    *slot = v;
    if (k == K_LICENSE)
        m->license_line = line;
    if (k == K_RELATION)
        m->relation_line = line;
}

/* The value of "key: value" (s, n: after the colon, trimmed, non-empty). */
static void key_value(card_parse *p, int k, const char *s, size_t n, size_t line)
{
    int is_list_key = k == K_DATASETS || k == K_BASE_MODEL;
    const char *bad = NULL;
    size_t used = 0;
    if (s[0] == '[') {
        if (!is_list_key) {
            warn(p, line, "'%s' must be a single value, not a list; ignored", keys[k]);
            return;
        }
        /* Items are kept only when the whole list reads well. */
        char *items[MS_CARD_MAX_LIST + 1];
        size_t count = 0, i = 1;
        const char *problem = NULL;
        for (;;) {
            while (i < n && is_space(s[i]))
                i++;
            if (i < n && s[i] == ']' && count == 0) {
                i++;
                break;
            }
            if (i >= n) {
                problem = "a list has no closing ']'";
                break;
            }
            char *v = scalar(s + i, n - i, 1, &used, &bad);
            if (v == NULL) {
                problem = bad;
                if (bad == NULL)
                    p->oom = 1;
                break;
            }
            i += used;
            while (i < n && is_space(s[i]))
                i++;
            if (count < MS_CARD_MAX_LIST + 1)
                items[count++] = v;
            else
                free(v);
            if (i < n && s[i] == ',') {
                i++;
                continue;
            }
            if (i < n && s[i] == ']') {
                i++;
                break;
            }
            problem = i >= n ? "a list has no closing ']'" : "expected ',' or ']' in a list";
            break;
        }
        if (problem == NULL && !p->oom && !rest_blank(s + i, n - i))
            problem = "text after the end of a list";
        for (size_t j = 0; j < count; j++) {
            if (problem != NULL || p->oom)
                free(items[j]);
            else
                keep(p, k, items[j], line);
        }
        if (problem != NULL)
            warn(p, line, "%s; '%s' ignored", problem, keys[k]);
        return;
    }
    char *v = scalar(s, n, 0, &used, &bad);
    if (v == NULL) {
        if (bad == NULL)
            p->oom = 1;
        else
            warn(p, line, "%s; '%s' ignored", bad, keys[k]);
        return;
    }
    if (!rest_blank(s + used, n - used)) {
        free(v);
        warn(p, line, "text after a quoted value; '%s' ignored", keys[k]);
        return;
    }
    keep(p, k, v, line);
}

static int valid_line(const char *s, size_t n)
{
    if (memchr(s, '\0', n) != NULL)
        return 0;
    for (size_t i = 0; i < n;) {
        size_t l = ms_utf8_seq_len((const unsigned char *)s + i, n - i);
        if (l == 0)
            return 0;
        i += l;
    }
    return 1;
}

static void parse_lines(card_parse *p, const char *text, size_t len)
{
    size_t pos = 0, line = 0;
    int current = K_NONE; /* the key whose block list lines may follow */
    /* A UTF-8 byte order mark before the first "---" is allowed. */
    if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
        pos = 3;
    while (pos < len && !p->oom) {
        const char *s = text + pos;
        const char *nl = memchr(s, '\n', len - pos);
        size_t n = nl != NULL ? (size_t)(nl - s) : len - pos;
        if (nl == NULL && len == MS_CARD_MAX_BYTES)
            break; /* a line cut by the read limit */
        pos += n + (nl != NULL);
        line++;
        if (n > 0 && s[n - 1] == '\r')
            n--;
        if (line > MS_CARD_MAX_LINES) {
            warn(p, 0, "front matter longer than %d lines; ignored", MS_CARD_MAX_LINES);
            return;
        }
        size_t tn = n;
        const char *t = s;
        while (tn > 0 && is_space(t[tn - 1]))
            tn--;
        if (line == 1) {
            if (tn != 3 || memcmp(t, "---", 3) != 0)
                return; /* no front matter */
            continue;
        }
        if ((tn == 3 && memcmp(t, "---", 3) == 0) || (tn == 3 && memcmp(t, "...", 3) == 0)) {
            p->m->found = 1;
            return;
        }
        if (!valid_line(s, n)) {
            warn(p, line, "not UTF-8 text; skipped");
            continue;
        }
        size_t indent = 0;
        while (indent < tn && is_space(t[indent]))
            indent++;
        if (indent == tn || t[indent] == '#')
            continue; /* blank or a comment */
        if (memchr(t, '\t', indent) != NULL) {
            warn(p, line, "a tab in the indentation; skipped");
            continue;
        }
        const char *body = t + indent;
        size_t bn = tn - indent;
        int item = body[0] == '-' && (bn == 1 || body[1] == ' ');
        if (item && (current >= 0 || current == K_SKIP)) {
            if (current == K_SKIP)
                continue;
            const char *v = body + 1;
            size_t vn = bn - 1;
            trim(&v, &vn);
            if (vn == 0) {
                warn(p, line, "empty list item; skipped");
                continue;
            }
            int k = current;
            if (k != K_DATASETS && k != K_BASE_MODEL) {
                warn(p, line, "'%s' must be a single value, not a list; item skipped", keys[k]);
                continue;
            }
            const char *bad = NULL;
            size_t used = 0;
            char *val = scalar(v, vn, 0, &used, &bad);
            if (val == NULL) {
                if (bad == NULL)
                    p->oom = 1;
                else
                    warn(p, line, "%s; item skipped", bad);
                continue;
            }
            if (!rest_blank(v + used, vn - used)) {
                free(val);
                warn(p, line, "text after a quoted value; item skipped");
                continue;
            }
            keep(p, k, val, line);
            continue;
        }
        if (indent > 0) {
            /* Nested under an ignored key, or the continuation of a value. */
            if (current >= 0)
                warn(p, line, "expected a list item '- value' under '%s'; skipped",
                     keys[current]);
            continue;
        }
        current = K_NONE;
        const char *colon = memchr(body, ':', bn);
        size_t kn = colon != NULL ? (size_t)(colon - body) : 0;
        int key_ok = colon != NULL && kn > 0 && (kn + 1 == bn || is_space(colon[1]));
        for (size_t i = 0; key_ok && i < kn; i++) {
            char ch = body[i];
            key_ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                     (ch >= '0' && ch <= '9') || ch == '_' || ch == '-' || ch == '.';
        }
        if (!key_ok) {
            /* Quoted keys and the like are simply not ours: skip them with the rest. */
            if (body[0] == '"' || body[0] == '\'' || body[0] == '?') {
                current = K_SKIP;
                continue;
            }
            warn(p, line, "expected 'key: value'; skipped");
            current = K_SKIP;
            continue;
        }
        int k = K_SKIP;
        for (int i = 0; i < K_COUNT; i++)
            if (strlen(keys[i]) == kn && memcmp(body, keys[i], kn) == 0)
                k = i;
        if (k == K_SKIP) {
            current = K_SKIP;
            continue;
        }
        if (p->seen[k]) {
            warn(p, line, "'%s' given again; this one is ignored", keys[k]);
            current = K_SKIP;
            continue;
        }
        p->seen[k] = 1;
        const char *v = colon + 1;
        size_t vn = bn - kn - 1;
        trim(&v, &vn);
        if (vn == 0 || v[0] == '#') {
            current = k; /* a block list may follow */
            continue;
        }
        key_value(p, k, v, vn, line);
    }
    if (line > 0 && !p->oom)
        warn(p, 0, "the front matter has no closing '---' line%s; ignored",
             len >= MS_CARD_MAX_BYTES ? " in the first 64 KiB" : "");
}

static void clear_values(ms_card_meta *m)
{
    free(m->license);
    free(m->license_name);
    free(m->base_model_relation);
    for (size_t i = 0; i < m->dataset_count; i++)
        free(m->datasets[i]);
    free(m->datasets);
    for (size_t i = 0; i < m->base_model_count; i++)
        free(m->base_models[i]);
    free(m->base_models);
    m->license = m->license_name = m->base_model_relation = NULL;
    m->datasets = m->base_models = NULL;
    m->dataset_count = m->base_model_count = 0;
}

ms_status ms_card_parse(const char *text, size_t len, const char *what, ms_card_meta **out,
                        ms_error *err)
{
    *out = NULL;
    ms_card_meta *m = calloc(1, sizeof *m);
    if (m == NULL)
        return ms_fail(err, MS_E_NOMEM, "out of memory");
    card_parse p = {.m = m, .what = what};
    if (len > MS_CARD_MAX_BYTES)
        len = MS_CARD_MAX_BYTES;
    parse_lines(&p, text, len);
    if (p.oom) {
        ms_card_free(m);
        return ms_fail(err, MS_E_NOMEM, "out of memory");
    }
    if (!m->found)
        clear_values(m);
    *out = m;
    return MS_OK;
}

ms_status ms_card_load(const char *model_dir, const char *links_root, ms_card_meta **out,
                       ms_error *err)
{
    *out = NULL;
    size_t pl = strlen(model_dir) + 16;
    char *path = malloc(pl);
    if (path == NULL)
        return ms_fail(err, MS_E_NOMEM, "out of memory");
    snprintf(path, pl, "%s/README.md", model_dir);
    /*
     * Opened as the model walk opens it: beneath the model directory (or the
     * links root), never a FIFO or device, so a hostile README.md can
     * neither hang pack nor bring in a file from outside.
     */
    int rootfd = -1, fd = -1, missing = 0;
    char *model_rel = NULL, *rel = NULL;
    ms_status st = ms_links_root_open(model_dir, links_root, &rootfd, &model_rel, err);
    if (st == MS_OK) {
        size_t rl = strlen(model_rel) + 16;
        if ((rel = malloc(rl)) == NULL)
            st = ms_fail(err, MS_E_NOMEM, "out of memory");
        else
            snprintf(rel, rl, "%s%sREADME.md", model_rel, model_rel[0] ? "/" : "");
    }
    if (st == MS_OK)
        st = ms_open_regular_beneath(rootfd, rel, path,
                                     links_root != NULL ? links_root : model_dir, &fd, NULL,
                                     &missing, err);
    if (rootfd >= 0)
        close(rootfd);
    free(model_rel);
    free(rel);
    free(path);
    if (st != MS_OK || missing)
        return st;
    char *buf = malloc(MS_CARD_MAX_BYTES);
    if (buf == NULL) {
        close(fd);
        return ms_fail(err, MS_E_NOMEM, "out of memory");
    }
    size_t len = 0;
    int bad = 0;
    while (len < MS_CARD_MAX_BYTES) {
        ssize_t r = read(fd, buf + len, MS_CARD_MAX_BYTES - len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            bad = r < 0;
            break;
        }
        len += (size_t)r;
    }
    close(fd);
    if (bad) {
        ms_card_meta *m = calloc(1, sizeof *m);
        card_parse p = {.m = m, .what = "README.md"};
        if (m == NULL)
            st = ms_fail(err, MS_E_NOMEM, "out of memory");
        else {
            warn(&p, 0, "cannot be read; its front matter is ignored");
            *out = m;
            st = p.oom ? ms_fail(err, MS_E_NOMEM, "out of memory") : MS_OK;
        }
    } else {
        st = ms_card_parse(buf, len, "README.md", out, err);
    }
    free(buf);
    return st;
}

void ms_card_free(ms_card_meta *m)
{
    if (m == NULL)
        return;
    clear_values(m);
    free(m->warnings);
    free(m);
}

/* ---- merging into a spec --------------------------------------------------------------- */

static char *dup_str(const char *s)
{
    return s == NULL ? NULL : dup_n(s, strlen(s));
}

/* A Hugging Face repository id: [A-Za-z0-9._-]+ with at most one '/'. */
static int hf_id_ok(const char *s)
{
    int slashes = 0;
    if (s[0] == '\0' || s[0] == '/' || s[strlen(s) - 1] == '/')
        return 0;
    for (const char *c = s; *c; c++) {
        if (*c == '/')
            slashes++;
        else if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
                   (*c >= '0' && *c <= '9') || *c == '.' || *c == '_' || *c == '-'))
            return 0;
    }
    return slashes <= 1 && strstr(s, "..") == NULL;
}

static char *hf_uri(const char *prefix, const char *id)
{
    size_t n = strlen(prefix) + strlen(id) + 1;
    char *u = malloc(n);
    if (u != NULL)
        snprintf(u, n, "%s%s", prefix, id);
    return u;
}

static int spec_warn(ms_spec *spec, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int spec_warn(ms_spec *spec, const char *fmt, ...)
{
    char msg[700];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    ms_text_sanitize(msg, sizeof msg);
    return ms_text_append_line(&spec->warnings, msg);
}

ms_status ms_card_merge(ms_spec *spec, const ms_card_meta *card, const char *what,
                        ms_error *err)
{
    if (card == NULL)
        return MS_OK;
    if (card->warnings != NULL) {
        size_t old = spec->warnings != NULL ? strlen(spec->warnings) : 0;
        char *p = realloc(spec->warnings, old + strlen(card->warnings) + 1);
        if (p == NULL)
            return ms_fail(err, MS_E_NOMEM, "out of memory");
        memcpy(p + old, card->warnings, strlen(card->warnings) + 1);
        spec->warnings = p;
    }
    if (spec->license == NULL && card->license != NULL) {
        const char *hf = ms_spdx_from_hf(card->license, card->license_name);
        ms_spdx_expr *e = NULL;
        ms_error le;
        if (hf == NULL) {
            if (spec_warn(spec, "%s: line %zu: license '%.100s'%s%.100s%s is not a known Hugging "
                          "Face license id; not recorded", what, card->license_line,
                          card->license, card->license_name ? " (license_name '" : "",
                          card->license_name ? card->license_name : "",
                          card->license_name ? "')" : "") != 0)
                return ms_fail(err, MS_E_NOMEM, "out of memory");
        } else if (ms_spdx_parse(hf, &e, &le) != MS_OK) {
            if (le.status == MS_E_NOMEM)
                return ms_fail(err, MS_E_NOMEM, "out of memory");
            if (spec_warn(spec, "%s: line %zu: license '%.100s': %s; not recorded", what,
                          card->license_line, hf, le.message) != 0)
                return ms_fail(err, MS_E_NOMEM, "out of memory");
        } else {
            spec->license = dup_str(ms_spdx_canonical(e));
            ms_spdx_free(e);
            if (spec->license == NULL)
                return ms_fail(err, MS_E_NOMEM, "out of memory");
        }
    }
    const char *relation = NULL;
    if (card->base_model_relation != NULL) {
        static const char *const known[] = {"finetune", "quantized", "merge", "adapter",
                                            "distilled"};
        for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
            if (strcmp(card->base_model_relation, known[i]) == 0)
                relation = known[i];
        if (relation == NULL &&
            spec_warn(spec, "%s: line %zu: unknown base_model_relation '%.100s'; not recorded",
                      what, card->relation_line, card->base_model_relation) != 0)
            return ms_fail(err, MS_E_NOMEM, "out of memory");
    }
    if (!spec->has_base_models && card->base_model_count > 0) {
        spec->base_models = calloc(card->base_model_count, sizeof *spec->base_models);
        if (spec->base_models == NULL)
            return ms_fail(err, MS_E_NOMEM, "out of memory");
        for (size_t i = 0; i < card->base_model_count; i++) {
            const char *id = card->base_models[i];
            if (!hf_id_ok(id)) {
                if (spec_warn(spec, "%s: base_model '%.100s' is not a Hugging Face model id; "
                              "not recorded", what, id) != 0)
                    return ms_fail(err, MS_E_NOMEM, "out of memory");
                continue;
            }
            ms_spec_base_model *b = &spec->base_models[spec->base_model_count++];
            b->name = dup_str(id);
            b->uri = hf_uri("https://huggingface.co/", id);
            b->relation = relation != NULL ? dup_str(relation) : NULL;
            if (b->name == NULL || b->uri == NULL || (relation != NULL && b->relation == NULL))
                return ms_fail(err, MS_E_NOMEM, "out of memory");
        }
    }
    if (!spec->has_datasets && card->dataset_count > 0) {
        spec->datasets = calloc(card->dataset_count, sizeof *spec->datasets);
        if (spec->datasets == NULL)
            return ms_fail(err, MS_E_NOMEM, "out of memory");
        for (size_t i = 0; i < card->dataset_count; i++) {
            const char *id = card->datasets[i];
            if (!hf_id_ok(id)) {
                if (spec_warn(spec, "%s: dataset '%.100s' is not a Hugging Face dataset id; "
                              "not recorded", what, id) != 0)
                    return ms_fail(err, MS_E_NOMEM, "out of memory");
                continue;
            }
            ms_spec_dataset *d = &spec->datasets[spec->dataset_count++];
            d->name = dup_str(id);
            d->uri = hf_uri("https://huggingface.co/datasets/", id);
            d->role = dup_str("training");
            if (d->name == NULL || d->uri == NULL || d->role == NULL)
                return ms_fail(err, MS_E_NOMEM, "out of memory");
        }
    }
    return MS_OK;
}

ms_status ms_card_check_license(ms_spec *spec, const ms_card_meta *card, const char *what,
                                ms_error *err)
{
    if (card == NULL || card->license == NULL || spec->license == NULL)
        return MS_OK;
    const char *hf = ms_spdx_from_hf(card->license, card->license_name);
    ms_spdx_expr *e = NULL;
    ms_error le;
    if (hf == NULL || ms_spdx_parse(hf, &e, &le) != MS_OK)
        return MS_OK; /* ms_card_merge already warned about it */
    int same = strcmp(ms_spdx_canonical(e), spec->license) == 0;
    int rc = same ? 0
                  : spec_warn(spec, "%s: line %zu: the model card's license '%.100s' (%.200s) "
                              "differs from the license recorded, '%.200s': check which one "
                              "applies", what, card->license_line, card->license,
                              ms_spdx_canonical(e), spec->license);
    ms_spdx_free(e);
    return rc != 0 ? ms_fail(err, MS_E_NOMEM, "out of memory") : MS_OK;
}
