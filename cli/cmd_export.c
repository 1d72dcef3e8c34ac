/* modelseal export: verify a bundle, then write it out for a runtime (docs/export.md). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/progress.h"

static const char export_help[] =
    "usage: modelseal export BUNDLE --format safetensors --dtype f32|f16|bf16 -o DIR\n"
    "                        --trust FILE [--trust ...] [--at TIME] [--force] [--json]\n"
    "                        [--progress MODE | --quiet]\n"
    "       modelseal export BUNDLE --format gguf -o FILE.gguf\n"
    "                        --trust FILE [--trust ...] [--at TIME] [--force] [--json]\n"
    "                        [--progress MODE | --quiet]\n"
    "\n"
    "Verify a bundle (as verify does), then write its model for a runtime.\n"
    "safetensors: plain shards decoded to DTYPE with the original names and\n"
    "shapes (a shard index gets its total_size recomputed; config and tokenizer\n"
    "files are copied as stored).  gguf: one GGUF v3 file whose quantized\n"
    "tensors are the stored ggml blocks, with the bundle's provenance in its\n"
    "metadata (generic mapping: tensors keep their names).  Nothing is written\n"
    "unless the bundle verifies.\n"
    "\n"
    "options:\n"
    "  --format FORMAT       safetensors or gguf\n"
    "  --dtype DTYPE         safetensors: f32, f16 or bf16, the type of every float\n"
    "                        tensor\n"
    "  -o, --output PATH     safetensors: target directory (created if missing);\n"
    "                        gguf: the file to write\n"
    "  --trust FILE          a trust file or a public key (as for verify); repeatable\n"
    "  --at TIME             judge key validity at this RFC 3339 time, not now\n"
    "  --force               replace existing files\n"
    "  --json                print the verification report as JSON\n"
    CLI_PROGRESS_HELP
    "  -h, --help            show this help\n"
    "\n"
    "exit status: 0 exported, 1 rejected, 2 usage error, 3 could not check,\n"
    "4 internal error\n";

int cmd_export(int argc, char **argv)
{
    static const struct option opts[] = {
        {"format", required_argument, NULL, 'F'}, {"dtype", required_argument, NULL, 'D'},
        {"output", required_argument, NULL, 'o'}, {"trust", required_argument, NULL, 't'},
        {"at", required_argument, NULL, 'A'},     {"force", no_argument, NULL, 'f'},
        {"json", no_argument, NULL, 'j'},         {"help", no_argument, NULL, 'h'},
        {"progress", required_argument, NULL, 'G'}, {"quiet", no_argument, NULL, 'Q'},
        {NULL, 0, NULL, 0},
    };
    const char *format = NULL, *dtype = NULL, *output = NULL;
    char *trust_paths[CLI_MAX_TRUST];
    size_t ntrust = 0;
    int64_t at = 0;
    int at_set = 0, force = 0, json = 0, c;
    cli_progress_mode progress = CLI_PROGRESS_AUTO;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":o:h", opts, NULL)) != -1) {
        switch (c) {
        case 'F': format = optarg; break;
        case 'D': dtype = optarg; break;
        case 'o': output = optarg; break;
        case 't':
            if (ntrust == CLI_MAX_TRUST)
                return cli_usage_error("export", "more than %d --trust options", CLI_MAX_TRUST);
            trust_paths[ntrust++] = optarg;
            break;
        case 'A': {
            int rc = cli_parse_time("export", optarg, &at);
            if (rc != 0)
                return rc;
            at_set = 1;
            break;
        }
        case 'G':
            if (cli_progress_option("export", optarg, &progress) != 0)
                return EXIT_USAGE;
            break;
        case 'Q': progress = CLI_PROGRESS_NONE; break;
        case 'f': force = 1; break;
        case 'j': json = 1; break;
        case 'h': fputs(export_help, stdout); return 0;
        case ':': return cli_usage_error("export", "option '%s' needs a value", argv[optind - 1]);
        default: return cli_usage_error("export", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind >= argc)
        return cli_usage_error("export", "missing BUNDLE");
    if (optind + 1 < argc)
        return cli_usage_error("export", "unexpected argument '%s'", argv[optind + 1]);
    if (format == NULL)
        return cli_usage_error("export", "missing --format safetensors|gguf");
    ms_export_options o = {.bundle_path = argv[optind], .output = output, .dtype = dtype,
                           .at = at, .at_set = at_set, .force = force};
    if (strcmp(format, "safetensors") == 0) {
        o.format = MS_EXPORT_SAFETENSORS;
        if (dtype == NULL)
            return cli_usage_error("export", "missing --dtype f32|f16|bf16");
        if (strcmp(dtype, "f32") != 0 && strcmp(dtype, "f16") != 0 && strcmp(dtype, "bf16") != 0)
            return cli_usage_error("export", "unknown --dtype '%s' (f32, f16 or bf16)", dtype);
    } else if (strcmp(format, "gguf") == 0) {
        o.format = MS_EXPORT_GGUF;
        if (dtype != NULL)
            return cli_usage_error("export",
                                   "--dtype is for safetensors; GGUF keeps the stored types");
    } else {
        return cli_usage_error("export", "unknown --format '%s' (safetensors or gguf)", format);
    }
    if (output == NULL)
        return cli_usage_error("export",
                               o.format == MS_EXPORT_GGUF ? "missing -o FILE" : "missing -o DIR");
    if (ntrust == 0)
        return cli_usage_error("export", "missing --trust FILE (a trust file or a public key)");
    ms_trust *trust = NULL;
    int rc = cli_load_trust("export", trust_paths, ntrust, &trust);
    if (rc != 0)
        return rc;
    o.trust = trust;
    ms_report *r = NULL;
    ms_export_result res;
    ms_error err;
    cli_progress_start("export", progress, &o.progress, &o.progress_user);
    ms_status st = ms_export(&o, &r, &res, &err);
    cli_progress_end();
    if (r != NULL && (json || ms_report_failures(r) > 0)) {
        char *s = ms_report_render(r, json);
        if (s != NULL)
            fputs(s, stdout);
        free(s);
    }
    if (st != MS_OK)
        cli_fail("export", &err);
    else if (!json && o.format == MS_EXPORT_GGUF) {
        printf("verified %s (manifest %s) and wrote %s with %zu tensors: %s\n", o.bundle_path,
               res.manifest_digest, output, res.tensors, res.kind);
        if (res.converted > 0)
            printf("converted %zu int8 tensor%s to f16 (f32 past the f16 range; ggml has no "
                   "per-row int8 type: docs/export.md)\n",
                   res.converted, res.converted == 1 ? "" : "s");
    } else if (!json) {
        printf("verified %s (manifest %s) and exported %zu tensors in %zu files as %s into %s\n",
               o.bundle_path, res.manifest_digest, res.tensors, res.files, res.kind, output);
    }
    ms_report_free(r);
    ms_trust_free(trust);
    return ms_exit_status(st);
}
