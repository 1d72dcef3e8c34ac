/* UTF-8 helpers and message sanitizing. */
#ifndef MS_CORE_TEXT_H
#define MS_CORE_TEXT_H

#include <stddef.h>
#include <stdint.h>

#include "modelseal/error.h"

/* Length of the well-formed UTF-8 sequence at s (n bytes available), 0 if ill-formed. */
size_t ms_utf8_seq_len(const unsigned char *s, size_t n);
/* 1 if the NUL-terminated string is well-formed UTF-8. */
int ms_utf8_valid(const char *s);
/*
 * Rewrite msg (NUL-terminated, cap bytes of room) so it can be shown on a
 * terminal: control bytes, ill-formed UTF-8, C1 controls and bidirectional
 * overrides become \xNN or \uNNNN text.  Names quoted in messages come
 * from untrusted files, and a name like "\u001b[2J" must not reach a
 * terminal as an escape sequence.
 */
void ms_text_sanitize(char *msg, size_t cap);

/*
 * A sanitized copy of s for printing text output built from untrusted
 * documents (JSON output escapes instead).  The copy lives in one of four
 * thread-local buffers, so up to four results may be used at once; long
 * strings are cut at MS_ERROR_MESSAGE_MAX bytes.  NULL gives NULL.
 */
const char *ms_text_clean(const char *s);

/*
 * Levenshtein distance between two names, ASCII letters case folded;
 * (size_t)-1 when either is longer than 64 bytes.
 */
size_t ms_edit_distance(const char *a, const char *b);
/*
 * The known name nearest to an unknown one (for "did you mean" hints), or
 * NULL when none is close: edit distance at most a third of the known name
 * (rounded up), or one name containing the other (3 characters at least),
 * case folded; the smallest distance wins, the first on a tie.
 */
const char *ms_nearest_name(const char *name, const char *const *known, size_t n);

/*
 * A growing string for building text output: append with ms_strbuf_printf;
 * an allocation failure is remembered and later appends do nothing, so a
 * renderer checks once, at the end, with ms_strbuf_take.
 */
typedef struct ms_strbuf {
    char *p;
    size_t len, cap;
    int oom;
} ms_strbuf;

void ms_strbuf_printf(ms_strbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The text (malloc'd, "" when nothing was appended), or NULL after an allocation failure. */
char *ms_strbuf_take(ms_strbuf *b);

#endif
