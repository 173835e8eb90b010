#include "qq.h"
#include "auto.h"
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *queueprog(void)
{
  static char def[] = AUTO_QMAIL "/bin/qmail-queue";
  const char *p = getenv("QMAILQUEUE");
  /* a setuid caller must not run a program the user chose */
  if (p && *p && getuid() == geteuid() && getgid() == getegid()) return p;
  return def;
}

/* The child side: only what vfork allows (close, dup2, signal, exec,
 * _exit), all on its parameters. */
static __attribute__((noinline)) pid_t spawn(char *const *argv, const int *pm, const int *pe)
{
  pid_t pid = vfork();
  if (pid != 0) return pid;
  close(pm[1]); close(pe[1]);
  if (dup2(pm[0], 0) < 0 || dup2(pe[0], 1) < 0) _exit(QQ_EXEC_FAILED);
  if (pm[0] > 1) close(pm[0]);
  if (pe[0] > 1) close(pe[0]);
  signal(SIGPIPE, SIG_DFL);
  execv(argv[0], argv);
  _exit(QQ_EXEC_FAILED);
}

/* vfork: the caller's pages are not copied (fork() costs a big caller
 * noticeably more). */
int qq_open(struct qq *q)
{
  int pm[2], pe[2];
  char *argv[2];
  argv[0] = (char *)queueprog(); argv[1] = 0;
  q->bytes = 0;
  if (pipe(pm) < 0) return -1;
  if (pipe(pe) < 0) { close(pm[0]); close(pm[1]); return -1; }
  q->pid = spawn(argv, pm, pe);
  if (q->pid < 0) { close(pm[0]); close(pm[1]); close(pe[0]); close(pe[1]); return -1; }
  close(pm[0]); close(pe[0]);
  q->msgfd = pm[1]; q->envfd = pe[1];
  q->msgok = 0;
  q->pipeset = 0;
  wr_init(&q->msg, q->msgfd, 0);
  wr_init(&q->env, q->envfd, 0);
  return 0;
}

void qq_put(struct qq *q, const void *p, size_t n) { wr_put(&q->msg, p, n); q->bytes += n; }
void qq_puts(struct qq *q, const char *s) { qq_put(q, s, strlen(s)); }

/* The message is complete: flush and close its pipe (once). A dead
 * qmail-queue must not kill the caller with SIGPIPE from here on. */
static void msgdone(struct qq *q)
{
  if (!q->pipeset) { q->oldpipe = signal(SIGPIPE, SIG_IGN); q->pipeset = 1; }
  if (q->msgfd < 0) return;
  q->msgok = wr_flush(&q->msg);
  close(q->msgfd);
  q->msgfd = -1;
}

void qq_from(struct qq *q, const char *s)
{
  msgdone(q);
  wr_putc(&q->env, 'F'); wr_puts(&q->env, s); wr_putc(&q->env, 0);
}

void qq_to(struct qq *q, const char *s)
{
  wr_putc(&q->env, 'T'); wr_puts(&q->env, s); wr_putc(&q->env, 0);
}

static int reap(pid_t pid)
{
  int st;
  while (waitpid(pid, &st, 0) < 0)
    if (errno != EINTR) return QQ_INTERNAL;
  if (WIFSIGNALED(st)) return QQ_CRASHED;
  return WEXITSTATUS(st);
}

int qq_close(struct qq *q)
{
  msgdone(q);
  wr_putc(&q->env, 0);
  wr_flush(&q->env);
  close(q->envfd);
  int code = reap(q->pid);
  signal(SIGPIPE, q->oldpipe);
  if (code == 0 && q->msgok < 0) code = QQ_WRITE_ERR;  /* cannot happen: qq read all */
  return code;
}

void qq_abort(struct qq *q)
{
  int st;
  if (q->msgfd >= 0) close(q->msgfd);
  close(q->envfd);
  if (q->pipeset) signal(SIGPIPE, q->oldpipe);
  /* An empty envelope makes qmail-queue clean up and exit by itself;
   * SIGKILL would leave its mess/ file behind. */
  for (int i = 0; i < 500; ++i) {
    pid_t r = waitpid(q->pid, &st, WNOHANG);
    if (r == q->pid || (r < 0 && errno != EINTR)) return;
    usleep(10000);
  }
  kill(q->pid, SIGKILL);
  reap(q->pid);
}

const char *qq_text(int code)
{
  switch (code) {
  case QQ_OK: return "Kok";
  case QQ_ADDR_TOO_LONG: return "Denvelope address too long for qq (#5.1.3)";
  case QQ_PERM_REFUSED: return "Dmail server permanently rejected message (#5.3.0)";
  case QQ_NOMEM: return "Zqq out of memory (#4.3.0)";
  case QQ_TIMEOUT: return "Zqq timeout (#4.3.0)";
  case QQ_WRITE_ERR: return "Zqq write error or disk full (#4.3.0)";
  case QQ_READ_ERR: return "Zqq read error (#4.3.0)";
  case QQ_CONFIG_ERR: return "Zqq unable to read configuration (#4.3.0)";
  case QQ_NET_ERR: return "Zqq trouble making network connection (#4.3.0)";
  case QQ_HOMEDIR: return "Zqq trouble in home directory (#4.3.0)";
  case 62: case 63: case 64: case 65: case 66:
    return "Zqq trouble creating files in queue (#4.3.0)";
  case QQ_TEMP_REFUSED: return "Zmail server temporarily rejected message (#4.3.0)";
  case QQ_CONN_TIMEOUT: return "Zconnection to mail server timed out (#4.4.1)";
  case QQ_CONN_REFUSED: return "Zconnection to mail server rejected (#4.4.1)";
  case QQ_CONN_FAILED: return "Zcommunication with mail server failed (#4.4.2)";
  case QQ_INTERNAL: case QQ_ENVELOPE: return "Zqq internal bug (#4.3.0)";
  case QQ_EXEC_FAILED: return "Zunable to exec qq (#4.3.0)";
  case QQ_CRASHED: return "Zqq crashed (#4.3.0)";
  default: return "Zqq temporary problem (#4.3.0)";
  }
}

int qq_temporary(int code) { return qq_text(code)[0] == 'Z'; }
