/* qmail-qmqpd: receive one message by QMQP (run by tcpserver, which
 * decides who may connect). The request is one netstring holding the
 * message's, the sender's and each recipient's netstring; the reply is
 * one netstring starting with K, Z or D. A zlib-compressed request
 * (qmail-qmqpc with QMQP_COMPRESS) is recognised by its first bytes: a
 * plain one starts with digits and ':'. NOCOMPRESS turns that off.
 * Refused with D (nothing queued): a message longer than databytes (env
 * DATABYTES overrides; checked against the declared length, so nothing
 * is written), a compressed request inflating beyond qmqpratio, a bare
 * CR in the message (one not followed by LF: "\r.\r" must not reach a
 * next hop that ends DATA there), CR, LF or NUL in an address, and a
 * request without recipients.
 * Exit 0 after a reply, 100 on a protocol violation, 111 on trouble. */
#include "ctl.h"
#include "io.h"
#include "netstring.h"
#include "qq.h"
#include "rd.h"
#include "received.h"
#include "sb.h"
#include "wr.h"
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdnoreturn.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

const char *progname = "qmail-qmqpd";

#define QMQP_MAX ((uint64_t)1 << 40)   /* bytes of a request */
#define ADDRMAX 1000                   /* longer addresses are refused */
#define TIMEOUT 1200                   /* seconds of silence */
#define SESSION 3600                   /* seconds in all */
#define RATIOFLOOR ((uint64_t)1 << 20) /* inflated bytes always allowed */
#define EXIT_RATIO 101                 /* the inflater's "inflates too much" */

static uint64_t databytes;             /* 0: no limit */
static uint64_t ratio;                 /* qmqpratio; 0: no limit */

static void sigalrm(int s) { (void)s; _exit(111); }

/* ---- compression: an inflating child feeds us through a pipe ---- */

/* Take the next bytes of in (the buffered ones first) into the stream. */
static int refill(struct rd *in, z_stream *z, unsigned char *buf, size_t size, uint64_t *total)
{
  int k = rd_fill(in);
  if (k != RD_OK) return -1;
  size_t have = rd_buffered(in);
  if (have > size) have = size;
  memcpy(buf, in->buf + in->pos, have);
  in->pos += have;
  *total += have;
  z->next_in = buf;
  z->avail_in = (uInt)have;
  return 0;
}

static noreturn void inflater(struct rd *in, int to)
{
  static unsigned char ibuf[16384], obuf[65536];
  z_stream z;
  uint64_t inbytes = 0, outbytes = 0, cap;
  memset(&z, 0, sizeof z);
  alarm(SESSION);
  if (inflateInit(&z) != Z_OK) _exit(111);
  for (;;) {
    if (!z.avail_in && refill(in, &z, ibuf, sizeof ibuf, &inbytes) < 0) _exit(100);   /* truncated or silent */
    z.next_out = obuf;
    z.avail_out = sizeof obuf;
    int r = inflate(&z, Z_NO_FLUSH);
    if (r != Z_OK && r != Z_STREAM_END && r != Z_BUF_ERROR) _exit(100);
    /* a zip bomb stops here, before its output goes anywhere */
    outbytes += sizeof obuf - z.avail_out;
    if (ratio && outbytes > RATIOFLOOR && mul_u64(inbytes, ratio, &cap) && outbytes - RATIOFLOOR > cap)
      _exit(EXIT_RATIO);
    if (io_writeall(to, obuf, sizeof obuf - z.avail_out) < 0) _exit(0);     /* the reader is gone */
    if (r == Z_STREAM_END) _exit(0);
  }
}

/* Replace in by a pipe from an inflating child. Returns its pid. */
static pid_t decompress(struct rd *in)
{
  int p[2];
  pid_t pid;
  if (pipe(p) < 0) _exit(111);
  pid = fork();
  if (pid < 0) _exit(111);
  if (pid == 0) {
    close(p[0]);
    signal(SIGPIPE, SIG_DFL);
    inflater(in, p[1]);
  }
  close(p[1]);
  rd_init(in, p[0], TIMEOUT);
  return pid;
}

static void answer(const char *result);

/* ---- the request ---- */

struct request {
  struct rd in;
  struct qq q;
  int qopen;
  pid_t child;            /* the inflater, if compressed */
  uint64_t left;          /* bytes of the outer netstring not read yet */
  int badaddr;            /* an address was too long or had a NUL, CR or LF */
  int toobig, barecr;
  uint64_t nrcpt;
  sb addr;
};

static noreturn void proto(struct request *r)
{
  if (r->qopen) qq_abort(&r->q);
  _exit(100);
}

static void check(struct request *r, int k)
{
  if (k == RD_OK) return;
  if (r->qopen) qq_abort(&r->q);
  /* the inflated stream ended early: the inflater may have refused */
  if (r->child && (k == RD_PARTIAL || k == RD_EOF)) {
    int st;
    close(r->in.fd);
    while (waitpid(r->child, &st, 0) < 0)
      if (errno != EINTR) _exit(111);
    r->child = 0;
    if (WIFEXITED(st) && WEXITSTATUS(st) == EXIT_RATIO) {
      answer(r->toobig ? "Dsorry, that message size exceeds my databytes limit (#5.3.4)"
                       : "Dsorry, that compressed request inflates too much (#5.3.4)");
      _exit(0);
    }
  }
  _exit(k == NS_BAD || k == RD_PARTIAL || k == RD_EOF ? 100 : 111);
}

/* One address netstring into r->addr ("" and badaddr if unusable). */
static void getaddr(struct request *r)
{
  uint64_t n;
  check(r, ns_getlen(&r->in, r->left, &n, &r->left));
  r->addr.len = 0;
  if (n > ADDRMAX) {
    r->badaddr = 1;
    check(r, ns_getbytes(&r->in, n, 0, &r->left));
  } else {
    check(r, ns_getbytes(&r->in, n, &r->addr, &r->left));
    for (size_t i = 0; i < r->addr.len; ++i)       /* SMTP refuses these too */
      if (r->addr.s[i] == 0 || r->addr.s[i] == '\r' || r->addr.s[i] == '\n') { r->badaddr = 1; r->addr.len = 0; break; }
  }
  check(r, ns_getcomma(&r->in, &r->left));
  if (!sb_cat0(&r->addr)) { if (r->qopen) qq_abort(&r->q); _exit(111); }
}

static void put_received(struct qq *q, int compressed)
{
  sb line = SB_INIT;
  const char *local = getenv("TCPLOCALHOST");
  if (!local) local = getenv("TCPLOCALIP");
  struct received rv = {compressed ? "compressed QMQP" : "QMQP", local, getenv("TCPREMOTEIP"),
                        getenv("TCPREMOTEHOST"), getenv("TCPREMOTEINFO"), 0, 0, 0};
  if (!received_fmt(&line, &rv, time(0))) { qq_abort(q); _exit(111); }
  qq_put(q, line.s, line.len);
  sb_free(&line);
}

/* Stop queueing: the request is refused, the rest is only read. */
static void drop(struct request *r)
{
  if (r->qopen) qq_abort(&r->q);
  r->qopen = 0;
}

/* Read and queue the request; returns the reply text (K/Z/D...). */
static const char *serve(struct request *r, int compressed)
{
  static char ok[100];
  uint64_t n;
  int cr = 0;                                  /* the last message byte was CR */
  check(r, ns_getlen(&r->in, QMQP_MAX, &r->left, 0));
  check(r, ns_getlen(&r->in, r->left, &n, &r->left));
  if (n > r->left) proto(r);
  r->left -= n;
  r->toobig = databytes && n > databytes;      /* known before a byte is queued */
  if (!r->toobig) {
    if (qq_open(&r->q) < 0) _exit(111);
    r->qopen = 1;
    put_received(&r->q, compressed);
  }
  while (n) {                                  /* the message, straight into the queue */
    int k = rd_fill(&r->in);
    check(r, k == RD_EOF ? RD_PARTIAL : k);
    size_t take = rd_buffered(&r->in);
    if (take > n) take = (size_t)n;
    const unsigned char *p = r->in.buf + r->in.pos;
    for (size_t i = 0; i < take && !r->barecr; ++i) {
      if (cr && p[i] != '\n') r->barecr = 1;
      cr = p[i] == '\r';
    }
    if (r->barecr) drop(r);
    if (r->qopen) qq_put(&r->q, p, take);
    r->in.pos += take;
    n -= take;
  }
  if (cr) { r->barecr = 1; drop(r); }
  check(r, ns_getcomma(&r->in, &r->left));
  getaddr(r);
  if (r->qopen) qq_from(&r->q, r->addr.s);
  while (r->left) {
    getaddr(r);
    if (r->addr.len <= 1) r->badaddr = 1;
    else if (r->qopen) { qq_to(&r->q, r->addr.s); r->nrcpt++; }
    else r->nrcpt++;
  }
  check(r, ns_getcomma(&r->in, 0));
  if (r->toobig || r->barecr || r->badaddr || !r->nrcpt) {
    drop(r);
    if (r->toobig) return "Dsorry, that message size exceeds my databytes limit (#5.3.4)";
    if (r->barecr) return "Dsorry, I can't accept a bare CR in a message (#5.6.0)";
    if (r->badaddr) return "Dsorry, I can't accept addresses like that (#5.1.3)";
    return "Dsorry, that request has no recipients (#5.1.3)";
  }
  pid_t qp = r->q.pid;
  int code = qq_close(&r->q);
  r->qopen = 0;
  if (code) return qq_text(code);
  snprintf(ok, sizeof ok, "Kok %llu qp %llu", (unsigned long long)time(0), (unsigned long long)qp);
  return ok;
}

static void answer(const char *result)
{
  sb o = SB_INIT;
  if (!ns_put(&o, result, strlen(result))) _exit(111);
  if (io_writeall(1, o.s, o.len) < 0) _exit(0);
  o.len = 0;                                   /* the log line: the text without K/Z/D */
  if (sb_cats(&o, progname) && sb_cats(&o, ": ") && sb_cats(&o, result + 1) && sb_catc(&o, '\n')) {
    ssize_t w = write(2, o.s, o.len);
    (void)w;
  }
  sb_free(&o);
}

int main(void)
{
  static struct request r;
  int compressed = 0;
  const char *x;
  signal(SIGPIPE, SIG_IGN);
  signal(SIGALRM, sigalrm);
  alarm(SESSION);
  if (ctl_u64("databytes", &databytes) < 0 || ctl_u64("qmqpratio", &ratio) < 0) return 111;
  if ((x = getenv("DATABYTES")) && !scan_u64s(x, &databytes)) return 111;
  rd_init(&r.in, 0, TIMEOUT);
  int k = rd_fill(&r.in);
  if (k == RD_EOF) return 0;
  if (k != RD_OK) return 111;
  if (!getenv("NOCOMPRESS") && !ns_plainstart((const char *)r.in.buf + r.in.pos, rd_buffered(&r.in))) {
    compressed = 1;
    r.child = decompress(&r.in);
  }
  answer(serve(&r, compressed));
  if (r.child) { close(r.in.fd); waitpid(r.child, 0, 0); }
  return 0;
}
