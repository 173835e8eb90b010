#include "qlauth.h"
#include "pwcheck.h"
#include "pwgen.h"
#include "qlpolicy.h"
#include "qmail-ldap.h"
#include <errno.h>
#include <pwd.h>
#include <shadow.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#define MAXPWVALUES 16        /* userPassword values tried */
#define MAXUSER 256           /* longest uid handed on (K<uid>, $USER) */

/* ------------------------------------------------------------ pure */

int qla_bindresult(int qldap_rc)
{
  if (qldap_rc == QLDAP_OK) return PW_MATCH;
  if (qldap_rc == QLDAP_PERM) return PW_NOMATCH;   /* QLW_BADPASS: the server said no */
  return PW_ERROR;
}

/* a value that may be handed on as the login: at most MAXUSER bytes, no
 * NUL, no control characters (it ends up in Received lines and logs) */
static int sendable(const char *v, size_t n)
{
  if (!n || n > MAXUSER || strlen(v) != n) return 0;
  for (size_t i = 0; i < n; ++i) {
    unsigned char ch = (unsigned char)v[i];
    if (ch < 0x20 || ch == 0x7f) return 0;
  }
  return 1;
}

#define SAY(rs, r, w) do { *reason = (rs); *why = (w); return (r); } while (0)

int qla_decide(const struct qldap_entry *e, int service, const char *login, int pwres, sb *user, int *reason,
               const char **why)
{
  const char *v;
  uint64_t id;
  int r;

  /* the password first: a wrong password and a locked account look the same */
  if (pwres == PW_ERROR) SAY(QLR_INTERNAL, QLA_TEMP, pw_result_text(pwres));
  if (pwres != PW_MATCH) SAY(QLR_BADPASS, QLA_BAD, pw_result_text(pwres));
  r = qldap_get1(e, LDAP_ISACTIVE, &v);
  if (r < 0) SAY(QLR_ATTR, QLA_BROKEN, "illegal accountStatus");
  if (r > 0) {
    switch (qlp_status_of(v)) {
    case 1: SAY(QLR_STATUS, QLA_BAD, "accountStatus noaccess");
    case 2: SAY(QLR_STATUS, QLA_BAD, "accountStatus disabled");
    case 3: SAY(QLR_STATUS, QLA_BAD, "accountStatus deleted");
    default: break;   /* active, absent and unknown values may log in */
    }
    /* nopop: the first releases' noaccess, kept on list entries so that
     * nobody reads the list's mailbox; mail still arrives, and the
     * facts' unknown-is-active rule keeps SMTP AUTH open */
    if (service != QLA_SMTP && !strcasecmp(v, "nopop")) SAY(QLR_STATUS, QLA_BAD, "accountStatus nopop");
  }
  /* uid 0 never: such an entry is root's and may not log in */
  r = qldap_getu64(e, LDAP_QMAILUID, &id);
  if (r < 0) SAY(QLR_ATTR, QLA_BROKEN, "illegal qmailUID");
  if (r > 0 && id == 0) SAY(QLR_ROOT, QLA_BAD, "qmailUID 0");
  /* the uid as the directory spells it */
  const struct qldap_attr *a = qldap_attr(e, LDAP_UID);
  const char *pick = NULL;
  size_t pl = 0, ll = strlen(login);
  for (size_t i = 0; a && i < a->nvals; ++i)
    if (a->lens[i] == ll && strlen(a->vals[i]) == ll && !strncasecmp(a->vals[i], login, ll)) {
      pick = a->vals[i];
      pl = a->lens[i];
      break;
    }
  if (!pick && a && a->nvals == 1) { pick = a->vals[0]; pl = a->lens[0]; }
  if (!pick) { pick = login; pl = ll; }
  if (!sendable(pick, pl)) SAY(QLR_UIDNAME, QLA_BAD, "uid value cannot be sent back");
  if (!sb_copyb(user, pick, pl)) SAY(QLR_NOMEM, QLA_TEMP, "out of memory");
  SAY(QLR_NONE, QLA_OK, "ok");
}

int qla_logsafe(sb *out, const char *s, size_t n, size_t max)
{
  static const char hex[] = "0123456789abcdef";
  out->len = 0;
  for (size_t i = 0; i < n && i < max; ++i) {
    unsigned char ch = (unsigned char)s[i];
    int ok;
    if (ch == '\\') ok = sb_cats(out, "\\\\");
    else if (ch >= 0x20 && ch < 0x7f) ok = sb_catc(out, (char)ch);
    else {
      char h[4] = {'\\', 'x', hex[ch >> 4], hex[ch & 15]};
      ok = sb_catb(out, h, 4);
    }
    if (!ok) return 0;
  }
  if (n > max && !sb_cats(out, "...")) return 0;
  return sb_catb(out, "", 0);
}

int qla_exitcode(const struct qla_result *r)
{
  switch (r->rc) {
  case QLA_OK: return QLA_X_OK;
  case QLA_BAD: return r->reason == QLR_STATUS ? QLA_X_DISABLED : QLA_X_BAD;
  case QLA_BROKEN: return QLA_X_RECORD;
  default:
    switch (r->reason) {
    case QLR_UNREACHABLE: return QLA_X_UNREACHABLE;
    case QLR_CONFIG: return QLA_X_CONFIG;
    case QLR_NOMEM: return QLA_X_NOMEM;
    default: return QLA_X_TEMP;
    }
  }
}

const char *qla_exit_text(int code)
{
  switch (code) {
  case QLA_X_OK: return "ok";
  case QLA_X_CONFIG: return "configuration error";
  case QLA_X_UNREACHABLE: return "directory unreachable";
  case QLA_X_BAD: return "authentication failed";
  case QLA_X_DISABLED: return "account disabled";
  case QLA_X_MAILHOST: return "mailhost unreachable";
  case QLA_X_CORRUPT: return "mailbox corrupt";
  case QLA_X_MAKEBOX: return "mailbox creation failed";
  case QLA_X_NOBOX: return "mailbox does not exist";
  case QLA_X_EXEC: return "cannot run the subprogram";
  case QLA_X_NOMEM: return "out of memory";
  case QLA_X_RECORD: return "user record incorrect";
  default: return "temporary failure";
  }
}

/* ------------------------------------------------------------ the log */

void qla_log(const char *prog, const char *login, size_t loginlen, const char *reason, const char *detail)
{
  sb ip = SB_INIT, who = SB_INIT;
  const char *e = getenv("TCPREMOTEIP");
  if (!e || !*e) e = "unknown";
  int ok = qla_logsafe(&ip, e, strlen(e), 64) && (!login || !loginlen || qla_logsafe(&who, login, loginlen, 64));
  fprintf(stderr, "%s: %s: %s%s%s from %s\n", prog, ok && who.len ? who.s : "-", reason,
          detail && *detail ? ": " : "", detail && *detail ? detail : "", ok ? ip.s : "unknown");
  fflush(stderr);
  sb_free(&ip);
  sb_free(&who);
}

/* ------------------------------------------------------------ the check */

void qla_result_init(struct qla_result *r)
{
  memset(r, 0, sizeof *r);
  qldap_entry_init(&r->e);
}

void qla_result_free(struct qla_result *r)
{
  qldap_entry_free(&r->e);
  sb_free(&r->user);
  sb_free(&r->home);
  memset(r, 0, sizeof *r);
}

int qla_open(struct qla_ctx *c, const char *aliasempty)
{
  memset(c, 0, sizeof *c);
  qldap_init(&c->q);
  if (qlsetup_read(&c->s, aliasempty) < 0) return -1;
  c->q.cfg = c->s.lcfg;
  return 0;
}

void qla_close(struct qla_ctx *c)
{
  qldap_close(&c->q);
  qlsetup_free(&c->s);
}

static int set(struct qla_result *r, int rc, int reason, const char *why)
{
  r->rc = rc;
  r->reason = reason;
  r->why = why;
  return rc;
}

static void detail(struct qla_result *r, const struct qldap *q)
{
  snprintf(r->detail, sizeof r->detail, "%s", q->err[0] ? q->err : qldap_why_text(q->why));
}

/* a failed search or bind. Duplicate uids are the administrator's to
 * fix: temporary (facts §4.5); an unreadable entry is broken for the
 * mailbox logins and, as before, temporary for SMTP AUTH */
static int dirfail(const struct qldap *q, int service, int qrc, struct qla_result *r)
{
  detail(r, q);
  if (qrc == QLDAP_PERM) {
    if (q->why == QLW_TOOMANY || service == QLA_SMTP) return set(r, QLA_TEMP, QLR_DIRECTORY, "directory failure");
    return set(r, QLA_BROKEN, QLR_ATTR, "directory failure");
  }
  switch (q->why) {
  case QLW_CONNECT: case QLW_TIMEOUT: return set(r, QLA_TEMP, QLR_UNREACHABLE, "temporary directory failure");
  case QLW_CONFIG: return set(r, QLA_TEMP, QLR_CONFIG, "temporary directory failure");
  case QLW_NOMEM: return set(r, QLA_TEMP, QLR_NOMEM, "temporary directory failure");
  default: return set(r, QLA_TEMP, QLR_DIRECTORY, "temporary directory failure");
  }
}

/* compare mode: any userPassword value may match, as in a bind */
static int compare(const struct qldap_attr *a, const char *pass)
{
  int best = PW_UNSUPPORTED;
  for (size_t i = 0; i < a->nvals && i < MAXPWVALUES; ++i) {
    int r = pw_check(a->vals[i], a->lens[i], pass, 0);
    if (r == PW_MATCH || r == PW_ERROR) return r;
    if (r == PW_NOMATCH) best = PW_NOMATCH;
  }
  return best;
}

/* getpwnam's "no such user" errno values (getpwnam(3)) */
static int notfound_errno(int e) { return e == 0 || e == ENOENT || e == ESRCH || e == EBADF || e == EPERM; }

/* POP3/IMAP login of a passwd user (ldaplocaldelivery 1, no entry):
 * the shadow hash when running as root, else passwd's; uid 0 never */
static int passwd_check(const char *login, const char *pass, struct qla_result *r)
{
  char hash[PW_MAXSTORED + 1];
  struct passwd *pw;
  uint64_t uid, gid;
  int expired = 0, pwres;

  r->passwd = 1;
  if (strlen(login) > MAXUSER || !qlp_uidname_ok(login)) {
    pwg_dummy(pass);
    return set(r, QLA_BAD, QLR_NOUSER, "no such user");
  }
  errno = 0;
  pw = getpwnam(login);
  if (!pw) {
    if (!notfound_errno(errno)) return set(r, QLA_TEMP, QLR_INTERNAL, "unable to read the password database");
    pwg_dummy(pass);
    return set(r, QLA_BAD, QLR_NOUSER, "no such user");
  }
  uid = pw->pw_uid;
  gid = pw->pw_gid;
  if (!sb_copys(&r->user, pw->pw_name) || !sb_copys(&r->home, pw->pw_dir))
    return set(r, QLA_TEMP, QLR_NOMEM, "out of memory");
  snprintf(hash, sizeof hash, "%s", pw->pw_passwd ? pw->pw_passwd : "");
  if (geteuid() == 0) {
    struct spwd *sp;
    errno = 0;
    sp = getspnam(login);
    if (sp) {
      snprintf(hash, sizeof hash, "%s", sp->sp_pwdp ? sp->sp_pwdp : "");
      if (sp->sp_expire > 0 && (long)(time(NULL) / 86400) >= sp->sp_expire) expired = 1;
    } else if (!notfound_errno(errno)) {
      pw_wipe(hash, sizeof hash);
      return set(r, QLA_TEMP, QLR_INTERNAL, "unable to read the shadow database");
    }
  }
  pwres = pw_check(hash, strlen(hash), pass, 0);
  pw_wipe(hash, sizeof hash);
  if (pwres == PW_ERROR) return set(r, QLA_TEMP, QLR_INTERNAL, pw_result_text(pwres));
  if (pwres != PW_MATCH) return set(r, QLA_BAD, QLR_BADPASS, pw_result_text(pwres));
  if (expired) return set(r, QLA_BAD, QLR_STATUS, "passwd account expired");
  if (uid == 0) return set(r, QLA_BAD, QLR_ROOT, "passwd uid 0");
  if (!r->home.len || r->home.s[0] != '/') return set(r, QLA_BROKEN, QLR_ATTR, "passwd home is not absolute");
  r->uid = uid;
  r->gid = gid;
  return set(r, QLA_OK, QLR_NONE, "ok");
}

/* what a login fetches: SMTP AUTH only what the decision needs (facts'
 * "fast" mode); POP3/IMAP also everything delivery reads, for the
 * mailbox; userPassword only in compare mode */
static const char *const *attrs_for(int service, int rebind)
{
  static const char *const smtp_cmp[] = {LDAP_UID, LDAP_PASSWD, LDAP_ISACTIVE, LDAP_QMAILUID, 0};
  static const char *const smtp_bind[] = {LDAP_UID, LDAP_ISACTIVE, LDAP_QMAILUID, 0};
  static const char *mail[64];
  static size_t n;
  if (service == QLA_SMTP) return rebind ? smtp_bind : smtp_cmp;
  if (!n) {
    while (ql_delivery_attrs[n] && n < sizeof mail / sizeof mail[0] - 2) { mail[n] = ql_delivery_attrs[n]; ++n; }
    mail[n] = LDAP_PASSWD;
    mail[n + 1] = 0;
  }
  if (rebind) mail[n] = 0;
  else mail[n] = LDAP_PASSWD;
  return mail;
}

int qla_check(struct qla_ctx *c, int service, const char *login, const char *pass, struct qla_result *r)
{
  int mail = service != QLA_SMTP, rc, pw;

  if (!*login) return set(r, QLA_BAD, QLR_NOUSER, "empty login");
  if (!*pass) return set(r, QLA_BAD, QLR_EMPTYPASS, "empty password");
  if (mail && !c->s.lcfg.servers.len) {
    if (c->s.localdelivery) return passwd_check(login, pass, r);
    return set(r, QLA_TEMP, QLR_CONFIG, "no directory (control/ldapserver) and ldaplocaldelivery 0");
  }
  rc = ql_lookup_uid(&c->q, &c->s, login, attrs_for(service, c->s.rebind), &r->e);
  if (rc == QLDAP_NOTFOUND) {
    /* a user found in the directory is never retried in passwd */
    if (mail && c->s.localdelivery) return passwd_check(login, pass, r);
    pwg_dummy(pass);
    return set(r, QLA_BAD, QLR_NOUSER, "no such user");
  }
  if (rc != QLDAP_OK) return dirfail(&c->q, service, rc, r);
  if (c->s.rebind) {
    /* the server checks the password: a bind as the entry on a
     * connection of its own; a refused bind is a wrong password */
    rc = qldap_user_bind(&c->q, r->e.dn.s, pass);
    pw = qla_bindresult(rc);
    if (pw == PW_ERROR) return dirfail(&c->q, service, QLDAP_TEMP, r);
  } else {
    const struct qldap_attr *a = qldap_attr(&r->e, LDAP_PASSWD);
    if (!a || !a->nvals) {
      pwg_dummy(pass);
      return set(r, QLA_BAD, QLR_NOPASSWD, "no userPassword readable (may ldaplogin read it? else use ldaprebind)");
    }
    pw = compare(a, pass);
  }
  rc = qla_decide(&r->e, service, login, pw, &r->user, &r->reason, &r->why);
  r->rc = rc;
  return rc;
}
