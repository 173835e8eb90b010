/* qmail-rspawn: remote deliveries for qmail-send (INTERNALS 5). Runs
 * qmail-remote host sender recipient for each request; the output
 * contract is described in spawn.h. */
#include "auto.h"
#include "die.h"
#include "spawn.h"
#include <unistd.h>

const char *progname = "qmail-rspawn";

static pid_t rspawn_start(const struct spawn_req *r, int fdmess, int fdout, sb *report)
{
  pid_t pid;
  (void)report;
  pid = spawn_fork(fdmess, fdout);
  if (pid == 0) {
    char *argv[5];
    argv[0] = "qmail-remote";
    argv[1] = (char *)r->rcpt + r->at + 1;
    argv[2] = (char *)r->sender;
    argv[3] = (char *)r->rcpt;
    argv[4] = 0;
    execv(AUTO_QMAIL "/bin/qmail-remote", argv);
    _exit(111);                /* "Unable to run qmail-remote." (temporary) */
  }
  return pid;
}

static void rspawn_report(int wstatus, const char *out, size_t len, sb *report)
{
  spawn_report_remote(wstatus, out, len, report);
}

int main(void)
{
  static const struct spawn_agent agent = {NULL, rspawn_start, rspawn_report};
  return spawn_main(&agent);
}
