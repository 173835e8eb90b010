/* preline [-frdFRD] program [arg ...]: feed program the message with
 * UFLINE (From_), RPLINE (Return-Path) and DTLINE (Delivered-To) first,
 * for programs that expect an mbox-style message; exit as program does. */
#include "die.h"
#include "qcmd.h"
#include "rd.h"
#include "sb.h"
#include "wr.h"
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *progname = "preline";

/* Copy the header lines and fd 0 to fd. Returns 0, EPIPE when the program
 * stopped reading (its exit code decides), or -1 on a read error. */
static int feed(int fd, const sb *head)
{
  struct wr w;
  struct rd r;
  int st = RD_OK;
  wr_init(&w, fd, 0);
  wr_put(&w, head->s, head->len);
  rd_init(&r, 0, 0);
  while (!w.err && (st = rd_fill(&r)) == RD_OK) {
    wr_put(&w, r.buf + r.pos, r.len - r.pos);
    r.pos = r.len;
  }
  if (!w.err && st != RD_EOF) return -1;
  if (wr_flush(&w) < 0) return errno == EPIPE ? EPIPE : -2;
  return 0;
}

static int run(char **prog, const sb *head)
{
  int pi[2], r, code;
  pid_t pid;
  /* close-on-exec: the program must not hold the write end itself */
  if (pipe2(pi, O_CLOEXEC) < 0) die(111, "unable to create pipe: %s", strerror(errno));
  pid = qcmd_spawn(prog, pi[0]);
  if (pid < 0) die(qcmd_spawnexit(errno), "unable to run %s: %s", prog[0], strerror(errno));
  close(pi[0]);
  r = feed(pi[1], head);
  if (r < 0) {
    int e = errno;
    /* do not let a half message look complete */
    kill(pid, SIGKILL);
    close(pi[1]);
    qcmd_wait(pid);
    die(111, r == -1 ? "unable to read input: %s" : "unable to write to program: %s", strerror(e));
  }
  close(pi[1]);
  code = qcmd_wait(pid);
  if (code == -1) die(111, "wait failed: %s", strerror(errno));
  if (code == QCMD_CRASHED) die(111, "child crashed");
  return code;
}

int main(int argc, char **argv)
{
  int flags, i;
  sb head = SB_INIT;
  i = qcmd_preline_opts(argc, argv, &flags);
  if (i < 0) die(100, "usage: preline [ -frdFRD ] cmd [ arg ... ]");
  if (!qcmd_preline_head(&head, flags, getenv("UFLINE"), getenv("RPLINE"), getenv("DTLINE"))) {
    if (errno == ENOMEM) die_nomem();
    die(100, "UFLINE, RPLINE or DTLINE not set (run me from .qmail)");
  }
  signal(SIGPIPE, SIG_IGN);
  i = run(argv + i, &head);
  sb_free(&head);
  return i;
}
