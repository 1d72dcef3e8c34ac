#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/progress.h"

static const char help[] =
    "usage: modelseal compress MODEL.safetensors -o OUT.safetensors\n"
    "                          (--quantize SCHEME [--prune P] | --recipe RECIPE.json)\n"
    "                          [--report REPORT.json] [--probes PROBES.safetensors]\n"
    "                          [--probe-rows K] [--threads N] [--progress MODE | --quiet]\n"
    "\n"
    "Compress a safetensors model and print a per-tensor fidelity table.\n"
    "\n"
    "options:\n"
    "  -o, --output FILE     the compressed model (written atomically)\n"
    "  --quantize SCHEME     for every 2-D weight: none, f16, bf16, int8, q8_0, q4_0,\n"
    "                        q4_k, q6_k (norms, biases and 1-D tensors stay as they are)\n"
    "  --prune P             none, magnitude:S (fraction S of smallest weights to zero)\n"
    "                        or 2:4; pruning comes before quantization\n"
    "  --recipe FILE         per-tensor schemes by name globs (docs/compression.md)\n"
    "  --report FILE         write the JSON compression report\n"
    "  --probes FILE         write integrity probe outputs (safetensors)\n"
    "  --probe-rows K        probe inputs per weight (default 4, at most 64)\n"
    "  --threads N           worker threads (default: all cores); output is identical\n"
    CLI_PROGRESS_HELP
    "  -h, --help            show this help\n";

int cmd_compress(int argc, char **argv)
{
    static const struct option opts[] = {
        {"output", required_argument, NULL, 'o'},  {"quantize", required_argument, NULL, 'q'},
        {"prune", required_argument, NULL, 'p'},   {"recipe", required_argument, NULL, 'r'},
        {"report", required_argument, NULL, 'R'},  {"probes", required_argument, NULL, 'P'},
        {"probe-rows", required_argument, NULL, 'k'}, {"threads", required_argument, NULL, 't'},
        {"progress", required_argument, NULL, 'G'}, {"quiet", no_argument, NULL, 'Q'},
        {"help", no_argument, NULL, 'h'},          {NULL, 0, NULL, 0},
    };
    ms_compress_options o = {0};
    cli_progress_mode progress = CLI_PROGRESS_AUTO;
    const char *out = NULL, *report_path = NULL, *probes_path = NULL;
    opterr = 0;
    int c;
    char *end;
    while ((c = getopt_long(argc, argv, ":o:h", opts, NULL)) != -1) {
        switch (c) {
        case 'o': out = optarg; break;
        case 'q': o.quantize = optarg; break;
        case 'p': o.prune = optarg; break;
        case 'r': o.recipe_path = optarg; break;
        case 'R': report_path = optarg; break;
        case 'P': probes_path = optarg; break;
        case 'k':
            errno = 0;
            o.probe_rows = strtoul(optarg, &end, 10);
            if (errno || *end || o.probe_rows < 1 || o.probe_rows > 64)
                return cli_usage_error("compress", "--probe-rows must be 1 to 64");
            break;
        case 't':
            errno = 0;
            o.threads = (int)strtol(optarg, &end, 10);
            if (errno || *end || o.threads < 1 || o.threads > 256)
                return cli_usage_error("compress", "--threads must be 1 to 256");
            break;
        case 'G':
            if (cli_progress_option("compress", optarg, &progress) != 0)
                return EXIT_USAGE;
            break;
        case 'Q': progress = CLI_PROGRESS_NONE; break;
        case 'h': fputs(help, stdout); return 0;
        case ':': return cli_usage_error("compress", "option '%s' needs a value", argv[optind - 1]);
        default: return cli_usage_error("compress", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind >= argc)
        return cli_usage_error("compress", "missing MODEL.safetensors");
    if (optind + 1 < argc)
        return cli_usage_error("compress", "unexpected argument '%s'", argv[optind + 1]);
    if (out == NULL)
        return cli_usage_error("compress", "missing -o OUT.safetensors");
    if (o.quantize == NULL && o.recipe_path == NULL)
        return cli_usage_error("compress", "missing --quantize SCHEME or --recipe FILE");
    if (o.recipe_path != NULL && (o.quantize != NULL || o.prune != NULL))
        return cli_usage_error("compress", "--recipe excludes --quantize and --prune");
    o.probes = 1; /* the report carries each weight's probe output SQNR */
    ms_compress_report *rep = NULL;
    ms_error err;
    cli_progress_start("compress", progress, &o.progress, &o.progress_user);
    ms_status st = ms_compress_file(argv[optind], out, probes_path, &o, &rep, &err);
    cli_progress_end();
    if (st != MS_OK)
        return cli_fail("compress", &err);
    char *table = ms_compress_report_render(rep, 0);
    if (table != NULL)
        fputs(table, stdout);
    free(table);
    if (report_path != NULL) {
        char *json = ms_compress_report_render(rep, 1);
        int wrc = json != NULL ? cli_write_text("compress", report_path, json) : EXIT_INTERNAL;
        if (json == NULL)
            fprintf(stderr, "modelseal compress: out of memory\n");
        free(json);
        if (wrc != 0) {
            ms_compress_report_free(rep);
            return wrc;
        }
    }
    printf("wrote %s\n", out);
    ms_compress_report_free(rep);
    return 0;
}
