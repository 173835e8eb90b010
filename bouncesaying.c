/* bouncesaying error [program [arg ...]]: bounce the message with error,
 * either always or when program exits 0. */
#include "die.h"
#include "io.h"
#include "qcmd.h"
#include <errno.h>
#include <string.h>
#include <unistd.h>

const char *progname = "bouncesaying";

/* 1 if the message should bounce; exits on a temporary problem. */
static int should_bounce(char **prog)
{
  pid_t pid;
  int code;
  if (!prog[0]) return 1;
  pid = qcmd_spawn(prog, -1);
  if (pid < 0) die(qcmd_spawnexit(errno), "unable to run %s: %s", prog[0], strerror(errno));
  code = qcmd_wait(pid);
  if (code == -1) die(111, "wait failed: %s", strerror(errno));
  switch (qcmd_cond(code)) {
  case 1: return 1;
  case 0: return 0;
  default: die(111, code == QCMD_CRASHED ? "child crashed" : "temporary child error");
  }
}

int main(int argc, char **argv)
{
  if (argc < 2) die(100, "usage: bouncesaying error [ program [ arg ... ] ]");
  if (!should_bounce(argv + 2)) return 0;
  /* the text alone is the bounce reason qmail-local reports */
  if (io_writeall(2, argv[1], strlen(argv[1])) < 0 || io_writeall(2, "\n", 1) < 0) return 100;
  return 100;
}
