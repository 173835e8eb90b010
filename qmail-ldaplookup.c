/* qmail-ldaplookup: show what the directory says about a user or address,
 * exactly as qmail-lspawn and the auth programs would see it. */
#include "auto.h"
#include "ctl.h"
#include "die.h"
#include "pwcheck.h"
#include "qldap.h"
#include "qlfilter.h"
#include "qllookup.h"
#include "qlpolicy.h"
#include "qmail-ldap.h"
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

const char *progname = "qmail-ldaplookup";

/* exit codes */
#define EX_FOUND 0
#define EX_NOTFOUND 1
#define EX_USAGE 100
#define EX_PERM 100
#define EX_TEMP 111

static noreturn void usage(void)
{
  fprintf(stderr,
          "usage: qmail-ldaplookup [-d level] [-D binddn -w bindpw] -u uid [-p password]\n"
          "       qmail-ldaplookup [-d level] [-D binddn -w bindpw] -m address\n"
          "       qmail-ldaplookup [-d level] [-D binddn -w bindpw] -f filter\n");
  exit(EX_USAGE);
}

static int debug;
static sb lastfilter;      /* the filter searched last (for duplicate reports) */

static void trace(const char *filter, void *arg)
{
  const struct qlsetup *s = arg;
  printf("Searching ldap for: %s\nunder dn: %s\n", filter, s->lcfg.basedn.s);
  fflush(stdout);
  if (!sb_copys(&lastfilter, filter)) die_nomem();
}

static void showmulti(const struct qldap_entry *e, const char *attr)
{
  const struct qldap_attr *a = qldap_attr(e, attr);
  for (size_t i = 0; a && i < a->nvals; ++i) printf("%s: %s\n", attr, a->vals[i]);
}

static void showsize(const struct qldap_entry *e, const char *attr, uint64_t def)
{
  uint64_t v;
  int r = qldap_getu64(e, attr, &v);
  if (r < 0) { printf("%s: illegal value\n", attr); return; }
  if (r == 0) v = def;
  printf("%s: %llu%s%s\n", attr, (unsigned long long)v, v ? "" : " (unlimited)", r ? "" : " (default)");
}

static void showentry(const struct qldap_entry *e, const struct qlsetup *s)
{
  const char *v;
  const struct qldap_attr *a;
  printf("\ndn: %s\n-------------------------------------------------------\n", e->dn.s);
  showmulti(e, LDAP_OBJECTCLASS);
  showmulti(e, LDAP_MAIL);
  showmulti(e, LDAP_MAILALTERNATE);
  if (qldap_get1(e, LDAP_UID, &v) > 0) printf("uid: %s\n", v);
  else printf("uid: undefined (forward only account required)\n");
  int r = qldap_get1(e, LDAP_ISACTIVE, &v);
  if (r > 0) {
    static const char *const st[] = {"active", "noaccess", "disabled", "deleted"};
    int k = qlp_status_of(v);
    if (!strcasecmp(v, st[k])) printf("accountStatus: %s\n", st[k]);
    else printf("accountStatus: %s (unknown value, treated as active)\n", v);
  } else if (r == 0) printf("accountStatus: undefined -> active\n");
  else printf("accountStatus: illegal (multiple values)\n");
  if (qldap_get1(e, LDAP_MAILHOST, &v) > 0) printf("mailHost: %s\n", v);
  else printf("mailHost: undefined\n");
  if (qldap_get1(e, LDAP_HOMEDIR, &v) > 0) printf("homeDirectory: %s\n", v);
  else printf("homeDirectory: undefined\n");
  if (qldap_get1(e, LDAP_MAILSTORE, &v) > 0) printf("mailMessageStore: %s\n", v);
  else printf("mailMessageStore: undefined\n");
  if (qldap_get1(e, LDAP_DOTMODE, &v) > 0) printf("qmailDotMode: %s\n", v);
  else printf("qmailDotMode: %s (default)\n", s->dotmode.len ? s->dotmode.s : DOTMODE_LDAPONLY);
  if (qldap_get1(e, LDAP_QMAILUID, &v) > 0) printf("qmailUID: %s\n", v);
  else printf("qmailUID: undefined, ldapuid %llu\n", (unsigned long long)s->pcfg.ldapuid);
  if (qldap_get1(e, LDAP_QMAILGID, &v) > 0) printf("qmailGID: %s\n", v);
  else printf("qmailGID: undefined, ldapgid %llu\n", (unsigned long long)s->pcfg.ldapgid);
  showsize(e, LDAP_QUOTA_SIZE, s->pcfg.defquotasize);
  showsize(e, LDAP_QUOTA_COUNT, s->pcfg.defquotacount);
  showsize(e, LDAP_MAXMSIZE, 0);
  a = qldap_attr(e, LDAP_MODE);
  for (size_t i = 0; a && i < a->nvals; ++i) printf("deliveryMode: %s\n", a->vals[i]);
  showmulti(e, LDAP_FORWARDS);
  showmulti(e, LDAP_PROGRAM);
  if (qldap_get1(e, LDAP_REPLYTEXT, &v) > 0) printf("mailReplyText:\n=== begin ===\n%s\n=== end ===\n", v);
  else printf("mailReplyText: undefined\n");
}

/* what qmail-lspawn would do with this entry */
static int showdelivery(const struct qldap_entry *e, const struct qlsetup *s, const char *matched, const char *ext)
{
  struct qlp_delivery d;
  int st;
  qlp_init(&d);
  st = qlp_decide(e, &s->pcfg, &d);
  printf("-------------------------------------------------------\n");
  if (matched) printf("matched address: %s\n", matched);
  switch (st) {
  case QLP_DELIVER:
    if (d.forwardonly)
      printf("delivery: forward only delivery via alias user\nalias user: %s\nalias user uid: %llu\n"
             "alias user gid: %llu\nalias user home: %s\naliasempty: %s\n",
             d.user.s, (unsigned long long)d.uid, (unsigned long long)d.gid, d.home.s, d.aliasempty.s);
    else
      printf("delivery: local\nuser: %s\nuid: %llu\ngid: %llu\nhome: %s\naliasEmpty: %s\ndot-mode: %s\n",
             d.user.s, (unsigned long long)d.uid, (unsigned long long)d.gid, d.home.s, d.aliasempty.s,
             d.dotmode.s);
    if (ext && *ext) printf("extension: %s\n", ext);
    if (d.mode.len) printf("delivery flags: %s\n", d.mode.s);
    if (d.quota.len) printf("MAILDIRQUOTA: %s\n", d.quota.s);
    break;
  case QLP_CLUSTER:
    printf("delivery: forwarded to cluster host %s\n", d.mailhost.s);
    break;
  default:
    printf("delivery: %s failure: %s\n", st == QLP_PERM ? "permanent" : "temporary", d.text);
  }
  qlp_free(&d);
  return st == QLP_PERM ? EX_PERM : st == QLP_TEMP ? EX_TEMP : EX_FOUND;
}

static void found(uint64_t n)
{
  if (n == 1) printf("Found 1 entry:\n");
  else printf("Found %llu entries:\n", (unsigned long long)n);
}

/* -f: the count first, then every entry */
struct showall {
  const struct qlsetup *s;
  const uint64_t *count;
  int first;
};

static int cb_show(const struct qldap_entry *e, void *arg)
{
  struct showall *a = arg;
  if (a->first) { found(*a->count); a->first = 0; }
  showentry(e, a->s);
  return 0;
}

#define MAXDUPS 20
struct dups {
  const uint64_t *count;
  uint64_t shown;
};

static int cb_dn(const struct qldap_entry *e, void *arg)
{
  struct dups *d = arg;
  if (!d->shown) found(*d->count);
  if (d->shown++ == MAXDUPS) return 1;
  printf("dn: %s\n", e->dn.s);
  return 0;
}

/* A lookup that must be unique found several entries: name them, so the
 * administrator knows which entries clash. */
static void showdups(struct qldap *q)
{
  static const char *const dnonly[] = {"1.1", 0};    /* RFC 4511: no attributes */
  uint64_t n = 0;
  struct dups d = {&n, 0};
  if (lastfilter.len) qldap_searchn(q, lastfilter.s, dnonly, cb_dn, &d, &n);
  if (!d.shown) printf("Found more than one entry.\n");
  else if (n > MAXDUPS) printf("(and %llu more)\n", (unsigned long long)(n - MAXDUPS));
}

static int lookupfail(struct qldap *q, int rc)
{
  if (rc == QLDAP_NOTFOUND) { printf("No entries found.\n"); return EX_NOTFOUND; }
  if (q->why == QLW_TOOMANY) {
    showdups(q);
    printf("Uh-oh: multiple entries found but should be unique!\n%s\n", qldap_why_text(QLW_TOOMANY));
    return EX_PERM;
  }
  fprintf(stderr, "qmail-ldaplookup: %s: %s\n", rc == QLDAP_TEMP ? "temporary failure" : "error",
          q->err[0] ? q->err : qldap_why_text(q->why));
  return rc == QLDAP_TEMP ? EX_TEMP : EX_PERM;
}

int main(int argc, char **argv)
{
  struct qlsetup s;
  struct qldap q;
  struct qldap_entry e;
  const char *uid = 0, *mail = 0, *filter = 0, *pass = 0, *binddn = 0, *bindpw = 0;
  int opt, rc, ex;

  while ((opt = getopt(argc, argv, "d:D:w:u:m:f:p:")) != -1) {
    switch (opt) {
    case 'd': debug = atoi(optarg); break;
    case 'D': binddn = optarg; break;
    case 'w': bindpw = optarg; break;
    case 'u': uid = optarg; break;
    case 'm': mail = optarg; break;
    case 'f': filter = optarg; break;
    case 'p': pass = optarg; break;
    default: usage();
    }
  }
  if (optind != argc || (!!uid + !!mail + !!filter) != 1 || (pass && !uid)) usage();
  if (pass && getuid() != 0) die(EX_USAGE, "only root may test passwords with -p");
  /* a server that drops the connection must give exit 111, not a signal */
  signal(SIGPIPE, SIG_IGN);
  if (qlsetup_read(&s, NULL) < 0) die(EX_TEMP, "unable to read control files");
  qldap_init(&q);
  q.cfg = s.lcfg;
  if (binddn) { q.cfg.login.len = 0; if (!sb_copys(&q.cfg.login, binddn)) die_nomem(); }
  if (bindpw) {
    q.cfg.password.len = 0;
    if (!sb_copys(&q.cfg.password, bindpw)) die_nomem();
    pw_wipe((char *)bindpw, strlen(bindpw));    /* the copy is all we need */
  }
  if (debug) fprintf(stderr, "qmail-ldaplookup: servers %zu bytes, basedn '%s', timeout %llu\n",
                     q.cfg.servers.len, q.cfg.basedn.s, (unsigned long long)q.cfg.timeout);
  if (mail) {
    sb ext = SB_INIT, matched = SB_INIT;
    rc = ql_lookup_mail(&q, &s, mail, &e, &ext, &matched, trace, &s);
    if (rc != QLDAP_OK) ex = lookupfail(&q, rc);
    else {
      found(1);
      showentry(&e, &s);
      ex = showdelivery(&e, &s, matched.s, ext.s);
      qldap_entry_free(&e);
    }
    sb_free(&ext); sb_free(&matched);
  } else if (uid) {
    sb f = SB_INIT;
    if (!qlf_uid(&f, uid, strlen(uid), s.lcfg.objectclass.len ? s.lcfg.objectclass.s : NULL)) die_nomem();
    trace(f.s, &s);
    sb_free(&f);
    rc = ql_lookup_uid(&q, &s, uid, NULL, &e);
    if (rc != QLDAP_OK) ex = lookupfail(&q, rc);
    else {
      found(1);
      showentry(&e, &s);
      ex = showdelivery(&e, &s, NULL, NULL);
      if (pass) {
        int ok;
        const char *why = NULL;
        if (s.rebind) {
          int r = qldap_user_bind(&q, e.dn.s, pass);
          ok = r == QLDAP_OK ? PW_MATCH : PW_NOMATCH;
          if (r == QLDAP_TEMP) { ok = PW_ERROR; why = q.err; }
        } else {
          const struct qldap_attr *a = qldap_attr(&e, LDAP_PASSWD);
          if (a && a->nvals) ok = pw_check(a->vals[0], a->lens[0], pass, 0);
          else {
            ok = PW_NOMATCH;
            why = "no userPassword in the entry (not readable with this bind DN? try -D/-w or ldaprebind)";
          }
        }
        if (ok == PW_UNSUPPORTED) why = "unsupported password scheme";
        if (ok == PW_ERROR && !why) why = "error while checking the password";
        pw_wipe((char *)pass, strlen(pass));
        printf("\nPASSWORD COMPARE was %s.\n", ok == PW_MATCH ? "successful" : "NOT successful");
        if (why) printf("\terror was: %s\n", why);
        if (ok == PW_ERROR) ex = EX_TEMP;
        else if (ok != PW_MATCH && ex == EX_FOUND) ex = EX_NOTFOUND;
      }
      qldap_entry_free(&e);
    }
  } else {
    uint64_t n = 0;
    struct showall all = {&s, &n, 1};
    trace(filter, &s);
    rc = qldap_searchn(&q, filter, NULL, cb_show, &all, &n);
    ex = rc == QLDAP_OK ? EX_FOUND : lookupfail(&q, rc);
  }
  qldap_close(&q);
  sb_free(&lastfilter);
  return ex;
}
