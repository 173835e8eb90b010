/* qmail-qmtpd: receive messages by QMTP (run by tcpserver). Each message
 * is three netstrings: the message (its first byte says LF or CRLF line
 * ends), the sender, and a netstring of recipient netstrings; the answer
 * is one netstring per recipient (K, Z or D). Recipients must be in
 * rcpthosts or locals (locals not with NOLOCAL), unless RELAYCLIENT is
 * set (its value is appended to each). control/databytes (env DATABYTES
 * overrides) limits the message size. A bare CR in the message (one not
 * followed by LF, in either mode) is refused like SMTP's: "\r.\r" must
 * not reach a next hop that ends DATA there; so are CR, LF and NUL in
 * addresses. control/timeoutqmtpsession bounds the whole session.
 * Exit 0 at the client's end of session, 100 on a protocol violation,
 * 111 on trouble. */
#include "auto.h"
#include "ctl.h"
#include "netstring.h"
#include "qq.h"
#include "rcpthosts.h"
#include "rd.h"
#include "received.h"
#include "sb.h"
#include "wr.h"
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdnoreturn.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

const char *progname = "qmail-qmtpd";

#define QMTP_MAX ((uint64_t)1 << 40)   /* bytes of one netstring */
#define ADDRMAX 1000
#define TIMEOUT 1200
#define SESSION 3600

static void sigalrm(int s) { (void)s; _exit(111); }

struct server {
  struct rd in;
  struct wr out;
  struct rcpthosts rh;
  const char *relayclient;
  uint64_t databytes;            /* 0: no limit */
  struct received rv;
};

struct message {
  struct qq q;
  int qopen;
  int toobig, badsender, bother, barecr;
  sb addr;
  sb status;                     /* per recipient: 0 ok, 'D' not ours, 'L' too long, 'N' NUL */
};

static noreturn void leave(struct message *m, int code)
{
  if (m->qopen) qq_abort(&m->q);
  _exit(code);
}

static void check(struct message *m, int k)
{
  if (k == RD_OK) return;
  leave(m, k == NS_BAD || k == RD_PARTIAL || k == RD_EOF ? 100 : 111);
}

/* Message bytes into the queue; past databytes nothing more is queued. */
static void emit(struct server *s, struct message *m, uint64_t *size, const char *p, size_t n)
{
  if (!add_u64(*size, n, size) || (s->databytes && *size > s->databytes)) { m->toobig = 1; return; }
  if (!m->barecr) qq_put(&m->q, p, n);
}

/* The message netstring's contents after the length: CRLF becomes LF in
 * CRLF mode (first byte '\r'). A CR not followed by LF marks the message
 * refused (nothing more is queued). */
static void body(struct server *s, struct message *m, uint64_t n)
{
  int crlf = 0, cr = 0;
  uint64_t size = 0;
  unsigned char c;
  int k = rd_getc(&s->in, &c);
  check(m, k == RD_EOF ? RD_PARTIAL : k);
  if (c == '\r') crlf = 1;
  else if (c != '\n') leave(m, 100);
  --n;
  while (n) {
    k = rd_fill(&s->in);
    check(m, k == RD_EOF ? RD_PARTIAL : k);
    size_t take = rd_buffered(&s->in);
    if (take > n) take = (size_t)n;
    const char *p = (const char *)s->in.buf + s->in.pos;
    if (!crlf) {
      for (size_t i = 0; i < take && !m->barecr; ++i) {
        if (cr && p[i] != '\n') m->barecr = 1;
        cr = p[i] == '\r';
      }
      emit(s, m, &size, p, take);
    } else for (size_t i = 0; i < take; ++i) {
      if (cr && p[i] != '\n') m->barecr = 1;
      cr = p[i] == '\r';
      if (!cr) emit(s, m, &size, p + i, 1);
    }
    s->in.pos += take;
    n -= take;
  }
  if (cr) m->barecr = 1;
}

/* An address netstring of at most ADDRMAX bytes into m->addr; returns 0
 * if it was longer (skipped) or held a NUL. */
static int getaddr(struct server *s, struct message *m, uint64_t *budget, size_t extra)
{
  uint64_t n;
  check(m, ns_getlen(&s->in, budget ? *budget : QMTP_MAX, &n, budget));
  m->addr.len = 0;
  int ok = n + extra < ADDRMAX;
  check(m, ns_getbytes(&s->in, n, ok ? &m->addr : 0, budget));
  check(m, ns_getcomma(&s->in, budget));
  for (size_t i = 0; ok > 0 && i < m->addr.len; ++i)   /* SMTP refuses these too */
    if (m->addr.s[i] == 0 || m->addr.s[i] == '\r' || m->addr.s[i] == '\n') ok = -1;
  if (!sb_cat0(&m->addr)) leave(m, 111);
  return ok;
}

static void recipients(struct server *s, struct message *m)
{
  uint64_t left;
  check(m, ns_getlen(&s->in, QMTP_MAX, &left, 0));
  size_t extra = s->relayclient ? strlen(s->relayclient) : 0;
  while (left) {
    char st = 0;
    int ok = getaddr(s, m, &left, extra);
    if (ok == 0) st = 'L';
    else if (ok < 0) st = 'N';
    else if (s->relayclient) {
      m->addr.len--;                          /* the NUL */
      if (!sb_cats(&m->addr, s->relayclient) || !sb_cat0(&m->addr)) leave(m, 111);
    } else {
      int r = rcpthosts_allowed(&s->rh, m->addr.s, m->addr.len - 1);
      if (r < 0) leave(m, 111);
      if (!r) st = 'D';
    }
    if (!st) { qq_to(&m->q, m->addr.s); m->bother = 1; }
    if (!sb_catc(&m->status, st)) leave(m, 111);
  }
  check(m, ns_getcomma(&s->in, 0));
}

/* One message; returns 0 at the client's clean end of session. */
static int one(struct server *s, struct message *m)
{
  static char ok[100];
  uint64_t n;
  sb line = SB_INIT;
  int k = ns_getlen(&s->in, QMTP_MAX, &n, 0);
  if (k == RD_EOF) return 0;
  check(m, k);
  if (!n) leave(m, 100);
  if (qq_open(&m->q) < 0) leave(m, 111);
  m->qopen = 1;
  m->toobig = m->badsender = m->bother = m->barecr = 0;
  m->status.len = 0;
  if (!received_fmt(&line, &s->rv, time(0))) leave(m, 111);
  qq_put(&m->q, line.s, line.len);
  sb_free(&line);
  body(s, m, n);
  check(m, ns_getcomma(&s->in, 0));
  if (getaddr(s, m, 0, 0) <= 0) { m->badsender = 1; m->addr.len = 0; if (!sb_cat0(&m->addr)) leave(m, 111); }
  qq_from(&m->q, m->addr.s);
  recipients(s, m);

  const char *result;
  if (!m->bother || m->badsender || m->toobig || m->barecr) {
    qq_abort(&m->q);
    result = "Zno recipients (#4.3.0)";       /* never sent: nobody gets it */
  } else {
    pid_t qp = m->q.pid;
    int code = qq_close(&m->q);
    if (code) result = qq_text(code);
    else {
      snprintf(ok, sizeof ok, "Kok %llu qp %llu", (unsigned long long)time(0), (unsigned long long)qp);
      result = ok;
    }
  }
  m->qopen = 0;
  if (m->badsender) result = "Dunacceptable sender (#5.1.7)";
  if (m->toobig) result = "Dsorry, that message size exceeds my databytes limit (#5.3.4)";
  if (m->barecr) result = "Dsorry, I can't accept a bare CR in a message (#5.6.0)";
  for (size_t i = 0; i < m->status.len; ++i) {
    const char *t = result;
    if (m->status.s[i] == 'D') t = "Dsorry, that domain isn't in my list of allowed rcpthosts (#5.7.1)";
    else if (m->status.s[i]) t = "Dsorry, I can't handle that recipient (#5.1.3)";
    wr_putu64(&s->out, strlen(t));
    wr_putc(&s->out, ':');
    wr_puts(&s->out, t);
    wr_putc(&s->out, ',');
  }
  if (wr_flush(&s->out) < 0) _exit(0);
  return 1;
}

static void setup(struct server *s)
{
  const char *x;
  if (chdir(AUTO_QMAIL) < 0) _exit(111);
  if (rcpthosts_init(&s->rh, getenv("NOLOCAL") != 0) < 0) _exit(111);
  s->relayclient = getenv("RELAYCLIENT");
  if (ctl_u64("databytes", &s->databytes) < 0) _exit(111);
  if ((x = getenv("DATABYTES")) && !scan_u64s(x, &s->databytes)) _exit(111);
  uint64_t session;
  if (ctl_u64("timeoutqmtpsession", &session) < 0) _exit(111);
  s->rv.protocol = "QMTP";
  s->rv.remotehost = getenv("TCPREMOTEHOST");
  s->rv.remoteinfo = getenv("TCPREMOTEINFO");
  s->rv.remoteip = getenv("TCPREMOTEIP");
  s->rv.local = getenv("TCPLOCALHOST");
  if (!s->rv.local) s->rv.local = getenv("TCPLOCALIP");
  rd_init(&s->in, 0, TIMEOUT);
  wr_init(&s->out, 1, TIMEOUT);
  /* reads end at the deadline; the alarm catches writes that crawl */
  rd_deadline_in(&s->in, session);
  if (session > UINT_MAX - TIMEOUT) session = UINT_MAX - TIMEOUT;
  alarm(session ? (unsigned)session + TIMEOUT : 0);
}

int main(void)
{
  static struct server s;
  static struct message m;
  signal(SIGPIPE, SIG_IGN);
  signal(SIGALRM, sigalrm);
  alarm(SESSION);
  setup(&s);
  while (one(&s, &m)) {}
  return 0;
}
