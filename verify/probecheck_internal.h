/*
 * What the probe checker gathers while a bundle streams past, shared by the
 * streaming re-check (probecheck.c) and the checks made after reading
 * (probebind.c).
 */
#ifndef MS_VERIFY_PROBECHECK_INTERNAL_H
#define MS_VERIFY_PROBECHECK_INTERNAL_H

#include <stdint.h>

#include <cjson/cJSON.h>

#include "core/digest.h"
#include "modelseal/safetensors.h"
#include "verify/probecheck.h"

typedef struct result {
    char *name;
    char blob[MS_SHA256_HEX_LEN + 1]; /* the weights blob the tensor came from */
    double rel;
    int ok;
    char *problem;
} result;

/* A weights blob of a compressed bundle, as it streamed past. */
typedef struct wfile {
    char hex[MS_SHA256_HEX_LEN + 1];
    int header_ok; /* its safetensors header could be read */
    size_t ntensors;
    cJSON *record;     /* the modelseal.compression document, or NULL */
    const cJSON **rec; /* its tensor entries sorted by name (for ms_probe_record) */
    size_t nrec;
    char **problems; /* the header disagrees with the record */
    size_t nproblems;
} wfile;

struct ms_probe_checker {
    int initialized;
    int ready;           /* the model manifest was known when the weights came */
    int compressed;      /* the manifest has a compression report layer */
    char *setup_problem; /* the probes layer could not be used */
    char (*weights)[MS_SHA256_HEX_LEN + 1];
    size_t nweights;
    char probes_hex[MS_SHA256_HEX_LEN + 1];
    ms_safetensors *probes; /* over the retained blob's bytes */
    cJSON *bindings;        /* modelseal.probes.files, or NULL (probes version 1) */
    uint8_t seed[32];
    size_t k;
    result *results;
    size_t nresults;
    wfile *files; /* sorted by hex once reading is done */
    size_t nfiles;
    const ms_view_file **by_path; /* the view's files by filepath, for the checks after reading */
    size_t nby_path;
};

/* The record entry of tensor name in f, or NULL. */
const cJSON *ms_probe_record(const wfile *f, const char *name);
/* o[k] when it is a string, else NULL. */
const char *ms_probe_str(const cJSON *o, const char *k);
/* The recorded outputs NAME@comp of a tensor, or NULL (also when the probes layer is unusable). */
const ms_tensor_info *ms_probe_output(const ms_probe_checker *pc, const char *name);

#endif
