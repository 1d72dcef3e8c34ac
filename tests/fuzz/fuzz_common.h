/*
 * Shared checks for the libFuzzer targets.  Every target aborts when a
 * promise of the library is broken, so libFuzzer (or the corpus replay in
 * the normal test run) reports it like a crash.
 */
#ifndef MS_FUZZ_COMMON_H
#define MS_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "modelseal/error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * The replay driver (replay.c) names the input being run here; under
 * libFuzzer the symbol is absent and its address is NULL.  Seeds whose name
 * starts with "valid-" carry an expectation (see each target).
 */
extern const char *fuzz_replay_input_name __attribute__((weak));

static inline const char *fuzz_input_name(void)
{
    return &fuzz_replay_input_name != NULL ? fuzz_replay_input_name : NULL;
}

static inline int fuzz_input_is_valid_seed(void)
{
    const char *n = fuzz_input_name();
    return n != NULL && strncmp(n, "valid-", 6) == 0;
}

/* Messages are sanitized (core/text.c): no C0 control byte, no DEL. */
static inline void fuzz_check_text(const char *s)
{
    for (const unsigned char *c = (const unsigned char *)s; *c != '\0'; c++)
        if (*c < 0x20 || *c == 0x7f)
            abort();
}

/* A failed call leaves a non-empty, sanitized message of the same status. */
static inline void fuzz_check_error(ms_status st, const ms_error *err)
{
    if (memchr(err->message, '\0', sizeof err->message) == NULL)
        abort();
    fuzz_check_text(err->message);
    if (st != MS_OK && (err->status != st || err->message[0] == '\0'))
        abort();
}

/* A NUL-terminated heap copy of the input (cut at its first NUL byte). */
static inline char *fuzz_cstr(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (s == NULL)
        abort();
    if (size > 0)
        memcpy(s, data, size);
    s[size] = '\0';
    return s;
}

#endif
