#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/passphrase.h"

static const char help[] =
    "usage: modelseal policy check POLICY [--policy-key KEY.pub]\n"
    "       modelseal policy init [-o FILE]\n"
    "       modelseal policy sign POLICY --key KEY.key -o SIGNED [--passphrase-file F]\n"
    "\n"
    "Deployment policies (docs/policy.md): rules a bundle must meet at verify\n"
    "(modelseal verify BUNDLE --trust FILE --policy POLICY).\n"
    "\n"
    "  check POLICY   validate a policy; every mistake is printed, one per line,\n"
    "                 with its field path (exit 0 valid, 3 invalid or unreadable)\n"
    "  init           write a starting policy whose \"$comment\" members explain\n"
    "                 each rule, to standard output or to -o FILE\n"
    "  sign POLICY    check the policy, then write it as a DSSE envelope signed by\n"
    "                 KEY (payload type " MS_POLICY_PAYLOAD_TYPE ");\n"
    "                 verify --policy-key KEY.pub then accepts only that signature\n"
    "\n"
    "options:\n"
    "  -o, --output FILE     (init) write the policy there instead of standard output;\n"
    "                        (sign) the signed policy to write\n"
    "  --key FILE            (sign) secret key that signs\n"
    "  --passphrase-file F   (sign) passphrase of an encrypted key (else\n"
    "                        MODELSEAL_PASSPHRASE, else a prompt on the terminal)\n"
    "  --policy-key KEY.pub  (check) require a valid signature by this key\n"
    "  -h, --help            show this help\n"
    "\n"
    "exit status: 0 ok, 2 usage error, 3 the policy is invalid, unreadable or not\n"
    "signed by --policy-key\n";

static int policy_check(int argc, char **argv)
{
    static const struct option opts[] = {
        {"help", no_argument, NULL, 'h'},
        {"policy-key", required_argument, NULL, 'K'},
        {NULL, 0, NULL, 0},
    };
    const char *key_path = NULL;
    opterr = 0;
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        switch (c) {
        case 'h': fputs(help, stdout); return 0;
        case 'K': key_path = optarg; break;
        case ':':
            return cli_usage_error("policy check", "option '%s' needs a value", argv[optind - 1]);
        default: return cli_usage_error("policy check", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind >= argc)
        return cli_usage_error("policy check", "missing POLICY");
    if (optind + 1 < argc)
        return cli_usage_error("policy check", "unexpected argument '%s'", argv[optind + 1]);
    const char *path = argv[optind];
    ms_policy *p = NULL;
    char *problems = NULL;
    ms_error err;
    ms_public_key *key = NULL;
    if (key_path != NULL && ms_public_key_load(key_path, &key, &err) != MS_OK) {
        fprintf(stderr, "modelseal policy check: --policy-key: %s\n", err.message);
        return EXIT_CANNOT_CHECK;
    }
    ms_status st = ms_policy_load_signed(path, key, &p, &problems, &err);
    ms_public_key_free(key);
    if (st != MS_OK) {
        if (problems != NULL && problems[0] != '\0' && st == MS_E_FORMAT) {
            /* One line per mistake, each naming the policy file and the field path. */
            for (char *line = strtok(problems, "\n"); line != NULL; line = strtok(NULL, "\n"))
                fprintf(stderr, "modelseal policy check: %s: %s\n", path, line);
            free(problems);
            return EXIT_CANNOT_CHECK;
        }
        free(problems);
        fprintf(stderr, "modelseal policy check: %s\n", err.message);
        return err.status == MS_E_NOMEM ? EXIT_INTERNAL : EXIT_CANNOT_CHECK;
    }
    printf("%s: valid policy '%s' (%s mode)\n", path, ms_policy_name(p),
           ms_policy_is_audit(p) ? "audit" : "enforce");
    ms_policy_free(p);
    return 0;
}

static int policy_init(int argc, char **argv)
{
    static const struct option opts[] = {
        {"output", required_argument, NULL, 'o'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *out = NULL;
    opterr = 0;
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, ":o:h", opts, NULL)) != -1) {
        switch (c) {
        case 'o': out = optarg; break;
        case 'h': fputs(help, stdout); return 0;
        case ':':
            return cli_usage_error("policy init", "option '%s' needs a value", argv[optind - 1]);
        default: return cli_usage_error("policy init", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return cli_usage_error("policy init", "unexpected argument '%s'", argv[optind]);
    if (out == NULL) {
        fputs(ms_policy_template(), stdout);
        return 0;
    }
    int rc = cli_write_text("policy init", out, ms_policy_template());
    if (rc == 0)
        fprintf(stderr, "wrote a starting policy to %s\n", out);
    return rc;
}

static int policy_sign(int argc, char **argv)
{
    static const struct option opts[] = {
        {"key", required_argument, NULL, 'k'},
        {"output", required_argument, NULL, 'o'},
        {"passphrase-file", required_argument, NULL, 'P'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *key_path = NULL, *out = NULL, *passphrase_file = NULL;
    opterr = 0;
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, ":o:h", opts, NULL)) != -1) {
        switch (c) {
        case 'k': key_path = optarg; break;
        case 'o': out = optarg; break;
        case 'P': passphrase_file = optarg; break;
        case 'h': fputs(help, stdout); return 0;
        case ':':
            return cli_usage_error("policy sign", "option '%s' needs a value", argv[optind - 1]);
        default: return cli_usage_error("policy sign", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind >= argc)
        return cli_usage_error("policy sign", "missing POLICY");
    if (optind + 1 < argc)
        return cli_usage_error("policy sign", "unexpected argument '%s'", argv[optind + 1]);
    if (key_path == NULL)
        return cli_usage_error("policy sign", "missing --key FILE");
    if (out == NULL)
        return cli_usage_error("policy sign", "missing -o SIGNED");
    const char *path = argv[optind];
    ms_error err;
    ms_secret_key *sk = NULL;
    int rc = cli_secret_key_load("policy sign", key_path, passphrase_file, &sk);
    if (rc != 0)
        return rc;
    char *env = NULL, *problems = NULL;
    ms_status st = ms_policy_sign_file(path, sk, &env, &problems, &err);
    char keyid[80];
    snprintf(keyid, sizeof keyid, "%s", ms_secret_key_id(sk));
    ms_secret_key_free(sk);
    if (st != MS_OK) {
        if (st == MS_E_FORMAT && problems != NULL && problems[0] != '\0') {
            for (char *line = strtok(problems, "\n"); line != NULL; line = strtok(NULL, "\n"))
                fprintf(stderr, "modelseal policy sign: %s: %s\n", path, line);
            free(problems);
            return EXIT_CANNOT_CHECK;
        }
        free(problems);
        return cli_fail("policy sign", &err);
    }
    rc = cli_write_text("policy sign", out, env);
    free(env);
    if (rc == 0)
        printf("signed policy %s with key %s into %s\n", path, keyid, out);
    return rc;
}

int cmd_policy(int argc, char **argv)
{
    if (argc < 2)
        return cli_usage_error("policy", "missing a subcommand: check, init or sign");
    const char *sub = argv[1];
    if (strcmp(sub, "-h") == 0 || strcmp(sub, "--help") == 0) {
        fputs(help, stdout);
        return 0;
    }
    if (strcmp(sub, "check") == 0)
        return policy_check(argc - 1, argv + 1);
    if (strcmp(sub, "init") == 0)
        return policy_init(argc - 1, argv + 1);
    if (strcmp(sub, "sign") == 0)
        return policy_sign(argc - 1, argv + 1);
    return cli_usage_error("policy", "unknown subcommand '%s' (check, init or sign)", sub);
}
