/*
 * modelseal: DSSE envelopes (https://github.com/secure-systems-lab/dsse).
 *
 *   {"payloadType": T, "payload": base64(BODY),
 *    "signatures": [{"keyid": K, "sig": base64(SIG)}, ...]}
 *
 * Signatures are made and checked over
 *   PAE(T, BODY) = "DSSEv1" SP LEN(T) SP T SP LEN(BODY) SP BODY
 * where LEN is the decimal byte length with no leading zeros.  Standard and
 * URL-safe base64, with or without padding, are accepted on input; output
 * uses standard base64 with padding.  Verification uses the payload bytes
 * exactly as decoded from the envelope: nothing is re-serialized first.
 */
#ifndef MODELSEAL_DSSE_H
#define MODELSEAL_DSSE_H

#include <stddef.h>
#include <stdint.h>

#include "modelseal/error.h"
#include "modelseal/keys.h"

#ifdef __cplusplus
extern "C" {
#endif

#define MS_DSSE_MAX_ENVELOPE (16u << 20)
#define MS_DSSE_MAX_SIGNATURES 64
#define MS_INTOTO_PAYLOAD_TYPE "application/vnd.in-toto+json"

/* PAE bytes; *out is malloc'd, caller frees. */
ms_status ms_dsse_pae(const char *type, const uint8_t *body, size_t body_len, uint8_t **out,
                      size_t *out_len, ms_error *err);

typedef struct ms_dsse_signature {
    char *keyid;            /* may be empty */
    uint8_t *sig;
    size_t sig_len;
} ms_dsse_signature;

typedef struct ms_dsse_envelope {
    char *payload_type;
    uint8_t *payload;
    size_t payload_len;
    ms_dsse_signature *signatures;
    size_t signature_count;
} ms_dsse_envelope;

/*
 * Parse an envelope.  Refuses: invalid JSON, duplicate keys, missing or
 * mistyped fields, invalid base64, no signatures, an empty sig, more than
 * MS_DSSE_MAX_SIGNATURES, input over MS_DSSE_MAX_ENVELOPE, and strings
 * containing an escaped NUL (\u0000).  `keyid` is optional (absent: "").
 * Unknown members of the envelope and of signature objects are ignored, as
 * DSSE allows extensions; they are not covered by any signature.
 */
ms_status ms_dsse_parse(const char *json, size_t len, ms_dsse_envelope **out, ms_error *err);
void ms_dsse_free(ms_dsse_envelope *env);

/*
 * Make an envelope with one signature by sk over PAE(type, body).
 * *json is malloc'd compact JSON, fields in the order payloadType, payload,
 * signatures; keyid is the key's id.
 */
ms_status ms_dsse_sign(const char *type, const uint8_t *body, size_t body_len,
                       const ms_secret_key *sk, char **json, size_t *json_len, ms_error *err);

/*
 * Check signature i of env against pk: MS_OK if valid, MS_E_REJECTED if the
 * signature does not verify.  The keyid field is a hint only and is not
 * trusted.
 */
ms_status ms_dsse_verify_signature(const ms_dsse_envelope *env, size_t i,
                                   const ms_public_key *pk, ms_error *err);

/*
 * Base64 helpers used by DSSE and key files.  Output is malloc'd.  Encoding
 * is standard base64 with padding, NUL-terminated; NULL when out of memory.
 */
char *ms_base64_encode(const uint8_t *in, size_t len);
/*
 * Accepts the standard or the URL-safe alphabet (not both in one string),
 * padding optional.  Returns 0, -1 on invalid input (other characters,
 * whitespace, length 1 mod 4, bad padding, non-zero trailing bits) or -2
 * when out of memory.  *out is non-NULL on success, even for empty output.
 */
int ms_base64_decode(const char *in, size_t in_len, uint8_t **out, size_t *out_len);

#ifdef __cplusplus
}
#endif
#endif
