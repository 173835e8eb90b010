/* xtext (RFC 3461): the AUTH= parameter qmail-remote sends. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>
#include "xtext.h"

const char *progname = "test_xtext";

static void t_encode(void **st)
{
  (void)st;
  static const struct { const char *in; size_t n; const char *want; } c[] = {
    {"joe@example.com", 15, "joe@example.com"},
    {"a+b@example.com", 15, "a+2Bb@example.com"},
    {"a=b@x", 5, "a+3Db@x"},
    {"\"a b\"@x", 7, "\"a+20b\"@x"},
    {"!~", 2, "!~"},                              /* 33 and 126 pass */
    {"\x7f\x80\xff", 3, "+7F+80+FF"},
    {"a\0b", 3, "a+00b"},
    {"\t\r\n", 3, "+09+0D+0A"},
    {"", 0, ""},
  };
  for (size_t i = 0; i < sizeof c / sizeof c[0]; ++i) {
    sb o = SB_INIT;
    assert_true(sb_cats(&o, ""));
    assert_true(xtext_encode(&o, c[i].in, c[i].n));
    if (o.len != strlen(c[i].want) || memcmp(o.s, c[i].want, o.len))
      print_error("case %zu: got [%.*s] want [%s]\n", i, (int)o.len, o.s, c[i].want);
    assert_int_equal(o.len, strlen(c[i].want));
    assert_memory_equal(o.s, c[i].want, o.len);
    sb_free(&o);
  }
}

/* every byte: xtext output is only 33..126 without '=', and '+' starts a hex pair */
static void t_allbytes(void **st)
{
  (void)st;
  for (int b = 0; b < 256; ++b) {
    char in = (char)b;
    sb o = SB_INIT;
    assert_true(xtext_encode(&o, &in, 1));
    int plain = b >= 33 && b <= 126 && b != '+' && b != '=';
    assert_int_equal(o.len, plain ? 1 : 3);
    for (size_t i = 0; i < o.len; ++i) {
      assert_true(o.s[i] >= 33 && o.s[i] <= 126);
      assert_true(o.s[i] != '=');
    }
    sb_free(&o);
  }
}

int main(void)
{
  const struct CMUnitTest tests[] = {cmocka_unit_test(t_encode), cmocka_unit_test(t_allbytes)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
