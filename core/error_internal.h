/* Internal helpers for filling ms_error records. */
#ifndef MS_CORE_ERROR_INTERNAL_H
#define MS_CORE_ERROR_INTERNAL_H

#include "modelseal/error.h"

/*
 * Set err (if non-NULL) to status with a printf-style message and return
 * status, so callers can write `return ms_fail(err, MS_E_FORMAT, "...")`.
 */
ms_status ms_fail(ms_error *err, ms_status status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * Prefix the message already in err with "prefix: " (for adding the file
 * name at an outer level).  Returns err->status.
 */
ms_status ms_fail_prefix(ms_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
