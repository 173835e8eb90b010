#include "qlsession.h"
#include "homedir.h"
#include "maildir.h"
#include "priv.h"
#include "qmail-ldap.h"
#include "quota.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void qls_init(struct qls_plan *p) { memset(p, 0, sizeof *p); }

void qls_free(struct qls_plan *p)
{
  sb *all[] = {&p->user, &p->home, &p->aliasempty, &p->maildir, &p->mailbox, &p->quota, &p->mailhost};
  for (size_t i = 0; i < sizeof all / sizeof all[0]; ++i) sb_free(all[i]);
  memset(p, 0, sizeof *p);
}

int qls_is_maildir(const char *path)
{
  size_t n = strlen(path);
  return n && path[n - 1] == '/';
}

const char *qls_aliasempty(int argc, char *const *argv)
{
  if (argc > 1) {
    const char *a = argv[argc - 1];
    if (qls_is_maildir(a) && (!strncmp(a, "./", 2) || a[0] == '/')) return a;
  }
  return "./Maildir/";
}

/* dir + "/" + rel, rel's leading "./" dropped; an absolute rel stands alone */
static int join(sb *out, const char *dir, const char *rel)
{
  if (rel[0] == '/') return sb_copys(out, rel);
  while (!strncmp(rel, "./", 2)) rel += 2;
  size_t n = strlen(dir);
  while (n > 1 && dir[n - 1] == '/') --n;
  return sb_copyb(out, dir, n) && sb_catc(out, '/') && sb_cats(out, rel);
}

int qls_plan(const struct qla_result *r, const struct qlp_config *c, const char *aliasempty, struct qls_plan *p)
{
  struct qlp_config cc = *c;
  struct qlp_delivery d;
  const char *home, *store;
  int st;

  if (r->passwd) {
    /* a passwd user: passwd's home, the session's default mailbox */
    p->directory = 0;
    p->uid = r->uid;
    p->gid = r->gid;
    if (!sb_copysb(&p->user, &r->user) || !sb_copysb(&p->home, &r->home) || !sb_copys(&p->aliasempty, aliasempty) ||
        !join(&p->mailbox, r->home.s, aliasempty) || !sb_copys(&p->maildir, "") || !sb_copys(&p->quota, ""))
      return QLS_NOMEM;
    return QLS_OK;
  }
  p->directory = 1;
  cc.aliasempty = aliasempty;
  qlp_init(&d);
  st = qlp_decide(&r->e, &cc, &d);
  if (st == QLP_TEMP) { qlp_free(&d); return QLS_NOMEM; }
  if (st == QLP_PERM) { p->why = d.text; qlp_free(&d); return QLS_BROKEN; }
  if (st == QLP_CLUSTER) {
    st = sb_copysb(&p->mailhost, &d.mailhost) ? QLS_CLUSTER : QLS_NOMEM;
    qlp_free(&d);
    return st;
  }
  if (d.forwardonly) {
    /* its "home" would be ~alias: a forward-only entry has no mailbox */
    p->why = "Forward-only entry (no homeDirectory, no mailMessageStore): no mailbox to log in to.";
    qlp_free(&d);
    return QLS_BROKEN;
  }
  p->uid = d.uid;
  p->gid = d.gid;
  p->datasize = d.sizemax;
  st = sb_copysb(&p->user, &r->user) && sb_copysb(&p->home, &d.home) && sb_copysb(&p->aliasempty, &d.aliasempty) &&
       sb_copysb(&p->quota, &d.quota) && sb_copys(&p->maildir, "");
  qlp_free(&d);
  if (!st) return QLS_NOMEM;
  /* MAILDIR only with both attributes (facts §4.3); qlp_decide checked
   * both paths, a relative store lives under the home */
  if (qldap_get1(&r->e, LDAP_HOMEDIR, &home) > 0 && qldap_get1(&r->e, LDAP_MAILSTORE, &store) > 0) {
    if (!join(&p->maildir, p->home.s, store) || !sb_copysb(&p->mailbox, &p->maildir)) return QLS_NOMEM;
  } else if (!join(&p->mailbox, p->home.s, aliasempty)) {
    return QLS_NOMEM;
  }
  return QLS_OK;
}

static int fail(sb *why, int code, const char *a, const char *path, int err)
{
  if (why) {
    why->len = 0;
    if (!sb_cats(why, a) || (path && (!sb_catc(why, ' ') || !sb_cats(why, path))) ||
        (err && (!sb_cats(why, ": ") || !sb_cats(why, strerror(err)))))
      why->len = 0;
    sb_catb(why, "", 0);
  }
  return code;
}

/* new/ cur/ tmp/ are directories: 0; else the errno of the first that is not */
static int maildir_ok(const char *box)
{
  static const char *const sub[] = {"new", "cur", "tmp"};
  sb p = SB_INIT;
  struct stat st;
  int e = 0;
  for (unsigned i = 0; i < 3 && !e; ++i) {
    if (!sb_copys(&p, box) || !sb_cats(&p, sub[i])) e = ENOMEM;
    else if (stat(p.s, &st) < 0) e = errno;
    else if (!S_ISDIR(st.st_mode)) e = ENOTDIR;
  }
  sb_free(&p);
  return e;
}

static int setenv1(const char *name, const char *v)
{
  if (v && *v) return setenv(name, v, 1) == 0;
  return unsetenv(name) == 0;
}

int qls_enter(const struct qls_plan *p, sb *why)
{
  char num[24];
  int e;

  if (p->uid == 0 || p->uid != (uid_t)p->uid || p->gid != (gid_t)p->gid)
    return fail(why, QLA_X_RECORD, "refusing the uid/gid", NULL, 0);
  if (priv_drop((uid_t)p->uid, (gid_t)p->gid) < 0)
    return fail(why, QLA_X_TEMP, "unable to switch to the user's uid and gid", NULL, errno);
  if (chdir(p->home.s) < 0) {
    e = errno;
    if (e == ENOENT && p->directory) {
      /* AUTOHOMEDIRMAKE: as delivery does it, as the user */
      sb w = SB_INIT;
      int r = homedir_make(p->home.s, p->aliasempty.s, &w);
      if (r == HD_SOFT) { fail(why, QLA_X_TEMP, w.len ? w.s : "the dirmaker failed", p->home.s, 0); sb_free(&w); return QLA_X_TEMP; }
      if (r != HD_OK) { fail(why, QLA_X_MAKEBOX, w.len ? w.s : "unable to create the home", p->home.s, 0); sb_free(&w); return QLA_X_MAKEBOX; }
      sb_free(&w);
      if (chdir(p->home.s) < 0) return fail(why, QLA_X_MAKEBOX, "unable to switch to the new home", p->home.s, errno);
    } else if (e == ENOENT) {
      return fail(why, QLA_X_NOBOX, "no home directory", p->home.s, e);
    } else if (e == ENOTDIR || e == EACCES || e == ELOOP) {
      return fail(why, QLA_X_CORRUPT, "unusable home directory", p->home.s, e);
    } else {
      return fail(why, QLA_X_TEMP, "unable to switch to the home", p->home.s, e);
    }
  }
  if (p->mailbox.len && qls_is_maildir(p->mailbox.s)) {
    /* AUTOMAILDIRMAKE for directory entries, as delivery does it */
    if (p->directory && maildir_ensure(p->mailbox.s, 0700) < 0) {
      e = errno;
      if (e == ENOTDIR || e == EEXIST) return fail(why, QLA_X_CORRUPT, "mailbox in the way of a file", p->mailbox.s, e);
      return fail(why, QLA_X_MAKEBOX, "unable to create the mailbox", p->mailbox.s, e);
    }
    if ((e = maildir_ok(p->mailbox.s))) {
      struct stat st;
      if (e == ENOENT && stat(p->mailbox.s, &st) < 0 && errno == ENOENT)
        return fail(why, QLA_X_NOBOX, "no mailbox", p->mailbox.s, 0);
      if (e == ENOMEM) return fail(why, QLA_X_NOMEM, "out of memory", NULL, 0);
      return fail(why, QLA_X_CORRUPT, "not a Maildir (new/ cur/ tmp/)", p->mailbox.s, e);
    }
    /* the quota where the POP3 and IMAP servers read it; a failure is
     * left to the next delivery, which recounts */
    if (p->quota.len) {
      struct usage u;
      (void)quota_usage(p->mailbox.s, p->quota.s, &u);
    }
  }
  num[0] = 0;
  if (p->datasize) {
    sb n = SB_INIT;
    if (!sb_catu64(&n, p->datasize) || n.len >= sizeof num) { sb_free(&n); return fail(why, QLA_X_NOMEM, "out of memory", NULL, 0); }
    memcpy(num, n.s, n.len + 1);
    sb_free(&n);
  }
  if (!setenv1("USER", p->user.s) || !setenv1("AUTHENTICATED", p->user.s) || !setenv1("HOME", p->home.s) ||
      !setenv1("MAILDIR", p->maildir.s) || !setenv1(ENV_QUOTA, p->quota.s) || !setenv1("DATASIZE", num))
    return fail(why, QLA_X_NOMEM, "out of memory", NULL, 0);
  return QLA_X_OK;
}

int qls_begin(const char *prog, struct qla_ctx *c, const struct qla_result *r, const char *aliasempty,
              const char *login, struct qls_plan *p)
{
  sb why = SB_INIT;
  int code;
  size_t ll = strlen(login);
  /* nothing of the directory reaches the subprogram */
  qldap_close(&c->q);
  switch (qls_plan(r, &c->s.pcfg, aliasempty, p)) {
  case QLS_OK: break;
  case QLS_CLUSTER:
    if (sb_copys(&why, "mailbox on cluster host ") && sb_catsb(&why, &p->mailhost) &&
        sb_cats(&why, ", and session forwarding is not available here"))
      qla_log(prog, login, ll, why.s, NULL);
    else
      qla_log(prog, login, ll, "mailbox on another cluster host", NULL);
    sb_free(&why);
    return QLA_X_MAILHOST;
  case QLS_BROKEN: qla_log(prog, login, ll, "user record incorrect", p->why); return QLA_X_RECORD;
  default: qla_log(prog, login, ll, "out of memory", NULL); return QLA_X_NOMEM;
  }
  code = qls_enter(p, &why);
  if (code != QLA_X_OK) qla_log(prog, login, ll, qla_exit_text(code), why.len ? why.s : NULL);
  else qla_log(prog, login, ll, r->passwd ? "login ok (passwd user)" : "login ok", NULL);
  sb_free(&why);
  return code;
}
