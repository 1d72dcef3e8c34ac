#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

static const char help[] =
    "usage: modelseal keygen -o NAME [--algorithm ed25519]\n"
    "\n"
    "Make a signing key pair: NAME.key (secret, mode 0600) and NAME.pub (public).\n"
    "Existing files are never overwritten.\n"
    "\n"
    "options:\n"
    "  -o, --output NAME     write NAME.key and NAME.pub\n"
    "  --algorithm ALG       ed25519 (the default and, for now, the only choice)\n"
    "  -h, --help            show this help\n";

int cmd_keygen(int argc, char **argv)
{
    static const struct option opts[] = {
        {"output", required_argument, NULL, 'o'},
        {"algorithm", required_argument, NULL, 'a'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *out = NULL, *alg = "ed25519";
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":o:h", opts, NULL)) != -1) {
        switch (c) {
        case 'o': out = optarg; break;
        case 'a': alg = optarg; break;
        case 'h': fputs(help, stdout); return 0;
        case ':': return cli_usage_error("keygen", "option '%s' needs a value", argv[optind - 1]);
        default: return cli_usage_error("keygen", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return cli_usage_error("keygen", "unexpected argument '%s'", argv[optind]);
    if (out == NULL)
        return cli_usage_error("keygen", "missing -o NAME");
    if (strcmp(alg, "ed25519") != 0)
        return cli_usage_error("keygen", "unknown algorithm '%s' (available: ed25519)", alg);
    ms_error err;
    ms_secret_key *sk = NULL;
    if (ms_key_generate(MS_ALG_ED25519, &sk, &err) != MS_OK)
        return cli_fail("keygen", &err);
    ms_status st = ms_key_write_pair(sk, out, &err);
    if (st != MS_OK) {
        ms_secret_key_free(sk);
        return cli_fail("keygen", &err);
    }
    printf("wrote %s.key (secret, mode 0600) and %s.pub\nkey id: %s\n", out, out,
           ms_secret_key_id(sk));
    ms_secret_key_free(sk);
    return 0;
}
