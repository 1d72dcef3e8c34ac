#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/error_internal.h"
#include "policy/policy.h"
#include "verify/parents.h"
#include "verify/policy_check.h"
#include "verify/report_summary.h"
#include "verify/rollback.h"
#include "verify/view.h"

ms_status ms_verify_view(const char *path, const ms_trust *trust, int64_t at,
                         const char *state_dir, ms_report **report, ms_view **view,
                         ms_error *err)
{
    return ms_verify_view_read(path, MS_LAYOUT_HASH_BLOBS, trust, at, state_dir, report, view,
                               err);
}

ms_status ms_verify_view_read(const char *path, int read_flags, const ms_trust *trust,
                              int64_t at, const char *state_dir, ms_report **report,
                              ms_view **view, ms_error *err)
{
    *report = NULL;
    if (view != NULL)
        *view = NULL;
    ms_report *r = ms_report_new(path);
    if (r == NULL)
        return ms_fail(err, MS_E_NOMEM, "out of memory");
    ms_view *v = NULL;
    ms_status st = ms_view_load(path, read_flags, r, &v, err);
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
    if (trust != NULL)
        ms_view_check_signatures(v, trust, at, r);
    if (state_dir != NULL && (st = ms_rollback_check(v, state_dir, at, 1, r, err)) != MS_OK) {
        ms_report_set_error(r, err != NULL ? err->message : ms_strerror(st));
        *report = r;
        ms_view_free(v);
        return st;
    }
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

/* verify --policy, once every check passed: judge the verified view. */
static ms_status verify_policy(const ms_verify_options *opt, const ms_view *v, int64_t at,
                               ms_report *r, ms_error *err)
{
    ms_policy_results *res = NULL;
    ms_status st = ms_policy_check_view(v, opt->bundle_path, opt->policy, r, at,
                                        opt->state_dir != NULL, opt->parent_path_count > 0,
                                        &res, err);
    if (st != MS_OK) {
        ms_report_set_error(r, err != NULL ? err->message : ms_strerror(st));
        return st;
    }
    ms_report_check(r, "policy", !ms_policy_results_blocking(res),
                    "policy '%s' (%s mode): %zu pass, %zu fail, %zu warn, %zu not evaluated",
                    ms_policy_name(opt->policy), res->audit ? "audit" : "enforce", res->pass,
                    res->fail, res->warn, res->not_evaluated);
    ms_report_set_policy(r, res);
    if (ms_policy_results_blocking(res))
        return ms_fail(err, MS_E_REJECTED, "%s: rejected by policy '%s': %zu rule(s) failed",
                       opt->bundle_path, ms_policy_name(opt->policy), res->fail);
    return MS_OK;
}

ms_status ms_verify(const ms_verify_options *opt, ms_report **report, ms_error *err)
{
    if (opt == NULL || opt->bundle_path == NULL || report == NULL || opt->trust == NULL)
        return ms_fail(err, MS_E_USAGE, "verify needs a bundle path and a trust set");
    int64_t at = opt->at != 0 ? opt->at : (int64_t)time(NULL);
    ms_view *v = NULL;
    /* A policy judging the bundle's size has it counted (and the file hashed)
     * in the same single read; otherwise reading costs what it always did. */
    int flags = MS_LAYOUT_HASH_BLOBS |
                (opt->policy != NULL && ms_policy_needs_bundle_size(opt->policy)
                     ? MS_LAYOUT_HASH_FILE
                     : 0);
    ms_status st = ms_verify_view_read(opt->bundle_path, flags, opt->trust, at, opt->state_dir,
                                       report, &v, err);
    if (st == MS_OK && opt->parent_path_count > 0) {
        st = ms_parents_check(v, opt->parent_paths, opt->parent_path_count, opt->trust, at,
                              *report, err);
        if (st != MS_OK) {
            ms_report_set_error(*report, err != NULL ? err->message : ms_strerror(st));
        } else {
            size_t f = ms_report_failures(*report);
            if (f > 0)
                st = ms_fail(err, MS_E_REJECTED, "%s: rejected: %zu check(s) failed",
                             opt->bundle_path, f);
        }
    }
    const char *why = st == MS_E_REJECTED ? "not run: the bundle failed verification"
                                          : "not run: the bundle could not be checked";
    if (st != MS_OK && v == NULL && opt->parent_path_count > 0 && *report != NULL)
        ms_report_not_run(*report, "parents", why);
    if (opt->policy != NULL && *report != NULL) {
        if (st == MS_OK) {
            st = verify_policy(opt, v, at, *report, err);
        } else {
            ms_report_policy_skipped(*report, why + strlen("not run: "));
            ms_report_not_run(*report, "policy", why);
        }
    }
    /* The structured summary describes verified bundles only. */
    if (st == MS_OK && ms_report_summary_build(v, *report) != MS_OK)
        st = ms_fail(err, MS_E_NOMEM, "out of memory");
    ms_view_free(v);
    return st;
}
