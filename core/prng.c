#include <sodium.h>

#include "core/prng.h"

int ms_chacha20_stream(const uint8_t key[32], const uint8_t nonce[12], uint8_t *out, size_t len)
{
    if (sodium_init() < 0)
        return -1;
    if ((uint64_t)len > (1ULL << 38))
        return -1;
    return crypto_stream_chacha20_ietf(out, (unsigned long long)len, nonce, key) == 0 ? 0 : -1;
}
