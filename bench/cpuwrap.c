/* bench/cpuwrap.c: runs a program and logs its CPU split in two: its own
 * and that of the children it reaped (for bench/smtp-auth: qmail-smtpd
 * itself and its auth_smtp runs). Not one of the Makefile's programs.
 *
 * usage: cpuwrap LOG program [arg...]
 * Forks and runs the program (same stdin, stdout, stderr, environment);
 * when it has exited, while it is still a zombie, reads its own run time
 * from /proc/PID/schedstat (nanoseconds, exact), then reaps it with
 * wait4(), whose rusage holds its own CPU and its reaped children's (in
 * microseconds, also exact), and appends one line to LOG:
 *   <own ns> <own + children's us> <exit status> <own minor faults>
 *   <own + children's minor faults>
 * (the per-process tick counts of /proc/PID/stat would round a run of a
 * few milliseconds down to nothing; its fault count is exact). Exits as
 * the program did.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
  if (argc < 3) { fprintf(stderr, "usage: cpuwrap LOG program [arg...]\n"); return 100; }
  int log = open(argv[1], O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (log < 0) { fprintf(stderr, "cpuwrap: cannot open %s: %s\n", argv[1], strerror(errno)); return 111; }
  pid_t pid = fork();
  if (pid < 0) { fprintf(stderr, "cpuwrap: fork: %s\n", strerror(errno)); return 111; }
  if (pid == 0) {
    execv(argv[2], argv + 2);
    fprintf(stderr, "cpuwrap: cannot run %s: %s\n", argv[2], strerror(errno));
    _exit(111);
  }
  signal(SIGPIPE, SIG_IGN);
  siginfo_t si;
  while (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOWAIT) < 0)
    if (errno != EINTR) { fprintf(stderr, "cpuwrap: waitid: %s\n", strerror(errno)); return 111; }
  char path[64], buf[128];
  unsigned long long own = 0, ownflt = 0;
  snprintf(path, sizeof path, "/proc/%d/schedstat", (int)pid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd >= 0) {
    ssize_t n = read(fd, buf, sizeof buf - 1);
    if (n > 0) { buf[n] = 0; own = strtoull(buf, 0, 10); }
    close(fd);
  }
  /* /proc/PID/stat: minflt is the 8th field after "(comm) " */
  char st[1024];
  snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
  if ((fd = open(path, O_RDONLY | O_CLOEXEC)) >= 0) {
    ssize_t n = read(fd, st, sizeof st - 1);
    char *p = n > 0 ? (st[n] = 0, strrchr(st, ')')) : 0;
    for (int f = 0; p && f < 8; ++f) p = strchr(p + 1, ' ');
    if (p) ownflt = strtoull(p + 1, 0, 10);
    close(fd);
  }
  struct rusage ru;
  int status;
  while (wait4(pid, &status, 0, &ru) < 0)
    if (errno != EINTR) { fprintf(stderr, "cpuwrap: wait4: %s\n", strerror(errno)); return 111; }
  unsigned long long all = (unsigned long long)ru.ru_utime.tv_sec * 1000000 + (unsigned long long)ru.ru_utime.tv_usec +
                           (unsigned long long)ru.ru_stime.tv_sec * 1000000 + (unsigned long long)ru.ru_stime.tv_usec;
  int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  int l = snprintf(buf, sizeof buf, "%llu %llu %d %llu %ld\n", own, all, code, ownflt, ru.ru_minflt);
  if (write(log, buf, (size_t)l) != l) { /* a lost line shows as a count mismatch */ }
  return code;
}
