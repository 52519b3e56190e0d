/*
 * Runs a command and reports what it cost, for the scripts/bench rows whose
 * programs cannot report it themselves (the `kafka` CLI against kcat):
 *
 *   rusage_run OUTFILE COMMAND [ARG...]
 *
 * The command gets this process's stdin, stdout and stderr. When it ends,
 * one line goes to OUTFILE:
 *
 *   cpu_user_us=N cpu_sys_us=N peak_rss_kb=N
 *
 * from wait4's rusage of that child alone (every thread, start to exit;
 * ru_maxrss in kilobytes on Linux). The exit status is the command's (128 +
 * signal if a signal ended it; 127 if it could not be started, 1 for an error
 * here).
 *
 * Build:
 *   cc -O2 -Wall -o Benchmarks/CBaseline/bin/rusage_run \
 *      Benchmarks/CBaseline/rusage_run.c
 */
#define _DEFAULT_SOURCE

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *prog = "rusage_run";

static long long micros(struct timeval tv) {
        return (long long)tv.tv_sec * 1000000 + tv.tv_usec;
}

int main(int argc, char **argv) {
        struct rusage ru;
        FILE *out;
        pid_t pid;
        int status;

        if (argc < 3) {
                fprintf(stderr, "usage: %s OUTFILE COMMAND [ARG...]\n", prog);
                return 2;
        }
        /* Opened first, so a bad path fails before the command runs. */
        out = fopen(argv[1], "w");
        if (!out) {
                fprintf(stderr, "%s: cannot open %s: %s\n", prog, argv[1],
                        strerror(errno));
                return 1;
        }

        pid = fork();
        if (pid < 0) {
                fprintf(stderr, "%s: fork: %s\n", prog, strerror(errno));
                return 1;
        }
        if (pid == 0) {
                execvp(argv[2], argv + 2);
                fprintf(stderr, "%s: cannot run %s: %s\n", prog, argv[2],
                        strerror(errno));
                _exit(127);
        }

        while (wait4(pid, &status, 0, &ru) < 0) {
                if (errno != EINTR) {
                        fprintf(stderr, "%s: wait4: %s\n", prog,
                                strerror(errno));
                        return 1;
                }
        }

        fprintf(out, "cpu_user_us=%lld cpu_sys_us=%lld peak_rss_kb=%ld\n",
                micros(ru.ru_utime), micros(ru.ru_stime), ru.ru_maxrss);
        if (fclose(out) != 0) {
                fprintf(stderr, "%s: cannot write %s: %s\n", prog, argv[1],
                        strerror(errno));
                return 1;
        }
        if (WIFEXITED(status))
                return WEXITSTATUS(status);
        if (WIFSIGNALED(status))
                return 128 + WTERMSIG(status);
        return 1;
}
