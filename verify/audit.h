/*
 * audit: the lineage and license picture of a bundle (docs/audit.md).
 *
 * ms_audit_build() turns a checked view into an ms_audit: the model, its
 * signers, its base models and datasets, the license picture computed by
 * policy/propagate.c, and the compression summary.  The renderers turn it
 * into text, the audit JSON report (schemas/audit-v1.schema.json), SPDX 3.0.1
 * JSON-LD, CycloneDX 1.6 JSON, or a Graphviz DOT graph.
 *
 * Every string in an ms_audit belongs to the view or to the audit and lives
 * until ms_audit_free().  Strings come from the bundle: renderers escape
 * them for their output format (JSON via cJSON, DOT quoting, terminal
 * sanitizing for text).
 */
#ifndef MS_VERIFY_AUDIT_H
#define MS_VERIFY_AUDIT_H

#include <stddef.h>
#include <stdint.h>

#include "core/digest.h"
#include "policy/propagate.h"
#include "verify/view.h"

typedef struct ms_audit_base {
    const char *name;
    const char *uri;      /* or NULL */
    const char *digest;   /* the parent's model manifest digest "sha256:<hex>", or NULL */
    const char *license;  /* as recorded (canonical when packed by modelseal), or NULL */
    const char *relation; /* finetune, quantized, merge, adapter, distilled, or NULL */
} ms_audit_base;

typedef struct ms_audit_dataset {
    const char *name;
    const char *uri;     /* or NULL */
    const char *digest;  /* "sha256:<hex>" or NULL */
    const char *license; /* or NULL */
    const char *role;    /* training, evaluation, calibration */
    int has_records;
    uint64_t records;
} ms_audit_dataset;

typedef struct ms_audit_signer {
    const char *keyid;     /* as in the envelope ("" when none) */
    const char *algorithm; /* layer annotation or NULL */
    const char *role;      /* the signed role when checked, else the annotation; or NULL */
    int checked;           /* 1 when signatures were verified against a trust set */
    int valid;             /* checked: a valid signature by a trusted key */
    const char *verdict;   /* checked: "valid", "untrusted-key", ...; else NULL */
} ms_audit_signer;

typedef struct ms_audit {
    const ms_view *view;   /* name, version, manifest digest, files, compression */
    const char *bundle_path;
    char bundle_hex[MS_SHA256_HEX_LEN + 1]; /* SHA-256 of the bundle file ("" when the view
                                             * was read without MS_LAYOUT_HASH_FILE: then
                                             * bundle_size is 0 and nothing may be rendered) */
    uint64_t bundle_size;
    const char *created;    /* the manifest's org.opencontainers.image.created, or NULL */
    char doc_time[32];      /* RFC 3339 UTC time of this audit (SOURCE_DATE_EPOCH or now) */
    const char *tool_version; /* "0.1.0" */
    const char **authors;
    size_t author_count;
    const char *intended_use, *out_of_scope_use, *limitations; /* model card, or NULL */
    ms_audit_base *bases;
    size_t base_count;
    ms_audit_dataset *datasets;
    size_t dataset_count;
    /* Parents in propagation order: bases[0..base_count), then datasets. */
    ms_license_picture *licenses;
    ms_audit_signer *signers;
    size_t signer_count;
    int signatures_checked; /* a trust set was given and the bundle verified */
} ms_audit;

/*
 * Build from a view whose structural checks passed.  r: the verification
 * report when signatures were checked (signers take its verdicts), or NULL.
 * doc_time: Unix seconds for doc_time.  MS_E_NOMEM, or MS_E_FORMAT when the
 * metadata's lineage is malformed (the view's checks normally catch that).
 */
ms_status ms_audit_build(const ms_view *v, const char *bundle_path, const ms_report *r,
                         int64_t doc_time, ms_audit **out, ms_error *err);
void ms_audit_free(ms_audit *a);

/* Renderers: malloc'd text ending in a newline, or NULL when out of memory. */
char *ms_audit_render_text(const ms_audit *a);
char *ms_audit_render_json(const ms_audit *a);
char *ms_audit_render_dot(const ms_audit *a);
char *ms_audit_render_spdx(const ms_audit *a);      /* verify/audit_spdx.c */
char *ms_audit_render_cyclonedx(const ms_audit *a); /* verify/audit_cdx.c */

/* The parent index (into a->licenses) of base model i and of dataset i. */
static inline size_t ms_audit_base_parent(const ms_audit *a, size_t i)
{
    (void)a;
    return i;
}
static inline size_t ms_audit_dataset_parent(const ms_audit *a, size_t i)
{
    return a->base_count + i;
}

#endif
