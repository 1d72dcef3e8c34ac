/*
 * Unit tests for core/fsutil.c: the path rules for untrusted names, opening
 * parents beneath a directory without following links, atomic writes and
 * bounded reads.  Everything happens in a fresh temporary directory.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "core/fsutil.h"
#include "core/outfile.h"
#include "modelseal/files.h"

static char tmpdir[4096];
static int rootfd = -1;

static void make_tmpdir(void)
{
    const char *base = getenv("TMPDIR");
    snprintf(tmpdir, sizeof tmpdir, "%s/ms-test-fsutil-XXXXXX",
             base != NULL && base[0] != '\0' ? base : "/tmp");
    if (mkdtemp(tmpdir) == NULL) {
        perror("mkdtemp");
        exit(1);
    }
    rootfd = open(tmpdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (rootfd < 0) {
        perror(tmpdir);
        exit(1);
    }
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static void remove_tmpdir(void)
{
    close(rootfd);
    nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static const char *tpath(const char *name)
{
    static char bufs[64][4200];
    static int k;
    char *p = bufs[k++ % 64];
    snprintf(p, 4200, "%s/%s", tmpdir, name);
    return p;
}

static void write_plain(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    if (f == NULL || fputs(text, f) < 0 || fclose(f) != 0) {
        perror(path);
        exit(1);
    }
}

static char *read_plain(const char *path)
{
    static char buf[256];
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    return buf;
}

static int is_dir(const char *path)
{
    struct stat sb;
    return lstat(path, &sb) == 0 && S_ISDIR(sb.st_mode);
}

static int exists(const char *path)
{
    struct stat sb;
    return lstat(path, &sb) == 0;
}

/* Entries in dir whose names contain the fragment. */
static int count_containing(const char *dir, const char *fragment)
{
    DIR *d = opendir(dir);
    int n = 0;
    struct dirent *de;
    while (d != NULL && (de = readdir(d)) != NULL)
        if (strstr(de->d_name, fragment) != NULL)
            n++;
    if (d != NULL)
        closedir(d);
    return n;
}

/* 1 if fd is the directory at path. */
static int same_dir(int fd, const char *path)
{
    struct stat a, b;
    return fstat(fd, &a) == 0 && stat(path, &b) == 0 && a.st_dev == b.st_dev &&
           a.st_ino == b.st_ino && S_ISDIR(a.st_mode);
}

#define CHECK_PATH_OK(p) CHECK_STR(ms_path_problem(p) == NULL ? "safe" : ms_path_problem(p), "safe")

static void test_path_problem(void)
{
    CHECK_PATH_OK("a/b/c.json");
    CHECK_PATH_OK("model.safetensors");
    CHECK_PATH_OK(".hidden");
    CHECK_PATH_OK("a/.b/c");
    CHECK_PATH_OK("...");
    CHECK_PATH_OK("a..b/..c/c..");
    CHECK_PATH_OK("d\xc3\xa9j\xc3\xa0/vu"); /* UTF-8 is fine */
    CHECK_PATH_OK("a b/c d");

    CHECK_STR(ms_path_problem(""), "empty path");
    CHECK_STR(ms_path_problem("/etc/passwd"), "absolute path");
    CHECK_STR(ms_path_problem("/"), "absolute path");
    CHECK_STR(ms_path_problem(".."), "'..' path component");
    CHECK_STR(ms_path_problem("../x"), "'..' path component");
    CHECK_STR(ms_path_problem("a/../../x"), "'..' path component");
    CHECK_STR(ms_path_problem("a/.."), "'..' path component");
    CHECK_STR(ms_path_problem("."), "'.' path component");
    CHECK_STR(ms_path_problem("./a"), "'.' path component");
    CHECK_STR(ms_path_problem("a/./b"), "'.' path component");
    CHECK_STR(ms_path_problem("a/."), "'.' path component");
    CHECK_STR(ms_path_problem("a//b"), "empty path component");
    CHECK_STR(ms_path_problem("a/b/"), "empty path component");
    CHECK_STR(ms_path_problem("a\\b"), "backslash in path");
    CHECK_STR(ms_path_problem("..\\..\\x"), "backslash in path");
    CHECK_STR(ms_path_problem("a\x01"
                              "b"),
              "control character in path");
    CHECK_STR(ms_path_problem("a\tb"), "control character in path");
    CHECK_STR(ms_path_problem("a\nb"), "control character in path");
    CHECK_STR(ms_path_problem("a\x1f"), "control character in path");
    CHECK_STR(ms_path_problem("a\x7f"), "control character in path");

    /* Length: 4096 bytes allowed, 4097 refused. */
    char p[5000];
    for (size_t i = 0; i < 4096; i++)
        p[i] = (i % 2 == 1) ? '/' : 'a';
    p[4095] = 'z';
    p[4096] = '\0';
    CHECK_PATH_OK(p);
    CHECK_INT(strlen(p), 4096);
    p[4096] = 'z';
    p[4097] = '\0';
    CHECK_STR(ms_path_problem(p), "path longer than 4096 bytes");
    memset(p, 'a', 4999);
    p[4999] = '\0';
    CHECK_STR(ms_path_problem(p), "path longer than 4096 bytes");
}

static void test_open_parent(void)
{
    ms_error err;
    int pfd = 123;
    const char *leaf = NULL;
    const char *rel = "a/b/c.json";
    ms_error_clear(&err);
    CHECK_INT(ms_open_parent_beneath(rootfd, rel, &pfd, &leaf, &err), MS_OK);
    CHECK(pfd >= 0);
    CHECK(leaf == rel + 4);
    CHECK_STR(leaf, "c.json");
    CHECK(is_dir(tpath("a")));
    CHECK(is_dir(tpath("a/b")));
    CHECK(!exists(tpath("a/b/c.json")));
    CHECK(same_dir(pfd, tpath("a/b")));
    if (pfd >= 0)
        close(pfd);

    /* Existing directories are reused. */
    pfd = -5;
    CHECK_INT(ms_open_parent_beneath(rootfd, "a/b/d/e.bin", &pfd, &leaf, &err), MS_OK);
    CHECK(same_dir(pfd, tpath("a/b/d")));
    CHECK_STR(leaf, "e.bin");
    if (pfd >= 0)
        close(pfd);

    /* A top-level name: the parent is the root itself (a new descriptor). */
    pfd = -5;
    rel = "top.json";
    CHECK_INT(ms_open_parent_beneath(rootfd, rel, &pfd, &leaf, &err), MS_OK);
    CHECK(pfd >= 0 && pfd != rootfd);
    CHECK(same_dir(pfd, tmpdir));
    CHECK(leaf == rel);
    if (pfd >= 0)
        close(pfd);

    /* A symbolic link to a directory inside the root is still refused. */
    CHECK_INT(symlink("a", tpath("link")), 0);
    pfd = 123;
    ms_error_clear(&err);
    CHECK_INT(ms_open_parent_beneath(rootfd, "link/x.json", &pfd, &leaf, &err), MS_E_UNSAFE_PATH);
    CHECK_INT(pfd, -1);
    CHECK_INT(err.status, MS_E_UNSAFE_PATH);
    CHECK_STR(err.message, "'link/x.json': 'link' is a symbolic link or not a directory");
    /* ... also deeper, and nothing is created through it. */
    CHECK_INT(ms_open_parent_beneath(rootfd, "link/new/x.json", &pfd, &leaf, &err),
              MS_E_UNSAFE_PATH);
    CHECK(!exists(tpath("a/new")));
    CHECK_INT(symlink("..", tpath("a/b/up")), 0);
    CHECK_INT(ms_open_parent_beneath(rootfd, "a/b/up/x", &pfd, &leaf, &err), MS_E_UNSAFE_PATH);
    CHECK_CONTAINS(err.message, "'up' is a symbolic link");
    CHECK_INT(symlink("/", tpath("a/abs")), 0);
    CHECK_INT(ms_open_parent_beneath(rootfd, "a/abs/tmp/x", &pfd, &leaf, &err), MS_E_UNSAFE_PATH);
    CHECK_CONTAINS(err.message, "'abs'");
    CHECK_INT(pfd, -1);
    /* A dangling link. */
    CHECK_INT(symlink("nowhere", tpath("dangling")), 0);
    CHECK_INT(ms_open_parent_beneath(rootfd, "dangling/x", &pfd, &leaf, &err), MS_E_UNSAFE_PATH);
    CHECK(!exists(tpath("nowhere")));

    /* A regular file where a directory is needed. */
    write_plain(tpath("file.txt"), "x");
    ms_error_clear(&err);
    CHECK_INT(ms_open_parent_beneath(rootfd, "file.txt/x", &pfd, &leaf, &err), MS_E_UNSAFE_PATH);
    CHECK_CONTAINS(err.message, "'file.txt'");
    CHECK_INT(pfd, -1);

    /* Unsafe relative paths are refused before touching the disk. */
    ms_error_clear(&err);
    CHECK_INT(ms_open_parent_beneath(rootfd, "..", &pfd, &leaf, &err), MS_E_UNSAFE_PATH);
    CHECK_STR(err.message, "'..': '..' path component");
    CHECK_INT(ms_open_parent_beneath(rootfd, "q/../../x", &pfd, &leaf, &err), MS_E_UNSAFE_PATH);
    CHECK_CONTAINS(err.message, "'..' path component");
    CHECK(!exists(tpath("q")));
    CHECK_INT(ms_open_parent_beneath(rootfd, "/etc/x", &pfd, &leaf, &err), MS_E_UNSAFE_PATH);
    CHECK_CONTAINS(err.message, "absolute path");
    CHECK_INT(ms_open_parent_beneath(rootfd, "", &pfd, &leaf, &err), MS_E_UNSAFE_PATH);
    CHECK_CONTAINS(err.message, "empty path");
    CHECK_INT(ms_open_parent_beneath(rootfd, "r//x", &pfd, &leaf, &err), MS_E_UNSAFE_PATH);
    CHECK(!exists(tpath("r")));
    CHECK_INT(pfd, -1);

    /* A bad directory descriptor. */
    ms_error_clear(&err);
    CHECK_INT(ms_open_parent_beneath(-1, "a/x", &pfd, &leaf, &err), MS_E_IO);
    CHECK_INT(pfd, -1);
}

static void test_write_atomic(void)
{
    ms_error err;
    const char *p = tpath("out.json");
    ms_error_clear(&err);
    CHECK_INT(ms_write_file_atomic(p, "first", 5, 0644, &err), MS_OK);
    CHECK_STR(read_plain(p), "first");
    CHECK_INT(ms_write_file_atomic(p, "second!", 7, 0600, &err), MS_OK);
    CHECK_STR(read_plain(p), "second!");
    struct stat sb;
    CHECK_INT(stat(p, &sb), 0);
    CHECK_INT(sb.st_mode & 07777, 0600);
    CHECK_INT(sb.st_size, 7);
    CHECK_INT(ms_write_file_atomic(p, "", 0, 0644, &err), MS_OK);
    CHECK_INT(stat(p, &sb), 0);
    CHECK_INT(sb.st_size, 0);
    CHECK_INT(count_containing(tmpdir, ".modelseal-tmp-"), 0);

    /* A symbolic link at the target is replaced, not followed. */
    write_plain(tpath("victim"), "keep");
    CHECK_INT(symlink("victim", tpath("lnk.json")), 0);
    CHECK_INT(ms_write_file_atomic(tpath("lnk.json"), "new", 3, 0644, &err), MS_OK);
    CHECK_STR(read_plain(tpath("victim")), "keep");
    CHECK_INT(lstat(tpath("lnk.json"), &sb), 0);
    CHECK(S_ISREG(sb.st_mode));
    CHECK_STR(read_plain(tpath("lnk.json")), "new");

    /* A missing directory: MS_E_IO naming the file; nothing created. */
    ms_error_clear(&err);
    CHECK_INT(ms_write_file_atomic(tpath("missing/out.json"), "x", 1, 0644, &err), MS_E_IO);
    CHECK_INT(err.status, MS_E_IO);
    CHECK_CONTAINS(err.message, "missing/out.json");
    CHECK(!exists(tpath("missing")));

    /* The target is a directory: the rename fails and the temp file is removed. */
    CHECK_INT(mkdir(tpath("adir"), 0755), 0);
    ms_error_clear(&err);
    CHECK_INT(ms_write_file_atomic(tpath("adir"), "x", 1, 0644, &err), MS_E_IO);
    CHECK_CONTAINS(err.message, "adir");
    CHECK(is_dir(tpath("adir")));
    CHECK_INT(count_containing(tmpdir, ".modelseal-tmp-"), 0);
}

/* Descriptors of this process open on a file whose name ends in " (deleted)" in dir. */
static int count_unnamed_open(const char *dir)
{
    int n = 0;
    DIR *d = opendir("/proc/self/fd");
    struct dirent *e;
    char link[300], target[4200];
    while (d != NULL && (e = readdir(d)) != NULL) {
        snprintf(link, sizeof link, "/proc/self/fd/%s", e->d_name);
        ssize_t r = readlink(link, target, sizeof target - 1);
        if (r <= 0)
            continue;
        target[r] = '\0';
        if (strncmp(target, dir, strlen(dir)) == 0 && strstr(target, " (deleted)") != NULL)
            n++;
    }
    if (d != NULL)
        closedir(d);
    return n;
}

/* One pass over the outfile rules; named != 0 forces named temporaries. */
static void outfile_pass(int named)
{
    ms_error err;
    char name[64];
    snprintf(name, sizeof name, "target-%d.bin", named);
    const char *target = tpath(name);
    ms_outfile *o = NULL;
    if (named)
        setenv("MODELSEAL_TMPFILE", "named", 1);
    else
        unsetenv("MODELSEAL_TMPFILE");

    /* While it is written, the directory shows nothing (or only a hidden name). */
    CHECK_INT(ms_outfile_open(target, 0600, &o, &err), MS_OK);
    CHECK(o != NULL);
    CHECK_INT(ms_outfile_unnamed(o), named ? 0 : 1);
    CHECK_INT(count_containing(tmpdir, ".modelseal-tmp-"), named ? 1 : 0);
    CHECK_INT(count_unnamed_open(tmpdir), named ? 0 : 1);
    struct stat sb;
    CHECK_INT(fstat(ms_outfile_fd(o), &sb), 0);
    CHECK_INT(sb.st_mode & 07777, 0600);
    CHECK_INT(write(ms_outfile_fd(o), "new", 3), 3);
    CHECK(!exists(target));
    /* replace == 0 onto a fresh name works; the file keeps its mode. */
    ms_error_clear(&err);
    CHECK_INT(ms_outfile_commit(o, 0, &err), MS_OK);
    ms_outfile_free(o);
    CHECK_STR(read_plain(target), "new");
    CHECK_INT(stat(target, &sb), 0);
    CHECK_INT(sb.st_mode & 07777, 0600);
    CHECK_INT(count_containing(tmpdir, ".modelseal-tmp-"), 0);

    /* replace == 0 onto an existing target: MS_E_EXISTS naming it, target kept. */
    CHECK_INT(ms_outfile_open(target, 0644, &o, &err), MS_OK);
    CHECK_INT(write(ms_outfile_fd(o), "other", 5), 5);
    ms_error_clear(&err);
    CHECK_INT(ms_outfile_commit(o, 0, &err), MS_E_EXISTS);
    CHECK_STR(err.message, named ? tpath("target-1.bin: already exists")
                                 : tpath("target-0.bin: already exists"));
    ms_outfile_free(o);
    CHECK_STR(read_plain(target), "new");
    CHECK_INT(count_containing(tmpdir, ".modelseal-tmp-"), 0);

    /* replace == 1 replaces. */
    CHECK_INT(ms_outfile_open(target, 0644, &o, &err), MS_OK);
    CHECK_INT(write(ms_outfile_fd(o), "third", 5), 5);
    CHECK_INT(ms_outfile_commit(o, 1, &err), MS_OK);
    ms_outfile_free(o);
    CHECK_STR(read_plain(target), "third");
    CHECK_INT(count_containing(tmpdir, name), 1);
    CHECK_INT(count_containing(tmpdir, ".modelseal-tmp-"), 0);

    /* Freed without commit: nothing is left and the target is unchanged. */
    CHECK_INT(ms_outfile_open(target, 0644, &o, &err), MS_OK);
    CHECK_INT(write(ms_outfile_fd(o), "lost", 4), 4);
    ms_outfile_free(o);
    CHECK_STR(read_plain(target), "third");
    CHECK_INT(count_containing(tmpdir, ".modelseal-tmp-"), 0);
    CHECK_INT(count_unnamed_open(tmpdir), 0);

    /* ms_temporaries_remove() takes away every listed name (what a signal handler does). */
    CHECK_INT(ms_outfile_open(target, 0644, &o, &err), MS_OK);
    ms_temporaries_remove();
    CHECK_INT(count_containing(tmpdir, ".modelseal-tmp-"), 0);
    ms_outfile_free(o);

    /* A missing directory: the message names the path given, not a temporary. */
    o = (ms_outfile *)1;
    ms_error_clear(&err);
    CHECK_INT(ms_outfile_open(tpath("nodir/x.mseal"), 0644, &o, &err), MS_E_IO);
    CHECK(o == NULL);
    char want[4200];
    snprintf(want, sizeof want, "%s: cannot create: No such file or directory",
             tpath("nodir/x.mseal"));
    CHECK_STR(err.message, want);

    /* A scratch file never has a name, and is gone once closed. */
    int fd = -1;
    CHECK_INT(ms_scratch_open(target, &fd, &err), MS_OK);
    CHECK(fd >= 0);
    CHECK_INT(write(fd, "scratch", 7), 7);
    CHECK_INT(count_containing(tmpdir, ".modelseal-tmp-"), 0);
    CHECK_INT(count_unnamed_open(tmpdir), 1);
    close(fd);
    CHECK_INT(count_unnamed_open(tmpdir), 0);
    unsetenv("MODELSEAL_TMPFILE");
}

static void test_commit(void)
{
    outfile_pass(0);
    outfile_pass(1);
}

static void test_read_file(void)
{
    ms_error err;
    char *buf = (char *)1;
    size_t len = 99;
    const char *p = tpath("hundred.txt");
    char content[101];
    for (int i = 0; i < 100; i++)
        content[i] = (char)('A' + i % 26);
    content[100] = '\0';
    write_plain(p, content);

    CHECK_INT(ms_read_file(p, 100, &buf, &len, &err), MS_OK);
    CHECK_INT(len, 100);
    CHECK(buf != NULL && memcmp(buf, content, 100) == 0 && buf[100] == '\0');
    free(buf);

    buf = (char *)1;
    len = 99;
    ms_error_clear(&err);
    CHECK_INT(ms_read_file(p, 99, &buf, &len, &err), MS_E_LIMIT);
    CHECK_INT(err.status, MS_E_LIMIT);
    CHECK_CONTAINS(err.message, "hundred.txt: 100 bytes exceeds the limit of 99");
    CHECK(buf == NULL);
    CHECK_INT(len, 0);
    CHECK_INT(ms_read_file(p, 0, &buf, &len, &err), MS_E_LIMIT);

    /* Empty file: a valid empty, NUL-terminated buffer. */
    write_plain(tpath("empty.txt"), "");
    buf = NULL;
    len = 5;
    CHECK_INT(ms_read_file(tpath("empty.txt"), 0, &buf, &len, &err), MS_OK);
    CHECK_INT(len, 0);
    CHECK(buf != NULL && buf[0] == '\0');
    free(buf);

    /* Missing file and directory: MS_E_IO naming the path. */
    buf = (char *)1;
    ms_error_clear(&err);
    CHECK_INT(ms_read_file(tpath("absent.txt"), 100, &buf, &len, &err), MS_E_IO);
    CHECK_CONTAINS(err.message, "absent.txt: cannot open");
    CHECK_CONTAINS(err.message, strerror(ENOENT));
    CHECK(buf == NULL);
    CHECK_INT(len, 0);
    ms_error_clear(&err);
    CHECK_INT(ms_read_file(tmpdir, 1 << 20, &buf, &len, &err), MS_E_IO);
    CHECK_CONTAINS(err.message, "not a regular file");
    CHECK(buf == NULL);

    /* A FIFO is not a regular file either: refused promptly, never waiting for
     * a writer.  Run in a child with an alarm so a hang cannot stall the suite. */
    const char *fifo = tpath("fifo.json");
    CHECK_INT(mkfifo(fifo, 0600), 0);
    pid_t pid = fork();
    if (pid == 0) {
        alarm(3);
        char *b = NULL;
        size_t l = 0;
        ms_error e;
        ms_error_clear(&e);
        ms_status st = ms_read_file(fifo, 100, &b, &l, &e);
        _exit(st == MS_E_IO && strstr(e.message, "not a regular file") != NULL ? 0 : 1);
    }
    int wst = 0;
    CHECK(pid > 0 && waitpid(pid, &wst, 0) == pid);
    if (WIFSIGNALED(wst))
        fprintf(stderr, "ms_read_file on a FIFO: killed by signal %d (hung in open)\n",
                WTERMSIG(wst));
    CHECK(WIFEXITED(wst) && WEXITSTATUS(wst) == 0);
}

int main(void)
{
    make_tmpdir();
    test_path_problem();
    test_open_parent();
    test_write_atomic();
    test_commit();
    test_read_file();
    remove_tmpdir();
    return check_finish("test_fsutil");
}
