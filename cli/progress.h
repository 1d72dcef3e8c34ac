/*
 * Progress of long commands on stderr: the one place the modelseal command
 * draws it.  The library reports phases through a callback
 * (modelseal/progress.h); this renders them as one line rewritten in place
 * on a terminal (live), as one line per finished phase (plain, for logs),
 * or not at all.
 */
#ifndef MS_CLI_PROGRESS_H
#define MS_CLI_PROGRESS_H

#include <stddef.h>
#include <stdio.h>

#include "modelseal/progress.h"

typedef enum cli_progress_mode {
    CLI_PROGRESS_AUTO, /* live when stderr is a terminal, else none */
    CLI_PROGRESS_NONE,
    CLI_PROGRESS_PLAIN,
    CLI_PROGRESS_LIVE,
} cli_progress_mode;

/* Seconds on a monotonic clock; tests inject their own. */
typedef double (*cli_clock_fn)(void);

typedef struct cli_progress {
    const char *cmd;
    cli_progress_mode mode; /* resolved: NONE, PLAIN or LIVE */
    FILE *out;
    cli_clock_fn clock;
    size_t width;            /* live lines are cut to width - 1 columns */
    ms_progress_phase phase; /* phase being shown, 0 for none */
    double phase_start;
    double last_draw;
    int drawn; /* a live line is on the terminal */
} cli_progress;

/* Longest interval between two redraws of the live line: at most 10 a second. */
#define CLI_PROGRESS_INTERVAL 0.1

/* Words for a phase ("hashing the model") and what its items are ("files"). */
const char *cli_progress_phase_words(ms_progress_phase phase);
const char *cli_progress_item_words(ms_progress_phase phase);
/* "512 B", "1.5 KiB", "2.0 GiB", ... */
void cli_progress_size(char *buf, size_t n, double bytes);
/* A duration for people: "7s", "2m05s", "1h02m". */
void cli_progress_duration(char *buf, size_t n, double seconds);
/* The live line's text for p after elapsed seconds of its phase (no "\r"). */
void cli_progress_line(char *buf, size_t n, const ms_progress *p, double elapsed);
/* The plain line of a finished phase, ending in "\n". */
void cli_progress_plain_line(char *buf, size_t n, const char *cmd, const ms_progress *p,
                             double elapsed);

/*
 * Set up pr for cmd; mode AUTO becomes LIVE when out_is_tty, else NONE.
 * clock NULL: the monotonic clock.
 */
void cli_progress_init(cli_progress *pr, const char *cmd, cli_progress_mode mode, FILE *out,
                       int out_is_tty, cli_clock_fn clock);
/* The ms_progress_fn: user is a cli_progress. */
void cli_progress_report(void *user, const ms_progress *p);
/* Erase the live line, if one is drawn (before anything else goes to stderr). */
void cli_progress_clear(cli_progress *pr);

/*
 * The command's own instance.  cli_progress_option parses --progress's value
 * (auto, live, plain, none; EXIT_USAGE with a message if unknown);
 * cli_progress_start sets it up on stderr and gives the callback to put in
 * the options (NULL when silent); cli_progress_end erases what is drawn.
 * cli_fail and cli_usage_error erase it too.
 */
int cli_progress_option(const char *cmd, const char *value, cli_progress_mode *mode);
void cli_progress_start(const char *cmd, cli_progress_mode mode, ms_progress_fn *fn, void **user);
void cli_progress_end(void);

/* The help text of the two options, for each command's --help. */
#define CLI_PROGRESS_HELP                                                                          \
    "  --progress MODE       auto (default: a live line when stderr is a terminal),\n"             \
    "                        live, plain (one line per phase, for logs) or none\n"                 \
    "  --quiet               no progress (same as --progress none)\n"

/* Erase the live line from a signal handler (cli/signals.c); async-signal-safe. */
void cli_progress_erase_on_signal(void);

#endif
