/* qlauth: the decision after the password check, per service; the
 * bind result; log-safe logins; the checkpassword exit codes. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "pwcheck.h"
#include "qlauth.h"
#include "qmail-ldap.h"

const char *progname = "test_qlauth";

static void mk(struct qldap_entry *e, const char *const *kv)
{
  qldap_entry_init(e);
  assert_true(sb_copys(&e->dn, "uid=t,dc=example"));
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

#define E(...) ((const char *const[]){__VA_ARGS__, NULL})
#define ALL -1     /* the same for every service */
#define MAILBOX -2 /* POP3 and IMAP */
static const struct {
  int service;
  const char *const *kv;
  const char *login;
  int pw, want, reason;
  const char *user, *why;
} dec[] = {
  {ALL, E("uid=joe"), "joe", PW_MATCH, QLA_OK, QLR_NONE, "joe", "ok"},
  {ALL, E("uid=Joe"), "joe", PW_MATCH, QLA_OK, QLR_NONE, "Joe", "ok"},                  /* as the directory spells it */
  {ALL, E("uid=joe.x", "uid=JOE"), "joe", PW_MATCH, QLA_OK, QLR_NONE, "JOE", "ok"},
  {ALL, E("uid=a", "uid=b"), "joe", PW_MATCH, QLA_OK, QLR_NONE, "joe", "ok"},          /* no value fits: the login */
  {ALL, E("cn=x"), "joe", PW_MATCH, QLA_OK, QLR_NONE, "joe", "ok"},                    /* uid not readable */
  {ALL, E("uid=joe"), "joe", PW_NOMATCH, QLA_BAD, QLR_BADPASS, NULL, "wrong password"},
  {ALL, E("uid=joe"), "joe", PW_UNSUPPORTED, QLA_BAD, QLR_BADPASS, NULL, "unsupported password scheme or malformed hash"},
  {ALL, E("uid=joe"), "joe", PW_ERROR, QLA_TEMP, QLR_INTERNAL, NULL, "error while checking the password"},
  {ALL, E("uid=joe", "accountStatus=active"), "joe", PW_MATCH, QLA_OK, QLR_NONE, "joe", "ok"},
  {ALL, E("uid=joe", "accountStatus=ACTIVE"), "joe", PW_MATCH, QLA_OK, QLR_NONE, "joe", "ok"},
  {ALL, E("uid=joe", "accountStatus=whatever"), "joe", PW_MATCH, QLA_OK, QLR_NONE, "joe", "ok"},   /* unknown: allowed */
  /* nopop: SMTP AUTH as unknown (allowed), the mailbox logins refused */
  {QLA_SMTP, E("uid=joe", "accountStatus=nopop"), "joe", PW_MATCH, QLA_OK, QLR_NONE, "joe", "ok"},
  {MAILBOX, E("uid=joe", "accountStatus=nopop"), "joe", PW_MATCH, QLA_BAD, QLR_STATUS, NULL, "accountStatus nopop"},
  {MAILBOX, E("uid=joe", "accountStatus=NoPop"), "joe", PW_MATCH, QLA_BAD, QLR_STATUS, NULL, "accountStatus nopop"},
  {MAILBOX, E("uid=joe", "accountStatus=nopop"), "joe", PW_NOMATCH, QLA_BAD, QLR_BADPASS, NULL, "wrong password"},
  {ALL, E("uid=joe", "accountStatus=noaccess"), "joe", PW_MATCH, QLA_BAD, QLR_STATUS, NULL, "accountStatus noaccess"},
  {ALL, E("uid=joe", "accountStatus=disabled"), "joe", PW_MATCH, QLA_BAD, QLR_STATUS, NULL, "accountStatus disabled"},
  {ALL, E("uid=joe", "accountStatus=Disabled"), "joe", PW_MATCH, QLA_BAD, QLR_STATUS, NULL, "accountStatus disabled"},
  {ALL, E("uid=joe", "accountStatus=deleted"), "joe", PW_MATCH, QLA_BAD, QLR_STATUS, NULL, "accountStatus deleted"},
  {ALL, E("uid=joe", "accountStatus=active", "accountStatus=disabled"), "joe", PW_MATCH, QLA_BROKEN, QLR_ATTR, NULL, "illegal accountStatus"},
  /* the password first: a locked account with a wrong password is a wrong password */
  {ALL, E("uid=joe", "accountStatus=disabled"), "joe", PW_NOMATCH, QLA_BAD, QLR_BADPASS, NULL, "wrong password"},
  {ALL, E("uid=joe", "qmailUID=1000"), "joe", PW_MATCH, QLA_OK, QLR_NONE, "joe", "ok"},
  {ALL, E("uid=joe", "qmailUID=0"), "joe", PW_MATCH, QLA_BAD, QLR_ROOT, NULL, "qmailUID 0"},
  {ALL, E("uid=joe", "qmailUID=000"), "joe", PW_MATCH, QLA_BAD, QLR_ROOT, NULL, "qmailUID 0"},
  {ALL, E("uid=joe", "qmailUID=0"), "joe", PW_NOMATCH, QLA_BAD, QLR_BADPASS, NULL, "wrong password"},
  {ALL, E("uid=joe", "qmailUID=-1"), "joe", PW_MATCH, QLA_BROKEN, QLR_ATTR, NULL, "illegal qmailUID"},
  {ALL, E("uid=joe", "qmailUID=abc"), "joe", PW_MATCH, QLA_BROKEN, QLR_ATTR, NULL, "illegal qmailUID"},
  {ALL, E("uid=joe", "qmailUID= 0"), "joe", PW_MATCH, QLA_BROKEN, QLR_ATTR, NULL, "illegal qmailUID"},
  {ALL, E("uid=joe", "qmailUID=1000", "qmailUID=0"), "joe", PW_MATCH, QLA_BROKEN, QLR_ATTR, NULL, "illegal qmailUID"},
  {ALL, E("uid=joe", "qmailUID=99999999999999999999999"), "joe", PW_MATCH, QLA_BROKEN, QLR_ATTR, NULL, "illegal qmailUID"},
  {ALL, E("uid=jo\ne"), "joe", PW_MATCH, QLA_BAD, QLR_UIDNAME, NULL, "uid value cannot be sent back"},
  {ALL, E("uid=jo\x7f"), "joe", PW_MATCH, QLA_BAD, QLR_UIDNAME, NULL, "uid value cannot be sent back"},
  {ALL, E("uid=j\xc3\xb6rg"), "J\xc3\xb6RG", PW_MATCH, QLA_OK, QLR_NONE, "j\xc3\xb6rg", "ok"},
};

static int applies(int row, int service)
{
  return row == ALL || row == service || (row == MAILBOX && service != QLA_SMTP);
}

static void t_decide(void **st)
{
  (void)st;
  unsigned ran = 0;
  for (int svc = QLA_SMTP; svc <= QLA_IMAP; ++svc)
    for (size_t i = 0; i < sizeof dec / sizeof dec[0]; ++i) {
      if (!applies(dec[i].service, svc)) continue;
      struct qldap_entry e;
      sb user = SB_INIT;
      const char *why = NULL;
      int reason = -1;
      mk(&e, dec[i].kv);
      int got = qla_decide(&e, svc, dec[i].login, dec[i].pw, &user, &reason, &why);
      if (got != dec[i].want) fail_msg("decide %zu/%d: got %d want %d (%s)", i, svc, got, dec[i].want, why ? why : "");
      if (reason != dec[i].reason) fail_msg("decide %zu/%d: reason %d want %d", i, svc, reason, dec[i].reason);
      if (!why || strcmp(why, dec[i].why)) fail_msg("decide %zu/%d: why \"%s\" want \"%s\"", i, svc, why ? why : "", dec[i].why);
      if (dec[i].user && (user.len != strlen(dec[i].user) || memcmp(user.s, dec[i].user, user.len)))
        fail_msg("decide %zu/%d: user \"%.*s\" want \"%s\"", i, svc, (int)user.len, user.s ? user.s : "", dec[i].user);
      sb_free(&user);
      qldap_entry_free(&e);
      ++ran;
    }
  assert_true(ran > 90);
  /* a uid value with a NUL inside is never handed on (K<uid>\0 framing) */
  struct qldap_entry e;
  sb user = SB_INIT;
  const char *why;
  int reason;
  mk(&e, E("uid=joeX"));
  e.attr[0].vals[0][3] = 0;
  assert_int_equal(qla_decide(&e, QLA_SMTP, "joe", PW_MATCH, &user, &reason, &why), QLA_BAD);
  assert_int_equal(reason, QLR_UIDNAME);
  qldap_entry_free(&e);
  /* nor one longer than a login */
  char longuid[256 + 10];
  memset(longuid, 'a', sizeof longuid);
  memcpy(longuid, "uid=", 4);
  longuid[sizeof longuid - 1] = 0;
  mk(&e, E(longuid));
  assert_int_equal(qla_decide(&e, QLA_POP3, "x", PW_MATCH, &user, &reason, &why), QLA_BAD);
  qldap_entry_free(&e);
  sb_free(&user);
}

static void t_bind(void **st)
{
  (void)st;
  assert_int_equal(qla_bindresult(QLDAP_OK), PW_MATCH);
  assert_int_equal(qla_bindresult(QLDAP_PERM), PW_NOMATCH);
  assert_int_equal(qla_bindresult(QLDAP_TEMP), PW_ERROR);
  assert_int_equal(qla_bindresult(QLDAP_NOTFOUND), PW_ERROR);
}

#define LIT(s) s, sizeof s - 1
static void t_logsafe(void **st)
{
  (void)st;
  sb o = SB_INIT;
  assert_true(qla_logsafe(&o, "joe", 3, 64));
  assert_string_equal(o.s, "joe");
  assert_true(qla_logsafe(&o, LIT("a\nb\\c\0d\xff)(uid=*"), 64));
  assert_string_equal(o.s, "a\\x0ab\\\\c\\x00d\\xff)(uid=*");
  assert_true(qla_logsafe(&o, "abcdef", 6, 3));
  assert_string_equal(o.s, "abc...");
  assert_true(qla_logsafe(&o, "", 0, 3));
  assert_string_equal(o.s, "");
  sb_free(&o);
}

/* every outcome of a failed check has its exit code (facts §1a, §4.5) */
static void t_exitcodes(void **st)
{
  (void)st;
  static const struct { int rc, reason, code; } x[] = {
    {QLA_OK, QLR_NONE, 0},
    {QLA_BAD, QLR_NOUSER, 3}, {QLA_BAD, QLR_EMPTYPASS, 3}, {QLA_BAD, QLR_BADPASS, 3},
    {QLA_BAD, QLR_NOPASSWD, 3}, {QLA_BAD, QLR_ROOT, 3}, {QLA_BAD, QLR_UIDNAME, 3},
    {QLA_BAD, QLR_STATUS, 4},
    {QLA_TEMP, QLR_UNREACHABLE, 2}, {QLA_TEMP, QLR_DIRECTORY, 111}, {QLA_TEMP, QLR_CONFIG, 1},
    {QLA_TEMP, QLR_NOMEM, 8}, {QLA_TEMP, QLR_INTERNAL, 111},
    {QLA_BROKEN, QLR_ATTR, 25},
  };
  for (size_t i = 0; i < sizeof x / sizeof x[0]; ++i) {
    struct qla_result r;
    qla_result_init(&r);
    r.rc = x[i].rc;
    r.reason = x[i].reason;
    if (qla_exitcode(&r) != x[i].code) fail_msg("row %zu: exit %d want %d", i, qla_exitcode(&r), x[i].code);
  }
  static const int codes[] = {0, 1, 2, 3, 4, 5, 6, 61, 62, 7, 8, 25, 111};
  for (size_t i = 0; i < sizeof codes / sizeof codes[0]; ++i) {
    const char *t = qla_exit_text(codes[i]);
    assert_non_null(t);
    for (size_t j = 0; j < i; ++j)
      if (!strcmp(t, qla_exit_text(codes[j]))) fail_msg("exit %d and %d share the text %s", codes[i], codes[j], t);
  }
}

/* the check without a directory: nothing reaches passwd for SMTP AUTH,
 * empty logins and passwords never get anywhere */
static void t_check_nodirectory(void **st)
{
  (void)st;
  struct qla_ctx c;
  struct qla_result r;
  memset(&c, 0, sizeof c);
  qldap_init(&c.q);
  c.s.localdelivery = 0;
  qla_result_init(&r);
  assert_int_equal(qla_check(&c, QLA_POP3, "", "x", &r), QLA_BAD);
  assert_int_equal(r.reason, QLR_NOUSER);
  assert_int_equal(qla_check(&c, QLA_POP3, "root", "", &r), QLA_BAD);
  assert_int_equal(r.reason, QLR_EMPTYPASS);
  assert_int_equal(qla_check(&c, QLA_IMAP, "root", "x", &r), QLA_TEMP);
  assert_int_equal(r.reason, QLR_CONFIG);
  assert_int_equal(qla_exitcode(&r), 1);
  /* SMTP AUTH asks the (missing) directory: temporary, never passwd */
  c.s.localdelivery = 1;
  assert_int_equal(qla_check(&c, QLA_SMTP, "root", "x", &r), QLA_TEMP);
  assert_int_equal(r.passwd, 0);
  /* POP3 with ldaplocaldelivery: passwd; root never, a bad name matches nothing */
  assert_int_equal(qla_check(&c, QLA_POP3, "root", "x", &r), QLA_BAD);
  assert_int_equal(r.passwd, 1);
  assert_true(r.reason == QLR_BADPASS || r.reason == QLR_ROOT);
  qla_result_free(&r);
  qla_result_init(&r);
  assert_int_equal(qla_check(&c, QLA_POP3, "no)(such*user", "x", &r), QLA_BAD);
  assert_int_equal(r.reason, QLR_NOUSER);
  qla_result_free(&r);
  qldap_close(&c.q);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(t_decide), cmocka_unit_test(t_bind), cmocka_unit_test(t_logsafe),
    cmocka_unit_test(t_exitcodes), cmocka_unit_test(t_check_nodirectory),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
