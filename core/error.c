#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/error_internal.h"
#include "core/text.h"

const char *ms_strerror(ms_status status)
{
    switch (status) {
    case MS_OK: return "success";
    case MS_E_USAGE: return "invalid usage";
    case MS_E_IO: return "input/output error";
    case MS_E_NOMEM: return "out of memory";
    case MS_E_FORMAT: return "malformed input";
    case MS_E_LIMIT: return "input exceeds a limit";
    case MS_E_UNSUPPORTED: return "unsupported input";
    case MS_E_KEY: return "unusable key";
    case MS_E_PERMISSION: return "insecure file permissions";
    case MS_E_CRYPTO: return "cryptographic library failure";
    case MS_E_REJECTED: return "verification failed";
    case MS_E_EXISTS: return "file exists";
    case MS_E_UNSAFE_PATH: return "unsafe path";
    case MS_E_INTERNAL: return "internal error";
    }
    return "unknown status";
}

int ms_exit_status(ms_status status)
{
    switch (status) {
    case MS_OK: return 0;
    case MS_E_REJECTED:
    case MS_E_UNSAFE_PATH: return 1;
    case MS_E_USAGE: return 2;
    case MS_E_IO:
    case MS_E_NOMEM:
    case MS_E_FORMAT:
    case MS_E_LIMIT:
    case MS_E_UNSUPPORTED:
    case MS_E_KEY:
    case MS_E_PERMISSION:
    case MS_E_CRYPTO:
    case MS_E_EXISTS: return 3;
    case MS_E_INTERNAL: return 4;
    }
    return 4;
}

void ms_error_clear(ms_error *err)
{
    if (err == NULL)
        return;
    err->status = MS_OK;
    err->message[0] = '\0';
}

ms_status ms_fail(ms_error *err, ms_status status, const char *fmt, ...)
{
    if (err == NULL)
        return status;
    err->status = status;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
    ms_text_sanitize(err->message, sizeof err->message);
    return status;
}

ms_status ms_fail_prefix(ms_error *err, const char *fmt, ...)
{
    if (err == NULL)
        return MS_E_INTERNAL;
    char prefix[256];
    char old[MS_ERROR_MESSAGE_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    memcpy(old, err->message, sizeof old);
    /* A message too long for the record is cut; it stays NUL-terminated. */
    int n = snprintf(err->message, sizeof err->message, "%s: ", prefix);
    if (n > 0 && (size_t)n < sizeof err->message)
        memcpy(err->message + n, old, strnlen(old, sizeof err->message - (size_t)n - 1) + 1);
    err->message[sizeof err->message - 1] = '\0';
    ms_text_sanitize(err->message, sizeof err->message);
    return err->status;
}
