/* modelseal audit: the lineage and license picture of a bundle (docs/audit.md). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/progress.h"

static const char audit_help[] =
    "usage: modelseal audit BUNDLE [--format text|json|spdx|cyclonedx|dot]\n"
    "                       [--trust FILE ...] [--at TIME] [-o FILE]\n"
    "                       [--policy FILE [--policy-key KEY.pub]]\n"
    "                       [--progress MODE | --quiet]\n"
    "\n"
    "Show a bundle's lineage (base models, datasets, with license, digest and role),\n"
    "signers, license picture (declared, inherited, concluded, conflicts) and\n"
    "compression summary, or export it as SPDX 3.0.1 or CycloneDX 1.6, or draw the\n"
    "lineage graph in Graphviz DOT.  Every digest in the bundle is checked first; with\n"
    "--trust the bundle is fully verified and the signers' verdicts are shown.\n"
    "License conflicts are reported, not failed on: a policy acts on them.\n"
    "\n"
    "options:\n"
    "  --format FORMAT       text (default), json (docs/audit.md), spdx, cyclonedx, dot\n"
    "  --trust FILE          verify against this trust file or public key; repeatable\n"
    "  --at TIME             judge key validity at this RFC 3339 time, not now\n"
    "  --policy FILE         show this deployment policy's verdicts (docs/policy.md)\n"
    "                        after the license picture (text and json formats); they\n"
    "                        do not change the exit status: verify --policy enforces\n"
    "  --policy-key KEY.pub  require the policy to be signed by this key\n"
    "  -o, --output FILE     write to FILE instead of standard output\n"
    CLI_PROGRESS_HELP
    "  -h, --help            show this help\n"
    "\n"
    "SOURCE_DATE_EPOCH, when set, is the creation time written into the output.\n"
    "\n"
    "exit status: 0 audited, 1 rejected (a check failed), 2 usage error,\n"
    "3 could not check, 4 internal error\n";

static const struct {
    const char *name;
    ms_audit_format format;
} formats[] = {
    {"text", MS_AUDIT_TEXT}, {"json", MS_AUDIT_JSON}, {"spdx", MS_AUDIT_SPDX},
    {"cyclonedx", MS_AUDIT_CYCLONEDX}, {"dot", MS_AUDIT_DOT},
};

int cmd_audit(int argc, char **argv)
{
    static const struct option opts[] = {
        {"format", required_argument, NULL, 'F'}, {"trust", required_argument, NULL, 't'},
        {"at", required_argument, NULL, 'A'},     {"output", required_argument, NULL, 'o'},
        {"progress", required_argument, NULL, 'G'}, {"quiet", no_argument, NULL, 'Q'},
        {"help", no_argument, NULL, 'h'},         {"policy", required_argument, NULL, 'Y'},
        {"policy-key", required_argument, NULL, 'K'}, {NULL, 0, NULL, 0},
    };
    ms_audit_options o = {.format = MS_AUDIT_TEXT, .doc_time = -1};
    char *trust_paths[CLI_MAX_TRUST];
    size_t ntrust = 0;
    const char *output = NULL, *policy_path = NULL, *policy_key = NULL;
    cli_progress_mode progress = CLI_PROGRESS_AUTO;
    opterr = 0;
    int c, rc;
    while ((c = getopt_long(argc, argv, ":o:h", opts, NULL)) != -1) {
        switch (c) {
        case 'F': {
            size_t i = 0, n = sizeof formats / sizeof formats[0];
            while (i < n && strcmp(optarg, formats[i].name) != 0)
                i++;
            if (i == n)
                return cli_usage_error("audit", "unknown format '%s' (text, json, spdx, "
                                       "cyclonedx or dot)", optarg);
            o.format = formats[i].format;
            break;
        }
        case 't':
            if (ntrust == CLI_MAX_TRUST)
                return cli_usage_error("audit", "more than %d --trust options", CLI_MAX_TRUST);
            trust_paths[ntrust++] = optarg;
            break;
        case 'A':
            if ((rc = cli_parse_time("audit", optarg, &o.at)) != 0)
                return rc;
            o.at_set = 1;
            break;
        case 'o': output = optarg; break;
        case 'G':
            if (cli_progress_option("audit", optarg, &progress) != 0)
                return EXIT_USAGE;
            break;
        case 'Q': progress = CLI_PROGRESS_NONE; break;
        case 'Y': policy_path = optarg; break;
        case 'K': policy_key = optarg; break;
        case 'h': fputs(audit_help, stdout); return 0;
        case ':': return cli_usage_error("audit", "option '%s' needs a value", argv[optind - 1]);
        default: return cli_usage_error("audit", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind >= argc)
        return cli_usage_error("audit", "missing BUNDLE");
    if (optind + 1 < argc)
        return cli_usage_error("audit", "unexpected argument '%s'", argv[optind + 1]);
    if (o.at != 0 && ntrust == 0)
        return cli_usage_error("audit", "--at needs --trust (it is the time keys are judged at)");
    o.bundle_path = argv[optind];
    if ((rc = cli_source_date_epoch("audit", &o.doc_time)) != 0)
        return rc;
    if (policy_key != NULL && policy_path == NULL)
        return cli_usage_error("audit", "--policy-key needs --policy FILE");
    if (policy_path != NULL && o.format != MS_AUDIT_TEXT && o.format != MS_AUDIT_JSON)
        return cli_usage_error("audit", "--policy shows its verdicts in the text and json "
                               "formats only");
    ms_trust *trust = NULL;
    if (ntrust > 0 && (rc = cli_load_trust("audit", trust_paths, ntrust, &trust)) != 0)
        return rc;
    o.trust = trust;
    ms_policy *policy = NULL;
    if (policy_path != NULL && (rc = cli_load_policy("audit", policy_path, policy_key, o.at, &policy)) != 0) {
        ms_trust_free(trust);
        return rc;
    }
    o.policy = policy;

    char *out = NULL;
    ms_report *r = NULL;
    ms_error err;
    cli_progress_start("audit", progress, &o.progress, &o.progress_user);
    ms_status st = ms_audit_bundle(&o, &out, &r, &err);
    cli_progress_end();
    if (st == MS_E_REJECTED && r != NULL) {
        /* Why it was not audited: the failed checks, on stderr. */
        char *s = ms_report_render(r, 0);
        if (s != NULL) {
            fputs(s, stderr);
            free(s);
        }
    }
    ms_report_free(r);
    ms_trust_free(trust);
    ms_policy_free(policy);
    if (st != MS_OK) {
        free(out);
        return cli_fail("audit", &err);
    }
    if (output != NULL) {
        rc = cli_write_text("audit", output, out);
        free(out);
        return rc;
    } else if (fputs(out, stdout) == EOF || fflush(stdout) != 0) {
        free(out);
        fprintf(stderr, "modelseal audit: cannot write standard output\n");
        return EXIT_CANNOT_CHECK;
    }
    free(out);
    return 0;
}
