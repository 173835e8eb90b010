/* qmail-imaplogin: the IMAP4rev1 pre-login front end of a Courier-style
 * login chain (INTERNALS 12):
 *   qmail-imaplogin auth_imap [auth args] engine [engine args]
 * The root half keeps root only to exec the chain; the network half,
 * as qmaild, speaks IMAP until it has a login, hands it over (a record
 * on a pipe) and, when it began TLS, stays as the TLS relay of the
 * session. A failed login re-runs us (AUTHARGV) in continuation mode. */
#include "auto.h"
#include "ctl.h"
#include "die.h"
#include "imapcmd.h"
#include "io.h"
#include "priv.h"
#include "rd.h"
#include "sb.h"
#include "tls.h"
#include "tlsrelay.h"
#include "wr.h"
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

const char *progname = "qmail-imaplogin";

#define TIMEOUT 60          /* pre-login: seconds of silence (IMAPTIMEOUT) */
#define RELAYTIMEOUT 1860   /* the relay: above the engine's 30 min autologout (RFC 3501 5.4) */
#define LOGIN_DEADLINE 300  /* pre-login: seconds in all per round, however slowly the client sends */
#define FAILDELAY 2         /* seconds before a failed login is answered */
#define BADMAX 20           /* BAD answers before the session is closed */
#define DRAINMAX 65536      /* plaintext behind STARTTLS we are willing to discard */

struct config {
  sb me, cert, key, ciphers;
  struct tls_server_opts tlsopt;
  const char *remoteip;
  int imaps;
  int cleartext;            /* logins may go in the clear */
  int rerun;                /* run again by the chain after a failed login */
  unsigned failed;          /* the failed logins so far (rerun) */
  int relayed;              /* fd 0/1 is the plaintext end of our TLS relay */
  const char *failcode;     /* AUTHFAILCODE of the failure (rerun) */
  int64_t handedon;         /* rerun: IMAPLOGINSTART, rd_clock() when the login went to the chain; 0 unknown */
  char tag[IMAP_TAGMAX + 1];  /* the pending tag (rerun) */
  uid_t uid;                /* of the network half */
  gid_t gid;
  int root;
  int timeout;              /* pre-login idle seconds (IMAPTIMEOUT) */
};

struct session {
  const struct config *c;
  struct rd in;
  struct wr out;
  struct tls *tls;
  struct tlsrd trd;
  int tlsavail;             /* STARTTLS may be offered */
  int credfd;               /* to the root half */
  int sp;                   /* our end of the relay socketpair, -1 none */
  unsigned failed;
  unsigned bads;
  struct imapcmd cmd;
};

static const char *remoteip = "unknown";

static void logf_(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void logf_(const char *fmt, ...)
{
  char buf[1200];
  va_list ap;
  int n = snprintf(buf, sizeof buf, "qmail-imaplogin %ld: %s: ", (long)getpid(), remoteip);
  if (n < 0 || (size_t)n >= sizeof buf) return;
  va_start(ap, fmt);
  int m = vsnprintf(buf + n, sizeof buf - (size_t)n - 1, fmt, ap);
  va_end(ap);
  if (m < 0) return;
  size_t len = (size_t)n + (size_t)m;
  if (len > sizeof buf - 2) len = sizeof buf - 2;
  for (size_t i = (size_t)n; i < len; ++i)
    if ((unsigned char)buf[i] < 0x20 || buf[i] == 0x7f) buf[i] = '?';
  buf[len++] = '\n';
  ssize_t w = write(2, buf, len);
  (void)w;
}

/* ---- output ---- */

static noreturn void bye(struct session *s, const char *text, int code);

static void flush(struct session *s)
{
  if (wr_flush(&s->out) < 0) {
    logf_("cannot write to the client: %s", strerror(s->out.err));
    _exit(1);
  }
}

static void reply(struct session *s, const char *tag, const char *text)
{
  wr_puts(&s->out, tag && *tag ? tag : "*");
  wr_putc(&s->out, ' ');
  wr_puts(&s->out, text);
  wr_puts(&s->out, "\r\n");
  flush(s);
}

static noreturn void bye(struct session *s, const char *text, int code)
{
  wr_puts(&s->out, "* BYE ");
  wr_puts(&s->out, text);
  wr_puts(&s->out, "\r\n");
  wr_flush(&s->out);
  if (s->tls) tls_close(s->tls);
  _exit(code);
}

/* ---- input ---- */

/* The plaintext transport never reads past a LF: when the session is
 * handed to the chain on this very socket, what the client pipelined
 * behind its LOGIN is still in the socket for the engine (or for our
 * re-run). A socket is peeked; anything else is read a byte at a time. */
static int fd0 = 0;
static long plain_read(void *ctx, void *buf, size_t n, int timeout)
{
  int fd = *(int *)ctx;
  for (;;) {
    struct pollfd p = {.fd = fd, .events = POLLIN};
    int k = poll(&p, 1, timeout > 0 ? timeout * 1000 : -1);
    if (k < 0) { if (errno == EINTR) continue; return -1; }
    if (k == 0) { errno = ETIMEDOUT; return -1; }
    ssize_t r = recv(fd, buf, n, MSG_PEEK);
    if (r < 0 && errno == ENOTSOCK) r = read(fd, buf, 1);
    else if (r > 0) {
      unsigned char *lf = memchr(buf, '\n', (size_t)r);
      r = read(fd, buf, lf ? (size_t)(lf - (unsigned char *)buf) + 1 : (size_t)r);
    }
    if (r < 0) { if (errno == EINTR || errno == EAGAIN) continue; return -1; }
    return r;
  }
}

static noreturn void readfailed(struct session *s, int k)
{
  if (k == RD_TIMEOUT) {
    logf_("timeout before login");
    bye(s, "Autologout; idle for too long.", 1);
  }
  if (k == RD_EOF || k == RD_PARTIAL) {
    logf_("client disconnected before login");
    _exit(0);
  }
  logf_("cannot read from the client: %s", strerror(errno));
  _exit(1);
}

/* One command: IC_DONE, IC_BAD or IC_FATAL. A synchronizing literal gets
 * its "+" here, unless it belongs to a LOGIN that may not happen. */
static int getcommand(struct session *s, int loginok)
{
  for (;;) {
    unsigned char ch;
    size_t used;
    int k = rd_getc(&s->in, &ch);
    if (k != RD_OK) readfailed(s, k);
    int r = imapcmd_feed(&s->cmd, &ch, 1, &used);
    if (r == IC_MORE) continue;
    if (r != IC_LITERAL) return r;
    if (!loginok && imapcmd_verb(&s->cmd) == IV_LOGIN) {
      /* the password is not sent in the clear */
      imapcmd_abort(&s->cmd);
      reply(s, s->cmd.tag, "NO [PRIVACYREQUIRED] Plaintext authentication is disabled: use STARTTLS first.");
      continue;
    }
    wr_puts(&s->out, "+ Ready for literal data\r\n");
    flush(s);
  }
}

/* ---- TLS ---- */

/* Before "OK Begin TLS": whatever the client sent after STARTTLS and
 * before seeing our answer is plaintext, never a command of the TLS
 * session. Read it away (not past DRAINMAX). */
static size_t drain(struct session *s)
{
  size_t n = 0;
  char buf[4096];
  if (fd_nonblock(0) < 0) return 0;
  for (;;) {
    ssize_t r = read(0, buf, sizeof buf);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    n += (size_t)r;
    if (n > DRAINMAX) {
      logf_("more than %d bytes of plaintext behind STARTTLS", DRAINMAX);
      bye(s, "Too much data behind STARTTLS.", 1);
    }
  }
  fd_block(0);
  return n;
}

static void starttls(struct session *s, size_t dropped)
{
  char err[300];
  struct tls *t = tls_server(0, 1, &s->c->tlsopt, s->c->timeout, err, sizeof err);
  if (!t) {
    logf_("TLS handshake failed: %s", err);
    _exit(1);
  }
  s->tls = t;
  tlsrd_init(&s->trd, t);
  dropped += rd_settransport(&s->in, tlsrd_read, &s->trd);
  wr_settransport(&s->out, tls_write, t);
  if (dropped) logf_("discarded %zu bytes sent in plaintext after STARTTLS", dropped);
  logf_("TLS established: %s %s %d bits", tls_version(t), tls_cipher(t), tls_bits(t));
}

/* ---- login ---- */

static int loginok(const struct session *s) { return s->tls || s->c->relayed || s->c->cleartext; }

static void capability(struct session *s, sb *caps)
{
  if (!imap_capability(caps, s->tlsavail && !s->tls, !loginok(s))) die_nomem();
}

/* Until FAILDELAY after since (rd_clock ms): a failed login is answered
 * at the same instant however long the chain took to refuse it, so an
 * unknown user (a dummy yescrypt) and a wrong {SSHA} password (one SHA-1)
 * cannot be told apart by the time. */
static void faildelay(int64_t since)
{
  int64_t left = since + FAILDELAY * 1000 - rd_clock();
  if (left > FAILDELAY * 1000) left = FAILDELAY * 1000;
  if (left <= 0) return;
  struct timespec t = {.tv_sec = left / 1000, .tv_nsec = (left % 1000) * 1000000};
  while (nanosleep(&t, &t) < 0 && errno == EINTR) {}
}

/* A failed login: answered FAILDELAY after since, the same for every
 * reason; the IMAP_FAILMAX-th closes the session. */
static void failed(struct session *s, const char *tag, const char *code, int64_t since)
{
  ++s->failed;
  logf_("login failed (%u of %d)%s%s", s->failed, IMAP_FAILMAX, code ? ": AUTHFAILCODE " : "", code ? code : "");
  faildelay(since);
  reply(s, tag, imap_failtext(code));
  if (s->failed >= IMAP_FAILMAX) {
    logf_("too many failed logins, closing");
    bye(s, "Too many failed logins.", 0);
  }
}

/* The chain takes over: send the record to the root half; with TLS of
 * our own, relay the session until it ends. */
static void handover(struct session *s, const char *tag, const char *how, const char *user, size_t ulen,
                     const char *pass, size_t plen)
{
  sb rec = SB_INIT, lu = SB_INIT;
  if (!imap_credok(user, ulen, pass, plen)) {
    if (!imap_logsafe(&lu, user, ulen, 64) || !sb_cat0(&lu)) die_nomem();
    logf_("%s %s refused: empty or oversized login or password, or CR, LF inside", how, lu.s);
    sb_free(&lu);
    failed(s, tag, NULL, rd_clock());
    return;
  }
  char mode = s->tls ? 'T' : 'P';
  if (!imap_recmake(&rec, mode, s->failed, tag, user, ulen, pass, plen)) die_nomem();
  if (!imap_logsafe(&lu, user, ulen, 64) || !sb_cat0(&lu)) die_nomem();
  logf_("%s %s%s", how, lu.s, s->tls || s->c->relayed ? " (TLS)" : "");
  int w = io_writeall(s->credfd, rec.s, rec.len);
  imap_wipe(&rec);
  sb_free(&rec);
  sb_free(&lu);
  imapcmd_free(&s->cmd);
  if (w < 0) { logf_("cannot hand the login over: %s", strerror(errno)); _exit(111); }
  close(s->credfd);
  if (mode == 'P') _exit(0);

  /* TLS relay: what the readers hold already goes first */
  static unsigned char pre[sizeof s->in.buf + TLSRELAY_BUF];
  size_t a = rd_buffered(&s->in), b = s->trd.len - s->trd.pos;
  memcpy(pre, s->in.buf + s->in.pos, a);
  memcpy(pre + a, s->trd.buf + s->trd.pos, b);
  struct tlsrelay_stats st;
  char err[300];
  int r = tlsrelay(s->tls, 0, s->sp, RELAYTIMEOUT, pre, a + b, &st, err, sizeof err);
  if (r != TLSRELAY_DONE) logf_("TLS relay: %s", err);
  logf_("end of TLS session: %llu bytes from the client, %llu to it", (unsigned long long)st.toplain,
        (unsigned long long)st.totls);
  tls_close(s->tls);
  _exit(r == TLSRELAY_DONE ? 0 : 1);
}

static void do_login(struct session *s, const char *tag)
{
  const char *u, *p;
  size_t ul, pl;
  if (!imapcmd_login(&s->cmd, &u, &ul, &p, &pl)) { reply(s, tag, "BAD Syntax: LOGIN userid password."); return; }
  if (!loginok(s)) {
    reply(s, tag, "NO [PRIVACYREQUIRED] Plaintext authentication is disabled: use STARTTLS first.");
    return;
  }
  handover(s, tag, "LOGIN", u, ul, p, pl);
}

static void do_authenticate(struct session *s, const char *tag)
{
  const char *m, *ir;
  size_t ml, irl;
  sb line = SB_INIT, user = SB_INIT, pass = SB_INIT;
  if (!imapcmd_authenticate(&s->cmd, &m, &ml, &ir, &irl)) {
    reply(s, tag, "BAD Syntax: AUTHENTICATE mechanism [initial-response].");
    return;
  }
  if (strcasecmp(m, "PLAIN")) { reply(s, tag, "NO Unsupported authentication mechanism."); return; }
  if (!loginok(s)) {
    reply(s, tag, "NO [PRIVACYREQUIRED] Plaintext authentication is disabled: use STARTTLS first.");
    return;
  }
  int isir = ir != 0;
  if (!isir) {
    wr_puts(&s->out, "+ \r\n");
    flush(s);
    int k = rd_line(&s->in, &line, '\n', IMAP_LINEMAX);
    if (k == RD_TOOLONG) bye(s, "Line too long.", 1);
    if (k != RD_OK) readfailed(s, k);
    irl = line.len;
    if (!imap_saslline(line.s, &irl)) {
      imap_wipe(&line);
      sb_free(&line);
      reply(s, tag, "BAD Invalid SASL response.");
      return;
    }
    ir = line.s;
  }
  int rc = imap_plain(ir, irl, isir, &user, &pass);
  imap_wipe(&line);
  sb_free(&line);
  switch (rc) {
  case IP_OK: handover(s, tag, "AUTHENTICATE PLAIN", user.s, user.len, pass.s, pass.len); break;
  case IP_EMPTY: handover(s, tag, "AUTHENTICATE PLAIN", "", 0, "", 0); break;
  case IP_CANCEL: reply(s, tag, "BAD Authentication cancelled."); break;
  case IP_BASE64: reply(s, tag, "BAD Invalid base64 data."); break;
  case IP_FORM: reply(s, tag, "BAD Malformed PLAIN response."); break;
  case IP_AUTHZID: reply(s, tag, "NO [AUTHORIZATIONFAILED] Proxy authorization is not supported."); break;
  default: die_nomem();
  }
  imap_wipe(&user);
  imap_wipe(&pass);
  sb_free(&user);
  sb_free(&pass);
}

static void badcommand(struct session *s, const char *tag, const char *text)
{
  reply(s, tag, text);
  if (++s->bads >= BADMAX) {
    logf_("too many invalid commands, closing");
    bye(s, "Too many invalid commands.", 1);
  }
}

static noreturn void commands(struct session *s)
{
  sb caps = SB_INIT, t = SB_INIT;
  for (;;) {
    int r = getcommand(s, loginok(s));
    struct imapcmd *c = &s->cmd;
    if (r == IC_FATAL) {
      logf_("closing: %s", imapcmd_errtext(c->err));
      bye(s, imapcmd_errtext(c->err), 1);
    }
    if (r == IC_BAD) {
      if (!sb_copys(&t, "BAD ") || !sb_cats(&t, imapcmd_errtext(c->err))) die_nomem();
      badcommand(s, c->tag, t.s);
      continue;
    }
    const char *tag = c->tag;
    switch (imapcmd_verb(c)) {
    case IV_CAPABILITY:
      if (c->ntok) { badcommand(s, tag, "BAD CAPABILITY takes no arguments."); break; }
      capability(s, &caps);
      wr_puts(&s->out, "* CAPABILITY ");
      wr_puts(&s->out, caps.s);
      wr_puts(&s->out, "\r\n");
      reply(s, tag, "OK Capability completed.");
      break;
    case IV_NOOP:
      if (c->ntok) { badcommand(s, tag, "BAD NOOP takes no arguments."); break; }
      reply(s, tag, "OK NOOP completed.");
      break;
    case IV_LOGOUT:
      if (c->ntok) { badcommand(s, tag, "BAD LOGOUT takes no arguments."); break; }
      wr_puts(&s->out, "* BYE Logging out.\r\n");
      reply(s, tag, "OK Logout completed.");
      if (s->tls) tls_close(s->tls);
      _exit(0);
    case IV_ID:
      if (!imapcmd_id(c)) { badcommand(s, tag, "BAD Syntax: ID NIL or ID (field value ...)."); break; }
      wr_puts(&s->out, "* ID (\"name\" \"qmail-ldap\")\r\n");
      reply(s, tag, "OK ID completed.");
      break;
    case IV_STARTTLS:
      if (c->ntok) { badcommand(s, tag, "BAD STARTTLS takes no arguments."); break; }
      if (s->tls || s->c->relayed) { badcommand(s, tag, "BAD TLS is already active."); break; }
      if (!s->tlsavail) { badcommand(s, tag, "BAD STARTTLS is not available."); break; }
      {
        size_t dropped = drain(s);
        reply(s, tag, "OK Begin TLS negotiation now.");
        starttls(s, dropped);
      }
      break;
    case IV_LOGIN:
      do_login(s, tag);
      break;
    case IV_AUTHENTICATE:
      do_authenticate(s, tag);
      break;
    default:
      badcommand(s, tag, "BAD Command unknown or not allowed before login.");
      break;
    }
    imapcmd_wipe(c);
  }
}

/* ---- the network half (qmaild) ---- */

static noreturn void network(const struct config *c, int credfd, int sp)
{
  static struct session s;
  sb caps = SB_INIT, t = SB_INIT;
  memset(&s, 0, sizeof s);
  s.c = c;
  s.credfd = credfd;
  s.sp = sp;
  s.failed = c->rerun ? c->failed - 1 : 0;   /* failed() counts the pending one */
  imapcmd_init(&s.cmd);
  wr_init(&s.out, 1, c->timeout);
  rd_init(&s.in, 0, c->timeout);
  rd_deadline_in(&s.in, LOGIN_DEADLINE);     /* the relay after the login does not read through s.in */
  rd_settransport(&s.in, plain_read, &fd0);
  if (c->root && priv_drop(c->uid, c->gid) < 0) {
    logf_("cannot drop privileges to %s: %s", AUTO_USERD, strerror(errno));
    bye(&s, "[UNAVAILABLE] Internal error.", 111);
  }
  /* checked as qmaild: the handshake reads the files as qmaild */
  s.tlsavail = sp >= 0 && tls_server_available(&c->tlsopt);

  if (c->rerun) {
    failed(&s, c->tag, c->failcode, c->handedon ? c->handedon : rd_clock());
  } else {
    if (c->imaps) {
      if (!s.tlsavail) {
        logf_("IMAPS without a readable certificate (control/smtpcert, SSLCERT), closing connection");
        _exit(1);
      }
      starttls(&s, 0);
    }
    capability(&s, &caps);
    if (!sb_copys(&t, "OK [CAPABILITY ") || !sb_cats(&t, caps.s) || !sb_cats(&t, "] ") ||
        !sb_cats(&t, c->me.s) || !sb_cats(&t, " ready."))
      die_nomem();
    reply(&s, "*", t.s);
    sb_free(&t);
  }
  commands(&s);
}

/* ---- the root half ---- */

static void readconfig(struct config *c)
{
  const char *x;
  if (ctl_line("me", &c->me) < 0 || ctl_line("smtpcert", &c->cert) < 0 || ctl_line("smtpkey", &c->key) < 0 ||
      ctl_line("tlsciphers", &c->ciphers) < 0)
    die(111, "cannot read the control files: %s", strerror(errno));
  if (!c->me.len && !sb_copys(&c->me, "localhost")) die_nomem();
  if ((x = getenv("SSLCERT")) && *x && !sb_copys(&c->cert, x)) die_nomem();
  if (!sb_cat0(&c->me) || !sb_cat0(&c->cert) || !sb_cat0(&c->key) || !sb_cat0(&c->ciphers)) die_nomem();
  c->tlsopt.cert = c->cert.s;
  c->tlsopt.key = c->key.s;
  c->tlsopt.ciphers = c->ciphers.s;
  c->imaps = getenv("IMAPS") != 0;
  c->cleartext = imap_cleartextok(getenv("IMAPCLEARTEXT"), getenv("IMAPLOOPBACKPLAIN"), c->remoteip);
  uint64_t t;
  if ((x = getenv("IMAPTIMEOUT")) && scan_u64s(x, &t) && t > 0 && t <= 3600) c->timeout = (int)t;
  else c->timeout = TIMEOUT;
}

static void setnum(const char *name, unsigned long v)
{
  char b[24];
  snprintf(b, sizeof b, "%lu", v);
  if (setenv(name, b, 1) < 0) die_nomem();
}

static noreturn void runchain(int argc, char **argv, const struct config *c, char mode, unsigned failed,
                              const char *tag, const char *user, size_t ulen, const char *pass, size_t plen)
{
  /* how to run us again when the login fails (Courier's authlib) */
  setnum("AUTHARGC", (unsigned long)argc);
  for (int i = 0; i < argc; ++i) {
    char name[32];
    snprintf(name, sizeof name, "AUTHARGV%d", i);
    if (setenv(name, argv[i], 1) < 0) die_nomem();
  }
  if (setenv("IMAPLOGINTAG", tag, 1) < 0) die_nomem();
  setnum("IMAPLOGINFAILED", failed + 1);
  if ((mode == 'T' || c->relayed) && setenv("IMAPLOGINTLS", "1", 1) < 0) die_nomem();
  setnum("IMAPLOGINSTART", (unsigned long)rd_clock());   /* the failure delay counts from now */
  if (strcmp(c->remoteip, "unknown") && setenv("IP", c->remoteip, 1) < 0) die_nomem();

  sb d = SB_INIT;
  int p[2];
  if (imap_fd3(&d, user, ulen, pass, plen) != 1) die_nomem();
  if (pipe(p) < 0) die(111, "cannot make a pipe: %s", strerror(errno));
  /* a few hundred bytes: the pipe takes them without a reader */
  int w = io_writeall(p[1], d.s, d.len);
  imap_wipe(&d);
  sb_free(&d);
  if (w < 0) die(111, "cannot write the login to the chain: %s", strerror(errno));
  close(p[1]);
  if (p[0] != 3 && (dup2(p[0], 3) < 0 || close(p[0]) < 0)) die(111, "cannot set up fd 3: %s", strerror(errno));
  signal(SIGPIPE, SIG_DFL);   /* an ignored signal would stay ignored in the engine */
  execvp(argv[1], argv + 1);
  logf_("cannot run %s: %s", argv[1], strerror(errno));
  _exit(111);
}

int main(int argc, char **argv)
{
  static struct config c;
  signal(SIGPIPE, SIG_IGN);
  const char *ip = getenv("TCPREMOTEIP");
  if (ip && *ip) remoteip = ip;
  c.remoteip = remoteip;
  if (argc < 3) {
    logf_("usage: qmail-imaplogin auth_program [args] engine [args]");
    if (write(1, "* BYE [UNAVAILABLE] Server misconfigured.\r\n", 43) < 0) _exit(100);
    _exit(100);
  }
  /* Courier's modules leave zombies; ours, a live relay, is not waited for */
  while (waitpid(-1, 0, WNOHANG) > 0) {}

  unsigned n = 0;
  const char *tag = getenv("IMAPLOGINTAG");
  int st = imap_loginstate(getenv("IMAPLOGINFAILED"), tag, &n);
  if (st < 0) {
    logf_("malformed IMAPLOGINFAILED/IMAPLOGINTAG in the environment");
    if (write(1, "* BYE [UNAVAILABLE] Internal error.\r\n", 37) < 0) _exit(111);
    _exit(111);
  }
  c.rerun = st;
  c.failed = n;
  if (st) {
    memcpy(c.tag, tag, strlen(tag) + 1);
    c.relayed = getenv("IMAPLOGINTLS") != 0;
    const char *fc = getenv("AUTHFAILCODE");
    static char fcbuf[24];
    if (fc && strlen(fc) < sizeof fcbuf) c.failcode = memcpy(fcbuf, fc, strlen(fc) + 1);
    /* the same boot's monotonic clock, not in the future, a minute at most ago */
    uint64_t hs;
    const char *h = getenv("IMAPLOGINSTART");
    int64_t now = rd_clock();
    if (h && scan_u64s(h, &hs) && hs <= (uint64_t)now && (int64_t)hs > now - 60000) c.handedon = (int64_t)hs;
  }
  /* only we set them, for the next run; AUTHENTICATED would let a
   * Courier module skip the password check */
  unsetenv("IMAPLOGINFAILED");
  unsetenv("IMAPLOGINTAG");
  unsetenv("IMAPLOGINTLS");
  unsetenv("AUTHFAILCODE");
  unsetenv("IMAPLOGINSTART");
  unsetenv("AUTHENTICATED");
  readconfig(&c);
  c.root = getuid() == 0 || geteuid() == 0;
  if (c.root && priv_user(AUTO_USERD, &c.uid, &c.gid) < 0) die(111, "no user %s", AUTO_USERD);

  int cred[2], sp[2] = {-1, -1};
  if (pipe(cred) < 0) die(111, "cannot make a pipe: %s", strerror(errno));
  /* behind our relay TLS is on already: no second one */
  if (!c.relayed && socketpair(AF_UNIX, SOCK_STREAM, 0, sp) < 0)
    die(111, "cannot make a socketpair: %s", strerror(errno));
  pid_t pid = fork();
  if (pid < 0) die(111, "cannot fork: %s", strerror(errno));
  if (pid == 0) {
    close(cred[0]);
    if (sp[1] >= 0) close(sp[1]);
    network(&c, cred[1], sp[0]);
  }
  close(cred[1]);
  if (sp[0] >= 0) close(sp[0]);

  static char rec[IMAP_RECMAX + 1];
  size_t got = 0;
  for (;;) {
    ssize_t r = read(cred[0], rec + got, sizeof rec - got);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    got += (size_t)r;
    if (got == sizeof rec) break;
  }
  close(cred[0]);
  char mode;
  const char *rtag, *user, *pass;
  size_t ulen, plen;
  unsigned failed;
  if (!got || !imap_recparse(rec, got, &mode, &failed, &rtag, &user, &ulen, &pass, &plen)) {
    int status;
    if (got) { logf_("malformed record from the network half"); kill(pid, SIGKILL); }
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
    _exit(got ? 111 : WIFEXITED(status) ? WEXITSTATUS(status) : 111);
  }
  if (mode == 'P') {
    /* it exits right after the record: then nobody else reads fd 0 */
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
    if (sp[1] >= 0) close(sp[1]);
  } else {
    if (sp[1] < 0 || dup2(sp[1], 0) < 0 || dup2(sp[1], 1) < 0) die(111, "cannot set up the relay");
    close(sp[1]);
  }
  runchain(argc, argv, &c, mode, failed, rtag, user, ulen, pass, plen);
}
