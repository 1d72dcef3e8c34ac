/*
 * Shared helpers of the key tests: a scratch directory, small file I/O,
 * running openssl(1), and reading key file fields.
 */
#ifndef MS_KEYS_TEST_UTIL_H
#define MS_KEYS_TEST_UTIL_H

#include <dirent.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* Not every test program uses every helper. */
#define KT __attribute__((unused)) static

static char tmpdir[512];

KT void path_of(char *out, size_t cap, const char *name)
{
    snprintf(out, cap, "%s/%s", tmpdir, name);
}

KT int make_tmpdir(const char *tag)
{
    const char *base = getenv("TMPDIR");
    snprintf(tmpdir, sizeof tmpdir, "%s/ms-%s-XXXXXX", base != NULL && *base ? base : "/tmp",
             tag);
    if (mkdtemp(tmpdir) == NULL) {
        perror("mkdtemp");
        return -1;
    }
    return 0;
}

KT void remove_tmpdir(void)
{
    DIR *d = opendir(tmpdir);
    if (d == NULL)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char p[1024];
        snprintf(p, sizeof p, "%s/%s", tmpdir, e->d_name);
        unlink(p);
    }
    closedir(d);
    rmdir(tmpdir);
}

KT int write_file(const char *path, const void *data, size_t len, mode_t mode)
{
    unlink(path);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0)
        return -1;
    int ok = fchmod(fd, mode) == 0 && write(fd, data, len) == (ssize_t)len;
    return (close(fd) == 0 && ok) ? 0 : -1;
}

/* The whole file, NUL-terminated (*len without the NUL); NULL if unreadable. */
KT char *read_all_len(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    char *buf = calloc(1, 70000);
    size_t n = buf != NULL ? fread(buf, 1, 69999, f) : 0;
    fclose(f);
    if (len != NULL)
        *len = n;
    return buf;
}

KT char *read_all(const char *path)
{
    return read_all_len(path, NULL);
}

/* Copy of text with the first occurrence of `from` replaced by `to`. */
KT char *replace(const char *text, const char *from, const char *to)
{
    const char *at = strstr(text, from);
    if (at == NULL) {
        fprintf(stderr, "replace: '%s' not found\n", from);
        abort();
    }
    size_t a = (size_t)(at - text), fl = strlen(from), tl = strlen(to);
    char *out = malloc(strlen(text) - fl + tl + 1);
    memcpy(out, text, a);
    memcpy(out + a, to, tl);
    strcpy(out + a + tl, at + fl);
    return out;
}

/* The value of "name: " in a key file image, malloc'd; NULL if absent. */
KT char *field_of(const char *text, const char *name)
{
    char pat[64];
    snprintf(pat, sizeof pat, "\n%s: ", name);
    const char *at = strstr(text, pat);
    if (at == NULL)
        return NULL;
    at += strlen(pat);
    return strndup(at, strcspn(at, "\r\n"));
}

/* Run a shell command (its output to /dev/null unless redirected); 0 on exit status 0. */
__attribute__((format(printf, 1, 2))) KT int sh(const char *fmt, ...)
{
    char cmd[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    int rc = system(cmd);
    return (rc != -1 && WIFEXITED(rc) && WEXITSTATUS(rc) == 0) ? 0 : -1;
}

KT int have_openssl(void)
{
    return sh("openssl version >/dev/null 2>&1") == 0;
}

#endif
