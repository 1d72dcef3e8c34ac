/*
 * LD_PRELOAD shim for tests/cli/interrupt.sh: the first time the program
 * puts a file in place (linkat, rename, renameat, renameat2), it creates the file
 * named by MS_TEST_BLOCK_READY and waits forever instead.  Every temporary
 * of the command then exists, and a test can send its signal at that
 * moment, not after a guessed sleep.  Without the variable it does nothing.
 */
#include <dlfcn.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static void maybe_block(void)
{
    const char *ready = getenv("MS_TEST_BLOCK_READY");
    if (ready == NULL || ready[0] == '\0')
        return;
    int fd = open(ready, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd >= 0)
        close(fd);
    for (;;)
        pause();
}

int linkat(int olddirfd, const char *oldpath, int newdirfd, const char *newpath, int flags)
{
    maybe_block();
    int (*real)(int, const char *, int, const char *, int) =
        (int (*)(int, const char *, int, const char *, int))dlsym(RTLD_NEXT, "linkat");
    return real(olddirfd, oldpath, newdirfd, newpath, flags);
}

int rename(const char *oldpath, const char *newpath)
{
    maybe_block();
    int (*real)(const char *, const char *) =
        (int (*)(const char *, const char *))dlsym(RTLD_NEXT, "rename");
    return real(oldpath, newpath);
}

int renameat(int olddirfd, const char *oldpath, int newdirfd, const char *newpath)
{
    maybe_block();
    int (*real)(int, const char *, int, const char *) =
        (int (*)(int, const char *, int, const char *))dlsym(RTLD_NEXT, "renameat");
    return real(olddirfd, oldpath, newdirfd, newpath);
}

int renameat2(int olddirfd, const char *oldpath, int newdirfd, const char *newpath,
              unsigned int flags)
{
    maybe_block();
    int (*real)(int, const char *, int, const char *, unsigned int) =
        (int (*)(int, const char *, int, const char *, unsigned int))dlsym(RTLD_NEXT,
                                                                           "renameat2");
    return real(olddirfd, oldpath, newdirfd, newpath, flags);
}
