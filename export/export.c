/*
 * export: verify, then hand each model file's verified bytes to a format's
 * exporter (safetensors.c, gguf.c).
 *
 * Verification is ms_verify_view, as for unpack; an export starts only
 * from a bundle that verified.  The model files are then read a second
 * time: each blob is copied into a nameless scratch file (core/outfile.h)
 * while it is hashed, and handed over, mapped, only when its digest is the
 * verified one, so a bundle swapped between the two reads cannot feed the
 * exporter other bytes.  Memory: the copy buffer; the scratch file holds
 * one blob on disk at a time.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "core/digest.h"
#include "core/error_internal.h"
#include "core/fsutil.h"
#include "core/progress.h"
#include "core/outfile.h"
#include "core/tar.h"
#include "export/export_internal.h"

int ms_export_ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

ms_status ms_export_write(int fd, const void *p, size_t n, const char *what, ms_error *err)
{
    if (ms_write_all(fd, p, n) != 0)
        return ms_fail(err, MS_E_IO, "%s: write failed: %s", what, strerror(errno));
    return MS_OK;
}

/* Copy the current tar entry into a scratch file, hashing it; the digest must be hex. */
static ms_status spool(ms_tar_reader *r, const char *hex, const char *near, int *fd_out,
                       uint64_t *len_out, uint8_t *buf, size_t cap, ms_error *err)
{
    int fd = -1;
    ms_status st = ms_scratch_open(near, &fd, err);
    if (st != MS_OK)
        return st;
    ms_sha256 *h = ms_sha256_new();
    if (h == NULL) {
        close(fd);
        return ms_fail(err, MS_E_NOMEM, "out of memory");
    }
    uint64_t total = 0;
    for (;;) {
        size_t got = 0;
        if ((st = ms_tar_reader_read(r, buf, cap, &got, err)) != MS_OK || got == 0)
            break;
        ms_sha256_update(h, buf, got);
        if ((st = ms_export_write(fd, buf, got, "scratch copy", err)) != MS_OK)
            break;
        total += got;
        ms_prog_add(got, 0);
    }
    uint8_t dg[MS_SHA256_LEN];
    char got_hex[MS_SHA256_HEX_LEN + 1];
    ms_sha256_final(h, dg);
    ms_sha256_free(h);
    ms_hex_encode(dg, MS_SHA256_LEN, got_hex);
    if (st == MS_OK && strcmp(got_hex, hex) != 0)
        st = ms_fail(err, MS_E_REJECTED,
                     "blob sha256:%s changed between verification and export", hex);
    if (st != MS_OK) {
        close(fd);
        return st;
    }
    *fd_out = fd;
    *len_out = total;
    return MS_OK;
}

ms_status ms_export_each_file(const char *bundle, const ms_view *v, const char *near_path,
                              ms_export_file_fn fn, void *ctx, ms_error *err)
{
    enum { CAP = 1 << 20 };
    uint8_t *buf = malloc(CAP);
    char *seen = calloc(v->file_count ? v->file_count : 1, 1);
    ms_tar_reader *r = NULL;
    ms_status st = MS_OK;
    if (buf == NULL || seen == NULL)
        st = ms_fail(err, MS_E_NOMEM, "out of memory");
    if (st == MS_OK)
        st = ms_tar_reader_open(bundle, &r, err);
    uint64_t bytes = 0;
    for (size_t i = 0; i < v->file_count; i++)
        bytes += v->files[i].size;
    ms_prog_begin(MS_PROGRESS_WRITE_FILES, bytes, v->file_count);
    while (st == MS_OK) {
        ms_tar_entry e;
        int done;
        if ((st = ms_tar_reader_next(r, &e, &done, err)) != MS_OK || done)
            break;
        /* The same entry rule as verification: only regular blob entries. */
        char why[700];
        if (ms_layout_entry_kind(&e, why, sizeof why) != MS_ENTRY_BLOB)
            continue;
        const char *hex = e.name + strlen("blobs/sha256/");
        int wanted = 0;
        for (size_t i = 0; i < v->file_count; i++)
            wanted |= !seen[i] && strcmp(v->files[i].hex, hex) == 0;
        if (!wanted)
            continue;
        char hexcopy[MS_SHA256_HEX_LEN + 1];
        snprintf(hexcopy, sizeof hexcopy, "%s", hex);
        int fd = -1;
        uint64_t len = 0;
        if ((st = spool(r, hexcopy, near_path, &fd, &len, buf, CAP, err)) != MS_OK)
            break;
        void *map = NULL;
        if (len > SIZE_MAX) {
            st = ms_fail(err, MS_E_LIMIT, "blob sha256:%s too large to map", hexcopy);
        } else if (len > 0) {
            map = mmap(NULL, (size_t)len, PROT_READ, MAP_PRIVATE, fd, 0);
            if (map == MAP_FAILED) {
                map = NULL;
                st = ms_fail(err, MS_E_IO, "cannot map the scratch copy: %s", strerror(errno));
            }
        }
        close(fd);
        for (size_t i = 0; st == MS_OK && i < v->file_count; i++) {
            if (seen[i] || strcmp(v->files[i].hex, hexcopy) != 0)
                continue;
            seen[i] = 1;
            static const uint8_t empty[1];
            st = fn(ctx, &v->files[i], map != NULL ? map : empty, (size_t)len, err);
            ms_prog_add(0, 1);
        }
        if (map != NULL)
            munmap(map, (size_t)len);
    }
    for (size_t i = 0; st == MS_OK && i < v->file_count; i++)
        if (!seen[i])
            st = ms_fail(err, MS_E_REJECTED, "'%s': its blob vanished after verification",
                         v->files[i].filepath);
    if (st == MS_OK)
        ms_prog_finish();
    ms_tar_reader_free(r);
    free(seen);
    free(buf);
    return st;
}

static ms_status export_run(const ms_export_options *opt, ms_report **report,
                            ms_export_result *res, ms_error *err)
{
    if (opt == NULL || report == NULL || res == NULL || opt->bundle_path == NULL ||
        opt->output == NULL || opt->trust == NULL)
        return ms_fail(err, MS_E_USAGE, "export needs a bundle, an output and a trust set");
    memset(res, 0, sizeof *res);
    *report = NULL;
    if (opt->format == MS_EXPORT_SAFETENSORS) {
        if (opt->dtype == NULL || (strcmp(opt->dtype, "f32") != 0 && strcmp(opt->dtype, "f16") != 0 &&
                                   strcmp(opt->dtype, "bf16") != 0))
            return ms_fail(err, MS_E_USAGE, "export to safetensors needs a dtype: f32, f16 or bf16");
    } else if (opt->format == MS_EXPORT_GGUF) {
        if (opt->dtype != NULL)
            return ms_fail(err, MS_E_USAGE, "export to GGUF keeps the stored types; no dtype");
    } else {
        return ms_fail(err, MS_E_USAGE, "unknown export format %d", (int)opt->format);
    }
    int64_t at = opt->at != 0 || opt->at_set ? opt->at : (int64_t)time(NULL);
    ms_view *v = NULL;
    ms_status st = ms_verify_view(opt->bundle_path, opt->trust, at, NULL, report, &v, err);
    if (st != MS_OK)
        return st;
    snprintf(res->manifest_digest, sizeof res->manifest_digest, "sha256:%s", v->manifest_hex);
    if (opt->format == MS_EXPORT_SAFETENSORS)
        st = ms_export_safetensors(opt, v, res, err);
    else
        st = ms_export_gguf(opt, v, *report, res, err);
    /* The report said "verified"; say that the export did not succeed. */
    if (st != MS_OK && *report != NULL)
        ms_report_set_error(*report, err != NULL ? err->message : ms_strerror(st));
    ms_view_free(v);
    return st;
}

ms_status ms_export(const ms_export_options *opt, ms_report **report, ms_export_result *res,
                    ms_error *err)
{
    ms_prog pg;
    ms_prog_enter(&pg, opt != NULL ? opt->progress : NULL, opt != NULL ? opt->progress_user : NULL);
    ms_status st = export_run(opt, report, res, err);
    ms_prog_leave(&pg);
    return st;
}
