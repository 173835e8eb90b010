/* qmail-pop3d maildir: the POP3 transaction and update states (RFC 1939)
 * on one Maildir, run as the mailbox owner at the end of the login chain
 * (qmail-popup, auth_pop). $MAILDIR, set by auth_pop, wins over the
 * argument (facts §1b). The listing is made once at the start from the
 * file names (pop3box.c: no message is opened for STAT, LIST or UIDL);
 * nothing changes on disk before QUIT. At QUIT deleted messages are
 * unlinked and subtracted in maildirsize (quotadel.c), kept messages
 * from new/ move to cur/, retrieved ones get the S (seen) flag.
 * Before the first "+OK" trouble is an exit code that qmail-popup turns
 * into its -ERR text (1 configuration, 6 mailbox corrupted, 62 no
 * mailbox, 8 memory, 111 temporary); after it, the exit is always 0. */
#include "die.h"
#include "pop3box.h"
#include "pop3cmd.h"
#include "quotadel.h"
#include "rd.h"
#include "sb.h"
#include "wr.h"
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *progname = "qmail-pop3d";

#define IDLE_TIMEOUT 600          /* seconds (RFC 1939: at least 10 minutes) */
#define READ_CHUNK 65536

/* POP3_LOGLEVEL: 1 fatal errors, 2 login/logout accounting, 3 session
 * errors, 4 every command (as qmail-ldap) */
static int loglevel;
static const char *logwho = "unknown";

struct counts { uint64_t n, bytes; };

struct state {
  struct pop3_box box;
  struct rd in;
  struct wr out;
  sb line, buf, tmp;
  uint64_t last;                /* LAST: highest message number touched */
  struct counts retrieved, deleted;
  uint64_t sent;                /* octets of messages sent (RETR and TOP) */
};

static void logf_(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void logf_(int level, const char *fmt, ...)
{
  char b[1024];
  va_list ap;
  if (level > loglevel) return;
  int n = snprintf(b, sizeof b, "%s: %s: ", progname, logwho);
  if (n < 0 || (size_t)n >= sizeof b) return;
  va_start(ap, fmt);
  int m = vsnprintf(b + n, sizeof b - (size_t)n - 1, fmt, ap);
  va_end(ap);
  if (m < 0) return;
  size_t len = (size_t)n + (size_t)m;
  if (len > sizeof b - 2) len = sizeof b - 2;
  b[len++] = '\n';
  ssize_t w = write(2, b, len);
  (void)w;
}

static _Noreturn void gone(struct state *s, const char *why)
{
  logf_(2, "logout (%s): nothing changed, %llu octets sent", why, (unsigned long long)s->sent);
  _exit(0);
}

static void flush(struct state *s)
{
  if (wr_flush(&s->out) < 0) gone(s, "cannot write to the client");
}

static void put(struct state *s, const char *text)
{
  wr_puts(&s->out, text);
  wr_puts(&s->out, "\r\n");
}

static void err(struct state *s, const char *text)
{
  logf_(3, "%s", text);
  put(s, text);
}

static void putnum(struct state *s, uint64_t n) { wr_putu64(&s->out, n); }

/* ---- message numbers ---- */

/* the index of a live message, or -1 after answering -ERR */
static long msgat(struct state *s, uint64_t n)
{
  if (n == 0 || n > s->box.n) { err(s, "-ERR no such message"); return -1; }
  if (s->box.m[n - 1].flags & P3M_DELETED) { err(s, "-ERR message already deleted"); return -1; }
  return (long)(n - 1);
}

static long msgindex(struct state *s, const char *arg, size_t len)
{
  uint64_t n;
  if (!pop3_msgnum(arg, len, &n)) { err(s, "-ERR syntax error"); return -1; }
  return msgat(s, n);
}

static void touch(struct state *s, long i)
{
  if ((uint64_t)i + 1 > s->last) s->last = (uint64_t)i + 1;
}

/* ---- commands ---- */

static void stat_(struct state *s)
{
  uint64_t n = 0, bytes = 0;
  for (size_t i = 0; i < s->box.n; ++i)
    if (!(s->box.m[i].flags & P3M_DELETED)) {
      ++n;
      if (!add_u64(bytes, s->box.m[i].size, &bytes)) bytes = UINT64_MAX;
    }
  wr_puts(&s->out, "+OK ");
  putnum(s, n);
  wr_puts(&s->out, " ");
  putnum(s, bytes);
  wr_puts(&s->out, "\r\n");
}

static void listone(struct state *s, size_t i, int uidl)
{
  putnum(s, (uint64_t)i + 1);
  wr_puts(&s->out, " ");
  if (!uidl) putnum(s, s->box.m[i].size);
  else {
    const char *p = pop3box_path(&s->box, i);
    if (!pop3_uidl(p + 4, &s->tmp)) die_nomem();
    wr_put(&s->out, s->tmp.s, s->tmp.len);
  }
  wr_puts(&s->out, "\r\n");
}

static void listing(struct state *s, const struct pop3_cmd *c, int uidl)
{
  if (c->arglen) {
    long i = msgindex(s, c->arg, c->arglen);
    if (i < 0) return;
    wr_puts(&s->out, "+OK ");
    listone(s, (size_t)i, uidl);
    return;
  }
  wr_puts(&s->out, uidl ? "+OK unique-id listing follows\r\n" : "+OK scan listing follows\r\n");
  for (size_t i = 0; i < s->box.n; ++i)
    if (!(s->box.m[i].flags & P3M_DELETED)) listone(s, i, uidl);
  wr_puts(&s->out, ".\r\n");
}

/* RETR (limited 0) and TOP: the message converted on the fly */
static void send_(struct state *s, long i, int limited, uint64_t lines)
{
  const char *path = pop3box_path(&s->box, (size_t)i);
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) {
    logf_(3, "cannot open %s: %s", path, strerror(errno));
    err(s, "-ERR unable to open that message");
    return;
  }
  struct pop3_conv cv;
  pop3_convinit(&cv, limited, lines);
  wr_puts(&s->out, "+OK ");
  putnum(s, s->box.m[i].size);
  wr_puts(&s->out, " octets\r\n");        /* MAKE_NETSCAPE_WORK */
  if (!sb_ready(&s->buf, READ_CHUNK)) die_nomem();
  while (!cv.done) {
    ssize_t k = read(fd, s->buf.s, READ_CHUNK);
    if (k < 0 && errno == EINTR) continue;
    if (k < 0) {
      /* no way to say so inside a multi-line answer: drop the session
       * (nothing is deleted), the client sees the message did not come */
      logf_(1, "cannot read %s: %s", path, strerror(errno));
      flush(s);
      gone(s, "read error");
    }
    if (k == 0) break;
    s->tmp.len = 0;
    if (!pop3_conv(&cv, s->buf.s, (size_t)k, &s->tmp)) die_nomem();
    wr_put(&s->out, s->tmp.s, s->tmp.len);
    s->sent += s->tmp.len;
  }
  close(fd);
  s->tmp.len = 0;
  if (!pop3_convend(&cv, &s->tmp)) die_nomem();
  wr_put(&s->out, s->tmp.s, s->tmp.len);
  if (!limited && !(s->box.m[i].flags & P3M_RETRIEVED)) {
    s->box.m[i].flags |= P3M_RETRIEVED;
    s->retrieved.n++;
    if (!add_u64(s->retrieved.bytes, s->box.m[i].size, &s->retrieved.bytes)) s->retrieved.bytes = UINT64_MAX;
  }
  if (!limited) touch(s, i);
}

static _Noreturn void quit(struct state *s)
{
  uint64_t *sizes = calloc(s->box.n ? s->box.n : 1, sizeof *sizes);
  size_t k = 0, failed = 0, kept = 0;
  if (!sizes) die_nomem();
  for (size_t i = 0; i < s->box.n; ++i) {
    struct pop3_msg *m = &s->box.m[i];
    const char *path = pop3box_path(&s->box, i);
    if (m->flags & P3M_DELETED) {
      if (unlink(path) == 0) {
        sizes[k++] = m->qsize;
        s->deleted.n++;
        if (!add_u64(s->deleted.bytes, m->size, &s->deleted.bytes)) s->deleted.bytes = UINT64_MAX;
      } else if (errno != ENOENT) {    /* gone already: another reader took it */
        logf_(1, "cannot remove %s: %s", path, strerror(errno));
        failed++;
      }
      continue;
    }
    kept++;
    if (!(m->flags & (P3M_NEW | P3M_RETRIEVED))) continue;
    if (!pop3_curname(path, (m->flags & P3M_RETRIEVED) != 0, &s->tmp) || !sb_cat0(&s->tmp)) die_nomem();
    if (strcmp(path, s->tmp.s) && rename(path, s->tmp.s) < 0 && errno != ENOENT)
      logf_(3, "cannot rename %s: %s", path, strerror(errno));
  }
  if (quota_deleted(".", sizes, k) < 0) logf_(1, "cannot update maildirsize: %s", strerror(errno));
  free(sizes);
  put(s, failed ? "-ERR some deleted messages not removed" : "+OK bye");
  flush(s);
  logf_(2, "logout: retrieved %llu (%llu octets), deleted %llu (%llu octets), kept %zu, %llu octets sent",
        (unsigned long long)s->retrieved.n, (unsigned long long)s->retrieved.bytes,
        (unsigned long long)s->deleted.n, (unsigned long long)s->deleted.bytes, kept,
        (unsigned long long)s->sent);
  _exit(0);
}

static void command(struct state *s)
{
  struct pop3_cmd c;
  long i;
  uint64_t msg, lines;
  int k = rd_line(&s->in, &s->line, '\n', POP3_SASLMAX);
  if (k == RD_TOOLONG) {
    if (rd_skip(&s->in, '\n') != RD_OK) gone(s, "connection lost");
    err(s, "-ERR line too long");
    return;
  }
  if (k == RD_TIMEOUT) {
    put(s, "-ERR disconnected for inactivity");
    flush(s);
    gone(s, "timeout");
  }
  if (k != RD_OK) gone(s, "connection lost");
  k = pop3_cmdline(s->line.s, s->line.len, &c);
  if (k == P3L_TOOLONG) { err(s, "-ERR line too long"); return; }
  if (k != P3L_OK) { err(s, "-ERR syntax error"); return; }
  if (loglevel >= 4 && c.verb != P3_PASS) logf_(4, "command: %.60s", s->line.s);
  switch (c.verb) {
    case P3_STAT: stat_(s); return;
    case P3_LIST: listing(s, &c, 0); return;
    case P3_UIDL: listing(s, &c, 1); return;
    case P3_RETR:
      if ((i = msgindex(s, c.arg, c.arglen)) >= 0) send_(s, i, 0, 0);
      return;
    case P3_TOP:
      if (!pop3_toparg(c.arg, c.arglen, &msg, &lines)) { err(s, "-ERR syntax error"); return; }
      if ((i = msgat(s, msg)) >= 0) send_(s, i, 1, lines);
      return;
    case P3_DELE:
      if ((i = msgindex(s, c.arg, c.arglen)) < 0) return;
      s->box.m[i].flags |= P3M_DELETED;
      touch(s, i);
      put(s, "+OK");
      return;
    case P3_RSET:
      for (size_t j = 0; j < s->box.n; ++j) s->box.m[j].flags &= ~(unsigned)P3M_DELETED;
      s->last = 0;
      put(s, "+OK");
      return;
    case P3_LAST:
      wr_puts(&s->out, "+OK ");
      putnum(s, s->last);
      wr_puts(&s->out, "\r\n");
      return;
    case P3_NOOP: put(s, "+OK"); return;
    case P3_CAPA:
      put(s, "+OK capability list follows\r\nTOP\r\nUIDL\r\nRESP-CODES\r\nPIPELINING\r\n"
             "IMPLEMENTATION qmail-ldap\r\n.");
      return;
    case P3_QUIT: quit(s);
    case P3_USER: case P3_PASS: case P3_APOP: case P3_AUTH: case P3_STLS:
      err(s, "-ERR already logged in");
      return;
    default:
      err(s, "-ERR unknown command");
      return;
  }
}

static int envnum(const char *name, int def, int max)
{
  const char *e = getenv(name);
  uint64_t v;
  if (!e || !*e || !scan_u64s(e, &v) || v > (uint64_t)max) return def;
  return (int)v;
}

int main(int argc, char **argv)
{
  static struct state s;
  const char *md = getenv("MAILDIR");
  signal(SIGPIPE, SIG_IGN);
  loglevel = envnum("POP3_LOGLEVEL", 0, 4);
  {
    static sb who, ip;
    const char *u = getenv("USER"), *i = getenv("TCPREMOTEIP");
    if (!u || !*u) u = "unknown";
    if (!i || !*i) i = "unknown";
    if (!pop3_logsafe(&who, u, strlen(u), 64) || !pop3_logsafe(&ip, i, strlen(i), 64) ||
        !sb_cats(&who, " from ") || !sb_catsb(&who, &ip))
      _exit(8);
    logwho = who.s;
  }
  if (!md || !*md) md = argc > 1 ? argv[1] : 0;
  if (!md || !*md) { logf_(1, "usage: qmail-pop3d maildir (or $MAILDIR)"); _exit(1); }
  if (getuid() == 0 || geteuid() == 0) { logf_(1, "refusing to run as root"); _exit(1); }
  if (chdir(md) < 0) {
    int e = errno;
    logf_(1, "cannot enter the Maildir %.200s: %s", md, strerror(e));
    _exit(e == ENOENT || e == ENOTDIR ? 62 : 6);
  }
  pop3box_init(&s.box);
  pop3box_cleantmp();
  if (pop3box_load(&s.box) < 0) {
    int e = errno;
    logf_(1, "cannot list the Maildir %.200s: %s", md, strerror(e));
    _exit(e == ENOMEM ? 8 : e == ENOENT || e == ENOTDIR ? 6 : 111);
  }
  int idle = envnum("POP3TIMEOUT", IDLE_TIMEOUT, 86400);
  if (!idle) idle = IDLE_TIMEOUT;
  rd_init(&s.in, 0, idle);
  wr_init(&s.out, 1, idle);
  uint64_t bytes = 0;
  for (size_t i = 0; i < s.box.n; ++i)
    if (!add_u64(bytes, s.box.m[i].size, &bytes)) bytes = UINT64_MAX;
  logf_(2, "login: %zu messages, %llu octets", s.box.n, (unsigned long long)bytes);
  wr_puts(&s.out, "+OK ");
  putnum(&s, s.box.n);
  wr_puts(&s.out, " messages (");
  putnum(&s, bytes);
  wr_puts(&s.out, " octets)\r\n");
  flush(&s);
  for (;;) {
    command(&s);
    /* pipelining (RFC 2449): answers go out once no command is waiting */
    if (!rd_buffered(&s.in)) flush(&s);
  }
}
