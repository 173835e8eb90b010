/* qlauth: THE login check of every login (SMTP AUTH, POP3, IMAP; facts
 * §4.5, §4.7): the entry with that uid, its password (compared here or,
 * with ldaprebind, by a bind as the entry), then accountStatus and
 * qmailUID. POP3 and IMAP logins the directory does not know fall back
 * to passwd/shadow with ldaplocaldelivery 1; SMTP AUTH never does.
 *
 * One outcome for every bad login, the reason kept for the log only;
 * directory trouble is temporary; an entry that cannot be used is
 * "broken" (auth_pop exit 25). Also here: the exit codes of the
 * checkpassword interface (auth_pop, auth_imap) with their texts, and
 * the one log line of the auth programs. */
#ifndef QLAUTH_H
#define QLAUTH_H
#include <stdint.h>
#include "qldap.h"
#include "qllookup.h"
#include "sb.h"

enum qla_service { QLA_SMTP = 0, QLA_POP3, QLA_IMAP };

enum qla_rc {
  QLA_OK = 0,     /* authenticated */
  QLA_BAD,        /* bad login, whatever the reason: the client learns no more */
  QLA_TEMP,       /* temporary trouble: try again later */
  QLA_BROKEN      /* the entry cannot be used (illegal or missing attribute) */
};

/* why, for the log (and auth_pop's exit 4 after a right password) */
enum qla_reason {
  QLR_NONE = 0,
  QLR_NOUSER,       /* BAD: no entry, no passwd user */
  QLR_EMPTYPASS,    /* BAD */
  QLR_BADPASS,      /* BAD: wrong password, or a scheme that cannot be checked */
  QLR_NOPASSWD,     /* BAD: no userPassword readable (compare mode) */
  QLR_STATUS,       /* BAD: accountStatus refuses this service (right password) */
  QLR_ROOT,         /* BAD: qmailUID 0 / passwd uid 0 */
  QLR_UIDNAME,      /* BAD: the uid value cannot be handed on */
  QLR_EXPIRED,      /* BAD: passwd account expired (shadow) */
  QLR_UNREACHABLE,  /* TEMP: no server reachable, or a timeout */
  QLR_DIRECTORY,    /* TEMP: bind refused, other LDAP trouble, duplicate uids */
  QLR_CONFIG,       /* TEMP: control files unreadable, no directory configured */
  QLR_NOMEM,        /* TEMP */
  QLR_INTERNAL,     /* TEMP: password library failure, passwd unreadable */
  QLR_ATTR          /* BROKEN */
};

struct qla_result {
  int rc, reason;
  const char *why;        /* log text; static */
  char detail[256];       /* the server's words, may be empty */
  int passwd;             /* 1: a passwd user, 0: a directory entry */
  struct qldap_entry e;   /* the entry (passwd 0) */
  sb user;                /* the login as the directory or passwd spells it */
  uint64_t uid, gid;      /* passwd users (directory entries: see qlp_decide) */
  sb home;                /* passwd users */
};

struct qla_ctx {
  struct qlsetup s;
  struct qldap q;
};

/* Read the control files (qlsetup_read). 0 ok, -1 error (errno). */
int qla_open(struct qla_ctx *c, const char *aliasempty);
void qla_close(struct qla_ctx *c);

/* The check. login and pass NUL-terminated; pass is not kept (the
 * caller wipes it). r->rc is also returned. */
int qla_check(struct qla_ctx *c, int service, const char *login, const char *pass, struct qla_result *r);
void qla_result_init(struct qla_result *r);
void qla_result_free(struct qla_result *r);

/* ---- pure parts (unit tests) ---- */

/* The decision for a found entry (accountStatus, qmailUID, uid as
 * fetched) and the outcome of the password check (PW_*), in this order:
 * password, accountStatus, qmailUID, uid value. QLA_OK sets user to the
 * entry's uid value that equals login ignoring case, else its only uid,
 * else login. accountStatus noaccess, disabled and deleted refuse every
 * service; the old value nopop (a list's mailbox, life-with-qmail-ldap)
 * refuses POP3 and IMAP only. An illegal accountStatus or qmailUID is
 * QLA_BROKEN. *reason and *why for the log. */
int qla_decide(const struct qldap_entry *e, int service, const char *login, int pwres, sb *user, int *reason,
               const char **why);
/* How a password check came out (PW_*) from a qldap_user_bind result. */
int qla_bindresult(int qldap_rc);
/* s made safe for a log line: printable ASCII kept (backslash doubled),
 * every other byte as \xHH; at most max input bytes ("..." after). */
int qla_logsafe(sb *out, const char *s, size_t n, size_t max);

/* ---- the checkpassword interface (auth_pop, auth_imap; facts §1a) ---- */
enum {
  QLA_X_OK = 0,
  QLA_X_CONFIG = 1,       /* configuration or usage error */
  QLA_X_UNREACHABLE = 2,  /* directory unreachable or timed out */
  QLA_X_BAD = 3,          /* authentication failed, no such user */
  QLA_X_DISABLED = 4,     /* account disabled (only after a right password) */
  QLA_X_MAILHOST = 5,     /* mailbox on another cluster host */
  QLA_X_CORRUPT = 6,      /* mailbox corrupt */
  QLA_X_MAKEBOX = 61,     /* mailbox creation failed */
  QLA_X_NOBOX = 62,       /* mailbox does not exist */
  QLA_X_EXEC = 7,         /* cannot run the subprogram */
  QLA_X_NOMEM = 8,        /* out of memory */
  QLA_X_RECORD = 25,      /* user record incorrect */
  QLA_X_TEMP = 111        /* other temporary trouble */
};
/* the exit code a failed check gives (r->rc != QLA_OK) */
int qla_exitcode(const struct qla_result *r);
/* a short text per exit code, for logs and front ends */
const char *qla_exit_text(int code);

/* "<prog>: <login>: <reason>[: <detail>] from <TCPREMOTEIP>" on stderr,
 * login and address made log-safe */
void qla_log(const char *prog, const char *login, size_t loginlen, const char *reason, const char *detail);

#endif
