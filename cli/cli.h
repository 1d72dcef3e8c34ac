/* The modelseal command-line tool: shared helpers of the command files. */
#ifndef MS_CLI_H
#define MS_CLI_H

#include <stdio.h>

#include "modelseal/modelseal.h"

#define EXIT_REJECTED 1
#define EXIT_USAGE 2
#define EXIT_CANNOT_CHECK 3
#define EXIT_INTERNAL 4

/* At most this many --trust (and --verify-parents) options. */
#define CLI_MAX_TRUST 256

/* Print "modelseal CMD: reason" and a hint to stderr; returns EXIT_USAGE. */
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The first error message printed by the helpers here ("" when none), and
 * recording one (kept only when none is recorded yet). */
const char *cli_last_error(void);
void cli_record_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Print "modelseal CMD: message" for err; returns the exit status of err->status. */
int cli_fail(const char *cmd, const ms_error *err);

/* Load every --trust file; on failure prints and returns the exit status (else 0). */
int cli_load_trust(const char *cmd, char **paths, size_t n, ms_trust **trust);
/*
 * Load a --policy file (signed by the --policy-key public key when
 * key_path is not NULL) and refuse it when expired at `at` (0: now); on
 * failure prints every mistake and returns EXIT_CANNOT_CHECK (else 0).
 */
int cli_load_policy(const char *cmd, const char *path, const char *key_path, int64_t at,
                    ms_policy **out);
/* SOURCE_DATE_EPOCH into *out (-1 when unset); EXIT_USAGE with a message if malformed. */
int cli_source_date_epoch(const char *cmd, int64_t *out);
/* Parse --at TIME (RFC 3339); on failure prints and returns EXIT_USAGE (else 0). */
int cli_parse_time(const char *cmd, const char *text, int64_t *out);

/*
 * Handlers for SIGINT, SIGTERM, SIGHUP, SIGQUIT and SIGPIPE that remove
 * named temporaries (ms_temporaries_remove) and then let the signal end the
 * process (cli/signals.c).  cli_on_fatal_signal is the handler itself.
 */
void cli_signals_install(void);
void cli_on_fatal_signal(int sig);

/*
 * Write text to path atomically (a file replaced whole, never a symbolic
 * link written through); prints and returns EXIT_CANNOT_CHECK on failure.
 */
int cli_write_text(const char *cmd, const char *path, const char *text);

int cmd_keygen(int argc, char **argv);
int cmd_audit(int argc, char **argv);
int cmd_pack(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_inspect(int argc, char **argv);
int cmd_unpack(int argc, char **argv);
int cmd_compress(int argc, char **argv);
int cmd_sign(int argc, char **argv);
int cmd_policy(int argc, char **argv);
int cmd_verify_oms(int argc, char **argv);
int cmd_sign_oms(int argc, char **argv);
int cmd_export(int argc, char **argv);

#endif
