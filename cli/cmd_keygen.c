#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "cli/passphrase.h"

static const char help[] =
    "usage: modelseal keygen -o NAME [--algorithm ALG]\n"
    "                        [--passphrase-file FILE | --unencrypted]\n"
    "\n"
    "Make a signing key pair: NAME.key (secret, mode 0600) and NAME.pub (public).\n"
    "The secret key is encrypted with a passphrase (Argon2id, XChaCha20-Poly1305)\n"
    "unless --unencrypted is given.  Existing files are never overwritten.\n"
    "\n"
    "options:\n"
    "  -o, --output NAME       write NAME.key and NAME.pub\n"
    "  --algorithm ALG         ed25519 (the default), ecdsa-p256 or ecdsa-p384\n"
    "  --passphrase-file FILE  the passphrase is the first line of FILE\n"
    "  --unencrypted           store the secret key without encryption\n"
    "  -h, --help              show this help\n"
    "\n"
    "Without --passphrase-file the passphrase comes from the environment variable\n"
    "MODELSEAL_PASSPHRASE, else it is asked twice on the terminal.\n";

/* Refuse before asking for a passphrase: ms_key_write_pair() checks again (O_EXCL). */
static int exists(const char *name, const char *ext)
{
    char path[4096];
    struct stat st;
    int n = snprintf(path, sizeof path, "%s%s", name, ext);
    if (n < 0 || (size_t)n >= sizeof path || lstat(path, &st) != 0)
        return 0;
    fprintf(stderr, "modelseal keygen: %s: already exists\n", path);
    return 1;
}

int cmd_keygen(int argc, char **argv)
{
    static const struct option opts[] = {
        {"output", required_argument, NULL, 'o'},
        {"algorithm", required_argument, NULL, 'a'},
        {"passphrase-file", required_argument, NULL, 'P'},
        {"unencrypted", no_argument, NULL, 'U'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *out = NULL, *alg_name = "ed25519", *pass_file = NULL;
    int unencrypted = 0;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":o:h", opts, NULL)) != -1) {
        switch (c) {
        case 'o': out = optarg; break;
        case 'a': alg_name = optarg; break;
        case 'P': pass_file = optarg; break;
        case 'U': unencrypted = 1; break;
        case 'h': fputs(help, stdout); return 0;
        case ':': return cli_usage_error("keygen", "option '%s' needs a value", argv[optind - 1]);
        default: return cli_usage_error("keygen", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return cli_usage_error("keygen", "unexpected argument '%s'", argv[optind]);
    if (out == NULL)
        return cli_usage_error("keygen", "missing -o NAME");
    ms_key_algorithm alg = ms_key_algorithm_from_name(alg_name);
    if (alg == 0)
        return cli_usage_error("keygen",
                               "unknown algorithm '%s' (available: ed25519, ecdsa-p256, "
                               "ecdsa-p384)",
                               alg_name);
    if (unencrypted && pass_file != NULL)
        return cli_usage_error("keygen", "--unencrypted excludes --passphrase-file");
    if (exists(out, ".key") || exists(out, ".pub"))
        return ms_exit_status(MS_E_EXISTS);

    char *pass = NULL;
    if (!unencrypted) {
        char key_path[4096];
        snprintf(key_path, sizeof key_path, "%s.key", out);
        int rc = cli_passphrase_get("keygen", pass_file, key_path, 1, &pass);
        if (rc != 0)
            return rc;
    }
    ms_error err;
    ms_secret_key *sk = NULL;
    ms_status st = ms_key_generate(alg, &sk, &err);
    if (st == MS_OK)
        st = ms_key_write_pair(sk, out, pass, &err);
    ms_passphrase_free(pass);
    if (st != MS_OK) {
        ms_secret_key_free(sk);
        return cli_fail("keygen", &err);
    }
    printf("wrote %s.key (secret, mode 0600) and %s.pub\nkey id: %s\nalgorithm: %s\n"
           "encryption: %s\n",
           out, out, ms_secret_key_id(sk), ms_key_algorithm_name(alg),
           unencrypted ? "none" : MS_KEY_ENCRYPTION " (passphrase)");
    ms_secret_key_free(sk);
    return 0;
}
