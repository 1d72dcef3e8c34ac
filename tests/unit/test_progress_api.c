/*
 * The library's progress calls (modelseal/progress.h) through the public
 * operations (compress, pack, verify, unpack, audit, sign): phases in order,
 * each announced at zero and finished at its totals, bytes never going back,
 * every call on the calling thread (compress computes on worker threads),
 * and none at all without a callback.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "core/progress.h"
#include "modelseal/modelseal.h"

#define MAX_EVENTS 4096

typedef struct recorder {
    pthread_t thread;
    int foreign; /* calls from another thread */
    size_t n;
    ms_progress ev[MAX_EVENTS];
} recorder;

static void record(void *user, const ms_progress *p)
{
    recorder *r = user;
    if (!pthread_equal(pthread_self(), r->thread))
        r->foreign++;
    if (r->n < MAX_EVENTS)
        r->ev[r->n++] = *p;
}

static void rec_init(recorder *r)
{
    memset(r, 0, sizeof *r);
    r->thread = pthread_self();
}

static char dir[4096];

static const char *path(const char *name)
{
    static char buf[4][4200];
    static int i;
    i = (i + 1) % 4;
    snprintf(buf[i], sizeof buf[i], "%s/%s", dir, name);
    return buf[i];
}

/* A safetensors file of three F32 tensors: two 64 x 64 weights and a bias. */
static uint64_t write_model(const char *p)
{
    const char *hdr =
        "{\"a.weight\":{\"dtype\":\"F32\",\"shape\":[64,64],\"data_offsets\":[0,16384]},"
        "\"b.weight\":{\"dtype\":\"F32\",\"shape\":[64,64],\"data_offsets\":[16384,32768]},"
        "\"c.bias\":{\"dtype\":\"F32\",\"shape\":[64],\"data_offsets\":[32768,33024]}}";
    size_t hl = strlen(hdr), pad = (8 - hl % 8) % 8;
    uint64_t n = hl + pad;
    FILE *f = fopen(p, "wb");
    for (int i = 0; i < 8; i++)
        fputc((int)((n >> (8 * i)) & 0xff), f);
    fputs(hdr, f);
    for (size_t i = 0; i < pad; i++)
        fputc(' ', f);
    for (int i = 0; i < 8256; i++) {
        float v = (float)((i * 7919) % 1000) / 1000.0f - 0.5f;
        fwrite(&v, sizeof v, 1, f);
    }
    fclose(f);
    return 8 + n + 33024;
}

/* Check the phases of r are exactly want[0..k) in order, each well formed. */
static void check_phases(const recorder *r, const ms_progress_phase *want, size_t k, int line)
{
    CHECK_INT(r->foreign, 0);
    size_t at = 0;
    for (size_t w = 0; w < k; w++) {
        if (at >= r->n) {
            fprintf(stderr, "line %d: phase %s missing\n", line, ms_progress_phase_name(want[w]));
            CHECK(0);
            return;
        }
        const ms_progress *first = &r->ev[at];
        CHECK_INT(first->phase, want[w]);
        CHECK_INT(first->bytes_done, 0);
        CHECK_INT(first->items_done, 0);
        CHECK_INT(first->finished, 0);
        uint64_t bytes = 0, items = 0;
        for (at++; at < r->n && !r->ev[at - 1].finished; at++) {
            const ms_progress *e = &r->ev[at];
            CHECK_INT(e->phase, want[w]);
            CHECK_INT(e->bytes_total, first->bytes_total);
            CHECK_INT(e->items_total, first->items_total);
            CHECK(e->bytes_done >= bytes && e->items_done >= items);
            bytes = e->bytes_done;
            items = e->items_done;
        }
        const ms_progress *last = &r->ev[at - 1];
        CHECK_INT(last->finished, 1);
        if (last->bytes_total != 0)
            CHECK_INT(last->bytes_done, last->bytes_total);
        if (last->items_total != 0)
            CHECK_INT(last->items_done, last->items_total);
    }
    CHECK_INT(at, r->n);
}

int main(void)
{
    snprintf(dir, sizeof dir, "%s/ms-test-progress-XXXXXX",
             getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp");
    if (mkdtemp(dir) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    mkdir(path("model"), 0755);
    uint64_t model_bytes = write_model(path("model/model.safetensors"));
    ms_error err;
    static recorder r;

    /* compress on two threads: every call still comes from this one. */
    rec_init(&r);
    ms_compress_options co = {
        .quantize = "q8_0", .probes = 1, .threads = 2, .progress = record, .progress_user = &r};
    ms_compress_report *rep = NULL;
    CHECK_INT(ms_compress_file(path("model/model.safetensors"), path("c.safetensors"), NULL, &co,
                               &rep, &err),
              MS_OK);
    ms_compress_report_free(rep);
    ms_progress_phase compress_phases[] = {MS_PROGRESS_COMPRESS};
    check_phases(&r, compress_phases, 1, __LINE__);
    CHECK(r.n >= 2);
    CHECK_INT(r.ev[0].bytes_total, 33024);
    CHECK_INT(r.ev[0].items_total, 3);
    /* The scope ends with the call: nothing reaches the callback afterwards. */
    size_t before = r.n;
    ms_prog_begin(MS_PROGRESS_HASH_MODEL, 1, 1);
    ms_prog_add(1, 1);
    ms_prog_finish();
    CHECK_INT(r.n, before);

    ms_secret_key *sk = NULL;
    CHECK_INT(ms_key_generate(MS_ALG_ED25519, &sk, &err), MS_OK);
    CHECK_INT(ms_key_write_pair(sk, path("k"), NULL, &err), MS_OK);
    rec_init(&r);
    ms_pack_options po = {.model_path = path("model"),
                          .output_path = path("b.mseal"),
                          .key = sk,
                          .name = "tiny",
                          .version = "1.0.0",
                          .quantize = "q8_0",
                          .source_date_epoch = 0,
                          .threads = 2,
                          .progress = record,
                          .progress_user = &r};
    ms_pack_result pres = {0};
    CHECK_INT(ms_pack(&po, &pres, &err), MS_OK);
    free(pres.report_text);
    free(pres.warnings);
    ms_progress_phase pack_phases[] = {MS_PROGRESS_HASH_MODEL, MS_PROGRESS_COMPRESS,
                                       MS_PROGRESS_WRITE_BUNDLE};
    check_phases(&r, pack_phases, 3, __LINE__);
    CHECK_INT(r.ev[0].bytes_total, model_bytes);
    CHECK_INT(r.ev[0].items_total, 1);

    /* Without a callback the same pack makes no call (and gives the same bytes). */
    po.progress = NULL;
    po.output_path = path("quiet.mseal");
    rec_init(&r);
    CHECK_INT(ms_pack(&po, &pres, &err), MS_OK);
    free(pres.report_text);
    free(pres.warnings);
    CHECK_INT(r.n, 0);

    const char *pub = path("k.pub");
    ms_trust *trust = NULL;
    CHECK_INT(ms_trust_load(&pub, 1, &trust, &err), MS_OK);
    struct stat sb;
    CHECK_INT(stat(path("b.mseal"), &sb), 0);

    rec_init(&r);
    ms_verify_options vo = {
        .bundle_path = path("b.mseal"), .trust = trust, .progress = record, .progress_user = &r};
    ms_report *vr = NULL;
    CHECK_INT(ms_verify(&vo, &vr, &err), MS_OK);
    ms_report_free(vr);
    ms_progress_phase read_phase[] = {MS_PROGRESS_READ_BUNDLE};
    check_phases(&r, read_phase, 1, __LINE__);
    CHECK_INT(r.ev[0].bytes_total, sb.st_size);
    CHECK(r.n > 0 && r.ev[r.n - 1].items_done >= 5); /* blobs: documents, weights, probes */

    rec_init(&r);
    ms_unpack_options uo = {.bundle_path = path("b.mseal"),
                            .output_dir = path("out"),
                            .trust = trust,
                            .progress = record,
                            .progress_user = &r};
    CHECK_INT(ms_unpack(&uo, &vr, &err), MS_OK);
    ms_report_free(vr);
    ms_progress_phase unpack_phases[] = {MS_PROGRESS_READ_BUNDLE, MS_PROGRESS_WRITE_FILES};
    check_phases(&r, unpack_phases, 2, __LINE__);

    rec_init(&r);
    ms_audit_options ao = {.bundle_path = path("b.mseal"),
                           .format = MS_AUDIT_JSON,
                           .trust = trust,
                           .doc_time = 0,
                           .progress = record,
                           .progress_user = &r};
    char *out = NULL;
    CHECK_INT(ms_audit_bundle(&ao, &out, &vr, &err), MS_OK);
    free(out);
    ms_report_free(vr);
    check_phases(&r, read_phase, 1, __LINE__);

    /* sign: the bundle is checked, then copied with one more signature. */
    rec_init(&r);
    ms_sign_options so = {.bundle_path = path("b.mseal"),
                          .output_path = path("s.mseal"),
                          .key = sk,
                          .role = "approver",
                          .source_date_epoch = -1,
                          .progress = record,
                          .progress_user = &r};
    CHECK_INT(ms_sign(&so, &err), MS_OK);
    ms_progress_phase sign_phases[] = {MS_PROGRESS_READ_BUNDLE, MS_PROGRESS_WRITE_BUNDLE};
    check_phases(&r, sign_phases, 2, __LINE__);
    CHECK(r.n > 0 && r.ev[r.n - 1].bytes_total == (uint64_t)sb.st_size);

    CHECK_STR(ms_progress_phase_name(MS_PROGRESS_HASH_MODEL), "hash-model");
    CHECK_STR(ms_progress_phase_name(MS_PROGRESS_WRITE_FILES), "write-files");
    CHECK_STR(ms_progress_phase_name((ms_progress_phase)99), "unknown");

    ms_trust_free(trust);
    ms_secret_key_free(sk);
    char cmd[8300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
    return check_finish("test_progress_api");
}
