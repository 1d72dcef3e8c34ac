/*
 * The progress line.  Live: "\r" + the line + erase-to-end, redrawn at most
 * every CLI_PROGRESS_INTERVAL seconds and whenever a phase starts or ends,
 * so a phase's final state is always shown; erased with "\r" + erase-line
 * when the command is done or has something else to say.  Plain: one line
 * per finished phase.  The rate is the phase's bytes over its time on a
 * monotonic clock, and the ETA is the bytes left at that rate.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "cli/progress.h"

const char *cli_progress_phase_words(ms_progress_phase phase)
{
    switch (phase) {
    case MS_PROGRESS_HASH_MODEL:
        return "hashing the model";
    case MS_PROGRESS_COMPRESS:
        return "compressing";
    case MS_PROGRESS_WRITE_BUNDLE:
        return "writing the bundle";
    case MS_PROGRESS_READ_BUNDLE:
        return "reading the bundle";
    case MS_PROGRESS_WRITE_FILES:
        return "writing files";
    }
    return "working";
}

const char *cli_progress_item_words(ms_progress_phase phase)
{
    switch (phase) {
    case MS_PROGRESS_COMPRESS:
        return "tensors";
    case MS_PROGRESS_READ_BUNDLE:
        return "blobs";
    default:
        return "files";
    }
}

void cli_progress_size(char *buf, size_t n, double bytes)
{
    static const char *const units[] = {"KiB", "MiB", "GiB", "TiB", "PiB"};
    if (bytes < 1024) {
        snprintf(buf, n, "%.0f B", bytes);
        return;
    }
    size_t u = 0;
    bytes /= 1024;
    while (bytes >= 1024 && u + 1 < sizeof units / sizeof units[0]) {
        bytes /= 1024;
        u++;
    }
    snprintf(buf, n, "%.1f %s", bytes, units[u]);
}

void cli_progress_duration(char *buf, size_t n, double seconds)
{
    if (seconds < 0)
        seconds = 0;
    uint64_t s = (uint64_t)(seconds + 0.5);
    if (s < 60)
        snprintf(buf, n, "%us", (unsigned)s);
    else if (s < 3600)
        snprintf(buf, n, "%um%02us", (unsigned)(s / 60), (unsigned)(s % 60));
    else
        snprintf(buf, n, "%lluh%02um", (unsigned long long)(s / 3600), (unsigned)(s % 3600 / 60));
}

/* Append to buf (of size n, holding *len characters), truncating safely. */
static void add(char *buf, size_t n, size_t *len, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void add(char *buf, size_t n, size_t *len, const char *fmt, ...)
{
    if (*len + 1 >= n)
        return;
    va_list ap;
    va_start(ap, fmt);
    int w = vsnprintf(buf + *len, n - *len, fmt, ap);
    va_end(ap);
    if (w > 0)
        *len += (size_t)w < n - *len ? (size_t)w : n - *len - 1;
}

void cli_progress_line(char *buf, size_t n, const ms_progress *p, double elapsed)
{
    char done[32], total[32], rate[32], eta[32];
    size_t len = 0;
    buf[0] = '\0';
    /* No "modelseal CMD:": the user just typed it, and 80 columns are few. */
    add(buf, n, &len, "%s", cli_progress_phase_words(p->phase));
    cli_progress_size(done, sizeof done, (double)p->bytes_done);
    if (p->bytes_total > 0) {
        cli_progress_size(total, sizeof total, (double)p->bytes_total);
        unsigned pct = (unsigned)(p->bytes_done >= p->bytes_total
                                      ? 100
                                      : (double)p->bytes_done * 100 / (double)p->bytes_total);
        /* "1.5/2.0 GiB" when both have the same unit */
        const char *du = strchr(done, ' '), *tu = strchr(total, ' ');
        if (du != NULL && tu != NULL && strcmp(du, tu) == 0)
            add(buf, n, &len, "  %.*s/%s %3u%%", (int)(du - done), done, total, pct);
        else
            add(buf, n, &len, "  %s/%s %3u%%", done, total, pct);
    } else {
        add(buf, n, &len, "  %s", done);
    }
    if (p->items_total > 0)
        add(buf, n, &len, "  %llu/%llu %s", (unsigned long long)p->items_done,
            (unsigned long long)p->items_total, cli_progress_item_words(p->phase));
    else
        add(buf, n, &len, "  %llu %s", (unsigned long long)p->items_done,
            cli_progress_item_words(p->phase));
    double bps = elapsed > 0 ? (double)p->bytes_done / elapsed : 0;
    if (p->finished) {
        cli_progress_duration(eta, sizeof eta, elapsed);
        add(buf, n, &len, "  done in %s", eta);
        return;
    }
    if (bps <= 0)
        return;
    cli_progress_size(rate, sizeof rate, bps);
    add(buf, n, &len, "  %s/s", rate);
    if (p->bytes_total > p->bytes_done) {
        cli_progress_duration(eta, sizeof eta, (double)(p->bytes_total - p->bytes_done) / bps);
        add(buf, n, &len, "  ETA %s", eta);
    }
}

void cli_progress_plain_line(char *buf, size_t n, const char *cmd, const ms_progress *p,
                             double elapsed)
{
    char size[32], rate[32];
    size_t len = 0;
    buf[0] = '\0';
    cli_progress_size(size, sizeof size, (double)p->bytes_done);
    add(buf, n, &len, "modelseal %s: %s: %llu bytes (%s), %llu %s in %.2f s", cmd,
        cli_progress_phase_words(p->phase), (unsigned long long)p->bytes_done, size,
        (unsigned long long)p->items_done, cli_progress_item_words(p->phase), elapsed);
    if (elapsed > 0) {
        cli_progress_size(rate, sizeof rate, (double)p->bytes_done / elapsed);
        add(buf, n, &len, " (%s/s)", rate);
    }
    add(buf, n, &len, "\n");
}

static double monotonic_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void cli_progress_init(cli_progress *pr, const char *cmd, cli_progress_mode mode, FILE *out,
                       int out_is_tty, cli_clock_fn clock)
{
    memset(pr, 0, sizeof *pr);
    pr->cmd = cmd;
    pr->out = out;
    pr->clock = clock != NULL ? clock : monotonic_now;
    pr->mode =
        mode == CLI_PROGRESS_AUTO ? (out_is_tty ? CLI_PROGRESS_LIVE : CLI_PROGRESS_NONE) : mode;
    pr->width = 80;
    struct winsize ws;
    if (out_is_tty && ioctl(fileno(out), TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 20)
        pr->width = ws.ws_col;
}

void cli_progress_report(void *user, const ms_progress *p)
{
    cli_progress *pr = user;
    if (pr->mode != CLI_PROGRESS_LIVE && pr->mode != CLI_PROGRESS_PLAIN)
        return;
    double now = pr->clock();
    int new_phase = pr->phase != p->phase;
    if (new_phase) {
        pr->phase = p->phase;
        pr->phase_start = now;
    }
    double elapsed = now - pr->phase_start;
    char line[512];
    if (pr->mode == CLI_PROGRESS_PLAIN) {
        if (p->finished) {
            cli_progress_plain_line(line, sizeof line, pr->cmd, p, elapsed);
            fputs(line, pr->out);
            fflush(pr->out);
        }
    } else if (new_phase || p->finished || now - pr->last_draw >= CLI_PROGRESS_INTERVAL) {
        /* "\r", the line cut to the terminal (a wrapped line cannot be redrawn), erase the rest. */
        line[0] = '\r';
        cli_progress_line(line + 1, sizeof line - 5, p, elapsed);
        size_t len = strlen(line);
        if (pr->width > 1 && len - 1 > pr->width - 1)
            len = pr->width;
        memcpy(line + len, "\033[K", 4);
        fputs(line, pr->out);
        fflush(pr->out);
        pr->last_draw = now;
        pr->drawn = 1;
    }
    if (p->finished)
        pr->phase = 0;
}

void cli_progress_clear(cli_progress *pr)
{
    if (pr->drawn) {
        fputs("\r\033[K", pr->out);
        fflush(pr->out);
        pr->drawn = 0;
    }
}

static cli_progress command_progress;

void cli_progress_start(const char *cmd, cli_progress_mode mode, ms_progress_fn *fn, void **user)
{
    cli_progress_init(&command_progress, cmd, mode, stderr, isatty(STDERR_FILENO), NULL);
    int on =
        command_progress.mode == CLI_PROGRESS_LIVE || command_progress.mode == CLI_PROGRESS_PLAIN;
    *fn = on ? cli_progress_report : NULL;
    *user = on ? &command_progress : NULL;
}

void cli_progress_erase_on_signal(void)
{
    /* Async-signal-safe: a plain read and write(2); the line stays off a dying shell prompt. */
    if (command_progress.drawn && command_progress.out == stderr) {
        ssize_t w = write(STDERR_FILENO, "\r\033[K", 4);
        (void)w;
    }
}

void cli_progress_end(void)
{
    if (command_progress.out != NULL)
        cli_progress_clear(&command_progress);
}
