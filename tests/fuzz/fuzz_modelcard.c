/*
 * libFuzzer target for model-card front matter (packager/modelcard.c): the
 * YAML block at the top of a model directory's README.md, read with
 * ms_card_parse() from memory and with ms_card_load() from a scratch model
 * directory, then merged into a spec with ms_card_merge().  Invariants:
 *   - parsing always succeeds, and loading README.md gives the same card;
 *   - without a closed front matter block nothing is kept;
 *   - every kept value is non-empty UTF-8 of at most MS_CARD_MAX_VALUE
 *     bytes without a newline; at most MS_CARD_MAX_LIST entries per list;
 *     the line of the license and of the relation is a line of the block;
 *   - warnings are lines "README.md: ..." without control bytes, at most
 *     21 of them;
 *   - the kept values, written back as a card of double-quoted scalars (a
 *     block list and a flow list), parse to the same values and no warning;
 *   - merging into an empty spec keeps the card's warnings first, records
 *     only base models and datasets that are Hugging Face ids (with their
 *     huggingface.co URIs, a known relation or none, the role training) and
 *     a canonical license exactly when ms_spdx_from_hf() maps the card's;
 *     merging into a spec that has all three changes nothing but warnings.
 */
#include <fcntl.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/text.h"
#include "fuzz_common.h"
#include "packager/modelcard.h"
#include "packager/spec.h"
#include "policy/spdx.h"

static char *g_dir;

static int rm_entry(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb, (void)flag, (void)ftw;
    return remove(p);
}

static void cleanup(void)
{
    if (g_dir != NULL)
        nftw(g_dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void write_readme(const uint8_t *data, size_t size)
{
    if (g_dir == NULL) {
        const char *tmp = getenv("TMPDIR");
        char t[4096];
        snprintf(t, sizeof t, "%s/fuzz-card.XXXXXX", tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp");
        if (mkdtemp(t) == NULL)
            abort();
        g_dir = strdup(t);
        atexit(cleanup);
    }
    char p[4200];
    snprintf(p, sizeof p, "%s/README.md", g_dir);
    int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0 || (size > 0 && write(fd, data, size) != (ssize_t)size) || close(fd) != 0)
        abort();
}

static int eq_opt(const char *a, const char *b)
{
    return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

static int eq_list(char **a, size_t na, char **b, size_t nb)
{
    if (na != nb)
        return 0;
    for (size_t i = 0; i < na; i++)
        if (strcmp(a[i], b[i]) != 0)
            return 0;
    return 1;
}

static void same_values(const ms_card_meta *a, const ms_card_meta *b)
{
    if (a->found != b->found || !eq_opt(a->license, b->license) ||
        !eq_opt(a->license_name, b->license_name) ||
        !eq_opt(a->base_model_relation, b->base_model_relation) ||
        !eq_list(a->datasets, a->dataset_count, b->datasets, b->dataset_count) ||
        !eq_list(a->base_models, a->base_model_count, b->base_models, b->base_model_count))
        abort();
}

static void check_value(const char *v)
{
    if (v == NULL)
        return;
    if (v[0] == '\0' || strlen(v) > MS_CARD_MAX_VALUE || !ms_utf8_valid(v) ||
        strchr(v, '\n') != NULL)
        abort();
}

static void check_warnings(const char *w, const char *prefix)
{
    if (w == NULL)
        return;
    size_t lines = 0, plen = strlen(prefix);
    const char *line = w;
    for (const unsigned char *c = (const unsigned char *)w; *c != '\0'; c++) {
        if (*c == '\n') {
            if (strncmp(line, prefix, plen) != 0 || (const char *)c == line + plen)
                abort();
            lines++;
            line = (const char *)c + 1;
        } else if (*c < 0x20 || *c == 0x7f) {
            abort();
        }
    }
    if (*line != '\0' || lines == 0)
        abort(); /* every line ends in '\n' */
}

static void check_card(const ms_card_meta *m)
{
    if (!m->found && (m->license != NULL || m->license_name != NULL ||
                      m->base_model_relation != NULL || m->dataset_count != 0 ||
                      m->base_model_count != 0))
        abort();
    check_value(m->license);
    check_value(m->license_name);
    check_value(m->base_model_relation);
    if (m->dataset_count > MS_CARD_MAX_LIST || m->base_model_count > MS_CARD_MAX_LIST)
        abort();
    for (size_t i = 0; i < m->dataset_count; i++)
        check_value(m->datasets[i]);
    for (size_t i = 0; i < m->base_model_count; i++)
        check_value(m->base_models[i]);
    if (m->license != NULL && (m->license_line < 2 || m->license_line > MS_CARD_MAX_LINES))
        abort();
    if (m->base_model_relation != NULL &&
        (m->relation_line < 2 || m->relation_line > MS_CARD_MAX_LINES))
        abort();
    check_warnings(m->warnings, "README.md: ");
    size_t n = 0;
    for (const char *c = m->warnings; c != NULL && *c != '\0'; c++)
        n += *c == '\n';
    if (n > 21)
        abort();
}

/* ---- the kept values written back as a card ------------------------------ */

typedef struct buf {
    char *p;
    size_t n, cap;
} buf;

static void put(buf *b, const char *s, size_t n)
{
    if (b->n + n + 1 > b->cap) {
        b->cap = (b->n + n + 1) * 2;
        b->p = realloc(b->p, b->cap);
        if (b->p == NULL)
            abort();
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = '\0';
}

static void puts_(buf *b, const char *s)
{
    put(b, s, strlen(s));
}

static void put_quoted(buf *b, const char *v)
{
    puts_(b, "\"");
    for (const char *c = v; *c != '\0'; c++) {
        if (*c == '"')
            puts_(b, "\\\"");
        else if (*c == '\\')
            puts_(b, "\\\\");
        else if (*c == '\t')
            puts_(b, "\\t");
        else
            put(b, c, 1);
    }
    puts_(b, "\"");
}

static void check_rewrite(const ms_card_meta *m)
{
    if (!m->found)
        return;
    buf b = {0};
    puts_(&b, "---\n");
    if (m->license != NULL) {
        puts_(&b, "license: ");
        put_quoted(&b, m->license);
        puts_(&b, "\n");
    }
    if (m->license_name != NULL) {
        puts_(&b, "license_name: ");
        put_quoted(&b, m->license_name);
        puts_(&b, "\n");
    }
    if (m->base_model_relation != NULL) {
        puts_(&b, "base_model_relation: ");
        put_quoted(&b, m->base_model_relation);
        puts_(&b, "\n");
    }
    if (m->dataset_count > 0) {
        puts_(&b, "datasets:\n");
        for (size_t i = 0; i < m->dataset_count; i++) {
            puts_(&b, "  - ");
            put_quoted(&b, m->datasets[i]);
            puts_(&b, "\n");
        }
    }
    if (m->base_model_count > 0) {
        puts_(&b, "base_model: [");
        for (size_t i = 0; i < m->base_model_count; i++) {
            if (i > 0)
                puts_(&b, ", ");
            put_quoted(&b, m->base_models[i]);
        }
        puts_(&b, "]\n");
    }
    puts_(&b, "---\n");
    if (b.n <= MS_CARD_MAX_BYTES) {
        ms_card_meta *r = NULL;
        ms_error err;
        ms_error_clear(&err);
        if (ms_card_parse(b.p, b.n, "README.md", &r, &err) != MS_OK || r->warnings != NULL)
            abort();
        same_values(m, r);
        ms_card_free(r);
    }
    free(b.p);
}

/* ---- merging into a spec ----------------------------------------------- */

static int hf_id_ok(const char *s)
{
    size_t n = strlen(s), slashes = 0;
    if (n == 0 || s[0] == '/' || s[n - 1] == '/' || strstr(s, "..") != NULL)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '/')
            slashes++;
        else if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                   c == '.' || c == '_' || c == '-'))
            return 0;
    }
    return slashes <= 1;
}

static size_t count_ids(char **list, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        k += hf_id_ok(list[i]);
    return k;
}

static void check_merge(const ms_card_meta *m)
{
    static const char *const relations[] = {"finetune", "quantized", "merge", "adapter",
                                            "distilled"};
    ms_spec *s = calloc(1, sizeof *s);
    if (s == NULL)
        abort();
    ms_error err;
    ms_error_clear(&err);
    if (ms_card_merge(s, m, "README.md", &err) != MS_OK)
        abort();
    if (m->warnings != NULL && (s->warnings == NULL ||
                                strncmp(s->warnings, m->warnings, strlen(m->warnings)) != 0))
        abort();
    if (s->warnings != NULL)
        check_warnings(s->warnings, "README.md: ");
    /* The license: recorded exactly when it maps to an expression that parses. */
    int want_license = 0;
    if (m->license != NULL) {
        const char *hf = ms_spdx_from_hf(m->license, m->license_name);
        ms_spdx_expr *e = NULL;
        ms_error le;
        ms_error_clear(&le);
        if (hf != NULL && ms_spdx_parse(hf, &e, &le) == MS_OK) {
            want_license = 1;
            if (s->license == NULL || strcmp(s->license, ms_spdx_canonical(e)) != 0)
                abort();
        }
        ms_spdx_free(e);
    }
    if ((s->license != NULL) != want_license)
        abort();
    const char *relation = NULL;
    for (size_t i = 0; i < 5 && m->base_model_relation != NULL; i++)
        if (strcmp(m->base_model_relation, relations[i]) == 0)
            relation = relations[i];
    if (s->base_model_count != count_ids(m->base_models, m->base_model_count) ||
        s->dataset_count != count_ids(m->datasets, m->dataset_count))
        abort();
    for (size_t i = 0; i < s->base_model_count; i++) {
        const ms_spec_base_model *b = &s->base_models[i];
        char uri[2200];
        snprintf(uri, sizeof uri, "https://huggingface.co/%s", b->name);
        if (!hf_id_ok(b->name) || strcmp(b->uri, uri) != 0 || !eq_opt(b->relation, relation))
            abort();
    }
    for (size_t i = 0; i < s->dataset_count; i++) {
        const ms_spec_dataset *d = &s->datasets[i];
        char uri[2200];
        snprintf(uri, sizeof uri, "https://huggingface.co/datasets/%s", d->name);
        if (!hf_id_ok(d->name) || strcmp(d->uri, uri) != 0 || strcmp(d->role, "training") != 0)
            abort();
    }
    ms_spec_free(s);

    /* A spec that says everything itself keeps it. */
    s = calloc(1, sizeof *s);
    if (s == NULL || (s->license = strdup("MIT")) == NULL)
        abort();
    s->has_base_models = s->has_datasets = 1;
    if (ms_card_merge(s, m, "README.md", &err) != MS_OK || strcmp(s->license, "MIT") != 0 ||
        s->base_model_count != 0 || s->dataset_count != 0 || s->base_models != NULL ||
        s->datasets != NULL)
        abort();
    ms_spec_free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ms_error err;
    ms_error_clear(&err);
    ms_card_meta *m = NULL;
    if (ms_card_parse((const char *)data, size, "README.md", &m, &err) != MS_OK || m == NULL)
        abort();
    check_card(m);

    write_readme(data, size);
    ms_card_meta *l = NULL;
    if (ms_card_load(g_dir, NULL, &l, &err) != MS_OK || l == NULL)
        abort();
    same_values(m, l);
    if (!eq_opt(m->warnings, l->warnings))
        abort();
    ms_card_free(l);

    check_rewrite(m);
    check_merge(m);
    if (fuzz_input_is_valid_seed() && (!m->found || m->warnings != NULL))
        abort();
    ms_card_free(m);
    return 0;
}
