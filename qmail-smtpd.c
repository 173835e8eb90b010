/* qmail-smtpd: receive mail over SMTP (run by tcpserver, never as root).
 * stdin/stdout are the connection. Policy lives in pure modules:
 * smtpcmd (syntax, reply table), addrlist, rcpthosts, smtpdata (DATA),
 * rbl; this file wires them to the session. Every message goes through
 * qq.c, and "250 ok" follows only a successful qq_close(). */
#include "addrlist.h"
#include "base64.h"
#include "auto.h"
#include "ctl.h"
#include "die.h"
#include "ipme.h"
#include "qq.h"
#include "rbl.h"
#include "rcpthosts.h"
#include "received.h"
#include "rd.h"
#include "sb.h"
#include "smtpcmd.h"
#include "smtpdata.h"
#include "wr.h"
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdnoreturn.h>
#include <fcntl.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

const char *progname = "qmail-smtpd";

#define GREETTIMEOUT 20      /* seconds, after 550GREETING/421GREETING */
#define AUTH_OUTMAX 600      /* bytes of auth_smtp's answer */
#define AUTH_TIMEOUT 120     /* seconds auth_smtp may take (ldaptimeout is per step) */
#define VERIFY_TEXTMAX 600   /* bytes of one qmail-verify reply */

/* SMTPAUTH: where AUTH is offered */
enum { AUTH_OFF, AUTH_TLS_OR_LOOPBACK, AUTH_TLS_ONLY, AUTH_ALWAYS };

/* Everything read once per connection: control files and environment. */
struct config {
  sb me, greeting, cookie, liphost;
  int timeout;
  uint64_t sessiontimeout;   /* seconds for the whole session (0 none) */
  uint64_t cmdtimeout;       /* seconds from a command line's first byte to its LF */
  uint64_t databytes;
  struct addrlist bmf, bmfunknown, rmf, brt, gma;
  struct rcpthosts rh;
  struct rbl rbl;
  int rblon, rbloh;
  sb rbltags, signatures;
  int errdisconnect, nobounce, sanitycheck, returnmxcheck, blockrelayprobe;
  int sendercheck;           /* 0 off, 1 on, 2 LOOSE, 3 STRICT */
  int rcptcheck, ldapsoftok, needauth, rejectexec;
  uint64_t tarpitcount, tarpitdelay, maxrcptcount;
  const char *relayclient, *greeting550, *greeting421;
  const char *remoteip, *remotehost, *remoteinfo, *local;
  int loglevel;
  int ipmeok;                /* ipme and liphost read (on the first "[ip]") */
  struct ipme ipme;
  sb tlscert, tlskey;
  int tlsavail;              /* a certificate is configured and readable */
  int smtps;                 /* SMTPS: TLS from the first byte (port 465) */
  int tlsrequired;           /* TLSREQUIRED: MAIL only inside TLS */
  int authmode;              /* SMTPAUTH, AUTHCLEARTEXT */
  int authorized;            /* AUTHORIZED: as good as authenticated for AUTHREQUIRED */
  int loopback;              /* the client is on this host */
  const char *authprepend;
  uint64_t authfailmax;
};

struct session {
  struct config *c;
  struct rd in;
  struct wr out;
  struct smtp_vars vars;
  sb line, addr, mailfrom, rcptto, helo, scratch, data;
  int fakehelo;              /* the HELO name differs from the host name */
  int seenmail;
  uint64_t rcptcount, nrcpt;
  const char *relayclient;   /* this transaction's RELAYCLIENT */
  int authok;                /* SMTP AUTH succeeded */
  int authfails;
  sb authuser, authinfo, proto;
  int tls;                   /* inside TLS (qmail-starttls holds the session) */
  char tlsinfo[200];         /* "<version> <cipher> <bits>" */
  int utf8;                  /* this transaction's MAIL said SMTPUTF8 */
  char declsize[24];         /* this transaction's SIZE= ("" none) */
  pid_t vpid;                /* qmail-verify, started on first use */
  int vfd, vdead;
  struct rd vrd;
  int rbldone, rbllisted;
  const char *rblmsg;
  int tagsdone;
  sb rblhdr, taghdr;
  uint64_t queued;           /* messages accepted in this session */
  int64_t sessionend;        /* the session deadline (rd_clock ms; 0 none) */
  int cmdexpired;            /* the last read ran into the command deadline */
};

static struct session *current;   /* for the end-of-session log line */

/* ---- logging (LOGLEVEL: 1 fatal, 2 connections and accounting,
 *      3 rejections and options, 4 every command) ---- */

static int loglevel;

static void logf_(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void logf_(int level, const char *fmt, ...)
{
  char buf[1200];
  va_list ap;
  int n, m;
  if (level > loglevel) return;
  n = snprintf(buf, sizeof buf, "qmail-smtpd %ld: ", (long)getpid());
  if (n < 0 || (size_t)n >= sizeof buf) return;
  va_start(ap, fmt);
  m = vsnprintf(buf + n, sizeof buf - (size_t)n - 1, fmt, ap);
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

/* Accounting at the end of a session: messages and this process's own
 * CPU time (not qmail-queue's). */
static void logend(void)
{
  struct rusage ru;
  if (loglevel < 2 || getrusage(RUSAGE_SELF, &ru) < 0) return;
  uint64_t us = (uint64_t)ru.ru_utime.tv_sec * 1000000 + (uint64_t)ru.ru_utime.tv_usec +
                (uint64_t)ru.ru_stime.tv_sec * 1000000 + (uint64_t)ru.ru_stime.tv_usec;
  logf_(2, "end of session: %llu messages, cpu %llu us",
        (unsigned long long)(current ? current->queued : 0), (unsigned long long)us);
}

/* ---- output: every reply goes through reply() ---- */

static noreturn void bye(struct session *s, int code);

static void reply(struct session *s, enum smtp_reply r, const char *arg)
{
  s->scratch.len = 0;
  if (!smtp_reply(&s->scratch, r, &s->vars, arg)) {
    static const char nomem[] = "421 out of memory (#4.3.0)\r\n";
    wr_put(&s->out, nomem, sizeof nomem - 1);
    logf_(1, "out of memory, closing connection");
    bye(s, 1);
  }
  wr_put(&s->out, s->scratch.s, s->scratch.len);
}

static void flush(struct session *s)
{
  if (wr_flush(&s->out) < 0) {
    logf_(1, "write error, connection closed");
    _exit(1);
  }
}

/* Leave without cutting off our last reply: a client still sending would
 * get a reset (and lose the reply) if unread input were pending at close. */
static void drain(void)
{
  char buf[4096];
  size_t total = 0;
  time_t end = time(0) + 2;
  shutdown(1, SHUT_WR);
  while (total < 1024 * 1024 && time(0) < end) {
    struct pollfd p = {.fd = 0, .events = POLLIN};
    if (poll(&p, 1, 1000) <= 0) break;
    ssize_t n = read(0, buf, sizeof buf);
    if (n <= 0) break;
    total += (size_t)n;
  }
}

static noreturn void bye(struct session *s, int code)
{
  wr_flush(&s->out);
  drain();
  logend();
  _exit(code);
}

static noreturn void die_nomem_smtp(struct session *s)
{
  reply(s, SR_NOMEM, 0);
  logf_(1, "out of memory, closing connection");
  bye(s, 1);
}

static noreturn void die_control(struct session *s)
{
  reply(s, SR_CONTROL, 0);
  logf_(1, "unable to read controls, closing connection");
  bye(s, 1);
}

/* A refusal: with SMTP550DISCONNECT the session ends right after it. */
static void refuse(struct session *s, enum smtp_reply r, const char *arg)
{
  reply(s, r, arg);
  if (s->c->errdisconnect) {
    logf_(4, "force closing connection");
    bye(s, 0);
  }
}

/* ---- configuration ---- */

/* Leading decimal digits, saturating (as qmail's scan_ulong reads env). */
static uint64_t envnum(const char *name, uint64_t def)
{
  const char *x = getenv(name);
  uint64_t v = 0;
  if (!x) return def;
  for (; *x >= '0' && *x <= '9'; ++x) {
    unsigned d = (unsigned)(*x - '0');
    if (v > (UINT64_MAX - d) / 10) return UINT64_MAX;
    v = v * 10 + d;
  }
  return v;
}


/* Control files; -1 if any cannot be read. */
static int readcontrols(struct config *c)
{
  uint64_t u;
  if (ctl_line("me", &c->me) != 1 || !c->me.len) return -1;
  if (ctl_line("smtpgreeting", &c->greeting) < 0) return -1;
  if (ctl_line("smtpclustercookie", &c->cookie) < 0) return -1;
  sb_trunc(&c->cookie, 32);
  if (ctl_u64("timeoutsmtpd", &u) < 0) return -1;
  c->timeout = u == 0 ? 1 : u > INT_MAX / 1000 ? INT_MAX / 1000 : (int)u;
  if (ctl_u64("timeoutsmtpsession", &c->sessiontimeout) < 0) return -1;
  if (ctl_u64("timeoutsmtpcommand", &c->cmdtimeout) < 0) return -1;
  if (ctl_u64("databytes", &c->databytes) < 0) return -1;
  c->databytes = envnum("DATABYTES", c->databytes);
  if (addrlist_ctl("badmailfrom", &c->bmf) < 0 || addrlist_ctl("badmailfrom-unknown", &c->bmfunknown) < 0 ||
      addrlist_ctl("relaymailfrom", &c->rmf) < 0 || addrlist_ctl("badrcptto", &c->brt) < 0)
    return -1;
  if ((c->sendercheck || c->rcptcheck) && addrlist_ctl("goodmailaddr", &c->gma) < 0) return -1;
  if (rcpthosts_init(&c->rh, getenv("NOLOCAL") != 0) < 0) return -1;
  if (c->rblon) {
    sb v = SB_INIT;
    int r = ctl_list("rbllist", &v);
    if (r >= 0 && rbl_parse(&c->rbl, v.s ? v.s : "", v.len) != 1) r = -1;
    sb_free(&v);
    if (r < 0) return -1;
  }
  if (ctl_list("rbltags", &c->rbltags) < 0) return -1;
  if (c->rejectexec && ctl_list("signatures", &c->signatures) < 0) return -1;
  /* qmail-starttls reads them again and does the TLS; here only whether
   * STARTTLS can be offered */
  if (ctl_line("smtpcert", &c->tlscert) < 0 || ctl_line("smtpkey", &c->tlskey) < 0) return -1;
  const char *env = getenv("SSLCERT");
  if (env && *env && !sb_copys(&c->tlscert, env)) return -1;
  if (!sb_cat0(&c->tlscert) || !sb_cat0(&c->tlskey)) return -1;
  c->tlsavail = *c->tlscert.s && access(c->tlscert.s, R_OK) == 0 && (!*c->tlskey.s || access(c->tlskey.s, R_OK) == 0);
  return 0;
}

static int isloopback(const char *ip)
{
  return !strncmp(ip, "127.", 4) || !strcmp(ip, "::1") || !strncmp(ip, "::ffff:127.", 11);
}

static void readenv(struct config *c)
{
  const char *x;
  loglevel = (int)(envnum("LOGLEVEL", 0) > 4 ? 4 : envnum("LOGLEVEL", 0));
  c->loglevel = loglevel;
  c->tarpitcount = envnum("TARPITCOUNT", 0);
  c->tarpitdelay = envnum("TARPITDELAY", 5);
  c->maxrcptcount = envnum("MAXRCPTCOUNT", 0);
  c->rblon = getenv("RBL") != 0;
  c->rbloh = getenv("RBLONLYHEADER") != 0;
  c->errdisconnect = getenv("SMTP550DISCONNECT") != 0;
  c->nobounce = getenv("NOBOUNCE") != 0;
  c->sanitycheck = getenv("SANITYCHECK") != 0;
  c->returnmxcheck = getenv("RETURNMXCHECK") != 0;
  c->blockrelayprobe = getenv("BLOCKRELAYPROBE") != 0;
  c->rejectexec = getenv("REJECTEXEC") != 0;
  if ((x = getenv("SENDERCHECK")) != 0)
    c->sendercheck = !strcasecmp(x, "LOOSE") ? 2 : !strcasecmp(x, "STRICT") ? 3 : 1;
  c->rcptcheck = getenv("RCPTCHECK") != 0;
  c->ldapsoftok = getenv("LDAPSOFTOK") != 0;
  c->needauth = getenv("AUTHREQUIRED") != 0;
  c->authorized = getenv("AUTHORIZED") != 0;
  c->smtps = getenv("SMTPS") != 0;
  c->tlsrequired = getenv("TLSREQUIRED") != 0;
  if ((x = getenv("SMTPAUTH")) != 0)
    c->authmode = getenv("AUTHCLEARTEXT") ? AUTH_ALWAYS : !strcasecmp(x, "TLSREQUIRED") ? AUTH_TLS_ONLY
                                                                                      : AUTH_TLS_OR_LOOPBACK;
  c->authprepend = getenv("AUTHPREPEND");
  c->authfailmax = envnum("AUTHFAILMAX", 3);
  if (!c->authfailmax) c->authfailmax = 1;
  c->greeting550 = getenv("550GREETING");
  c->greeting421 = getenv("421GREETING");
  c->relayclient = getenv("RELAYCLIENT");
  c->remoteip = getenv("TCPREMOTEIP");
  if (!c->remoteip || !*c->remoteip) c->remoteip = "unknown";
  c->remotehost = getenv("TCPREMOTEHOST");
  if (!c->remotehost || !*c->remotehost) c->remotehost = "unknown";
  c->remoteinfo = getenv("TCPREMOTEINFO");
  c->local = getenv("TCPLOCALHOST");
  if (!c->local) c->local = getenv("TCPLOCALIP");
  if (!c->local) c->local = "unknown";
  c->loopback = isloopback(c->remoteip);
}

static void logsetup(const struct config *c)
{
  logf_(2, "connection from %s (%s%s%s) to %s", c->remoteip, c->remotehost,
        c->remoteinfo ? ", " : "", c->remoteinfo ? c->remoteinfo : "", c->local);
  if (loglevel < 3) return;
  char sz[40] = "";
  if (c->databytes) snprintf(sz, sizeof sz, "max msg size: %llu ", (unsigned long long)c->databytes);
  logf_(3, "enabled options: %s%s%s%s%s%s%s%s%s%s%s%s%s%s%s%s", sz,
        c->greeting550 ? "greeting550 " : "", c->greeting421 ? "greeting421 " : "",
        c->relayclient ? "relayclient " : "", c->sanitycheck ? "sanitycheck " : "",
        c->returnmxcheck ? "returnmxcheck " : "", c->blockrelayprobe ? "blockrelayprobe " : "",
        c->nobounce ? "nobounce " : "", c->rblon ? "rblcheck " : "", c->rbloh ? "rblonlyheader " : "",
        c->sendercheck == 1 ? "sendercheck " : c->sendercheck == 2 ? "sendercheck-loose " :
        c->sendercheck == 3 ? "sendercheck-strict " : "",
        c->rcptcheck ? "rcptcheck " : "", c->ldapsoftok ? "ldapsoftok " : "",
        c->needauth ? "authrequired " : "", c->rejectexec ? "rejectexecutables " : "",
        c->errdisconnect ? "smtp550disconnect " : "");
}

static int getcommand(struct session *s);
static noreturn void readfailed(struct session *s, int k);

/* credentials never stay in memory longer than needed */
static void pw_wipe_sb(sb *x)
{
  if (x->s && x->cap) explicit_bzero(x->s, x->cap);
}

/* ---- qmail-verify (RCPTCHECK/SENDERCHECK, INTERNALS 9) ---- */

static void verify_stop(struct session *s)
{
  if (s->vpid > 0) { close(s->vfd); kill(s->vpid, SIGTERM); waitpid(s->vpid, 0, 0); }
  s->vpid = -1;
  s->vdead = 1;
}

/* One qmail-verify for the whole session, started on first use. fd 0 of
 * the child is the request pipe, fd 1 the reply pipe; both directions go
 * through one socketpair end here so a dead child shows up as EOF. */
static int verify_start(struct session *s)
{
  int sv[2];
  if (s->vdead) return -1;
  if (s->vpid > 0) return 0;
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) { s->vdead = 1; return -1; }
  pid_t pid = fork();
  if (pid == 0) {
    char *argv[] = {"qmail-verify", 0};
    if (dup2(sv[1], 0) < 0 || dup2(sv[1], 1) < 0) _exit(111);
    execv(AUTO_QMAIL "/bin/qmail-verify", argv);
    _exit(111);
  }
  close(sv[1]);
  if (pid < 0) { close(sv[0]); s->vdead = 1; return -1; }
  s->vpid = pid;
  s->vfd = sv[0];
  rd_init(&s->vrd, sv[0], s->c->timeout);
  return 0;
}

static int writeall(int fd, const char *p, size_t n)
{
  while (n) {
    ssize_t w = write(fd, p, n);
    if (w < 0) { if (errno == EINTR) continue; return -1; }
    p += w; n -= (size_t)w;
  }
  return 0;
}

/* Ask qmail-verify about addr. Returns 'K', 'D' or 'Z'; for D and Z
 * *code is the SMTP code and text the verifier's words (may be empty).
 * A verifier that dies or talks nonsense turns every later answer of
 * this session into 'Z' (temporary), never into an accept. */
static int verify_address(struct session *s, int kind, const char *addr, sb *text, int *code)
{
  sb req = SB_INIT;
  *code = 451;
  text->len = 0;
  if (verify_start(s) < 0) { logf_(1, "unable to run qmail-verify"); return 'Z'; }
  if (!sb_catc(&req, (char)kind) || !sb_cats(&req, addr) || !sb_cat0(&req) ||
      !sb_cats(&req, kind == 'R' ? s->declsize : "") || !sb_cat0(&req))
    die_nomem_smtp(s);
  int w = writeall(s->vfd, req.s, req.len);
  sb_free(&req);
  if (w < 0) { logf_(1, "qmail-verify went away"); verify_stop(s); return 'Z'; }
  int k = rd_line(&s->vrd, text, '\0', VERIFY_TEXTMAX);
  if (k != RD_OK || !text->len) { logf_(1, "no answer from qmail-verify"); verify_stop(s); return 'Z'; }
  char kindc = text->s[0];
  if (kindc == 'K' && text->len == 1) return 'K';
  /* D5xx text / Z4xx text */
  if ((kindc == 'D' || kindc == 'Z') && text->len >= 5 && text->s[1] == (kindc == 'D' ? '5' : '4') &&
      text->s[2] >= '0' && text->s[2] <= '9' && text->s[3] >= '0' && text->s[3] <= '9' && text->s[4] == ' ') {
    *code = (text->s[1] - '0') * 100 + (text->s[2] - '0') * 10 + (text->s[3] - '0');
    memmove(text->s, text->s + 5, text->len - 5);
    sb_trunc(text, text->len - 5);
    if (!sb_cat0(text)) die_nomem_smtp(s);
    return kindc;
  }
  logf_(1, "bad answer from qmail-verify");
  verify_stop(s);
  return 'Z';
}

/* ---- TLS ---- */

/* TLS runs in bin/qmail-starttls (INTERNALS 13): it keeps the client's
 * socket and hands us the plaintext over a socketpair, which becomes our
 * fd 0 and 1. So qmail-smtpd never links OpenSSL, and what the client
 * pipelined in plaintext behind STARTTLS (in our buffer) is dropped. */
static void starttls(struct session *s)
{
  int sp[2];
  char tmo[24];
  sb st = SB_INIT;
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0) { logf_(1, "TLS: socketpair failed"); bye(s, 1); }
  snprintf(tmo, sizeof tmo, "%d", s->c->timeout);
  pid_t pid = fork();
  if (pid == 0) {
    char *argv[] = {"qmail-starttls", tmo, 0};
    if (dup2(sp[1], 3) < 0) _exit(111);
    execv(AUTO_QMAIL "/bin/qmail-starttls", argv);
    _exit(111);
  }
  if (pid < 0 || dup2(sp[0], 0) < 0 || dup2(sp[0], 1) < 0) { logf_(1, "TLS: unable to start qmail-starttls"); _exit(1); }
  close(sp[0]);
  close(sp[1]);
  size_t dropped = rd_settransport(&s->in, 0, 0);
  if (dropped) logf_(1, "discarded %zu bytes sent in plaintext after STARTTLS", dropped);
  int k = rd_line(&s->in, &st, '\n', sizeof s->tlsinfo);
  if (k != RD_OK || !st.len || st.s[0] != '+') {
    if (!sb_cat0(&st)) _exit(1);
    logf_(1, "TLS handshake failed: %s", k == RD_OK && st.len > 1 ? st.s + 1 : "qmail-starttls ended");
    logend();
    _exit(1);
  }
  memcpy(s->tlsinfo, st.s + 1, st.len - 1);
  s->tlsinfo[st.len - 1] = 0;
  for (char *c = s->tlsinfo; *c; ++c)
    if (!((*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || strchr("._- ", *c))) *c = '?';
  sb_free(&st);
  s->tls = 1;
  logf_(2, "TLS established: %s bits", s->tlsinfo);
}

static void newtransaction(struct session *s);
static void dohelo(struct session *s, const char *arg, size_t len);

static void smtp_starttls(struct session *s, const char *arg, size_t alen)
{
  (void)arg;
  if (s->tls) { reply(s, SR_TLSACTIVE, 0); return; }
  if (!s->c->tlsavail) { reply(s, SR_UNIMPL, 0); return; }
  if (alen) { reply(s, SR_TLSSYNTAX, 0); return; }
  reply(s, SR_TLSGO, 0);
  flush(s);
  starttls(s);
  /* RFC 3207 4.2: forget what the client said before the handshake */
  newtransaction(s);
  dohelo(s, s->c->remotehost, strlen(s->c->remotehost));
  s->authok = 0;
  s->authuser.len = 0;
}

/* ---- SMTP AUTH (auth_smtp, INTERNALS 10) ---- */

static int authoffered(const struct session *s)
{
  const struct config *c = s->c;
  return c->authmode != AUTH_OFF &&
         (s->tls || c->authmode == AUTH_ALWAYS || (c->authmode == AUTH_TLS_OR_LOOPBACK && c->loopback));
}

/* Run auth_smtp with the tokens on its stdin: 'K' (login in *login),
 * 'D', 'Z', or 'T' for temporary trouble. */
static int runauth(struct session *s, const sb *tokens, sb *login)
{
  int in[2], out[2], st;
  sb ans = SB_INIT;
  (void)s;
  if (pipe2(in, O_CLOEXEC) < 0) return 'T';
  if (pipe2(out, O_CLOEXEC) < 0) { close(in[0]); close(in[1]); return 'T'; }
  pid_t pid = fork();
  if (pid == 0) {
    char *argv[] = {"auth_smtp", 0};
    if (dup2(in[0], 0) < 0 || dup2(out[1], 1) < 0) _exit(111);
    execv(AUTO_QMAIL "/bin/auth_smtp", argv);
    _exit(111);
  }
  close(in[0]);
  close(out[1]);
  if (pid < 0) { close(in[1]); close(out[0]); return 'T'; }
  /* at most 2 KB: fits the pipe, so this cannot block on the child */
  int w = writeall(in[1], tokens->s, tokens->len);
  close(in[1]);
  struct rd r;
  rd_init(&r, out[0], AUTH_TIMEOUT);
  int k = RD_OK;
  while (k == RD_OK && ans.len <= AUTH_OUTMAX) {
    k = rd_fill(&r);
    if (k == RD_OK) {
      if (!sb_catb(&ans, r.buf + r.pos, rd_buffered(&r))) { k = RD_ERR; break; }
      r.pos = r.len;
    }
  }
  close(out[0]);
  if (k != RD_EOF) kill(pid, SIGKILL);
  while (waitpid(pid, &st, 0) < 0)
    if (errno != EINTR) { st = 111 << 8; break; }
  int res = 'T';
  if (w == 0 && k == RD_EOF && WIFEXITED(st) && WEXITSTATUS(st) == 0 && ans.len >= 2 && ans.s[ans.len - 1] == 0) {
    if (ans.s[0] == 'D' && ans.len == 2) res = 'D';
    else if (ans.s[0] == 'Z' && ans.len == 2) res = 'Z';
    else if (ans.s[0] == 'K' && ans.len > 2 && ans.len - 2 <= 256 && strlen(ans.s + 1) == ans.len - 2) {
      int clean = 1;
      for (size_t i = 1; i < ans.len - 1; ++i)
        if ((unsigned char)ans.s[i] <= 0x20 || ans.s[i] == 0x7f) clean = 0;
      if (clean && sb_copys(login, ans.s + 1)) res = 'K';
    }
  }
  if (res == 'T') logf_(1, "auth_smtp failed (exit %d)", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
  sb_free(&ans);
  return res;
}

/* One response line of the AUTH exchange (base64, checked strictly).
 * 1 ok, 0 the reply has been sent (cancelled or malformed). */
static int authline(struct session *s, const char *prompt, sb *out)
{
  reply(s, SR_AUTHCHAL, prompt);
  int k = getcommand(s);
  if (k == RD_TOOLONG) { reply(s, SR_AUTHMALFORMED, 0); return 0; }
  if (k != RD_OK) readfailed(s, k);
  if (s->line.len == 1 && s->line.s[0] == '*') { reply(s, SR_AUTHCANCEL, 0); return 0; }
  if (!sb_copyb(out, s->line.s, s->line.len)) die_nomem_smtp(s);
  pw_wipe_sb(&s->line);
  return 1;
}

/* base64 as the client sent it: strict syntax, or "=" for empty */
static int b64ok(const char *p, size_t n)
{
  sb tmp = SB_INIT;
  int r;
  if (n == 1 && p[0] == '=') return 1;
  r = b64_decode(&tmp, p, n);
  if (r < 0) { sb_free(&tmp); return -1; }
  if (tmp.s) memset(tmp.s, 0, tmp.len);
  sb_free(&tmp);
  return r == 1;
}

static void authdelay(struct session *s)
{
  unsigned d = s->authfails == 1 ? 1 : 4;
  logf_(4, "delaying %u s after failed authentication", d);
  flush(s);
  sleep(d);
}

static void smtp_auth(struct session *s, const char *arg, size_t alen)
{
  struct config *c = s->c;
  sb tok = SB_INIT, a = SB_INIT, b = SB_INIT;
  if (c->authmode == AUTH_OFF) { reply(s, SR_UNIMPL, 0); return; }
  if (!authoffered(s)) { logf_(3, "AUTH refused outside TLS"); refuse(s, SR_AUTHTLS, 0); return; }
  if (s->authok) { reply(s, SR_AUTHAGAIN, 0); return; }
  if (s->seenmail) { reply(s, SR_AUTHINMAIL, 0); return; }
  const char *sp = memchr(arg, ' ', alen);
  size_t ml = sp ? (size_t)(sp - arg) : alen;
  const char *resp = sp ? sp + 1 : 0;
  size_t rl = sp ? alen - ml - 1 : 0;
  int plain = ml == 5 && !strncasecmp(arg, "PLAIN", 5);
  int login = ml == 5 && !strncasecmp(arg, "LOGIN", 5);
  if (!plain && !login) { logf_(3, "unknown AUTH mechanism"); reply(s, SR_AUTHMECH, 0); return; }
  if (resp && !sb_copyb(&a, resp, rl)) die_nomem_smtp(s);
  if (!resp && !authline(s, plain ? "" : "VXNlcm5hbWU6", &a)) goto done;
  if (login && !authline(s, "UGFzc3dvcmQ6", &b)) goto done;
  int ka = b64ok(a.s ? a.s : "", a.len), kb = login ? b64ok(b.s ? b.s : "", b.len) : 1;
  if (ka < 0 || kb < 0) die_nomem_smtp(s);
  if (!ka || !kb) { logf_(3, "malformed AUTH input"); reply(s, SR_AUTHMALFORMED, 0); goto done; }
  /* "=" is the empty initial response; auth_smtp gets it as "" */
  if (a.len == 1 && a.s[0] == '=') a.len = 0;
  if (b.len == 1 && b.s[0] == '=') b.len = 0;
  if (!sb_cats(&tok, plain ? "plain" : "login") || !sb_cat0(&tok) || !sb_catb(&tok, a.s ? a.s : "", a.len) ||
      !sb_cat0(&tok) || (login && (!sb_catb(&tok, b.s ? b.s : "", b.len) || !sb_cat0(&tok))))
    die_nomem_smtp(s);
  sb user = SB_INIT;
  int r = runauth(s, &tok, &user);
  if (r == 'K') {
    s->authok = 1;
    if (!sb_copyb(&s->authuser, user.s, user.len) || !sb_cat0(&s->authuser)) die_nomem_smtp(s);
    setenv("SMTPAUTHUSER", s->authuser.s, 1);
    logf_(2, "authenticated as %s (%s)", s->authuser.s, plain ? "PLAIN" : "LOGIN");
    reply(s, SR_AUTHOK, 0);
  } else if (r == 'T') {
    reply(s, SR_AUTHTEMP, 0);
  } else {
    s->authfails++;
    logf_(2, "authentication failed (%s, %d of %llu)", r == 'Z' ? "malformed" : "bad credentials", s->authfails,
          (unsigned long long)c->authfailmax);
    authdelay(s);
    reply(s, r == 'Z' ? SR_AUTHMALFORMED : SR_AUTHFAIL, 0);
    if ((uint64_t)s->authfails >= c->authfailmax) {
      reply(s, SR_AUTHTOOMANY, 0);
      logf_(2, "too many authentication failures, closing connection");
      sb_free(&user);
      bye(s, 0);
    }
  }
  sb_free(&user);
done:
  pw_wipe_sb(&tok); pw_wipe_sb(&a); pw_wipe_sb(&b);
  sb_free(&tok); sb_free(&a); sb_free(&b);
}

/* ---- commands ---- */

static void dohelo(struct session *s, const char *arg, size_t len)
{
  if (!sb_copyb(&s->helo, arg, len)) die_nomem_smtp(s);
  s->fakehelo = strlen(s->c->remotehost) != len || strncasecmp(s->c->remotehost, arg, len) != 0;
}

static void newtransaction(struct session *s)
{
  s->seenmail = 0;
  s->relayclient = s->c->relayclient;
  s->utf8 = 0;
  s->declsize[0] = 0;
}

static void smtp_helo(struct session *s, const char *arg, size_t len)
{
  reply(s, SR_HELO, 0);
  newtransaction(s);
  dohelo(s, arg, len);
  logf_(4, "remote helo: %.*s", (int)len, arg);
}

static void smtp_ehlo(struct session *s, const char *arg, size_t len)
{
  char size[24];
  reply(s, SR_EHLO, 0);
  reply(s, SR_EHLO_PIPELINING, 0);
  if (s->c->databytes) {
    snprintf(size, sizeof size, "%llu", (unsigned long long)s->c->databytes);
    reply(s, SR_EHLO_SIZE, size);
  }
  if (s->c->tlsavail && !s->tls) reply(s, SR_EHLO_STARTTLS, 0);
  if (authoffered(s)) reply(s, SR_EHLO_AUTH, 0);
  reply(s, SR_EHLO_SMTPUTF8, 0);
  reply(s, SR_EHLO_8BITMIME, 0);
  newtransaction(s);
  dohelo(s, arg, len);
  logf_(4, "remote ehlo: %.*s", (int)len, arg);
}

/* This host's addresses and localiphost, read on the first "[ip]". */
static const struct ipme *ipme(struct session *s)
{
  struct config *c = s->c;
  if (!c->ipmeok) {
    if (ctl_line("localiphost", &c->liphost) < 0) die_control(s);
    if (ipme_init(&c->ipme) < 0) {
      reply(s, SR_IPME, 0);
      logf_(1, "unable to figure out my IP addresses, closing connection");
      bye(s, 1);
    }
    c->ipmeok = 1;
  }
  return &c->ipme;
}

/* MAIL/RCPT address into s->addr; "[ip]" of this host becomes localiphost.
 * 1 ok, 0 syntax error. */
static int parseaddr(struct session *s, const char *arg, size_t len, size_t *rest)
{
  char ip[64];
  size_t at;
  int r = smtp_addrparse(arg, len, &s->addr, rest);
  if (r < 0) die_nomem_smtp(s);
  if (!r) return 0;
  if (smtp_addrliteral(s->addr.s, s->addr.len, &at, ip, sizeof ip) && ipme_is_text(ipme(s), ip)) {
    sb_trunc(&s->addr, at + 1);
    if (!sb_catsb(&s->addr, &s->c->liphost)) die_nomem_smtp(s);
    if (s->addr.len > SMTP_ADDRMAX) return 0;
  }
  return 1;
}

/* The cached RBL verdict for this client. */
static int rbllisted(struct session *s)
{
  if (!s->rbldone) {
    int r = rbl_check(&s->c->rbl, s->c->remoteip, s->c->rbloh, rbl_resolve, 0, &s->rblhdr, &s->rblmsg);
    if (r < 0) die_nomem_smtp(s);
    s->rbllisted = r == RBL_LISTED;
    s->rbldone = 1;
    logf_(2, "RBL check of %s: %s", s->c->remoteip, s->rbllisted ? "listed" : s->rblhdr.len ? "tagged" : "not listed");
  }
  return s->rbllisted;
}

/* SENDERCHECK/RCPTCHECK answer for a local address: 1 pass, 0 refused. */
static int verified(struct session *s, int kind, const char *addr)
{
  sb text = SB_INIT;
  int code;
  int k = verify_address(s, kind, addr, &text, &code);
  if (k == 'K') { sb_free(&text); return 1; }
  if (k == 'D') {
    const char *t = text.len > 1 ? text.s : "Sorry, no mailbox here by that name. (#5.1.1)";
    logf_(3, "address verify refused %s: %d %s", addr, code, t);
    refuse(s, code == 552 ? SR_VERIFY552 : SR_VERIFYFAIL, t);
    sb_free(&text);
    return 0;
  }
  if (s->c->ldapsoftok) { sb_free(&text); return 1; }
  logf_(3, "address verify soft error for %s: %s", addr, text.len > 1 ? text.s : "");
  if (text.len > 1) refuse(s, SR_VERIFYTEMP, text.s);
  else refuse(s, SR_VERIFYSOFT, 0);
  sb_free(&text);
  return 0;
}

/* 8-bit envelope addresses need SMTPUTF8 and must be UTF-8: 1 ok, 0 refused */
static int utf8check(struct session *s, const char *a, size_t n)
{
  if (!smtp_has8bit(a, n)) return 1;
  if (!s->utf8) { logf_(3, "8-bit address without SMTPUTF8: %s", a); refuse(s, SR_UTF8NEEDED, 0); return 0; }
  if (!smtp_utf8_ok(a, n)) { logf_(3, "address is not UTF-8"); refuse(s, SR_UTF8BAD, 0); return 0; }
  return 1;
}

/* Sender checks in qmail-ldap's order; 1 if the sender is accepted. */
static int mailchecks(struct session *s, const char *arg, size_t len, size_t rest)
{
  struct config *c = s->c;
  const char *a = s->addr.s;
  size_t n = s->addr.len;
  int bounce = smtp_isbounce(a, n);
  if (c->tlsrequired && !s->tls) { logf_(3, "TLS needed"); refuse(s, SR_TLSNEEDED, 0); return 0; }
  if (c->needauth && !s->authok && !c->authorized) { logf_(3, "auth needed"); refuse(s, SR_AUTHNEEDED, 0); return 0; }
  if (!utf8check(s, a, n)) return 0;
  if (s->authok && !s->relayclient) s->relayclient = "";
  if (!smtp_size_ok(arg + rest, len - rest, c->databytes)) {
    logf_(3, "message denied because: 'SMTP SIZE' too big");
    refuse(s, SR_SIZE, 0);
    return 0;
  }
  if (addrlist_match(&c->bmf, a, n, AL_FULL | AL_DOMAIN | AL_USER)) {
    logf_(3, "bad mailfrom: %s", a);
    refuse(s, SR_BMF, 0);
    return 0;
  }
  if (!strcasecmp(c->remotehost, "unknown") && addrlist_match(&c->bmfunknown, a, n, AL_FULL | AL_DOMAIN | AL_USER)) {
    logf_(3, "bad mailfrom unknown: %s", a);
    refuse(s, SR_BMFUNKNOWN, 0);
    return 0;
  }
  if (bounce && c->nobounce) { logf_(3, "bounce refused (NOBOUNCE)"); refuse(s, SR_NOBOUNCE, 0); return 0; }
  if (c->sanitycheck && !bounce) {
    static const enum smtp_reply why[] = {[SANE_NOAT] = SR_SANE_NOAT, [SANE_NOPART] = SR_SANE_NOPART, [SANE_NODOT] = SR_SANE_NODOT};
    int k = smtp_sanity(a, n);
    if (k != SANE_OK) { logf_(3, "sanity check failed: %s", a); refuse(s, why[k], 0); return 0; }
  }
  if (!s->relayclient && addrlist_match(&c->rmf, a, n, AL_FULL | AL_DOMAIN)) {
    s->relayclient = "";
    logf_(4, "relaying allowed via relaymailfrom");
  }
  if (c->rblon && !s->relayclient && rbllisted(s)) {
    logf_(3, "rejected by RBL: %s", s->rblmsg);
    refuse(s, SR_RBL, s->rblmsg);
    return 0;
  }
  if (c->returnmxcheck && !bounce) {
    const char *at = strrchr(a, '@');
    if (at) {
      int k = rbl_mxcheck(at + 1);
      if (k == RBL_SOFT) { logf_(3, "return MX lookup failed temporarily: %s", a); refuse(s, SR_DNSSOFT, 0); return 0; }
      if (k == RBL_LISTED) { logf_(3, "return MX does not exist: %s", a); refuse(s, SR_NOMX, 0); return 0; }
    }
  }
  if (c->sendercheck && !bounce && !addrlist_match(&c->gma, a, n, AL_FULL | AL_DOMAIN | AL_USER | AL_CATCHALL)) {
    int local = rcpthosts_local(&c->rh, a, n);
    if (local < 0) die_control(s);
    if (local) return verified(s, 'S', a);
    if (c->sendercheck == 1) return 1;   /* mail from outside: fine */
    int allowed = c->sendercheck == 2 ? rcpthosts_allowed(&c->rh, a, n) : 0;
    if (allowed < 0) die_control(s);
    if (!allowed) {
      logf_(3, "sender not local: %s", a);
      refuse(s, SR_LOCALSENDER, 0);
      return 0;
    }
  }
  return 1;
}

static void smtp_mail(struct session *s, const char *arg, size_t len)
{
  size_t rest;
  newtransaction(s);
  if (!parseaddr(s, arg, len, &rest)) {
    logf_(3, "syntax error in mail from: %.*s", (int)len, arg);
    refuse(s, SR_SYNTAX, 0);
    return;
  }
  logf_(3, "mail from: %s", s->addr.s);
  s->utf8 = smtp_keyword(arg + rest, len - rest, "SMTPUTF8");
  const char *sz;
  size_t szl;
  if (smtp_param(arg + rest, len - rest, "SIZE", &sz, &szl)) {
    size_t i = 0;
    while (i < szl && i < sizeof s->declsize - 1 && sz[i] >= '0' && sz[i] <= '9') { s->declsize[i] = sz[i]; ++i; }
    s->declsize[i] = 0;
  }
  if (!mailchecks(s, arg, len, rest)) { s->utf8 = 0; s->declsize[0] = 0; return; }
  if (!sb_copyb(&s->mailfrom, s->addr.s, s->addr.len)) die_nomem_smtp(s);
  s->rcptto.len = 0;
  s->rcptcount = s->nrcpt = 0;
  s->seenmail = 1;
  reply(s, SR_OK, 0);
}

static void smtp_rcpt(struct session *s, const char *arg, size_t len)
{
  struct config *c = s->c;
  size_t rest;
  if (!s->seenmail) { logf_(4, "'mail from' first"); refuse(s, SR_WANTMAIL, 0); return; }
  if (!parseaddr(s, arg, len, &rest) || !s->addr.len) {
    logf_(3, "syntax error in rcpt to: %.*s", (int)len, arg);
    refuse(s, SR_SYNTAX, 0);
    return;
  }
  logf_(3, "rcpt to: %s", s->addr.s);
  if (!utf8check(s, s->addr.s, s->addr.len)) return;
  if (c->blockrelayprobe && smtp_relayprobe(s->addr.s, s->addr.len)) {
    logf_(3, "rcpt to denied, looks like a relay probe: %s", s->addr.s);
    refuse(s, SR_RELAYPROBE, 0);
    return;
  }
  if (addrlist_match(&c->brt, s->addr.s, s->addr.len, AL_FULL | AL_DOMAIN | AL_USER)) {
    logf_(3, "rcpt to denied (badrcptto): %s", s->addr.s);
    refuse(s, SR_BADRCPT, 0);
    return;
  }
  if (s->relayclient) {
    if (!sb_cats(&s->addr, s->relayclient)) die_nomem_smtp(s);
  } else {
    int r = rcpthosts_allowed(&c->rh, s->addr.s, s->addr.len);
    if (r < 0) die_control(s);
    if (!r) {
      logf_(3, "no mail relay for rcpt to: %s", s->addr.s);
      refuse(s, SR_NOGATEWAY, 0);
      return;
    }
  }
  ++s->rcptcount;
  if (c->maxrcptcount && s->rcptcount > c->maxrcptcount) {
    logf_(3, "message denied: more recipients than MAXRCPTCOUNT");
    refuse(s, SR_MAXRCPT, 0);
    return;
  }
  if (s->rcptcount > 1 && smtp_isbounce(s->mailfrom.s, s->mailfrom.len)) {
    logf_(3, "bounce message denied because it has more than one recipient");
    refuse(s, SR_BADBOUNCE, 0);
    return;
  }
  if (c->rcptcheck && !addrlist_match(&c->gma, s->addr.s, s->addr.len, AL_FULL | AL_DOMAIN | AL_USER | AL_CATCHALL)) {
    int local = rcpthosts_local(&c->rh, s->addr.s, s->addr.len);
    if (local < 0) die_control(s);
    if (local && !verified(s, 'R', s->addr.s)) return;
  }
  if (!sb_catsb(&s->rcptto, &s->addr) || !sb_cat0(&s->rcptto)) die_nomem_smtp(s);
  ++s->nrcpt;
  if (c->tarpitcount && c->tarpitdelay && s->rcptcount >= c->tarpitcount) {
    logf_(4, "tarpitting");
    flush(s);
    sleep(c->tarpitdelay > 3600 ? 3600 : (unsigned)c->tarpitdelay);
  }
  reply(s, SR_OK, 0);
}

/* The "with" of the Received line: SMTP, or RFC 3848/6531's names when
 * the session was encrypted (S), authenticated (A) or SMTPUTF8, with the
 * TLS protocol and cipher as a comment. */
static const char *protocol(struct session *s)
{
  sb *p = &s->proto;
  p->len = 0;
  int ok = sb_cats(p, s->utf8 ? "UTF8SMTP" : s->tls || s->authok ? "ESMTP" : "SMTP") &&
           (!s->tls || sb_catc(p, 'S')) && (!s->authok || sb_catc(p, 'A'));
  /* tlsinfo came from qmail-starttls: version, cipher, bits (printable) */
  if (ok && s->tls) ok = sb_cats(p, " (") && sb_cats(p, s->tlsinfo) && sb_cats(p, " bits encrypted)");
  if (!ok || !sb_cat0(p)) die_nomem_smtp(s);
  return p->s;
}

/* Our Received line (received.c: qmail-ldap's form, "with SMTP"). An
 * authenticated session shows AUTHPREPEND and the login where
 * TCPREMOTEINFO would be. */
static int received(struct session *s, sb *out)
{
  struct config *c = s->c;
  const char *info = c->remoteinfo;
  if (s->authok) {
    s->authinfo.len = 0;
    if (!sb_cats(&s->authinfo, c->authprepend ? c->authprepend : "") || !sb_cats(&s->authinfo, s->authuser.s) ||
        !sb_cat0(&s->authinfo))
      die_nomem_smtp(s);
    info = s->authinfo.s;
  }
  struct received r = {
    .protocol = protocol(s), .local = c->local, .remoteip = c->remoteip, .remotehost = c->remotehost,
    .remoteinfo = info, .helo = s->fakehelo ? s->helo.s : 0,
    .sender = s->mailfrom.s, .rcpt = s->rcptto.s,
  };
  return received_fmt(out, &r, time(0));
}

/* Header lines written before the Received line: RBL tags. */
static void tagheaders(struct session *s, struct qq *q)
{
  if (!s->tagsdone && s->c->rbltags.len) {
    if (rbl_tags(s->c->rbltags.s, s->c->rbltags.len, s->c->remoteip, rbl_resolve, 0, &s->taghdr) < 0)
      die_nomem_smtp(s);
  }
  s->tagsdone = 1;
  if (s->c->rblon && !s->relayclient && s->rblhdr.len) qq_put(q, s->rblhdr.s, s->rblhdr.len);
  if (s->taghdr.len) qq_put(q, s->taghdr.s, s->taghdr.len);
}

/* Feed the client's data through the state machine into qq until the
 * final dot. Returns the SD_* failure bits (0: the message is complete). */
static int blast(struct session *s, struct qq *q, struct smtpdata *d)
{
  int aborted = 0;
  for (;;) {
    if (!rd_buffered(&s->in)) flush(s);
    int k = rd_fill(&s->in);
    if (k != RD_OK) {
      if (!aborted) qq_abort(q);
      if (k == RD_TIMEOUT) {
        reply(s, SR_TIMEOUT, 0);
        logf_(1, "%s during DATA, closing connection",
              rd_expired(&s->in) ? "session deadline (timeoutsmtpsession) reached" : "connection timed out");
        wr_flush(&s->out);
        _exit(1);
      }
      logf_(1, "read error or connection closed during DATA; nothing queued");
      _exit(1);
    }
    size_t used;
    s->data.len = 0;
    int r = smtpdata_feed(d, (const char *)s->in.buf + s->in.pos, s->in.len - s->in.pos, &used, &s->data);
    if (r < 0) { if (!aborted) qq_abort(q); die_nomem_smtp(s); }
    s->in.pos += used;
    if (d->fail && !aborted) { qq_abort(q); aborted = 1; }
    if (!aborted) qq_put(q, s->data.s, s->data.len);
    if (r == SD_BARELF || r == SD_BARECR) {   /* same answer for both, as qmail's */
      if (!aborted) qq_abort(q);
      reply(s, SR_BARELF, 0);
      logf_(1, "%s detected, closing connection", r == SD_BARELF ? "stray new line" : "bare carriage return");
      bye(s, 1);
    }
    if (r == SD_END) return d->fail;
  }
}

static void queued(struct session *s, struct qq *q, uint64_t bytes)
{
  char buf[64];
  snprintf(buf, sizeof buf, "%llu qp %llu", (unsigned long long)time(0), (unsigned long long)q->pid);
  reply(s, SR_QUEUED, buf);
  s->queued++;
  logf_(2, "message queued: %s size %llu bytes", buf, (unsigned long long)bytes);
}

static void smtp_data(struct session *s)
{
  struct qq q;
  struct smtpdata d;
  struct execscan x;
  if (!s->seenmail) { refuse(s, SR_WANTMAIL, 0); return; }
  if (!s->nrcpt) { refuse(s, SR_WANTRCPT, 0); return; }
  s->seenmail = 0;
  if (qq_open(&q) < 0) {
    logf_(1, "failed to start qmail-queue");
    reply(s, SR_QQT, 0);
    return;
  }
  reply(s, SR_GOAHEAD, 0);
  logf_(4, "go ahead");
  tagheaders(s, &q);
  s->scratch.len = 0;
  if (!received(s, &s->scratch)) { qq_abort(&q); die_nomem_smtp(s); }
  qq_put(&q, s->scratch.s, s->scratch.len);
  if (s->c->rejectexec) execscan_init(&x, s->c->signatures.s, s->c->signatures.len);
  smtpdata_init(&d, s->c->databytes, s->c->rejectexec ? &x : 0);
  int fail = blast(s, &q, &d);
  if (fail) {
    enum smtp_reply r = fail & SD_HOPS ? SR_HOPS : fail & SD_TOOBIG ? SR_SIZE : fail & SD_TOOLONG ? SR_LINELONG : SR_EXEC;
    logf_(3, "message refused: %s", fail & SD_HOPS ? "too many hops" : fail & SD_TOOBIG ? "databytes exceeded" :
          fail & SD_TOOLONG ? "line too long" : "executable content");
    refuse(s, r, 0);
    return;
  }
  qq_from(&q, s->mailfrom.s);
  for (size_t i = 0; i < s->rcptto.len; i += strlen(s->rcptto.s + i) + 1) qq_to(&q, s->rcptto.s + i);
  int code = qq_close(&q);
  if (code == QQ_OK) { queued(s, &q, d.bytes); return; }
  const char *t = qq_text(code);
  logf_(1, "message %s not accepted because: %s", t[0] == 'D' ? "permanently" : "temporarily", t + 1);
  refuse(s, t[0] == 'D' ? SR_QQPERM : SR_QQTEMP, t + 1);
}

/* ---- the command loop ---- */

/* Replies are flushed only when the client has no complete command
 * waiting, so pipelined commands get their replies in one write. */
static int lineready(const struct rd *r)
{
  return r->pos < r->len && memchr(r->buf + r->pos, '\n', r->len - r->pos);
}

/* Next command line into s->line without CRLF; returns the rd status.
 * Silence before a command is timeoutsmtpd's (per read); from its first
 * byte the line must be complete within timeoutsmtpcommand, and all of
 * it within the session deadline, so dripping bytes holds nothing. */
static int getcommand(struct session *s)
{
  if (!lineready(&s->in)) flush(s);
  int k = rd_fill(&s->in);
  if (k == RD_OK && s->c->cmdtimeout) {
    rd_deadline_in(&s->in, s->c->cmdtimeout);
    if (s->sessionend && s->sessionend < s->in.deadline) s->in.deadline = s->sessionend;
  }
  if (k == RD_OK) k = rd_line(&s->in, &s->line, '\n', SMTP_CMDMAX + 1);   /* + the CR */
  if (k == RD_TOOLONG) {
    int j = rd_skip(&s->in, '\n');
    if (j != RD_OK) k = j;
  }
  s->cmdexpired = k == RD_TIMEOUT && rd_expired(&s->in);
  s->in.deadline = s->sessionend;
  if (k != RD_OK && k != RD_TOOLONG) return k;
  if (k == RD_OK && s->line.len && s->line.s[s->line.len - 1] == '\r') sb_trunc(&s->line, s->line.len - 1);
  if (k == RD_OK && s->line.len > SMTP_CMDMAX) k = RD_TOOLONG;
  return k;
}

static noreturn void readfailed(struct session *s, int k)
{
  if (k == RD_TIMEOUT) {
    reply(s, SR_TIMEOUT, 0);
    logf_(1, "%s, closing connection",
          rd_expired(&s->in) ? "session deadline (timeoutsmtpsession) reached"
          : s->cmdexpired ? "command not complete in time (timeoutsmtpcommand)" : "connection timed out");
    wr_flush(&s->out);
    _exit(1);
  }
  logf_(k == RD_EOF ? 4 : 1, "read error or connection closed");
  logend();
  _exit(1);
}

static void quit(struct session *s)
{
  reply(s, SR_QUIT, 0);
  logf_(4, "quit, closing connection");
  flush(s);
  logend();
  _exit(0);
}

static noreturn void commands(struct session *s)
{
  for (;;) {
    size_t a;
    int k = getcommand(s);
    if (k == RD_TOOLONG) { logf_(3, "command line too long"); refuse(s, SR_CMDLONG, 0); continue; }
    if (k != RD_OK) readfailed(s, k);
    const char *line = s->line.s, *arg;
    enum smtp_verb v = smtp_verb(line, s->line.len, &a);
    size_t alen = s->line.len - a;
    arg = line + a;
    switch (v) {
    case V_HELO: smtp_helo(s, arg, alen); break;
    case V_EHLO: smtp_ehlo(s, arg, alen); break;
    case V_MAIL: smtp_mail(s, arg, alen); break;
    case V_RCPT: smtp_rcpt(s, arg, alen); break;
    case V_DATA: smtp_data(s); break;
    case V_RSET: newtransaction(s); reply(s, SR_FLUSHED, 0); logf_(4, "remote rset"); break;
    case V_NOOP: reply(s, SR_OK, 0); break;
    case V_VRFY: reply(s, SR_VRFY, 0); break;
    case V_QUIT: quit(s); break;
    case V_HELP: reply(s, SR_HELP, 0); break;
    case V_AUTH: smtp_auth(s, arg, alen); break;
    case V_STARTTLS: smtp_starttls(s, arg, alen); break;
    default:
      logf_(3, "unrecognized command: %.*s", (int)(s->line.len > 64 ? 64 : s->line.len), line);
      reply(s, SR_UNIMPL, 0);
      break;
    }
  }
}

/* 550GREETING / 421GREETING: refuse the session; only QUIT works. */
static noreturn void restricted(struct session *s)
{
  const struct config *c = s->c;
  const char *text = c->greeting550 ? c->greeting550 : c->greeting421;
  if (!*text) text = c->greeting550 ? "Sorry, your mail was administratively denied. (#5.7.1)"
                                    : "Service temporarily not available (#4.3.2)";
  reply(s, c->greeting550 ? SR_GREET550 : SR_GREET421, text);
  logf_(3, "session refused by %s", c->greeting550 ? "550GREETING" : "421GREETING");
  if (c->errdisconnect) bye(s, 0);
  for (;;) {
    size_t a;
    int k = getcommand(s);
    if (k == RD_TOOLONG) { reply(s, SR_BADSEQ, 0); continue; }
    if (k != RD_OK) readfailed(s, k);
    switch (smtp_verb(s->line.s, s->line.len, &a)) {
    case V_QUIT: quit(s); break;
    case V_HELO: case V_EHLO: reply(s, c->greeting421 && !c->greeting550 ? SR_SVCUNAVAIL : SR_BADSEQ, 0); break;
    default: reply(s, SR_BADSEQ, 0); break;
    }
  }
}

static void sigalrm(int sig) { (void)sig; _exit(1); }

static void setup(struct session *s, struct config *c)
{
  memset(s, 0, sizeof *s);
  s->c = c;
  current = s;
  wr_init(&s->out, 1, 0);
  readenv(c);
  s->vars.remoteip = c->remoteip;
  if (readcontrols(c) < 0) die_control(s);
  s->vars.me = c->me.s;
  s->vars.greeting = c->greeting.s;
  s->vars.cookie = c->cookie.s;
  if (c->greeting550 || c->greeting421) c->timeout = GREETTIMEOUT;
  wr_init(&s->out, 1, c->timeout);
  rd_init(&s->in, 0, c->timeout);
  s->sessionend = rd_deadline_in(&s->in, c->sessiontimeout);
  /* the reads end at the deadline with a 451; this catches a client that
   * keeps our writes crawling (one byte read per timeout) */
  if (c->sessiontimeout) {
    uint64_t hard = c->sessiontimeout + (uint64_t)c->timeout;
    signal(SIGALRM, sigalrm);
    alarm(hard > UINT_MAX ? UINT_MAX : (unsigned)hard);
  }
  s->relayclient = c->relayclient;
  dohelo(s, c->remotehost, strlen(c->remotehost));
  logsetup(c);
}

int main(void)
{
  static struct config c;
  static struct session s;
  if (getuid() == 0 || geteuid() == 0) die(111, "refusing to run as root");
  signal(SIGPIPE, SIG_IGN);
  setup(&s, &c);
  if (c.smtps) {
    if (!c.tlsavail) { logf_(1, "SMTPS without a certificate (control/smtpcert), closing connection"); _exit(1); }
    starttls(&s);
  }
  if (c.greeting550 || c.greeting421) restricted(&s);
  reply(&s, SR_GREET, 0);
  commands(&s);
}
