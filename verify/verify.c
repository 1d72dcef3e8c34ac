#include <stdio.h>
#include <string.h>

#include "core/error_internal.h"
#include "verify/view.h"

ms_status ms_verify_view(const char *path, ms_public_key *const *trusted, size_t n,
                         ms_report **report, ms_view **view, ms_error *err)
{
    *report = NULL;
    if (view != NULL)
        *view = NULL;
    ms_report *r = ms_report_new(path);
    if (r == NULL)
        return ms_fail(err, MS_E_NOMEM, "out of memory");
    ms_view *v = NULL;
    ms_status st = ms_view_load(path, 1, r, &v, err);
    if (st != MS_OK) {
        ms_report_set_error(r, err != NULL ? err->message : ms_strerror(st));
        *report = r;
        return st;
    }
    if (v->unsupported) {
        *report = r;
        ms_fail(err, MS_E_UNSUPPORTED,
                "%s: unsupported bundle format version '%s' (this modelseal reads version %s)",
                path, v->format_version, MS_BUNDLE_FORMAT_VERSION);
        ms_report_set_error(r, err != NULL ? err->message : "unsupported format version");
        ms_view_free(v);
        return MS_E_UNSUPPORTED;
    }
    ms_view_check_signatures(v, trusted, n, r);
    *report = r;
    size_t f = ms_report_failures(r);
    if (f > 0) {
        ms_view_free(v);
        return ms_fail(err, MS_E_REJECTED, "%s: rejected: %zu check(s) failed", path, f);
    }
    if (view != NULL)
        *view = v;
    else
        ms_view_free(v);
    return MS_OK;
}

ms_status ms_verify(const ms_verify_options *opt, ms_report **report, ms_error *err)
{
    if (opt == NULL || opt->bundle_path == NULL || report == NULL)
        return ms_fail(err, MS_E_USAGE, "verify needs a bundle path");
    return ms_verify_view(opt->bundle_path, opt->trusted, opt->trusted_count, report, NULL, err);
}
