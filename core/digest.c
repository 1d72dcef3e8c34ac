#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "core/digest.h"
#include "core/progress.h"
#include "core/error_internal.h"
#include "core/safeopen.h"

struct ms_sha256 {
    EVP_MD_CTX *ctx;
};

ms_sha256 *ms_sha256_new(void)
{
    ms_sha256 *h = calloc(1, sizeof *h);
    if (h == NULL)
        return NULL;
    h->ctx = EVP_MD_CTX_new();
    if (h->ctx == NULL || EVP_DigestInit_ex(h->ctx, EVP_sha256(), NULL) != 1) {
        EVP_MD_CTX_free(h->ctx);
        free(h);
        return NULL;
    }
    return h;
}

void ms_sha256_free(ms_sha256 *h)
{
    if (h == NULL)
        return;
    EVP_MD_CTX_free(h->ctx);
    free(h);
}

void ms_sha256_update(ms_sha256 *h, const void *data, size_t len)
{
    if (len > 0)
        EVP_DigestUpdate(h->ctx, data, len);
}

void ms_sha256_final(ms_sha256 *h, uint8_t out[MS_SHA256_LEN])
{
    unsigned int n = 0;
    EVP_DigestFinal_ex(h->ctx, out, &n);
    EVP_DigestInit_ex(h->ctx, EVP_sha256(), NULL);
}

void ms_sha256_buf(const void *data, size_t len, uint8_t out[MS_SHA256_LEN])
{
    unsigned int n = 0;
    EVP_Digest(data, len, out, &n, EVP_sha256(), NULL);
}

/* id: {dev, ino} the file must still be, or NULL; counted: report bytes as progress. */
static ms_status sha256_file(const char *path, const uint64_t *id, uint8_t out[MS_SHA256_LEN],
                             uint64_t *size, int counted, ms_error *err)
{
    int fd;
    struct stat sb;
    ms_status ost = ms_open_regular(path, 0, &fd, &sb, err);
    if (ost != MS_OK)
        return ost;
    if (id != NULL && ((uint64_t)sb.st_dev != id[0] || (uint64_t)sb.st_ino != id[1])) {
        close(fd);
        return ms_fail(err, MS_E_IO, "%s: replaced by another file since it was first found",
                       path);
    }
    ms_sha256 *h = ms_sha256_new();
    enum { CHUNK = 1 << 20 };
    uint8_t *buf = malloc(CHUNK);
    if (h == NULL || buf == NULL) {
        ms_sha256_free(h);
        free(buf);
        close(fd);
        return ms_fail(err, MS_E_NOMEM, "%s: out of memory", path);
    }
    uint64_t total = 0;
    ms_status st = MS_OK;
    for (;;) {
        ssize_t r = read(fd, buf, CHUNK);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            st = ms_fail(err, MS_E_IO, "%s: read failed: %s", path, strerror(errno));
            break;
        }
        if (r == 0)
            break;
        ms_sha256_update(h, buf, (size_t)r);
        total += (uint64_t)r;
        if (counted)
            ms_prog_add((uint64_t)r, 0);
    }
    /* A file that reports one size and reads another (/proc, /sys, or one being
     * written) cannot be sealed as what it claims to be. */
    if (st == MS_OK && total != (uint64_t)sb.st_size)
        st = ms_fail(err, MS_E_IO,
                     "%s: reports %lld bytes but %llu were read (a special file, or one being "
                     "changed)",
                     path, (long long)sb.st_size, (unsigned long long)total);
    if (st == MS_OK) {
        ms_sha256_final(h, out);
        if (size != NULL)
            *size = total;
    }
    ms_sha256_free(h);
    free(buf);
    close(fd);
    return st;
}

ms_status ms_sha256_file(const char *path, uint8_t out[MS_SHA256_LEN], uint64_t *size,
                         ms_error *err)
{
    return sha256_file(path, NULL, out, size, 0, err);
}

ms_status ms_sha256_file_same(const char *path, uint64_t dev, uint64_t ino,
                              uint8_t out[MS_SHA256_LEN], uint64_t *size, ms_error *err)
{
    const uint64_t id[2] = {dev, ino};
    return sha256_file(path, id, out, size, 1, err);
}

void ms_hex_encode(const uint8_t *in, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[2 * n] = '\0';
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int ms_hex_decode(const char *in, size_t n, uint8_t *out)
{
    if (strlen(in) != 2 * n)
        return -1;
    for (size_t i = 0; i < n; i++) {
        int hi = hexval(in[2 * i]), lo = hexval(in[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return -1;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return 0;
}

int ms_is_sha256_hex(const char *s)
{
    size_t i;
    for (i = 0; s[i] != '\0'; i++) {
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return 0;
    }
    return i == MS_SHA256_HEX_LEN;
}
