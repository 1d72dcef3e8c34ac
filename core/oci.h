/*
 * OCI image layout inside a bundle tar: media types, descriptors, and the
 * streaming reader that hashes every blob once.
 */
#ifndef MS_CORE_OCI_H
#define MS_CORE_OCI_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "core/digest.h"
#include "modelseal/error.h"

#define MS_MT_OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define MS_MT_OCI_INDEX "application/vnd.oci.image.index.v1+json"
#define MS_MT_OCI_EMPTY "application/vnd.oci.empty.v1+json"
#define MS_MT_MODEL_MANIFEST "application/vnd.cncf.model.manifest.v1+json"
#define MS_MT_MODEL_CONFIG "application/vnd.cncf.model.config.v1+json"
#define MS_MT_MODEL_WEIGHT "application/vnd.cncf.model.weight.v1.raw"
#define MS_MT_MODEL_WEIGHT_CONFIG "application/vnd.cncf.model.weight.config.v1.raw"
#define MS_MT_MODEL_DOC "application/vnd.cncf.model.doc.v1.raw"
#define MS_MT_MODEL_CODE "application/vnd.cncf.model.code.v1.raw"
#define MS_MT_METADATA "application/vnd.modelseal.metadata.v1+json"
#define MS_MT_SIGNATURE_ARTIFACT "application/vnd.modelseal.signature.v1+json"
#define MS_MT_DSSE "application/vnd.dsse.envelope.v1+json"
#define MS_MT_COMPRESSION_REPORT "application/vnd.modelseal.compression-report.v1+json"
#define MS_MT_PROBES "application/vnd.modelseal.probes.v1.raw"

#define MS_ANN_FILEPATH "org.cncf.model.filepath"
#define MS_ANN_REF_NAME "org.opencontainers.image.ref.name"
#define MS_ANN_VERSION "org.opencontainers.image.version"
#define MS_ANN_TITLE "org.opencontainers.image.title"
#define MS_ANN_CREATED "org.opencontainers.image.created"
#define MS_ANN_FORMAT "dev.modelseal.format.version"
#define MS_ANN_KEYID "dev.modelseal.signature.keyid"
#define MS_ANN_ALGORITHM "dev.modelseal.signature.algorithm"
#define MS_ANN_ROLE "dev.modelseal.signature.role"
#define MS_ANN_SUPERSEDES "dev.modelseal.supersedes"

/* predicateType of the statement `modelseal sign` makes (docs/trust.md). */
#define MS_APPROVAL_PREDICATE "urn:modelseal:predicate:approval:v1"

/* The OCI empty JSON blob "{}" and its digest. */
#define MS_EMPTY_BLOB "{}"
#define MS_EMPTY_DIGEST_HEX "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"

#define MS_OCI_LAYOUT_CONTENT "{\"imageLayoutVersion\":\"1.0.0\"}"

/* Limits on what a reader holds in memory. */
#define MS_OCI_MAX_BLOBS 100000
#define MS_OCI_MAX_DOCUMENT (4u << 20)      /* one JSON document */
#define MS_OCI_MAX_RETAINED (48u << 20)     /* all retained documents together */
#define MS_OCI_MAX_PROBES (16u << 20)       /* the probes layer (kept for verify) */

typedef struct ms_blob {
    char hex[MS_SHA256_HEX_LEN + 1];
    uint64_t size;        /* bytes in the archive entry */
    int hashed;           /* content was hashed */
    int digest_ok;        /* content hashes to hex */
    char actual_hex[MS_SHA256_HEX_LEN + 1];
    uint8_t *data;        /* retained content (size <= MS_OCI_MAX_DOCUMENT), else NULL */
    int referenced;       /* set by the caller while walking descriptors */
    size_t entry_index;   /* position in the archive */
} ms_blob;

typedef struct ms_layout {
    char *oci_layout;     /* content of oci-layout, NUL-terminated, or NULL */
    size_t oci_layout_len;
    char *index;          /* content of index.json, NUL-terminated, or NULL */
    size_t index_len;
    ms_blob *blobs;       /* sorted by hex after reading */
    size_t blob_count;
    char **problems;      /* archive-level problems: odd entries, duplicates */
    size_t problem_count;
    /* With MS_LAYOUT_HASH_FILE: the SHA-256 and size of the whole bundle
     * file, computed in the same pass (else an empty string and 0). */
    char file_hex[MS_SHA256_HEX_LEN + 1];
    uint64_t file_size;
} ms_layout;

/*
 * The entry rule of docs/bundle-format.md §4.2, the one every reader of a
 * bundle archive applies (verify, inspect, audit, unpack, sign): what an
 * archive entry is, by its type and name.  MS_ENTRY_REFUSED fills why (an
 * archive problem naming the entry); the other kinds leave it alone.
 */
typedef enum ms_entry_kind {
    MS_ENTRY_LAYOUT,  /* oci-layout */
    MS_ENTRY_INDEX,   /* index.json */
    MS_ENTRY_BLOB,    /* blobs/sha256/<64 lower-case hex> */
    MS_ENTRY_IGNORED, /* a directory entry for blobs/ or blobs/sha256/ */
    MS_ENTRY_REFUSED, /* anything else: a link, device, sparse file, other name */
} ms_entry_kind;
struct ms_tar_entry;
ms_entry_kind ms_layout_entry_kind(const struct ms_tar_entry *e, char *why, size_t cap);

/*
 * Read a bundle tar.  With hash_all, every blob is hashed (verify); without,
 * only retained documents are (inspect: large blobs are skipped).  Archive
 * trouble that does not stop reading (entries ms_layout_entry_kind refuses,
 * duplicates, anything but zero padding after the end of the archive) goes
 * to problems; a truncated or unreadable archive is MS_E_FORMAT/MS_E_IO.
 */
ms_status ms_layout_read(const char *path, int hash_all, ms_layout **out, ms_error *err);

/*
 * A consumer of blobs that are not kept in memory (model files), fed while
 * they stream past, before their digest is known: it must treat the bytes as
 * untrusted and its result as void if the blob's digest turns out wrong.
 * open() sees the layout read so far (blobs unsorted; use
 * ms_layout_find_unsorted) and returns a state, or NULL to skip the blob.
 */
typedef struct ms_blob_sink {
    void *ctx;
    void *(*open)(void *ctx, const ms_layout *so_far, const char *hex, uint64_t size);
    void (*data)(void *state, const void *buf, size_t len);
    void (*close)(void *state, int complete);
} ms_blob_sink;

/*
 * ms_layout_read_with's hash_all may also carry MS_LAYOUT_HASH_FILE (with
 * MS_LAYOUT_HASH_BLOBS, which is 1): the whole file is hashed as it is read,
 * for callers that name the bundle file by its digest (audit).  verify does
 * not ask for it: every blob is hashed already.
 */
#define MS_LAYOUT_HASH_BLOBS 1
#define MS_LAYOUT_HASH_FILE 2
ms_status ms_layout_read_with(const char *path, int hash_all, const ms_blob_sink *sink,
                              ms_layout **out, ms_error *err);
/* Linear search, valid while reading (before the blobs are sorted). */
const ms_blob *ms_layout_find_unsorted(const ms_layout *l, const char *hex);
void ms_layout_free(ms_layout *l);
ms_blob *ms_layout_find(const ms_layout *l, const char *hex);

typedef struct ms_descriptor {
    const char *media_type;
    const char *artifact_type; /* NULL if absent */
    char hex[MS_SHA256_HEX_LEN + 1];
    uint64_t size;
    const cJSON *annotations;  /* NULL if absent */
} ms_descriptor;

/* Parse an OCI descriptor object; `what` names it in messages. */
ms_status ms_descriptor_parse(const cJSON *obj, const char *what, ms_descriptor *d,
                              ms_error *err);
/* Annotation value or NULL. */
const char *ms_descriptor_annotation(const ms_descriptor *d, const char *key);

/* Build a descriptor object; annotations is consumed (may be NULL). */
cJSON *ms_descriptor_build(const char *media_type, const char *artifact_type, const char *hex,
                           uint64_t size, cJSON *annotations);

#endif
