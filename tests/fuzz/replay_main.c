/*
 * replay_main.c - a main() for a fuzz target without libFuzzer: runs
 * LLVMFuzzerTestOneInput() on every file named on the command line, or found
 * (not recursively) in a directory named there, each in a buffer of exactly
 * its size.  ctest runs it on the committed corpus and regression inputs, so
 * they are checked by every build, sanitized or not.
 */
#include <dirent.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

/* run_file() - one input; 0, or -1 when it cannot be read. */
static int run_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    struct stat st;
    if (!f || fstat(fileno(f), &st) != 0) {
        fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
        if (f)
            fclose(f);
        return -1;
    }
    size_t n = (size_t)st.st_size;
    uint8_t *buf = malloc(n ? n : 1); /* exactly n: a read past it is caught */
    size_t got = buf ? fread(buf, 1, n, f) : 0;
    fclose(f);
    if (!buf || got != n) {
        fprintf(stderr, "replay: %s: short read\n", path);
        free(buf);
        return -1;
    }
    LLVMFuzzerTestOneInput(buf, n);
    free(buf);
    return 0;
}

/* run_dir() - every regular file in @dir; the count run, or -1. */
static long run_dir(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    long n = 0;
    char path[4096];
    struct stat st;
    if (!d) {
        fprintf(stderr, "replay: %s: %s\n", dir, strerror(errno));
        return -1;
    }
    while ((e = readdir(d))) {
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        if (e->d_name[0] == '.' || stat(path, &st) != 0 || !S_ISREG(st.st_mode))
            continue;
        if (run_file(path) != 0) {
            closedir(d);
            return -1;
        }
        n++;
    }
    closedir(d);
    return n;
}

int main(int argc, char **argv)
{
    long total = 0;
    struct stat st;
    for (int i = 1; i < argc; i++) {
        long n = stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode) ? run_dir(argv[i])
                 : run_file(argv[i]) == 0                       ? 1
                                                                : -1;
        if (n < 0)
            return 1;
        printf("replay: %s: %ld input(s)\n", argv[i], n);
        total += n;
    }
    printf("replay: %ld input(s), no invariant broken\n", total);
    return 0;
}
