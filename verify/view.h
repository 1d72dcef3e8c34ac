/*
 * A bundle as read for verify, inspect and unpack: the layout, its parsed
 * documents, and the structural checks made while walking it.
 */
#ifndef MS_VERIFY_VIEW_H
#define MS_VERIFY_VIEW_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "core/oci.h"
#include "modelseal/dsse.h"
#include "modelseal/trust.h"
#include "verify/report.h"

typedef struct ms_view_file {
    const char *filepath;   /* org.cncf.model.filepath */
    const char *media_type;
    char hex[MS_SHA256_HEX_LEN + 1];
    uint64_t size;
} ms_view_file;

typedef struct ms_view_envelope {
    char hex[MS_SHA256_HEX_LEN + 1];
    const char *keyid_hint; /* layer annotation, may be NULL */
    const char *algorithm;  /* layer annotation, may be NULL */
    const char *role;       /* layer annotation (a hint; the signed role is in the payload) */
    ms_dsse_envelope *env;  /* NULL when it could not be parsed */
} ms_view_envelope;

typedef struct ms_view {
    ms_layout *layout;
    cJSON *index, *manifest, *config, *metadata, *sigmanifest;
    char manifest_hex[MS_SHA256_HEX_LEN + 1];
    uint64_t manifest_size;
    const char *ref_name, *name, *version, *format_version, *license, *description;
    ms_view_file *files;
    size_t file_count;
    ms_view_envelope *envelopes;
    size_t envelope_count;
    int unsupported;        /* unknown format major version, or a newer minor's layer */
    int newer_minor;        /* format 1.N with N above what this reader implements */
    cJSON *compression;     /* the compression report layer, or NULL */
    const char *supersedes; /* "sha256:..." this release replaces, or NULL */
    int has_probes_layer;
} ms_view;

/*
 * Read the bundle and check its structure, recording every check in r.
 * Returns MS_OK when the archive could be read (check r for failures), or
 * the error that stopped reading.
 */
ms_status ms_view_load(const char *path, int hash_all, ms_report *r, ms_view **out,
                       ms_error *err);
void ms_view_free(ms_view *v);

/*
 * Check signatures against trusted keys and, for each envelope with a valid
 * trusted signature, its statement against the view.
 */
void ms_view_check_signatures(const ms_view *v, const ms_trust *trust, int64_t at,
                              ms_report *r);

/* The provenance envelope (the first whose statement is SLSA provenance) and its
 * payload digest, or NULL.  The payload is not authenticated by this. */
const ms_view_envelope *ms_view_provenance(const ms_view *v, char hex[MS_SHA256_HEX_LEN + 1]);
/* Check a statement's subjects against the bundle (records checks in r); 1 if all hold. */
int ms_view_check_statement(const ms_view *v, const ms_dsse_envelope *env, ms_report *r);

/*
 * Load and fully verify a bundle: structure, digests, signatures, statement.
 * On MS_OK and view != NULL, *view holds the verified view (caller frees).
 * trust NULL checks everything but the signatures (audit without --trust);
 * ms_verify() itself never passes NULL.
 */
ms_status ms_verify_view(const char *path, const ms_trust *trust, int64_t at,
                         const char *state_dir, ms_report **report, ms_view **view,
                         ms_error *err);
/* The same, reading with MS_LAYOUT_* flags (MS_LAYOUT_HASH_BLOBS at least). */
ms_status ms_verify_view_read(const char *path, int read_flags, const ms_trust *trust,
                              int64_t at, const char *state_dir, ms_report **report,
                              ms_view **view, ms_error *err);

#endif
