/*
 * JSON helpers over cJSON.  This module and the files that build documents
 * are the only users of cJSON.
 *
 * cJSON keeps duplicate object keys silently and parses numbers as doubles;
 * ms_json_parse() rejects duplicates at every depth and numbers with leading
 * zeros, and ms_json_get_u64() accepts only non-negative integers written
 * without fraction or exponent and strictly below 2^53.
 */
#ifndef MS_CORE_JSON_H
#define MS_CORE_JSON_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "modelseal/error.h"

/* Integers must be below this bound to be read exactly through a double. */
#define MS_JSON_MAX_EXACT_INT 9007199254740992ULL

/*
 * Parse len bytes (not NUL-terminated) as one JSON value.  Refuses empty
 * input, trailing bytes, embedded NULs, nesting deeper than 64 and duplicate
 * keys in any object.  `what` names the document in messages.
 */
ms_status ms_json_parse(const char *buf, size_t len, const char *what, cJSON **out,
                        ms_error *err);

/* First duplicate key in any object of the tree, or NULL. */
const char *ms_json_find_duplicate(const cJSON *item);

/* Typed lookups: return MS_E_FORMAT naming `what` and the field when absent or mistyped. */
ms_status ms_json_get_string(const cJSON *obj, const char *key, const char *what,
                             const char **out, ms_error *err);
ms_status ms_json_get_u64(const cJSON *obj, const char *key, const char *what, uint64_t *out,
                          ms_error *err);
ms_status ms_json_get_object(const cJSON *obj, const char *key, const char *what,
                             const cJSON **out, ms_error *err);
ms_status ms_json_get_array(const cJSON *obj, const char *key, const char *what,
                            const cJSON **out, ms_error *err);
/* Exact non-negative integer value of a number item; -1 if it is not one. */
int ms_json_number_u64(const cJSON *item, uint64_t *out);

/* Builders that abort the document on allocation failure by returning NULL. */
cJSON *ms_json_add_u64(cJSON *obj, const char *key, uint64_t v);
cJSON *ms_json_u64(uint64_t v);

/*
 * Serialize compactly (no whitespace), keys in insertion order.  The result
 * is malloc'd; *len excludes the terminating NUL.
 */
char *ms_json_print(const cJSON *item, size_t *len);
/* Serialize for people (cJSON's indented form) with a final newline; malloc'd. */
char *ms_json_print_pretty(const cJSON *item);

#endif
