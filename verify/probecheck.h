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
#include "verify/view.h"

typedef struct ms_probe_checker ms_probe_checker;

ms_probe_checker *ms_probe_checker_new(void);
void ms_probe_checker_free(ms_probe_checker *pc);
/* The sink to pass to ms_layout_read_with. */
void ms_probe_checker_sink(ms_probe_checker *pc, ms_blob_sink *sink);
/*
 * After reading: add the "probes" checks, and the "compression" checks that
 * bind the compression report to the weights files (bundle-format.md 8.11),
 * to the report.  Returns 0 when a "compression" check failed.
 */
int ms_probe_checker_report(ms_probe_checker *pc, const ms_view *v, ms_report *r);

#endif
