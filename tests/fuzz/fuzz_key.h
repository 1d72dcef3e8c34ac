/*
 * The fixed trusted key of the fuzz targets: the public half of
 * tests/fuzz/keys/fuzz.key (a test-only key), which signed the seed bundles
 * and envelopes of the checked-in corpora.  Keep in sync with
 * tests/fuzz/keys/fuzz.pub.
 */
#ifndef MS_FUZZ_KEY_H
#define MS_FUZZ_KEY_H

#include <stdlib.h>
#include <string.h>

#include "modelseal/keys.h"

static const char fuzz_pub_text[] =
    "modelseal-key v1\n"
    "type: public\n"
    "algorithm: ed25519\n"
    "keyid: 263892ddefb4649cdb21ffda951779ff85281844458b4c1d1c17b50feadec512\n"
    "key: zsHTF5SFrIMngly2j8JHhwDr4iZEMJQ2ZiZ4/D8U1MA=\n";

/* Parsed once; kept for the life of the process. */
__attribute__((unused)) static ms_public_key *fuzz_trusted_key(void)
{
    static ms_public_key *pk;
    if (pk == NULL) {
        ms_error err;
        if (ms_public_key_parse(fuzz_pub_text, strlen(fuzz_pub_text), "fuzz.pub", &pk, &err) !=
            MS_OK)
            abort();
    }
    return pk;
}

#endif
