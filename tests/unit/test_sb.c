#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>
#include "sb.h"

const char *progname = "test_sb";

static void t_cat(void **st)
{
  sb b = SB_INIT;
  (void)st;
  assert_true(sb_cats(&b, "ab"));
  assert_true(sb_catc(&b, 'c'));
  assert_true(sb_cat0(&b));
  assert_true(sb_catb(&b, "d\0e", 3));
  assert_int_equal(b.len, 7);
  assert_memory_equal(b.s, "abc\0d\0e", 7);
  assert_int_equal(b.s[b.len], 0);           /* always terminated */
  assert_true(sb_catb(&b, NULL, 0));
  assert_int_equal(b.len, 7);
  sb_trunc(&b, 2);
  assert_string_equal(b.s, "ab");
  sb_trunc(&b, 10);                          /* longer: no effect */
  assert_int_equal(b.len, 2);
  assert_true(sb_copys(&b, "XyZ-9"));
  sb_lower(&b);
  assert_string_equal(b.s, "xyz-9");
  sb c = SB_INIT;
  assert_true(sb_copyb(&c, "", 0));
  assert_non_null(c.s);
  assert_string_equal(c.s, "");
  assert_true(sb_catsb(&c, &b));
  assert_string_equal(c.s, "xyz-9");
  sb_free(&b);
  sb_free(&c);
  assert_null(b.s);
  assert_int_equal(b.len, 0);
}

static void t_grow(void **st)
{
  sb b = SB_INIT;
  (void)st;
  for (int i = 0; i < 100000; ++i) assert_true(sb_catc(&b, (char)('a' + i % 26)));
  assert_int_equal(b.len, 100000);
  assert_true(b.cap > b.len);
  assert_int_equal(b.s[99999], 'a' + 99999 % 26);
  /* an impossible size fails cleanly instead of wrapping */
  assert_false(sb_ready(&b, SIZE_MAX));
  assert_false(sb_catb(&b, "x", SIZE_MAX));
  assert_int_equal(b.len, 100000);
  sb_free(&b);
}

static void t_numbers(void **st)
{
  static const struct { uint64_t u; const char *s; } u[] = {
    {0, "0"}, {7, "7"}, {10, "10"}, {UINT64_MAX, "18446744073709551615"},
  };
  static const struct { int64_t i; const char *s; } s[] = {
    {0, "0"}, {-1, "-1"}, {INT64_MAX, "9223372036854775807"}, {INT64_MIN, "-9223372036854775808"},
  };
  sb b = SB_INIT;
  (void)st;
  for (size_t k = 0; k < sizeof u / sizeof u[0]; ++k) {
    b.len = 0;
    assert_true(sb_catu64(&b, u[k].u));
    assert_string_equal(b.s, u[k].s);
  }
  for (size_t k = 0; k < sizeof s / sizeof s[0]; ++k) {
    b.len = 0;
    assert_true(sb_cati64(&b, s[k].i));
    assert_string_equal(b.s, s[k].s);
  }
  b.len = 0;
  assert_true(sb_fmt(&b, "%s=%d", "x", 42));
  assert_true(sb_fmt(&b, "%c", '!'));
  assert_string_equal(b.s, "x=42!");
  sb_free(&b);
}

static void t_overflow(void **st)
{
  size_t z;
  uint64_t v;
  (void)st;
  assert_true(add_size(1, 2, &z));
  assert_int_equal(z, 3);
  assert_true(add_size(SIZE_MAX - 1, 1, &z));
  assert_false(add_size(SIZE_MAX, 1, &z));
  assert_false(add_size(1, SIZE_MAX, &z));
  assert_true(add_u64(UINT64_MAX - 5, 5, &v));
  assert_false(add_u64(UINT64_MAX - 5, 6, &v));
  assert_true(mul_u64(0, UINT64_MAX, &v));
  assert_int_equal(v, 0);
  assert_true(mul_u64(UINT64_MAX, 1, &v));
  assert_true(mul_u64(4294967296ULL, 4294967295ULL, &v));
  assert_false(mul_u64(4294967296ULL, 4294967296ULL, &v));
  assert_false(mul_u64(UINT64_MAX, 2, &v));
}

static void t_scan(void **st)
{
  static const struct { const char *s; int ok; uint64_t v; } c[] = {
    {"0", 1, 0}, {"007", 1, 7}, {"18446744073709551615", 1, UINT64_MAX},
    {"18446744073709551616", 0, 0}, {"99999999999999999999", 0, 0},
    {"", 0, 0}, {"-1", 0, 0}, {"+1", 0, 0}, {" 1", 0, 0}, {"1 ", 0, 0},
    {"1a", 0, 0}, {"0x10", 0, 0}, {"1\n", 0, 0},
  };
  static const struct { const char *s; int ok; int64_t v; } i[] = {
    {"0", 1, 0}, {"-0", 1, 0}, {"-1", 1, -1}, {"9223372036854775807", 1, INT64_MAX},
    {"9223372036854775808", 0, 0}, {"-9223372036854775808", 1, INT64_MIN},
    {"-9223372036854775809", 0, 0}, {"-", 0, 0}, {"", 0, 0}, {"--1", 0, 0}, {"+1", 0, 0},
  };
  (void)st;
  for (size_t k = 0; k < sizeof c / sizeof c[0]; ++k) {
    uint64_t v = 12345;
    int r = scan_u64(c[k].s, strlen(c[k].s), &v);
    if (r != c[k].ok) fail_msg("scan_u64(\"%s\") = %d, want %d", c[k].s, r, c[k].ok);
    if (r && v != c[k].v) fail_msg("scan_u64(\"%s\") value", c[k].s);
    if (!r && v != 12345) fail_msg("scan_u64(\"%s\") wrote on failure", c[k].s);
    assert_int_equal(scan_u64s(c[k].s, &v), c[k].ok);
  }
  for (size_t k = 0; k < sizeof i / sizeof i[0]; ++k) {
    int64_t v;
    int r = scan_i64(i[k].s, strlen(i[k].s), &v);
    if (r != i[k].ok) fail_msg("scan_i64(\"%s\") = %d, want %d", i[k].s, r, i[k].ok);
    if (r && v != i[k].v) fail_msg("scan_i64(\"%s\") value", i[k].s);
  }
  uint64_t v;
  assert_true(scan_u64("123xyz", 3, &v));    /* only the counted bytes */
  assert_int_equal(v, 123);
  assert_false(scan_u64("12\0003", 4, &v));  /* embedded NUL */
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(t_cat), cmocka_unit_test(t_grow), cmocka_unit_test(t_numbers),
    cmocka_unit_test(t_overflow), cmocka_unit_test(t_scan),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
