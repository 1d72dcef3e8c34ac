/*
 * Interrupted commands leave nothing behind.  Outputs have no name until
 * they are complete (include/modelseal/files.h), so a signal usually finds
 * nothing to remove; where the file system forced named temporaries, the
 * handler removes them.  Then the signal takes its default action, so the
 * exit status says which signal ended the command (128 + N in a shell).
 */
#include <signal.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/progress.h"

static const int handled[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE};

void cli_on_fatal_signal(int sig)
{
    ms_temporaries_remove(); /* async-signal-safe */
    cli_progress_erase_on_signal();
    signal(sig, SIG_DFL);
    raise(sig);
}

void cli_signals_install(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = cli_on_fatal_signal;
    sigemptyset(&sa.sa_mask);
    /* The other handled signals wait while one is being handled. */
    for (size_t i = 0; i < sizeof handled / sizeof handled[0]; i++)
        sigaddset(&sa.sa_mask, handled[i]);
    for (size_t i = 0; i < sizeof handled / sizeof handled[0]; i++) {
        struct sigaction old;
        /* A signal the shell set to be ignored (nohup, background jobs) stays ignored. */
        if (sigaction(handled[i], NULL, &old) == 0 && old.sa_handler == SIG_IGN)
            continue;
        sigaction(handled[i], &sa, NULL);
    }
}
