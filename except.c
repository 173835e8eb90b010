/* except program [arg ...]: run program and turn its success into a
 * permanent failure and its permanent failure into success. */
#include "die.h"
#include "qcmd.h"
#include <errno.h>
#include <string.h>

const char *progname = "except";

static int run_inverted(char **prog)
{
  pid_t pid = qcmd_spawn(prog, -1);
  int code;
  if (pid < 0) die(qcmd_spawnexit(errno), "unable to run %s: %s", prog[0], strerror(errno));
  code = qcmd_wait(pid);
  if (code == -1) die(111, "wait failed: %s", strerror(errno));
  if (code == QCMD_CRASHED) die(111, "child crashed");
  return qcmd_except(code);
}

int main(int argc, char **argv)
{
  if (argc < 2 || !*argv[1]) die(100, "usage: except program [ arg ... ]");
  return run_inverted(argv + 1);
}
