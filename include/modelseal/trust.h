/*
 * modelseal: who may sign, in which role, and how many signatures each role
 * needs (docs/trust.md).
 *
 * A trust set is built from files given to `verify --trust`: trust files
 * (JSON, schemas/trust-v1.schema.json) and plain public keys (modelseal .pub
 * or PEM), which are trusted for every role.  Without a trust file the rule
 * is one valid signature by any trusted key.
 */
#ifndef MODELSEAL_TRUST_H
#define MODELSEAL_TRUST_H

#include <stddef.h>
#include <stdint.h>

#include "modelseal/error.h"
#include "modelseal/keys.h"

#ifdef __cplusplus
extern "C" {
#endif

#define MS_TRUST_MAX_KEYS 1024
#define MS_TRUST_MAX_ROLES 64

/* The role of the signature pack makes (over the provenance statement). */
#define MS_ROLE_PACKAGER "packager"

typedef struct ms_trust ms_trust;

/*
 * Load every path: a file whose first non-blank byte is '{' is a trust file,
 * anything else a public key.  At most one trust file.  A key listed twice
 * is refused.  Errors name the file and field.
 */
ms_status ms_trust_load(const char *const *paths, size_t n, ms_trust **out, ms_error *err);
/* An empty trust set, and adding one public key (file text) trusted for every role. */
ms_status ms_trust_new(ms_trust **out, ms_error *err);
ms_status ms_trust_add_public_key(ms_trust *t, const char *text, size_t len, const char *what,
                                  ms_error *err);
void ms_trust_free(ms_trust *t);
size_t ms_trust_key_count(const ms_trust *t);

/* NULL when s is a valid role name (1-64 of [a-z0-9_-]), else why not. */
const char *ms_role_problem(const char *s);

#ifdef __cplusplus
}
#endif
#endif
