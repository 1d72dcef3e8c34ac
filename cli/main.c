#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

static const char usage_text[] =
    "usage: modelseal COMMAND [OPTIONS] ARGS\n"
    "\n"
    "commands:\n"
    "  keygen   make a signing key pair\n"
    "  pack     pack a model into a signed bundle\n"
    "  verify   verify a bundle against trusted keys\n"
    "  inspect  describe a bundle (no trust decision)\n"
    "  unpack   verify a bundle, then write its model files\n"
    "  compress quantize and prune a safetensors model, with a fidelity report\n"
    "\n"
    "`modelseal COMMAND --help` describes each command.\n"
    "exit status: 0 ok, 1 rejected, 2 usage error, 3 could not check, 4 internal error\n";

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "modelseal %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, " (see modelseal %s --help)\n", cmd);
    return EXIT_USAGE;
}

int cli_fail(const char *cmd, const ms_error *err)
{
    fprintf(stderr, "modelseal %s: %s\n", cmd,
            err->message[0] ? err->message : ms_strerror(err->status));
    return ms_exit_status(err->status);
}

int cli_load_trust(const char *cmd, char **paths, size_t n, ms_public_key ***keys)
{
    *keys = calloc(n ? n : 1, sizeof **keys);
    if (*keys == NULL) {
        fprintf(stderr, "modelseal %s: out of memory\n", cmd);
        return EXIT_INTERNAL;
    }
    for (size_t i = 0; i < n; i++) {
        ms_error err;
        if (ms_public_key_load(paths[i], &(*keys)[i], &err) != MS_OK) {
            cli_free_trust(*keys, n);
            *keys = NULL;
            return cli_fail(cmd, &err);
        }
    }
    return 0;
}

void cli_free_trust(ms_public_key **keys, size_t n)
{
    if (keys == NULL)
        return;
    for (size_t i = 0; i < n; i++)
        ms_public_key_free(keys[i]);
    free(keys);
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
        {"inspect", cmd_inspect}, {"unpack", cmd_unpack}, {"compress", cmd_compress},
    };
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(cmd, commands[i].name) == 0)
            return commands[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "modelseal: unknown command '%s' (see modelseal --help)\n", cmd);
    return EXIT_USAGE;
}
