#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/passphrase.h"
#include "cli/progress.h"

static const char help[] =
    "usage: modelseal pack MODEL -o BUNDLE --key NAME.key --name N --version V\n"
    "       modelseal pack MODEL -o BUNDLE --key NAME.key --spec modelseal.json\n"
    "                      [--name N] [--version V]\n"
    "                      [--license EXPR] [--description TEXT]\n"
    "                      [--quantize SCHEME [--prune P] | --recipe RECIPE.json]\n"
    "                      [--no-probes] [--probe-rows K] [--threads N] [--builder-id URI]\n"
    "                      [--passphrase-file F] [--supersedes DIGEST]\n"
    "                      [--follow-links-under DIR]\n"
    "                      [--progress MODE | --quiet]\n"
    "\n"
    "Pack a model into a signed bundle.  MODEL is a .safetensors file or a directory\n"
    "of *.safetensors shards with their companion files (config.json, tokenizer\n"
    "files, README.md).\n"
    "\n"
    "options:\n"
    "  -o, --output BUNDLE   the bundle to write (replaced atomically)\n"
    "  --key FILE            secret key that signs the bundle\n"
    "  --passphrase-file F   passphrase of an encrypted --key: the first line of F\n"
    "                        (else MODELSEAL_PASSPHRASE, else asked on the terminal)\n"
    "  --spec FILE           spec file (docs/spec-file.md): name, version, license,\n"
    "                        authors, card, base models, datasets, recipe; the\n"
    "                        options below override what it says\n"
    "  --name N              model name: a-z, 0-9, '.', '_', '-' (at most 128)\n"
    "  --version V           semantic version, such as 1.0.0 or 2.1.0-rc.1\n"
    "  --license EXPR        license expression, such as Apache-2.0\n"
    "  --description TEXT    one-paragraph description\n"
    "  --quantize SCHEME     compress every 2-D weight: none, f16, bf16, int8, q8_0,\n"
    "                        q4_0, q4_k, q6_k (norms, biases, 1-D tensors stay as they are)\n"
    "  --prune P             none, magnitude:S or 2:4, before quantization\n"
    "  --recipe FILE         per-tensor schemes by name globs (docs/compression.md)\n"
    "  --no-probes           record no integrity probes\n"
    "  --probe-rows K        probe inputs per weight (default 4, at most 64)\n"
    "  --threads N           compression threads (default: all cores)\n"
    "  --builder-id URI      builder id recorded in the provenance\n"
    "  --supersedes DIGEST   the model manifest digest (sha256:...) this release replaces\n"
    "  --follow-links-under DIR\n"
    "                        let symbolic links in MODEL lead anywhere inside DIR, a\n"
    "                        directory that holds MODEL (such as a Hugging Face cache,\n"
    "                        whose snapshots link to ../../blobs); without it links\n"
    "                        must stay inside MODEL\n"
    CLI_PROGRESS_HELP
    "  -h, --help            show this help\n"
    "\n"
    "SOURCE_DATE_EPOCH, when set, gives every recorded time; without it no build\n"
    "time is recorded.  Either way the same inputs and an Ed25519 key give identical\n"
    "bytes (ECDSA signatures are randomized, so only the signature differs).\n"
    "\n"
    "Symbolic links in a model directory are followed only while they stay inside it\n"
    "(or inside --follow-links-under DIR); each one followed is listed and recorded\n"
    "in the signed provenance.  Each directory is walked once: a second way into one\n"
    "(a loop, or two links to it) is refused.\n"
    "\n"
    "A README.md in a model directory may start with Hugging Face front matter:\n"
    "its license, datasets and base_model fill in what the spec does not say.\n";

int cmd_pack(int argc, char **argv)
{
    static const struct option opts[] = {
        {"output", required_argument, NULL, 'o'},
        {"key", required_argument, NULL, 'k'},
        {"passphrase-file", required_argument, NULL, 'F'},
        {"name", required_argument, NULL, 'n'},
        {"version", required_argument, NULL, 'v'},
        {"license", required_argument, NULL, 'l'},
        {"description", required_argument, NULL, 'd'},
        {"quantize", required_argument, NULL, 'q'},
        {"builder-id", required_argument, NULL, 'b'},
        {"prune", required_argument, NULL, 'p'},
        {"recipe", required_argument, NULL, 'r'},
        {"no-probes", no_argument, NULL, 'N'},
        {"probe-rows", required_argument, NULL, 'K'},
        {"threads", required_argument, NULL, 'T'},
        {"supersedes", required_argument, NULL, 'U'},
        {"spec", required_argument, NULL, 'S'},
        {"follow-links-under", required_argument, NULL, 'L'},
        {"progress", required_argument, NULL, 'G'},
        {"quiet", no_argument, NULL, 'Q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    ms_pack_options o = {.source_date_epoch = -1};
    const char *key_path = NULL, *passphrase_file = NULL;
    cli_progress_mode progress = CLI_PROGRESS_AUTO;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":o:h", opts, NULL)) != -1) {
        switch (c) {
        case 'o': o.output_path = optarg; break;
        case 'k': key_path = optarg; break;
        case 'F': passphrase_file = optarg; break;
        case 'n': o.name = optarg; break;
        case 'v': o.version = optarg; break;
        case 'l': o.license = optarg; break;
        case 'd': o.description = optarg; break;
        case 'q': o.quantize = optarg; break;
        case 'b': o.builder_id = optarg; break;
        case 'p': o.prune = optarg; break;
        case 'r': o.recipe_path = optarg; break;
        case 'N': o.no_probes = 1; break;
        case 'U': o.supersedes = optarg; break;
        case 'S': o.spec_path = optarg; break;
        case 'L': o.follow_links_under = optarg; break;
        case 'G':
            if (cli_progress_option("pack", optarg, &progress) != 0)
                return EXIT_USAGE;
            break;
        case 'Q': progress = CLI_PROGRESS_NONE; break;
        case 'K': {
            char *end;
            errno = 0;
            unsigned long k = strtoul(optarg, &end, 10);
            if (errno || *end || k < 1 || k > 64)
                return cli_usage_error("pack", "--probe-rows must be 1 to 64");
            o.probe_rows = k;
            break;
        }
        case 'T': {
            char *end;
            errno = 0;
            long t = strtol(optarg, &end, 10);
            if (errno || *end || t < 1 || t > 256)
                return cli_usage_error("pack", "--threads must be 1 to 256");
            o.threads = (int)t;
            break;
        }
        case 'h': fputs(help, stdout); return 0;
        case ':': return cli_usage_error("pack", "option '%s' needs a value", argv[optind - 1]);
        default: return cli_usage_error("pack", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind >= argc)
        return cli_usage_error("pack", "missing MODEL");
    if (optind + 1 < argc)
        return cli_usage_error("pack", "unexpected argument '%s'", argv[optind + 1]);
    o.model_path = argv[optind];
    if (o.output_path == NULL)
        return cli_usage_error("pack", "missing -o BUNDLE");
    if (key_path == NULL)
        return cli_usage_error("pack", "missing --key FILE");
    /* With a spec, name and version may come from it (ms_pack checks one source gives them). */
    if (o.name == NULL && o.spec_path == NULL)
        return cli_usage_error("pack", "missing --name");
    if (o.version == NULL && o.spec_path == NULL)
        return cli_usage_error("pack", "missing --version");
    const char *p;
    if (o.name != NULL && (p = ms_name_problem(o.name)) != NULL)
        return cli_usage_error("pack", "invalid --name '%s': %s", o.name, p);
    if (o.version != NULL && (p = ms_semver_problem(o.version)) != NULL)
        return cli_usage_error("pack", "invalid --version '%s': %s", o.version, p);
    static const char *const schemes[] = {"none", "f16",  "bf16", "int8", "q8_0",
                                           "q4_0", "q4_k", "q6_k", "q4_K", "q6_K"};
    int known = o.quantize == NULL;
    for (size_t i = 0; !known && i < sizeof schemes / sizeof schemes[0]; i++)
        known = strcmp(o.quantize, schemes[i]) == 0;
    if (!known)
        return cli_usage_error("pack", "unknown scheme '%s' for --quantize (available: none, "
                               "f16, bf16, int8, q8_0, q4_0, q4_k, q6_k)", o.quantize);
    if (o.recipe_path != NULL && (o.quantize != NULL || o.prune != NULL))
        return cli_usage_error("pack", "--recipe excludes --quantize and --prune");
    int sde_rc = cli_source_date_epoch("pack", &o.source_date_epoch);
    if (sde_rc != 0)
        return sde_rc;
    ms_error err;
    ms_secret_key *sk = NULL;
    int key_rc = cli_secret_key_load("pack", key_path, passphrase_file, &sk);
    if (key_rc != 0)
        return key_rc;
    o.key = sk;
    ms_pack_result res = {0};
    cli_progress_start("pack", progress, &o.progress, &o.progress_user);
    ms_status st = ms_pack(&o, &res, &err);
    cli_progress_end();
    ms_secret_key_free(sk);
    if (st != MS_OK)
        return cli_fail("pack", &err);
    if (res.warnings != NULL) {
        /* One line each; the text comes from files, so it was sanitized when made. */
        for (const char *line = res.warnings; *line != '\0';) {
            size_t n = strcspn(line, "\n");
            fprintf(stderr, "modelseal pack: warning: %.*s\n", (int)n, line);
            line += n + (line[n] == '\n');
        }
        free(res.warnings);
    }
    printf("packed %s %s: %zu file%s, %" PRIu64 " bytes\n", res.name, res.version, res.file_count,
           res.file_count == 1 ? "" : "s", res.model_bytes);
    printf("bundle:   %s\n", o.output_path);
    printf("manifest: %s\n", res.manifest_digest);
    if (res.links != NULL) {
        /* The paths passed the bundle's path rules (no control characters). */
        printf("followed links (relative to %s):\n",
               o.follow_links_under != NULL ? o.follow_links_under : o.model_path);
        for (const char *line = res.links; *line != '\0';) {
            size_t n = strcspn(line, "\n");
            printf("  %.*s\n", (int)n, line);
            line += n + (line[n] == '\n');
        }
        free(res.links);
    }
    if (res.report_text != NULL) {
        printf("\n%s", res.report_text);
        free(res.report_text);
    }
    return 0;
}
