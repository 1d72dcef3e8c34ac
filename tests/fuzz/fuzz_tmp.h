/*
 * Temporary files for targets whose entry point takes a path: the input is
 * written to a fresh mkstemp() file (mode 0600) in $TMPDIR, or /tmp, and
 * the caller removes it with fuzz_tmp_remove().
 */
#ifndef MS_FUZZ_TMP_H
#define MS_FUZZ_TMP_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Returns a malloc'd path of a new file holding data; aborts on failure. */
static char *fuzz_tmp_write(const char *stem, const uint8_t *data, size_t size)
{
    const char *dir = getenv("TMPDIR");
    if (dir == NULL || dir[0] == '\0')
        dir = "/tmp";
    size_t cap = strlen(dir) + strlen(stem) + 16;
    char *path = malloc(cap);
    if (path == NULL)
        abort();
    snprintf(path, cap, "%s/%s.XXXXXX", dir, stem);
    int fd = mkstemp(path);
    if (fd < 0) {
        perror(path);
        abort();
    }
    size_t done = 0;
    while (done < size) {
        ssize_t w = write(fd, data + done, size - done);
        if (w <= 0) {
            perror(path);
            abort();
        }
        done += (size_t)w;
    }
    if (close(fd) != 0)
        abort();
    return path;
}

static void fuzz_tmp_remove(char *path)
{
    if (unlink(path) != 0)
        abort();
    free(path);
}

#endif
