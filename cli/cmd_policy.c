#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

static const char help[] =
    "usage: modelseal policy check POLICY\n"
    "       modelseal policy init [-o FILE]\n"
    "\n"
    "Deployment policies (docs/policy.md): rules a bundle must meet at verify\n"
    "(modelseal verify BUNDLE --trust FILE --policy POLICY).\n"
    "\n"
    "  check POLICY   validate a policy; every mistake is printed, one per line,\n"
    "                 with its field path (exit 0 valid, 3 invalid or unreadable)\n"
    "  init           write a starting policy whose \"$comment\" members explain\n"
    "                 each rule, to standard output or to -o FILE\n"
    "\n"
    "options:\n"
    "  -o, --output FILE     (init) write the policy there instead of standard output\n"
    "  -h, --help            show this help\n"
    "\n"
    "exit status: 0 ok, 2 usage error, 3 the policy is invalid or unreadable\n";

static int policy_check(int argc, char **argv)
{
    static const struct option opts[] = {
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    opterr = 0;
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        switch (c) {
        case 'h': fputs(help, stdout); return 0;
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
    ms_status st = ms_policy_load(path, &p, &problems, &err);
    if (st != MS_OK) {
        if (problems != NULL && problems[0] != '\0' && st == MS_E_FORMAT) {
            /* One line per mistake, each naming the policy file and the field path. */
            for (char *line = strtok(problems, "\n"); line != NULL; line = strtok(NULL, "\n"))
                fprintf(stderr, "modelseal policy check: %s: %s\n", path, line);
            free(problems);
            return EXIT_CANNOT_CHECK;
        }
        free(problems);
        return cli_fail("policy check", &err);
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
    return cli_usage_error("policy", "unknown subcommand '%s' (check, init or sign)", sub);
}
