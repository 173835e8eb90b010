#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>
#include "qrfmt.h"

const char *progname = "test_qrfmt";

static void t_info(void **st)
{
  static const struct { const char *buf; size_t len; int ok; const char *sender; } c[] = {
    {"Fa@b\0", 5, 1, "a@b"},
    {"u1000\0p42\0Fa@b\0", 15, 1, "a@b"},
    {"Fa@b\0u1000\0p42\0", 15, 1, "a@b"},
    {"F\0", 2, 1, ""},
    {"Fa@b", 4, 0, 0},
    {"u1000\0", 6, 0, 0},
    {"", 0, 0, 0},
    {"\0\0Fx\0", 5, 1, "x"},
    {"u1000\0Fa", 8, 0, 0},
  };
  sb s = SB_INIT;
  (void)st;
  for (size_t i = 0; i < sizeof c / sizeof c[0]; ++i) {
    int r = qr_info_sender(c[i].buf, c[i].len, &s);
    if (r != c[i].ok) fail_msg("case %zu: r=%d", i, r);
    if (r && strcmp(s.s, c[i].sender)) fail_msg("case %zu: [%s]", i, s.s);
  }
  sb_free(&s);
}

static void t_lines(void **st)
{
  sb o = SB_INIT;
  (void)st;
  assert_true(qr_stats(&o, 1000000000, 123, 2048, "a@b", 3, 0));
  assert_string_equal(o.s, "9 Sep 2001 01:46:40 GMT  #123  2048  <a@b> \n");
  o.len = 0;
  assert_true(qr_stats(&o, 1000000000, 1, 0, "a\nb\x80", 4, 1));
  assert_string_equal(o.s, "9 Sep 2001 01:46:40 GMT  #1  0  <a_b_>  bouncing\n");
  o.len = 0;
  assert_true(qr_rcpt(&o, 0, 0, "x@y", 3));
  assert_true(qr_rcpt(&o, 1, 1, "z@w", 3));
  assert_string_equal(o.s, "\tlocal\tx@y\n  done\tremote\tz@w\n");
  sb_free(&o);
}

int main(void)
{
  const struct CMUnitTest tests[] = { cmocka_unit_test(t_info), cmocka_unit_test(t_lines) };
  return cmocka_run_group_tests(tests, 0, 0);
}
