/*
 * modelseal: OpenSSF Model Signing (OMS) v1.0 signatures made with a key.
 *
 * The format written and read by sigstore/model-transparency (the
 * `model_signing` tool) when it signs with an elliptic-curve key:
 *
 *   a Sigstore bundle (mediaType application/vnd.dev.sigstore.bundle.v0.3+json)
 *   {"mediaType": ..., "verificationMaterial": {"publicKey": ...},
 *    "dsseEnvelope": {"payload": B64, "payloadType": "application/vnd.in-toto+json",
 *                     "signatures": [{"sig": B64, "keyid": ...}]}}
 *
 * whose payload is an in-toto Statement v1 with predicateType
 * https://model_signing/signature/v1.0:
 *
 *   subject:   [{"name": MODEL NAME, "digest": {"sha256": ROOT}}]
 *   predicate: {"serialization": {"method": "files", "hash_type": "sha256",
 *                                 "allow_symlinks": BOOL, "ignore_paths": [...]},
 *               "resources": [{"name": PATH, "algorithm": "sha256", "digest": HEX}, ...]}
 *
 * ROOT is SHA-256 over the raw 32-byte digests of the resources in the order
 * listed.  A model is a directory (one resource per regular file, named by
 * its '/'-separated path inside the directory) or a single file (one
 * resource named ".").  The signature is ECDSA (P-256 with SHA-256, P-384
 * with SHA-384), DER, over the DSSE PAE of the payload.  docs/oms.md has the
 * exact rules.
 *
 * Keyless (Sigstore/Fulcio/Rekor) signatures need online services and are
 * not supported; transparency-log entries and certificates are not checked.
 */
#ifndef MODELSEAL_OMS_H
#define MODELSEAL_OMS_H

#include <stddef.h>
#include <stdint.h>

#include "modelseal/error.h"
#include "modelseal/keys.h"

#ifdef __cplusplus
extern "C" {
#endif

#define MS_OMS_BUNDLE_MEDIA_TYPE "application/vnd.dev.sigstore.bundle.v0.3+json"
#define MS_OMS_STATEMENT_TYPE "https://in-toto.io/Statement/v1"
#define MS_OMS_PREDICATE_TYPE "https://model_signing/signature/v1.0"
#define MS_OMS_PAYLOAD_TYPE "application/vnd.in-toto+json"
/* Largest signature file read. */
#define MS_OMS_MAX_BUNDLE (64u << 20)
/* Deepest directory nesting walked. */
#define MS_OMS_MAX_DEPTH 128

/* ---- parsing ------------------------------------------------------------ */

/* A Sigstore bundle v0.3 holding one DSSE signature (nothing verified yet). */
typedef struct ms_oms_bundle {
    char *payload_type;
    uint8_t *payload;          /* decoded DSSE payload */
    size_t payload_len;
    uint8_t *sig;              /* the one signature, decoded */
    size_t sig_len;
    char *key_pem;             /* verificationMaterial.publicKey.rawBytes, decoded; or NULL */
    size_t key_pem_len;
    char *key_hint;            /* verificationMaterial.publicKey.hint; or NULL */
    char *key_details;         /* verificationMaterial.publicKey.keyDetails; or NULL */
    int has_certificate;       /* verificationMaterial carries a certificate (not checked) */
} ms_oms_bundle;

/*
 * Parse a bundle (len bytes of JSON; `what` names it in messages).
 * MS_E_FORMAT for malformed JSON, missing or mistyped fields; MS_E_UNSUPPORTED
 * for other bundle versions, message signatures and more than one signature.
 */
ms_status ms_oms_bundle_parse(const char *json, size_t len, const char *what, ms_oms_bundle **out,
                              ms_error *err);
void ms_oms_bundle_free(ms_oms_bundle *b);

/*
 * MS_OK if the bundle's signature is valid under pk (ECDSA P-256 or P-384)
 * over PAE(payloadType, payload), MS_E_REJECTED if not.
 */
ms_status ms_oms_bundle_verify(const ms_oms_bundle *b, const ms_public_key *pk, ms_error *err);

typedef struct ms_oms_resource {
    char *name;                /* '/'-separated path in the model, or "." */
    uint8_t digest[32];        /* SHA-256 of the file */
} ms_oms_resource;

/* The in-toto statement of an OMS signature. */
typedef struct ms_oms_statement {
    char *subject_name;        /* informative: the model directory's name */
    uint8_t subject_digest[32];
    uint8_t resources_digest[32]; /* SHA-256 over the resource digests, in order */
    char *method;              /* "files" */
    char *hash_type;           /* "sha256" */
    int allow_symlinks;
    int has_ignore_paths;      /* serialization.ignore_paths present (v1.1.0 signers) */
    char **ignore_paths;       /* relative to the model */
    size_t ignore_count;
    ms_oms_resource *resources; /* in the order listed */
    size_t resource_count;
    int single_file;           /* one resource named ".": the model is one file */
} ms_oms_statement;

/*
 * Parse a statement.  MS_E_FORMAT for malformed or missing fields, unsafe or
 * duplicate resource names; MS_E_UNSUPPORTED for other predicate types,
 * serialization methods (shards) and hash types.  The subject digest is
 * not compared here (see resources_digest).
 */
ms_status ms_oms_statement_parse(const uint8_t *payload, size_t len, const char *what,
                                 ms_oms_statement **out, ms_error *err);
void ms_oms_statement_free(ms_oms_statement *s);

/* ---- keys --------------------------------------------------------------- */

/*
 * Load a public key file for OMS: anything ms_public_key_parse() takes, or
 * a file with text before its PEM "PUBLIC KEY" block (`openssl pkey -text`,
 * `certtool` output).  Only ECDSA P-256 and P-384 keys are accepted
 * (MS_E_UNSUPPORTED otherwise).  *spki receives the key's DER
 * SubjectPublicKeyInfo (malloc'd) when the file holds it in canonical form
 * (it hashes to the key id), else NULL; spki may be NULL if not wanted.
 */
ms_status ms_oms_public_key_load(const char *path, ms_public_key **pk, uint8_t **spki,
                                 size_t *spki_len, ms_error *err);

/* The PEM "PUBLIC KEY" text of a SubjectPublicKeyInfo, 64 columns (malloc'd). */
char *ms_oms_spki_pem(const uint8_t *spki, size_t len, size_t *out_len);

/*
 * Where `path` lies inside `model`, as a '/'-separated relative path
 * (malloc'd) in *rel.  path is taken as given (absolute, or relative to
 * the current directory, "." and ".." resolved, symbolic links of the
 * directories above it too).  When it is not inside model and
 * model_relative is set, a relative path is taken relative to model
 * instead.  A path that still lies outside model (absolute, or leaving it
 * with ".."), names model itself or is empty: MS_E_USAGE, naming it.
 * MS_OK always sets *rel; on failure it is NULL.
 */
ms_status ms_oms_path_in_model(const char *model, const char *path, int model_relative,
                               char **rel, ms_error *err);

/* ---- verification ------------------------------------------------------- */

typedef struct ms_oms_verify_options {
    const char *model_path;        /* a directory, or a file for single-file signatures */
    const char *signature_path;    /* the bundle; ignored in the model when inside it */
    const ms_public_key *key;      /* the trusted key */
    const uint8_t *key_spki;       /* its SubjectPublicKeyInfo, to compare the bundle's hint; may be NULL */
    size_t key_spki_len;
    const char *const *ignore_paths; /* relative to the model (ms_oms_path_in_model) */
    size_t ignore_count;
    int no_git_paths;              /* do not ignore .git, .gitattributes, .github, .gitignore */
} ms_oms_verify_options;

typedef enum ms_oms_file_state {
    MS_OMS_FILE_OK = 0,
    MS_OMS_FILE_CHANGED,   /* in the signature and the model; the content differs */
    MS_OMS_FILE_ADDED,     /* in the model (not ignored) but not in the signature */
    MS_OMS_FILE_REMOVED,   /* in the signature but not in the model (or ignored) */
    MS_OMS_FILE_REFUSED,   /* a symbolic link the signature does not allow, or a special file */
} ms_oms_file_state;

/* "ok", "changed", "added", "removed", "refused". */
const char *ms_oms_file_state_name(ms_oms_file_state s);

typedef struct ms_oms_file {
    char *name;
    ms_oms_file_state state;
    char signed_hex[65];   /* digest in the signature, "" if none */
    char actual_hex[65];   /* digest of the file, "" if not hashed */
    char *detail;          /* why, for removed and refused; or NULL */
} ms_oms_file;

typedef enum ms_oms_key_match {
    MS_OMS_KEY_ABSENT = 0, /* the bundle names no public key */
    MS_OMS_KEY_MATCH,      /* the bundle's key (rawBytes or hint) is the given key */
    MS_OMS_KEY_MISMATCH,   /* it names another key (trust comes from --key only) */
    MS_OMS_KEY_UNCHECKED,  /* it names a key that could not be compared */
} ms_oms_key_match;

typedef struct ms_oms_result {
    ms_status status;      /* MS_OK, MS_E_REJECTED, or why it could not be checked */
    char message[MS_ERROR_MESSAGE_MAX]; /* the summary (or the error) */
    char *model_path;
    char *signature_path;
    char key_id[MS_KEYID_HEX_LEN + 1];
    const char *key_algorithm;
    int signature_checked; /* the signature was checked ... */
    int signature_valid;   /* ... and is valid */
    ms_oms_key_match key_match;
    ms_oms_statement *statement; /* NULL until the signature verified and parsed */
    int subject_ok;        /* the subject digest matches the resources */
    char subject_hex[65];
    ms_oms_file *files;    /* every file, signed or found, in path order */
    size_t file_count;
    size_t mismatch_count; /* files not ok */
    char **ignored;        /* paths left out of the model, as found */
    size_t ignored_count;
    char **warnings;
    size_t warning_count;
} ms_oms_result;

/*
 * Verify a model against an OMS signature: the signature under o->key, the
 * subject digest against the resources, then every file.  Returns MS_OK,
 * MS_E_REJECTED (bad signature, inconsistent subject, any file changed,
 * added, removed or refused), or the reason it could not check.  *out (free
 * with ms_oms_result_free) is set whenever memory allows, failures included,
 * and lists every finding.
 */
ms_status ms_oms_verify(const ms_oms_verify_options *o, ms_oms_result **out, ms_error *err);
void ms_oms_result_free(ms_oms_result *r);

/* The result as text (for a terminal) or JSON (docs/oms.md); malloc'd, NULL if out of memory. */
char *ms_oms_result_render(const ms_oms_result *r, int json);

/* ---- signing ------------------------------------------------------------ */

/*
 * How the bundle's verificationMaterial names the key.  Both verify with
 * model_signing 1.0.x and 1.1 and with ms_oms_verify().
 */
typedef enum ms_oms_material {
    /* model_signing 1.1: {"publicKey": {"hint": HEX}, "tlogEntries": []},
     * HEX the SHA-256 of the key's PEM; signature keyid "". */
    MS_OMS_MATERIAL_1_1 = 0,
    /* model_signing 1.0.x: {"publicKey": {"rawBytes": B64 OF THE PEM,
     * "keyDetails": ...}}; signature keyid null.  1.1 verifiers accept it
     * with a warning asking to re-sign. */
    MS_OMS_MATERIAL_1_0,
} ms_oms_material;

typedef struct ms_oms_sign_options {
    const char *model_path;        /* a directory or a single file */
    const char *output_path;       /* the bundle to write (replaced if it exists) */
    const ms_secret_key *key;      /* ECDSA P-256 or P-384 */
    const uint8_t *key_spki;       /* the key's SubjectPublicKeyInfo (hint or rawBytes) */
    size_t key_spki_len;
    const char *const *ignore_paths; /* relative to the model */
    size_t ignore_count;
    int no_git_paths;              /* do not ignore .git, .gitattributes, .github, .gitignore */
    int allow_symlinks;            /* hash symbolic links to files as their targets */
    ms_oms_material material;      /* the key's layout; 0 (1.1) by default */
} ms_oms_sign_options;

typedef struct ms_oms_sign_info {
    size_t file_count;
    char subject_name[256];
    char subject_hex[65];
} ms_oms_sign_info;

/* Hash the model, sign the statement and write the bundle. info may be NULL. */
ms_status ms_oms_sign(const ms_oms_sign_options *o, ms_oms_sign_info *info, ms_error *err);

#ifdef __cplusplus
}
#endif
#endif
