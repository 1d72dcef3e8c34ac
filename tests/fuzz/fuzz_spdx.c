/*
 * libFuzzer target for SPDX license expressions (policy/spdx.c) and the
 * Hugging Face mapping (policy/spdx_models.c).  The input, up to its first
 * NUL byte, is parsed with ms_spdx_parse().
 *
 * Refused: the status is MS_E_FORMAT or MS_E_LIMIT with a non-empty
 * message free of control bytes, and *out is NULL.  Accepted: the canonical
 * text is at most MS_SPDX_MAX_LEN bytes of printable ASCII and re-parses to
 * itself; the tree is well formed (list ids in canonical case, references
 * with their prefixes, "+" only on list ids, WITH only on a license with a
 * listed exception); warnings are printable lines.  The input lower-cased
 * gives the same status and, ignoring case, the same canonical text or
 * message (ids and operators are case-insensitive).  The input as the
 * license_name of a hub "other" license maps to NULL or to an expression
 * that parses to itself.  Seeds named valid-* must be accepted.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fuzz_common.h"
#include "policy/spdx.h"

static void check_printable(const char *s, int newlines)
{
    for (const unsigned char *c = (const unsigned char *)s; *c != '\0'; c++)
        if ((*c < 0x20 && !(newlines && *c == '\n')) || *c >= 0x7f)
            abort();
}

static int has_prefix(const char *s, const char *p)
{
    return strncmp(s, p, strlen(p)) == 0;
}

/* Walks the tree with an explicit stack (chains make deep trees). */
static void check_tree(const ms_spdx_node *root)
{
    size_t cap = 64, top = 0;
    const ms_spdx_node **stack = malloc(cap * sizeof *stack);
    if (stack == NULL)
        abort();
    stack[top++] = root;
    while (top > 0) {
        const ms_spdx_node *n = stack[--top];
        if (n == NULL)
            abort();
        switch (n->kind) {
        case MS_SPDX_LICENSE:
            if (n->id == NULL || n->left != NULL || n->right != NULL || n->exception != NULL)
                abort();
            if (n->is_ref) {
                if (n->or_later)
                    abort();
                if (!has_prefix(n->id, "LicenseRef-") &&
                    !(has_prefix(n->id, "DocumentRef-") && strstr(n->id, ":LicenseRef-") != NULL))
                    abort();
            } else if (ms_spdx_license_id(n->id) != n->id) {
                abort(); /* a list id, as the list spells it */
            }
            continue;
        case MS_SPDX_WITH:
            if (n->left == NULL || n->left->kind != MS_SPDX_LICENSE || n->right != NULL ||
                n->exception == NULL || ms_spdx_exception_id(n->exception) != n->exception)
                abort();
            break;
        case MS_SPDX_AND:
        case MS_SPDX_OR:
            if (n->left == NULL || n->right == NULL || n->id != NULL || n->exception != NULL)
                abort();
            break;
        default:
            abort();
        }
        if (top + 2 > cap) {
            cap *= 2;
            const ms_spdx_node **grown = realloc(stack, cap * sizeof *stack);
            if (grown == NULL)
                abort();
            stack = grown;
        }
        stack[top++] = n->left;
        if (n->right != NULL)
            stack[top++] = n->right;
    }
    free(stack);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_cstr(data, size);
    ms_spdx_expr *e = (ms_spdx_expr *)&e;
    ms_error err;
    ms_status st = ms_spdx_parse(text, &e, &err);
    fuzz_check_error(st, &err);

    char *low = strdup(text);
    if (low == NULL)
        abort();
    for (char *c = low; *c != '\0'; c++)
        if (*c >= 'A' && *c <= 'Z')
            *c = (char)(*c - 'A' + 'a');
    ms_spdx_expr *le = NULL;
    ms_error lerr;
    ms_status lst = ms_spdx_parse(low, &le, &lerr);
    if (lst != st)
        abort();

    if (st != MS_OK) {
        if ((st != MS_E_FORMAT && st != MS_E_LIMIT) || e != NULL || le != NULL)
            abort();
        if (strcasecmp(err.message, lerr.message) != 0)
            abort();
        if (fuzz_input_is_valid_seed())
            abort();
    } else {
        const char *c = ms_spdx_canonical(e);
        if (c == NULL || c[0] == '\0' || strlen(c) > MS_SPDX_MAX_LEN)
            abort();
        check_printable(c, 0);
        check_printable(ms_spdx_warnings(e), 1);
        check_tree(ms_spdx_root(e));
        if (strcasecmp(c, ms_spdx_canonical(le)) != 0)
            abort();
        /* The canonical text is a fixed point. */
        ms_spdx_expr *again = NULL;
        ms_error aerr;
        if (ms_spdx_parse(c, &again, &aerr) != MS_OK || strcmp(ms_spdx_canonical(again), c) != 0)
            abort();
        ms_spdx_free(again);
    }
    ms_spdx_free(e);
    ms_spdx_free(le);
    free(low);

    /* The same bytes as a hub license name, and as a license to classify. */
    const char *mapped = ms_spdx_from_hf("other", text);
    if (mapped != NULL) {
        ms_spdx_expr *m = NULL;
        ms_error merr;
        if (ms_spdx_parse(mapped, &m, &merr) != MS_OK || strcmp(ms_spdx_canonical(m), mapped) != 0)
            abort();
        ms_spdx_free(m);
    }
    int flags = ms_spdx_license_flags(text);
    const char *reason = ms_spdx_license_flags_reason(text);
    if (reason == NULL || reason[0] == '\0' || ((flags & MS_LICENSE_UNKNOWN) && flags != MS_LICENSE_UNKNOWN))
        abort();
    free(text);
    return 0;
}
