/*
 * SPDX license expressions (policy/spdx.c): canonical output, precedence,
 * WITH, "+", LicenseRef-/DocumentRef-, deprecation warnings, every error
 * message exactly, the length and depth limits, and the compiled-in list.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "policy/spdx.h"
#include "policy/spdx_internal.h"

/* Parse `in`; it must be accepted with the canonical text and warnings given. */
#define OK(in, canon, warnings) ok_at(__LINE__, (in), (canon), (warnings))
/* Parse `in`; it must be refused with the status and exact message given. */
#define BAD(in, status, msg) bad_at(__LINE__, (in), (status), (msg))

static void ok_at(int line, const char *in, const char *canon, const char *warnings)
{
    ms_spdx_expr *e = NULL;
    ms_error err;
    ms_status st = ms_spdx_parse(in, &e, &err);
    check_count++;
    if (st != MS_OK) {
        check_failures++;
        fprintf(stderr, "line %d: \"%.80s\" refused: %s\n", line, in, err.message);
        return;
    }
    const char *c = ms_spdx_canonical(e), *w = ms_spdx_warnings(e);
    check_count += 3;
    if (strcmp(c, canon) != 0) {
        check_failures++;
        fprintf(stderr, "line %d: \"%.80s\" -> \"%.200s\", expected \"%.200s\"\n", line, in, c, canon);
    }
    if (strcmp(w, warnings) != 0) {
        check_failures++;
        fprintf(stderr, "line %d: \"%.80s\" warnings \"%s\", expected \"%s\"\n", line, in, w, warnings);
    }
    /* The canonical text is a fixed point. */
    ms_spdx_expr *again = NULL;
    if (ms_spdx_parse(c, &again, &err) != MS_OK || strcmp(ms_spdx_canonical(again), c) != 0) {
        check_failures++;
        fprintf(stderr, "line %d: canonical \"%.80s\" does not re-parse to itself\n", line, c);
    }
    ms_spdx_free(again);
    ms_spdx_free(e);
}

static void bad_at(int line, const char *in, ms_status status, const char *msg)
{
    ms_spdx_expr *e = (ms_spdx_expr *)&e; /* must be reset to NULL */
    ms_error err;
    ms_status st = ms_spdx_parse(in, &e, &err);
    check_count += 3;
    if (st != status || err.status != status) {
        check_failures++;
        fprintf(stderr, "line %d: \"%.80s\" gave status %d (%s), expected %d\n", line, in, (int)st,
                err.message, (int)status);
    }
    if (strcmp(err.message, msg) != 0) {
        check_failures++;
        fprintf(stderr, "line %d: message \"%s\"\n            expected \"%s\"\n", line, err.message, msg);
    }
    if (e != NULL) {
        check_failures++;
        fprintf(stderr, "line %d: *out not NULL after a failure\n", line);
    }
}

static ms_spdx_expr *parse(const char *in)
{
    ms_spdx_expr *e = NULL;
    ms_error err;
    if (ms_spdx_parse(in, &e, &err) != MS_OK) {
        fprintf(stderr, "unexpected refusal of \"%s\": %s\n", in, err.message);
        exit(1);
    }
    return e;
}

static void test_canonical(void)
{
    OK("MIT", "MIT", "");
    OK("mit", "MIT", "");
    OK("mit and apache-2.0", "MIT AND Apache-2.0", "");
    OK("MIT aNd Apache-2.0 oR isc", "MIT AND Apache-2.0 OR ISC", "");
    OK(" \tMIT\n AND\r\nISC  ", "MIT AND ISC", "");
    OK("(MIT)AND(ISC)", "MIT AND ISC", "");
    OK("((MIT))", "MIT", "");
    OK("bsd-3-clause", "BSD-3-Clause", "");
    OK("cc-by-nc-sa-4.0", "CC-BY-NC-SA-4.0", "");
    OK("0bsd", "0BSD", "");
}

static void test_precedence(void)
{
    /* a OR b AND c == a OR (b AND c) */
    OK("MIT OR Apache-2.0 AND ISC", "MIT OR Apache-2.0 AND ISC", "");
    OK("MIT OR (Apache-2.0 AND ISC)", "MIT OR Apache-2.0 AND ISC", "");
    OK("(MIT OR Apache-2.0) AND ISC", "(MIT OR Apache-2.0) AND ISC", "");
    OK("MIT AND Apache-2.0 OR ISC", "MIT AND Apache-2.0 OR ISC", "");
    OK("(MIT AND Apache-2.0) OR ISC", "MIT AND Apache-2.0 OR ISC", "");
    OK("MIT AND (Apache-2.0 OR ISC)", "MIT AND (Apache-2.0 OR ISC)", "");
    /* Same-operator parentheses are dropped (AND and OR are associative). */
    OK("MIT OR (Apache-2.0 OR ISC)", "MIT OR Apache-2.0 OR ISC", "");
    OK("MIT AND (Apache-2.0 AND ISC)", "MIT AND Apache-2.0 AND ISC", "");
    OK("(MIT OR ISC) AND (Zlib OR (BSD-2-Clause AND (0BSD OR X11)))",
       "(MIT OR ISC) AND (Zlib OR BSD-2-Clause AND (0BSD OR X11))", "");
    /* WITH binds tighter than AND. */
    OK("GPL-2.0-only WITH Classpath-exception-2.0 AND MIT",
       "GPL-2.0-only WITH Classpath-exception-2.0 AND MIT", "");

    ms_spdx_expr *e = parse("MIT OR Apache-2.0 AND ISC");
    const ms_spdx_node *r = ms_spdx_root(e);
    CHECK_INT(r->kind, MS_SPDX_OR);
    CHECK_INT(r->left->kind, MS_SPDX_LICENSE);
    CHECK_STR(r->left->id, "MIT");
    CHECK_INT(r->right->kind, MS_SPDX_AND);
    CHECK_STR(r->right->left->id, "Apache-2.0");
    CHECK_STR(r->right->right->id, "ISC");
    ms_spdx_free(e);

    e = parse("(MIT OR Apache-2.0) AND ISC");
    r = ms_spdx_root(e);
    CHECK_INT(r->kind, MS_SPDX_AND);
    CHECK_INT(r->left->kind, MS_SPDX_OR);
    CHECK_STR(r->right->id, "ISC");
    ms_spdx_free(e);

    /* Chains are left-associative. */
    e = parse("MIT AND ISC AND Zlib");
    r = ms_spdx_root(e);
    CHECK_INT(r->kind, MS_SPDX_AND);
    CHECK_INT(r->left->kind, MS_SPDX_AND);
    CHECK_STR(r->left->left->id, "MIT");
    CHECK_STR(r->left->right->id, "ISC");
    CHECK_STR(r->right->id, "Zlib");
    ms_spdx_free(e);
}

static void test_with(void)
{
    OK("GPL-2.0-only WITH Classpath-exception-2.0", "GPL-2.0-only WITH Classpath-exception-2.0", "");
    OK("gpl-2.0-or-later with classpath-exception-2.0 or mit",
       "GPL-2.0-or-later WITH Classpath-exception-2.0 OR MIT", "");
    OK("Apache-2.0 WITH LLVM-exception", "Apache-2.0 WITH LLVM-exception", "");
    /* The grammar allows an exception on a LicenseRef and on "+". */
    OK("LicenseRef-Foo WITH Classpath-exception-2.0", "LicenseRef-Foo WITH Classpath-exception-2.0", "");
    OK("GPL-2.0-or-later+ WITH GCC-exception-2.0",
       "GPL-2.0-or-later+ WITH GCC-exception-2.0",
       "license 'GPL-2.0-or-later+' at column 1: '+' repeats '-or-later'\n");
    OK("LGPL-2.1-only WITH Nokia-Qt-exception-1.1", "LGPL-2.1-only WITH Nokia-Qt-exception-1.1",
       "exception 'Nokia-Qt-exception-1.1' at column 20 is deprecated (SPDX license list 3.27.0)\n");

    ms_spdx_expr *e = parse("GPL-3.0-or-later WITH GCC-exception-3.1");
    const ms_spdx_node *r = ms_spdx_root(e);
    CHECK_INT(r->kind, MS_SPDX_WITH);
    CHECK_STR(r->exception, "GCC-exception-3.1");
    CHECK(r->right == NULL);
    CHECK_INT(r->left->kind, MS_SPDX_LICENSE);
    CHECK_STR(r->left->id, "GPL-3.0-or-later");
    ms_spdx_free(e);

    BAD("MIT WITH", MS_E_FORMAT, "expected an exception id after WITH at column 9, found end of expression");
    BAD("MIT WITH (Classpath-exception-2.0)", MS_E_FORMAT,
        "expected an exception id after WITH at column 10, found '('");
    BAD("MIT WITH Foo-exception-9", MS_E_FORMAT, "unknown exception 'Foo-exception-9' at column 10");
    BAD("GPL-2.0-only WITH Classpath-exception-2", MS_E_FORMAT,
        "unknown exception 'Classpath-exception-2' at column 19 (did you mean 'Classpath-exception-2.0'?)");
    BAD("MIT WITH Apache-2.0", MS_E_FORMAT,
        "'Apache-2.0' at column 10 is a license, expected an exception id after WITH");
    BAD("MIT WITH LicenseRef-x", MS_E_FORMAT,
        "expected an exception id from the SPDX list at column 10, found 'LicenseRef-x'");
    BAD("MIT WITH AdditionRef-x", MS_E_FORMAT,
        "expected an exception id from the SPDX list at column 10, found 'AdditionRef-x'");
    BAD("Classpath-exception-2.0", MS_E_FORMAT,
        "'Classpath-exception-2.0' at column 1 is a license exception, expected a license id (an exception "
        "follows WITH)");
    BAD("(MIT) WITH Classpath-exception-2.0", MS_E_FORMAT,
        "WITH at column 7 must follow a license id, not a parenthesized expression");
    BAD("GPL-2.0-only WITH Classpath-exception-2.0 WITH Classpath-exception-2.0", MS_E_FORMAT,
        "expected AND, OR or end of expression at column 43, found 'WITH'");
    BAD("WITH Classpath-exception-2.0", MS_E_FORMAT, "expected a license id or '(' at column 1, found 'WITH'");
    BAD("GPL-2.0-only WITH Classpath-exception-2.0+", MS_E_FORMAT,
        "'+' at column 42 cannot follow an exception id");
}

static void test_plus(void)
{
    OK("Apache-2.0+", "Apache-2.0+", "");
    OK("apache-2.0+ OR MIT", "Apache-2.0+ OR MIT", "");
    ms_spdx_expr *e = parse("Apache-2.0+");
    CHECK_STR(ms_spdx_root(e)->id, "Apache-2.0");
    CHECK_INT(ms_spdx_root(e)->or_later, 1);
    CHECK_INT(ms_spdx_root(e)->is_ref, 0);
    ms_spdx_free(e);

    /* "GPL-2.0+" is a deprecated entry of the list itself. */
    OK("GPL-2.0+", "GPL-2.0+", "license 'GPL-2.0+' at column 1 is deprecated (SPDX license list 3.27.0)\n");
    OK("lgpl-2.1+", "LGPL-2.1+", "license 'LGPL-2.1+' at column 1 is deprecated (SPDX license list 3.27.0)\n");
    e = parse("GPL-2.0+");
    CHECK_STR(ms_spdx_root(e)->id, "GPL-2.0");
    CHECK_INT(ms_spdx_root(e)->or_later, 1);
    ms_spdx_free(e);
    OK("GPL-2.0", "GPL-2.0", "license 'GPL-2.0' at column 1 is deprecated (SPDX license list 3.27.0)\n");
    OK("MIT OR GPL-3.0 OR GPL-2.0+", "MIT OR GPL-3.0 OR GPL-2.0+",
       "license 'GPL-3.0' at column 8 is deprecated (SPDX license list 3.27.0)\n"
       "license 'GPL-2.0+' at column 19 is deprecated (SPDX license list 3.27.0)\n");
    OK("GPL-2.0-only+", "GPL-2.0-only+", "license 'GPL-2.0-only+' at column 1: '+' (or later) contradicts '-only'\n");

    BAD("LicenseRef-foo+", MS_E_FORMAT,
        "'+' at column 15 cannot follow a LicenseRef (only license ids from the list take '+')");
    BAD("DocumentRef-a:LicenseRef-b+", MS_E_FORMAT,
        "'+' at column 27 cannot follow a LicenseRef (only license ids from the list take '+')");
    BAD("GPL-2.0-only +", MS_E_FORMAT, "'+' at column 14 must directly follow a license id");
    BAD("MIT++", MS_E_FORMAT, "'+' at column 5 must directly follow a license id");
    BAD("+MIT", MS_E_FORMAT, "'+' at column 1 must directly follow a license id");
    BAD("(MIT)+", MS_E_FORMAT, "'+' at column 6 must directly follow a license id");
    BAD("MIT AND+ ISC", MS_E_FORMAT, "'+' at column 8 must directly follow a license id");
}

static void test_refs(void)
{
    OK("LicenseRef-my.license-1", "LicenseRef-my.license-1", "");
    OK("licenseref-My-Model", "LicenseRef-My-Model", "");
    OK("LICENSEREF-llama-2-community", "LicenseRef-Llama-2-Community", "");
    OK("DocumentRef-spdx-tool-1.2:LicenseRef-MIT-Style-2", "DocumentRef-spdx-tool-1.2:LicenseRef-MIT-Style-2", "");
    OK("documentref-x:licenseref-y", "DocumentRef-x:LicenseRef-y", "");
    OK("MIT AND LicenseRef-Gemma-Terms", "MIT AND LicenseRef-Gemma-Terms", "");
    ms_spdx_expr *e = parse("LicenseRef-a OR DocumentRef-b:LicenseRef-c");
    CHECK_INT(ms_spdx_root(e)->left->is_ref, 1);
    CHECK_STR(ms_spdx_root(e)->left->id, "LicenseRef-a");
    CHECK_INT(ms_spdx_root(e)->right->is_ref, 1);
    CHECK_STR(ms_spdx_root(e)->right->id, "DocumentRef-b:LicenseRef-c");
    ms_spdx_free(e);

    BAD("LicenseRef-", MS_E_FORMAT, "expected letters, digits, '.' or '-' after 'LicenseRef-' at column 12");
    BAD("LicenseRef-a:b", MS_E_FORMAT,
        "unexpected ':' at column 13 (only DocumentRef-ID:LicenseRef-ID contains ':')");
    BAD("DocumentRef-x", MS_E_FORMAT,
        "expected ':LicenseRef-...' after 'DocumentRef-x' at column 14 (DocumentRef-ID:LicenseRef-ID)");
    BAD("DocumentRef-x:MIT", MS_E_FORMAT,
        "expected 'LicenseRef-' after ':' at column 15 (DocumentRef-ID:LicenseRef-ID)");
    BAD("DocumentRef-:LicenseRef-x", MS_E_FORMAT,
        "expected letters, digits, '.' or '-' after 'DocumentRef-' at column 13");
    BAD("DocumentRef-x:LicenseRef-", MS_E_FORMAT,
        "expected letters, digits, '.' or '-' after 'LicenseRef-' at column 26");
    BAD("DocumentRef-x:LicenseRef-y:z", MS_E_FORMAT,
        "unexpected ':' at column 27 (DocumentRef-ID:LicenseRef-ID has one ':')");
    BAD("MIT:x", MS_E_FORMAT, "unexpected ':' at column 4 (only DocumentRef-ID:LicenseRef-ID contains ':')");
    BAD(":", MS_E_FORMAT, "unexpected ':' at column 1 (only DocumentRef-ID:LicenseRef-ID contains ':')");
    BAD("LicenseRef-a_b", MS_E_FORMAT,
        "unexpected character '_' at column 13 (ids are letters, digits, '.' and '-')");
    /* Errors are reported left to right: the word before '_' is checked first. */
    BAD("LicenseRef_x", MS_E_FORMAT, "unknown license 'LicenseRef' at column 1");
}

static void test_errors(void)
{
    BAD("", MS_E_FORMAT, "empty license expression");
    BAD(" \t\r\n", MS_E_FORMAT, "empty license expression");
    BAD("Apache2.0", MS_E_FORMAT, "unknown license 'Apache2.0' at column 1 (did you mean 'Apache-2.0'?)");
    BAD("MIT AND Apache2", MS_E_FORMAT, "unknown license 'Apache2' at column 9 (did you mean 'Apache-2.0'?)");
    BAD("apache-2", MS_E_FORMAT, "unknown license 'apache-2' at column 1 (did you mean 'Apache-2.0'?)");
    BAD("MTI", MS_E_FORMAT, "unknown license 'MTI' at column 1 (did you mean 'MIT'?)");
    BAD("GPL-3.0-onyl", MS_E_FORMAT, "unknown license 'GPL-3.0-onyl' at column 1 (did you mean 'GPL-3.0-only'?)");
    /* Ties prefer an id that is not deprecated: 'GPL-2.0' and 'GPL-2.0+' are. */
    BAD("GPL2.0-only", MS_E_FORMAT, "unknown license 'GPL2.0-only' at column 1 (did you mean 'GPL-2.0-only'?)");
    BAD("Proprietary", MS_E_FORMAT, "unknown license 'Proprietary' at column 1");
    BAD("NONE", MS_E_FORMAT,
        "'NONE' at column 1 is not a license: NONE and NOASSERTION stand alone in SPDX documents, not in "
        "expressions");
    BAD("MIT OR noassertion", MS_E_FORMAT,
        "'noassertion' at column 8 is not a license: NONE and NOASSERTION stand alone in SPDX documents, not "
        "in expressions");
    BAD("Jovee", MS_E_FORMAT, "unknown license 'Jovee' at column 1 (did you mean 'jove'?)");
    BAD("GPL3", MS_E_FORMAT, "unknown license 'GPL3' at column 1");
    BAD("Apache", MS_E_FORMAT, "unknown license 'Apache' at column 1");
    BAD("MIT AND", MS_E_FORMAT, "expected a license id or '(' at column 8, found end of expression");
    BAD("AND MIT", MS_E_FORMAT, "expected a license id or '(' at column 1, found 'AND'");
    BAD("MIT or or ISC", MS_E_FORMAT, "expected a license id or '(' at column 8, found 'or'");
    BAD("MIT MIT", MS_E_FORMAT, "expected WITH, AND, OR or end of expression at column 5, found 'MIT'");
    BAD("MIT (ISC)", MS_E_FORMAT, "expected WITH, AND, OR or end of expression at column 5, found '('");
    BAD("(MIT) ISC", MS_E_FORMAT, "expected AND, OR or end of expression at column 7, found 'ISC'");
    BAD("(MIT", MS_E_FORMAT,
        "expected WITH, AND, OR or ')' at column 5, found end of expression (the '(' at column 1 is not closed)");
    BAD("((MIT OR ISC)", MS_E_FORMAT,
        "expected AND, OR or ')' at column 14, found end of expression (the '(' at column 1 is not closed)");
    BAD("MIT)", MS_E_FORMAT, "unmatched ')' at column 4");
    BAD("()", MS_E_FORMAT, "expected a license id or '(' at column 2, found ')'");
    BAD("(", MS_E_FORMAT, "expected a license id or '(' at column 2, found end of expression");
    BAD("MIT / ISC", MS_E_FORMAT, "unexpected character '/' at column 5 (ids are letters, digits, '.' and '-')");
    BAD("MIT,ISC", MS_E_FORMAT, "unexpected character ',' at column 4 (ids are letters, digits, '.' and '-')");
    BAD("MIT\x01", MS_E_FORMAT, "unexpected byte 0x01 at column 4");
    BAD("MIT\x1b[2J", MS_E_FORMAT, "unexpected byte 0x1B at column 4");
    BAD("MIT \xc3\xa9", MS_E_FORMAT, "unexpected byte 0xC3 at column 5");
    BAD("MIT\x7f", MS_E_FORMAT, "unexpected byte 0x7F at column 4");
    BAD("MIT\vISC", MS_E_FORMAT, "unexpected byte 0x0B at column 4");
    /* Long words are quoted up to 64 bytes. */
    char word[101];
    memset(word, 'x', 100);
    word[100] = '\0';
    char expect[200];
    snprintf(expect, sizeof expect, "unknown license '%.64s...' at column 1", word);
    BAD(word, MS_E_FORMAT, expect);
    char in[200];
    snprintf(in, sizeof in, "MIT %s", word);
    snprintf(expect, sizeof expect, "expected WITH, AND, OR or end of expression at column 5, found '%.64s...'",
             word);
    BAD(in, MS_E_FORMAT, expect);

    /* Usage errors; a NULL error record is allowed. */
    ms_spdx_expr *e = NULL;
    ms_error err;
    CHECK_INT(ms_spdx_parse(NULL, &e, &err), MS_E_USAGE);
    CHECK_STR(err.message, "no license expression given");
    CHECK_INT(ms_spdx_parse("MIT", NULL, &err), MS_E_USAGE);
    CHECK_INT(ms_spdx_parse("Apache2.0", &e, NULL), MS_E_FORMAT);
    CHECK(e == NULL);
    CHECK_INT(ms_spdx_parse("MIT", &e, NULL), MS_OK);
    ms_spdx_free(e);
    /* Success clears the record. */
    err.status = MS_E_IO;
    snprintf(err.message, sizeof err.message, "stale");
    CHECK_INT(ms_spdx_parse("MIT", &e, &err), MS_OK);
    CHECK_INT(err.status, MS_OK);
    CHECK_STR(err.message, "");
    ms_spdx_free(e);
    ms_spdx_free(NULL);
    CHECK(ms_spdx_root(NULL) == NULL);
    CHECK(ms_spdx_canonical(NULL) == NULL);
    CHECK_STR(ms_spdx_warnings(NULL), "");
}

static char *repeat(const char *unit, size_t times, const char *tail)
{
    size_t u = strlen(unit), t = strlen(tail);
    char *s = malloc(u * times + t + 1);
    if (s == NULL)
        exit(1);
    for (size_t i = 0; i < times; i++)
        memcpy(s + i * u, unit, u);
    memcpy(s + u * times, tail, t + 1);
    return s;
}

static void test_limits(void)
{
    /* 4096 bytes are accepted, 4097 refused. */
    char *s = malloc(MS_SPDX_MAX_LEN + 2);
    CHECK(s != NULL);
    memcpy(s, "LicenseRef-", 11);
    memset(s + 11, 'a', MS_SPDX_MAX_LEN - 11);
    s[MS_SPDX_MAX_LEN] = '\0';
    ms_spdx_expr *e = NULL;
    ms_error err;
    CHECK_INT(ms_spdx_parse(s, &e, &err), MS_OK);
    CHECK_INT(strlen(ms_spdx_canonical(e)), MS_SPDX_MAX_LEN);
    ms_spdx_free(e);
    s[MS_SPDX_MAX_LEN] = 'a';
    s[MS_SPDX_MAX_LEN + 1] = '\0';
    BAD(s, MS_E_LIMIT, "license expression longer than 4096 bytes");
    free(s);

    /* A 4096-byte chain of 585 operands: built in loops, printed without recursion. */
    s = repeat("MIT OR ", 584, "MIT     "); /* 7 * 584 + 8 = 4096 */
    CHECK_INT(strlen(s), 4096);
    e = NULL;
    CHECK_INT(ms_spdx_parse(s, &e, &err), MS_OK);
    CHECK_INT(strlen(ms_spdx_canonical(e)), 4091);
    ms_spdx_free(e);
    free(s);
    s = repeat("MIT AND ", 511, "(MIT)");
    e = NULL;
    CHECK_INT(ms_spdx_parse(s, &e, &err), MS_OK);
    ms_spdx_free(e);
    free(s);

    char *want;
    /* A canonical form longer than the limit is refused: "(0BSD OR X11)AND" gains two spaces. */
    s = repeat("(0BSD OR X11)AND", 255, "(X11)"); /* 16 * 255 + 5 = 4085 bytes, canonical 4593 */
    BAD(s, MS_E_LIMIT, "the canonical form of this license expression is longer than 4096 bytes");
    free(s);
    s = repeat("(0BSD OR X11)AND", 200, "(X11)"); /* canonical 3603: fine */
    want = repeat("(0BSD OR X11) AND ", 200, "X11");
    OK(s, want, "");
    free(want);
    free(s);

    /* Nesting: 64 levels are accepted, 65 refused. */
    char *open = repeat("(", 64, "MIT");
    char *close = repeat(")", 64, "");
    char *in = malloc(strlen(open) + strlen(close) + 1);
    strcpy(in, open);
    strcat(in, close);
    OK(in, "MIT", "");
    free(open);
    free(close);
    free(in);
    open = repeat("(", 65, "MIT");
    close = repeat(")", 65, "");
    in = malloc(strlen(open) + strlen(close) + 1);
    strcpy(in, open);
    strcat(in, close);
    BAD(in, MS_E_LIMIT, "parentheses nested deeper than 64 at column 65");
    free(open);
    free(close);
    free(in);
    /* Nesting counts depth, not the number of parentheses. */
    s = repeat("(MIT) AND ", 300, "MIT");
    want = repeat("MIT AND ", 300, "MIT");
    OK(s, want, "");
    free(want);
    free(s);
    /* 4096 '(' hit the depth limit, 100,000 the length limit: no crash either way. */
    s = repeat("(", 4096, "");
    BAD(s, MS_E_LIMIT, "parentheses nested deeper than 64 at column 65");
    free(s);
    s = repeat("(", 100000, "");
    BAD(s, MS_E_LIMIT, "license expression longer than 4096 bytes");
    free(s);
    s = repeat(")", 4096, "");
    BAD(s, MS_E_FORMAT, "expected a license id or '(' at column 1, found ')'");
    free(s);
}

static void test_list(void)
{
    CHECK_STR(ms_spdx_list_version(), "3.27.0");
    CHECK_INT(ms_spdx_license_count, 699);
    CHECK_INT(ms_spdx_exception_count, 79);
    /* Sorted by lower-case id, which is the canonical id lower-cased. */
    for (size_t i = 0; i < ms_spdx_license_count; i++) {
        const ms_spdx_license_entry *l = &ms_spdx_licenses[i];
        CHECK_INT(strlen(l->id), strlen(l->lower));
        for (size_t k = 0; l->id[k] != '\0'; k++)
            if (l->lower[k] != (l->id[k] >= 'A' && l->id[k] <= 'Z' ? l->id[k] - 'A' + 'a' : l->id[k]))
                CHECK(!"lower-case id does not match");
        if (i > 0)
            CHECK(strcmp(ms_spdx_licenses[i - 1].lower, l->lower) < 0);
        CHECK(ms_spdx_license_id(l->lower) == l->id);
    }
    for (size_t i = 1; i < ms_spdx_exception_count; i++)
        CHECK(strcmp(ms_spdx_exceptions[i - 1].lower, ms_spdx_exceptions[i].lower) < 0);
    /* The generated letter counts match the ids. */
    for (size_t i = 0; i < ms_spdx_license_count + ms_spdx_exception_count; i++) {
        int lic = i < ms_spdx_license_count;
        size_t k = lic ? i : i - ms_spdx_license_count;
        const char *low = lic ? ms_spdx_licenses[k].lower : ms_spdx_exceptions[k].lower;
        const unsigned char *have = lic ? ms_spdx_license_letters[k] : ms_spdx_exception_letters[k];
        unsigned char want[36] = {0};
        for (const char *c = low; *c != '\0'; c++) {
            if (*c >= 'a' && *c <= 'z')
                want[*c - 'a']++;
            else if (*c >= '0' && *c <= '9')
                want[26 + *c - '0']++;
        }
        CHECK_MEM(have, want, 36);
    }
    CHECK_STR(ms_spdx_licenses[0].id, "0BSD");

    CHECK_STR(ms_spdx_license_id("apache-2.0"), "Apache-2.0");
    CHECK_STR(ms_spdx_license_id("GPL-2.0+"), "GPL-2.0+");
    CHECK(ms_spdx_license_id("Apache2.0") == NULL);
    CHECK(ms_spdx_license_id("") == NULL);
    CHECK(ms_spdx_license_id(NULL) == NULL);
    CHECK(ms_spdx_license_id("Classpath-exception-2.0") == NULL);
    CHECK_STR(ms_spdx_exception_id("classpath-EXCEPTION-2.0"), "Classpath-exception-2.0");
    CHECK_STR(ms_spdx_exception_id("llvm-exception"), "LLVM-exception");
    CHECK(ms_spdx_exception_id("MIT") == NULL);
    CHECK_INT(ms_spdx_license_deprecated("GPL-2.0"), 1);
    CHECK_INT(ms_spdx_license_deprecated("GPL-2.0+"), 1);
    CHECK_INT(ms_spdx_license_deprecated("GPL-2.0-only"), 0);
    CHECK_INT(ms_spdx_license_deprecated("wxWindows"), 1);
    CHECK_INT(ms_spdx_license_deprecated("nope"), 0);
    CHECK_INT(ms_spdx_license_osi("MIT"), 1);
    CHECK_INT(ms_spdx_license_osi("Apache-2.0"), 1);
    CHECK_INT(ms_spdx_license_osi("CC-BY-4.0"), 0);
    CHECK_INT(ms_spdx_license_osi("WTFPL"), 0);
    CHECK_INT(ms_spdx_exception_deprecated("Nokia-Qt-exception-1.1"), 1);
    CHECK_INT(ms_spdx_exception_deprecated("Classpath-exception-2.0"), 0);

    /* The distance used for suggestions, in half edits. */
    CHECK_INT(ms_spdx_edit_distance("apache2.0", 9, "Apache-2.0", 10, 6), 1);
    CHECK_INT(ms_spdx_edit_distance("apache2", 7, "Apache-2.0", 10, 6), 4);
    CHECK_INT(ms_spdx_edit_distance("GPL.2.0", 7, "GPL-2.0", 7, 6), 1);
    CHECK_INT(ms_spdx_edit_distance("MTI", 3, "mit", 3, 6), 2); /* a transposition */
    CHECK_INT(ms_spdx_edit_distance("NONE", 4, "jove", 4, 6), 4);
    CHECK_INT(ms_spdx_edit_distance("abc", 3, "abc", 3, 0), 0);
    CHECK_INT(ms_spdx_edit_distance("abcdef", 6, "ghijkl", 6, 2), 3);
    CHECK_INT(ms_spdx_edit_distance("a", 1, "abcdefgh", 8, 2), 3);
    char big[70];
    memset(big, 'a', sizeof big);
    CHECK_INT(ms_spdx_edit_distance(big, 65, big, 65, 6), 7);
    CHECK_INT(ms_spdx_edit_distance(big, 64, big, 64, 6), 0);
}

int main(void)
{
    test_canonical();
    test_precedence();
    test_with();
    test_plus();
    test_refs();
    test_errors();
    test_limits();
    test_list();
    return check_finish("test_spdx");
}
