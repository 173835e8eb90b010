#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>
#include "auto.h"
#include "queue.h"

const char *progname = "test_queue";

static void t_qpath(void **st)
{
  static const char *hashed[] = {"mess", "intd", "todo", "info", "local", "remote"};
  static const char *flat[] = {"bounce", "pid", "lock", "mess2", "", "Mess"};
  static const uint64_t ids[] = {0, 1, AUTO_SPLIT - 1, AUTO_SPLIT, 123456, UINT64_MAX};
  sb p = SB_INIT;
  char want[128];
  (void)st;
  assert_int_equal(qsplit(), AUTO_SPLIT);
  for (size_t d = 0; d < sizeof hashed / sizeof hashed[0]; ++d) {
    assert_true(qdir_hashed(hashed[d]));
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; ++i) {
      assert_true(qpath(&p, hashed[d], ids[i]));
      snprintf(want, sizeof want, "%s/%llu/%llu", hashed[d],
               (unsigned long long)(ids[i] % AUTO_SPLIT), (unsigned long long)ids[i]);
      assert_string_equal(p.s, want);
      assert_int_equal(p.len, strlen(want));
    }
  }
  for (size_t d = 0; d < sizeof flat / sizeof flat[0]; ++d) {
    assert_false(qdir_hashed(flat[d]));
    assert_true(qpath(&p, flat[d], 42));
    snprintf(want, sizeof want, "%s/42", flat[d]);
    assert_string_equal(p.s, want);
  }
  /* qpath replaces, it does not append */
  assert_true(qpath(&p, "mess", 5));
  assert_true(qpath(&p, "bounce", 5));
  assert_string_equal(p.s, "bounce/5");
  sb_free(&p);
}

#define E(s) s, sizeof s - 1

static void t_parse_good(void **st)
{
  struct envelope e;
  (void)st;
  envelope_init(&e);
  assert_int_equal(envelope_parse(E("u5\0p77\0Fs@x\0Ta@b\0Tc@d\0\0"), &e), 0);
  assert_true(e.has_uid && e.has_pid);
  assert_int_equal(e.uid, 5);
  assert_int_equal(e.pid, 77);
  assert_string_equal(e.sender.s, "s@x");
  assert_int_equal(e.nrcpt, 2);
  assert_int_equal(e.rcpts.len, 8);
  assert_memory_equal(e.rcpts.s, "a@b\0c@d\0", 8);

  /* qmail-queue's input form: no u/p; empty sender is a bounce */
  assert_int_equal(envelope_parse(E("F\0Tx@y\0\0"), &e), 0);
  assert_false(e.has_uid || e.has_pid);
  assert_int_equal(e.sender.len, 0);
  assert_int_equal(e.nrcpt, 1);
  /* no recipients at all is well-formed */
  assert_int_equal(envelope_parse(E("Fs\0\0"), &e), 0);
  assert_int_equal(e.nrcpt, 0);
  assert_int_equal(e.rcpts.len, 0);
  /* the double-bounce sender */
  assert_int_equal(envelope_parse(E("F#@[]\0Tpostmaster@h\0\0"), &e), 0);
  assert_string_equal(e.sender.s, "#@[]");
  envelope_free(&e);
}

static void t_parse_bad(void **st)
{
  static const struct { const char *s; size_t n; const char *why; } c[] = {
    {E(""), "empty"},
    {E("\0"), "terminator without F"},
    {E("F"), "no NUL"},
    {E("Fa@b"), "no NUL after F"},
    {E("Fa@b\0"), "no terminator"},
    {E("Fa@b\0Tc@d\0"), "no terminator after T"},
    {E("Fa@b\0\0x"), "trailing byte"},
    {E("Fa@b\0\0\0"), "trailing NUL"},
    {E("Fa@b\0Tc@d\0\0Te@f\0\0"), "second envelope"},
    {E("Tc@d\0\0"), "missing F"},
    {E("Tc@d\0Fa@b\0\0"), "T before F"},
    {E("Fa@b\0T\0\0"), "empty T"},
    {E("Fa@b\0Fc@d\0\0"), "two F"},
    {E("Fa@b\0u1\0\0"), "u after F"},
    {E("Fa@b\0p1\0\0"), "p after F"},
    {E("ux\0Fa@b\0\0"), "bad uid"},
    {E("u\0Fa@b\0\0"), "empty uid"},
    {E("u-1\0Fa@b\0\0"), "negative uid"},
    {E("u18446744073709551616\0Fa@b\0\0"), "uid overflow"},
    {E("p1 \0Fa@b\0\0"), "pid with blank"},
    {E("Xa\0Fa@b\0\0"), "unknown record"},
    {E("Fa@b\0Xc\0\0"), "unknown record after F"},
  };
  struct envelope e;
  (void)st;
  envelope_init(&e);
  for (size_t i = 0; i < sizeof c / sizeof c[0]; ++i)
    if (envelope_parse(c[i].s, c[i].n, &e) != -1) fail_msg("accepted: %s", c[i].why);
  envelope_free(&e);
}

/* Every proper prefix of a good envelope (a short read) must be rejected. */
static void t_prefixes(void **st)
{
  static const char good[] = "u1\0p2\0Fs@x\0Ta@b\0Tc@d\0";   /* + the final \0 below */
  struct envelope e;
  (void)st;
  envelope_init(&e);
  for (size_t n = 0; n < sizeof good; ++n)
    if (envelope_parse(good, n, &e) != -1) fail_msg("prefix of %zu bytes accepted", n);
  assert_int_equal(envelope_parse(good, sizeof good, &e), 0);
  envelope_free(&e);
}

static void t_roundtrip(void **st)
{
  struct envelope e, f;
  sb out = SB_INIT;
  (void)st;
  envelope_init(&e);
  envelope_init(&f);
  assert_int_equal(envelope_parse(E("u1000\0p4242\0Fme@h\0Tone@x\0Ttwo@y\0Tthree@z\0\0"), &e), 0);
  assert_true(envelope_encode(&e, &out));
  assert_int_equal(out.len, sizeof "u1000\0p4242\0Fme@h\0Tone@x\0Ttwo@y\0Tthree@z\0\0" - 1);
  assert_memory_equal(out.s, "u1000\0p4242\0Fme@h\0Tone@x\0Ttwo@y\0Tthree@z\0\0", out.len);
  assert_int_equal(envelope_parse(out.s, out.len, &f), 0);
  assert_int_equal(f.nrcpt, 3);
  assert_int_equal(f.uid, 1000);
  assert_string_equal(f.sender.s, "me@h");
  /* without u/p records */
  assert_int_equal(envelope_parse(E("F\0Tx\0\0"), &e), 0);
  assert_true(envelope_encode(&e, &out));
  assert_int_equal(out.len, 6);
  assert_memory_equal(out.s, "F\0Tx\0\0", 6);
  sb_free(&out);
  envelope_free(&e);
  envelope_free(&f);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(t_qpath), cmocka_unit_test(t_parse_good), cmocka_unit_test(t_parse_bad),
    cmocka_unit_test(t_prefixes), cmocka_unit_test(t_roundtrip),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
