/*
 * Re-checking integrity probes while a bundle streams past: for each
 * compressed 2-D weight named in the probes layer, regenerate its inputs X,
 * dequantize the stored tensor, compute X W^T with OpenBLAS and compare with
 * the recorded outputs (docs/compression.md).
 */
#ifndef MS_VERIFY_PROBECHECK_H
#define MS_VERIFY_PROBECHECK_H

#include "core/oci.h"
#include "verify/report.h"

typedef struct ms_probe_checker ms_probe_checker;

ms_probe_checker *ms_probe_checker_new(void);
void ms_probe_checker_free(ms_probe_checker *pc);
/* The sink to pass to ms_layout_read_with. */
void ms_probe_checker_sink(ms_probe_checker *pc, ms_blob_sink *sink);
/* After reading: add the "probes" checks to the report. */
void ms_probe_checker_report(ms_probe_checker *pc, const ms_layout *l, int has_probes_layer,
                             ms_report *r);

#endif
