/* forward: queue the message on stdin to the given addresses with the
 * envelope sender $NEWSENDER (set by qmail-local). forward(1). */
#include "die.h"
#include "qq.h"
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *progname = "forward";

static void copy(struct qq *q)
{
  static char buf[65536];
  for (;;) {
    ssize_t r = read(0, buf, sizeof buf);
    if (r < 0) {
      if (errno == EINTR) continue;
      int e = errno;
      qq_abort(q);
      die(111, "unable to read message: %s", strerror(e));
    }
    if (r == 0) return;
    qq_put(q, buf, (size_t)r);
  }
}

int main(int argc, char **argv)
{
  struct qq q;
  const char *sender = getenv("NEWSENDER");
  signal(SIGPIPE, SIG_IGN);
  if (!sender) die(100, "NEWSENDER not set");
  if (argc < 2) die(100, "usage: forward address [...]");
  if (qq_open(&q) < 0) die(111, "unable to fork: %s", strerror(errno));
  copy(&q);
  qq_from(&q, sender);
  for (int i = 1; i < argc; ++i) qq_to(&q, argv[i]);
  unsigned long qp = (unsigned long)q.pid;
  int code = qq_close(&q);
  if (code != QQ_OK) die(qq_temporary(code) ? 111 : 100, "%s", qq_text(code) + 1);
  char msg[64];
  int n = snprintf(msg, sizeof msg, "forward: qp %lu\n", qp);
  if (n > 0) { ssize_t w = write(2, msg, (size_t)n); (void)w; }
  return 0;
}
