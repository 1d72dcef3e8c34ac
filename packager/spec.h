/*
 * The spec file, modelseal.json (schemas/spec-v1.schema.json,
 * docs/spec-file.md): what a model is, who made it, and what it was made
 * from.  pack records it in the metadata layer and the signed provenance.
 *
 * Parsing is strict: every unknown field is refused, naming its path and the
 * nearest known field; every error names the field it is about.  Local
 * paths in the spec (datasets[].path, baseModels[].bundle) are relative to
 * the directory of the spec file and are resolved while parsing: a
 * dataset's path is hashed, a parent bundle's model manifest digest read.
 * Neither path is recorded anywhere.
 */
#ifndef MS_PACKAGER_SPEC_H
#define MS_PACKAGER_SPEC_H

#include <stddef.h>
#include <stdint.h>

#include "core/digest.h"
#include "modelseal/error.h"

#define MS_SPEC_MAX_BYTES (1u << 20) /* of a spec file */
#define MS_SPEC_MAX_ENTRIES 1024     /* authors, baseModels, datasets: each */
#define MS_SPEC_MAX_TEXT 65536       /* bytes of one text field */

typedef struct ms_spec_base_model {
    char *name;
    char *uri;                        /* NULL when not given */
    char hex[MS_SHA256_HEX_LEN + 1];  /* model manifest digest, "" when unknown */
    char *license;                    /* canonical SPDX expression, or NULL */
    char *relation;                   /* finetune|quantized|merge|adapter|distilled, or NULL */
} ms_spec_base_model;

typedef struct ms_spec_dataset {
    char *name;
    char *uri;                        /* NULL when not given */
    char hex[MS_SHA256_HEX_LEN + 1];  /* "" when unknown */
    char *license;                    /* canonical SPDX expression, or NULL */
    char *role;                       /* training|evaluation|calibration */
    uint64_t records;
    int has_records;
} ms_spec_dataset;

typedef struct ms_spec {
    char hex[MS_SHA256_HEX_LEN + 1]; /* of the spec file's bytes, "" when there is none */
    char *name, *version, *description, *license; /* NULL when absent */
    char **authors;
    size_t author_count;
    char *intended_use, *out_of_scope_use, *limitations; /* card; NULL when absent */
    ms_spec_base_model *base_models;
    size_t base_model_count;
    int has_base_models;             /* "baseModels" was given (possibly empty) */
    ms_spec_dataset *datasets;
    size_t dataset_count;
    int has_datasets;                /* "datasets" was given (possibly empty) */
    char *recipe_json;               /* the "recipe" object as JSON text, or NULL */
    char *warnings;                  /* lines ending in '\n' (deprecated license ids), or NULL */
} ms_spec;

/*
 * Parse a spec document of len bytes.  `what` names it in messages
 * ("modelseal.json: datasets[0]: unknown field 'lisence' (did you mean
 * 'license'?)"); base_dir is the directory relative paths start from.
 * Errors are MS_E_USAGE, MS_E_FORMAT for malformed JSON, MS_E_UNSUPPORTED
 * for a specVersion other than 1, MS_E_LIMIT past a limit, and what
 * reading a dataset or a bundle returned.
 */
ms_status ms_spec_parse(const char *json, size_t len, const char *what, const char *base_dir,
                        ms_spec **out, ms_error *err);
/* Read and parse the file at path (relative paths start from its directory). */
ms_status ms_spec_load(const char *path, ms_spec **out, ms_error *err);
void ms_spec_free(ms_spec *s);

/*
 * The digest of a dataset path: a regular file's SHA-256; for a directory,
 * the SHA-256 of the lines "<sha256 hex>  <relative path>\n" of every
 * regular file beneath it (dot-files included, '/' separators, sorted by
 * path bytewise).  Symbolic links and special files inside a directory, and
 * names holding a newline, are refused (MS_E_UNSUPPORTED).  `what` prefixes
 * messages.
 */
ms_status ms_dataset_digest(const char *path, const char *what,
                            char hex[MS_SHA256_HEX_LEN + 1], ms_error *err);

/* The model manifest digest (hex) of a modelseal bundle, after its structural checks. */
ms_status ms_bundle_manifest_hex(const char *path, const char *what,
                                 char hex[MS_SHA256_HEX_LEN + 1], ms_error *err);

/* Append a line (a '\n' is added) to a malloc'd text; 0, or -1 on allocation failure. */
int ms_text_append_line(char **text, const char *line);

/*
 * Set the spec's license from text given elsewhere (pack --license), parsed
 * and canonicalized exactly as a spec file's license: an invalid expression
 * is MS_E_USAGE "WHAT: unknown license 'Apache' at column 1 (did you mean
 * 'Apache-2.0'?)"; deprecated ids add warnings.
 */
ms_status ms_spec_set_license(ms_spec *spec, const char *text, const char *what, ms_error *err);

#endif
