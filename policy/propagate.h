/*
 * License propagation: what a model inherits from the licenses of its base
 * models and datasets, and where that conflicts with the license it
 * declares (docs/licenses.md, "Propagation").
 *
 * Input: the model's declared SPDX expression (or NULL) and its parents,
 * each with an SPDX expression (or NULL) and its relation (base models) or
 * role (datasets).  Output: a "license picture": the declared and concluded
 * licenses, the conditions inherited (one entry per parent and condition),
 * the attributions owed, and findings (conflicts, warnings, notes), each
 * naming the rule (a stable id) and the parent it comes from.
 *
 * Expressions are evaluated by alternatives: an expression is expanded into
 * its OR-alternatives (disjunctive normal form: each alternative a set of
 * licenses that all apply).  A parent's recipient may pick any alternative,
 * so a parent contributes the alternative with the fewest restrictions
 * (lowest restriction score, docs/licenses.md); the model's declared license
 * offers every one of its alternatives to its own recipients, so a rule that
 * needs the declared license to carry a condition checks every alternative.
 * Expansion is bounded (MS_PROPAGATE_MAX_ALTERNATIVES); a larger expansion
 * is treated as an unknown license with a warning, never an error.
 *
 * Malformed expressions (a hostile bundle may carry anything) are findings,
 * not errors: the function fails only on NULL arguments, an invalid kind,
 * too many parents or memory.  Every message is sanitized (core/text.h):
 * names and expressions from the bundle are quoted with control bytes and
 * bidirectional overrides escaped, names cut at 64 bytes and expressions at
 * 200 (then "...").
 */
#ifndef MS_POLICY_PROPAGATE_H
#define MS_POLICY_PROPAGATE_H

#include <stddef.h>

#include "modelseal/error.h"

#define MS_PROPAGATE_MAX_ALTERNATIVES 64
#define MS_PROPAGATE_MAX_PARENTS 4096

typedef enum ms_parent_kind {
    MS_PARENT_BASE_MODEL,
    MS_PARENT_DATASET,
} ms_parent_kind;

typedef struct ms_license_parent {
    ms_parent_kind kind;
    const char *name;     /* for messages; NULL is printed as '' */
    const char *license;  /* SPDX expression as recorded, or NULL when not given */
    /* base models: "finetune", "quantized", "merge", "adapter", "distilled"
     * or NULL; datasets: "training", "evaluation", "calibration" (NULL or
     * anything else is treated as "training", the conservative reading). */
    const char *relation;
} ms_license_parent;

typedef enum ms_finding_severity {
    MS_FINDING_CONFLICT, /* the declared license cannot hold given what is inherited */
    MS_FINDING_WARNING,  /* the picture is incomplete or needs a human */
    MS_FINDING_NOTE,     /* an obligation or fact worth knowing, no problem */
} ms_finding_severity;

#define MS_NO_PARENT ((size_t)-1)

typedef struct ms_license_finding {
    ms_finding_severity severity;
    const char *rule;    /* stable id, e.g. "noncommercial" (docs/licenses.md) */
    size_t parent;       /* index into the parents given, or MS_NO_PARENT (the model itself,
                          * or the summary of incompatible-parents beyond its listing cap) */
    char *message;       /* one sentence naming the parent, license and reason; sanitized */
} ms_license_finding;

/*
 * One condition a propagating parent passes on to the model: one entry per
 * parent, condition and license term of its chosen alternative carrying it,
 * in parent order, then condition order (noncommercial, no-derivatives,
 * sharealike, copyleft, copyleft-network, copyleft-weak, use-restricted),
 * then expression order.
 */
typedef struct ms_license_inherited {
    const char *condition; /* "noncommercial", "sharealike", "copyleft", "copyleft-weak",
                            * "copyleft-network", "use-restricted", "no-derivatives" */
    char *license;         /* the canonical license term carrying it: the id (or LicenseRef-)
                            * with its "+" and "WITH exception" when present */
    size_t parent;
} ms_license_inherited;

/* Credit owed: a propagating parent whose chosen alternative requires attribution. */
typedef struct ms_license_attribution {
    size_t parent;
    char *license; /* canonical text of the parent's chosen alternative */
} ms_license_attribution;

typedef struct ms_license_picture {
    char *declared;        /* canonical declared expression, or NULL (none or malformed) */
    int declared_flags;    /* union of MS_LICENSE_* over all declared alternatives' licenses */
    char *concluded;       /* canonical concluded expression, or NULL for NOASSERTION: NULL
                            * on any conflict; else the declared; else the AND of the
                            * licenses passing on noncommercial, no-derivatives, sharealike,
                            * copyleft or use-restricted; else NULL */
    int inherited_flags;   /* union of MS_LICENSE_* passed on by propagating parents (their
                            * chosen alternatives' flags; parents with an unknown or missing
                            * license pass nothing on) */
    /* per parent (same order and count as given): */
    char **parent_canonical; /* canonical expression, or NULL when absent or malformed */
    char **parent_chosen;    /* canonical text of the chosen alternative, or NULL */
    int *parent_flags;       /* MS_LICENSE_* of the chosen alternative (UNKNOWN if none) */
    int *parent_propagates;  /* 1 when the parent passes its conditions on */
    size_t parent_count;
    ms_license_inherited *inherited;
    size_t inherited_count;
    ms_license_attribution *attributions;
    size_t attribution_count;
    /* Conflicts, then warnings, then notes; within each, findings about the
     * model itself (MS_NO_PARENT) first, then by parent index, then by rule
     * (the order of docs/licenses.md), then in the order found. */
    ms_license_finding *findings;
    size_t finding_count;
    size_t conflict_count, warning_count;
} ms_license_picture;

/*
 * Compute the picture.  declared: the model's expression or NULL; parents:
 * n entries (n may be 0).  MS_E_USAGE for NULL out, (n > 0 and parents
 * NULL) or a kind that is not an ms_parent_kind, MS_E_LIMIT for
 * n > MS_PROPAGATE_MAX_PARENTS, MS_E_NOMEM.  *out is NULL on failure; free
 * the picture with ms_license_picture_free() (NULL is accepted).
 * Deterministic: the same input gives the same picture, byte for byte.
 */
ms_status ms_license_propagate(const char *declared, const ms_license_parent *parents, size_t n,
                               ms_license_picture **out, ms_error *err);
void ms_license_picture_free(ms_license_picture *p);

/* "conflict", "warning", "note". */
const char *ms_finding_severity_name(ms_finding_severity s);

#endif
