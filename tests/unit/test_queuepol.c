#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>
#include "queuepol.h"

const char *progname = "test_queuepol";

static void t_received(void **st)
{
  static const struct { int kind; const char *want; } c[] = {
    {QP_UID, "Received: (qmail 42 invoked by uid 1000); Sun, 9 Sep 2001 01:46:40 +0000\n"},
    {QP_ALIAS, "Received: (qmail 42 invoked by alias); Sun, 9 Sep 2001 01:46:40 +0000\n"},
    {QP_NETWORK, "Received: (qmail 42 invoked from network); Sun, 9 Sep 2001 01:46:40 +0000\n"},
    {QP_BOUNCE, "Received: (qmail 42 invoked for bounce); Sun, 9 Sep 2001 01:46:40 +0000\n"},
  };
  sb out = SB_INIT;
  (void)st;
  for (size_t i = 0; i < sizeof c / sizeof c[0]; ++i) {
    out.len = 0;
    assert_true(qp_received(&out, 42, 1000, c[i].kind, 1000000000));
    assert_string_equal(out.s, c[i].want);
  }
  sb_free(&out);
}

static void joined(const sb *a, sb *out)
{
  out->len = 0;
  sb_cats(out, "");
  for (size_t i = 0; i < a->len; i += strlen(a->s + i) + 1) {
    if (i) sb_catc(out, '|');
    sb_cats(out, a->s + i);
  }
}

static void t_bigbrother(void **st)
{
  static const char list[] = "boss@corp.example:watcher@corp.example\0@spy.example:nsa@x.org\0"
                             "nocolon\0empty@x.org:\0Boss@Corp.Example:watcher@corp.example\0"
                             "boss@corp.example:second@x.org\0@:odd@x.org\0";
  static const struct { const char *addr, *want; } c[] = {
    {"boss@corp.example", "watcher@corp.example|second@x.org"},
    {"BOSS@corp.EXAMPLE", "watcher@corp.example|second@x.org"},
    {"anyone@spy.example", "nsa@x.org"},
    {"a@b@spy.example", "nsa@x.org"},
    {"anyone@sub.spy.example", ""},
    {"spy.example", ""},
    {"empty@x.org", ""},
    {"nocolon", ""},
    {"", ""},
    {"x@", ""},
  };
  sb obs = SB_INIT, j = SB_INIT;
  (void)st;
  for (size_t i = 0; i < sizeof c / sizeof c[0]; ++i) {
    obs.len = 0;
    assert_true(qp_bigbrother(list, sizeof list - 1, c[i].addr, strlen(c[i].addr), &obs));
    joined(&obs, &j);
    if (strcmp(j.s, c[i].want)) fail_msg("%s: got [%s] want [%s]", c[i].addr, j.s, c[i].want);
  }
  /* observers accumulate over the envelope without repeats */
  obs.len = 0;
  assert_true(qp_bigbrother(list, sizeof list - 1, "a@spy.example", 13, &obs));
  assert_true(qp_bigbrother(list, sizeof list - 1, "b@spy.example", 13, &obs));
  joined(&obs, &j);
  assert_string_equal(j.s, "nsa@x.org");
  /* a list without a final NUL is read up to its end */
  obs.len = 0;
  assert_true(qp_bigbrother("a@b:c@d", 7, "a@b", 3, &obs));
  joined(&obs, &j);
  assert_string_equal(j.s, "c@d");
  sb_free(&obs); sb_free(&j);
}

int main(void)
{
  const struct CMUnitTest tests[] = { cmocka_unit_test(t_received), cmocka_unit_test(t_bigbrother) };
  return cmocka_run_group_tests(tests, 0, 0);
}
