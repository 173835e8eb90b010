/* auth_pop: the checkpassword program qmail-popup runs (facts §1a):
 *   auth_pop [-d pbstool] subprogram [args...]
 * fd 3: login\0password\0timestamp\0 (at most 512 bytes; what follows
 * the password is ignored). The login is a directory uid (qlauth: the
 * check every login goes through), else with ldaplocaldelivery a passwd
 * user. Accepted: qlsession switches to the user, makes the home and the
 * Maildir as delivery would, sets USER AUTHENTICATED HOME MAILDIR
 * MAILDIRQUOTA DATASIZE; then pbstool (if any) or the subprogram runs.
 * Refused: the exit code says why (qlauth.h, facts §1a), for qmail-popup;
 * the reason goes to stderr only. */
#include "die.h"
#include "pwcheck.h"
#include "qlauth.h"
#include "qlsession.h"
#include "rd.h"
#include "sb.h"
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *progname = "auth_pop";

#define MAXIN 512            /* fd 3, as checkpassword(8) */
#define READ_TIMEOUT 60      /* seconds of silence on fd 3: qmail-popup is gone */

static sb in;                /* fd 3's bytes; wiped on every way out */
static const char *login = "";

static _Noreturn void quit(int code, const char *reason, const char *detail)
{
  if (reason) qla_log(progname, login, strlen(login), reason, detail);
  pw_wipe(in.s, in.cap);
  _exit(code);
}

/* fd 3 to its end, at most MAXIN + 1 bytes (one more tells oversize) */
static void readfd3(void)
{
  struct rd r;
  int k;
  /* sized once: no realloc leaves a copy of the password behind */
  if (!sb_ready(&in, MAXIN + 2)) quit(QLA_X_NOMEM, "out of memory", NULL);
  rd_init(&r, 3, READ_TIMEOUT);
  k = rd_bytes(&r, &in, MAXIN + 1);
  pw_wipe(r.buf, sizeof r.buf);
  close(3);
  if (k == RD_TIMEOUT) quit(QLA_X_TEMP, "timeout reading fd 3", NULL);
  if (k == RD_ERR && errno == EBADF) quit(QLA_X_CONFIG, "fd 3 is not open (run me as checkpassword)", NULL);
  if (k != RD_OK && k != RD_PARTIAL && k != RD_EOF) quit(QLA_X_TEMP, "cannot read fd 3", strerror(errno));
}

int main(int argc, char **argv)
{
  const char *pbstool = NULL, *pass, *aliasempty;
  struct qla_ctx c;
  struct qla_result r;
  struct qls_plan p;
  char **sub;
  int opt, code;

  /* a directory that drops the connection must give an exit code, not
   * a signal; the default comes back before the subprogram runs */
  signal(SIGPIPE, SIG_IGN);
  while ((opt = getopt(argc, argv, "+d:")) != -1) {
    if (opt == 'd') pbstool = optarg;
    else quit(QLA_X_CONFIG, "usage: auth_pop [-d pbstool] subprogram [args...]", NULL);
  }
  if (optind >= argc) quit(QLA_X_CONFIG, "usage: auth_pop [-d pbstool] subprogram [args...]", NULL);
  sub = argv + optind;
  aliasempty = qls_aliasempty(argc - optind, sub);

  readfd3();
  /* login\0password\0...: two NULs within the 512 bytes, else nobody */
  const char *z1 = memchr(in.s, 0, in.len);
  const char *z2 = z1 ? memchr(z1 + 1, 0, in.len - (size_t)(z1 + 1 - in.s)) : NULL;
  if (z1) login = in.s;
  if (in.len > MAXIN) quit(QLA_X_BAD, "more than 512 bytes on fd 3", NULL);
  if (!z2) quit(QLA_X_BAD, "malformed fd 3 data (login\\0password\\0 expected)", NULL);
  pass = z1 + 1;

  if (qla_open(&c, aliasempty) < 0) quit(QLA_X_CONFIG, "unable to read control files", strerror(errno));
  qla_result_init(&r);
  qla_check(&c, QLA_POP3, login, pass, &r);
  pw_wipe((char *)pass, strlen(pass));   /* checked: not needed any more */
  if (r.rc != QLA_OK) quit(qla_exitcode(&r), r.why, r.detail);
  qls_init(&p);
  code = qls_begin(progname, &c, &r, aliasempty, login, &p);
  if (code != QLA_X_OK) quit(code, NULL, NULL);
  pw_wipe(in.s, in.cap);

  /* pbstool subprogram args... or subprogram args... */
  signal(SIGPIPE, SIG_DFL);
  if (pbstool) {
    char **v = calloc((size_t)(argc - optind) + 2, sizeof *v);
    if (!v) quit(QLA_X_NOMEM, "out of memory", NULL);
    v[0] = (char *)pbstool;
    memcpy(v + 1, sub, (size_t)(argc - optind) * sizeof *v);
    execvp(pbstool, v);
    quit(QLA_X_EXEC, "unable to run the pbstool", strerror(errno));
  }
  execvp(sub[0], sub);
  quit(QLA_X_EXEC, "unable to run the subprogram", strerror(errno));
}
