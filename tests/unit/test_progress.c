/* The progress rendering of the command line (cli/progress.c): formats, throttling, modes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "cli/progress.h"

static double fake_now;

static double fake_clock(void)
{
    return fake_now;
}

static size_t count(const char *s, const char *what)
{
    size_t n = 0;
    for (const char *p = s; (p = strstr(p, what)) != NULL; p += strlen(what))
        n++;
    return n;
}

static void test_formats(void)
{
    char b[64];
    cli_progress_size(b, sizeof b, 0);
    CHECK_STR(b, "0 B");
    cli_progress_size(b, sizeof b, 1023);
    CHECK_STR(b, "1023 B");
    cli_progress_size(b, sizeof b, 1024);
    CHECK_STR(b, "1.0 KiB");
    cli_progress_size(b, sizeof b, 1536);
    CHECK_STR(b, "1.5 KiB");
    cli_progress_size(b, sizeof b, 3.0 * (1 << 30));
    CHECK_STR(b, "3.0 GiB");
    cli_progress_size(b, sizeof b, 140e9);
    CHECK_STR(b, "130.4 GiB");
    cli_progress_duration(b, sizeof b, 7.4);
    CHECK_STR(b, "7s");
    cli_progress_duration(b, sizeof b, 125);
    CHECK_STR(b, "2m05s");
    cli_progress_duration(b, sizeof b, 3720);
    CHECK_STR(b, "1h02m");
    cli_progress_duration(b, sizeof b, -3);
    CHECK_STR(b, "0s");
}

static void test_lines(void)
{
    char b[256];
    ms_progress p = {.phase = MS_PROGRESS_READ_BUNDLE,
                     .bytes_done = 512u << 20,
                     .bytes_total = 1u << 30,
                     .items_done = 3};
    /* Rate from the phase's bytes and time, ETA from the bytes left at that rate. */
    cli_progress_line(b, sizeof b, &p, 2.0);
    CHECK_STR(b, "reading the bundle  512.0 MiB/1.0 GiB  50%  3 blobs"
                 "  256.0 MiB/s  ETA 2s");
    /* Nothing done yet, no time passed: no rate, no ETA. */
    ms_progress q = {.phase = MS_PROGRESS_COMPRESS, .bytes_total = 4096, .items_total = 7};
    cli_progress_line(b, sizeof b, &q, 0);
    CHECK_STR(b, "compressing  0 B/4.0 KiB   0%  0/7 tensors");
    /* Unknown total: bytes and rate, no percentage or ETA. */
    ms_progress u = {.phase = MS_PROGRESS_HASH_MODEL, .bytes_done = 3u << 20, .items_done = 1};
    cli_progress_line(b, sizeof b, &u, 1.0);
    CHECK_STR(b, "hashing the model  3.0 MiB  1 files  3.0 MiB/s");
    p.bytes_done = p.bytes_total;
    p.items_done = 12;
    p.finished = 1;
    cli_progress_line(b, sizeof b, &p, 4.2);
    CHECK_STR(b, "reading the bundle  1.0/1.0 GiB 100%  12 blobs"
                 "  done in 4s");
    ms_progress f = {.phase = MS_PROGRESS_WRITE_FILES,
                     .bytes_done = 2147483648u,
                     .bytes_total = 2147483648u,
                     .items_done = 5,
                     .items_total = 5,
                     .finished = 1};
    cli_progress_plain_line(b, sizeof b, "unpack", &f, 2.0);
    CHECK_STR(b, "modelseal unpack: writing files: 2147483648 bytes (2.0 GiB), 5 files in "
                 "2.00 s (1.0 GiB/s)\n");
    /* A small buffer cuts the line, never overflows. */
    char small[16];
    cli_progress_line(small, sizeof small, &p, 4.2);
    CHECK_STR(small, "reading the bun");
}

/* Feed events at the fake times given; return what was written. */
static char *run(cli_progress_mode mode, int tty, size_t width, const double *times,
                 const ms_progress *events, size_t n, int clear)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    cli_progress pr;
    cli_progress_init(&pr, "verify", mode, out, tty, fake_clock);
    if (width != 0)
        pr.width = width;
    for (size_t i = 0; i < n; i++) {
        fake_now = times[i];
        cli_progress_report(&pr, &events[i]);
    }
    if (clear)
        cli_progress_clear(&pr);
    fclose(out);
    return buf;
}

static void test_throttle(void)
{
    const uint64_t T = 100u << 20;
    ms_progress ev[] = {
        {MS_PROGRESS_READ_BUNDLE, 0, T, 0, 0, 0},         /* 10.00 drawn: a phase starts */
        {MS_PROGRESS_READ_BUNDLE, 10u << 20, T, 1, 0, 0}, /* 10.05 too soon */
        {MS_PROGRESS_READ_BUNDLE, 20u << 20, T, 1, 0, 0}, /* 10.09 too soon */
        {MS_PROGRESS_READ_BUNDLE, 40u << 20, T, 2, 0, 0}, /* 10.11 drawn */
        {MS_PROGRESS_READ_BUNDLE, 50u << 20, T, 2, 0, 0}, /* 10.15 too soon */
        {MS_PROGRESS_READ_BUNDLE, T, T, 3, 0, 1},         /* 10.16 drawn: the phase ends */
        {MS_PROGRESS_WRITE_FILES, 0, 64, 0, 2, 0},        /* 10.17 drawn: a new phase */
        {MS_PROGRESS_WRITE_FILES, 64, 64, 2, 2, 1},       /* 10.18 drawn: it ends */
    };
    const double t[] = {10.00, 10.05, 10.09, 10.11, 10.15, 10.16, 10.17, 10.18};
    size_t n = sizeof ev / sizeof ev[0];
    char *s = run(CLI_PROGRESS_AUTO, 1, 0, t, ev, n, 1);
    CHECK_INT(count(s, "\r"), 5 + 1);
    CHECK_INT(count(s, "\033[K"), 5 + 1);
    CHECK(strstr(s, "\rreading the bundle  0 B/100.0 MiB   0%  0 blobs\033[K") != NULL);
    /* 40 MiB in 0.11 s: the rate and the ETA of the 60 MiB left. */
    CHECK(strstr(s, "\rreading the bundle  40.0/100.0 MiB  40%  2 blobs"
                    "  363.6 MiB/s  ETA 0s\033[K") != NULL);
    CHECK(strstr(s, "10.0 MiB") == NULL && strstr(s, "50.0 MiB") == NULL);
    CHECK(strstr(s, "\rreading the bundle  100.0/100.0 MiB 100%  3 blobs"
                    "  done in 0s\033[K") != NULL);
    /* The next phase's clock starts at its own first event. */
    CHECK(strstr(s, "\rwriting files  64/64 B 100%  2/2 files  done in 0s"
                    "\033[K") != NULL);
    /* Cleared at the end: the terminal is left on an empty line. */
    size_t len = strlen(s);
    CHECK(len >= 4 && strcmp(s + len - 4, "\r\033[K") == 0);
    free(s);

    /* Updates 0.125 s apart are all drawn: a slow phase still moves. */
    const double slow[] = {1.0, 1.125, 1.25, 1.375};
    ms_progress sev[] = {ev[0], ev[1], ev[2], ev[3]};
    s = run(CLI_PROGRESS_LIVE, 0, 0, slow, sev, 4, 0);
    CHECK_INT(count(s, "\r"), 4);
    free(s);

    /* A narrow terminal: the line is cut to width - 1 columns, so it never wraps. */
    s = run(CLI_PROGRESS_LIVE, 0, 15, t, ev, 1, 0);
    CHECK_STR(s, "\rreading the bu\033[K");
    free(s);
}

static void test_modes(void)
{
    ms_progress ev[] = {
        {MS_PROGRESS_HASH_MODEL, 0, 2147483648u, 0, 5, 0},
        {MS_PROGRESS_HASH_MODEL, 1u << 30, 2147483648u, 2, 5, 0},
        {MS_PROGRESS_HASH_MODEL, 2147483648u, 2147483648u, 5, 5, 1},
    };
    const double t[] = {5.0, 6.0, 7.0};
    /* Plain: one line per finished phase, nothing in between, nothing to clear. */
    char *s = run(CLI_PROGRESS_PLAIN, 1, 0, t, ev, 3, 1);
    CHECK_STR(s, "modelseal verify: hashing the model: 2147483648 bytes (2.0 GiB), 5 files in "
                 "2.00 s (1.0 GiB/s)\n");
    free(s);
    /* Default off a terminal, --progress none and --quiet: nothing at all. */
    s = run(CLI_PROGRESS_AUTO, 0, 0, t, ev, 3, 1);
    CHECK_STR(s, "");
    free(s);
    s = run(CLI_PROGRESS_NONE, 1, 0, t, ev, 3, 1);
    CHECK_STR(s, "");
    free(s);
    /* Nothing drawn: clearing writes nothing either. */
    ms_progress none[1];
    s = run(CLI_PROGRESS_LIVE, 1, 0, t, none, 0, 1);
    CHECK_STR(s, "");
    free(s);
}

int main(void)
{
    test_formats();
    test_lines();
    test_throttle();
    test_modes();
    return check_finish("test_progress");
}
