/*
 * modelseal: bundles.  Packing, verifying, inspecting and unpacking.
 *
 * A bundle (format version 1) is a tar of an OCI image layout holding a CNCF
 * ModelPack model manifest and a signature manifest whose subject is the
 * model manifest; docs/bundle-format.md is the normative specification.
 */
#ifndef MODELSEAL_BUNDLE_H
#define MODELSEAL_BUNDLE_H

#include <stddef.h>
#include <stdint.h>

#include "modelseal/error.h"
#include "modelseal/keys.h"
#include "modelseal/progress.h"
#include "modelseal/trust.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * The newest bundle format version this library implements; it reads every
 * version of major 1.  A bundle records the lowest version that defines all
 * it holds: "1" without compression, "1.1" with compression layers
 * (docs/bundle-format.md section 14).
 */
#define MS_BUNDLE_FORMAT_VERSION "1.1"
#define MS_BUNDLE_FORMAT_MAJOR 1
#define MS_BUNDLE_FORMAT_MINOR 1
/* The version of a bundle packed without compression. */
#define MS_BUNDLE_FORMAT_VERSION_PLAIN "1"

/* Parse an RFC 3339 time into Unix seconds: 0, or -1 if malformed. */
int ms_time_parse(const char *text, int64_t *out);

/* The library version, "MAJOR.MINOR.PATCH". */
const char *ms_version(void);

/*
 * NULL when s is a valid semantic version (semver.org 2.0.0: MAJOR.MINOR.PATCH
 * without leading zeros, optional -prerelease and +build), else a static
 * sentence saying why not.
 */
const char *ms_semver_problem(const char *s);
/* Compare two valid semantic versions by precedence: <0, 0, >0. */
int ms_semver_compare(const char *a, const char *b);
/*
 * NULL when s is a valid model name: 1-128 characters from [a-z0-9._-],
 * starting with a letter or digit; else a static sentence saying why not.
 */
const char *ms_name_problem(const char *s);

typedef struct ms_pack_options {
    const char *model_path;    /* a .safetensors file or a model directory */
    const char *output_path;   /* the bundle to write (replaced atomically) */
    const ms_secret_key *key;  /* signs the statement */
    const char *name;          /* required, see ms_name_problem() */
    const char *version;       /* required semantic version */
    const char *license;       /* optional license expression */
    const char *description;   /* optional */
    const char *quantize;      /* scheme for 2-D weights, NULL or "none" for none */
    const char *prune;         /* "none", "magnitude:S", "2:4", or NULL */
    const char *recipe_path;   /* JSON recipe instead of quantize/prune, or NULL */
    int no_probes;             /* leave integrity probes out */
    size_t probe_rows;         /* 0: the default (4) */
    int threads;               /* compression threads; 0: all cores */
    const char *supersedes;    /* "sha256:<hex>" manifest digest this release replaces */
    const char *builder_id;    /* NULL: MS_DEFAULT_BUILDER_ID */
    int64_t source_date_epoch; /* < 0: not set; build times are then left out */
    /*
     * A spec file, modelseal.json (docs/spec-file.md), or NULL.  It gives
     * what name, version, license, description and quantize/prune/recipe
     * leave NULL, plus authors, a model card summary, base models and
     * datasets, recorded in the metadata and the signed provenance.
     */
    const char *spec_path;
    /*
     * A directory holding the model directory that its symbolic links may
     * lead into (a Hugging Face cache, whose snapshots link to ../../blobs),
     * or NULL: links must stay inside the model directory.
     */
    const char *follow_links_under;
    ms_progress_fn progress;       /* NULL: no progress calls (modelseal/progress.h) */
    void *progress_user;           /* handed to progress */
} ms_pack_options;

#define MS_DEFAULT_BUILDER_ID "urn:modelseal:builder:modelseal-cli"
#define MS_BUILD_TYPE "urn:modelseal:build-type:pack:v1"

typedef struct ms_pack_result {
    char manifest_digest[72]; /* "sha256:<hex>" of the model manifest */
    size_t file_count;        /* model files packed */
    uint64_t model_bytes;     /* their total size as packed */
    int compressed;           /* a compression step ran */
    char *report_text;        /* compression table (malloc'd, caller frees), or NULL */
    char name[129];           /* the name and version packed (from the options or the spec) */
    char version[257];
    char *warnings;           /* lines ending in '\n' (malloc'd, caller frees), or NULL:
                                 model card front matter problems, deprecated license ids */
    char *links;              /* "LINK -> TARGET\n" for each symbolic link followed, relative to
                                 the directory links may lead into (malloc'd, caller frees), or
                                 NULL when none was */
} ms_pack_result;

ms_status ms_pack(const ms_pack_options *opt, ms_pack_result *res, ms_error *err);

typedef struct ms_sign_options {
    const char *bundle_path;
    const char *output_path;   /* NULL: replace the bundle (atomically) */
    const ms_secret_key *key;
    const char *role;          /* e.g. "approver" (see ms_role_problem) */
    int64_t source_date_epoch; /* < 0: no time recorded */
    ms_progress_fn progress;   /* NULL: no progress calls (modelseal/progress.h) */
    void *progress_user;       /* handed to progress */
} ms_sign_options;

/*
 * Co-sign: add a signature over an approval statement (role, model manifest,
 * provenance digest) as one more envelope of the signature manifest.  The
 * model manifest digest does not change; the output is deterministic.  A
 * bundle that fails its own checks (digests, manifests, statement subjects)
 * is refused (MS_E_REJECTED), as is a second signature by the same key in the
 * same role (MS_E_EXISTS).
 */
ms_status ms_sign(const ms_sign_options *opt, ms_error *err);

/*
 * A verification report: every check made, passed or failed, and a verdict
 * for every signature.  Rendered as text for people or as JSON (report
 * version 2, fields in docs/cli.md).
 */
typedef struct ms_report ms_report;

void ms_report_free(ms_report *r);
/* Number of failed checks. */
size_t ms_report_failures(const ms_report *r);
/* malloc'd rendering; json != 0 for the JSON report.  NULL on allocation failure. */
char *ms_report_render(const ms_report *r, int json);
/* The exit status the JSON report carries (exitStatus); by default derived
 * from its status: 0 verified, 1 rejected, 3 error. */
void ms_report_set_exit_status(ms_report *r, int status);
/*
 * A JSON report (same members) for a run that failed before any bundle was
 * read: usage errors, an unusable trust file or policy.  status "error",
 * the given exit status and message; bundle may be NULL.  malloc'd.
 */
char *ms_report_error_json(const char *bundle, int exit_status, const char *message);

typedef struct ms_verify_options {
    const char *bundle_path;
    const ms_trust *trust;     /* who may sign (modelseal/trust.h) */
    int64_t at;                /* verification time, Unix seconds; 0: now, unless at_set */
    int at_set;                /* 1: at is the time even when it is 0 (the epoch) */
    const char *state_dir;     /* rollback state (NULL: none) */
    /* --verify-parents: bundle files and directories of *.mseal files holding
     * the parents named by the lineage (NULL/0: parents are not checked) */
    const char *const *parent_paths;
    size_t parent_path_count;
    ms_progress_fn progress;       /* NULL: no progress calls (modelseal/progress.h) */
    void *progress_user;           /* handed to progress */
    /* --policy (modelseal/policy.h): evaluated once every check passed; a
     * failed rule in enforce mode makes ms_verify return MS_E_REJECTED */
    const struct ms_policy *policy;
} ms_verify_options;

/*
 * Verify a bundle.  Returns MS_OK when every check passed, MS_E_REJECTED
 * when one or more failed (all are listed in *report), or another status
 * when the bundle could not be checked (unreadable, truncated, unsupported
 * format version); *report is then still set when anything was learned.
 * The bundle is read once, streaming; memory stays bounded whatever its size.
 */
ms_status ms_verify(const ms_verify_options *opt, ms_report **report, ms_error *err);

/*
 * Describe a bundle without any trust decision: name, version, files, metadata,
 * signatures (key ids, algorithms).  *out is malloc'd text or JSON.
 */
ms_status ms_inspect(const char *bundle_path, int json, char **out, ms_error *err);

typedef struct ms_unpack_options {
    const char *bundle_path;
    const char *output_dir;        /* created if missing */
    const ms_trust *trust;
    int64_t at;                    /* verification time; 0: now, unless at_set */
    int at_set;                    /* 1: at is the time even when it is 0 (the epoch) */
    int force;                     /* replace existing files */
    ms_progress_fn progress;       /* NULL: no progress calls (modelseal/progress.h) */
    void *progress_user;           /* handed to progress */
} ms_unpack_options;

/*
 * Verify, then write each model file at its filepath under output_dir.
 * Paths that are absolute, contain '..', or would pass through a symbolic
 * link already present under output_dir are refused (MS_E_UNSAFE_PATH);
 * existing files are refused (MS_E_EXISTS) unless force.  Blob bytes are
 * re-hashed while written and each file is renamed into place only when its
 * digest matches the verified one.  *report receives the verification report.
 */
ms_status ms_unpack(const ms_unpack_options *opt, ms_report **report, ms_error *err);

typedef enum ms_audit_format {
    MS_AUDIT_TEXT,      /* for people */
    MS_AUDIT_JSON,      /* schemas/audit-v1.schema.json */
    MS_AUDIT_SPDX,      /* SPDX 3.0.1 JSON-LD */
    MS_AUDIT_CYCLONEDX, /* CycloneDX 1.6 JSON */
    MS_AUDIT_DOT,       /* Graphviz DOT lineage graph */
} ms_audit_format;

typedef struct ms_audit_options {
    const char *bundle_path;
    ms_audit_format format;
    const ms_trust *trust;   /* NULL: signatures are listed, not verified */
    int64_t at;              /* verification time, Unix seconds; 0: now, unless at_set */
    int at_set;              /* 1: at is the time even when it is 0 (the epoch) */
    int64_t doc_time;        /* creation time written into the output; < 0: now */
    ms_progress_fn progress;       /* NULL: no progress calls (modelseal/progress.h) */
    void *progress_user;           /* handed to progress */
    /* --policy (text and json formats): the policy's verdicts are added beside
     * the license picture; they do not change the status */
    const struct ms_policy *policy;
} ms_audit_options;

/*
 * Audit a bundle (docs/audit.md): its lineage, signers, license picture
 * (declared, inherited, concluded, conflicts) and compression summary, in
 * the chosen format.  The bundle's structure and every digest are checked
 * first, and with a trust set it is fully verified; a bundle that fails is
 * not audited: MS_E_REJECTED with the failures in *report.  License
 * conflicts are findings of the audit, not failures: *out lists them and
 * the status is MS_OK.  *out is malloc'd.
 */
ms_status ms_audit_bundle(const ms_audit_options *opt, char **out, ms_report **report,
                          ms_error *err);

#ifdef __cplusplus
}
#endif
#endif
