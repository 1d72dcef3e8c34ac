/* The trust set's insides, for signature evaluation. */
#ifndef MS_VERIFY_TRUST_INTERNAL_H
#define MS_VERIFY_TRUST_INTERNAL_H

#include <stdint.h>

#include "modelseal/trust.h"

typedef struct ms_trust_key {
    ms_public_key *pk;
    char **roles;          /* NULL: every role */
    size_t nroles;
    int64_t not_before;    /* INT64_MIN when absent */
    int64_t not_after;     /* INT64_MAX when absent */
    int revoked;
    int64_t revoked_at;    /* INT64_MIN: revoked with no time (always) */
    char *revoked_reason;
} ms_trust_key;

typedef struct ms_trust_threshold {
    char *role;
    uint64_t required;
} ms_trust_threshold;

struct ms_trust {
    ms_trust_key *keys;
    size_t nkeys;
    ms_trust_threshold *thresholds;
    size_t nthresholds;
    int has_file;
};

const ms_trust_key *ms_trust_find(const ms_trust *t, const char *keyid);
int ms_trust_key_has_role(const ms_trust_key *k, const char *role);
/*
 * Why key k does not count at time `at` (verdict word into *verdict:
 * "not-yet-valid", "expired", "revoked"; detail into buf), or NULL when it counts.
 */
const char *ms_trust_key_problem(const ms_trust_key *k, int64_t at, const char **verdict,
                                 char *buf, size_t len);

#endif
