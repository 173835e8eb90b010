#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>
#include "base64.h"

const char *progname = "test_base64";

static void t_vectors(void **st)
{
  (void)st;
  static const char *const plain[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
  static const char *const enc[] = {"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
  for (size_t i = 0; i < 7; ++i) {
    sb o = SB_INIT;
    assert_true(b64_encode(&o, plain[i], strlen(plain[i])));
    assert_string_equal(o.s, enc[i]);
    o.len = 0;
    assert_int_equal(b64_decode(&o, enc[i], strlen(enc[i])), 1);
    assert_int_equal(o.len, strlen(plain[i]));
    assert_memory_equal(o.s, plain[i], o.len);
    sb_free(&o);
  }
}

static void t_binary(void **st)
{
  (void)st;
  unsigned char all[256];
  sb e = SB_INIT, d = SB_INIT;
  for (int i = 0; i < 256; ++i) all[i] = (unsigned char)i;
  assert_true(b64_encode(&e, all, sizeof all));
  assert_int_equal(b64_decode(&d, e.s, e.len), 1);
  assert_int_equal(d.len, 256);
  assert_memory_equal(d.s, all, 256);
  e.len = 0;
  assert_true(b64_encode(&e, "\0joe\0secret", 11));      /* AUTH PLAIN */
  assert_string_equal(e.s, "AGpvZQBzZWNyZXQ=");
  sb_free(&e);
  sb_free(&d);
}

static void t_bad(void **st)
{
  (void)st;
  static const char *const bad[] = {"Zg=", "Zg", "Z===", "Zg==Zg==", "Zm9v!", "Zm 9v", "=Zm9", "Zm=v", "Zg=a"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; ++i) {
    sb o = SB_INIT;
    if (b64_decode(&o, bad[i], strlen(bad[i])) != 0) fail_msg("accepted %s", bad[i]);
    sb_free(&o);
  }
}

int main(void)
{
  const struct CMUnitTest tests[] = {cmocka_unit_test(t_vectors), cmocka_unit_test(t_binary), cmocka_unit_test(t_bad)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
