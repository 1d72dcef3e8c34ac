/* Base64: RFC 4648 vectors, both alphabets, optional padding and refusals. */
#include <stdint.h>

#include "../unit/check.h"
#include "core/base64.h"
#include "modelseal/dsse.h"

/* Decode s; return the status and leave the result in *out (NUL-terminated for text). */
static int dec(const char *s, char **out, size_t *out_len)
{
    uint8_t *b = NULL;
    size_t n = 0;
    int rc = ms_base64_decode(s, strlen(s), &b, &n);
    *out = NULL;
    *out_len = n;
    if (rc == 0) {
        *out = malloc(n + 1);
        if (*out != NULL) {
            memcpy(*out, b, n);
            (*out)[n] = '\0';
        }
    }
    free(b);
    return rc;
}

static void check_decodes_to(const char *in, const char *want)
{
    char *got = NULL;
    size_t n = 0;
    CHECK_INT(dec(in, &got, &n), 0);
    CHECK_INT(n, strlen(want));
    CHECK_STR(got, want);
    free(got);
}

static void check_refused(const char *in)
{
    char *got = NULL;
    size_t n = 0;
    int rc = dec(in, &got, &n);
    if (rc != MS_B64_INVALID)
        fprintf(stderr, "base64 input \"%s\" was not refused\n", in);
    CHECK_INT(rc, MS_B64_INVALID);
    CHECK(got == NULL);
    free(got);
}

static void test_rfc4648(void)
{
    static const char *const plain[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
    static const char *const padded[] = {"",         "Zg==",     "Zm8=",    "Zm9v",
                                         "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
    static const char *const bare[] = {"", "Zg", "Zm8", "Zm9v", "Zm9vYg", "Zm9vYmE", "Zm9vYmFy"};
    for (size_t i = 0; i < sizeof plain / sizeof plain[0]; i++) {
        char *e = ms_base64_encode((const uint8_t *)plain[i], strlen(plain[i]));
        CHECK_STR(e, padded[i]);
        free(e);
        check_decodes_to(padded[i], plain[i]);
        check_decodes_to(bare[i], plain[i]);
    }
}

static void test_alphabets(void)
{
    /* fb ff fe uses the two alphabet-specific characters of each alphabet. */
    static const uint8_t bytes[] = {0xfb, 0xff, 0xfe, 0xfb};
    char *e = ms_base64_encode(bytes, sizeof bytes);
    CHECK_STR(e, "+//++w==");
    free(e);
    static const char *const forms[] = {"+//++w==", "+//++w", "-__--w==", "-__--w"};
    for (size_t i = 0; i < 4; i++) {
        uint8_t *b = NULL;
        size_t n = 0;
        CHECK_INT(ms_base64_decode(forms[i], strlen(forms[i]), &b, &n), 0);
        CHECK_INT(n, sizeof bytes);
        CHECK(b != NULL && memcmp(b, bytes, sizeof bytes) == 0);
        free(b);
    }
    /* Mixing the alphabets in one string. */
    check_refused("+__+");
    check_refused("-//-");
    check_refused("+//-_w==");
}

static void test_refusals(void)
{
    /* Characters outside both alphabets, whitespace included. */
    check_refused("Zm9v!");
    check_refused("Zm9v YmFy");
    check_refused("Zm9vYmFy\n");
    check_refused(" Zm9v");
    check_refused("Zm9v\tYmFy");
    check_refused("Zm9v.mFy");
    check_refused("Zm9v\xc3\xa9mFy");
    /* Lengths that are 1 mod 4. */
    check_refused("Z");
    check_refused("Zm9vY");
    check_refused("Zm9vYmFyZ");
    check_refused("Z===");
    /* Misplaced, partial or excess padding. */
    check_refused("=");
    check_refused("==");
    check_refused("====");
    check_refused("Zg=");
    check_refused("Zg===");
    check_refused("Zm8==");
    check_refused("Zm9v=");
    check_refused("Zm9v====");
    check_refused("=Zm9");
    check_refused("Zm=v");
    check_refused("Zg==Zg==");
    check_refused("Zm8=Zm8=");
    /* Non-zero trailing bits (non-canonical encodings of "f" and "fo"). */
    check_refused("Zh==");
    check_refused("Zh");
    check_refused("Zm9=");
    check_refused("Zm9");
    /* An embedded NUL within the given length. */
    uint8_t *b = NULL;
    size_t n = 0;
    CHECK_INT(ms_base64_decode("Zm\0v", 4, &b, &n), MS_B64_INVALID);
    CHECK(b == NULL);
    CHECK_INT(ms_base64_decode(NULL, 4, &b, &n), MS_B64_INVALID);
    /* Empty input decodes to an empty, non-NULL buffer. */
    CHECK_INT(ms_base64_decode("", 0, &b, &n), 0);
    CHECK(b != NULL);
    CHECK_INT(n, 0);
    free(b);
}

static void test_into_and_limits(void)
{
    uint8_t out[8];
    size_t n = 0;
    CHECK_INT(ms_base64_decode_into("Zm9vYmFy", 8, out, 5, &n), MS_B64_SPACE);
    CHECK_INT(ms_base64_decode_into("Zm9vYmFy", 8, out, 6, &n), 0);
    CHECK_INT(n, 6);
    CHECK_MEM(out, "foobar", 6);
    size_t len = 0;
    CHECK_INT(ms_base64_encoded_len(SIZE_MAX, &len), -1);
    CHECK_INT(ms_base64_encoded_len(SIZE_MAX / 4 * 3 + 3, &len), -1);
    CHECK_INT(ms_base64_encoded_len(SIZE_MAX / 4 * 3, &len), 0);
    CHECK_INT(ms_base64_encoded_len(0, &len), 0);
    CHECK_INT(len, 0);
    CHECK_INT(ms_base64_encoded_len(32, &len), 0);
    CHECK_INT(len, 44);
    CHECK(ms_base64_decoded_max(44) >= 32);
}

/* Every byte value in every position, against a plain table-driven encoder. */
static void test_round_trips(void)
{
    static const char table[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    uint8_t buf[300] = {0};
    uint32_t x = 12345;
    for (size_t len = 0; len <= sizeof buf; len++) {
        for (size_t i = 0; i < len; i++) {
            x = x * 1103515245u + 12345u;
            buf[i] = len == 256 ? (uint8_t)i : (uint8_t)(x >> 16);
        }
        char *e = ms_base64_encode(buf, len);
        CHECK(e != NULL);
        if (e == NULL)
            return;
        /* Reference encoding. */
        char ref[404];
        size_t o = 0;
        for (size_t i = 0; i < len; i += 3) {
            uint32_t w = (uint32_t)buf[i] << 16;
            if (i + 1 < len)
                w |= (uint32_t)buf[i + 1] << 8;
            if (i + 2 < len)
                w |= buf[i + 2];
            ref[o++] = table[(w >> 18) & 63];
            ref[o++] = table[(w >> 12) & 63];
            ref[o++] = i + 1 < len ? table[(w >> 6) & 63] : '=';
            ref[o++] = i + 2 < len ? table[w & 63] : '=';
        }
        ref[o] = '\0';
        if (strcmp(e, ref) != 0) {
            CHECK_STR(e, ref);
            free(e);
            return;
        }
        uint8_t *d = NULL;
        size_t n = 0;
        int ok = ms_base64_decode(e, strlen(e), &d, &n) == 0 && n == len &&
                 (len == 0 || memcmp(d, buf, len) == 0);
        free(d);
        /* URL-safe without padding. */
        size_t el = strlen(e);
        while (el > 0 && e[el - 1] == '=')
            el--;
        for (size_t i = 0; i < el; i++)
            e[i] = e[i] == '+' ? '-' : e[i] == '/' ? '_' : e[i];
        ok = ok && ms_base64_decode(e, el, &d, &n) == 0 && n == len &&
             (len == 0 || memcmp(d, buf, len) == 0);
        free(d);
        free(e);
        if (!ok) {
            fprintf(stderr, "round trip failed at length %zu\n", len);
            CHECK(ok);
            return;
        }
    }
    CHECK(1);
}

int main(void)
{
    test_rfc4648();
    test_alphabets();
    test_refusals();
    test_into_and_limits();
    test_round_trips();
    return check_finish("test_base64");
}
