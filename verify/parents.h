/* verify --verify-parents (verify/parents.c). */
#ifndef MS_VERIFY_PARENTS_H
#define MS_VERIFY_PARENTS_H

#include <stddef.h>
#include <stdint.h>

#include "verify/view.h"

/*
 * Verify the parent bundles found among paths (files, and *.mseal files in
 * directories) that child's lineage reaches, with the same trust set and
 * time, recording "parents" checks in r.  Returns MS_OK when the checks
 * could be made (see r for failures); MS_E_IO for a path that cannot be
 * read, MS_E_LIMIT beyond 4096 candidate bundles, MS_E_NOMEM.
 */
ms_status ms_parents_check(const ms_view *child, const char *const *paths, size_t n,
                           const ms_trust *trust, int64_t at, ms_report *r, ms_error *err);

#endif
