/* Unit tests for packager/modelcard.c: the front matter subset, warnings, bounds, merging. */
#include "check.h"
#include "packager/modelcard.h"

/* Parse from an exact-size heap copy (no NUL after it) so sanitizers see overreads. */
static ms_card_meta *card_n(const char *text, size_t len)
{
    char *copy = malloc(len ? len : 1);
    if (copy == NULL)
        abort();
    memcpy(copy, text, len);
    ms_card_meta *m = NULL;
    ms_error e;
    CHECK_INT(ms_card_parse(copy, len, "README.md", &m, &e), MS_OK);
    free(copy);
    if (m == NULL)
        abort();
    return m;
}

static ms_card_meta *card(const char *text)
{
    return card_n(text, strlen(text));
}

static void test_good(void)
{
    ms_card_meta *m = card("---\n"
                           "language: en\n"
                           "license: apache-2.0\n"
                           "tags:\n"
                           "  - text\n"
                           "  - nested: {a: 1}\n"
                           "datasets:\n"
                           "  - squad\n"
                           "  - \"org/data-set\"   # a comment\n"
                           "- 'it''s'\n"
                           "base_model: [meta-llama/Llama-2-7b-hf, \"mistralai/Mistral-7B\"]\n"
                           "base_model_relation: finetune\n"
                           "model-index:\n"
                           "- name: x\n"
                           "  results: []\n"
                           "---\n"
                           "# Title\n");
    CHECK_INT(m->found, 1);
    CHECK_STR(m->license, "apache-2.0");
    CHECK_INT(m->license_line, 3);
    CHECK_INT(m->dataset_count, 3);
    if (m->dataset_count == 3) {
        CHECK_STR(m->datasets[0], "squad");
        CHECK_STR(m->datasets[1], "org/data-set");
        CHECK_STR(m->datasets[2], "it's");
    }
    CHECK_INT(m->base_model_count, 2);
    if (m->base_model_count == 2) {
        CHECK_STR(m->base_models[0], "meta-llama/Llama-2-7b-hf");
        CHECK_STR(m->base_models[1], "mistralai/Mistral-7B");
    }
    CHECK_STR(m->base_model_relation, "finetune");
    CHECK(m->warnings == NULL);
    ms_card_free(m);

    /* A single base model as a scalar, CRLF lines, quoted escapes, "..." closes. */
    m = card("---\r\nbase_model: \"a/b\\\"c\"\r\nlicense: 'mit'\r\nlicense_name: x # y\r\n...\r\n");
    CHECK_INT(m->found, 1);
    CHECK_INT(m->base_model_count, 1);
    if (m->base_model_count == 1)
        CHECK_STR(m->base_models[0], "a/b\"c");
    CHECK_STR(m->license, "mit");
    CHECK_STR(m->license_name, "x");
    ms_card_free(m);

    /* No front matter: nothing, no warning. */
    m = card("# Title\n---\nlicense: mit\n---\n");
    CHECK_INT(m->found, 0);
    CHECK(m->license == NULL && m->warnings == NULL);
    ms_card_free(m);
    m = card("");
    CHECK_INT(m->found, 0);
    ms_card_free(m);
}

static void test_malformed(void)
{
    ms_card_meta *m = card("---\n"
                           "license: \"mit\n"            /* 2: unterminated quote */
                           "just some words\n"           /* 3: not key: value */
                           "datasets:\n"
                           "  notalistitem\n"            /* 5 */
                           "  - [unclosed\n"             /* 6: a plain value, kept */
                           "base_model: [a, b\n"         /* 7: unclosed list */
                           "base_model_relation: |\n"    /* 8: block scalar */
                           "license_name: \xff\xfe\n"    /* 9: not UTF-8 */
                           "\tlicense: mit\n"            /* 10: tab */
                           "datasets: [x]\n"             /* 11: duplicate */
                           "---\n");
    CHECK_INT(m->found, 1);
    CHECK(m->license == NULL);
    CHECK_CONTAINS(m->warnings, "README.md: line 2: a quoted value has no closing quote");
    CHECK_CONTAINS(m->warnings, "README.md: line 3: expected 'key: value'; skipped");
    CHECK_CONTAINS(m->warnings, "README.md: line 5: expected a list item '- value' under "
                                "'datasets'; skipped");
    CHECK_CONTAINS(m->warnings, "README.md: line 7: a list has no closing ']'");
    CHECK_CONTAINS(m->warnings, "README.md: line 8: a block scalar");
    CHECK_CONTAINS(m->warnings, "README.md: line 9: not UTF-8 text; skipped");
    CHECK_CONTAINS(m->warnings, "README.md: line 10: a tab in the indentation; skipped");
    CHECK_CONTAINS(m->warnings, "README.md: line 11: 'datasets' given again");
    CHECK_INT(m->dataset_count, 1);
    if (m->dataset_count == 1)
        CHECK_STR(m->datasets[0], "[unclosed");
    ms_card_free(m);

    /* Not closed: nothing kept, one warning. */
    m = card("---\nlicense: mit\n");
    CHECK_INT(m->found, 0);
    CHECK(m->license == NULL);
    CHECK_STR(m->warnings, "README.md: the front matter has no closing '---' line; ignored\n");
    ms_card_free(m);

    /* A list for a single-valued key. */
    m = card("---\nlicense: [mit, apache-2.0]\n---\n");
    CHECK(m->license == NULL);
    CHECK_CONTAINS(m->warnings, "line 2: 'license' must be a single value, not a list");
    ms_card_free(m);
}

static void test_bounds(void)
{
    /* Binary input with NULs and no newline: no crash, nothing found. */
    char bin[4096];
    for (size_t i = 0; i < sizeof bin; i++)
        bin[i] = (char)(i * 131 + 7);
    memcpy(bin, "---\n", 4);
    ms_card_meta *m = card_n(bin, sizeof bin);
    CHECK_INT(m->found, 0);
    ms_card_free(m);

    /* 1 MiB of long comment lines: only the first 64 KiB are read; not closed there. */
    size_t big = 1 << 20;
    char *t = malloc(big);
    if (t == NULL)
        abort();
    memset(t, 'x', big);
    memcpy(t, "---\ndatasets:\n", 14);
    for (size_t i = 14; i + 1000 < big; i += 1000) {
        t[i] = '#';
        t[i + 999] = '\n';
    }
    m = card_n(t, big);
    CHECK_INT(m->found, 0);
    CHECK_INT(m->dataset_count, 0);
    CHECK_CONTAINS(m->warnings, "in the first 64 KiB");
    ms_card_free(m);

    /* Warnings are capped. */
    size_t w = 4;
    memcpy(t, "---\n", 4);
    for (int i = 0; i < 100; i++, w += 2)
        memcpy(t + w, "x\n", 2);
    memcpy(t + w, "---\n", 4);
    m = card_n(t, w + 4);
    CHECK_INT(m->found, 1);
    CHECK_CONTAINS(m->warnings, "line 21: expected");
    CHECK(strstr(m->warnings, "line 22:") == NULL);
    CHECK_CONTAINS(m->warnings, "README.md: further warnings left out\n");
    ms_card_free(m);

    /* Many items, closed: the list is capped with one warning. */
    size_t n = 14;
    memcpy(t, "---\ndatasets:\n", 14);
    for (int i = 0; i < 300; i++, n += 4)
        memcpy(t + n, "- a\n", 4);
    memcpy(t + n, "---\n", 4);
    m = card_n(t, n + 4);
    CHECK_INT(m->found, 1);
    CHECK_INT(m->dataset_count, MS_CARD_MAX_LIST);
    CHECK_CONTAINS(m->warnings, "line 259: more than 256 entries for 'datasets'");
    ms_card_free(m);

    /* More lines than the limit. */
    n = 4;
    memcpy(t, "---\n", 4);
    for (int i = 0; i < MS_CARD_MAX_LINES + 10 && n + 2 < 65536; i++, n += 2)
        memcpy(t + n, "#\n", 2);
    m = card_n(t, n);
    CHECK_INT(m->found, 0);
    CHECK_CONTAINS(m->warnings, "front matter longer than 4096 lines");
    ms_card_free(m);
    free(t);
}

static void test_merge(void)
{
    ms_error e;
    ms_card_meta *m = card("---\nlicense: apache-2.0\ndatasets: [squad, \"bad id!\"]\n"
                           "base_model: org/base\nbase_model_relation: adapter\n---\n");
    ms_spec *s = calloc(1, sizeof *s);
    if (s == NULL)
        abort();
    CHECK_INT(ms_card_merge(s, m, "README.md", &e), MS_OK);
    CHECK_STR(s->license, "Apache-2.0");
    CHECK_INT(s->dataset_count, 1);
    if (s->dataset_count == 1) {
        CHECK_STR(s->datasets[0].name, "squad");
        CHECK_STR(s->datasets[0].uri, "https://huggingface.co/datasets/squad");
        CHECK_STR(s->datasets[0].role, "training");
    }
    CHECK_INT(s->base_model_count, 1);
    if (s->base_model_count == 1) {
        CHECK_STR(s->base_models[0].uri, "https://huggingface.co/org/base");
        CHECK_STR(s->base_models[0].relation, "adapter");
    }
    CHECK_CONTAINS(s->warnings, "README.md: dataset 'bad id!' is not a Hugging Face dataset id");
    ms_spec_free(s);

    /* The spec wins: its license and lists stay. */
    s = calloc(1, sizeof *s);
    if (s == NULL)
        abort();
    s->license = strdup("MIT");
    s->has_datasets = 1;
    CHECK_INT(ms_card_merge(s, m, "README.md", &e), MS_OK);
    CHECK_STR(s->license, "MIT");
    CHECK_INT(s->dataset_count, 0);
    CHECK_INT(s->base_model_count, 1);
    ms_spec_free(s);
    ms_card_free(m);

    /* An unknown Hugging Face license: a warning with its line. */
    m = card("---\n\nlicense: no-such-license-xyz\n---\n");
    s = calloc(1, sizeof *s);
    if (s == NULL)
        abort();
    CHECK_INT(ms_card_merge(s, m, "README.md", &e), MS_OK);
    CHECK(s->license == NULL);
    CHECK_CONTAINS(s->warnings, "README.md: line 3: license 'no-such-license-xyz'");
    ms_spec_free(s);
    ms_card_free(m);
}

int main(void)
{
    test_good();
    test_malformed();
    test_bounds();
    test_merge();
    return check_finish("modelcard");
}
