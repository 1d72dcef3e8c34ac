/*
 * modelseal: errors.
 *
 * Every library function that can fail returns an ms_status and, when given
 * a non-NULL ms_error, fills it with the status and a message that names the
 * file, field, tensor or offset concerned.  The library never prints and
 * never exits; callers decide what to show and which exit status to use
 * (ms_exit_status()).
 *
 * Codes are append-only: a released code never changes its value.
 */
#ifndef MODELSEAL_ERROR_H
#define MODELSEAL_ERROR_H

#ifdef __cplusplus
extern "C" {
#endif

typedef enum ms_status {
    MS_OK = 0,
    MS_E_USAGE = 1,       /* the caller passed an invalid argument or option */
    MS_E_IO = 2,          /* reading or writing a file failed */
    MS_E_NOMEM = 3,       /* out of memory */
    MS_E_FORMAT = 4,      /* input is malformed (bad JSON, bad header, bad tar) */
    MS_E_LIMIT = 5,       /* input exceeds a documented size or count limit */
    MS_E_UNSUPPORTED = 6, /* well-formed but unsupported (format version, algorithm) */
    MS_E_KEY = 7,         /* a key file is unusable */
    MS_E_PERMISSION = 8,  /* a secret key file is readable by group or others */
    MS_E_CRYPTO = 9,      /* the cryptographic library reported a failure */
    MS_E_REJECTED = 10,   /* input was checked and found bad: digest, signature, subject */
    MS_E_EXISTS = 11,     /* refusing to overwrite an existing file */
    MS_E_UNSAFE_PATH = 12,/* a path would leave its target directory */
    MS_E_INTERNAL = 13,   /* a bug in modelseal */
} ms_status;

#define MS_STATUS_COUNT 14
#define MS_ERROR_MESSAGE_MAX 1024

typedef struct ms_error {
    ms_status status;
    char message[MS_ERROR_MESSAGE_MAX];
} ms_error;

/* Short, static description of a status code; never NULL. */
const char *ms_strerror(ms_status status);

/*
 * The command-line exit status for a status code:
 *   0 success, 1 rejected, 2 usage, 3 could not check, 4 internal.
 */
int ms_exit_status(ms_status status);

/* Reset an error record to MS_OK with an empty message.  Accepts NULL. */
void ms_error_clear(ms_error *err);

#ifdef __cplusplus
}
#endif
#endif
