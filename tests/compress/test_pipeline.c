/*
 * The compression pipeline's building blocks: the streaming safetensors
 * writer, header-only reading, probe helpers, and reading compressed tensors
 * back as floats.
 */
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "compress/compress.h"
#include "compress/probes.h"
#include "compress/quant.h"
#include "core/digest.h"
#include "modelseal/compress.h"
#include "modelseal/safetensors.h"

static char dir[] = "/tmp/ms-pipeline-XXXXXX";

static const char *path_in(const char *name)
{
    static char buf[4][256];
    static int i;
    char *b = buf[i++ % 4];
    snprintf(b, 256, "%s/%s", dir, name);
    return b;
}

static void test_stream_writer(void)
{
    ms_error err;
    ms_st_writer *w = NULL;
    const uint64_t s4[1] = {4}, s2[1] = {2};
    CHECK_INT(ms_st_writer_new(&w, &err), MS_OK);
    CHECK_INT(ms_st_writer_put(w, "x", 1, &err), MS_E_USAGE);
    CHECK_CONTAINS(err.message, "put before begin");
    CHECK_INT(ms_st_writer_add(w, "b", MS_DTYPE_U8, 1, s2, NULL, &err), MS_OK);
    CHECK_INT(ms_st_writer_add(w, "a", MS_DTYPE_U8, 1, s4, NULL, &err), MS_OK);
    CHECK_INT(ms_st_writer_begin(w, path_in("s.safetensors"), &err), MS_OK);
    /* Name order: a (4 bytes) then b (2 bytes); chunks may split tensors. */
    CHECK_INT(ms_st_writer_put(w, "\x01\x02\x03", 3, &err), MS_OK);
    CHECK_INT(ms_st_writer_commit(w, &err), MS_E_USAGE);
    CHECK_CONTAINS(err.message, "3 of 6 tensor bytes written");
    CHECK_INT(ms_st_writer_put(w, "\x04\x05\x06\x07", 4, &err), MS_E_USAGE);
    CHECK_CONTAINS(err.message, "more tensor bytes than declared (6)");
    CHECK_INT(ms_st_writer_put(w, "\x04\x05\x06", 3, &err), MS_OK);
    CHECK_INT(ms_st_writer_commit(w, &err), MS_OK);
    ms_st_writer_free(w);
    ms_safetensors *st = NULL;
    CHECK_INT(ms_safetensors_open(path_in("s.safetensors"), &st, &err), MS_OK);
    if (st != NULL) {
        const ms_tensor_info *a = ms_safetensors_find(st, "a");
        const ms_tensor_info *b = ms_safetensors_find(st, "b");
        CHECK(a != NULL && b != NULL);
        if (a != NULL && b != NULL) {
            CHECK_MEM(ms_safetensors_data(st, a), "\x01\x02\x03\x04", 4);
            CHECK_MEM(ms_safetensors_data(st, b), "\x05\x06", 2);
        }
        ms_safetensors_close(st);
    }
    /* Freed before commit: no file, no temporary left. */
    CHECK_INT(ms_st_writer_new(&w, &err), MS_OK);
    CHECK_INT(ms_st_writer_add(w, "a", MS_DTYPE_U8, 1, s4, NULL, &err), MS_OK);
    CHECK_INT(ms_st_writer_begin(w, path_in("gone.safetensors"), &err), MS_OK);
    ms_st_writer_free(w);
    CHECK(access(path_in("gone.safetensors"), F_OK) != 0);
}

/* Write three tensors whose bytes cross the 4 MiB staging blocks unevenly. */
static void write_odd(const char *path, int direct, const uint8_t *data, int *was_direct,
                      uint8_t digest[32], uint64_t *size)
{
    ms_error err;
    ms_st_writer *w = NULL;
    const uint64_t sa[1] = {3000001}, sb[1] = {(5u << 20) + 7}, sc[1] = {1};
    CHECK_INT(ms_st_writer_new(&w, &err), MS_OK);
    CHECK_INT(ms_st_writer_add(w, "a", MS_DTYPE_U8, 1, sa, NULL, &err), MS_OK);
    CHECK_INT(ms_st_writer_add(w, "b", MS_DTYPE_U8, 1, sb, NULL, &err), MS_OK);
    CHECK_INT(ms_st_writer_add(w, "c", MS_DTYPE_U8, 1, sc, NULL, &err), MS_OK);
    CHECK_INT(ms_st_writer_set_metadata(w, "k", "v", &err), MS_OK);
    ms_st_writer_set_direct(w, direct);
    ms_st_writer_set_sha256(w, 1);
    CHECK_INT(ms_st_writer_sha256(w, digest, size), -1); /* nothing written yet */
    CHECK_INT(ms_st_writer_begin(w, path, &err), MS_OK);
    size_t total = sa[0] + sb[0] + sc[0], off = 0, step = 1;
    while (off < total) {
        size_t n = step < total - off ? step : total - off;
        CHECK_INT(ms_st_writer_put(w, data + off, n, &err), MS_OK);
        off += n;
        step = step * 7 + 4093; /* 1, 4100, 32793, ...: every phase against 4096 */
    }
    CHECK_INT(ms_st_writer_commit(w, &err), MS_OK);
    *was_direct = ms_st_writer_direct(w);
    CHECK_INT(ms_st_writer_sha256(w, digest, size), 0);
    ms_st_writer_free(w);
}

static uint8_t *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    uint8_t *b = NULL;
    *len = 0;
    if (f == NULL)
        return NULL;
    if (fseek(f, 0, SEEK_END) == 0) {
        long n = ftell(f);
        rewind(f);
        if (n >= 0 && (b = malloc((size_t)n + 1)) != NULL)
            *len = fread(b, 1, (size_t)n, f);
    }
    fclose(f);
    return b;
}

static void test_direct_writer(void)
{
    size_t total = 3000001 + (5u << 20) + 7 + 1;
    uint8_t *data = malloc(total);
    CHECK(data != NULL);
    if (data == NULL)
        return;
    uint32_t x = 12345;
    for (size_t i = 0; i < total; i++) {
        x = x * 1664525u + 1013904223u;
        data[i] = (uint8_t)(x >> 24);
    }
    int d0 = -1, d1 = -1;
    uint8_t h0[32] = {0}, h1[32] = {0};
    uint64_t n0 = 0, n1 = 0;
    write_odd(path_in("buffered.safetensors"), 0, data, &d0, h0, &n0);
    write_odd(path_in("direct.safetensors"), 1, data, &d1, h1, &n1);
    CHECK_INT(d0, 0);
    /* Where the file system takes O_DIRECT (and statx, when it tells, does
     * not say otherwise), the writer must have used it. */
    int probe = open(path_in("probe"), O_WRONLY | O_CREAT | O_DIRECT, 0600);
    int takes = probe >= 0;
#ifdef STATX_DIOALIGN
    struct statx sx;
    if (takes && statx(probe, "", AT_EMPTY_PATH, STATX_DIOALIGN, &sx) == 0 &&
        (sx.stx_mask & STATX_DIOALIGN) && sx.stx_dio_offset_align == 0)
        takes = 0;
#endif
    if (probe >= 0) {
        close(probe);
        unlink(path_in("probe"));
    }
    if (takes) {
        CHECK_INT(d1, 1);
    } else {
        printf("# the test directory takes no O_DIRECT: fallback path only\n");
    }
    size_t la = 0, lb = 0;
    uint8_t *a = slurp(path_in("buffered.safetensors"), &la);
    uint8_t *b = slurp(path_in("direct.safetensors"), &lb);
    CHECK(a != NULL && b != NULL);
    CHECK_INT(la, lb);
    if (a != NULL && b != NULL && la == lb)
        CHECK_MEM(a, b, la);
    /* The digest and length given as written are the file's. */
    uint8_t want[32];
    if (b != NULL)
        ms_sha256_buf(b, lb, want);
    CHECK_MEM(h0, want, 32);
    CHECK_MEM(h1, want, 32);
    CHECK_INT(n0, lb);
    CHECK_INT(n1, lb);
    /* The data is where the header says, the file ends at its last byte. */
    ms_error err;
    ms_safetensors *st = NULL;
    CHECK_INT(ms_safetensors_open(path_in("direct.safetensors"), &st, &err), MS_OK);
    if (st != NULL) {
        const ms_tensor_info *t = ms_safetensors_find(st, "b");
        CHECK(t != NULL);
        if (t != NULL)
            CHECK_MEM(ms_safetensors_data(st, t), data + 3000001, (5u << 20) + 7);
        CHECK_INT(ms_safetensors_file_size(st), lb);
        ms_safetensors_close(st);
    }
    free(a);
    free(b);
    free(data);
    unlink(path_in("buffered.safetensors"));
    unlink(path_in("direct.safetensors"));
    /* Freed before commit with direct output on: nothing left behind. */
    ms_st_writer *w = NULL;
    const uint64_t s4[1] = {4};
    CHECK_INT(ms_st_writer_new(&w, &err), MS_OK);
    CHECK_INT(ms_st_writer_add(w, "a", MS_DTYPE_U8, 1, s4, NULL, &err), MS_OK);
    ms_st_writer_set_direct(w, 1);
    CHECK_INT(ms_st_writer_begin(w, path_in("gone2.safetensors"), &err), MS_OK);
    CHECK_INT(ms_st_writer_put(w, "\x01\x02", 2, &err), MS_OK);
    ms_st_writer_free(w);
    CHECK(access(path_in("gone2.safetensors"), F_OK) != 0);
}

/*
 * Rows are handed out in chunks (1024 rows of 256 here); the first bad value
 * reported is the lowest, whichever thread met it, with a later chunk's bad
 * value met first or not, and whatever the thread count; pruning (phase 0)
 * and a float output that keeps NaN (no refusal) too.
 */
static void test_bad_value_chunks(void)
{
    enum { ROWS = 3000, COLS = 256 };
    float *w = malloc((size_t)ROWS * COLS * sizeof *w);
    CHECK(w != NULL);
    if (w == NULL)
        return;
    for (size_t i = 0; i < (size_t)ROWS * COLS; i++)
        w[i] = sinf((float)i) * 0.05f;
    w[(size_t)2500 * COLS + 17] = INFINITY; /* third chunk */
    w[(size_t)1500 * COLS + 3] = NAN;       /* second chunk */
    w[(size_t)1100 * COLS + 200] = -INFINITY;
    ms_error err;
    ms_st_writer *wr = NULL;
    const uint64_t shape[2] = {ROWS, COLS};
    CHECK_INT(ms_st_writer_new(&wr, &err), MS_OK);
    CHECK_INT(ms_st_writer_add(wr, "w", MS_DTYPE_F32, 2, shape, w, &err), MS_OK);
    CHECK_INT(ms_st_writer_write(wr, path_in("inf.safetensors"), &err), MS_OK);
    ms_st_writer_free(wr);
    const char *want = "tensor 'w': value 281800 is infinite; q8_0 needs finite values";
    for (int threads = 1; threads <= 4; threads++) {
        for (int prune = 0; prune < 2; prune++) {
            ms_compress_options o = {.quantize = "q8_0", .probes = 1, .threads = threads,
                                     .prune = prune ? "2:4" : NULL};
            ms_compress_report *rep = NULL;
            CHECK_INT(ms_compress_file(path_in("inf.safetensors"), path_in("x.safetensors"),
                                       NULL, &o, &rep, &err),
                      MS_E_UNSUPPORTED);
            CHECK_CONTAINS(err.message, want);
            ms_compress_report_free(rep);
        }
    }
    CHECK(access(path_in("x.safetensors"), F_OK) != 0);
    free(w);
}

/* Reading tensor bytes with pread: same bytes as the mapping; a reader
 * from memory has no file; a replaced or shrunken file is an error. */
static void test_reopen_pread(void)
{
    ms_error err;
    float w[3 * 100];
    for (int i = 0; i < 300; i++)
        w[i] = (float)i * 0.25f;
    ms_st_writer *wr = NULL;
    const uint64_t shape[2] = {3, 100};
    CHECK_INT(ms_st_writer_new(&wr, &err), MS_OK);
    CHECK_INT(ms_st_writer_add(wr, "w", MS_DTYPE_F32, 2, shape, w, &err), MS_OK);
    CHECK_INT(ms_st_writer_write(wr, path_in("r.safetensors"), &err), MS_OK);
    CHECK_INT(ms_st_writer_write(wr, path_in("r2.safetensors"), &err), MS_OK);
    ms_st_writer_free(wr);
    ms_safetensors *st = NULL;
    CHECK_INT(ms_safetensors_open(path_in("r.safetensors"), &st, &err), MS_OK);
    if (st == NULL)
        return;
    const ms_tensor_info *t = ms_safetensors_find(st, "w");
    int fd = -1;
    CHECK_INT(ms_safetensors_reopen(st, &fd, &err), MS_OK);
    float got[100];
    CHECK_INT(ms_safetensors_pread(st, fd, t, 100 * sizeof(float), got, sizeof got, &err),
              MS_OK);
    CHECK_MEM(got, w + 100, sizeof got);
    CHECK_INT(ms_safetensors_pread(st, fd, t, 250 * sizeof(float), got, sizeof got, &err),
              MS_E_USAGE);
    CHECK_CONTAINS(err.message, "range outside the tensor");
    /* the file cut short after it was opened */
    CHECK(truncate(path_in("r.safetensors"), 600) == 0);
    CHECK_INT(ms_safetensors_pread(st, fd, t, 200 * sizeof(float), got, sizeof got, &err),
              MS_E_IO);
    CHECK_CONTAINS(err.message, "file shrank while being read");
    close(fd);
    CHECK_INT(ms_safetensors_reopen(st, &fd, &err), MS_E_IO);
    CHECK_CONTAINS(err.message, "replaced or changed while being read");
    CHECK_INT(fd, -1);
    /* another file renamed over it, same size */
    CHECK(rename(path_in("r2.safetensors"), path_in("r.safetensors")) == 0);
    CHECK_INT(ms_safetensors_reopen(st, &fd, &err), MS_E_IO);
    CHECK_CONTAINS(err.message, "replaced or changed while being read");
    ms_safetensors_close(st);
    /* a reader over memory has no file to read from */
    size_t len = 0;
    uint8_t *img = slurp(path_in("r.safetensors"), &len);
    CHECK(img != NULL);
    if (img != NULL) {
        CHECK_INT(ms_safetensors_open_memory(img, len, "mem", &st, &err), MS_OK);
        CHECK_INT(ms_safetensors_reopen(st, &fd, &err), MS_E_USAGE);
        ms_safetensors_close(st);
        free(img);
    }
}

/* Threads of this process (entries of /proc/self/task), or -1. */
static int thread_count(void)
{
    DIR *d = opendir("/proc/self/task");
    if (d == NULL)
        return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

/*
 * ms_blas_single_thread ends OpenBLAS's worker threads (a build of it with
 * threads starts them when it loads), and BLAS still computes afterwards,
 * on the calling thread.
 */
static void test_blas_single_thread(void)
{
    int before = thread_count();
    ms_blas_single_thread();
    ms_blas_single_thread(); /* twice is fine */
    int after = thread_count();
    printf("# threads before %d, after %d\n", before, after);
    if (before >= 1)
        CHECK_INT(after, 1);
    float x[2 * 8], w[3 * 8], y[2 * 3], ref[2 * 3];
    for (int i = 0; i < 16; i++)
        x[i] = (float)(i % 5) - 2.0f;
    for (int i = 0; i < 24; i++)
        w[i] = (float)(i % 7) * 0.5f;
    ms_probe_blas_block(x, 2, 8, w, 3, y, 3);
    for (int r = 0; r < 3; r++)
        ms_probe_row(x, 2, 8, w + 8 * r, 3, (size_t)r, ref);
    CHECK_MEM(y, ref, sizeof y); /* small integers: exact either way */
    CHECK_INT(thread_count(), after);
}

static void test_open_header(void)
{
    ms_error err;
    /* header {"a":{"dtype":"U8","shape":[4],"data_offsets":[0,4]}} padded to 8 */
    const char *json = "{\"a\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[0,4]}}";
    size_t jl = strlen(json), pad = (8 - jl % 8) % 8, hl = jl + pad;
    unsigned char buf[128];
    for (int i = 0; i < 8; i++)
        buf[i] = (unsigned char)(hl >> (8 * i));
    memcpy(buf + 8, json, jl);
    memset(buf + 8 + jl, ' ', pad);
    CHECK_INT(ms_safetensors_header_size(buf), hl);
    ms_safetensors *st = NULL;
    CHECK_INT(ms_safetensors_open_header(buf, 8 + hl, 8 + hl + 4, "w", &st, &err), MS_OK);
    if (st != NULL) {
        CHECK_INT(ms_safetensors_count(st), 1);
        CHECK(ms_safetensors_data(st, ms_safetensors_find(st, "a")) == NULL);
        ms_safetensors_close(st);
    }
    /* The span rules hold against the declared file size. */
    CHECK_INT(ms_safetensors_open_header(buf, 8 + hl, 8 + hl + 5, "w", &st, &err), MS_E_FORMAT);
    CHECK_CONTAINS(err.message, "not at end of data");
    CHECK_INT(ms_safetensors_open_header(buf, 8 + hl - 1, 8 + hl + 4, "w", &st, &err),
              MS_E_USAGE);
    CHECK_CONTAINS(err.message, "the header needs");
}

static void test_probe_helpers(void)
{
    uint8_t seed[32] = {1, 2, 3};
    float x1[2 * 7], x2[2 * 7], x3[2 * 7];
    CHECK_INT(ms_probe_inputs(seed, "w", 2, 7, x1), 0);
    CHECK_INT(ms_probe_inputs(seed, "w", 2, 7, x2), 0);
    CHECK_INT(ms_probe_inputs(seed, "v", 2, 7, x3), 0);
    CHECK_MEM(x1, x2, sizeof x1);
    CHECK(memcmp(x1, x3, sizeof x1) != 0);
    double sum = 0, sum2 = 0;
    enum { N = 20000 };
    float *big = malloc(N * sizeof *big);
    CHECK_INT(ms_probe_inputs(seed, "stats", 1, N, big), 0);
    for (int i = 0; i < N; i++) {
        sum += big[i];
        sum2 += (double)big[i] * big[i];
    }
    /* Standard normal: mean ~0, variance ~1. */
    CHECK(fabs(sum / N) < 0.03);
    CHECK(fabs(sum2 / N - 1.0) < 0.05);
    free(big);

    float a[3] = {1, 2, 2}, b[3] = {1, 2, 2}, z[3] = {0, 0, 0};
    CHECK(ms_probe_rel_error(a, b, 3) == 0);
    CHECK(isinf(ms_probe_sqnr(a, b, 3)) && ms_probe_sqnr(a, b, 3) > 0);
    CHECK(ms_probe_rel_error(z, z, 3) == 0);
    CHECK(isinf(ms_probe_rel_error(a, z, 3)));
    float c[3] = {1, 2, 3};
    CHECK(fabs(ms_probe_rel_error(c, b, 3) - 1.0 / 3.0) < 1e-12);
    CHECK(fabs(ms_probe_sqnr(c, b, 3) - 10 * log10(9.0)) < 1e-9);

    /* ms_probe_row (double sums) and OpenBLAS agree to well within the tolerance. */
    float w[3 * 7], y1[2 * 3], y2[2 * 3];
    for (int i = 0; i < 21; i++)
        w[i] = (float)(i - 10) / 7.0f;
    for (size_t r = 0; r < 3; r++)
        ms_probe_row(x1, 2, 7, w + r * 7, 3, r, y1);
    ms_probe_blas(x1, 2, 7, w, 3, y2);
    CHECK(ms_probe_rel_error(y2, y1, 6) < 1e-6);
}

static void test_to_f32(void)
{
    ms_error err;
    /* A 2 x 64 F32 tensor compressed to q8_0 reads back as its dequantized values. */
    float w[128];
    for (int i = 0; i < 128; i++)
        w[i] = sinf((float)i) * 0.1f;
    ms_st_writer *wr = NULL;
    const uint64_t shape[2] = {2, 64};
    CHECK_INT(ms_st_writer_new(&wr, &err), MS_OK);
    CHECK_INT(ms_st_writer_add(wr, "w", MS_DTYPE_F32, 2, shape, w, &err), MS_OK);
    CHECK_INT(ms_st_writer_write(wr, path_in("in.safetensors"), &err), MS_OK);
    ms_st_writer_free(wr);
    ms_compress_options o = {.quantize = "q8_0", .probes = 1, .threads = 2};
    ms_compress_report *rep = NULL;
    CHECK_INT(ms_compress_file(path_in("in.safetensors"), path_in("q.safetensors"), NULL, &o,
                               &rep, &err),
              MS_OK);
    ms_compress_report_free(rep);
    ms_safetensors *st = NULL;
    CHECK_INT(ms_safetensors_open(path_in("q.safetensors"), &st, &err), MS_OK);
    float *f = NULL;
    size_t nd = 0;
    uint64_t sh[8];
    CHECK_INT(ms_tensor_to_f32(st, "w", &f, &nd, sh, &err), MS_OK);
    CHECK_INT(nd, 2);
    CHECK(sh[0] == 2 && sh[1] == 64);
    uint8_t q[2 * 68];
    float d[128];
    for (int r = 0; r < 2; r++) {
        ms_quantize_row(MS_SCHEME_Q8_0, w + 64 * r, 64, q + 68 * r, NULL);
        ms_dequantize_row(MS_SCHEME_Q8_0, q + 68 * r, 64, 0, d + 64 * r);
    }
    CHECK(f != NULL && memcmp(f, d, sizeof d) == 0);
    free(f);
    CHECK_INT(ms_tensor_to_f32(st, "nope", &f, &nd, sh, &err), MS_E_FORMAT);
    CHECK_CONTAINS(err.message, "no tensor 'nope'");
    ms_safetensors_close(st);

    /* A compression record that does not match the stored bytes is refused. */
    ms_st_writer *bad = NULL;
    const uint64_t bshape[2] = {2, 10};
    uint8_t zeros[20] = {0};
    CHECK_INT(ms_st_writer_new(&bad, &err), MS_OK);
    CHECK_INT(ms_st_writer_add(bad, "w", MS_DTYPE_U8, 2, bshape, zeros, &err), MS_OK);
    CHECK_INT(ms_st_writer_set_metadata(bad, "modelseal.compression",
                                        "{\"version\":1,\"tensors\":{\"w\":{\"scheme\":\"q8_0\","
                                        "\"dtype\":\"F32\",\"shape\":[2,64],\"prune\":\"none\"}}}",
                                        &err),
              MS_OK);
    CHECK_INT(ms_st_writer_write(bad, path_in("bad.safetensors"), &err), MS_OK);
    ms_st_writer_free(bad);
    CHECK_INT(ms_safetensors_open(path_in("bad.safetensors"), &st, &err), MS_OK);
    CHECK_INT(ms_tensor_to_f32(st, "w", &f, &nd, sh, &err), MS_E_FORMAT);
    CHECK_CONTAINS(err.message, "tensor 'w': 20 stored bytes, its compression record needs 136");
    ms_safetensors_close(st);
}

int main(void)
{
    if (mkdtemp(dir) == NULL)
        return 1;
    test_blas_single_thread(); /* first: before this test starts threads of its own */
    test_stream_writer();
    test_direct_writer();
    test_bad_value_chunks();
    test_reopen_pread();
    test_open_header();
    test_probe_helpers();
    test_to_f32();
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        return 1;
    return check_finish("test_pipeline");
}
