/* condredirect newaddress program [arg ...]: if program exits 0, queue
 * the message (rewound fd 0) to newaddress and exit 99 so qmail-local
 * skips the rest of .qmail; otherwise leave it alone (exit 0). */
#include "die.h"
#include "qcmd.h"
#include "qq.h"
#include "rd.h"
#include "wr.h"
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *progname = "condredirect";


/* The forwarding sender: NEWSENDER (qmail-local's choice for forwards,
 * e.g. an -owner address), else SENDER. */
static const char *fwd_sender(void)
{
  const char *s = getenv("NEWSENDER");
  return s ? s : getenv("SENDER");
}

static void report_qp(pid_t pid)
{
  struct wr w;
  wr_init(&w, 2, 0);
  wr_puts(&w, "condredirect: qp ");
  wr_putu64(&w, (uint64_t)pid);
  wr_putc(&w, '\n');
  wr_flush(&w);
}

static void redirect(const char *to, const char *sender, const char *dtline)
{
  struct qq q;
  struct rd r;
  int st, code;
  if (lseek(0, 0, SEEK_SET) < 0) die(111, "unable to rewind: %s", strerror(errno));
  signal(SIGPIPE, SIG_IGN);
  if (qq_open(&q) < 0) die(111, "unable to fork: %s", strerror(errno));
  qq_puts(&q, dtline);
  rd_init(&r, 0, 0);
  while ((st = rd_fill(&r)) == RD_OK) {
    qq_put(&q, r.buf + r.pos, r.len - r.pos);
    r.pos = r.len;
  }
  if (st != RD_EOF) {
    int e = errno;
    qq_abort(&q);
    die(111, "unable to read message: %s", strerror(e));
  }
  qq_from(&q, sender);
  qq_to(&q, to);
  code = qq_close(&q);
  if (code) die(qq_temporary(code) ? 111 : 100, "%s", qq_text(code) + 1);
  report_qp(q.pid);
  _exit(99);
}

int main(int argc, char **argv)
{
  const char *sender, *dtline;
  if (argc < 3 || !*argv[1]) die(100, "usage: condredirect newaddress program [ arg ... ]");
  qcmd_condition(argv + 2);
  if (!(sender = fwd_sender())) die(100, "SENDER not set");
  if (!(dtline = getenv("DTLINE"))) die(100, "DTLINE not set");
  redirect(argv[1], sender, dtline);
  return 111;
}
