/* auth_smtp: checks one SMTP AUTH attempt for qmail-smtpd (INTERNALS 10).
 * stdin: the tokens qmail-smtpd received; stdout: K<uid>\0, D\0 or Z\0,
 * then exit 0; exit 111 for temporary trouble. The check is qlauth's,
 * the one every login goes through (facts §4.7): a directory uid, no
 * passwd fallback (facts §1a). Every refusal is the same D; the reason
 * goes to stderr only. */
#include "authsmtp.h"
#include "die.h"
#include "pwcheck.h"
#include "qlauth.h"
#include "rd.h"
#include "sb.h"
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

const char *progname = "auth_smtp";

#define READ_TIMEOUT 60      /* seconds of silence on stdin: qmail-smtpd is gone */

static struct as_cred cred;             /* wiped on every way out */

/* "auth_smtp: <login>: <reason> from <TCPREMOTEIP>" (qla_log) */
static void logline(const char *reason, const char *detail)
{
  qla_log(progname, cred.login, cred.loginlen, reason, detail);
}

static _Noreturn void temp(const char *reason, const char *detail)
{
  logline(reason, detail);
  as_wipe(&cred);
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

int main(void)
{
  sb in = SB_INIT, out = SB_INIT;
  struct qla_ctx c;
  struct qla_result r;
  const char *why = NULL;
  int rc;

  /* a directory that drops the connection must give exit 111, not a signal */
  signal(SIGPIPE, SIG_IGN);
  readinput(&in);
  rc = as_parse(in.s, in.len, &cred, &why);
  pw_wipe(in.s, in.cap);
  sb_free(&in);
  if (rc == AS_MALFORMED) { logline("malformed AUTH data", why); reply("Z", 2); }
  if (rc == AS_TEMP) temp(why, NULL);
  if (rc == AS_DENY) deny(why);

  if (qla_open(&c, NULL) < 0) temp("unable to read control files", strerror(errno));
  qla_result_init(&r);
  rc = qla_check(&c, QLA_SMTP, cred.login, cred.pass, &r);
  pw_wipe(cred.pass, sizeof cred.pass);   /* checked: not needed any more */
  qla_close(&c);
  if (rc == QLA_TEMP) temp(r.why, r.detail);
  /* a broken entry is a bad login here, as any other (INTERNALS 10) */
  if (rc != QLA_OK) deny(r.why);
  if (!sb_catc(&out, 'K') || !sb_catsb(&out, &r.user) || !sb_cat0(&out)) die_nomem();
  qla_result_free(&r);
  reply(out.s, out.len);
}
