/* qmail-remote host sender recipient...: deliver the message on fd 0 to
 * the mail exchangers of host over SMTP (or QMTP), as qmail-rspawn asks.
 * Output (spawn.h): <K|Z|D><text>\0 per recipient tried, then the
 * overall <K|Z|D><text>\0; the exit code is 0 whenever that was written.
 * Runs as qmailr; never writes to fd 2 (it is the same pipe as fd 1). */
#include "auto.h"
#include "base64.h"
#include "ctl.h"
#include "dns.h"
#include "io.h"
#include "ipme.h"
#include "msgwire.h"
#include "netstring.h"
#include "quote.h"
#include "rd.h"
#include "sb.h"
#include "smtpreply.h"
#include "smtproutes.h"
#include "smtpcmd.h"
#include "tcpconn.h"
#include "tcpto.h"
#include "tls.h"
#include "tlspolicy.h"
#include "wr.h"
#include "xtext.h"
#include <errno.h>
#include <signal.h>
#include <stdnoreturn.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

const char *progname = "qmail-remote";

#define PORT_SMTP 25
#define PORT_QMTP 209
#define TCPTO_PATH AUTO_QMAIL "/queue/lock/tcpto"
#define QMTP_REPLYMAX 10000
#define COOKIEMAX 32

struct config {
  sb helohost, cookie;
  unsigned timeout, timeoutconnect;
  struct routes smtproutes, qmtproutes;
  struct tcpsrc outip;
  sb tlsdest;                  /* control/tlsdestinations (list) */
  sb cacert, clientcert, ciphers;
};

struct session {
  const struct config *c;
  char ip[64];                 /* the partner, for the texts */
  int fd;
  struct rd in;
  struct wr net;
  sb text;                     /* the last SMTP reply */
  int critical;                /* the message is sent; a lost reply may mean a duplicate */
  const sb *sender;            /* quoted */
  sb *rcpts;                   /* quoted */
  size_t nrcpt;
  const struct msgscan *msg;
  const struct route *auth;    /* NULL: no SMTP AUTH */
  int policy;                  /* TLSP_*: of the recipient domain */
  const char *name;            /* host name of this address (relay, MX), else its IP */
  struct tls *tls;             /* after STARTTLS */
  const char *notls;           /* why the session stayed in plaintext */
};

/* ---- the report on fd 1 ---- */

static struct wr out;

static void outs(const char *s) { wr_puts(&out, s); }
static void outb(const char *p, size_t n) { wr_put(&out, p, n); }
static void zero(void) { wr_putc(&out, 0); }
static noreturn void finish(void)
{
  zero();
  wr_flush(&out);
  _exit(0);
}
static noreturn void fail(const char *text) { outs(text); finish(); }

static noreturn void temp_nomem(void) { fail("ZOut of memory. (#4.3.0)\n"); }
static noreturn void temp_control(void) { fail("ZUnable to read control files. (#4.3.0)\n"); }
static noreturn void temp_read(void) { fail("ZUnable to read message. (#4.3.0)\n"); }
static noreturn void temp_oserr(void) { fail("ZSystem resources temporarily unavailable. (#4.3.0)\n"); }
static noreturn void temp_dns(void) { fail("ZSorry, I couldn't find any host by that name. (#4.1.2)\n"); }
static noreturn void perm_partialline(void)
{
  fail("DSMTP cannot transfer messages with partial final lines. (#5.6.2)\n");
}
static noreturn void perm_usage(void) { fail("DI (qmail-remote) was invoked improperly. (#5.3.5)\n"); }
static noreturn void perm_nomx(void) { fail("DSorry, I couldn't find a mail exchanger or IP address. (#5.4.4)\n"); }
static noreturn void perm_ambigmx(void)
{
  fail("DSorry. Although I'm listed as a best-preference MX or A for that host,\n"
       "it isn't in my control/locals file, so I don't treat it as local. (#5.4.6)\n");
}
static noreturn void perm_looping(void) { fail("DSorry. Message is looping within cluster, giving up. (#5.4.6)\n"); }

/* A host name as qmail prints it: controls and blanks become '?'. */
static noreturn void perm_dns(const char *host)
{
  outs("DSorry, I couldn't find any host named ");
  for (const char *p = host; *p; ++p) wr_putc(&out, (*p < 33 || *p > 126) ? '?' : *p);
  fail(". (#5.1.2)\n");
}

static void outtext(const sb *t)
{
  if (!t->len) return;
  outs("Remote host said: ");
  outb(t->s, t->len);
}

/* ---- the SMTP dialogue ---- */

static noreturn void dropped(struct session *s)
{
  outs("ZConnected to ");
  outs(s->ip);
  outs(" but connection died. ");
  if (s->critical) outs("Possible duplicate! ");
  fail("(#4.4.2)\n");
}

/* QUIT without waiting for the answer, then the overall report. */
static noreturn void quit(struct session *s, const char *prepend, const char *append)
{
  wr_puts(&s->net, "QUIT\r\n");
  wr_flush(&s->net);
  if (s->tls) tls_close(s->tls);
  outs(prepend);
  outs(s->ip);
  outs(append);
  outs(".\n");
  outtext(&s->text);
  finish();
}

/* One command line: a, b (may be NULL), c, CRLF; flushed. */
static void cmd(struct session *s, const char *a, const sb *b, const char *c)
{
  wr_puts(&s->net, a);
  if (b) wr_put(&s->net, b->s, b->len);
  if (c) wr_puts(&s->net, c);
  wr_puts(&s->net, "\r\n");
  if (wr_flush(&s->net) < 0) dropped(s);
}

static unsigned reply(struct session *s)
{
  unsigned code = 0;
  if (smtpreply_read(&s->in, &code, &s->text) != RD_OK) dropped(s);
  return code;
}

/* The SIZE= value: what the message will be on the wire. */
/* RFC 6531: an envelope with UTF-8 needs a server that says SMTPUTF8 */
static int needutf8(const struct session *s)
{
  if (smtp_has8bit(s->sender->s, s->sender->len)) return 1;
  for (size_t i = 0; i < s->nrcpt; ++i)
    if (smtp_has8bit(s->rcpts[i].s, s->rcpts[i].len)) return 1;
  return 0;
}

static void mailfrom(struct session *s, int size, int eightbit, int utf8)
{
  wr_puts(&s->net, "MAIL FROM:<");
  wr_put(&s->net, s->sender->s, s->sender->len);
  wr_puts(&s->net, ">");
  if (size) {
    uint64_t n = msgscan_wiresize(s->msg);
    if (n) { wr_puts(&s->net, " SIZE="); wr_putu64(&s->net, n); }
  }
  if (eightbit && s->msg->eightbit) wr_puts(&s->net, " BODY=8BITMIME");
  if (utf8) wr_puts(&s->net, " SMTPUTF8");
  if (s->auth) {
    /* RFC 4954 5.: the sender as xtext; <> for the null sender */
    sb x = SB_INIT;
    if (s->sender->len ? !xtext_encode(&x, s->sender->s, s->sender->len) : !sb_cats(&x, "<>")) temp_nomem();
    wr_puts(&s->net, " AUTH=");
    wr_put(&s->net, x.s, x.len);
    sb_free(&x);
  }
  cmd(s, "", 0, 0);
}

static void b64send(struct session *s, const char *p, size_t n)
{
  sb e = SB_INIT;
  if (!b64_encode(&e, p, n) || !sb_cat0(&e)) temp_nomem();
  cmd(s, e.s, 0, 0);
  memset(e.s, 0, e.len);
  sb_free(&e);
}

static void authcheck(struct session *s, unsigned code, int want, const char *what)
{
  static char buf[128];
  /* 334 must be exactly that; success is any 2xx (235 by RFC 4954) */
  if (want == 334 ? code == 334 : code >= 200 && code < 300) return;
  strcpy(buf, " but authentication was rejected (");
  strcat(buf, what);
  strcat(buf, ")");
  quit(s, smtpreply_class(code) == 5 ? "DConnected to " : "ZConnected to ", buf);
}

/* One word of the AUTH parameter list. */
static int hasmech(const char *p, size_t n, const char *mech)
{
  size_t ml = strlen(mech), i = 0;
  while (i < n) {
    while (i < n && p[i] == ' ') ++i;
    size_t j = i;
    while (j < n && p[j] != ' ') ++j;
    if (j - i == ml && !strncasecmp(p + i, mech, ml)) return 1;
    i = j;
  }
  return 0;
}

/* SMTP AUTH PLAIN (or LOGIN) with the route's user and password. */
static void smtpauth(struct session *s, const char *mechs, size_t mlen)
{
  const struct route *a = s->auth;
  if (hasmech(mechs, mlen, "PLAIN")) {
    sb cred = SB_INIT;
    if (!sb_catc(&cred, 0) || !sb_catb(&cred, a->user, a->userlen) || !sb_catc(&cred, 0) ||
        !sb_catb(&cred, a->pass, a->passlen))
      temp_nomem();
    sb e = SB_INIT;
    if (!sb_cats(&e, "AUTH PLAIN ") || !b64_encode(&e, cred.s, cred.len) || !sb_cat0(&e)) temp_nomem();
    memset(cred.s, 0, cred.len);
    cmd(s, e.s, 0, 0);
    memset(e.s, 0, e.len);
    sb_free(&cred);
    sb_free(&e);
    authcheck(s, reply(s), 235, "AUTH PLAIN");
    return;
  }
  if (!hasmech(mechs, mlen, "LOGIN"))
    quit(s, "ZConnected to ", " but it offers no SMTP AUTH method I know (PLAIN, LOGIN)");
  cmd(s, "AUTH LOGIN", 0, 0);
  authcheck(s, reply(s), 334, "AUTH LOGIN");
  b64send(s, a->user, a->userlen);
  authcheck(s, reply(s), 334, "username");
  b64send(s, a->pass, a->passlen);
  authcheck(s, reply(s), 235, "password");
}

/* The message, dot-stuffed with CRLF line ends, then ".\r\n". */
static void blast(struct session *s)
{
  static char buf[65536];
  struct stuffer st;
  sb chunk = SB_INIT;
  if (lseek(0, 0, SEEK_SET) < 0) temp_read();
  stuff_init(&st);
  for (;;) {
    ssize_t r = read(0, buf, sizeof buf);
    if (r < 0) { if (errno == EINTR) continue; temp_read(); }
    if (r == 0) break;
    chunk.len = 0;
    if (!stuff_feed(&st, buf, (size_t)r, &chunk)) temp_nomem();
    wr_put(&s->net, chunk.s, chunk.len);
    if (s->net.err) dropped(s);
  }
  chunk.len = 0;
  int k = stuff_end(&st, &chunk);
  if (k < 0) temp_nomem();
  if (k == 0) perm_partialline();
  wr_put(&s->net, chunk.s, chunk.len);
  s->critical = 1;
  if (wr_flush(&s->net) < 0) dropped(s);
  sb_free(&chunk);
}

/* Why the last exchanger was passed over at its greeting or HELO. */
static sb passed;

/* The text is kept and the connection given up (with QUIT unless the
 * connection is unusable: a failed TLS handshake). */
static void passq(struct session *s, const char *why, int sendquit)
{
  passed.len = 0;
  if (!sb_cats(&passed, "ZConnected to ") || !sb_cats(&passed, s->ip) || !sb_cats(&passed, why) ||
      !sb_cats(&passed, ".\n") || (s->text.len && !sb_cats(&passed, "Remote host said: ")) ||
      !sb_catsb(&passed, &s->text))
    temp_nomem();
  if (sendquit) {
    wr_puts(&s->net, "QUIT\r\n");
    wr_flush(&s->net);
  }
  if (s->tls) { tls_close(s->tls); s->tls = 0; }
}

static void pass(struct session *s, const char *why) { passq(s, why, 1); }

/* ---- STARTTLS (control/tlsdestinations) ---- */

static const char NOSTARTTLS[] = "it does not offer STARTTLS";

static int is_ipname(const char *n)
{
  int family;
  unsigned char a[16];
  return dns_literal(n, strlen(n), &family, a);
}

/* Pass on to the next address for a TLS reason: the text names the host
 * (and the policy that asked for it) so the deferral says why. */
static void tlspass(struct session *s, const char *why, const char *detail, int sendquit)
{
  sb t = SB_INIT;
  if ((strcmp(s->name, s->ip) && (!sb_cats(&t, " (") || !sb_cats(&t, s->name) || !sb_cats(&t, ")"))) ||
      !sb_cats(&t, " but ") || !sb_cats(&t, why) ||
      (detail && (!sb_cats(&t, ": ") || !sb_cats(&t, detail))) ||
      !sb_cats(&t, " (control/tlsdestinations: ") || !sb_cats(&t, tlspolicy_name(s->policy)) ||
      !sb_cats(&t, ")") || !sb_cat0(&t))
    temp_nomem();
  passq(s, t.s, sendquit);
  sb_free(&t);
}

/* After a 250 EHLO: STARTTLS when the server offers it and the policy is
 * not none, then EHLO again (s->text is then the encrypted EHLO's reply:
 * AUTH is often offered only there). 1 go on, 0 passed on. A failed
 * handshake never falls back to plaintext on this connection (the
 * deferral is retried later, with this exchanger or the next). */
static int starttls(struct session *s)
{
  const struct config *c = s->c;
  const char *p;
  size_t pl;
  char err[300];
  if (s->policy == TLSP_NONE) return 1;
  if (!smtpreply_ehlo(s->text.s, s->text.len, "STARTTLS", &p, &pl)) {
    s->notls = NOSTARTTLS;
    if (s->policy >= TLSP_ENCRYPT) { s->text.len = 0; tlspass(s, s->notls, 0, 1); return 0; }
    return 1;
  }
  cmd(s, "STARTTLS", 0, 0);
  unsigned code = reply(s);
  if (code != 220) {
    /* the connection is still a plaintext one: "may" goes on in it */
    s->notls = "STARTTLS was refused";
    if (s->policy >= TLSP_ENCRYPT) { tlspass(s, s->notls, 0, 1); return 0; }
    return 1;
  }
  /* bytes after the 220 came in plaintext: someone between us may have
   * put them there, and they would be taken for TLS (RFC 3207 5.) */
  if (rd_buffered(&s->in)) {
    s->text.len = 0;
    tlspass(s, "the TLS handshake failed", "plaintext after the 220 to STARTTLS", 0);
    return 0;
  }
  struct tls_client_opts o;
  memset(&o, 0, sizeof o);
  o.verify = s->policy == TLSP_VERIFY ? TLS_VERIFY_PEER : TLS_VERIFY_NONE;
  /* SNI is a host name; an IP address is sent only to be verified */
  o.servername = o.verify || !is_ipname(s->name) ? s->name : 0;
  o.cafile = c->cacert.len ? c->cacert.s : 0;
  o.cert = c->clientcert.len ? c->clientcert.s : 0;
  o.ciphers = c->ciphers.len ? c->ciphers.s : 0;
  err[0] = 0;
  s->tls = tls_client(s->fd, &o, (int)c->timeout, err, sizeof err);
  if (!s->tls) {
    s->text.len = 0;
    tlspass(s, "the TLS handshake failed", err[0] ? err : "unknown error", 0);
    return 0;
  }
  /* plaintext bytes sent before the handshake are never taken as replies */
  rd_settransport(&s->in, tls_read, s->tls);
  wr_settransport(&s->net, tls_write, s->tls);
  cmd(s, "EHLO ", &c->helohost, 0);
  if (reply(s) != 250) quit(s, "ZConnected to ", " but EHLO failed after STARTTLS");
  return 1;
}

/* What the success report says about the session's protection. */
static void security_note(struct session *s, sb *t)
{
  int ok = 1;
  if (s->tls) {
    ok = sb_cats(t, ". TLS ") && sb_cats(t, tls_version(s->tls)) && sb_cats(t, " ") &&
         sb_cats(t, tls_cipher(s->tls)) &&
         (s->policy != TLSP_VERIFY || (sb_cats(t, ", verified ") && sb_cats(t, s->name)));
  } else if (s->auth) {
    ok = sb_cats(t, ". AUTH without TLS (control/tlsdestinations: none)");
  }
  if (!ok || !sb_cat0(t)) temp_nomem();
}

/* Returns only when the server is temporarily unavailable at the greeting
 * or HELO, so the next exchanger should be tried (as qmail-ldap does). */
static void smtp(struct session *s)
{
  const struct config *c = s->c;
  const char *p;
  size_t pl;
  int size = 0, eightbit = 0, flagbother = 0, utf8 = needutf8(s), smtputf8 = 0;
  unsigned code = reply(s);

  if (smtpreply_class(code) == 5) quit(s, "DConnected to ", " but greeting failed");
  if (code >= 400 && code < 500) { pass(s, " but greeting failed"); return; }
  if (code != 220) quit(s, "ZConnected to ", " but greeting failed");
  if (c->cookie.len && smtpreply_endswith(s->text.s, s->text.len, c->cookie.s, c->cookie.len)) perm_looping();

  cmd(s, "EHLO ", &c->helohost, 0);
  code = reply(s);
  if (code == 250) {
    if (!starttls(s)) return;
    if (s->auth && !s->tls && s->policy != TLSP_NONE) {
      if (s->notls == NOSTARTTLS) s->text.len = 0;     /* the EHLO reply says nothing more */
      tlspass(s, s->notls, "without TLS I would send the password in cleartext", 1);
      return;
    }
    size = smtpreply_ehlo(s->text.s, s->text.len, "SIZE", &p, &pl);
    eightbit = smtpreply_ehlo(s->text.s, s->text.len, "8BITMIME", &p, &pl);
    smtputf8 = smtpreply_ehlo(s->text.s, s->text.len, "SMTPUTF8", &p, &pl);
    if (utf8 && !smtputf8)
      quit(s, "DConnected to ", " but it does not support SMTPUTF8, which this UTF-8 address needs (#5.6.7)");
    if (s->auth) {
      if (!smtpreply_ehlo(s->text.s, s->text.len, "AUTH", &p, &pl))
        quit(s, "ZConnected to ", " but it offers no SMTP AUTH, which the route needs");
      sb mechs = SB_INIT;
      if (!sb_copyb(&mechs, p, pl)) temp_nomem();
      smtpauth(s, mechs.s, mechs.len);
      sb_free(&mechs);
    }
  } else {
    cmd(s, "HELO ", &c->helohost, 0);
    code = reply(s);
    if (smtpreply_class(code) == 5) quit(s, "DConnected to ", " but my name was rejected");
    if (code >= 400 && code < 500) { pass(s, " but my name was rejected"); return; }
    if (code != 250) quit(s, "ZConnected to ", " but my name was rejected");
    if (s->policy >= TLSP_ENCRYPT) { tlspass(s, "it does not speak ESMTP, so no STARTTLS", 0, 1); return; }
    if (s->auth) quit(s, "ZConnected to ", " but it offers no SMTP AUTH, which the route needs");
    if (utf8) quit(s, "DConnected to ", " but it does not support SMTPUTF8, which this UTF-8 address needs (#5.6.7)");
  }

  mailfrom(s, size, eightbit, utf8);
  code = reply(s);
  if (smtpreply_class(code) == 5) quit(s, "DConnected to ", " but sender was rejected");
  if (smtpreply_class(code) == 4) quit(s, "ZConnected to ", " but sender was rejected");

  for (size_t i = 0; i < s->nrcpt; ++i) {
    cmd(s, "RCPT TO:<", &s->rcpts[i], ">");
    code = reply(s);
    int cls = smtpreply_class(code);
    if (cls == 2) { outs("K"); zero(); flagbother = 1; continue; }
    outs(cls == 5 ? "D" : "Z");
    outs(s->ip);
    outs(" does not like recipient.\n");
    outtext(&s->text);
    zero();
  }
  s->text.len = 0;
  if (!flagbother) quit(s, "DGiving up on ", "");

  cmd(s, "DATA", 0, 0);
  code = reply(s);
  if (smtpreply_class(code) == 5) quit(s, "D", " failed on DATA command");
  if (smtpreply_class(code) == 4) quit(s, "Z", " failed on DATA command");
  blast(s);
  code = reply(s);
  s->critical = 0;
  if (smtpreply_class(code) == 5) quit(s, "D", " failed after I sent the message");
  if (smtpreply_class(code) == 4) quit(s, "Z", " failed after I sent the message");
  sb ok = SB_INIT;
  if (!sb_cats(&ok, " accepted message")) temp_nomem();
  security_note(s, &ok);
  quit(s, "K", ok.s);
}

/* ---- QMTP (MXPS, qmtproutes) ---- */

static noreturn void temp_proto(void) { fail("Zrecipient did not talk proper QMTP (#4.3.0)\n"); }

static void put_ns(struct wr *w, const char *p, size_t n)
{
  wr_putu64(w, n);
  wr_putc(w, ':');
  wr_put(w, p, n);
  wr_putc(w, ',');
}

static noreturn void qmtp(struct session *s)
{
  static char buf[65536];
  uint64_t left = s->msg->bytes, all = 0;
  sb r = SB_INIT, last = SB_INIT;
  int flagbother = 0;

  if (lseek(0, 0, SEEK_SET) < 0) temp_read();
  if (!add_u64(left, 1, &all)) temp_read();
  wr_putu64(&s->net, all);
  wr_puts(&s->net, ":\n");                    /* '\n': the message has LF line ends */
  while (left) {
    ssize_t n = read(0, buf, left < sizeof buf ? (size_t)left : sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) temp_read();
    wr_put(&s->net, buf, (size_t)n);
    left -= (uint64_t)n;
    if (s->net.err) dropped(s);
  }
  wr_putc(&s->net, ',');
  put_ns(&s->net, s->sender->s, s->sender->len);
  uint64_t rlen = 0;
  for (size_t i = 0; i < s->nrcpt; ++i) {
    sb h = SB_INIT;
    if (!ns_puthdr(&h, s->rcpts[i].len)) temp_nomem();
    if (!add_u64(rlen, h.len + s->rcpts[i].len + 1, &rlen)) temp_nomem();
    sb_free(&h);
  }
  wr_putu64(&s->net, rlen);
  wr_putc(&s->net, ':');
  for (size_t i = 0; i < s->nrcpt; ++i) put_ns(&s->net, s->rcpts[i].s, s->rcpts[i].len);
  wr_putc(&s->net, ',');
  s->critical = 1;
  if (wr_flush(&s->net) < 0) dropped(s);

  for (size_t i = 0; i < s->nrcpt; ++i) {
    int k = ns_get(&s->in, &r, QMTP_REPLYMAX, 0);
    if (k == NS_BAD) temp_proto();
    if (k != RD_OK) dropped(s);
    if (!r.len || !strchr("KZD", r.s[0]) || memchr(r.s, 0, r.len)) temp_proto();
    if (r.s[0] == 'K') {
      outs("K"); zero();
      flagbother = 1;
      if (!sb_copyb(&last, r.s + 1, r.len - 1) || !sb_catc(&last, '\n')) temp_nomem();
      continue;
    }
    outb(r.s, 1);
    outs(s->ip);
    outs(" does not like recipient.\nRemote host said: ");
    outb(r.s + 1, r.len - 1);
    outs("\n");
    zero();
  }
  if (!flagbother) { outs("DGiving up on "); outs(s->ip); fail(".\n"); }
  outs("K");
  outs(s->ip);
  outs(" accepted message.\n");
  outtext(&last);
  finish();
}

/* ---- where to go ---- */

static void config_load(struct config *c)
{
  sb l = SB_INIT;
  uint64_t u;
  if (ctl_line("helohost", &c->helohost) < 0 || !c->helohost.len) temp_control();
  if (ctl_line("smtpclustercookie", &c->cookie) < 0) temp_control();
  if (c->cookie.len > COOKIEMAX) sb_trunc(&c->cookie, COOKIEMAX);
  if (ctl_u64("timeoutremote", &u) < 0) temp_control();
  c->timeout = u < 1 ? 1 : u > 86400 ? 86400 : (unsigned)u;
  if (ctl_u64("timeoutconnect", &u) < 0) temp_control();
  c->timeoutconnect = u < 1 ? 1 : u > 86400 ? 86400 : (unsigned)u;
  if (ctl_list("smtproutes", &l) < 0) temp_control();
  if (!routes_parse(&c->smtproutes, l.s ? l.s : "", l.len)) temp_nomem();
  if (ctl_list("qmtproutes", &l) < 0) temp_control();
  if (!routes_parse(&c->qmtproutes, l.s ? l.s : "", l.len)) temp_nomem();
  if (ctl_line("outgoingip", &l) < 0) temp_control();
  if (!sb_cat0(&l)) temp_nomem();
  if (!tcpsrc_parse(&c->outip, l.s)) fail("Zinvalid ipaddr in control/outgoingip (#4.3.0)\n");
  if (ctl_list("tlsdestinations", &c->tlsdest) < 0) temp_control();
  if (ctl_line("remotecacert", &c->cacert) < 0 || ctl_line("remotecert", &c->clientcert) < 0 ||
      ctl_line("tlsciphers", &c->ciphers) < 0)
    temp_control();
  if (!sb_cat0(&c->cacert) || !sb_cat0(&c->clientcert) || !sb_cat0(&c->ciphers)) temp_nomem();
  c->cacert.len--; c->clientcert.len--; c->ciphers.len--;     /* NUL-terminated, not counted */
  sb_free(&l);
}

/* Addresses with CR or LF cannot be sent over SMTP or trusted in QMTP. */
static void mangle(sb *out, const char *addr)
{
  if (strpbrk(addr, "\r\n")) fail("DSorry, an envelope address contains CR or LF. (#5.1.3)\n");
  if (!quote_addr(out, addr, strlen(addr))) temp_nomem();
}

/* Reads the whole message once: SIZE, 8-bit, and a partial last line. */
static void scan_message(struct msgscan *m)
{
  static char buf[65536];
  msgscan_init(m);
  if (lseek(0, 0, SEEK_SET) < 0) temp_read();
  for (;;) {
    ssize_t r = read(0, buf, sizeof buf);
    if (r < 0) { if (errno == EINTR) continue; temp_read(); }
    if (r == 0) break;
    msgscan_feed(m, buf, (size_t)r);
  }
}

/* The lowest MX preference of this host among the candidates: only
 * exchangers preferred over ourselves may be used. */
static unsigned long prefme_of(const struct mxlist *l)
{
  struct ipme me;
  unsigned long prefme = 100000;
  if (ipme_init(&me) < 0) temp_oserr();
  for (size_t i = 0; i < l->n; ++i)
    if (ipme_is(&me, l->v[i].family, l->v[i].a) && l->v[i].pref < prefme) prefme = l->v[i].pref;
  ipme_free(&me);
  return prefme;
}

static void resolve(struct mxlist *l, const char *host, int relay)
{
  switch (relay ? dns_ip(l, host, dns_resquery, 0) : dns_mxip(l, host, (uint64_t)time(0) ^ ((uint64_t)getpid() << 16), dns_resquery, 0)) {
  case DNS_NOMEM: temp_nomem();
  case DNS_SOFT: temp_dns();
  case DNS_HARD: perm_dns(host);
  default: break;
  }
  if (!l->n) perm_nomx();
}

static void session_start(struct session *s, int fd, const struct mxip *ip, const char *name)
{
  s->fd = fd;
  mxip_fmt(ip, s->ip, sizeof s->ip);
  s->name = name ? name : s->ip;
  s->tls = 0;
  s->notls = "no TLS";
  rd_init(&s->in, fd, (int)s->c->timeout);
  wr_init(&s->net, fd, (int)s->c->timeout);
  s->text.len = 0;
  s->critical = 0;
}

/* qmtp: 0 SMTP (with MXPS), 1 QMTP only (a qmtproutes relay). */
static noreturn void connect_all(struct session *s, const struct mxlist *l, unsigned long prefme,
                                 unsigned port, int qmtponly, int relay)
{
  const struct config *c = s->c;
  for (size_t i = 0; i < l->n; ++i) {
    const struct mxip *ip = &l->v[i];
    int seen, fd;
    if (ip->pref >= prefme) continue;
    if (tcpto_skip(TCPTO_PATH, ip->family, ip->a, &seen)) continue;
    /* QMTP has no TLS: MXPS is skipped when the policy requires TLS */
    if (qmtponly || (!relay && mxps_qmtp(ip->pref) && s->policy < TLSP_ENCRYPT)) {
      fd = tcp_connect(ip->family, ip->a, qmtponly ? port : PORT_QMTP, &c->outip, c->timeoutconnect);
      if (fd >= 0) {
        tcpto_note(TCPTO_PATH, ip->family, ip->a, 0, seen);
        session_start(s, fd, ip, mxlist_name(l, i));
        qmtp(s);
      }
      if (qmtponly) { tcpto_note(TCPTO_PATH, ip->family, ip->a, errno == ETIMEDOUT, seen); continue; }
    }
    fd = tcp_connect(ip->family, ip->a, port, &c->outip, c->timeoutconnect);
    if (fd >= 0) {
      tcpto_note(TCPTO_PATH, ip->family, ip->a, 0, seen);
      session_start(s, fd, ip, mxlist_name(l, i));
      smtp(s);                 /* back only for a 4xx greeting or HELO, or a TLS failure */
      close(fd);
      continue;
    }
    tcpto_note(TCPTO_PATH, ip->family, ip->a, errno == ETIMEDOUT, seen);
  }
  if (passed.len) { outb(passed.s, passed.len); finish(); }
  if (qmtponly) fail("ZSorry, I wasn't able to establish a QMTP connection. (#4.4.1)\n");
  fail("ZSorry, I wasn't able to establish an SMTP connection. (#4.4.1)\n");
}

static noreturn void deliver(const struct config *c, const char *host, const char *sender, char **rcpt, size_t n)
{
  struct session s;
  struct msgscan msg;
  struct route rt;
  struct mxlist l = MXLIST_INIT;
  sb qsender = SB_INIT, relayhost = SB_INIT;
  int relay = 0, qmtponly = 0;
  unsigned port = PORT_SMTP;

  memset(&s, 0, sizeof s);
  s.c = c;
  mangle(&qsender, sender);
  s.sender = &qsender;
  s.rcpts = calloc(n, sizeof *s.rcpts);
  if (!s.rcpts) temp_nomem();
  for (size_t i = 0; i < n; ++i) mangle(&s.rcpts[i], rcpt[i]);
  s.nrcpt = n;

  int k = routes_lookup(&c->qmtproutes, host, strlen(host), PORT_QMTP, &rt);
  if (k == 1) qmtponly = 1;
  else if (k == 0) k = routes_lookup(&c->smtproutes, host, strlen(host), PORT_SMTP, &rt);
  if (k < 0) fail("ZUnable to parse the route for that host in control/smtproutes or control/qmtproutes. (#4.3.5)\n");
  if (k == 1) {
    relay = 1;
    port = rt.port;
    if (!sb_copyb(&relayhost, rt.host, rt.hostlen) || !sb_cat0(&relayhost)) temp_nomem();
    if (rt.userlen && !qmtponly) s.auth = &rt;
  }

  s.policy = tlspolicy_lookup(c->tlsdest.s, c->tlsdest.len, host, strlen(host));
  if (s.policy == TLSP_BAD)
    fail("ZUnable to parse the policy for that host in control/tlsdestinations. (#4.3.5)\n");
  if (qmtponly && s.policy >= TLSP_ENCRYPT)
    fail("ZThe route for that host is QMTP, which has no TLS, but control/tlsdestinations requires it. (#4.7.0)\n");

  scan_message(&msg);
  if (msgscan_partial(&msg)) perm_partialline();
  s.msg = &msg;

  resolve(&l, relay ? relayhost.s : host, relay);
  unsigned long prefme = relay ? 300000 : prefme_of(&l);
  size_t usable = 0;
  for (size_t i = 0; i < l.n; ++i) if (l.v[i].pref < prefme) ++usable;
  if (!usable) perm_ambigmx();
  connect_all(&s, &l, prefme, port, qmtponly, relay);
}

int main(int argc, char **argv)
{
  static struct config c;
  signal(SIGPIPE, SIG_IGN);
  wr_init(&out, 1, 0);
  if (argc < 4) perm_usage();
  if (chdir(AUTO_QMAIL) < 0) fail("ZUnable to switch to home directory. (#4.3.0)\n");
  config_load(&c);
  deliver(&c, argv[1], argv[2], argv + 3, (size_t)(argc - 3));
}
