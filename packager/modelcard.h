/*
 * Hugging Face model card front matter: the YAML block between a first line
 * "---" and the next "---" (or "...") line of a model directory's README.md.
 *
 * Only a small subset of YAML is read, by a bounded line parser: top-level
 * "key: value" lines whose value is a plain scalar, a quoted scalar ("..."
 * with \\ \" \/ \n \t escapes, or '...' with '' for a quote) or an inline
 * list [a, "b"]; and block lists ("key:" then "- value" lines).  Of the
 * keys, only license, license_name, datasets, base_model and
 * base_model_relation are kept; everything else (other keys and whatever is
 * nested under them) is skipped.  A line the parser cannot read is skipped
 * with a warning naming its line number; nothing in a card is ever an error.
 * At most MS_CARD_MAX_BYTES of the file are read.
 */
#ifndef MS_PACKAGER_MODELCARD_H
#define MS_PACKAGER_MODELCARD_H

#include <stddef.h>

#include "modelseal/error.h"
#include "packager/spec.h"

#define MS_CARD_MAX_BYTES 65536 /* of README.md read for the front matter */
#define MS_CARD_MAX_LINES 4096
#define MS_CARD_MAX_LIST 256    /* entries kept per list */
#define MS_CARD_MAX_VALUE 1024  /* bytes of one value */

typedef struct ms_card_meta {
    int found;                     /* a closed front matter block was read */
    char *license, *license_name;  /* as written, or NULL */
    size_t license_line;
    char **datasets;
    size_t dataset_count;
    char **base_models;
    size_t base_model_count;
    char *base_model_relation;     /* as written, or NULL */
    size_t relation_line;
    char *warnings;                /* "WHAT: line N: ..." lines, or NULL */
} ms_card_meta;

/*
 * Parse the start of a README (len bytes, any content).  `what` prefixes
 * warnings.  Fails only for lack of memory; *out is always set on MS_OK.
 */
ms_status ms_card_parse(const char *text, size_t len, const char *what, ms_card_meta **out,
                        ms_error *err);
/*
 * The front matter of DIR/README.md: *out NULL when the file does not exist;
 * a read error gives a warning.  The file is opened as the model walk opens
 * it (links only beneath DIR, or beneath links_root when not NULL; regular
 * files only), and refused like there.
 */
ms_status ms_card_load(const char *model_dir, const char *links_root, ms_card_meta **out,
                       ms_error *err);
void ms_card_free(ms_card_meta *m);

/*
 * Fill what the spec leaves unsaid from the card: the license (mapped with
 * ms_spdx_from_hf(), then canonicalized), and, when the spec has no
 * baseModels (datasets) field, the card's base models (datasets) by their
 * Hugging Face ids, with https://huggingface.co/ URIs.  The card's warnings
 * and any mapping problems are appended to spec->warnings.
 */
ms_status ms_card_merge(ms_spec *spec, const ms_card_meta *card, const char *what,
                        ms_error *err);

/*
 * After ms_card_merge: warn (in spec->warnings) when the card declares a
 * license that differs from the one the spec or --license recorded.
 */
ms_status ms_card_check_license(ms_spec *spec, const ms_card_meta *card, const char *what,
                                ms_error *err);

#endif
