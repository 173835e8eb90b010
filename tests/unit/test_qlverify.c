/* qlverify: every row of qmail-verify's answer table (INTERNALS 9,
 * facts §4.5, §4.8), table-driven, got/want. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "qlverify.h"
#include "qmail-ldap.h"

const char *progname = "test_qlverify";

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

static struct qlp_config cfg(uint64_t defsize, uint64_t defcount)
{
  struct qlp_config c;
  memset(&c, 0, sizeof c);
  c.me = "mx1.example.com";
  c.cluster = 1;
  c.defaultdotmode = "ldaponly";
  c.aliasempty = "./Maildir/";
  c.aliasuser = "alias";
  c.aliasuid = 1001; c.aliasgid = 1002;
  c.aliashome = "/var/qmail/alias";
  c.messagestore = "/var/mail/";
  c.defquotasize = defsize;
  c.defquotacount = defcount;
  return c;
}

#define JOE "uid=joe", "qmailUID=7001", "qmailGID=7001", "homeDirectory=/home/joe"
#define A "joe@example.com"
#define NOMBOX "Sorry, no mailbox here by that name. (#5.1.1)"
#define DISABLED "Mailaddress is administratively disabled. (#5.2.1)"
#define NOHOST "Sorry, address must include host name. (#5.1.3)"
#define OVER "The users mailfolder is over the allowed quota (size). (#5.2.2)"
#define SIZEMAX "The message exceeded the maximum size the user accepts. (#5.2.3)"
#define DIRTEMP "Temporary failure in directory lookup. (#4.4.3)"
#define LOOKUP "Temporary failure in address lookup. (#4.3.0)"
#define U(s, c) 1, s, c
#define NOU 0, 0, 0

struct row {
  const char *name;
  int kind;                 /* 'R' or 'S' */
  const char *addr;
  int found, why;           /* the lookup */
  const char *kv[10];       /* the entry (QLV_ENTRY) */
  uint64_t defsize, defcount;
  int hassize;
  uint64_t size;
  int known;                /* usage known */
  int64_t usize, ucount;
  char want;
  unsigned code;
  const char *text;
  int quota;                /* refused for the quota */
  const char *maildir;      /* the Maildir checked (entries only; NULL: not compared) */
};

static const struct row rows[] = {
  /* address syntax */
  {"no host part", 'R', "joe", QLV_ENTRY, 0, {JOE, 0}, 0, 0, 0, 0, NOU, 'D', 554, NOHOST, 0, 0},
  {"no host part, sender", 'S', "", QLV_NOTFOUND, 0, {0}, 0, 0, 0, 0, NOU, 'D', 554, NOHOST, 0, 0},
  /* account status (facts §4.5) */
  {"active", 'R', A, QLV_ENTRY, 0, {JOE, "accountStatus=active", 0}, 0, 0, 0, 0, NOU, 'K', 0, "", 0, "/home/joe/Maildir/"},
  {"no accountStatus", 'R', A, QLV_ENTRY, 0, {JOE, 0}, 0, 0, 0, 0, NOU, 'K', 0, "", 0, "/home/joe/Maildir/"},
  {"noaccess", 'R', A, QLV_ENTRY, 0, {JOE, "accountStatus=noaccess", 0}, 0, 0, 0, 0, NOU, 'K', 0, "", 0, 0},
  {"unknown status", 'R', A, QLV_ENTRY, 0, {JOE, "accountStatus=frozen", 0}, 0, 0, 0, 0, NOU, 'K', 0, "", 0, 0},
  {"disabled", 'R', A, QLV_ENTRY, 0, {JOE, "accountStatus=disabled", 0}, 0, 0, 0, 0, NOU, 'D', 554, DISABLED, 0, 0},
  {"disabled, case", 'R', A, QLV_ENTRY, 0, {JOE, "accountStatus=DISABLED", 0}, 0, 0, 0, 0, NOU, 'D', 554, DISABLED, 0, 0},
  {"disabled sender", 'S', A, QLV_ENTRY, 0, {JOE, "accountStatus=disabled", 0}, 0, 0, 0, 0, NOU, 'D', 554, DISABLED, 0, 0},
  {"deleted", 'R', A, QLV_ENTRY, 0, {JOE, "accountStatus=deleted", 0}, 0, 0, 0, 0, NOU, 'D', 554, NOMBOX, 0, 0},
  {"deleted sender", 'S', A, QLV_ENTRY, 0, {JOE, "accountStatus=Deleted", 0}, 0, 0, 0, 0, NOU, 'D', 554, NOMBOX, 0, 0},
  {"noaccess sender", 'S', A, QLV_ENTRY, 0, {JOE, "accountStatus=noaccess", 0}, 0, 0, 0, 0, NOU, 'K', 0, "", 0, 0},
  /* no entry */
  {"not found", 'R', A, QLV_NOTFOUND, 0, {0}, 0, 0, 0, 0, NOU, 'D', 554, NOMBOX, 0, 0},
  {"not found, sender", 'S', A, QLV_NOTFOUND, 0, {0}, 0, 0, 0, 0, NOU, 'D', 554, NOMBOX, 0, 0},
  {"local user", 'R', A, QLV_LOCAL, 0, {0}, 0, 0, 0, 0, NOU, 'K', 0, "", 0, 0},
  {"local sender", 'S', A, QLV_LOCAL, 0, {0}, 0, 0, 0, 0, NOU, 'K', 0, "", 0, 0},
  /* trouble: always temporary, never 5xx */
  {"server down", 'R', A, QLV_TEMP, QLW_CONNECT, {0}, 0, 0, 0, 0, NOU, 'Z', 451, "Unable to contact LDAP server. (#4.4.3)", 0, 0},
  {"search timeout", 'S', A, QLV_TEMP, QLW_TIMEOUT, {0}, 0, 0, 0, 0, NOU, 'Z', 451,
   "Timeout while performing search on LDAP server. (#4.4.3)", 0, 0},
  {"bad bind", 'R', A, QLV_TEMP, QLW_BIND, {0}, 0, 0, 0, 0, NOU, 'Z', 451,
   "Unable to login into LDAP server, bad credentials. (#4.4.3)", 0, 0},
  {"other LDAP error", 'R', A, QLV_TEMP, QLW_LDAP, {0}, 0, 0, 0, 0, NOU, 'Z', 451, "Temporary failure in LDAP lookup. (#4.4.3)", 0, 0},
  {"local table trouble", 'R', A, QLV_TEMP, QLW_NONE, {0}, 0, 0, 0, 0, NOU, 'Z', 451, LOOKUP, 0, 0},
  {"a perm why as temp", 'R', A, QLV_TEMP, QLW_TOOMANY, {0}, 0, 0, 0, 0, NOU, 'Z', 451, LOOKUP, 0, 0},
  {"two entries (TOOMANY)", 'R', A, QLV_PERM, QLW_TOOMANY, {0}, 0, 0, 0, 0, NOU, 'Z', 451,
   "More than one directory entry has this address. (#4.3.5)", 0, 0},
  {"two entries, sender", 'S', A, QLV_PERM, QLW_TOOMANY, {0}, 0, 0, 0, 0, NOU, 'Z', 451,
   "More than one directory entry has this address. (#4.3.5)", 0, 0},
  {"unusable entry", 'R', A, QLV_PERM, QLW_ILLVAL, {0}, 0, 0, 0, 0, NOU, 'Z', 451, DIRTEMP, 0, 0},
  {"bad filter", 'R', A, QLV_PERM, QLW_FILTER, {0}, 0, 0, 0, 0, NOU, 'Z', 451, DIRTEMP, 0, 0},
  {"unknown outcome", 'R', A, 99, 0, {0}, 0, 0, 0, 0, NOU, 'Z', 451, LOOKUP, 0, 0},
  /* size quota (facts §4.8): usage + SIZE= against mailQuotaSize */
  {"quota: SIZE fits exactly", 'R', A, QLV_ENTRY, 0, {JOE, "mailQuotaSize=1000", 0}, 0, 0, 1, 100, U(900, 5), 'K', 0, "", 0, 0},
  {"quota: SIZE one byte over", 'R', A, QLV_ENTRY, 0, {JOE, "mailQuotaSize=1000", 0}, 0, 0, 1, 101, U(900, 5), 'D', 552, OVER, 1, 0},
  {"quota: no SIZE, room left", 'R', A, QLV_ENTRY, 0, {JOE, "mailQuotaSize=1000", 0}, 0, 0, 0, 0, U(999, 5), 'K', 0, "", 0, 0},
  {"quota: no SIZE, full", 'R', A, QLV_ENTRY, 0, {JOE, "mailQuotaSize=1000", 0}, 0, 0, 0, 0, U(1000, 5), 'D', 552, OVER, 1, 0},
  {"quota: no SIZE, over", 'R', A, QLV_ENTRY, 0, {JOE, "mailQuotaSize=1000", 0}, 0, 0, 0, 0, U(5000, 5), 'D', 552, OVER, 1, 0},
  {"quota: SIZE=0 counts as a byte", 'R', A, QLV_ENTRY, 0, {JOE, "mailQuotaSize=1000", 0}, 0, 0, 1, 0, U(1000, 5), 'D', 552, OVER, 1, 0},
  {"quota: huge SIZE", 'R', A, QLV_ENTRY, 0, {JOE, "mailQuotaSize=1000", 0}, 0, 0, 1, UINT64_MAX, U(0, 0), 'D', 552, OVER, 1, 0},
  {"quota: negative usage is none", 'R', A, QLV_ENTRY, 0, {JOE, "mailQuotaSize=1000", 0}, 0, 0, 1, 1000, U(-500, -3), 'K', 0, "", 0, 0},
  {"quota: usage unknown", 'R', A, QLV_ENTRY, 0, {JOE, "mailQuotaSize=1000", 0}, 0, 0, 1, 5000, NOU, 'K', 0, "", 0, 0},
  {"quota: unlimited (0)", 'R', A, QLV_ENTRY, 0, {JOE, "mailQuotaSize=0", 0}, 0, 0, 1, 5000, U(1 << 30, 5), 'K', 0, "", 0, 0},
  {"quota: sender never", 'S', A, QLV_ENTRY, 0, {JOE, "mailQuotaSize=1000", 0}, 0, 0, 1, 5000, U(5000, 5), 'K', 0, "", 0, 0},
  /* count quota: one more message must fit */
  {"count: one left", 'R', A, QLV_ENTRY, 0, {JOE, "mailQuotaCount=10", 0}, 0, 0, 0, 0, U(10, 9), 'K', 0, "", 0, 0},
  {"count: full", 'R', A, QLV_ENTRY, 0, {JOE, "mailQuotaCount=10", 0}, 0, 0, 0, 0, U(10, 10), 'D', 552, OVER, 1, 0},
  {"count: size fits, count full", 'R', A, QLV_ENTRY, 0, {JOE, "mailQuotaSize=100000", "mailQuotaCount=10", 0}, 0, 0, 1, 10,
   U(10, 10), 'D', 552, OVER, 1, 0},
  /* the quota delivery computes: defaults when the entry has none */
  {"default size quota", 'R', A, QLV_ENTRY, 0, {JOE, 0}, 1000, 0, 1, 200, U(900, 1), 'D', 552, OVER, 1, 0},
  {"default count quota", 'R', A, QLV_ENTRY, 0, {JOE, 0}, 0, 3, 0, 0, U(10, 3), 'D', 552, OVER, 1, 0},
  {"entry overrides the default", 'R', A, QLV_ENTRY, 0, {JOE, "mailQuotaSize=0", 0}, 1000, 0, 1, 200, U(900, 1), 'K', 0, "", 0, 0},
  /* mailSizeMax against SIZE= */
  {"sizemax: SIZE equal", 'R', A, QLV_ENTRY, 0, {JOE, "mailSizeMax=1000", 0}, 0, 0, 1, 1000, NOU, 'K', 0, "", 0, 0},
  {"sizemax: SIZE bigger", 'R', A, QLV_ENTRY, 0, {JOE, "mailSizeMax=1000", 0}, 0, 0, 1, 1001, NOU, 'D', 552, SIZEMAX, 0, 0},
  {"sizemax: no SIZE", 'R', A, QLV_ENTRY, 0, {JOE, "mailSizeMax=1000", 0}, 0, 0, 0, 0, NOU, 'K', 0, "", 0, 0},
  {"sizemax: sender never", 'S', A, QLV_ENTRY, 0, {JOE, "mailSizeMax=1000", 0}, 0, 0, 1, 5000, NOU, 'K', 0, "", 0, 0},
  {"sizemax: 0 is none", 'R', A, QLV_ENTRY, 0, {JOE, "mailSizeMax=0", 0}, 0, 0, 1, 5000, NOU, 'K', 0, "", 0, 0},
  {"sizemax before quota", 'R', A, QLV_ENTRY, 0, {JOE, "mailSizeMax=1000", "mailQuotaSize=1000", 0}, 0, 0, 1, 2000,
   U(1000, 1), 'D', 552, SIZEMAX, 0, 0},
  {"disabled before sizemax", 'R', A, QLV_ENTRY, 0, {JOE, "mailSizeMax=1000", "accountStatus=disabled", 0}, 0, 0, 1, 2000,
   NOU, 'D', 554, DISABLED, 0, 0},
  /* which Maildir the quota is checked in (as qmail-local delivers) */
  {"home + store", 'R', A, QLV_ENTRY, 0, {JOE, "mailMessageStore=/m/joe/Maildir/", "mailQuotaSize=10", 0}, 0, 0, 0, 0,
   U(10, 1), 'D', 552, OVER, 1, "/m/joe/Maildir/"},
  {"home + relative store", 'R', A, QLV_ENTRY, 0, {JOE, "mailMessageStore=Mail/", 0}, 0, 0, 0, 0, NOU, 'K', 0, "", 0,
   "/home/joe/Mail/"},
  {"store only", 'R', A, QLV_ENTRY, 0, {"uid=joe", "qmailUID=7001", "qmailGID=7001", "mailMessageStore=/m/joe", 0}, 0, 0, 0, 0,
   NOU, 'K', 0, "", 0, "/m/joe/Maildir/"},
  {"relative store + ldapmessagestore", 'R', A, QLV_ENTRY, 0, {"uid=joe", "qmailUID=7001", "qmailGID=7001", "mailMessageStore=joe", 0},
   0, 0, 0, 0, NOU, 'K', 0, "", 0, "/var/mail/joe/Maildir/"},
  {"mbox: no Maildir to check", 'R', A, QLV_ENTRY, 0, {JOE, "mailMessageStore=/m/joe/mbox", "mailQuotaSize=10", 0}, 0, 0, 0, 0,
   U(10, 1), 'K', 0, "", 0, ""},
  {"nolocal: no Maildir", 'R', A, QLV_ENTRY, 0, {JOE, "deliveryMode=nolocal", "mailForwardingAddress=x@y", "mailQuotaSize=10", 0},
   0, 0, 0, 0, U(10, 1), 'K', 0, "", 0, ""},
  {"dotonly: ~/.qmail decides", 'R', A, QLV_ENTRY, 0, {JOE, "qmailDotMode=dotonly", "mailQuotaSize=10", 0}, 0, 0, 0, 0,
   U(10, 1), 'K', 0, "", 0, ""},
  {"forward-only entry", 'R', A, QLV_ENTRY, 0, {"mailForwardingAddress=x@y", 0}, 10, 0, 0, 0, U(10, 1), 'K', 0, "", 0, ""},
  /* entries delivery refuses for their configuration, or another host's */
  {"illegal qmailUID: delivery decides", 'R', A, QLV_ENTRY, 0, {JOE, "qmailUID=abc", 0}, 0, 0, 0, 0, NOU, 'K', 0, "", 0, 0},
  {"cluster: another host", 'R', A, QLV_ENTRY, 0, {JOE, "mailHost=mx2.example.com", "mailQuotaSize=10", 0}, 0, 0, 0, 0,
   U(10, 1), 'K', 0, "", 0, 0},
  {"cluster: this host", 'R', A, QLV_ENTRY, 0, {JOE, "mailHost=MX1.example.com", "mailQuotaSize=10", 0}, 0, 0, 0, 0,
   U(10, 1), 'D', 552, OVER, 1, 0},
  {"cluster: disabled still refused", 'R', A, QLV_ENTRY, 0, {JOE, "mailHost=mx2.example.com", "accountStatus=disabled", 0}, 0, 0,
   0, 0, NOU, 'D', 554, DISABLED, 0, 0},
};

/* INTERNALS 9: text at most 500 printable bytes, ending in (#x.y.z) */
static int text_ok(const char *t, char kind)
{
  size_t n = strlen(t);
  for (size_t i = 0; i < n; ++i)
    if (t[i] < 0x20 || t[i] > 0x7e) return 0;
  /* "(#x.y.z)": x is 5 for a refusal, 4 for a temporary answer */
  return n <= 500 && n >= 8 && t[n - 1] == ')' && !strncmp(t + n - 8, "(#", 2) && t[n - 6] == (kind == 'D' ? '5' : '4');
}

static void t_rows(void **st)
{
  (void)st;
  for (size_t i = 0; i < sizeof rows / sizeof rows[0]; ++i) {
    const struct row *w = &rows[i];
    struct qlp_config c = cfg(w->defsize, w->defcount);
    struct qldap_entry e;
    struct qlv_mailbox m;
    struct qlv_reply r;
    struct usage u = {w->usize, w->ucount};
    qlv_mailbox_init(&m);
    mk(&e, w->kv);
    if (w->found == QLV_ENTRY) qlv_mailbox(&e, &c, &m);
    qlv_decide(w->kind, w->addr, w->found, w->why, w->found == QLV_ENTRY ? &m : NULL, w->hassize, w->size,
               w->known ? &u : NULL, &r);
    if (r.kind != w->want || r.code != w->code || strcmp(r.text, w->text) || r.quota != w->quota)
      fail_msg("%s: got %c%u \"%s\" quota %d, want %c%u \"%s\" quota %d", w->name, r.kind, r.code, r.text, r.quota,
               w->want, w->code, w->text, w->quota);
    if (w->want == 'K' ? *r.text != 0 : !text_ok(r.text, r.kind)) fail_msg("%s: text \"%s\" breaks INTERNALS 9", w->name, r.text);
    if ((w->want == 'D' && (r.code < 500 || r.code > 599)) || (w->want == 'Z' && (r.code < 400 || r.code > 499)))
      fail_msg("%s: code %u for %c", w->name, r.code, r.kind);
    if (w->maildir && strcmp(m.maildir.s ? m.maildir.s : "", w->maildir))
      fail_msg("%s: maildir got \"%s\" want \"%s\"", w->name, m.maildir.s ? m.maildir.s : "", w->maildir);
    qlv_mailbox_free(&m);
    qldap_entry_free(&e);
  }
}

/* the mailbox facts delivery would use: uid, gid, the quota string */
static void t_mailbox(void **st)
{
  static const char *const kv[] = {JOE, "mailQuotaSize=5000", "mailQuotaCount=7", "mailSizeMax=99", 0};
  struct qlp_config c = cfg(0, 0);
  struct qldap_entry e;
  struct qlv_mailbox m;
  (void)st;
  qlv_mailbox_init(&m);
  mk(&e, kv);
  assert_int_equal(qlv_mailbox(&e, &c, &m), QLV_BOX_OK);
  assert_string_equal(m.quotadef.s, "5000S,7C");
  assert_true(m.quota.size == 5000 && m.quota.count == 7 && m.sizemax == 99);
  assert_true(m.uid == 7001 && m.gid == 7001);
  assert_string_equal(m.maildir.s, "/home/joe/Maildir/");
  /* reused for another entry: nothing of the first stays */
  qldap_entry_free(&e);
  static const char *const kv2[] = {JOE, "accountStatus=disabled", 0};
  mk(&e, kv2);
  assert_int_equal(qlv_mailbox(&e, &c, &m), QLV_BOX_DISABLED);
  assert_true(m.quota.size == 0 && m.sizemax == 0 && m.maildir.len == 0);
  qldap_entry_free(&e);
  /* a relative default delivery with a ./ prefix and a second line */
  c.aliasempty = "|/bin/true\n./Mail/box/\n./Other/\n";
  static const char *const kv3[] = {JOE, 0};
  mk(&e, kv3);
  assert_int_equal(qlv_mailbox(&e, &c, &m), QLV_BOX_OK);
  assert_string_equal(m.maildir.s, "/home/joe/Mail/box/");
  qldap_entry_free(&e);
  /* a home with a trailing slash: no double slash */
  static const char *const kv4[] = {"uid=joe", "qmailUID=7001", "qmailGID=7001", "homeDirectory=/home/joe/", 0};
  c.aliasempty = "./";
  mk(&e, kv4);
  assert_int_equal(qlv_mailbox(&e, &c, &m), QLV_BOX_OK);
  assert_string_equal(m.maildir.s, "/home/joe/");
  qldap_entry_free(&e);
  qlv_mailbox_free(&m);
}

static void t_format(void **st)
{
  static const struct { struct qlv_reply r; const char *want; size_t n; } cases[] = {
    {{'K', 0, "", 0}, "K", 2},
    {{'D', 554, "Sorry, no mailbox here by that name. (#5.1.1)", 0}, "D554 Sorry, no mailbox here by that name. (#5.1.1)", 51},
    {{'Z', 451, "Temporary failure in directory lookup. (#4.4.3)", 0}, "Z451 Temporary failure in directory lookup. (#4.4.3)", 53},
  };
  (void)st;
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; ++i) {
    sb out = SB_INIT;
    assert_true(qlv_format(&cases[i].r, &out));
    if (out.len != cases[i].n || memcmp(out.s, cases[i].want, cases[i].n))
      fail_msg("format %zu: got \"%.*s\" (%zu bytes) want \"%s\" (%zu)", i, (int)out.len, out.s, out.len, cases[i].want,
               cases[i].n);
    assert_int_equal(out.s[out.len - 1], 0);
    sb_free(&out);
  }
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(t_rows),
    cmocka_unit_test(t_mailbox),
    cmocka_unit_test(t_format),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
