/* auth_imap: an authentication module of the Courier authlib chain
 * (facts §1a), for the IMAP login front end:
 *   auth_imap [-d pbstool] program [args...]
 * fd 3: service\nauthtype\nauthdata; type login: user\npassword\n (the
 * front end decodes AUTHENTICATE PLAIN into this form too). The check is
 * qlauth's, the session qlsession's, as for auth_pop; then pbstool (if
 * any) or the program (the IMAP engine, e.g. doveconf -c ... -e
 * /usr/lib/dovecot/imap) runs as the user, with MAIL=maildir:<mailbox>
 * for Dovecot and IMAPLOGINTAG as the front end set it.
 *   AUTHENTICATED already set: a module before us succeeded: run the
 *     program at once.
 *   another authtype: not ours: the program (the next module) runs with
 *     fd 3 fed again, USER, MAIL and MAILDIR removed (an IMAP engine
 *     there finds no user and stops).
 *   any failure: the front end comes back (AUTHARGV0..AUTHARGV<n-1>,
 *     n = AUTHARGC, as Courier's modules do it) with AUTHFAILCODE = the
 *     auth_pop exit code of the case; without AUTHARGC exit 111. */
#include "die.h"
#include "pwcheck.h"
#include "qlauth.h"
#include "qlsession.h"
#include "rd.h"
#include "sb.h"
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <unistd.h>

const char *progname = "auth_imap";

#define MAXIN 2048           /* fd 3 */
#define READ_TIMEOUT 60
#define MAXARGC 64           /* AUTHARGC */

static sb in;                /* fd 3's bytes; wiped on every way out */
static sb user;              /* the login, for the log */

static void logline(const char *reason, const char *detail)
{
  qla_log(progname, user.s, user.len, reason, detail);
}

/* Back to the front end, as Courier requires after a failed login:
 * exec AUTHARGV0.. with AUTHENTICATED unset and AUTHFAILCODE set. */
static _Noreturn void hardfail(int code, const char *reason, const char *detail)
{
  char name[32], num[16], **v;
  const char *a = getenv("AUTHARGC");
  uint64_t n;
  if (reason) logline(reason, detail);
  pw_wipe(in.s, in.cap);
  close(3);
  if (!a || !scan_u64s(a, &n) || n < 1 || n > MAXARGC) {
    logline("no AUTHARGC: no front end to return to", NULL);
    _exit(111);
  }
  v = calloc((size_t)n + 1, sizeof *v);
  if (!v) _exit(111);
  for (uint64_t i = 0; i < n; ++i) {
    snprintf(name, sizeof name, "AUTHARGV%llu", (unsigned long long)i);
    if (!(v[i] = getenv(name))) { logline("AUTHARGC names a missing AUTHARGV", name); _exit(111); }
  }
  snprintf(num, sizeof num, "%d", code);
  if (unsetenv("AUTHENTICATED") < 0 || setenv("AUTHFAILCODE", num, 1) < 0) _exit(111);
  signal(SIGPIPE, SIG_DFL);
  execvp(v[0], v);
  logline("unable to run the front end again", strerror(errno));
  _exit(111);
}

static void readfd3(void)
{
  struct rd r;
  int k;
  if (!sb_ready(&in, MAXIN + 2)) hardfail(QLA_X_NOMEM, "out of memory", NULL);
  rd_init(&r, 3, READ_TIMEOUT);
  k = rd_bytes(&r, &in, MAXIN + 1);
  pw_wipe(r.buf, sizeof r.buf);
  close(3);
  if (k == RD_TIMEOUT) hardfail(QLA_X_TEMP, "timeout reading fd 3", NULL);
  if (k == RD_ERR && errno == EBADF) hardfail(QLA_X_CONFIG, "fd 3 is not open", NULL);
  if (k != RD_OK && k != RD_PARTIAL && k != RD_EOF) hardfail(QLA_X_TEMP, "cannot read fd 3", strerror(errno));
}

/* Not ours: the next module gets the same fd 3. At most MAXIN bytes fit
 * a pipe's buffer, so no writer process is needed. */
static _Noreturn void passon(char **next)
{
  int pi[2];
  if (pipe(pi) < 0) hardfail(QLA_X_TEMP, "unable to make a pipe", strerror(errno));
  for (size_t off = 0; off < in.len;) {
    ssize_t w = write(pi[1], in.s + off, in.len - off);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) hardfail(QLA_X_TEMP, "unable to write to the pipe", strerror(errno));
    off += (size_t)w;
  }
  close(pi[1]);
  pw_wipe(in.s, in.cap);
  if (pi[0] != 3 && (dup2(pi[0], 3) < 0 || close(pi[0]) < 0)) hardfail(QLA_X_TEMP, "unable to set up fd 3", strerror(errno));
  /* an IMAP engine in the next place must not find a user to serve */
  if (unsetenv("USER") < 0 || unsetenv("MAIL") < 0 || unsetenv("MAILDIR") < 0) _exit(111);
  signal(SIGPIPE, SIG_DFL);
  execvp(next[0], next);
  hardfail(QLA_X_EXEC, "unable to run the next module", strerror(errno));
}

int main(int argc, char **argv)
{
  const char *pbstool = NULL, *aliasempty, *a;
  struct qla_ctx c;
  struct qla_result r;
  struct qls_plan p;
  char **next, pass[MAXIN + 1];
  int opt, code;

  /* Courier's front end leaves children behind across its exec */
  while (waitpid(-1, NULL, WNOHANG) > 0) continue;
  signal(SIGPIPE, SIG_IGN);
  while ((opt = getopt(argc, argv, "+d:")) != -1) {
    if (opt == 'd') pbstool = optarg;
    else hardfail(QLA_X_CONFIG, "usage: auth_imap [-d pbstool] program [args...]", NULL);
  }
  if (optind >= argc) hardfail(QLA_X_CONFIG, "usage: auth_imap [-d pbstool] program [args...]", NULL);
  next = argv + optind;
  if ((a = getenv("AUTHENTICATED")) && *a) {
    signal(SIGPIPE, SIG_DFL);
    execvp(next[0], next);
    hardfail(QLA_X_EXEC, "unable to run the program", strerror(errno));
  }
  aliasempty = qls_aliasempty(argc - optind, next);

  readfd3();
  if (in.len > MAXIN) hardfail(QLA_X_BAD, "more than 2048 bytes on fd 3", NULL);
  if (memchr(in.s, 0, in.len)) hardfail(QLA_X_BAD, "NUL on fd 3", NULL);
  /* service \n type \n data */
  const char *end = in.s + in.len;
  const char *n1 = memchr(in.s, '\n', in.len);
  const char *n2 = n1 ? memchr(n1 + 1, '\n', (size_t)(end - n1 - 1)) : NULL;
  if (!n2) hardfail(QLA_X_BAD, "malformed fd 3 data (service\\ntype\\ndata expected)", NULL);
  const char *type = n1 + 1;
  size_t tl = (size_t)(n2 - type);
  if (tl != 5 || strncasecmp(type, "login", 5)) passon(next);
  /* user \n password [\n], nothing after */
  const char *u = n2 + 1;
  const char *n3 = memchr(u, '\n', (size_t)(end - u));
  if (!n3) hardfail(QLA_X_BAD, "malformed login data (user\\npassword\\n expected)", NULL);
  if (!sb_copyb(&user, u, (size_t)(n3 - u))) hardfail(QLA_X_NOMEM, "out of memory", NULL);
  const char *pw = n3 + 1;
  const char *n4 = memchr(pw, '\n', (size_t)(end - pw));
  if (n4 && n4 + 1 != end) hardfail(QLA_X_BAD, "bytes after the password", NULL);
  size_t pl = (size_t)((n4 ? n4 : end) - pw);
  memcpy(pass, pw, pl);
  pass[pl] = 0;
  pw_wipe(in.s, in.cap);

  if (qla_open(&c, aliasempty) < 0) { pw_wipe(pass, sizeof pass); hardfail(QLA_X_CONFIG, "unable to read control files", strerror(errno)); }
  qla_result_init(&r);
  qla_check(&c, QLA_IMAP, user.s, pass, &r);
  pw_wipe(pass, sizeof pass);
  if (r.rc != QLA_OK) hardfail(qla_exitcode(&r), r.why, r.detail);
  qls_init(&p);
  code = qls_begin(progname, &c, &r, aliasempty, user.s, &p);
  if (code != QLA_X_OK) hardfail(code, NULL, NULL);
  /* Dovecot's imap takes its mailbox from MAIL */
  if (qls_is_maildir(p.mailbox.s)) {
    sb m = SB_INIT;
    if (!sb_copys(&m, "maildir:") || !sb_catsb(&m, &p.mailbox) || setenv("MAIL", m.s, 1) < 0)
      hardfail(QLA_X_NOMEM, "out of memory", NULL);
    sb_free(&m);
  } else if (unsetenv("MAIL") < 0) {
    hardfail(QLA_X_NOMEM, "out of memory", NULL);
  }

  signal(SIGPIPE, SIG_DFL);
  if (pbstool) {
    char **v = calloc((size_t)(argc - optind) + 2, sizeof *v);
    if (!v) hardfail(QLA_X_NOMEM, "out of memory", NULL);
    v[0] = (char *)pbstool;
    memcpy(v + 1, next, (size_t)(argc - optind) * sizeof *v);
    execvp(pbstool, v);
    hardfail(QLA_X_EXEC, "unable to run the pbstool", strerror(errno));
  }
  execvp(next[0], next);
  hardfail(QLA_X_EXEC, "unable to run the program", strerror(errno));
}
