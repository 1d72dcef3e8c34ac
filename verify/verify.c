/*
 * verify: every check, in the order of docs/bundle-format.md §11.2.  The
 * checks that need only the bundle come first (structure, digests, probes,
 * signatures), then the parents when asked for, then the policy, and the
 * rollback check last of all: it records the release in the state only when no check before it
 * failed, so a rejected bundle never changes what a later verify accepts.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/error_internal.h"
#include "core/progress.h"
#include "policy/policy.h"
#include "verify/parents.h"
#include "verify/policy_check.h"
#include "verify/report_summary.h"
#include "verify/rollback.h"
#include "verify/view.h"

static ms_status could_not_check(ms_report *r, ms_status st, const ms_error *err)
{
    ms_report_set_error(r, err != NULL ? err->message : ms_strerror(st));
    return st;
}

/* The checks of the bundle itself.  On MS_OK *out holds the view, whether or
 * not checks failed; otherwise the report says why it could not check. */
static ms_status check_bundle(const char *path, int read_flags, const ms_trust *trust,
                              int64_t at, ms_report *r, ms_view **out, ms_error *err)
{
    *out = NULL;
    ms_view *v = NULL;
    ms_status st = ms_view_load(path, read_flags, r, &v, err);
    if (st != MS_OK)
        return could_not_check(r, st, err);
    if (v->unsupported) {
        ms_fail(err, MS_E_UNSUPPORTED,
                "%s: unsupported bundle format version '%s' (this modelseal reads major "
                "version 1, up to %s)",
                path, v->format_version, MS_BUNDLE_FORMAT_VERSION);
        ms_view_free(v);
        return could_not_check(r, MS_E_UNSUPPORTED, err);
    }
    if (trust != NULL)
        ms_view_check_signatures(v, trust, at, r);
    *out = v;
    return MS_OK;
}

/* The last step: rollback (which commits only if nothing failed), then the verdict. */
static ms_status finish(const char *path, const ms_view *v, const char *state_dir, int64_t at,
                        ms_report *r, ms_error *err)
{
    ms_status st;
    if (state_dir != NULL && (st = ms_rollback_check(v, state_dir, at, 1, r, err)) != MS_OK)
        return could_not_check(r, st, err);
    size_t f = ms_report_failures(r);
    if (f > 0)
        return ms_fail(err, MS_E_REJECTED, "%s: rejected: %zu check(s) failed", path, f);
    return MS_OK;
}

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
    *report = r;
    ms_view *v = NULL;
    ms_status st = check_bundle(path, read_flags, trust, at, r, &v, err);
    if (st == MS_OK)
        st = finish(path, v, state_dir, at, r, err);
    if (st == MS_OK && view != NULL)
        *view = v;
    else
        ms_view_free(v);
    return st;
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

static ms_status verify(const ms_verify_options *opt, ms_report **report, ms_error *err)
{
    if (opt == NULL || opt->bundle_path == NULL || report == NULL || opt->trust == NULL)
        return ms_fail(err, MS_E_USAGE, "verify needs a bundle path and a trust set");
    *report = NULL;
    int64_t at = opt->at != 0 || opt->at_set ? opt->at : (int64_t)time(NULL);
    ms_report *r = ms_report_new(opt->bundle_path);
    if (r == NULL)
        return ms_fail(err, MS_E_NOMEM, "out of memory");
    *report = r;
    ms_view *v = NULL;
    /* A policy judging the bundle's size has it counted (and the file hashed)
     * in the same single read; otherwise reading costs what it always did. */
    int flags = MS_LAYOUT_HASH_BLOBS |
                (opt->policy != NULL && ms_policy_needs_bundle_size(opt->policy)
                     ? MS_LAYOUT_HASH_FILE
                     : 0);
    ms_status st = check_bundle(opt->bundle_path, flags, opt->trust, at, r, &v, err);
    /* Parents and the policy judge only a bundle that holds up itself. */
    const char *why = st != MS_OK ? "not run: the bundle could not be checked"
                                  : "not run: the bundle failed verification";
    if (opt->parent_path_count > 0) {
        if (st == MS_OK && ms_report_failures(r) == 0) {
            if ((st = ms_parents_check(v, opt->parent_paths, opt->parent_path_count, opt->trust,
                                       at, r, err)) != MS_OK)
                could_not_check(r, st, err);
        } else {
            ms_report_not_run(r, "parents", why);
        }
    }
    if (opt->policy != NULL) {
        if (st == MS_OK && ms_report_failures(r) == 0) {
            /* A failed rule is a failed check: rollback below then commits nothing. */
            ms_status ps = verify_policy(opt, v, at, r, err);
            if (ps != MS_OK && ps != MS_E_REJECTED)
                st = ps;
        } else {
            why = st != MS_OK ? "not run: the bundle could not be checked"
                              : "not run: the bundle failed verification";
            ms_report_policy_skipped(r, why + strlen("not run: "));
            ms_report_not_run(r, "policy", why);
        }
    }
    if (st == MS_OK)
        st = finish(opt->bundle_path, v, opt->state_dir, at, r, err);
    /* The structured summary describes verified bundles only. */
    if (st == MS_OK && ms_report_summary_build(v, r) != MS_OK)
        st = ms_fail(err, MS_E_NOMEM, "out of memory");
    ms_view_free(v);
    return st;
}

ms_status ms_verify(const ms_verify_options *opt, ms_report **report, ms_error *err)
{
    if (opt == NULL)
        return ms_fail(err, MS_E_USAGE, "verify needs a bundle path and a trust set");
    ms_prog pg;
    ms_prog_enter(&pg, opt->progress, opt->progress_user);
    ms_status st = verify(opt, report, err);
    ms_prog_leave(&pg);
    return st;
}
