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

static void trace(const char *filter, void *arg)
{
  const struct qlsetup *s = arg;
  printf("Searching ldap for: %s\nunder dn: %s\n", filter, s->lcfg.basedn.s);
  fflush(stdout);
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
static int showdelivery(const struct qldap_entry *e, const struct qlsetup *s, const char *ext)
{
  struct qlp_delivery d;
  int st;
  qlp_init(&d);
  st = qlp_decide(e, &s->pcfg, &d);
  printf("-------------------------------------------------------\n");
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

static int lookupfail(struct qldap *q, int rc)
{
  if (rc == QLDAP_NOTFOUND) { printf("No entries found.\n"); return EX_NOTFOUND; }
  if (q->why == QLW_TOOMANY) {
    printf("Found more than one entry.\nUh-oh: multiple entries found but should be unique!\n");
    return EX_PERM;
  }
  fprintf(stderr, "qmail-ldaplookup: %s: %s\n", rc == QLDAP_TEMP ? "temporary failure" : "error",
          q->err[0] ? q->err : qldap_why_text(q->why));
  return rc == QLDAP_TEMP ? EX_TEMP : EX_PERM;
}

static int cb_show(const struct qldap_entry *e, void *arg)
{
  showentry(e, arg);
  return 0;
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
  if (qlsetup_read(&s, NULL) < 0) die(EX_TEMP, "unable to read control files");
  qldap_init(&q);
  q.cfg = s.lcfg;
  if (binddn) { q.cfg.login.len = 0; if (!sb_copys(&q.cfg.login, binddn)) die_nomem(); }
  if (bindpw) { q.cfg.password.len = 0; if (!sb_copys(&q.cfg.password, bindpw)) die_nomem(); }
  if (debug) fprintf(stderr, "qmail-ldaplookup: servers %zu bytes, basedn '%s', timeout %llu\n",
                     q.cfg.servers.len, q.cfg.basedn.s, (unsigned long long)q.cfg.timeout);
  if (mail) {
    sb ext = SB_INIT, matched = SB_INIT;
    rc = ql_lookup_mail(&q, &s, mail, &e, &ext, &matched, trace, &s);
    if (rc != QLDAP_OK) ex = lookupfail(&q, rc);
    else {
      printf("Found 1 entry (matched %s):\n", matched.s);
      showentry(&e, &s);
      ex = showdelivery(&e, &s, ext.s);
      qldap_entry_free(&e);
    }
  } else if (uid) {
    sb f = SB_INIT;
    if (!qlf_uid(&f, uid, strlen(uid), s.lcfg.objectclass.len ? s.lcfg.objectclass.s : NULL)) die_nomem();
    trace(f.s, &s);
    sb_free(&f);
    rc = ql_lookup_uid(&q, &s, uid, NULL, &e);
    if (rc != QLDAP_OK) ex = lookupfail(&q, rc);
    else {
      printf("Found 1 entry:\n");
      showentry(&e, &s);
      ex = showdelivery(&e, &s, NULL);
      if (pass) {
        int ok;
        if (s.rebind) ok = qldap_user_bind(&q, e.dn.s, pass) == QLDAP_OK ? PW_MATCH : PW_NOMATCH;
        else {
          const struct qldap_attr *a = qldap_attr(&e, LDAP_PASSWD);
          ok = a && a->nvals ? pw_check(a->vals[0], a->lens[0], pass, 0) : PW_NOMATCH;
        }
        printf("\nPASSWORD COMPARE was %s.\n", ok == PW_MATCH ? "successful" : "NOT successful");
        if (ok == PW_UNSUPPORTED) printf("\terror was: unsupported password scheme\n");
        if (ok != PW_MATCH && ex == EX_FOUND) ex = EX_NOTFOUND;
      }
      qldap_entry_free(&e);
    }
  } else {
    uint64_t n;
    printf("Searching ldap for: %s\nunder dn: %s\n", filter, s.lcfg.basedn.s);
    rc = qldap_searchn(&q, filter, NULL, cb_show, &s, &n);
    if (rc == QLDAP_OK) { printf("\nFound %llu entr%s.\n", (unsigned long long)n, n == 1 ? "y" : "ies"); ex = EX_FOUND; }
    else ex = lookupfail(&q, rc);
  }
  qldap_close(&q);
  return ex;
}
