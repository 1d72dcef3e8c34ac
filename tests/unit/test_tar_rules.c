/*
 * Unit tests for the tar reader's view of odd archives (core/tar.c): the
 * raw typeflag and pax keywords decide an entry's type where libarchive
 * would read a regular file, data blocks must follow each other, and what
 * follows the end of the archive is reported.  The archives are made by
 * hand, byte by byte, as a hostile writer would.
 */
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "core/tar.h"

static char tmpdir[4096];

static const char *tpath(const char *name)
{
    static char bufs[16][4200];
    static int k;
    char *p = bufs[k++ % 16];
    snprintf(p, 4200, "%s/%s", tmpdir, name);
    return p;
}

typedef struct tbuf {
    uint8_t p[64 * 1024];
    size_t len;
} tbuf;

static void tb_put(tbuf *b, const void *data, size_t n)
{
    if (b->len + n > sizeof b->p)
        abort();
    memcpy(b->p + b->len, data, n);
    b->len += n;
}

static void tb_pad(tbuf *b)
{
    static const uint8_t zeros[512];
    if (b->len % 512 != 0)
        tb_put(b, zeros, 512 - b->len % 512);
}

static void tb_entry(tbuf *b, const char *name, char type, const void *data, size_t size)
{
    uint8_t h[512];
    memset(h, 0, sizeof h);
    memcpy(h, name, strlen(name) < 100 ? strlen(name) : 100);
    snprintf((char *)h + 100, 8, "%07o", 0644);
    snprintf((char *)h + 108, 8, "%07o", 0);
    snprintf((char *)h + 116, 8, "%07o", 0);
    snprintf((char *)h + 124, 12, "%011o", (unsigned)size);
    snprintf((char *)h + 136, 12, "%011o", 0);
    h[156] = (uint8_t)type;
    memcpy(h + 257, "ustar", 6);
    memcpy(h + 263, "00", 2);
    memset(h + 148, ' ', 8);
    unsigned sum = 0;
    for (size_t i = 0; i < sizeof h; i++)
        sum += h[i];
    snprintf((char *)h + 148, 8, "%06o", sum);
    h[155] = ' ';
    tb_put(b, h, sizeof h);
    if (data != NULL)
        tb_put(b, data, size);
    tb_pad(b);
}

/* A pax extended header ('x') holding the given records, then the entry. */
static void tb_pax_entry(tbuf *b, const char *records, const char *name, const void *data,
                         size_t size)
{
    tb_entry(b, "PaxHeaders/x", 'x', records, strlen(records));
    tb_entry(b, name, '0', data, size);
}

static void tb_end(tbuf *b)
{
    static const uint8_t zeros[1024];
    tb_put(b, zeros, sizeof zeros);
}

static void save(const char *path, const tbuf *b)
{
    FILE *f = fopen(path, "wb");
    if (f == NULL || fwrite(b->p, 1, b->len, f) != b->len || fclose(f) != 0)
        abort();
}

/* The type of every entry, in order (at most max); the status that ended reading. */
static ms_status types_of(const char *path, ms_tar_type *types, size_t max, size_t *n,
                          ms_error *err)
{
    ms_tar_reader *r = NULL;
    *n = 0;
    ms_status st = ms_tar_reader_open(path, &r, err);
    while (st == MS_OK) {
        ms_tar_entry e;
        int done = 0;
        if ((st = ms_tar_reader_next(r, &e, &done, err)) != MS_OK || done)
            break;
        if (*n < max)
            types[*n] = e.type;
        (*n)++;
        st = ms_tar_reader_skip(r, err);
    }
    ms_tar_reader_free(r);
    return st;
}

static void test_typeflags(void)
{
    static tbuf b;
    b.len = 0;
    tb_entry(&b, "regular", '0', "data", 4);
    tb_entry(&b, "contiguous", '7', "data", 4);
    tb_entry(&b, "names", 'N', "data", 4);  /* old GNU: libarchive reads a regular file */
    tb_entry(&b, "vendor", 'Q', "data", 4); /* undefined: the same */
    tb_entry(&b, "dumpdir", 'D', NULL, 0);  /* GNU dump directory */
    tb_pax_entry(&b, "17 comment=hello\n", "commented", "data", 4);
    tb_pax_entry(&b, "21 GNU.sparse.size=4\n", "pax-sparse", "data", 4);
    tb_entry(&b, "after", '0', "data", 4);
    tb_end(&b);
    const char *p = tpath("types.tar");
    save(p, &b);
    ms_tar_type t[8];
    size_t n = 0;
    ms_error err;
    CHECK_INT(types_of(p, t, 8, &n, &err), MS_OK);
    CHECK_INT(n, 8);
    CHECK_INT(t[0], MS_TAR_REGULAR);
    CHECK_INT(t[1], MS_TAR_REGULAR);
    CHECK_INT(t[2], MS_TAR_OTHER);
    CHECK_INT(t[3], MS_TAR_OTHER);
    CHECK_INT(t[4], MS_TAR_OTHER);
    CHECK_INT(t[5], MS_TAR_REGULAR);
    CHECK_INT(t[6], MS_TAR_SPARSE);
    CHECK_INT(t[7], MS_TAR_REGULAR);
    CHECK_STR(ms_tar_type_name(MS_TAR_SPARSE), "sparse file");
    CHECK_STR(ms_tar_type_name(MS_TAR_OTHER), "special file");
}

/* pax records that do not add up: refused, never half-read. */
static void test_malformed_pax(void)
{
    static tbuf b;
    b.len = 0;
    tb_pax_entry(&b, "18 comment=hello\n", "longer", "data", 4);
    tb_end(&b);
    const char *p = tpath("badpax.tar");
    save(p, &b);
    ms_tar_type t[2];
    size_t n = 0;
    ms_error err;
    CHECK_INT(types_of(p, t, 2, &n, &err), MS_E_FORMAT);
    CHECK_CONTAINS(err.message, "badpax.tar");
}

/* A GNU sparse 0.1 entry with a hole: its blocks do not start at offset 0. */
static void test_sparse_blocks(void)
{
    static tbuf b;
    b.len = 0;
    tb_pax_entry(&b,
                 "22 GNU.sparse.size=10\n"
                 "26 GNU.sparse.numblocks=1\n"
                 "22 GNU.sparse.map=5,5\n",
                 "holey", "56789", 5);
    tb_end(&b);
    const char *p = tpath("holey.tar");
    save(p, &b);
    ms_error err;
    ms_tar_reader *r = NULL;
    CHECK_INT(ms_tar_reader_open(p, &r, &err), MS_OK);
    ms_tar_entry e;
    int done = 0;
    CHECK_INT(ms_tar_reader_next(r, &e, &done, &err), MS_OK);
    CHECK_INT(e.type, MS_TAR_SPARSE);
    const void *block = NULL;
    size_t len = 0;
    CHECK_INT(ms_tar_reader_block(r, &block, &len, &err), MS_E_FORMAT);
    CHECK_INT(len, 0);
    CHECK_CONTAINS(err.message, "entry data at offset 5 where 0 was due");
    ms_tar_reader_free(r);
}

static void trailing_of(const tbuf *b, const char *name, ms_status want_st, uint64_t want_end,
                        int64_t want_junk)
{
    const char *p = tpath(name);
    save(p, b);
    ms_error err;
    ms_tar_reader *r = NULL;
    CHECK_INT(ms_tar_reader_open(p, &r, &err), MS_OK);
    uint64_t end = 1;
    int64_t junk = 1;
    /* Not at the end yet: refused. */
    CHECK_INT(ms_tar_reader_trailing(r, &end, &junk, &err), MS_E_USAGE);
    ms_tar_entry e;
    int done = 0;
    while (ms_tar_reader_next(r, &e, &done, &err) == MS_OK && !done)
        CHECK_INT(ms_tar_reader_skip(r, &err), MS_OK);
    CHECK_INT(done, 1);
    CHECK_INT(ms_tar_reader_trailing(r, &end, &junk, &err), want_st);
    CHECK_INT(end, want_end);
    CHECK_INT(junk, want_junk);
    ms_tar_reader_free(r);
}

static void test_trailing(void)
{
    static tbuf b;
    b.len = 0;
    tb_entry(&b, "a", '0', "data", 4);
    tb_end(&b);
    trailing_of(&b, "clean.tar", MS_OK, 2048, -1);
    static const uint8_t zeros[9216];
    tb_put(&b, zeros, sizeof zeros); /* padding to a 10 KiB record */
    trailing_of(&b, "padded.tar", MS_OK, 2048, -1);
    tb_put(&b, "!", 1);
    trailing_of(&b, "junk.tar", MS_OK, 2048, 2048 + 9216);

    /* One zero block, then another entry: the archive ended at the zero block. */
    b.len = 0;
    tb_entry(&b, "a", '0', "data", 4);
    tb_put(&b, zeros, 512);
    tb_entry(&b, "smuggled", '0', "data", 4);
    tb_end(&b);
    trailing_of(&b, "lone.tar", MS_OK, 1536, 1536);

    /* No end-of-archive marker at all: the archive ends after its last entry. */
    b.len = 0;
    tb_entry(&b, "a", '0', "data", 4);
    trailing_of(&b, "unmarked.tar", MS_OK, 1024, -1);
}

int main(void)
{
    const char *base = getenv("TMPDIR");
    snprintf(tmpdir, sizeof tmpdir, "%s/ms-test-tar-rules-XXXXXX",
             base != NULL && base[0] != '\0' ? base : "/tmp");
    if (mkdtemp(tmpdir) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    test_typeflags();
    test_sparse_blocks();
    test_malformed_pax();
    test_trailing();
    static const char *names[] = {"types.tar", "holey.tar", "clean.tar", "padded.tar",
                                  "junk.tar", "lone.tar", "unmarked.tar", "badpax.tar"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        unlink(tpath(names[i]));
    rmdir(tmpdir);
    return check_finish("test_tar_rules");
}
