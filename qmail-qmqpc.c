/* qmail-qmqpc [host]: hand a message to a QMQP server, with the interface
 * of qmail-queue (message on fd 0, envelope F..\0T..\0..\0 on fd 1, exit
 * codes of qq.h), so QMAILQUEUE can point at it. Servers: the host
 * argument (its first address), else control/qmqpservers, tried in order
 * until one can be reached; both may name a port ("10.0.0.1:6628",
 * "[::1]:6628"), 628 by default. The connection comes from control/qmqpcip.
 * With QMQP_COMPRESS set the request is sent zlib-compressed.
 * qmail-ldap's cluster hand-off may add "H<host>\0" after the envelope:
 * the message then starts with "Delivered-To: CLUSTERHOST <host> <rcpt>". */
#include "auto.h"
#include "ctl.h"
#include "dns.h"
#include "netstring.h"
#include "qq.h"
#include "rd.h"
#include "sb.h"
#include "tcpconn.h"
#include "wr.h"
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <stdnoreturn.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

const char *progname = "qmail-qmqpc";

#define PORT_QMQP 628
#define ADDRMAX 1000               /* bytes of an envelope address, as qmail-queue */
#define MESSMAX ((size_t)1 << 30)  /* bytes of a message held in memory */
#define TIMEOUT 60                 /* seconds of silence from the server */
#define REPLYMAX 10000

static noreturn void die(int code) { _exit(code); }

/* ---- the request ---- */

struct request {
  sb head;                         /* outer length, message length */
  sb dt;                           /* Delivered-To: CLUSTERHOST line, or empty */
  sb mess;
  sb tail;                         /* ",", sender and recipient netstrings, "," */
};

static void slurp(sb *mess)
{
  char buf[65536];
  for (;;) {
    ssize_t r = read(0, buf, sizeof buf);
    if (r < 0) { if (errno == EINTR) continue; die(QQ_READ_ERR); }
    if (r == 0) return;
    if ((size_t)r > MESSMAX - mess->len) die(QQ_READ_ERR);
    if (!sb_catb(mess, buf, (size_t)r)) die(QQ_NOMEM);
  }
}

/* One envelope record (without its \0); RD_EOF only at a clean end. */
static int record(struct rd *r, sb *rec)
{
  switch (rd_line(r, rec, 0, ADDRMAX + 1)) {
  case RD_OK: return RD_OK;
  case RD_EOF: return RD_EOF;
  case RD_TOOLONG: die(QQ_ADDR_TOO_LONG);
  case RD_PARTIAL: die(QQ_ENVELOPE);
  default: die(QQ_READ_ERR);
  }
}

/* tail = ",<sender ns><recipient ns>...": QMQP lists each recipient on
 * its own (unlike QMTP). */
static void envelope(struct request *q)
{
  struct rd r;
  sb rec = SB_INIT, last = SB_INIT;
  rd_init(&r, 1, 0);
  if (!sb_catc(&q->tail, ',')) die(QQ_NOMEM);
  if (record(&r, &rec) != RD_OK || !rec.len || rec.s[0] != 'F') die(QQ_ENVELOPE);
  if (!ns_put(&q->tail, rec.s + 1, rec.len - 1)) die(QQ_NOMEM);
  for (;;) {
    if (record(&r, &rec) != RD_OK) die(QQ_ENVELOPE);
    if (!rec.len) break;
    if (rec.s[0] != 'T' || rec.len < 2) die(QQ_ENVELOPE);
    if (!ns_put(&q->tail, rec.s + 1, rec.len - 1) || !sb_copyb(&last, rec.s + 1, rec.len - 1)) die(QQ_NOMEM);
  }
  switch (record(&r, &rec)) {                  /* qmail-ldap's optional H<host> */
  case RD_EOF: break;
  case RD_OK:
    if (rec.len < 2 || rec.s[0] != 'H') die(QQ_ENVELOPE);
    if (!sb_cats(&q->dt, "Delivered-To: CLUSTERHOST ") || !sb_catb(&q->dt, rec.s + 1, rec.len - 1) ||
        !sb_catc(&q->dt, ' ') || !sb_catb(&q->dt, last.s ? last.s : "", last.len))
      die(QQ_NOMEM);
    for (size_t i = 0; i < q->dt.len; ++i) if (q->dt.s[i] == '\n') q->dt.s[i] = '_';
    if (!sb_catc(&q->dt, '\n')) die(QQ_NOMEM);
    if (record(&r, &rec) != RD_EOF) die(QQ_ENVELOPE);
    break;
  }
  sb_free(&rec);
  sb_free(&last);
}

/* head = "<all>:<message length>:"; the outer comma ends the tail. */
static void frame(struct request *q)
{
  sb mhdr = SB_INIT;
  uint64_t mlen, all;
  if (!add_u64(q->dt.len, q->mess.len, &mlen) || !ns_puthdr(&mhdr, mlen)) die(QQ_NOMEM);
  if (!add_u64(mhdr.len, mlen, &all) || !add_u64(all, q->tail.len, &all)) die(QQ_NOMEM);
  if (!ns_puthdr(&q->head, all) || !sb_catsb(&q->head, &mhdr) || !sb_catc(&q->tail, ',')) die(QQ_NOMEM);
  sb_free(&mhdr);
}

/* ---- sending, plain or deflated ---- */

struct out {
  struct wr w;
  int compress;
  z_stream z;
};

static void zpush(struct out *o, const void *p, size_t n, int flush)
{
  unsigned char buf[16384];
  o->z.next_in = (unsigned char *)p;
  o->z.avail_in = (uInt)n;
  for (;;) {
    o->z.next_out = buf;
    o->z.avail_out = sizeof buf;
    int r = deflate(&o->z, flush);
    if (r == Z_STREAM_ERROR) die(QQ_INTERNAL);
    wr_put(&o->w, buf, sizeof buf - o->z.avail_out);
    if (flush == Z_FINISH ? r == Z_STREAM_END : o->z.avail_out != 0) break;
  }
}

static void put(struct out *o, const sb *b)
{
  if (!b->len) return;
  if (!o->compress) { wr_put(&o->w, b->s, b->len); return; }
  for (size_t i = 0; i < b->len; i += 1 << 20) {
    size_t n = b->len - i < (size_t)1 << 20 ? b->len - i : (size_t)1 << 20;
    zpush(o, b->s + i, n, Z_NO_FLUSH);
  }
}

/* The server's verdict as an exit code. */
static int verdict(int fd)
{
  struct rd r;
  sb rep = SB_INIT;
  rd_init(&r, fd, TIMEOUT);
  if (ns_get(&r, &rep, REPLYMAX, 0) != RD_OK || !rep.len) die(QQ_CONN_FAILED);
  switch (rep.s[0]) {
  case 'K': return QQ_OK;
  case 'Z': return QQ_TEMP_REFUSED;
  case 'D': return QQ_PERM_REFUSED;
  default: die(QQ_CONN_FAILED);
  }
}

struct server { struct mxip ip; unsigned port; };

/* 0 never: either it exits with the verdict, or returns the qq code of a
 * connection that failed (then the next server is tried). */
static int attempt(const struct request *q, const struct server *sv, const struct tcpsrc *src, unsigned timeout, int compress)
{
  struct out o;
  int fd = tcp_connect(sv->ip.family, sv->ip.a, sv->port, src, timeout);
  if (fd < 0) return errno == ETIMEDOUT ? QQ_CONN_TIMEOUT : QQ_CONN_REFUSED;
  memset(&o, 0, sizeof o);
  wr_init(&o.w, fd, TIMEOUT);
  o.compress = compress;
  if (compress && deflateInit(&o.z, Z_DEFAULT_COMPRESSION) != Z_OK) die(QQ_NOMEM);
  put(&o, &q->head);
  put(&o, &q->dt);
  put(&o, &q->mess);
  put(&o, &q->tail);
  if (compress) { zpush(&o, "", 0, Z_FINISH); deflateEnd(&o.z); }
  if (wr_flush(&o.w) < 0) die(QQ_CONN_FAILED);
  die(verdict(fd));
}

/* The host argument ("host", "host:port", "[ip]:port"): its first
 * address; else the entries of control/qmqpservers (addresses, with an
 * optional port, as the argument). */
static size_t servers(int argc, char **argv, struct server **out)
{
  struct server *v = 0;
  size_t n = 0;
  sb host = SB_INIT, list = SB_INIT;
  if (argc > 1) {
    struct mxlist all = MXLIST_INIT;
    unsigned port = PORT_QMQP;
    if (!dns_hostport(argv[1], &host, &port)) die(QQ_PERM_REFUSED);
    switch (dns_ip(&all, host.s, dns_resquery, 0)) {
    case DNS_OK: break;
    case DNS_NOMEM: die(QQ_NOMEM);
    case DNS_SOFT: die(QQ_TEMP_REFUSED);
    default: die(QQ_PERM_REFUSED);
    }
    if (!(v = calloc(1, sizeof *v))) die(QQ_NOMEM);
    v[0].ip = all.v[0];
    v[0].port = port;
    mxlist_free(&all);
    *out = v;
    return 1;
  }
  if (ctl_list("qmqpservers", &list) != 1) die(QQ_CONFIG_ERR);
  for (size_t i = 0; i < list.len; i += strlen(list.s + i) + 1) {
    struct server one;
    unsigned port = PORT_QMQP;
    memset(&one, 0, sizeof one);
    if (!dns_hostport(list.s + i, &host, &port)) continue;
    if (!dns_literal(host.s, host.len - 1, &one.ip.family, one.ip.a)) continue;
    one.port = port;
    struct server *w = realloc(v, (n + 1) * sizeof *v);
    if (!w) die(QQ_NOMEM);
    v = w;
    v[n++] = one;
  }
  sb_free(&list);
  sb_free(&host);
  *out = v;
  return n;
}

int main(int argc, char **argv)
{
  static struct request q;
  struct server *sv = 0;
  struct tcpsrc src;
  sb v = SB_INIT;
  uint64_t timeout;
  int last = QQ_CONFIG_ERR;

  signal(SIGPIPE, SIG_IGN);
  if (chdir(AUTO_QMAIL) < 0) die(QQ_HOMEDIR);
  size_t nsv = servers(argc, argv, &sv);
  if (ctl_u64("timeoutconnect", &timeout) < 0) die(QQ_CONFIG_ERR);
  if (timeout < 1) timeout = 1;
  if (timeout > 86400) timeout = 86400;
  if (ctl_line("qmqpcip", &v) < 0 || !sb_cat0(&v) || !tcpsrc_parse(&src, v.s)) die(QQ_CONFIG_ERR);

  slurp(&q.mess);
  envelope(&q);
  frame(&q);
  int compress = getenv("QMQP_COMPRESS") != 0;
  for (size_t i = 0; i < nsv; ++i) last = attempt(&q, &sv[i], &src, (unsigned)timeout, compress);
  return last;
}
