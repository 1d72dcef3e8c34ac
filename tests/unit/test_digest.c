/* Unit tests for core/digest.c: SHA-256 vectors, file hashing, hex helpers. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "core/digest.h"

static char tmpdir[4096];

static void make_tmpdir(void)
{
    const char *base = getenv("TMPDIR");
    snprintf(tmpdir, sizeof tmpdir, "%s/ms-test-digest-XXXXXX",
             base != NULL && base[0] != '\0' ? base : "/tmp");
    if (mkdtemp(tmpdir) == NULL) {
        perror("mkdtemp");
        exit(1);
    }
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static void remove_tmpdir(void)
{
    nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (f == NULL || (len > 0 && fwrite(data, 1, len, f) != len) || fclose(f) != 0) {
        perror(path);
        exit(1);
    }
}

static void hex_of(const uint8_t d[MS_SHA256_LEN], char out[MS_SHA256_HEX_LEN + 1])
{
    ms_hex_encode(d, MS_SHA256_LEN, out);
}

static const char *buf_hex(const void *data, size_t len)
{
    static char out[MS_SHA256_HEX_LEN + 1];
    uint8_t d[MS_SHA256_LEN];
    ms_sha256_buf(data, len, d);
    hex_of(d, out);
    return out;
}

#define HEX_EMPTY "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define HEX_ABC "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
#define MSG_448 "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"
#define HEX_448 "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
#define MSG_896                                                                                    \
    "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnop"       \
    "qrlmnopqrsmnopqrstnopqrstu"
#define HEX_896 "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"
#define HEX_MILLION_A "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"
/* bytes 0..255 repeated 4100 times (1,049,600 bytes: more than one 1 MiB read). */
#define HEX_RAMP "5458c23abbce8d80a1b5b46d0555aa348c762d344e86b9f833d54ce982f3832f"

static void test_vectors(void)
{
    CHECK_STR(buf_hex("", 0), HEX_EMPTY);
    CHECK_STR(buf_hex("abc", 3), HEX_ABC);
    CHECK_STR(buf_hex(MSG_448, strlen(MSG_448)), HEX_448);
    CHECK_INT(strlen(MSG_448), 56); /* 448 bits */
    CHECK_STR(buf_hex(MSG_896, strlen(MSG_896)), HEX_896);
    /* One bit of difference changes the digest. */
    CHECK(strcmp(buf_hex("abd", 3), HEX_ABC) != 0);
    CHECK(strcmp(buf_hex("abc", 2), HEX_ABC) != 0);
}

static void test_streaming(void)
{
    ms_sha256 *h = ms_sha256_new();
    CHECK(h != NULL);
    uint8_t d[MS_SHA256_LEN];
    char hex[MS_SHA256_HEX_LEN + 1];

    /* One million 'a' in odd chunk sizes, with zero-length updates mixed in. */
    static char as[1000];
    memset(as, 'a', sizeof as);
    static const size_t sizes[] = {1, 3, 7, 63, 64, 65, 127, 0, 999, 13, 500, 1000, 0, 2};
    size_t total = 0, i = 0;
    while (total < 1000000) {
        size_t n = sizes[i++ % (sizeof sizes / sizeof sizes[0])];
        if (n > 1000000 - total)
            n = 1000000 - total;
        ms_sha256_update(h, as, n);
        total += n;
    }
    CHECK_INT(total, 1000000);
    ms_sha256_final(h, d);
    hex_of(d, hex);
    CHECK_STR(hex, HEX_MILLION_A);

    /* final resets the context: the same handle hashes the next message alone. */
    ms_sha256_update(h, "a", 1);
    ms_sha256_update(h, "bc", 2);
    ms_sha256_final(h, d);
    hex_of(d, hex);
    CHECK_STR(hex, HEX_ABC);
    ms_sha256_final(h, d);
    hex_of(d, hex);
    CHECK_STR(hex, HEX_EMPTY);

    /* The 448-bit message one byte at a time. */
    for (size_t k = 0; k < strlen(MSG_448); k++)
        ms_sha256_update(h, &MSG_448[k], 1);
    ms_sha256_final(h, d);
    hex_of(d, hex);
    CHECK_STR(hex, HEX_448);
    ms_sha256_free(h);
    ms_sha256_free(NULL);
}

static void test_file(void)
{
    char path[4200];
    uint8_t d[MS_SHA256_LEN], want[MS_SHA256_LEN];
    char hex[MS_SHA256_HEX_LEN + 1];
    uint64_t size = 99;
    ms_error err;

    size_t n = 256u * 4100u;
    uint8_t *ramp = malloc(n);
    if (ramp == NULL)
        abort();
    for (size_t i = 0; i < n; i++)
        ramp[i] = (uint8_t)i;
    snprintf(path, sizeof path, "%s/ramp.bin", tmpdir);
    write_file(path, ramp, n);
    ms_error_clear(&err);
    CHECK_INT(ms_sha256_file(path, d, &size, &err), MS_OK);
    CHECK_INT(err.status, MS_OK);
    CHECK_INT(size, n);
    ms_sha256_buf(ramp, n, want);
    CHECK_MEM(d, want, MS_SHA256_LEN);
    hex_of(d, hex);
    CHECK_STR(hex, HEX_RAMP);
    free(ramp);

    /* Empty file; size may be NULL. */
    snprintf(path, sizeof path, "%s/empty", tmpdir);
    write_file(path, "", 0);
    memset(d, 0xee, sizeof d);
    CHECK_INT(ms_sha256_file(path, d, NULL, &err), MS_OK);
    hex_of(d, hex);
    CHECK_STR(hex, HEX_EMPTY);
    size = 99;
    CHECK_INT(ms_sha256_file(path, d, &size, &err), MS_OK);
    CHECK_INT(size, 0);

    snprintf(path, sizeof path, "%s/abc.txt", tmpdir);
    write_file(path, "abc", 3);
    CHECK_INT(ms_sha256_file(path, d, &size, NULL), MS_OK);
    hex_of(d, hex);
    CHECK_STR(hex, HEX_ABC);
    CHECK_INT(size, 3);

    /* A missing file: MS_E_IO naming the file and the reason; size untouched. */
    snprintf(path, sizeof path, "%s/no-such-file.bin", tmpdir);
    size = 77;
    ms_error_clear(&err);
    CHECK_INT(ms_sha256_file(path, d, &size, &err), MS_E_IO);
    CHECK_INT(err.status, MS_E_IO);
    CHECK_CONTAINS(err.message, path);
    CHECK_CONTAINS(err.message, "no-such-file.bin: cannot open");
    CHECK_CONTAINS(err.message, strerror(ENOENT));
    CHECK_INT(size, 77);
    CHECK_INT(ms_sha256_file(path, d, &size, NULL), MS_E_IO);

    /* A directory is not a regular file: MS_E_IO, size untouched. */
    ms_error_clear(&err);
    CHECK_INT(ms_sha256_file(tmpdir, d, &size, &err), MS_E_IO);
    CHECK_CONTAINS(err.message, tmpdir);
    CHECK_CONTAINS(err.message, "not a regular file (a directory)");
    CHECK_INT(size, 77);

    /* A FIFO is refused at once, not waited on for a writer. */
    snprintf(path, sizeof path, "%s/fifo.bin", tmpdir);
    CHECK_INT(mkfifo(path, 0600), 0);
    ms_error_clear(&err);
    CHECK_INT(ms_sha256_file(path, d, &size, &err), MS_E_IO);
    CHECK_CONTAINS(err.message, "fifo.bin: not a regular file (a FIFO)");
    unlink(path);

    /* Hashing the file found earlier: the same device and inode, or a refusal. */
    snprintf(path, sizeof path, "%s/same.bin", tmpdir);
    FILE *sf = fopen(path, "wb");
    CHECK(sf != NULL);
    if (sf != NULL) {
        fputs("abc", sf);
        fclose(sf);
    }
    struct stat ssb;
    CHECK_INT(stat(path, &ssb), 0);
    CHECK_INT(ms_sha256_file_same(path, (uint64_t)ssb.st_dev, (uint64_t)ssb.st_ino, d, &size,
                                  &err),
              MS_OK);
    CHECK_INT(size, 3);
    size = 77;
    ms_error_clear(&err);
    CHECK_INT(ms_sha256_file_same(path, (uint64_t)ssb.st_dev, (uint64_t)ssb.st_ino + 1, d, &size,
                                  &err),
              MS_E_IO);
    CHECK_CONTAINS(err.message, "same.bin: replaced by another file since it was first found");
    CHECK_INT(size, 77);
    unlink(path);

    /* A file that reports size 0 and still returns data is not hashed as empty. */
    ms_error_clear(&err);
    CHECK_INT(ms_sha256_file("/proc/self/status", d, &size, &err), MS_E_IO);
    CHECK_CONTAINS(err.message, "/proc/self/status: reports 0 bytes but ");
    CHECK_INT(size, 77);
}

static void test_hex(void)
{
    uint8_t in[40], back[40];
    for (size_t i = 0; i < sizeof in; i++)
        in[i] = (uint8_t)(i * 37 + 11);
    char hex[2 * sizeof in + 1];
    ms_hex_encode(in, sizeof in, hex);
    CHECK_INT(strlen(hex), 80);
    CHECK_INT(ms_hex_decode(hex, sizeof in, back), 0);
    CHECK_MEM(in, back, sizeof in);

    const uint8_t bytes[] = {0x00, 0x0f, 0xa0, 0xff, 0x5a};
    char h5[11];
    ms_hex_encode(bytes, 5, h5);
    CHECK_STR(h5, "000fa0ff5a");
    char h0[1] = {'x'};
    ms_hex_encode(bytes, 0, h0);
    CHECK_STR(h0, "");

    uint8_t out[5];
    CHECK_INT(ms_hex_decode("000FA0fF5A", 5, out), 0); /* upper case accepted on input */
    CHECK_MEM(out, bytes, 5);
    CHECK_INT(ms_hex_decode("", 0, out), 0);

    /* Wrong length, odd length, bad characters. */
    memset(out, 0x11, sizeof out);
    CHECK_INT(ms_hex_decode("000fa0ff5", 5, out), -1);
    CHECK_INT(ms_hex_decode("000fa0ff5a0", 5, out), -1);
    CHECK_INT(ms_hex_decode("000fa0ff5a00", 5, out), -1);
    CHECK_INT(ms_hex_decode("000fa0ff", 5, out), -1);
    CHECK_INT(ms_hex_decode("", 5, out), -1);
    CHECK_INT(ms_hex_decode("00", 0, out), -1);
    CHECK_INT(ms_hex_decode("000fa0ff5g", 5, out), -1);
    CHECK_INT(ms_hex_decode("g00fa0ff5a", 5, out), -1);
    CHECK_INT(ms_hex_decode("000fa0 f5a", 5, out), -1);
    CHECK_INT(ms_hex_decode("0x0fa0ff5a", 5, out), -1);
    CHECK_INT(ms_hex_decode("000fa0ff-a", 5, out), -1);
    CHECK_INT(ms_hex_decode("000fa0ff5\n", 5, out), -1);
    CHECK_INT(ms_hex_decode("000fa0ff5:", 5, out), -1); /* ':' follows '9' */
    CHECK_INT(ms_hex_decode("000fa0ff5@", 5, out), -1); /* '@' precedes 'A' */
    CHECK_INT(ms_hex_decode("000fa0ff5`", 5, out), -1); /* '`' precedes 'a' */
    CHECK_INT(ms_hex_decode("000fa0ff5G", 5, out), -1);
    CHECK_INT(ms_hex_decode("000fa0ff5\xc3", 5, out), -1);
}

static void test_is_sha256_hex(void)
{
    CHECK_INT(ms_is_sha256_hex(HEX_ABC), 1);
    CHECK_INT(ms_is_sha256_hex(HEX_EMPTY), 1);
    CHECK_INT(ms_is_sha256_hex("0000000000000000000000000000000000000000000000000000000000000000"),
              1);

    char s[80];
    /* Upper case anywhere is refused. */
    strcpy(s, HEX_ABC);
    s[0] = 'B';
    CHECK_INT(ms_is_sha256_hex(s), 0);
    strcpy(s, HEX_ABC);
    s[63] = 'D';
    CHECK_INT(ms_is_sha256_hex(s), 0);
    /* 63 and 65 characters. */
    strcpy(s, HEX_ABC);
    s[63] = '\0';
    CHECK_INT(ms_is_sha256_hex(s), 0);
    strcpy(s, HEX_ABC);
    strcat(s, "0");
    CHECK_INT(ms_is_sha256_hex(s), 0);
    CHECK_INT(ms_is_sha256_hex(""), 0);
    CHECK_INT(ms_is_sha256_hex("abc"), 0);
    /* Non-hex characters at 64 characters. */
    strcpy(s, HEX_ABC);
    s[10] = 'g';
    CHECK_INT(ms_is_sha256_hex(s), 0);
    strcpy(s, HEX_ABC);
    s[32] = ' ';
    CHECK_INT(ms_is_sha256_hex(s), 0);
    strcpy(s, HEX_ABC);
    s[5] = '/';
    CHECK_INT(ms_is_sha256_hex(s), 0);
    CHECK_INT(ms_is_sha256_hex("sha256:" HEX_ABC), 0);
    strcpy(s, HEX_ABC);
    s[63] = '\n';
    CHECK_INT(ms_is_sha256_hex(s), 0);
}

int main(void)
{
    make_tmpdir();
    test_vectors();
    test_streaming();
    test_file();
    test_hex();
    test_is_sha256_hex();
    remove_tmpdir();
    return check_finish("test_digest");
}
