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

/* For every byte value, the one canonical encoding of a 1- and 2-byte
 * string decodes and each of its non-canonical siblings is refused. */
static void t_canonical(void **st)
{
  (void)st;
  static const char al[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  for (int v = 0; v < 256; ++v) {
    unsigned char two[2] = {(unsigned char)v, (unsigned char)(255 - v)};
    for (size_t n = 1; n <= 2; ++n) {
      sb e = SB_INIT, o = SB_INIT;
      assert_true(b64_encode(&e, two, n));
      size_t at = n == 1 ? 1 : 2;                   /* the char with unused bits */
      int unused = n == 1 ? 15 : 3;
      const char *p = strchr(al, e.s[at]);
      assert_non_null(p);
      int base = (int)(p - al) & ~unused;
      for (int k = 0; k <= unused; ++k) {
        e.s[at] = al[base + k];
        o.len = 0;
        int r = b64_decode(&o, e.s, e.len);
        if (k == 0) {
          if (r != 1 || o.len != n || memcmp(o.s, two, n)) fail_msg("refused canonical %s", e.s);
        } else if (r != 0) fail_msg("accepted non-canonical %s", e.s);
      }
      sb_free(&e);
      sb_free(&o);
    }
  }
  sb o = SB_INIT;
  assert_int_equal(b64_decode(&o, "QQ==", 4), 1);
  assert_int_equal(b64_decode(&o, "QUI=", 4), 1);
  assert_int_equal(o.len, 3);
  assert_memory_equal(o.s, "AAB", 3);
  sb_free(&o);
}

static void t_bad(void **st)
{
  (void)st;
  static const char *const bad[] = {"Zg=", "Zg", "Z===", "Zg==Zg==", "Zm9v!", "Zm 9v", "=Zm9", "Zm=v", "Zg=a",
                                     /* non-canonical: unused bits set */
                                     "QR==", "QZ==", "QUJ=", "QUL=", "Zh==", "Zm9=", "AGpvZQBzZWNyZXR="};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; ++i) {
    sb o = SB_INIT;
    if (b64_decode(&o, bad[i], strlen(bad[i])) != 0) fail_msg("accepted %s", bad[i]);
    sb_free(&o);
  }
}

int main(void)
{
  const struct CMUnitTest tests[] = {cmocka_unit_test(t_vectors), cmocka_unit_test(t_binary), cmocka_unit_test(t_bad), cmocka_unit_test(t_canonical)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
