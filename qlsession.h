/* qlsession: what auth_pop and auth_imap do with a login qlauth
 * accepted (facts §4.3, §4.7). qls_plan decides, from the entry and the
 * settings delivery uses (qlp_decide: the same home, Maildir, uid, gid
 * and quota as delivery), what the session is; qls_enter makes it so:
 * the switch to the user, the home (created when missing, as delivery
 * creates it), the Maildir, the environment. */
#ifndef QLSESSION_H
#define QLSESSION_H
#include <stdint.h>
#include "qlauth.h"
#include "qlpolicy.h"
#include "sb.h"

enum { QLS_OK = 0, QLS_CLUSTER, QLS_BROKEN, QLS_NOMEM };

struct qls_plan {
  int directory;       /* a directory entry: home and Maildir are made when missing */
  sb user, home;       /* $USER (and $AUTHENTICATED), $HOME */
  uint64_t uid, gid;
  sb aliasempty;       /* the entry's delivery line (the dirmaker's second argument) */
  sb maildir;          /* $MAILDIR: only when homeDirectory and mailMessageStore are both set */
  sb mailbox;          /* the mailbox path (absolute): $MAILDIR, else home/aliasempty */
  sb quota;            /* $MAILDIRQUOTA ("" = none) */
  uint64_t datasize;   /* $DATASIZE = mailSizeMax (0 = none) */
  sb mailhost;         /* QLS_CLUSTER: where the mailbox is */
  const char *why;     /* QLS_BROKEN */
};

void qls_init(struct qls_plan *p);
void qls_free(struct qls_plan *p);

/* Pure. c is the delivery configuration (qlsetup's pcfg); aliasempty
 * the session's default mailbox (qls_aliasempty). */
int qls_plan(const struct qla_result *r, const struct qlp_config *c, const char *aliasempty, struct qls_plan *p);

/* The default mailbox of a session: the subprogram's last argument when
 * it names a Maildir ("./Maildir/": ends in '/', starts with "./" or
 * "/"), as qmail-pop3d takes it, else "./Maildir/". argv[0] is the
 * subprogram. */
const char *qls_aliasempty(int argc, char *const *argv);

/* Is the mailbox a Maildir (a path ending in '/')? */
int qls_is_maildir(const char *path);

/* Become the session: switch to uid/gid (never 0), chdir to the home,
 * making it (directory entries) when missing, make or check the
 * Maildir, write the quota into maildirsize (where Dovecot and the POP3
 * server read it), set USER AUTHENTICATED HOME MAILDIR MAILDIRQUOTA
 * DATASIZE (unset when there is no value). Returns QLA_X_OK or the
 * checkpassword exit code (qlauth.h); why gets the reason. */
int qls_enter(const struct qls_plan *p, sb *why);

/* Everything after an accepted login, for auth_pop and auth_imap: the
 * directory connection closed, qls_plan, qls_enter, one log line (as
 * qla_log, prog and login for it). Returns QLA_X_OK (ready to run the
 * subprogram) or the exit code, the reason logged. A mailbox on another
 * cluster host is QLA_X_MAILHOST: session forwarding is not built yet. */
int qls_begin(const char *prog, struct qla_ctx *c, const struct qla_result *r, const char *aliasempty,
              const char *login, struct qls_plan *p);

#endif
