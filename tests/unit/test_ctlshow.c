#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>
#include "ctl.h"
#include "ctlshow.h"

const char *progname = "test_ctlshow";

static const struct ctl_def conc = {"concurrencylocal", CTL_INT, "10", "qmail-send", "max local",
                                    "Local concurrency is %s.", NULL};
static const struct ctl_def pw = {"ldappassword", CTL_LINE, "", "x", "bind password",
                                  "LDAP password is set (not shown).", "No LDAP password."};
static const struct ctl_def loc = {"locals", CTL_LIST, "$me", "qmail-send", "local domains",
                                   "Messages for %s are delivered locally.", "No local domains."};
static const struct ctl_def bare = {"newfile", CTL_LINE, NULL, "x", "something new", NULL, NULL};
static const struct ctl_def cbt = {"custombouncetext", CTL_RAW, NULL, "qmail-send", "text", "%s",
                                   "No custombouncetext."};
static const struct ctl_def lcdb = {"locals.cdb", CTL_CDB, NULL, "qmail-send", "cdb of locals",
                                    "Used instead of locals (%s entries).", NULL};

static void want(sb *o, const char *w)
{
  if (!sb_cat0(o)) fail_msg("nomem");
  if (strcmp(o->s, w)) fail_msg("got [%s]\nwant [%s]", o->s, w);
  o->len = 0;
}

static void t_phrase(void **st)
{
  sb o = SB_INIT;
  (void)st;
  assert_true(ctlshow_phrase(&o, &conc, "15", 2));
  want(&o, "Local concurrency is 15.");
  assert_true(ctlshow_phrase(&o, &pw, "secret", 6));
  want(&o, "LDAP password is set (not shown).");
  assert_true(ctlshow_phrase(&o, &bare, "v", 1));
  want(&o, "v (something new)");
  assert_true(ctlshow_phrase(&o, &conc, "a\tb\x7f\xff" "c", 6));
  want(&o, "Local concurrency is a?b??c.");
  assert_true(ctlshow_phrase(&o, &conc, "", 0));
  want(&o, "Local concurrency is .");
  sb_free(&o);
}

static void t_scalar(void **st)
{
  static const struct { const struct ctl_def *d; int r, err; const char *v, *want; } c[] = {
    {&conc, 1, 0, "15", "concurrencylocal: Local concurrency is 15.\n"},
    {&conc, 0, 0, "10", "concurrencylocal: (Default.) Local concurrency is 10.\n"},
    {&conc, -1, EINVAL, "", "concurrencylocal: Oops! Not a number.\n"},
    {&conc, -1, EACCES, "", "concurrencylocal: Oops! Trouble reading this file: Permission denied.\n"},
    {&conc, 0, 0, "", "concurrencylocal: (Default.) Not set.\n"},
    {&pw, 1, 0, "s3cret", "ldappassword: LDAP password is set (not shown).\n"},
    {&pw, 1, 0, "", "ldappassword: No LDAP password.\n"},
    {&pw, 0, 0, "", "ldappassword: (Default.) No LDAP password.\n"},
    {&bare, 1, 0, "x", "newfile: x (something new)\n"},
  };
  sb o = SB_INIT;
  (void)st;
  for (size_t i = 0; i < sizeof c / sizeof c[0]; ++i) {
    assert_true(ctlshow_scalar(&o, c[i].d, c[i].r, c[i].err, c[i].v, strlen(c[i].v)));
    want(&o, c[i].want);
  }
  sb_free(&o);
}

static void t_list(void **st)
{
  sb o = SB_INIT;
  (void)st;
  assert_true(ctlshow_list(&o, &loc, 1, 0, "a.example\0b.example\0", 20));
  want(&o, "locals:\nMessages for a.example are delivered locally.\n"
           "Messages for b.example are delivered locally.\n");
  assert_true(ctlshow_list(&o, &loc, 0, 0, "me.example\0", 11));
  want(&o, "locals: (Default.) Messages for me.example are delivered locally.\n");
  assert_true(ctlshow_list(&o, &loc, 0, 0, "", 0));
  want(&o, "locals: (Default.) No local domains.\n");
  assert_true(ctlshow_list(&o, &loc, 1, 0, "", 0));
  want(&o, "locals: Empty file. No local domains.\n");
  assert_true(ctlshow_list(&o, &loc, -1, EIO, "", 0));
  want(&o, "locals: Oops! Trouble reading this file: Input/output error.\n");
  /* an entry missing its final \0 still ends at the buffer */
  assert_true(ctlshow_list(&o, &loc, 1, 0, "x", 1));
  want(&o, "locals:\nMessages for x are delivered locally.\n");
  sb_free(&o);
}

static void t_raw(void **st)
{
  static const struct { int r; const char *text, *want; } c[] = {
    {1, "one\ntwo\n", "custombouncetext:\none\ntwo\n"},
    {1, "one\ntwo", "custombouncetext:\none\ntwo\n"},
    {1, "one\n\nthree\n", "custombouncetext:\none\n\nthree\n"},
    {1, "\n", "custombouncetext: Empty file. No custombouncetext.\n"},
    {1, "", "custombouncetext: Empty file. No custombouncetext.\n"},
    {0, "", "custombouncetext: (Default.) No custombouncetext.\n"},
    {0, "./Maildir/", "custombouncetext: (Default.) ./Maildir/\n"},
    {1, "a\rb\x01\n", "custombouncetext:\na?b?\n"},
  };
  sb o = SB_INIT;
  (void)st;
  for (size_t i = 0; i < sizeof c / sizeof c[0]; ++i) {
    assert_true(ctlshow_raw(&o, &cbt, c[i].r, 0, c[i].text, strlen(c[i].text)));
    want(&o, c[i].want);
  }
  sb_free(&o);
}

static void t_cdb(void **st)
{
  sb o = SB_INIT;
  (void)st;
  assert_true(ctlshow_cdb(&o, &lcdb, 0, ENOENT, -1, NULL, 0));
  want(&o, "locals.cdb: (Default.) No effect.\n");
  assert_true(ctlshow_cdb(&o, &lcdb, 1, 0, -1, "locals", 0));
  want(&o, "locals.cdb: Oops! This is not a valid cdb file.\n");
  assert_true(ctlshow_cdb(&o, &lcdb, 1, 0, 3, NULL, 0));
  want(&o, "locals.cdb: Used instead of locals (3 entries).\n");
  assert_true(ctlshow_cdb(&o, &lcdb, 1, 0, 0, "locals", 0));
  want(&o, "locals.cdb: Used instead of locals (0 entries). Modified after locals; hopefully up to date.\n");
  assert_true(ctlshow_cdb(&o, &lcdb, 1, 0, 2, "locals", 1));
  want(&o, "locals.cdb: Used instead of locals (2 entries). Oops! locals.cdb is older than locals; rebuild it.\n");
  assert_true(ctlshow_cdb(&o, &lcdb, -1, EACCES, -1, NULL, 0));
  want(&o, "locals.cdb: Oops! Trouble reading this file: Permission denied.\n");
  sb_free(&o);
}

static void t_misc(void **st)
{
  sb o = SB_INIT;
  (void)st;
  assert_true(ctlshow_obsolete(&o, ctl_find("tarpitcount")));
  want(&o, "tarpitcount: No longer used, please remove. (now the environment variable TARPITCOUNT)\n");
  assert_true(ctlshow_obsolete(&o, ctl_find("ldapusername")));
  want(&o, "ldapusername: No longer used, please remove.\n");
  assert_true(ctlshow_unknown(&o, "weird\nname"));
  want(&o, "weird?name: I have no idea what this file does.\n");
  sb_free(&o);
}

static void t_cdbsource(void **st)
{
  static const struct { const char *cdb, *src; } c[] = {
    {"locals.cdb", "locals"}, {"rcpthosts.cdb", "rcpthosts"},
    {"morercpthosts.cdb", "morercpthosts"}, {"qmail-smtpd.cdb", "qmail-smtpd.rules"},
  };
  (void)st;
  for (size_t i = 0; i < sizeof c / sizeof c[0]; ++i) {
    const struct ctl_def *d = ctl_find(c[i].cdb), *s;
    if (!d) fail_msg("%s not in the table", c[i].cdb);
    s = ctlshow_cdbsource(d);
    if (!s || strcmp(s->name, c[i].src)) fail_msg("%s: source %s", c[i].cdb, s ? s->name : "none");
  }
  assert_null(ctlshow_cdbsource(&conc));
  static const struct ctl_def odd = {"x.cdb", CTL_CDB, NULL, "", "", NULL, NULL};
  static const struct ctl_def shrt = {".cdb", CTL_CDB, NULL, "", "", NULL, NULL};
  assert_null(ctlshow_cdbsource(&odd));
  assert_null(ctlshow_cdbsource(&shrt));
}

/* the wording in the one table: at most one "%s" per show, and every
 * row's wording renders */
static void t_table(void **st)
{
  sb o = SB_INIT;
  (void)st;
  for (unsigned i = 0; i < ctl_count; ++i) {
    const struct ctl_def *d = &ctl_table[i];
    if (d->show) {
      const char *p = strstr(d->show, "%s");
      if (p && strstr(p + 2, "%s")) fail_msg("%s: two %%s", d->name);
    }
    if (d->type == CTL_OBSOLETE) {
      assert_true(ctlshow_obsolete(&o, d));
    } else if (d->type == CTL_CDB) {
      assert_true(ctlshow_cdb(&o, d, 1, 0, 5, NULL, 0));
      assert_true(ctlshow_cdb(&o, d, 0, 0, -1, NULL, 0));
    } else {
      assert_true(ctlshow_scalar(&o, d, 1, 0, "v", 1));
      assert_true(ctlshow_list(&o, d, 0, 0, "", 0));
    }
  }
  sb_free(&o);
}

static void t_cdbkey(void **st)
{
  static const struct { const char *line; int r; const char *key; } c[] = {
    {"Foo.Example", 1, "foo.example"},
    {"foo.example  \t\r", 1, "foo.example"},
    {"  \tSpaced.Example", 1, "spaced.example"},
    {"#comment", 0, ""},
    {"  # indented comment", 0, ""},
    {"", 0, ""},
    {" \t\r", 0, ""},
    {"a#b", 1, "a#b"},
    {"@Dom.Example", 1, "@dom.example"},
    {"two\nlines", -1, ""},
  };
  sb k = SB_INIT;
  (void)st;
  for (size_t i = 0; i < sizeof c / sizeof c[0]; ++i) {
    int r = ctl_cdbkey(c[i].line, strlen(c[i].line), &k);
    if (r != c[i].r) fail_msg("[%s]: got %d want %d", c[i].line, r, c[i].r);
    if (r == 1 && (k.len != strlen(c[i].key) || memcmp(k.s, c[i].key, k.len)))
      fail_msg("[%s]: key [%.*s] want [%s]", c[i].line, (int)k.len, k.s, c[i].key);
  }
  /* a NUL inside is kept as part of the key (qmail-cdb rejects it earlier) */
  assert_int_equal(ctl_cdbkey("A\0B", 3, &k), 1);
  assert_int_equal(k.len, 3);
  assert_memory_equal(k.s, "a\0b", 3);
  sb_free(&k);
}

int main(void)
{
  const struct CMUnitTest t[] = {
    cmocka_unit_test(t_phrase), cmocka_unit_test(t_scalar), cmocka_unit_test(t_list),
    cmocka_unit_test(t_raw), cmocka_unit_test(t_cdb), cmocka_unit_test(t_misc),
    cmocka_unit_test(t_cdbsource), cmocka_unit_test(t_table), cmocka_unit_test(t_cdbkey),
  };
  return cmocka_run_group_tests(t, 0, 0);
}
