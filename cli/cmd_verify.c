#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/progress.h"

static const char verify_help[] =
    "usage: modelseal verify BUNDLE --trust FILE [--trust FILE ...] [--at TIME]\n"
    "                        [--state DIR] [--verify-parents PATH ...]\n"
    "                        [--policy FILE [--policy-key KEY.pub]] [--json]\n"
    "                        [--progress MODE | --quiet]\n"
    "\n"
    "Verify a bundle: re-hash every blob, check the manifest graph and the format\n"
    "version, require a valid signature by a trusted key, and check the signed\n"
    "statement against the manifest and files.  Every failed check is reported.\n"
    "\n"
    "options:\n"
    "  --trust FILE          a trust file (docs/trust.md: keys, roles, thresholds,\n"
    "                        expiry, revocation) or a public key trusted for every\n"
    "                        role (.pub or PEM); repeatable, at least one\n"
    "  --at TIME             judge key validity at this RFC 3339 time, not now\n"
    "  --state DIR           rollback protection: refuse a version older than the one\n"
    "                        accepted for this model name, record what is accepted\n"
    "  --verify-parents PATH also verify the parent bundles the lineage names: PATH is\n"
    "                        a bundle or a directory of *.mseal files; repeatable.\n"
    "                        Every base model with a digest must be found and verify\n"
    "  --policy FILE         once every check passed, evaluate this deployment policy\n"
    "                        (docs/policy.md); a failed rule in enforce mode rejects\n"
    "  --policy-key KEY.pub  use the policy only when it is a DSSE envelope with a\n"
    "                        valid signature by this key (modelseal policy sign)\n"
    "  --json                print the JSON report (docs/cli.md) instead of text\n"
    CLI_PROGRESS_HELP
    "  -h, --help            show this help\n"
    "\n"
    "exit status: 0 verified, 1 rejected, 2 usage error, 3 could not check (also: the\n"
    "policy is unreadable, invalid, expired or not signed by --policy-key), 4 internal\n"
    "error\n";

static const char inspect_help[] =
    "usage: modelseal inspect BUNDLE [--json]\n"
    "\n"
    "Describe a bundle: name, version, files with sizes and digests, metadata and\n"
    "signatures.  Makes no trust decision: use verify for that.\n"
    "\n"
    "options:\n"
    "  --json                print JSON instead of text\n"
    "  -h, --help            show this help\n";

static const char unpack_help[] =
    "usage: modelseal unpack BUNDLE -o DIR --trust FILE [--trust ...] [--at TIME] [--force]\n"
    "                        [--json] [--progress MODE | --quiet]\n"
    "\n"
    "Verify a bundle, then write each model file at its recorded path under DIR.\n"
    "Paths that would leave DIR (absolute, '..', through a symbolic link) are\n"
    "refused, and existing files are kept unless --force.\n"
    "\n"
    "options:\n"
    "  -o, --output DIR      target directory (created if missing)\n"
    "  --trust FILE          a trust file or a public key (as for verify); repeatable\n"
    "  --at TIME             judge key validity at this RFC 3339 time, not now\n"
    "  --force               replace existing files\n"
    "  --json                print the verification report as JSON\n"
    CLI_PROGRESS_HELP
    "  -h, --help            show this help\n";

typedef struct args {
    const char *bundle;
    const char *output;
    char *trust[CLI_MAX_TRUST];
    size_t ntrust;
    int json;
    int force;
    int64_t at;
    int at_set;
    const char *state;
    const char *parents[CLI_MAX_TRUST];
    size_t nparents;
    cli_progress_mode progress;
    const char *policy, *policy_key;
} args;

/* Shared option parsing; `allowed` lists the long options the command takes. */
static int parse(const char *cmd, const char *help, int argc, char **argv, args *a, int want_trust,
                 int want_output)
{
    static const struct option opts[] = {
        {"trust", required_argument, NULL, 't'}, {"json", no_argument, NULL, 'j'},
        {"output", required_argument, NULL, 'o'}, {"force", no_argument, NULL, 'f'},
        {"help", no_argument, NULL, 'h'},        {"at", required_argument, NULL, 'A'},
        {"state", required_argument, NULL, 'S'},
        {"verify-parents", required_argument, NULL, 'P'},
        {"progress", required_argument, NULL, 'G'}, {"quiet", no_argument, NULL, 'Q'},
        {"policy", required_argument, NULL, 'Y'},
        {"policy-key", required_argument, NULL, 'K'},
        {NULL, 0, NULL, 0},
    };
    memset(a, 0, sizeof *a);
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, want_output ? ":o:h" : ":h", opts, NULL)) != -1) {
        switch (c) {
        case 't':
            if (!want_trust)
                return cli_usage_error(cmd, "unknown option '--trust'");
            if (a->ntrust == CLI_MAX_TRUST)
                return cli_usage_error(cmd, "more than %d --trust options", CLI_MAX_TRUST);
            a->trust[a->ntrust++] = optarg;
            break;
        case 'j': a->json = 1; break;
        case 'S':
            if (!want_trust || want_output)
                return cli_usage_error(cmd, "unknown option '--state'");
            a->state = optarg;
            break;
        case 'P':
            if (!want_trust || want_output)
                return cli_usage_error(cmd, "unknown option '--verify-parents'");
            if (a->nparents == CLI_MAX_TRUST)
                return cli_usage_error(cmd, "more than %d --verify-parents options", CLI_MAX_TRUST);
            a->parents[a->nparents++] = optarg;
            break;
        case 'Y':
            if (!want_trust || want_output)
                return cli_usage_error(cmd, "unknown option '--policy'");
            a->policy = optarg;
            break;
        case 'K':
            if (!want_trust || want_output)
                return cli_usage_error(cmd, "unknown option '--policy-key'");
            a->policy_key = optarg;
            break;
        case 'A': {
            if (!want_trust)
                return cli_usage_error(cmd, "unknown option '--at'");
            int rc = cli_parse_time(cmd, optarg, &a->at);
            if (rc != 0)
                return rc;
            a->at_set = 1;
            break;
        }
        case 'o':
            if (!want_output)
                return cli_usage_error(cmd, "unknown option '--output'");
            a->output = optarg;
            break;
        case 'f':
            if (!want_output)
                return cli_usage_error(cmd, "unknown option '--force'");
            a->force = 1;
            break;
        case 'G':
        case 'Q':
            /* inspect reads no more than the documents: nothing to show progress of */
            if (!want_trust)
                return cli_usage_error(cmd, "unknown option '%s'",
                                       c == 'Q' ? "--quiet" : "--progress");
            if (c == 'Q')
                a->progress = CLI_PROGRESS_NONE;
            else if (cli_progress_option(cmd, optarg, &a->progress) != 0)
                return EXIT_USAGE;
            break;
        case 'h': fputs(help, stdout); return -1;
        case ':': return cli_usage_error(cmd, "option '%s' needs a value", argv[optind - 1]);
        default: return cli_usage_error(cmd, "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind >= argc)
        return cli_usage_error(cmd, "missing BUNDLE");
    if (optind + 1 < argc)
        return cli_usage_error(cmd, "unexpected argument '%s'", argv[optind + 1]);
    a->bundle = argv[optind];
    if (want_trust && a->ntrust == 0)
        return cli_usage_error(cmd, "missing --trust FILE (a trust file or a public key)");
    if (want_output && a->output == NULL)
        return cli_usage_error(cmd, "missing -o DIR");
    if (a->policy_key != NULL && a->policy == NULL)
        return cli_usage_error(cmd, "--policy-key needs --policy FILE");
    return 0;
}

static void print_report(const ms_report *r, int json)
{
    char *s = ms_report_render(r, json);
    if (s != NULL) {
        fputs(s, stdout);
        free(s);
    }
}

/* --json anywhere before "--" (parsing may fail before it is seen). */
static int wants_json(int argc, char **argv)
{
    for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
        if (strcmp(argv[i], "--json") == 0)
            return 1;
    return 0;
}

/* With --json, stdout always holds one report, even when no bundle was read. */
static int json_error(const char *bundle, int rc)
{
    char *s = ms_report_error_json(bundle, rc, cli_last_error());
    if (s == NULL)
        return EXIT_INTERNAL;
    fputs(s, stdout);
    free(s);
    return rc;
}

int cmd_verify(int argc, char **argv)
{
    args a;
    int json = wants_json(argc, argv);
    int rc = parse("verify", verify_help, argc, argv, &a, 1, 0);
    if (rc != 0)
        return rc < 0 ? 0 : json ? json_error(NULL, rc) : rc;
    ms_trust *trust = NULL;
    if ((rc = cli_load_trust("verify", a.trust, a.ntrust, &trust)) != 0)
        return json ? json_error(a.bundle, rc) : rc;
    ms_policy *policy = NULL;
    if (a.policy != NULL && (rc = cli_load_policy("verify", a.policy, a.policy_key, a.at, &policy)) != 0) {
        ms_trust_free(trust);
        return json ? json_error(a.bundle, rc) : rc;
    }
    ms_verify_options o = {.bundle_path = a.bundle, .trust = trust, .at = a.at,
                           .at_set = a.at_set,
                           .state_dir = a.state, .parent_paths = a.parents,
                           .parent_path_count = a.nparents, .policy = policy};
    ms_report *r = NULL;
    ms_error err;
    cli_progress_start("verify", a.progress, &o.progress, &o.progress_user);
    ms_status st = ms_verify(&o, &r, &err);
    cli_progress_end();
    if (r != NULL) {
        ms_report_set_exit_status(r, ms_exit_status(st));
        print_report(r, a.json);
    }
    if (st != MS_OK && st != MS_E_REJECTED)
        cli_fail("verify", &err);
    if (r == NULL && a.json)
        json_error(a.bundle, ms_exit_status(st));
    ms_report_free(r);
    ms_policy_free(policy);
    ms_trust_free(trust);
    return ms_exit_status(st);
}

int cmd_inspect(int argc, char **argv)
{
    args a;
    int rc = parse("inspect", inspect_help, argc, argv, &a, 0, 0);
    if (rc != 0)
        return rc < 0 ? 0 : rc;
    char *out = NULL;
    ms_error err;
    if (ms_inspect(a.bundle, a.json, &out, &err) != MS_OK)
        return cli_fail("inspect", &err);
    fputs(out, stdout);
    free(out);
    return 0;
}

int cmd_unpack(int argc, char **argv)
{
    args a;
    int rc = parse("unpack", unpack_help, argc, argv, &a, 1, 1);
    if (rc != 0)
        return rc < 0 ? 0 : rc;
    ms_trust *trust = NULL;
    if ((rc = cli_load_trust("unpack", a.trust, a.ntrust, &trust)) != 0)
        return rc;
    ms_unpack_options o = {.bundle_path = a.bundle,
                           .output_dir = a.output,
                           .trust = trust,
                           .at = a.at, .at_set = a.at_set,
                           .force = a.force};
    ms_report *r = NULL;
    ms_error err;
    cli_progress_start("unpack", a.progress, &o.progress, &o.progress_user);
    ms_status st = ms_unpack(&o, &r, &err);
    cli_progress_end();
    ms_report_set_exit_status(r, ms_exit_status(st));
    if (r != NULL && (a.json || ms_report_failures(r) > 0))
        print_report(r, a.json);
    if (st != MS_OK) {
        cli_fail("unpack", &err);
    } else if (!a.json) {
        printf("verified and unpacked %s into %s\n", a.bundle, a.output);
    }
    ms_report_free(r);
    ms_trust_free(trust);
    return ms_exit_status(st);
}
