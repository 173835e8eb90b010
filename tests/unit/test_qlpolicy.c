#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include "qlpolicy.h"
#include "qmail-ldap.h"

const char *progname = "test_qlpolicy";

/* build an entry from "attr=value" strings */
static void mk(struct qldap_entry *e, const char *const *kv)
{
  qldap_entry_init(e);
  sb_copys(&e->dn, "uid=t,dc=example");
  for (; *kv; ++kv) {
    const char *eq = strchr(*kv, '=');
    size_t nl = (size_t)(eq - *kv);
    struct qldap_attr *a = NULL;
    for (size_t i = 0; i < e->nattr; ++i)
      if (strlen(e->attr[i].name) == nl && !strncmp(e->attr[i].name, *kv, nl)) a = &e->attr[i];
    if (!a) {
      e->attr = realloc(e->attr, (e->nattr + 1) * sizeof *e->attr);
      a = &e->attr[e->nattr++];
      memset(a, 0, sizeof *a);
      a->name = strndup(*kv, nl);
    }
    a->vals = realloc(a->vals, (a->nvals + 1) * sizeof *a->vals);
    a->lens = realloc(a->lens, (a->nvals + 1) * sizeof *a->lens);
    a->vals[a->nvals] = strdup(eq + 1);
    a->lens[a->nvals] = strlen(eq + 1);
    a->nvals++;
  }
}

static struct qlp_config cfg(void)
{
  struct qlp_config c;
  memset(&c, 0, sizeof c);
  c.me = "mx1.example.com";
  c.clusterhosts = "mx1b.example.com\0";
  c.clusterhosts_len = 17;
  c.defaultdotmode = "ldaponly";
  c.aliasempty = "./Maildir/";
  c.aliasuser = "alias";
  c.aliasuid = 1001; c.aliasgid = 1002;
  c.aliashome = "/var/qmail/alias";
  c.messagestore = "/var/mail/";
  return c;
}

struct row {
  const char *name;
  const char *kv[12];
  int status;
  const char *home, *aliasempty, *text;
};

static const struct row rows[] = {
  /* facts §4.3: the five home/maildir cases */
  {"home+store", {"uid=joe", "qmailUID=7001", "qmailGID=7001", "homeDirectory=/home/joe", "mailMessageStore=/home/joe/Mail/", 0},
   QLP_DELIVER, "/home/joe", "/home/joe/Mail/", 0},
  {"home+relative store", {"uid=joe", "qmailUID=7001", "qmailGID=7001", "homeDirectory=/home/joe", "mailMessageStore=Mail/", 0},
   QLP_DELIVER, "/home/joe", "./Mail/", 0},
  {"home+./store", {"uid=joe", "qmailUID=7001", "qmailGID=7001", "homeDirectory=/home/joe", "mailMessageStore=./Mail/", 0},
   QLP_DELIVER, "/home/joe", "./Mail/", 0},
  {"home only", {"uid=joe", "qmailUID=7001", "qmailGID=7001", "homeDirectory=/home/joe", 0},
   QLP_DELIVER, "/home/joe", "./Maildir/", 0},
  {"absolute store", {"uid=joe", "qmailUID=7001", "qmailGID=7001", "mailMessageStore=/m/joe", 0},
   QLP_DELIVER, "/m/joe", "./Maildir/", 0},
  {"relative store", {"uid=joe", "qmailUID=7001", "qmailGID=7001", "mailMessageStore=joe/", 0},
   QLP_DELIVER, "/var/mail/joe/", "./Maildir/", 0},
  {"forward only", {"mailForwardingAddress=x@y", 0}, QLP_DELIVER, "/var/qmail/alias", ALIASDEVNULL, 0},
  {"nothing", {"uid=joe", 0}, QLP_PERM, 0, 0, "Forward-only entry without mailForwardingAddress. (#5.3.5)"},
  /* account status (§4.5) */
  {"disabled", {"uid=joe", "qmailUID=7001", "qmailGID=7001", "homeDirectory=/h", "accountStatus=disabled", 0},
   QLP_PERM, 0, 0, "Mailaddress is administratively disabled. (#5.2.1)"},
  {"deleted", {"uid=joe", "qmailUID=7001", "qmailGID=7001", "homeDirectory=/h", "accountStatus=Deleted", 0},
   QLP_PERM, 0, 0, "Sorry, no mailbox here by that name. (#5.1.1)"},
  {"noaccess delivers", {"uid=joe", "qmailUID=7001", "qmailGID=7001", "homeDirectory=/h", "accountStatus=noaccess", 0},
   QLP_DELIVER, "/h", "./Maildir/", 0},
  {"unknown status", {"uid=joe", "qmailUID=7001", "qmailGID=7001", "homeDirectory=/h", "accountStatus=weird", 0},
   QLP_DELIVER, "/h", "./Maildir/", 0},
  /* ids and paths */
  {"no uid", {"uid=joe", "homeDirectory=/h", 0}, QLP_PERM, 0, 0,
   "Missing LDAP attribute qmailUID and no control/ldapuid. (#5.3.5)"},
  {"root uid", {"uid=joe", "qmailUID=0", "qmailGID=7001", "homeDirectory=/h", 0}, QLP_PERM, 0, 0,
   "Illegal value in LDAP attribute qmailUID. (#5.3.5)"},
  {"huge uid", {"uid=joe", "qmailUID=99999999999999999999999", "qmailGID=7001", "homeDirectory=/h", 0}, QLP_PERM, 0, 0,
   "Illegal value in LDAP attribute qmailUID. (#5.3.5)"},
  {"relative home", {"uid=joe", "qmailUID=7001", "qmailGID=7001", "homeDirectory=h", 0}, QLP_PERM, 0, 0,
   "Illegal value in LDAP attribute homeDirectory. (#5.3.5)"},
  {"dotdot", {"uid=joe", "qmailUID=7001", "qmailGID=7001", "homeDirectory=/h/../etc", 0}, QLP_PERM, 0, 0,
   "Illegal value in LDAP attribute homeDirectory. (#5.3.5)"},
  {"shell chars", {"uid=joe", "qmailUID=7001", "qmailGID=7001", "homeDirectory=/h;rm", 0}, QLP_PERM, 0, 0,
   "Illegal value in LDAP attribute homeDirectory. (#5.3.5)"},
  {"two uids", {"uid=joe", "uid=jim", "qmailUID=7001", "qmailGID=7001", "homeDirectory=/h", 0}, QLP_PERM, 0, 0,
   "Illegal value in LDAP attribute uid. (#5.3.5)"},
  {"bad dotmode", {"uid=joe", "qmailUID=7001", "qmailGID=7001", "homeDirectory=/h", "qmailDotMode=weird", 0}, QLP_PERM, 0, 0,
   "Illegal value in LDAP attribute qmailDotMode. (#5.3.5)"},
  {"bad program", {"uid=joe", "qmailUID=7001", "qmailGID=7001", "homeDirectory=/h", "qmailDotMode=ldapwithprog",
                   "deliveryProgramPath=/bin/x; rm -rf /", 0}, QLP_PERM, 0, 0,
   "Illegal value in LDAP attribute deliveryProgramPath. (#5.3.5)"},
  /* cluster */
  {"other host", {"uid=joe", "qmailUID=7001", "qmailGID=7001", "homeDirectory=/h", "mailHost=mx2.example.com", 0},
   QLP_CLUSTER, 0, 0, 0},
  {"my alias host", {"uid=joe", "qmailUID=7001", "qmailGID=7001", "homeDirectory=/h", "mailHost=MX1B.example.com", 0},
   QLP_DELIVER, "/h", "./Maildir/", 0},
};

static void t_rows(void **st)
{
  (void)st;
  for (size_t i = 0; i < sizeof rows / sizeof rows[0]; ++i) {
    struct qldap_entry e;
    struct qlp_delivery d;
    struct qlp_config c = cfg();
    c.cluster = 1;
    mk(&e, rows[i].kv);
    qlp_init(&d);
    int s = qlp_decide(&e, &c, &d);
    if (s != rows[i].status) fail_msg("%s: status %d want %d (%s)", rows[i].name, s, rows[i].status, d.text ? d.text : "");
    if (rows[i].home && strcmp(d.home.s, rows[i].home)) fail_msg("%s: home %s", rows[i].name, d.home.s);
    if (rows[i].aliasempty && strcmp(d.aliasempty.s, rows[i].aliasempty)) fail_msg("%s: aliasempty %s", rows[i].name, d.aliasempty.s);
    if (rows[i].text && strcmp(d.text, rows[i].text)) fail_msg("%s: text %s", rows[i].name, d.text);
    qlp_free(&d);
    qldap_entry_free(&e);
  }
}

static void t_modes(void **st)
{
  struct qldap_entry e;
  struct qlp_delivery d;
  struct qlp_config c = cfg();
  (void)st;
  const char *kv[] = {"uid=joe", "qmailUID=7001", "qmailGID=7001", "homeDirectory=/h", "deliveryMode=noMbox, reply",
                      "deliveryMode=noforward:bogus", "mailReplyText=gone fishing", "mailForwardingAddress=a@b",
                      "mailForwardingAddress=c@d", "deliveryProgramPath=/usr/bin/x", "mailQuotaSize=1000000", 0};
  mk(&e, kv);
  qlp_init(&d);
  assert_int_equal(qlp_decide(&e, &c, &d), QLP_DELIVER);
  assert_string_equal(d.mode.s, "nolocal,reply,noforward");
  assert_true(qlp_has_mode(&d, "reply"));
  assert_false(qlp_has_mode(&d, "noprogram"));
  assert_string_equal(d.replytext.s, "gone fishing");
  assert_string_equal(d.forwards.s, "a@b\nc@d");
  assert_string_equal(d.programs.s, "");          /* ldaponly ignores programs */
  assert_string_equal(d.quota.s, "1000000S");
  assert_string_equal(d.dotmode.s, "ldaponly");
  qlp_free(&d);
  qldap_entry_free(&e);
}

static void t_quota(void **st)
{
  sb q = SB_INIT;
  (void)st;
  assert_true(qlp_quota_string(0, 0, &q)); assert_string_equal(q.s, "");
  assert_true(qlp_quota_string(5, 0, &q)); assert_string_equal(q.s, "5S");
  assert_true(qlp_quota_string(0, 7, &q)); assert_string_equal(q.s, "7C");
  assert_true(qlp_quota_string(18446744073709551615ULL, 7, &q)); assert_string_equal(q.s, "18446744073709551615S,7C");
  sb_free(&q);
}

int main(void)
{
  const struct CMUnitTest tests[] = {cmocka_unit_test(t_rows), cmocka_unit_test(t_modes), cmocka_unit_test(t_quota)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
