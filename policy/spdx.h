/*
 * SPDX license expressions (SPDX specification, annex "SPDX License
 * Expressions"), validated against the SPDX license list 3.27.0 compiled in.
 *
 * Grammar: compound := simple | simple WITH exception | compound AND compound
 *          | compound OR compound | "(" compound ")"; simple := id ["+"]
 *          | LicenseRef-x | DocumentRef-y:LicenseRef-x.
 * Precedence, tightest first: "+", WITH, AND, OR.  Operators are
 * case-insensitive on input ("and" is accepted) and upper case on output;
 * license ids match case-insensitively and are printed in their canonical
 * case.
 */
#ifndef MS_POLICY_SPDX_H
#define MS_POLICY_SPDX_H

#include <stddef.h>

#include "modelseal/error.h"

#define MS_SPDX_MAX_LEN 4096    /* bytes of an expression */
#define MS_SPDX_MAX_DEPTH 64    /* parentheses nesting */

typedef enum ms_spdx_kind {
    MS_SPDX_LICENSE,  /* an id from the list, or a LicenseRef- (ref != 0) */
    MS_SPDX_WITH,     /* left = license, exception = exception id */
    MS_SPDX_AND,
    MS_SPDX_OR,
} ms_spdx_kind;

typedef struct ms_spdx_node {
    ms_spdx_kind kind;
    const char *id;          /* canonical license id or LicenseRef-/DocumentRef- text */
    int or_later;            /* the "+" suffix */
    int is_ref;              /* LicenseRef- or DocumentRef- */
    const char *exception;   /* canonical exception id (WITH) */
    struct ms_spdx_node *left, *right;
} ms_spdx_node;

typedef struct ms_spdx_expr ms_spdx_expr;

/*
 * Parse and validate.  Errors (MS_E_FORMAT) name the position and problem;
 * an unknown id suggests the nearest known one ("unknown license 'Apache2.0'
 * at column 1 (did you mean 'Apache-2.0'?)").  Deprecated ids are accepted
 * and listed as warnings (ms_spdx_warnings).  Longer than MS_SPDX_MAX_LEN
 * bytes (or with a canonical form that would be), or parentheses nested
 * deeper than MS_SPDX_MAX_DEPTH: MS_E_LIMIT.  NULL text or out: MS_E_USAGE.
 * Every message is listed in docs/licenses.md.
 */
ms_status ms_spdx_parse(const char *text, ms_spdx_expr **out, ms_error *err);
void ms_spdx_free(ms_spdx_expr *e);
const ms_spdx_node *ms_spdx_root(const ms_spdx_expr *e);
/* Canonical text: canonical ids, upper-case operators, parentheses only where needed. */
const char *ms_spdx_canonical(const ms_spdx_expr *e);
/* Warnings (deprecated ids), one per line, or "" when none. */
const char *ms_spdx_warnings(const ms_spdx_expr *e);

/* Lookups in the compiled-in lists (NULL when unknown): the canonical id. */
const char *ms_spdx_license_id(const char *id_any_case);
const char *ms_spdx_exception_id(const char *id_any_case);
/* 1 when the license list marks the id deprecated; 1 when OSI-approved. */
int ms_spdx_license_deprecated(const char *canonical_id);
int ms_spdx_license_osi(const char *canonical_id);
int ms_spdx_exception_deprecated(const char *canonical_id);
/* The compiled-in list's version, "3.27.0". */
const char *ms_spdx_list_version(void);

/*
 * Hugging Face hub license ids ("apache-2.0", "llama2", "other" with
 * license_name, ...) to an SPDX expression or a documented LicenseRef-
 * (docs/licenses.md); NULL when unknown.
 *
 * The hub id matches case-insensitively.  Mapped ids give static strings;
 * "other" with a license_name: a name that is itself a hub or SPDX id maps
 * like one; any other gives "LicenseRef-" and the name sanitized to
 * [A-Za-z0-9.-] (every run of bytes other than letters, digits and '.'
 * becomes one '-', '-' at either end is dropped; at most 128 bytes, else
 * NULL), in a thread-local buffer that stays valid until the next call from
 * the same thread (a built-in LicenseRef- is returned in its static form).
 */
const char *ms_spdx_from_hf(const char *hf_license, const char *license_name);

/*
 * License classification for license propagation (docs/licenses.md, "Flags").
 * Bits of ms_spdx_license_flags(); 0 means "known, no conditions beyond the
 * warranty disclaimer" (CC0-1.0, Unlicense, 0BSD, ...).
 */
#define MS_LICENSE_NONCOMMERCIAL 0x001    /* no commercial use (CC-*-NC-*, ...) */
#define MS_LICENSE_SHAREALIKE 0x002       /* adaptations under the same license (CC-*-SA-*, ODbL) */
#define MS_LICENSE_COPYLEFT 0x004         /* source/derivative copyleft: GPL, AGPL, LGPL, MPL, EPL, ... */
#define MS_LICENSE_COPYLEFT_WEAK 0x008    /* with COPYLEFT: file- or library-level (LGPL, MPL, EPL, ...) */
#define MS_LICENSE_COPYLEFT_NETWORK 0x010 /* with COPYLEFT: triggered by network use (AGPL, SSPL, OSL-3.0) */
#define MS_LICENSE_ATTRIBUTION 0x020      /* copies must keep a notice or credit (CC-BY*, Apache-2.0, MIT, BSD-*, ...) */
#define MS_LICENSE_USE_RESTRICTED 0x040   /* restricts fields of use (OpenRAIL, Llama, Gemma, ...) */
#define MS_LICENSE_NO_DERIVATIVES 0x080   /* no adapted versions may be shared (CC-*-ND-*) */
#define MS_LICENSE_UNKNOWN 0x100          /* not classified: review by hand */

/*
 * Flags of one license: a canonical SPDX id (any case is accepted; a final
 * "+" is ignored), a LicenseRef- from the built-in table, or anything else
 * (MS_LICENSE_UNKNOWN: unknown ids, other LicenseRef-/DocumentRef- ids,
 * NULL).  Exceptions (WITH) are not classified here.
 */
int ms_spdx_license_flags(const char *canonical_id_or_ref);
/*
 * The name of one flag bit as reports print it ("noncommercial",
 * "sharealike", "copyleft", "copyleft-weak", "copyleft-network",
 * "attribution", "use-restricted", "no-derivatives", "unknown"), or NULL for
 * anything but a single MS_LICENSE_* bit.
 */
const char *ms_spdx_license_flag_name(int flag);
/* Why: the rule of docs/licenses.md that gave the flags (a static sentence). */
const char *ms_spdx_license_flags_reason(const char *canonical_id_or_ref);

/*
 * Built-in LicenseRef- ids for model licenses that have no SPDX id
 * (docs/licenses.md, "Model licenses").  Any LicenseRef- is valid in an
 * expression; these are the ones modelseal knows the name, text and nature
 * of.
 */
typedef struct ms_spdx_ref_info {
    const char *id;     /* "LicenseRef-Llama-3-Community" */
    const char *name;   /* "Meta Llama 3 Community License Agreement" */
    const char *url;    /* where the text is published */
    int flags;          /* MS_LICENSE_* */
    const char *nature; /* one sentence: what it restricts */
} ms_spdx_ref_info;

/* The entry for a LicenseRef- id (case-insensitive), or NULL. */
const ms_spdx_ref_info *ms_spdx_ref_lookup(const char *ref);
/* The whole table, sorted by id; *count gets its length. */
const ms_spdx_ref_info *ms_spdx_ref_table(size_t *count);

#endif
