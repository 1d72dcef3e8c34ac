/*
 * The JSON documents of a bundle (specified in docs/bundle-format.md).  Each
 * builder returns a new cJSON tree (NULL on allocation failure); fields are
 * added in a fixed order so the serialized bytes are deterministic.
 */
#ifndef MS_PACKAGER_DOCUMENTS_H
#define MS_PACKAGER_DOCUMENTS_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "core/digest.h"
#include "modelseal/bundle.h"
#include "modelseal/model.h"
#include "packager/spec.h"

/* externalParameters.probes when probes are recorded. */
#define MS_PROBES_PARAM "chacha20-box-muller-v1"

/* A serialized document and its digest. */
typedef struct ms_doc {
    char *bytes;
    size_t len;
    char hex[MS_SHA256_HEX_LEN + 1];
} ms_doc;

typedef struct ms_pack_facts {
    const ms_pack_options *opt;
    const ms_model *model;
    size_t file_count;
    uint64_t param_count;
    const char **src_hexes;    /* digests of the source files (resolvedDependencies) */
    const char *recipe_json;   /* canonical recipe when compressing, else NULL */
    const char *report_hex;    /* compression report digest, or NULL */
    const char *probes_hex;    /* probes layer digest, or NULL */
    const ms_spec *spec;       /* lineage from the spec file and the model card, or NULL */
} ms_pack_facts;

/* The format version the bundle records: the lowest that defines all it holds (section 14). */
const char *ms_doc_format_version(const ms_pack_facts *f);
cJSON *ms_doc_metadata(const ms_pack_facts *f);
/* ModelPack config; layers is borrowed (its digests become modelfs.diffIds). */
cJSON *ms_doc_config(const ms_pack_facts *f, const cJSON *layers);
/* Model manifest; takes ownership of layers. */
cJSON *ms_doc_manifest(const ms_pack_facts *f, const ms_doc *config, cJSON *layers);
/* in-toto Statement v1 with an SLSA Provenance v1 predicate. */
cJSON *ms_doc_statement(const ms_pack_facts *f, const ms_doc *manifest, const char **paths,
                        const char **hexes);
cJSON *ms_doc_signature_manifest(const ms_doc *manifest, const ms_doc *envelope,
                                 const char *keyid, const char *algorithm);
cJSON *ms_doc_index(const char *version, const ms_doc *manifest, const ms_doc *sigmanifest);

#endif
