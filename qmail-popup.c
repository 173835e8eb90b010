/* qmail-popup hostname subprogram [args...]: the POP3 login front end
 * (RFC 1939 USER/PASS, RFC 2449 CAPA, RFC 5034 AUTH PLAIN, RFC 2595
 * STLS, implicit TLS with env POP3S) in front of a checkpassword chain
 * (auth_pop ... qmail-pop3d). Started as root by tcpserver, because
 * auth_pop must be root; it splits at once (INTERNALS 11):
 *   the network half (a child, as qmaild) speaks POP3 and TLS with the
 *     client until it has a login, hands it to the root half over a
 *     pipe, and then either waits (plaintext: the chain has the socket)
 *     or relays the TLS session to the chain over a socketpair;
 *   the root half reads nothing from the network: it starts the chain
 *     with fd 3 = user\0password\0timestamp\0, drops to qmaild, waits
 *     for it and tells the network half its exit code, which that maps
 *     to the -ERR texts of qmail-ldap (pop3cmd.c).
 * So no byte from the client is parsed as root, the TLS session lasts
 * into the authenticated session, and qmail-pop3d never sees TLS. */
#include "auto.h"
#include "ctl.h"
#include "die.h"
#include "io.h"
#include "pop3cmd.h"
#include "priv.h"
#include "rd.h"
#include "sb.h"
#include "tls.h"
#include "tlsrelay.h"
#include "wr.h"
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

const char *progname = "qmail-popup";

#define IDLE_TIMEOUT 600      /* seconds between commands (RFC 1939: at least 10 minutes) */
#define HANDSHAKE_TIMEOUT 20  /* seconds for a TLS handshake */
#define LOGIN_DEADLINE 1200   /* seconds for all before the login: a client dripping bytes holds no slot */
#define FAIL_DELAY 2          /* seconds before any failed login is answered */
#define MAXERRORS 20          /* -ERR answers before login, then the connection is closed */

struct config {
  const char *hostname;
  char **chain;
  const char *remoteip;
  int idle;
  int pop3s;
  int cleartext;             /* logins allowed outside TLS */
  sb cert, key, ciphers;
  struct tls_server_opts tlsopt;
  int tlsavail;
};

struct session {
  struct config *c;
  struct rd in;
  struct wr out;
  struct tls *tls;
  struct tlsrd *trd;
  int fd0;                   /* the plaintext reader's fd */
  sb line, user, pass, cred;
  int seenuser;
  unsigned errors;
  char stamp[POP3_STAMPMAX + 1];
  int credfd, statfd, relayfd;
  int64_t handover;          /* rd_clock() when the login went to the chain */
};

/* ---- logging: "qmail-popup: <ip>: <text>" ---- */

static const char *logip = "unknown";

static void logf_(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void logf_(const char *fmt, ...)
{
  char buf[1024];
  va_list ap;
  int n = snprintf(buf, sizeof buf, "%s: %s: ", progname, logip);
  if (n < 0 || (size_t)n >= sizeof buf) return;
  va_start(ap, fmt);
  int m = vsnprintf(buf + n, sizeof buf - (size_t)n - 1, fmt, ap);
  va_end(ap);
  if (m < 0) return;
  size_t len = (size_t)n + (size_t)m;
  if (len > sizeof buf - 2) len = sizeof buf - 2;
  buf[len++] = '\n';
  ssize_t w = write(2, buf, len);
  (void)w;
}

static const char *safe(const char *s, size_t n)
{
  static sb b;
  if (!pop3_logsafe(&b, s, n, 64)) return "?";
  return b.s;
}

/* ---- the network half: output ---- */

static void wipe_all(struct session *s)
{
  pop3_wipe(&s->line);
  pop3_wipe(&s->pass);
  pop3_wipe(&s->cred);
  explicit_bzero(s->in.buf, sizeof s->in.buf);
  if (s->trd) explicit_bzero(s->trd->buf, sizeof s->trd->buf);
}

static _Noreturn void bye(struct session *s, int code)
{
  wr_flush(&s->out);
  wipe_all(s);
  if (s->tls) tls_close(s->tls);
  _exit(code);
}

static void put(struct session *s, const char *text)
{
  wr_puts(&s->out, text);
  wr_puts(&s->out, "\r\n");
  if (wr_flush(&s->out) < 0) {
    logf_("cannot write to the client: %s", strerror(errno));
    wipe_all(s);
    _exit(0);
  }
}

static void ok(struct session *s, const char *text) { put(s, text); }

static void err(struct session *s, const char *text)
{
  put(s, text);
  if (++s->errors >= MAXERRORS) {
    logf_("too many errors, closing the connection");
    put(s, "-ERR too many errors");
    bye(s, 0);
  }
}

/* ---- reading ---- */

/* Plaintext reads never take a byte after the first LF from the socket:
 * the chain gets the socket next, with whatever the client pipelined
 * behind its PASS or AUTH. */
static long peekread(void *ctx, void *buf, size_t n, int timeout)
{
  int fd = *(int *)ctx;
  for (;;) {
    if (timeout > 0) {
      struct pollfd p = {.fd = fd, .events = POLLIN};
      int k = poll(&p, 1, timeout * 1000);
      if (k < 0 && errno == EINTR) continue;
      if (k < 0) return -1;
      if (k == 0) { errno = ETIMEDOUT; return -1; }
    }
    ssize_t k = recv(fd, buf, n, MSG_PEEK);
    size_t take = 1;                       /* not a socket (a test's pipe): bytewise */
    if (k < 0 && errno == EINTR) continue;
    if (k < 0 && errno != ENOTSOCK) return -1;
    if (k == 0) return 0;
    if (k > 0) {
      const char *nl = memchr(buf, '\n', (size_t)k);
      take = nl ? (size_t)(nl - (char *)buf) + 1 : (size_t)k;
    }
    ssize_t r = read(fd, buf, take);
    if (r < 0 && errno == EINTR) continue;
    return r;
  }
}

/* One line; 1 ok (in s->line, LF removed), 0 too long (skipped). Ends
 * the session on EOF, timeout and errors. */
static int getline_(struct session *s)
{
  int k = rd_line(&s->in, &s->line, '\n', POP3_SASLMAX);
  if (k == RD_OK) return 1;
  if (k == RD_TOOLONG) {
    if (rd_skip(&s->in, '\n') == RD_OK) return 0;
    k = RD_EOF;
  }
  if (k == RD_TIMEOUT) {
    logf_("timeout");
    put(s, "-ERR disconnected for inactivity");
  }
  bye(s, 0);
}

/* ---- TLS ---- */

static void starttls(struct session *s)
{
  char e[300];
  struct tls *t = tls_server(0, 1, &s->c->tlsopt, HANDSHAKE_TIMEOUT, e, sizeof e);
  if (!t) {
    logf_("TLS handshake failed: %s", e);
    wipe_all(s);
    _exit(0);
  }
  static struct tlsrd trd;
  tlsrd_init(&trd, t);
  s->trd = &trd;
  s->tls = t;
  size_t dropped = rd_settransport(&s->in, tlsrd_read, &trd);
  wr_settransport(&s->out, tls_write, t);
  if (dropped) logf_("discarded %zu bytes sent in plaintext after STLS", dropped);
  logf_("TLS established: %s %s %d bits", tls_version(t), tls_cipher(t), tls_bits(t));
}

/* What the client sent in plaintext behind STLS is already in the
 * socket (a client waits for the +OK before its handshake): it is read
 * and dropped, never taken as a command. */
static size_t drain(int fd)
{
  char b[4096];
  size_t n = 0;
  for (;;) {
    ssize_t k = recv(fd, b, sizeof b, MSG_DONTWAIT);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) return n;
    n += (size_t)k;
  }
}

/* ---- the login ---- */

static int cleartext_ok(const struct session *s) { return s->tls || s->c->cleartext; }

static void refuse_cleartext(struct session *s)
{
  logf_("login refused outside TLS");
  err(s, "-ERR [AUTH] plaintext login is not allowed here: use STLS first");
}

/* Until FAIL_DELAY after the login was handed on: the answer to a failed
 * login comes at the same instant however long the chain took, so an
 * unknown user (a dummy yescrypt) and a wrong {SSHA} password (one SHA-1)
 * cannot be told apart by the time. */
static void faildelay(int64_t since)
{
  int64_t left = since + FAIL_DELAY * 1000 - rd_clock();
  if (left > FAIL_DELAY * 1000) left = FAIL_DELAY * 1000;
  if (left <= 0) return;
  struct timespec t = {.tv_sec = left / 1000, .tv_nsec = (left % 1000) * 1000000};
  while (nanosleep(&t, &t) < 0 && errno == EINTR) {}
}

/* The chain's end as the root half reports it: {'E', code} or {'S', sig} */
static _Noreturn void endsession(struct session *s, const char *who)
{
  unsigned char st[2];
  int exited = 1, code = 111;
  if (io_readfull(s->statfd, st, 2) == 0 && (st[0] == 'E' || st[0] == 'S')) {
    exited = st[0] == 'E';
    code = st[1];
  }
  const char *text = pop3_chainerr(exited, code);
  if (!text) {
    logf_("%s: session ended", who);
    bye(s, 0);
  }
  logf_("%s: %s (%s %d)", who, text + 5, exited ? "exit" : "signal", code);
  faildelay(s->handover);
  put(s, text);
  bye(s, 0);
}

static _Noreturn void login(struct session *s, const char *user, size_t ulen, const char *pass, size_t plen)
{
  char who[80];
  snprintf(who, sizeof who, "%s", safe(user, ulen));
  s->handover = rd_clock();
  if (!pop3_credmake(&s->cred, s->tls ? 'T' : 'P', user, ulen, pass, plen, s->stamp)) {
    wipe_all(s);
    logf_("%s: malformed login", who);
    sleep(FAIL_DELAY);
    put(s, pop3_chainerr(1, 3));
    bye(s, 0);
  }
  int w = io_writeall(s->credfd, s->cred.s, s->cred.len);
  close(s->credfd);
  /* in TLS what the reader holds beyond the login goes to the chain */
  sb pre = SB_INIT;
  if (s->tls) {
    if (!sb_catb(&pre, s->in.buf + s->in.pos, s->in.len - s->in.pos) ||
        !sb_catb(&pre, s->trd->buf + s->trd->pos, s->trd->len - s->trd->pos))
      w = -1;
  }
  wipe_all(s);
  if (w < 0) {
    logf_("%s: cannot hand the login on: %s", who, strerror(errno));
    put(s, pop3_chainerr(1, 111));
    bye(s, 0);
  }
  if (!s->tls) {
    close(s->relayfd);
    endsession(s, who);
  }
  struct tlsrelay_stats st;
  char e[200];
  int r = tlsrelay(s->tls, 0, s->relayfd, s->c->idle, pre.s, pre.len, &st, e, sizeof e);
  sb_free(&pre);
  close(s->relayfd);                       /* the chain sees EOF if it is still there */
  if (r != TLSRELAY_DONE) logf_("%s: TLS relay ended: %s", who, e);
  endsession(s, who);
  bye(s, 0);
}

/* ---- commands ---- */

static void capa(struct session *s)
{
  wr_puts(&s->out, "+OK capability list follows\r\nTOP\r\nUIDL\r\nRESP-CODES\r\nAUTH-RESP-CODE\r\nPIPELINING\r\n");
  if (cleartext_ok(s)) wr_puts(&s->out, "USER\r\nSASL PLAIN\r\n");
  if (s->c->tlsavail && !s->tls) wr_puts(&s->out, "STLS\r\n");
  put(s, "IMPLEMENTATION qmail-ldap\r\n.");
}

static void auth(struct session *s, const struct pop3_cmd *c)
{
  const char *resp;
  size_t rlen;
  int a = pop3_authargs(c->arg, c->arglen, &resp, &rlen);
  if (a == P3A_SYNTAX) { err(s, "-ERR syntax error"); return; }
  if (a == P3A_LIST) { put(s, cleartext_ok(s) ? "+OK\r\nPLAIN\r\n." : "+OK\r\n."); return; }
  if (a == P3A_UNKNOWN) { err(s, "-ERR [AUTH] unsupported authentication mechanism"); return; }
  if (!cleartext_ok(s)) { refuse_cleartext(s); return; }
  if (a == P3A_PLAIN) {
    put(s, "+ ");
    if (!getline_(s)) { err(s, "-ERR [AUTH] authentication data too long"); return; }
    rlen = s->line.len;
    if (pop3_saslline(s->line.s, &rlen) != P3L_OK) {
      pop3_wipe(&s->line);
      err(s, "-ERR [AUTH] malformed authentication data");
      return;
    }
    resp = s->line.s;
  }
  int r = pop3_plain(resp, rlen, &s->user, &s->pass);
  pop3_wipe(&s->line);
  s->seenuser = 0;
  switch (r) {
    case P3P_OK: login(s, s->user.s, s->user.len, s->pass.s, s->pass.len);
    case P3P_CANCEL: err(s, "-ERR [AUTH] authentication cancelled"); return;
    case P3P_NOMEM: put(s, pop3_chainerr(1, 8)); bye(s, 111);
    case P3P_AUTHZID: logf_("AUTH PLAIN with another authorization identity refused"); break;
    case P3P_TOOLONG: logf_("AUTH PLAIN: login or password too long"); break;
    case P3P_EMPTY: logf_("AUTH PLAIN: empty login or password"); break;
    default: err(s, "-ERR [AUTH] malformed authentication data"); return;
  }
  sleep(FAIL_DELAY);
  err(s, pop3_chainerr(1, 3));
}

static void command(struct session *s)
{
  struct pop3_cmd c;
  if (!getline_(s)) { err(s, "-ERR line too long"); return; }
  int k = pop3_cmdline(s->line.s, s->line.len, &c);
  if (k == P3L_TOOLONG) { err(s, "-ERR line too long"); return; }
  if (k != P3L_OK) { pop3_wipe(&s->line); err(s, "-ERR syntax error"); return; }
  switch (c.verb) {
    case P3_USER:
      if (!cleartext_ok(s)) { refuse_cleartext(s); return; }
      if (!c.arglen) { err(s, "-ERR syntax error"); return; }
      if (c.arglen > POP3_USERMAX) { err(s, "-ERR [AUTH] login too long"); return; }
      if (!sb_copyb(&s->user, c.arg, c.arglen)) { put(s, pop3_chainerr(1, 8)); bye(s, 111); }
      s->seenuser = 1;
      ok(s, "+OK");
      return;
    case P3_PASS:
      if (!cleartext_ok(s)) { pop3_wipe(&s->line); refuse_cleartext(s); return; }
      if (!s->seenuser) { pop3_wipe(&s->line); err(s, "-ERR USER first"); return; }
      if (!c.arglen) { err(s, "-ERR syntax error"); return; }
      if (c.arglen > POP3_PASSMAX) {
        pop3_wipe(&s->line);
        logf_("%s: password too long", safe(s->user.s, s->user.len));
        sleep(FAIL_DELAY);
        err(s, pop3_chainerr(1, 3));
        return;
      }
      if (!sb_copyb(&s->pass, c.arg, c.arglen)) { put(s, pop3_chainerr(1, 8)); bye(s, 111); }
      login(s, s->user.s, s->user.len, s->pass.s, s->pass.len);
    case P3_AUTH: auth(s, &c); return;
    case P3_APOP: err(s, "-ERR [AUTH] APOP is not supported"); return;
    case P3_QUIT: ok(s, "+OK bye"); bye(s, 0);
    case P3_NOOP: ok(s, "+OK"); return;
    case P3_CAPA: capa(s); return;
    case P3_STLS:
      if (s->tls) { err(s, "-ERR already in TLS"); return; }
      if (!s->c->tlsavail) { err(s, "-ERR STLS not available"); return; }
      if (c.arglen) { err(s, "-ERR syntax error"); return; }
      {
        size_t dropped = drain(s->fd0);
        if (dropped) logf_("discarded %zu bytes sent in plaintext after STLS", dropped);
      }
      ok(s, "+OK begin TLS negotiation");
      starttls(s);
      /* RFC 2595 4: nothing said before the handshake counts */
      s->seenuser = 0;
      s->user.len = 0;
      return;
    case P3_STAT: case P3_LIST: case P3_RETR: case P3_DELE: case P3_RSET: case P3_UIDL:
    case P3_TOP: case P3_LAST:
      err(s, "-ERR authorization first");
      return;
    default:
      err(s, "-ERR unknown command");
      return;
  }
}

/* ---- configuration (network half, after the privilege drop) ---- */

static int isloopback(const char *ip)
{
  return !strncmp(ip, "127.", 4) || !strcmp(ip, "::1") || !strncmp(ip, "::ffff:127.", 11);
}

static int envnum(const char *name, int def)
{
  const char *e = getenv(name);
  uint64_t v;
  if (!e || !*e || !scan_u64s(e, &v) || v == 0 || v > 86400) return def;
  return (int)v;
}

static int readconfig(struct config *c)
{
  if (ctl_line("smtpcert", &c->cert) < 0 || ctl_line("smtpkey", &c->key) < 0 ||
      ctl_line("tlsciphers", &c->ciphers) < 0)
    return -1;
  const char *e = getenv("SSLCERT");
  if (e && *e && !sb_copys(&c->cert, e)) return -1;
  if (!sb_cat0(&c->cert) || !sb_cat0(&c->key) || !sb_cat0(&c->ciphers)) return -1;
  c->tlsopt.cert = c->cert.s;
  c->tlsopt.key = c->key.s;
  c->tlsopt.ciphers = c->ciphers.s;
  c->tlsavail = tls_server_available(&c->tlsopt);
  c->idle = envnum("POP3TIMEOUT", IDLE_TIMEOUT);
  c->pop3s = getenv("POP3S") != 0;
  /* POP3LOOPBACKPLAIN=0 takes the loopback exception away (for tests) */
  const char *lp = getenv("POP3LOOPBACKPLAIN");
  c->cleartext = getenv("POP3CLEARTEXT") != 0 || (isloopback(c->remoteip) && !(lp && !strcmp(lp, "0")));
  return 0;
}

static _Noreturn void network(struct config *c, int credfd, int statfd, int relayfd)
{
  static struct session s;
  s.c = c;
  s.credfd = credfd;
  s.statfd = statfd;
  s.relayfd = relayfd;
  s.fd0 = 0;
  wr_init(&s.out, 1, IDLE_TIMEOUT);
  if (readconfig(c) < 0) {
    logf_("unable to read the control files: %s", strerror(errno));
    put(&s, "-ERR [SYS/TEMP] unable to read the configuration");
    bye(&s, 111);
  }
  s.out.timeout = c->idle;
  rd_init(&s.in, 0, c->idle);
  rd_deadline_in(&s.in, LOGIN_DEADLINE);     /* the relay after the login does not read through s.in */
  rd_settransport(&s.in, peekread, &s.fd0);
  if (c->pop3s) {
    if (!c->tlsavail) {
      logf_("POP3S without a certificate (control/smtpcert), closing the connection");
      bye(&s, 1);
    }
    starttls(&s);
  }
  snprintf(s.stamp, sizeof s.stamp, "<%ld.%lld@%.300s>", (long)getpid(), (long long)time(NULL), c->hostname);
  wr_puts(&s.out, "+OK ");
  put(&s, s.stamp);
  for (;;) command(&s);
}

/* ---- the root half ---- */

static void devnull01(void)
{
  int fd = open("/dev/null", O_RDWR);
  if (fd < 0) return;
  dup2(fd, 0);
  dup2(fd, 1);
  if (fd > 1) close(fd);
}

static int waitfor(pid_t pid, int *status)
{
  for (;;) {
    if (waitpid(pid, status, 0) == pid) return 0;
    if (errno != EINTR) return -1;
  }
}

static _Noreturn void root(struct config *c, pid_t net, int credfd, int statfd, int chainfd, int drop,
                           uid_t uid, gid_t gid)
{
  char rec[POP3_CREDMAX + 1];
  size_t n = 0;
  char mode;
  int status;
  for (;;) {
    ssize_t k = read(credfd, rec + n, sizeof rec - n);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) break;
    n += (size_t)k;
    if (n == sizeof rec) break;
  }
  close(credfd);
  if (!n) {                                  /* no login: QUIT, timeout, gone */
    devnull01();
    if (waitfor(net, &status) < 0 || !WIFEXITED(status)) _exit(111);
    _exit(WEXITSTATUS(status));
  }
  if (!pop3_credrec(rec, n, &mode)) {
    explicit_bzero(rec, sizeof rec);
    logf_("malformed login record from the network half");
    kill(net, SIGKILL);
    _exit(111);
  }
  if (mode == 'T') devnull01();              /* the network half keeps the connection */
  int pi[2];
  if (pipe2(pi, O_CLOEXEC) < 0) { explicit_bzero(rec, sizeof rec); logf_("cannot make a pipe"); _exit(111); }
  pid_t chain = fork();
  if (chain < 0) { explicit_bzero(rec, sizeof rec); logf_("cannot fork"); _exit(111); }
  if (chain == 0) {
    explicit_bzero(rec, sizeof rec);
    signal(SIGPIPE, SIG_DFL);
    if (mode == 'T' && (dup2(chainfd, 0) < 0 || dup2(chainfd, 1) < 0)) _exit(111);
    /* fd 3: the credentials; dup2 onto itself would keep close-on-exec */
    if (pi[0] == 3) { if (fcntl(3, F_SETFD, 0) < 0) _exit(111); }
    else if (dup2(pi[0], 3) < 0) _exit(111);
    execvp(c->chain[0], c->chain);
    logf_("cannot run %s: %s", c->chain[0], strerror(errno));
    _exit(1);
  }
  close(pi[0]);
  close(chainfd);
  if (mode == 'P') devnull01();              /* the chain and the network half have it */
  if (io_writeall(pi[1], rec + 1, n - 1) < 0 && errno != EPIPE) logf_("cannot write the login to the chain");
  close(pi[1]);
  explicit_bzero(rec, sizeof rec);
  /* nothing left that needs root: waiting and reporting */
  if (drop && priv_drop(uid, gid) < 0) { logf_("cannot drop privileges"); _exit(111); }
  unsigned char st[2] = {'E', 111};
  if (waitfor(chain, &status) == 0) {
    if (WIFEXITED(status)) st[1] = (unsigned char)WEXITSTATUS(status);
    else { st[0] = 'S'; st[1] = (unsigned char)(WIFSIGNALED(status) ? WTERMSIG(status) : 0); }
  }
  if (io_writeall(statfd, st, 2) < 0 && errno != EPIPE) logf_("cannot report the chain's end");
  close(statfd);
  waitfor(net, &status);
  _exit(0);
}

int main(int argc, char **argv)
{
  static struct config c;
  uid_t uid = 0;
  gid_t gid = 0;
  int drop = geteuid() == 0;
  int cred[2], st[2], sp[2];
  signal(SIGPIPE, SIG_IGN);
  c.remoteip = getenv("TCPREMOTEIP");
  if (!c.remoteip || !*c.remoteip) c.remoteip = "unknown";
  logip = safe(c.remoteip, strlen(c.remoteip));
  {
    static char ipbuf[80];
    snprintf(ipbuf, sizeof ipbuf, "%s", logip);
    logip = ipbuf;
  }
  if (argc < 3 || !*argv[1]) {
    logf_("usage: qmail-popup hostname subprogram [args...]");
    if (write(1, "-ERR [SYS/PERM] usage: qmail-popup hostname subprogram\r\n", 56) < 0) _exit(1);
    _exit(1);
  }
  c.hostname = argv[1];
  c.chain = argv + 2;
  if (drop && priv_user(AUTO_USERD, &uid, &gid) < 0) {
    logf_("no user %s", AUTO_USERD);
    if (write(1, "-ERR [SYS/PERM] error in server configuration\r\n", 47) < 0) _exit(111);
    _exit(111);
  }
  if (pipe2(cred, O_CLOEXEC) < 0 || pipe2(st, O_CLOEXEC) < 0 ||
      socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0) {
    logf_("cannot make pipes: %s", strerror(errno));
    _exit(111);
  }
  pid_t net = fork();
  if (net < 0) { logf_("cannot fork: %s", strerror(errno)); _exit(111); }
  if (net == 0) {
    close(cred[0]);
    close(st[1]);
    close(sp[1]);
    if (drop && priv_drop(uid, gid) < 0) { logf_("cannot drop privileges to %s", AUTO_USERD); _exit(111); }
    /* it holds passwords: no other qmaild process may trace it */
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    network(&c, cred[1], st[0], sp[0]);
  }
  close(cred[1]);
  close(st[0]);
  close(sp[0]);
  root(&c, net, cred[0], st[1], sp[1], drop, uid, gid);
}
