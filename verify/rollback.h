/* Rollback protection with a state directory (docs/trust.md). */
#ifndef MS_VERIFY_ROLLBACK_H
#define MS_VERIFY_ROLLBACK_H

#include "verify/view.h"

/*
 * Compare the bundle with the state kept for its model name and record a
 * "rollback" check (and "supersedes" when the bundle names a predecessor).
 * With commit and no failed check in r, record the bundle as accepted.
 * A corrupt state file is MS_E_FORMAT; I/O trouble MS_E_IO.
 */
ms_status ms_rollback_check(const ms_view *v, const char *dir, int64_t at, int commit,
                            ms_report *r, ms_error *err);

#endif
