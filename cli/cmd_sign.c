#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/passphrase.h"
#include "cli/progress.h"

static const char help[] =
    "usage: modelseal sign BUNDLE --key NAME.key --role ROLE [-o OUT] [--passphrase-file F]\n"
    "                      [--progress MODE | --quiet]\n"
    "\n"
    "Co-sign a bundle: add a signature, in ROLE, over an approval of the bundle's\n"
    "model manifest and provenance.  The model's digest does not change.  The\n"
    "bundle must pass its own checks (digests, manifests, signed subjects) first.\n"
    "\n"
    "options:\n"
    "  --key FILE            secret key that signs\n"
    "  --role ROLE           the role signed for, e.g. approver (a-z, 0-9, '_', '-')\n"
    "  -o, --output FILE     write the co-signed bundle there (default: replace BUNDLE)\n"
    "  --passphrase-file F   passphrase of an encrypted key (else MODELSEAL_PASSPHRASE,\n"
    "                        else a prompt on the terminal)\n"
    CLI_PROGRESS_HELP
    "  -h, --help            show this help\n"
    "\n"
    "SOURCE_DATE_EPOCH, when set, is recorded as the signing time.\n";

int cmd_sign(int argc, char **argv)
{
    static const struct option opts[] = {
        {"key", required_argument, NULL, 'k'},
        {"role", required_argument, NULL, 'r'},
        {"output", required_argument, NULL, 'o'},
        {"passphrase-file", required_argument, NULL, 'P'},
        {"progress", required_argument, NULL, 'G'},
        {"quiet", no_argument, NULL, 'Q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    ms_sign_options o = {.source_date_epoch = -1};
    const char *key_path = NULL, *passphrase_file = NULL;
    cli_progress_mode progress = CLI_PROGRESS_AUTO;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":o:h", opts, NULL)) != -1) {
        switch (c) {
        case 'k': key_path = optarg; break;
        case 'r': o.role = optarg; break;
        case 'o': o.output_path = optarg; break;
        case 'P': passphrase_file = optarg; break;
        case 'G':
            if (cli_progress_option("sign", optarg, &progress) != 0)
                return EXIT_USAGE;
            break;
        case 'Q': progress = CLI_PROGRESS_NONE; break;
        case 'h': fputs(help, stdout); return 0;
        case ':': return cli_usage_error("sign", "option '%s' needs a value", argv[optind - 1]);
        default: return cli_usage_error("sign", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind >= argc)
        return cli_usage_error("sign", "missing BUNDLE");
    if (optind + 1 < argc)
        return cli_usage_error("sign", "unexpected argument '%s'", argv[optind + 1]);
    o.bundle_path = argv[optind];
    if (key_path == NULL)
        return cli_usage_error("sign", "missing --key FILE");
    if (o.role == NULL)
        return cli_usage_error("sign", "missing --role ROLE");
    const char *p = ms_role_problem(o.role);
    if (p != NULL)
        return cli_usage_error("sign", "invalid --role '%s': %s", o.role, p);
    int sde_rc = cli_source_date_epoch("sign", &o.source_date_epoch);
    if (sde_rc != 0)
        return sde_rc;
    ms_error err;
    ms_secret_key *sk = NULL;
    int rc = cli_secret_key_load("sign", key_path, passphrase_file, &sk);
    if (rc != 0)
        return rc;
    o.key = sk;
    cli_progress_start("sign", progress, &o.progress, &o.progress_user);
    ms_status st = ms_sign(&o, &err);
    cli_progress_end();
    const char *kid = ms_secret_key_id(sk);
    char keyid[80];
    snprintf(keyid, sizeof keyid, "%s", kid);
    ms_secret_key_free(sk);
    if (st != MS_OK)
        return cli_fail("sign", &err);
    printf("signed %s as %s with key %s\n", o.output_path ? o.output_path : o.bundle_path, o.role,
           keyid);
    return 0;
}
