/* auth_smtp: checks one SMTP AUTH attempt for qmail-smtpd (INTERNALS 10).
 * stdin: the tokens qmail-smtpd received; stdout: K<uid>\0, D\0 or Z\0,
 * then exit 0; exit 111 for temporary trouble. The login is a directory
 * uid (facts §4.7), looked up with the same control files and module as
 * every other program; there is no passwd fallback (facts §1a). Every
 * refusal is the same D; the reason goes to stderr only. */
#include "authsmtp.h"
#include "die.h"
#include "pwcheck.h"
#include "qldap.h"
#include "qllookup.h"
#include "qmail-ldap.h"
#include "rd.h"
#include "sb.h"
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *progname = "auth_smtp";

#define READ_TIMEOUT 60      /* seconds of silence on stdin: qmail-smtpd is gone */
#define MAXPWVALUES 16       /* userPassword values tried */

static const char *login_shown = "-";   /* log form of the login */
static struct as_cred cred;             /* wiped on every way out */

/* "auth_smtp: <login>: <reason> from <TCPREMOTEIP>"; the login and the
 * address are escaped, so a hostile login cannot forge log lines */
static void logline(const char *reason, const char *detail)
{
  static sb ip;
  const char *e = getenv("TCPREMOTEIP");
  if (!e || !*e) e = "unknown";
  if (!as_logsafe(&ip, e, strlen(e), 64)) die_nomem();
  fprintf(stderr, "auth_smtp: %s: %s%s%s from %s\n", login_shown, reason, detail ? ": " : "",
          detail ? detail : "", ip.s);
  fflush(stderr);
}

static _Noreturn void temp(const char *reason, const char *detail)
{
  as_wipe(&cred);
  logline(reason, detail);
  _exit(111);
}

static _Noreturn void reply(const char *s, size_t n)
{
  as_wipe(&cred);
  while (n) {
    ssize_t w = write(1, s, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) temp("cannot write the answer", strerror(errno));
    s += w;
    n -= (size_t)w;
  }
  _exit(0);
}

static _Noreturn void deny(const char *reason)
{
  as_wipe(&cred);
  logline(reason, NULL);
  reply("D", 2);
}

/* all of stdin, at most AS_MAXIN + 1 bytes (one more tells oversize) */
static void readinput(sb *in)
{
  struct rd r;
  int k;
  /* sized once: no realloc leaves a copy of the password behind */
  if (!sb_ready(in, AS_MAXIN + 2)) die_nomem();
  rd_init(&r, 0, READ_TIMEOUT);
  k = rd_bytes(&r, in, AS_MAXIN + 1);
  pw_wipe(r.buf, sizeof r.buf);
  if (k == RD_TIMEOUT) temp("timeout reading the AUTH data", NULL);
  if (k != RD_OK && k != RD_PARTIAL) temp("cannot read the AUTH data", strerror(errno));
}

/* ldaprebind 0: compare with the entry's userPassword values; any one
 * may match, as in a bind */
static int compare(const struct qldap_entry *e, const char *pass)
{
  const struct qldap_attr *a = qldap_attr(e, LDAP_PASSWD);
  int best = PW_UNSUPPORTED;
  if (!a || !a->nvals) {
    deny("no userPassword readable (may ldaplogin read it? else use ldaprebind)");
  }
  for (size_t i = 0; i < a->nvals && i < MAXPWVALUES; ++i) {
    int r = pw_check(a->vals[i], a->lens[i], pass, 0);
    if (r == PW_MATCH || r == PW_ERROR) return r;
    if (r == PW_NOMATCH) best = PW_NOMATCH;
  }
  return best;
}

int main(void)
{
  static const char *const cmp_attrs[] = {LDAP_UID, LDAP_PASSWD, LDAP_ISACTIVE, LDAP_QMAILUID, 0};
  static const char *const bind_attrs[] = {LDAP_UID, LDAP_ISACTIVE, LDAP_QMAILUID, 0};
  static sb shown;
  sb in = SB_INIT, user = SB_INIT, out = SB_INIT;
  struct qlsetup s;
  struct qldap q;
  struct qldap_entry e;
  const char *why = NULL;
  int rc, pw;

  /* a directory that drops the connection must give exit 111, not a signal */
  signal(SIGPIPE, SIG_IGN);
  readinput(&in);
  rc = as_parse(in.s, in.len, &cred, &why);
  pw_wipe(in.s, in.cap);
  sb_free(&in);
  if (cred.loginlen) {
    if (!as_logsafe(&shown, cred.login, cred.loginlen, 64)) die_nomem();
    login_shown = shown.s;
  }
  if (rc == AS_MALFORMED) { logline("malformed AUTH data", why); reply("Z", 2); }
  if (rc == AS_TEMP) temp(why, NULL);
  if (rc == AS_DENY) deny(why);

  if (qlsetup_read(&s, NULL) < 0) temp("unable to read control files", strerror(errno));
  qldap_init(&q);
  q.cfg = s.lcfg;
  rc = ql_lookup_uid(&q, &s, cred.login, s.rebind ? bind_attrs : cmp_attrs, &e);
  if (rc == QLDAP_NOTFOUND) deny("no such user");
  if (rc != QLDAP_OK) {
    /* directory down, timeout, refused bind, duplicate uids, a broken
     * entry: nothing the client can fix by trying another password */
    temp(rc == QLDAP_TEMP ? "temporary directory failure" : "directory failure",
         q.err[0] ? q.err : qldap_why_text(q.why));
  }
  if (s.rebind) {
    /* the server checks the password: bind as the entry on a connection
     * of its own; a refused bind is a wrong password */
    pw = as_bindresult(qldap_user_bind(&q, e.dn.s, cred.pass));
    if (pw == PW_ERROR) temp("temporary directory failure", q.err[0] ? q.err : qldap_why_text(q.why));
  } else {
    pw = compare(&e, cred.pass);
  }
  pw_wipe(cred.pass, sizeof cred.pass);   /* checked: not needed any more */
  rc = as_decide(&e, cred.login, pw, &user, &why);
  as_wipe(&cred);
  qldap_close(&q);
  qldap_entry_free(&e);
  if (rc == AS_TEMP) temp(why, NULL);
  if (rc == AS_DENY) deny(why);
  if (!sb_catc(&out, 'K') || !sb_catsb(&out, &user) || !sb_cat0(&out)) die_nomem();
  reply(out.s, out.len);
}
