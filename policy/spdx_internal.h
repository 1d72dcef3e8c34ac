/*
 * Internal tables of policy/: the compiled-in SPDX license list
 * (policy/spdx_data.c, generated from policy/data/ by
 * policy/gen_spdx_tables.py) and the Hugging Face mapping table, exposed
 * for the unit tests.
 */
#ifndef MS_POLICY_SPDX_INTERNAL_H
#define MS_POLICY_SPDX_INTERNAL_H

#include <stddef.h>

typedef struct ms_spdx_license_entry {
    const char *id;    /* canonical */
    const char *lower; /* the id in lower case: the sort and search key */
    unsigned char deprecated;
    unsigned char osi;
} ms_spdx_license_entry;

typedef struct ms_spdx_exception_entry {
    const char *id;
    const char *lower;
    unsigned char deprecated;
} ms_spdx_exception_entry;

/* Sorted by `lower` (strcmp order). */
extern const ms_spdx_license_entry *const ms_spdx_licenses;
extern const size_t ms_spdx_license_count;
extern const ms_spdx_exception_entry *const ms_spdx_exceptions;
extern const size_t ms_spdx_exception_count;
extern const char ms_spdx_version[];
/* Counts of a-z, then 0-9, in each lower-case id, parallel to the tables above. */
extern const unsigned char (*const ms_spdx_license_letters)[36];
extern const unsigned char (*const ms_spdx_exception_letters)[36];

/* Binary search, case-insensitive; NULL when absent (also for NULL or overlong keys). */
const ms_spdx_license_entry *ms_spdx_find_license(const char *id, size_t len);
const ms_spdx_exception_entry *ms_spdx_find_exception(const char *id, size_t len);

/* The Hugging Face table: hub id -> expression, or NULL for ids known to be ambiguous. */
typedef struct ms_spdx_hf_entry {
    const char *hf;
    const char *spdx;
} ms_spdx_hf_entry;

const ms_spdx_hf_entry *ms_spdx_hf_table(size_t *count);

/*
 * Case-insensitive optimal-string-alignment distance between a[0..na) and
 * b[0..nb) in half edits: inserting or deleting '-' or '.', or changing one
 * into the other, costs 1; any other insertion, deletion, substitution or
 * transposition of neighbours costs 2.  Returns limit + 1 as soon as the
 * distance must exceed limit, and for lengths above 64.
 */
unsigned ms_spdx_edit_distance(const char *a, size_t na, const char *b, size_t nb, unsigned limit);

#endif
