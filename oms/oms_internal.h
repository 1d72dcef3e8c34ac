/*
 * Internal interface between the files of oms/, the OpenSSF Model Signing
 * (OMS) room: the Sigstore bundle (bundle.c), the in-toto statement and its
 * list of files (statement.c), keys (keys.c), paths given by the user
 * (paths.c), walking and hashing a model (walk.c), verification
 * (verify.c), its reports (render.c) and signing (sign.c).  The public
 * API is include/modelseal/oms.h; nothing here is part of it.
 */
#ifndef MODELSEAL_OMS_INTERNAL_H
#define MODELSEAL_OMS_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "core/json.h"
#include "modelseal/oms.h"

/* Longest piece of untrusted text quoted in a message. */
#define MS_OMS_QUOTE_MAX 200

/* ---- util.c ------------------------------------------------------------ */

/* s cut to MS_OMS_QUOTE_MAX bytes ("..." marks a cut), in buf. */
const char *ms_oms_excerpt(const char *s, char buf[MS_OMS_QUOTE_MAX + 4]);

/* A growable list of malloc'd strings; zero-initialized is empty. */
typedef struct ms_oms_strlist {
    char **v;
    size_t n, cap;
} ms_oms_strlist;

/* Append a copy (0, or -1 out of memory). */
int ms_oms_strlist_add_n(ms_oms_strlist *l, const char *s, size_t len);
int ms_oms_strlist_add(ms_oms_strlist *l, const char *s);
int ms_oms_strlist_addf(ms_oms_strlist *l, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int ms_oms_strlist_has(const ms_oms_strlist *l, const char *s);
void ms_oms_strlist_free(ms_oms_strlist *l);
/* Hand over the array (its count in *n) and leave l empty. */
char **ms_oms_strlist_take(ms_oms_strlist *l, size_t *n);

/* Path order of model_signing: component by component, '/' below every byte. */
int ms_oms_path_cmp(const char *a, const char *b);
/* qsort comparators: char * by path order; ms_oms_resource * by name. */
int ms_oms_cmp_name(const void *a, const void *b);
int ms_oms_cmp_resource_ptr(const void *a, const void *b);
/* path is prefix or lies under it. */
int ms_oms_path_under(const char *path, const char *prefix);
/* The entry of ign that covers path, or NULL. */
const char *ms_oms_ignored_by(const ms_oms_strlist *ign, const char *path);
/* 64 hex digits into 32 bytes: 0, or -1. */
int ms_oms_hex64_decode(const char *s, uint8_t out[32]);
/* An OMS key algorithm: ECDSA P-256 or P-384. */
int ms_oms_ecdsa_alg(ms_key_algorithm a);
/* cJSON_AddStringToObject that passes a NULL object through. */
cJSON *ms_oms_json_add_str(cJSON *o, const char *k, const char *v);

/* ---- bundle.c and statement.c: writing --------------------------------- */

/* The bundle JSON (malloc'd; NULL out of memory), key material as `material` says. */
char *ms_oms_bundle_json(const char *payload_b64, const char *sig_b64, const char *pem,
                         size_t pem_len, ms_key_algorithm alg, ms_oms_material material);

/*
 * The statement JSON (malloc'd; NULL out of memory) for n resources, names
 * in path order; the subject digest, computed here, goes to subject_hex.
 */
char *ms_oms_statement_json(const char *name, char **names, uint8_t (*digests)[32], size_t n,
                            const ms_oms_strlist *ign, int allow_symlinks, char subject_hex[65]);

/* ---- keys.c ------------------------------------------------------------ */

/* Where the key lies in a key file image: [*off, *off + *n). */
void ms_oms_key_range(const char *text, size_t len, size_t *off, size_t *n);

/* ---- paths.c ----------------------------------------------------------- */

/*
 * ms_oms_path_in_model() without its last rule: a path outside the model
 * is MS_OK with *rel NULL.  Only for the signature file, which may lie
 * anywhere; every caller tests *rel.
 */
ms_status ms_oms_locate_in_model(const char *model, const char *path, int model_relative,
                                 char **rel, ms_error *err);

/* ---- walk.c ------------------------------------------------------------ */

typedef enum ms_oms_entry_kind {
    MS_OMS_ENTRY_FILE,          /* a regular file */
    MS_OMS_ENTRY_LINK_FILE,     /* a symbolic link to a regular file, allowed */
    MS_OMS_ENTRY_LINK,          /* a symbolic link, not allowed */
    MS_OMS_ENTRY_LINK_OTHER,    /* a symbolic link to a directory, special file or nothing */
    MS_OMS_ENTRY_SPECIAL,       /* a FIFO, socket or device */
} ms_oms_entry_kind;

typedef struct ms_oms_entry {
    char *rel;
    ms_oms_entry_kind kind;
} ms_oms_entry;

typedef struct ms_oms_walk {
    ms_oms_entry *v;
    size_t n, cap;
    ms_oms_strlist ignored; /* ignored paths met */
    const ms_oms_strlist *ign;
    int allow_symlinks;
    const char *root; /* for messages */
} ms_oms_walk;

void ms_oms_walk_free(ms_oms_walk *w);
/* Every entry of a model directory in path order; ignored paths left out and recorded. */
ms_status ms_oms_walk_model(ms_oms_walk *w, const char *model, ms_error *err);
/*
 * SHA-256 of a model file: rel under dirfd (follow: a symbolic link allowed
 * to be followed), or display itself when rel is NULL.  *not_regular is set
 * (and MS_OK returned) when it turns out not to be a regular file.
 */
ms_status ms_oms_hash_entry(int dirfd, const char *rel, const char *display, int follow,
                            uint8_t out[32], int *not_regular, ms_error *err);
/* The ignore list: paths (relative to the model), then the git paths unless no_git. */
ms_status ms_oms_ignores_build(ms_oms_strlist *ign, const char *const *paths, size_t n,
                               int no_git, ms_error *err);

#endif
