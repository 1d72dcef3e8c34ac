/* Passphrase sources for encrypted secret keys (cli/passphrase.h). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/passphrase.h"

/*
 * The terminal whose echo is off while a passphrase is typed, and its
 * settings before.  A signal in that window (Ctrl-C) restores them before
 * the process dies, so the shell is not left without echo.
 */
static volatile sig_atomic_t echo_off_fd = -1;
static struct termios saved_termios;

/* Not SIGTSTP: after a stop and SIGCONT the read would go on with echo back on. */
static const int restore_signals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};
#define N_RESTORE_SIGNALS (sizeof restore_signals / sizeof restore_signals[0])

static void restore_and_reraise(int sig)
{
    int fd = echo_off_fd;
    if (fd >= 0)
        (void)tcsetattr(fd, TCSAFLUSH, &saved_termios); /* async-signal-safe */
    cli_on_fatal_signal(sig);
}

static void write_all(int fd, const char *s)
{
    size_t n = strlen(s);
    while (n > 0) {
        ssize_t w = write(fd, s, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return;
        s += w;
        n -= (size_t)w;
    }
}

/*
 * Show prompt on the terminal and read one line with echo off.  Returns 0
 * with *out set, NO_TTY when there is no terminal to ask, or an exit
 * status after printing.
 */
#define NO_TTY (-1)

static int prompt_tty(const char *cmd, int fd, const char *prompt, char **out)
{
    struct termios t;
    if (tcgetattr(fd, &t) != 0)
        return NO_TTY;
    struct sigaction old[N_RESTORE_SIGNALS], sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = restore_and_reraise;
    sigemptyset(&sa.sa_mask);
    saved_termios = t;
    for (size_t i = 0; i < N_RESTORE_SIGNALS; i++)
        sigaction(restore_signals[i], &sa, &old[i]);
    t.c_lflag &= ~(tcflag_t)(ECHO | ECHOE | ECHOK);
    t.c_lflag |= ICANON;
    echo_off_fd = fd;
    int rc = 0;
    ms_error err;
    /* Echo goes off (discarding anything typed ahead) before the prompt shows. */
    if (tcsetattr(fd, TCSAFLUSH, &t) != 0) {
        rc = NO_TTY;
    } else {
        write_all(fd, prompt);
        if (ms_passphrase_read_line(fd, "terminal", out, &err) != MS_OK)
            rc = cli_fail(cmd, &err);
        (void)tcsetattr(fd, TCSAFLUSH, &saved_termios);
        write_all(fd, "\n"); /* the newline typed was not echoed */
    }
    echo_off_fd = -1;
    for (size_t i = 0; i < N_RESTORE_SIGNALS; i++)
        sigaction(restore_signals[i], &old[i], NULL);
    return rc;
}

static int no_passphrase(const char *cmd, const char *key_path, int new_key)
{
    if (new_key)
        return cli_usage_error(cmd, "no passphrase: use --passphrase-file, " CLI_PASSPHRASE_ENV
                                    " or --unencrypted");
    return cli_usage_error(cmd,
                           "%s: encrypted key and no passphrase: use --passphrase-file or " CLI_PASSPHRASE_ENV,
                           key_path);
}

int cli_passphrase_get(const char *cmd, const char *passphrase_file, const char *key_path,
                       int new_key, char **out)
{
    ms_error err;
    *out = NULL;
    if (passphrase_file != NULL) {
        if (ms_passphrase_read_file(passphrase_file, out, &err) != MS_OK)
            return cli_fail(cmd, &err);
        return 0;
    }
    const char *env = getenv(CLI_PASSPHRASE_ENV);
    if (env != NULL && env[0] != '\0') {
        if (ms_passphrase_copy(env, out, &err) != MS_OK)
            return cli_fail(cmd, &err);
        return 0;
    }
    int fd = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return no_passphrase(cmd, key_path, new_key);
    char prompt[512];
    snprintf(prompt, sizeof prompt, "%s for %s: ", new_key ? "New passphrase" : "Passphrase",
             key_path);
    char *first = NULL, *again = NULL;
    int rc = prompt_tty(cmd, fd, prompt, &first);
    if (rc == 0 && new_key) {
        if (first[0] == '\0')
            rc = cli_usage_error(cmd, "empty passphrase (use --unencrypted for no encryption)");
        else if ((rc = prompt_tty(cmd, fd, "Repeat the passphrase: ", &again)) == 0 &&
                 strcmp(first, again) != 0)
            rc = cli_usage_error(cmd, "the passphrases do not match");
    }
    close(fd);
    ms_passphrase_free(again);
    if (rc == NO_TTY)
        rc = no_passphrase(cmd, key_path, new_key);
    if (rc != 0) {
        ms_passphrase_free(first);
        return rc;
    }
    *out = first;
    return 0;
}

int cli_secret_key_load(const char *cmd, const char *path, const char *passphrase_file,
                        ms_secret_key **out)
{
    *out = NULL;
    char *pass = NULL;
    if (ms_secret_key_file_is_encrypted(path) == 1) {
        int rc = cli_passphrase_get(cmd, passphrase_file, path, 0, &pass);
        if (rc != 0)
            return rc;
    }
    ms_error err;
    ms_status st = ms_secret_key_load(path, pass, out, &err);
    ms_passphrase_free(pass);
    if (st != MS_OK)
        return cli_fail(cmd, &err);
    return 0;
}
