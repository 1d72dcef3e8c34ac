/*
 * verify-oms and sign-oms: OpenSSF Model Signing (OMS) v1.0 signatures made
 * with a key, as sigstore/model-transparency writes them (docs/oms.md).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "cli/passphrase.h"
#include "modelseal/oms.h"

static const char verify_help[] =
    "usage: modelseal verify-oms MODEL --signature SIG --key PUB [--ignore-paths P1,P2]\n"
    "                            [--no-ignore-git-paths] [--json]\n"
    "\n"
    "Verify a model directory (or a single file) against an OpenSSF Model Signing\n"
    "(OMS) v1.0 signature made with a key, by `model_signing sign key`\n"
    "(sigstore/model-transparency) or `modelseal sign-oms`: the DSSE signature under\n"
    "PUB, the subject digest against the signed file list, then every file: a\n"
    "changed, added or removed file is named.  Only PUB is trusted; a public key in\n"
    "the bundle is compared with it and a difference reported.\n"
    "\n"
    "options:\n"
    "  --signature FILE      the signature (a Sigstore bundle, e.g. model.sig); left\n"
    "                        out of the model when it lies inside it\n"
    "  --key FILE            the trusted ECDSA P-256 or P-384 public key: PEM\n"
    "                        SubjectPublicKeyInfo (text before the PEM block is\n"
    "                        skipped) or a modelseal .pub file\n"
    "  --ignore-paths P,...  leave these files or directories out (repeatable); paths\n"
    "                        inside MODEL as seen from here, else relative to MODEL\n"
    "  --no-ignore-git-paths do not leave out .git, .gitattributes, .github, .gitignore\n"
    "  --json                print the report as JSON (docs/oms.md)\n"
    "  -h, --help            show this help\n"
    "\n"
    "Paths listed in the signature's ignore_paths are left out too.\n"
    "exit status: 0 verified, 1 rejected, 2 usage error, 3 could not check\n";

static const char sign_help[] =
    "usage: modelseal sign-oms MODEL --key KEY -o SIG [--public-key PUB]\n"
    "                          [--ignore-paths P1,P2] [--no-ignore-git-paths]\n"
    "                          [--allow-symlinks] [--material-format 1.1|1.0]\n"
    "                          [--passphrase-file F]\n"
    "\n"
    "Sign a model directory (or a single file) in the OpenSSF Model Signing (OMS)\n"
    "v1.0 format of sigstore/model-transparency: a Sigstore bundle v0.3 with a DSSE\n"
    "envelope over an in-toto statement listing the SHA-256 of every file.\n"
    "`model_signing verify key` and `modelseal verify-oms` check it.\n"
    "\n"
    "options:\n"
    "  --key FILE            ECDSA P-256 or P-384 secret key (modelseal key file or\n"
    "                        PKCS#8 PEM)\n"
    "  -o, --output FILE     write the signature there (replaced if it exists); left\n"
    "                        out of the model when it lies inside it\n"
    "  --public-key FILE     the key's public half (default: NAME.pub for NAME.key)\n"
    "  --ignore-paths P,...  leave these files or directories out (repeatable); they\n"
    "                        are recorded in the signature's ignore_paths\n"
    "  --no-ignore-git-paths do not leave out .git, .gitattributes, .github, .gitignore\n"
    "  --allow-symlinks      hash symbolic links to files as their targets (default:\n"
    "                        refuse symbolic links)\n"
    "  --material-format V   how the signature names the key: 1.1 (default, as\n"
    "                        model_signing 1.1 writes it: publicKey.hint, the SHA-256\n"
    "                        of the PEM) or 1.0 (model_signing 1.0.x: the PEM in\n"
    "                        publicKey.rawBytes; 1.1 verifiers warn about it)\n"
    "  --passphrase-file F   passphrase of an encrypted key (else MODELSEAL_PASSPHRASE,\n"
    "                        else a prompt on the terminal)\n"
    "  -h, --help            show this help\n";

typedef struct paths {
    char **v;
    size_t n;
} paths;

static void paths_free(paths *p)
{
    for (size_t i = 0; i < p->n; i++)
        free(p->v[i]);
    free(p->v);
    p->v = NULL;
    p->n = 0;
}

static int paths_push(paths *p, char *s)
{
    char **v = realloc(p->v, (p->n + 1) * sizeof *v);
    if (v == NULL)
        return -1;
    p->v = v;
    p->v[p->n++] = s;
    return 0;
}

/*
 * Turn the --ignore-paths arguments (comma-separated lists) into paths
 * relative to the model.  Returns 0 or an exit status (message printed).
 */
static int resolve_ignores(const char *cmd, const char *model, char **args, size_t nargs,
                           paths *out)
{
    if (nargs == 0)
        return 0;
    struct stat sb;
    if (stat(model, &sb) == 0 && !S_ISDIR(sb.st_mode))
        return cli_usage_error(cmd, "--ignore-paths applies to a model directory; '%s' is a "
                               "single file", model);
    for (size_t i = 0; i < nargs; i++) {
        const char *s = args[i];
        for (;;) {
            const char *comma = strchr(s, ',');
            size_t len = comma ? (size_t)(comma - s) : strlen(s);
            if (len == 0)
                return cli_usage_error(cmd, "--ignore-paths '%s' has an empty entry", args[i]);
            char *one = strndup(s, len);
            if (one == NULL) {
                fprintf(stderr, "modelseal %s: out of memory\n", cmd);
                return EXIT_INTERNAL;
            }
            char *rel = NULL;
            ms_error err;
            ms_status st = ms_oms_path_in_model(model, one, 1, &rel, &err);
            if (st == MS_E_USAGE) {
                int rc = cli_usage_error(cmd, "--ignore-paths '%s': %s", one, err.message);
                free(one);
                return rc;
            }
            free(one);
            if (st != MS_OK)
                return cli_fail(cmd, &err);
            if (paths_push(out, rel) != 0) {
                free(rel);
                fprintf(stderr, "modelseal %s: out of memory\n", cmd);
                return EXIT_INTERNAL;
            }
            if (comma == NULL)
                break;
            s = comma + 1;
        }
    }
    return 0;
}

static int add_arg(const char *cmd, char ***v, size_t *n, char *arg)
{
    char **nv = realloc(*v, (*n + 1) * sizeof *nv);
    if (nv == NULL) {
        fprintf(stderr, "modelseal %s: out of memory\n", cmd);
        return EXIT_INTERNAL;
    }
    nv[(*n)++] = arg;
    *v = nv;
    return 0;
}

int cmd_verify_oms(int argc, char **argv)
{
    static const char *cmd = "verify-oms";
    static const struct option opts[] = {
        {"signature", required_argument, NULL, 's'},
        {"key", required_argument, NULL, 'k'},
        {"ignore-paths", required_argument, NULL, 'i'},
        {"no-ignore-git-paths", no_argument, NULL, 'G'},
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *sig_path = NULL, *key_path = NULL;
    char **ign_args = NULL;
    size_t n_ign = 0;
    int json = 0, no_git = 0, rc;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        switch (c) {
        case 's': sig_path = optarg; break;
        case 'k': key_path = optarg; break;
        case 'i':
            if ((rc = add_arg(cmd, &ign_args, &n_ign, optarg)) != 0)
                return rc;
            break;
        case 'G': no_git = 1; break;
        case 'j': json = 1; break;
        case 'h': free(ign_args); fputs(verify_help, stdout); return 0;
        case ':':
            free(ign_args);
            return cli_usage_error(cmd, "option '%s' needs a value", argv[optind - 1]);
        default:
            free(ign_args);
            return cli_usage_error(cmd, "unknown option '%s'", argv[optind - 1]);
        }
    }
    rc = 0;
    if (optind >= argc)
        rc = cli_usage_error(cmd, "missing MODEL");
    else if (optind + 1 < argc)
        rc = cli_usage_error(cmd, "unexpected argument '%s'", argv[optind + 1]);
    else if (sig_path == NULL)
        rc = cli_usage_error(cmd, "missing --signature FILE");
    else if (key_path == NULL)
        rc = cli_usage_error(cmd, "missing --key FILE");
    if (rc != 0) {
        free(ign_args);
        return rc;
    }
    const char *model = argv[optind];
    paths ign = {0};
    rc = resolve_ignores(cmd, model, ign_args, n_ign, &ign);
    free(ign_args);
    if (rc != 0) {
        paths_free(&ign);
        return rc;
    }
    ms_error err;
    ms_public_key *pk = NULL;
    uint8_t *spki = NULL;
    size_t spki_len = 0;
    if (ms_oms_public_key_load(key_path, &pk, &spki, &spki_len, &err) != MS_OK) {
        paths_free(&ign);
        return cli_fail(cmd, &err);
    }
    ms_oms_verify_options o = {
        .model_path = model,
        .signature_path = sig_path,
        .key = pk,
        .key_spki = spki,
        .key_spki_len = spki_len,
        .ignore_paths = (const char *const *)ign.v,
        .ignore_count = ign.n,
        .no_git_paths = no_git,
    };
    ms_oms_result *r = NULL;
    ms_status st = ms_oms_verify(&o, &r, &err);
    if (r != NULL) {
        char *text = ms_oms_result_render(r, json);
        if (text != NULL) {
            /* Could-not-check errors go to stderr only, unless JSON was asked for. */
            if (json || st == MS_OK || st == MS_E_REJECTED)
                fputs(text, stdout);
            free(text);
        }
    }
    rc = st == MS_OK ? 0 : cli_fail(cmd, &err);
    ms_oms_result_free(r);
    ms_public_key_free(pk);
    free(spki);
    paths_free(&ign);
    return rc;
}

int cmd_sign_oms(int argc, char **argv)
{
    static const char *cmd = "sign-oms";
    static const struct option opts[] = {
        {"key", required_argument, NULL, 'k'},
        {"output", required_argument, NULL, 'o'},
        {"public-key", required_argument, NULL, 'p'},
        {"ignore-paths", required_argument, NULL, 'i'},
        {"no-ignore-git-paths", no_argument, NULL, 'G'},
        {"allow-symlinks", no_argument, NULL, 'L'},
        {"material-format", required_argument, NULL, 'F'},
        {"passphrase-file", required_argument, NULL, 'P'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *key_path = NULL, *out_path = NULL, *pub_path = NULL, *passphrase_file = NULL;
    char **ign_args = NULL;
    size_t n_ign = 0;
    int no_git = 0, allow_symlinks = 0, rc;
    ms_oms_material material = MS_OMS_MATERIAL_1_1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":o:h", opts, NULL)) != -1) {
        switch (c) {
        case 'k': key_path = optarg; break;
        case 'o': out_path = optarg; break;
        case 'p': pub_path = optarg; break;
        case 'i':
            if ((rc = add_arg(cmd, &ign_args, &n_ign, optarg)) != 0)
                return rc;
            break;
        case 'G': no_git = 1; break;
        case 'L': allow_symlinks = 1; break;
        case 'F':
            if (strcmp(optarg, "1.1") == 0) {
                material = MS_OMS_MATERIAL_1_1;
            } else if (strcmp(optarg, "1.0") == 0) {
                material = MS_OMS_MATERIAL_1_0;
            } else {
                free(ign_args);
                return cli_usage_error(cmd, "--material-format '%s': expected 1.1 or 1.0",
                                       optarg);
            }
            break;
        case 'P': passphrase_file = optarg; break;
        case 'h': free(ign_args); fputs(sign_help, stdout); return 0;
        case ':':
            free(ign_args);
            return cli_usage_error(cmd, "option '%s' needs a value", argv[optind - 1]);
        default:
            free(ign_args);
            return cli_usage_error(cmd, "unknown option '%s'", argv[optind - 1]);
        }
    }
    rc = 0;
    if (optind >= argc)
        rc = cli_usage_error(cmd, "missing MODEL");
    else if (optind + 1 < argc)
        rc = cli_usage_error(cmd, "unexpected argument '%s'", argv[optind + 1]);
    else if (key_path == NULL)
        rc = cli_usage_error(cmd, "missing --key FILE");
    else if (out_path == NULL)
        rc = cli_usage_error(cmd, "missing -o SIG");
    if (rc != 0) {
        free(ign_args);
        return rc;
    }
    const char *model = argv[optind];
    struct stat sb;
    if (stat(model, &sb) != 0 || !(S_ISDIR(sb.st_mode) || S_ISREG(sb.st_mode))) {
        free(ign_args);
        return cli_usage_error(cmd, "MODEL '%s' is not a directory or a file", model);
    }
    /* The public half: --public-key, else NAME.pub beside NAME.key. */
    char *derived = NULL;
    if (pub_path == NULL) {
        size_t n = strlen(key_path);
        if (n > 4 && strcmp(key_path + n - 4, ".key") == 0 &&
            (derived = malloc(n + 1)) != NULL) {
            memcpy(derived, key_path, n - 4);
            memcpy(derived + n - 4, ".pub", 5);
            if (stat(derived, &sb) != 0) {
                free(derived);
                derived = NULL;
            }
        }
        if (derived == NULL) {
            free(ign_args);
            return cli_usage_error(cmd, "missing --public-key FILE (the public half of '%s', "
                                   "recorded in the signature; NAME.pub is used for NAME.key)",
                                   key_path);
        }
        pub_path = derived;
    }
    paths ign = {0};
    rc = resolve_ignores(cmd, model, ign_args, n_ign, &ign);
    free(ign_args);
    ms_error err;
    ms_public_key *pk = NULL;
    uint8_t *spki = NULL;
    size_t spki_len = 0;
    ms_secret_key *sk = NULL;
    if (rc == 0 && ms_oms_public_key_load(pub_path, &pk, &spki, &spki_len, &err) != MS_OK)
        rc = cli_fail(cmd, &err);
    if (rc == 0 && spki == NULL) {
        fprintf(stderr, "modelseal %s: %s: the key is not in canonical SubjectPublicKeyInfo "
                "form (uncompressed point); re-export it\n", cmd, pub_path);
        rc = EXIT_CANNOT_CHECK;
    }
    if (rc == 0)
        rc = cli_secret_key_load(cmd, key_path, passphrase_file, &sk);
    if (rc == 0 && strcmp(ms_secret_key_id(sk), ms_public_key_id(pk)) != 0) {
        rc = cli_usage_error(cmd, "'%s' is not the public half of '%s'", pub_path, key_path);
    }
    if (rc == 0) {
        ms_oms_sign_options o = {
            .model_path = model,
            .output_path = out_path,
            .key = sk,
            .key_spki = spki,
            .key_spki_len = spki_len,
            .ignore_paths = (const char *const *)ign.v,
            .ignore_count = ign.n,
            .no_git_paths = no_git,
            .allow_symlinks = allow_symlinks,
            .material = material,
        };
        ms_oms_sign_info info;
        if (ms_oms_sign(&o, &info, &err) != MS_OK)
            rc = cli_fail(cmd, &err);
        else
            printf("signed %s: %zu file%s, subject %s sha256:%s, %s key %s -> %s\n", model,
                   info.file_count, info.file_count == 1 ? "" : "s", info.subject_name,
                   info.subject_hex, ms_key_algorithm_name(ms_secret_key_algorithm(sk)),
                   ms_secret_key_id(sk), out_path);
    }
    ms_secret_key_free(sk);
    ms_public_key_free(pk);
    free(spki);
    free(derived);
    paths_free(&ign);
    return rc;
}
