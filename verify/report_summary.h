/* The structured "summary" of a verified bundle in the JSON report (version 2). */
#ifndef MS_VERIFY_REPORT_SUMMARY_H
#define MS_VERIFY_REPORT_SUMMARY_H

#include "verify/view.h"

/* Attach the summary of the verified view v to r; MS_E_NOMEM only. */
ms_status ms_report_summary_build(const ms_view *v, ms_report *r);

#endif
