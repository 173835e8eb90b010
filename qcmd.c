#include "qcmd.h"
#include "die.h"
#include "io.h"
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

pid_t qcmd_spawn(char *const argv[], int infd)
{
  int ep[2], err;
  ssize_t n;
  pid_t pid;
  if (!argv || !argv[0]) { errno = EINVAL; return -1; }
  /* the child reports a failed exec over a close-on-exec pipe, so a
   * missing program is not mistaken for one that exited 100 */
  if (pipe2(ep, O_CLOEXEC) < 0) return -1;
  pid = fork();
  if (pid < 0) { err = errno; close(ep[0]); close(ep[1]); errno = err; return -1; }
  if (pid == 0) {
    close(ep[0]);
    signal(SIGPIPE, SIG_DFL);
    if (infd >= 0 && fd_move(0, infd) < 0) err = errno;
    else { execvp(argv[0], argv); err = errno; }
    n = write(ep[1], &err, sizeof err);
    (void)n;
    _exit(127);
  }
  close(ep[1]);
  do n = read(ep[0], &err, sizeof err); while (n < 0 && errno == EINTR);
  close(ep[0]);
  if (n == 0) return pid;
  if (n != (ssize_t)sizeof err) err = EIO;
  qcmd_wait(pid);
  errno = err;
  return -1;
}

int qcmd_wait(pid_t pid)
{
  int st;
  while (waitpid(pid, &st, 0) < 0)
    if (errno != EINTR) return -1;
  if (WIFSIGNALED(st)) return QCMD_CRASHED;
  return WEXITSTATUS(st);
}

int qcmd_errtemp(int err)
{
  switch (err) {
  case EINTR: case ENOMEM: case ETXTBSY: case EIO: case ETIMEDOUT: case EAGAIN:
  case ENFILE: case EMFILE: case ENOSPC: case EDQUOT: case ESTALE: case EBUSY:
  case ENOBUFS: case ENOLCK: case EHOSTUNREACH: case ENETUNREACH: case ECONNREFUSED:
    return 1;
  default:
    return 0;
  }
}

int qcmd_spawnexit(int err) { return qcmd_errtemp(err) ? 111 : 100; }

int qcmd_cond(int code)
{
  if (code == 0) return 1;
  if (code == 111 || code < 0) return -1;
  return 0;
}

int qcmd_except(int code)
{
  if (code < 0) return 111;
  if (code == 0) return 100;
  if (code == 100) return 0;
  return code;
}

int qcmd_preline_opts(int argc, char *const argv[], int *flags)
{
  int i;
  *flags = QCMD_UF | QCMD_RP | QCMD_DT;
  for (i = 1; i < argc && argv[i] && argv[i][0] == '-' && argv[i][1]; ++i) {
    const char *p = argv[i] + 1;
    if (!strcmp(p, "-")) { ++i; break; }
    for (; *p; ++p) {
      switch (*p) {
      case 'f': *flags &= ~QCMD_UF; break;
      case 'r': *flags &= ~QCMD_RP; break;
      case 'd': *flags &= ~QCMD_DT; break;
      case 'F': *flags |= QCMD_UF; break;
      case 'R': *flags |= QCMD_RP; break;
      case 'D': *flags |= QCMD_DT; break;
      default: return -1;
      }
    }
  }
  if (i >= argc || !argv[i] || !*argv[i]) return -1;
  return i;
}

int qcmd_preline_head(sb *out, int flags, const char *uf, const char *rp, const char *dt)
{
  out->len = 0;
  if ((flags & QCMD_UF) && (!uf || !sb_cats(out, uf))) return 0;
  if ((flags & QCMD_RP) && (!rp || !sb_cats(out, rp))) return 0;
  if ((flags & QCMD_DT) && (!dt || !sb_cats(out, dt))) return 0;
  return sb_ready(out, 0);
}

void qcmd_condition(char **prog)
{
  pid_t pid = qcmd_spawn(prog, -1);
  int code;
  if (pid < 0) die(qcmd_spawnexit(errno), "unable to run %s: %s", prog[0], strerror(errno));
  code = qcmd_wait(pid);
  if (code == -1) die(111, "wait failed: %s", strerror(errno));
  switch (qcmd_cond(code)) {
  case 1: return;
  case 0: _exit(0);
  default: die(111, code == QCMD_CRASHED ? "child crashed" : "temporary child error");
  }
}
