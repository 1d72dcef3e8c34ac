#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "cli/progress.h"
#include "modelseal/compress.h"

static const char usage_text[] =
    "usage: modelseal COMMAND [OPTIONS] ARGS\n"
    "\n"
    "commands:\n"
    "  keygen   make a signing key pair\n"
    "  pack     pack a model into a signed bundle\n"
    "  sign     co-sign a bundle in a role (approver, ...)\n"
    "  verify   verify a bundle against trusted keys\n"
    "  inspect  describe a bundle (no trust decision)\n"
    "  audit    lineage and license picture; SPDX 3, CycloneDX 1.6 and DOT export\n"
    "  unpack   verify a bundle, then write its model files\n"
    "  export   verify a bundle, then write its model for a runtime (safetensors, GGUF)\n"
    "  policy   check a deployment policy, or write a starting one\n"
    "  compress quantize and prune a safetensors model, with a fidelity report\n"
    "  verify-oms verify a model against an OpenSSF Model Signing (OMS) key signature\n"
    "  sign-oms   sign a model in the OpenSSF Model Signing (OMS) format with a key\n"
    "\n"
    "`modelseal COMMAND --help` describes each command.\n"
    "exit status: 0 ok, 1 rejected, 2 usage error, 3 could not check, 4 internal error\n";

/* The first error message printed (for verify --json's error document). */
static char last_error[1024];

const char *cli_last_error(void)
{
    return last_error;
}

void cli_record_error(const char *fmt, ...)
{
    if (last_error[0] != '\0')
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(last_error, sizeof last_error, fmt, ap);
    va_end(ap);
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
    char msg[768];
    va_list ap;
    cli_progress_end();
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fprintf(stderr, "modelseal %s: %s (see modelseal %s --help)\n", cmd, msg, cmd);
    cli_record_error("%s", msg);
    return EXIT_USAGE;
}

int cli_fail(const char *cmd, const ms_error *err)
{
    cli_progress_end();
    const char *m = err->message[0] ? err->message : ms_strerror(err->status);
    fprintf(stderr, "modelseal %s: %s\n", cmd, m);
    cli_record_error("%s", m);
    return ms_exit_status(err->status);
}

int cli_load_trust(const char *cmd, char **paths, size_t n, ms_trust **trust)
{
    ms_error err;
    if (ms_trust_load((const char *const *)paths, n, trust, &err) != MS_OK)
        return cli_fail(cmd, &err);
    return 0;
}

int cli_progress_option(const char *cmd, const char *value, cli_progress_mode *mode)
{
    static const struct {
        const char *name;
        cli_progress_mode mode;
    } modes[] = {{"auto", CLI_PROGRESS_AUTO},
                 {"live", CLI_PROGRESS_LIVE},
                 {"plain", CLI_PROGRESS_PLAIN},
                 {"none", CLI_PROGRESS_NONE}};
    for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++)
        if (strcmp(value, modes[i].name) == 0) {
            *mode = modes[i].mode;
            return 0;
        }
    return cli_usage_error(cmd, "unknown --progress '%s' (auto, live, plain or none)", value);
}

int cli_load_policy(const char *cmd, const char *path, const char *key_path, int64_t at,
                    ms_policy **out)
{
    *out = NULL;
    ms_public_key *key = NULL;
    ms_error err;
    if (key_path != NULL && ms_public_key_load(key_path, &key, &err) != MS_OK) {
        fprintf(stderr, "modelseal %s: --policy-key: %s\n", cmd, err.message);
        cli_record_error("--policy-key: %s", err.message);
        return EXIT_CANNOT_CHECK;
    }
    char *problems = NULL;
    ms_status st = ms_policy_load_signed(path, key, out, &problems, &err);
    ms_public_key_free(key);
    if (st == MS_E_FORMAT && problems != NULL && problems[0] != '\0') {
        cli_record_error("%s", err.message);
        for (char *line = strtok(problems, "\n"); line != NULL; line = strtok(NULL, "\n"))
            fprintf(stderr, "modelseal %s: policy %s: %s\n", cmd, path, line);
        free(problems);
        return EXIT_CANNOT_CHECK;
    }
    free(problems);
    if (st != MS_OK) {
        /* A policy that cannot be trusted cannot be used: could not check. */
        fprintf(stderr, "modelseal %s: %s\n", cmd, err.message);
        cli_record_error("%s", err.message);
        return st == MS_E_USAGE ? EXIT_USAGE : st == MS_E_NOMEM ? EXIT_INTERNAL : EXIT_CANNOT_CHECK;
    }
    if (ms_policy_check_expiry(*out, at != 0 ? at : (int64_t)time(NULL), &err) != MS_OK) {
        fprintf(stderr, "modelseal %s: %s: %s\n", cmd, path, err.message);
        cli_record_error("%s: %s", path, err.message);
        ms_policy_free(*out);
        *out = NULL;
        return EXIT_CANNOT_CHECK;
    }
    return 0;
}

int cli_source_date_epoch(const char *cmd, int64_t *out)
{
    *out = -1;
    const char *sde = getenv("SOURCE_DATE_EPOCH");
    if (sde == NULL || sde[0] == '\0')
        return 0;
    char *end;
    errno = 0;
    long long t = strtoll(sde, &end, 10);
    if (errno != 0 || *end != '\0' || t < 0 || t > 253402300799LL)
        return cli_usage_error(cmd, "SOURCE_DATE_EPOCH '%s' is not a Unix time in seconds", sde);
    *out = t;
    return 0;
}

int cli_parse_time(const char *cmd, const char *text, int64_t *out)
{
    if (ms_time_parse(text, out) != 0)
        return cli_usage_error(cmd, "--at '%s' is not an RFC 3339 time (like "
                               "2026-01-31T12:00:00Z)", text);
    return 0;
}

int cli_write_text(const char *cmd, const char *path, const char *text)
{
    ms_error err;
    if (ms_file_write_atomic(path, text, strlen(text), &err) == MS_OK)
        return 0;
    fprintf(stderr, "modelseal %s: %s\n", cmd, err.message);
    return EXIT_CANNOT_CHECK;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fputs(usage_text, stderr);
        return EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        fputs(usage_text, stdout);
        return 0;
    }
    if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "version") == 0) {
        printf("modelseal %s (bundle format %s)\n", ms_version(), MS_BUNDLE_FORMAT_VERSION);
        return 0;
    }
    static const struct {
        const char *name;
        int (*fn)(int, char **);
    } commands[] = {
        {"keygen", cmd_keygen}, {"pack", cmd_pack},     {"verify", cmd_verify},
        {"inspect", cmd_inspect}, {"unpack", cmd_unpack}, {"compress", cmd_compress}, {"sign", cmd_sign},
        {"audit", cmd_audit}, {"policy", cmd_policy},
        {"verify-oms", cmd_verify_oms}, {"sign-oms", cmd_sign_oms},
        {"export", cmd_export},
    };
    cli_signals_install();
    /* Nothing here uses OpenBLAS's threads: stop their start-up spinning. */
    ms_blas_single_thread();
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(cmd, commands[i].name) == 0)
            return commands[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "modelseal: unknown command '%s' (see modelseal --help)\n", cmd);
    return EXIT_USAGE;
}
