/* qmail-start: sets up the pipes between the queue programs and starts
 * them under their own users (INTERNALS 2). The process itself becomes
 * qmail-send, so a supervisor's signals reach qmail-send, and when
 * qmail-send exits every other program sees end of file and exits.
 *   qmail-start [defaultdelivery [logger arg...]]
 * With a logger, qmail-send's log goes through a pipe to that program,
 * run as the log user. */
#include "auto.h"
#include "die.h"
#include "priv.h"
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *progname = "qmail-start";

#define MAXFD 11      /* highest descriptor a child gets is 10 */

struct who {
  const char *user;   /* NULL: stay root */
  const char *group;
  uid_t uid;
  gid_t gid;
};

static void lookup(struct who *w)
{
  if (!w->user) return;
  if (priv_user(w->user, &w->uid, 0) < 0) die(111, "unable to find user %s", w->user);
  if (priv_group(w->group, &w->gid) < 0) die(111, "unable to find group %s", w->group);
}

static void mkpipe(int p[2])
{
  if (pipe2(p, O_CLOEXEC) < 0) die(111, "unable to create pipe");
}

/* Put src[i] on descriptor i for each i < n with src[i] >= 0. Every
 * source is first moved above MAXFD so no target clobbers another
 * source. Descriptors we do not list keep close-on-exec and vanish. */
static int arrange(const int *src, int n)
{
  int tmp[MAXFD];
  for (int i = 0; i < n; ++i) {
    tmp[i] = -1;
    if (src[i] < 0) continue;
    tmp[i] = fcntl(src[i], F_DUPFD_CLOEXEC, 64);
    if (tmp[i] < 0) return -1;
  }
  for (int i = 0; i < n; ++i) {
    if (tmp[i] < 0) { if (i > 2) close(i); continue; }
    if (dup2(tmp[i], i) < 0) return -1;          /* dup2 clears close-on-exec */
    close(tmp[i]);
  }
  /* nothing else inherited from whoever started us */
  for (int fd = n > 3 ? n : 3; fd < 256; ++fd) close(fd);
  return 0;
}

/* Run prog (absolute, or searched in PATH if logger) as w with fds. */
static void start(const struct who *w, const int *fds, int nfds, char **argv, int search)
{
  pid_t pid = fork();
  if (pid < 0) die(111, "unable to fork");
  if (pid > 0) return;
  if (arrange(fds, nfds) < 0) die(111, "unable to set up descriptors for %s", argv[0]);
  if (w->user && priv_drop(w->uid, w->gid) < 0) die(111, "unable to switch to user %s for %s", w->user, argv[0]);
  if (search) execvp(argv[0], argv); else execv(argv[0], argv);
  die(111, "unable to run %s", argv[0]);
}

static char *binpath(const char *name)
{
  size_t n = strlen(AUTO_QMAIL) + strlen(name) + 6;
  char *p = malloc(n);
  if (!p) die_nomem();
  strcpy(p, AUTO_QMAIL); strcat(p, "/bin/"); strcat(p, name);
  return p;
}

int main(int argc, char **argv)
{
  struct who send = {AUTO_USERS, AUTO_GROUPQ, 0, 0}, todo = {AUTO_USERS, AUTO_GROUPQ, 0, 0};
  struct who clean = {AUTO_USERQ, AUTO_GROUPQ, 0, 0}, rspawn = {AUTO_USERR, AUTO_GROUPQ, 0, 0};
  struct who lspawn = {0, 0, 0, 0}, logger = {AUTO_USERL, AUTO_GROUPN, 0, 0};
  int toL[2], fromL[2], toR[2], fromR[2], toC[2], fromC[2], toT[2], fromT[2], toTC[2], fromTC[2], logp[2];
  char *defaultdelivery = argc > 1 ? argv[1] : "./Maildir/";
  int devnull;

  lookup(&send); lookup(&todo); lookup(&clean); lookup(&rspawn);
  if (argc > 2) lookup(&logger);
  if (chdir(AUTO_QMAIL) < 0 || chdir("queue") < 0) die(111, "unable to chdir to %s/queue", AUTO_QMAIL);
  signal(SIGPIPE, SIG_DFL);
  devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
  if (devnull < 0) die(111, "unable to open /dev/null");

  mkpipe(toL); mkpipe(fromL); mkpipe(toR); mkpipe(fromR); mkpipe(toC); mkpipe(fromC);
  mkpipe(toT); mkpipe(fromT); mkpipe(toTC); mkpipe(fromTC);
  logp[0] = -1; logp[1] = 1;
  if (argc > 2) {
    int lfds[3] = {-1, 1, 2};
    mkpipe(logp);
    lfds[0] = logp[0];
    start(&logger, lfds, 3, argv + 2, 1);
    close(logp[0]);
  }
  {
    char *a[] = {binpath("qmail-lspawn"), defaultdelivery, 0};
    int f[3] = {toL[0], fromL[1], 2};
    start(&lspawn, f, 3, a, 0);
  }
  {
    char *a[] = {binpath("qmail-rspawn"), 0};
    int f[3] = {toR[0], fromR[1], 2};
    start(&rspawn, f, 3, a, 0);
  }
  {
    char *a[] = {binpath("qmail-clean"), 0};
    int f[3] = {toC[0], fromC[1], 2};
    start(&clean, f, 3, a, 0);
  }
  {
    char *a[] = {binpath("qmail-clean"), 0};
    int f[3] = {toTC[0], fromTC[1], 2};
    start(&clean, f, 3, a, 0);
  }
  {
    char *a[] = {binpath("qmail-todo"), 0};
    int f[9] = {toT[0], fromT[1], 2, -1, -1, -1, -1, toTC[1], fromTC[0]};
    start(&todo, f, 9, a, 0);
  }
  /* this process becomes qmail-send */
  {
    char *a[] = {binpath("qmail-send"), 0};
    int f[11] = {devnull, logp[1], 2, toL[1], fromL[0], toR[1], fromR[0], toC[1], fromC[0], toT[1], fromT[0]};
    if (arrange(f, 11) < 0) die(111, "unable to set up descriptors for qmail-send");
    if (priv_drop(send.uid, send.gid) < 0) die(111, "unable to switch to user %s", send.user);
    execv(a[0], a);
    die(111, "unable to run %s", a[0]);
  }
}
