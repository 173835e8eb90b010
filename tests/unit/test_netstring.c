#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "netstring.h"
#include "feed.h"

const char *progname = "test_netstring";

static void t_put(void **st)
{
  (void)st;
  sb b = SB_INIT;
  assert_true(ns_put(&b, "abc", 3));
  assert_true(ns_put(&b, "", 0));
  assert_true(ns_put(&b, "a\0b", 3));
  assert_int_equal(b.len, 15);
  assert_memory_equal(b.s, "3:abc,0:,3:a\0b,", 15);
  b.len = 0;
  assert_true(ns_puthdr(&b, 18446744073709551615ULL));
  assert_string_equal(b.s, "18446744073709551615:");
  sb_free(&b);
}

struct pcase { const char *in; uint64_t max; int want; const char *content; size_t used; };

static void t_parse(void **st)
{
  (void)st;
  static const struct pcase c[] = {
    {"3:abc,", 100, RD_OK, "abc", 6},
    {"0:,", 100, RD_OK, "", 3},
    {"03:abc,", 100, RD_OK, "abc", 7},          /* leading zeros tolerated */
    {"3:abc,rest", 100, RD_OK, "abc", 6},
    {"3:abc", 100, NS_NEED, 0, 0},
    {"3:ab", 100, NS_NEED, 0, 0},
    {"12", 100, NS_NEED, 0, 0},
    {"", 100, NS_NEED, 0, 0},
    {":abc,", 100, NS_BAD, 0, 0},
    {"3abc,", 100, NS_BAD, 0, 0},
    {"3:abc;", 100, NS_BAD, 0, 0},
    {"-1:a,", 100, NS_BAD, 0, 0},
    {" 3:abc,", 100, NS_BAD, 0, 0},
    {"4:abc,", 100, NS_NEED, 0, 0},             /* the comma is data; more needed */
    {"2:abc,", 100, NS_BAD, 0, 0},
    {"3:abc,", 2, NS_BAD, 0, 0},               /* over max */
    {"123456789012345678901:", UINT64_MAX, NS_BAD, 0, 0},  /* 21 digits */
    {"99999999999999999999:", UINT64_MAX, NS_BAD, 0, 0},   /* overflows 64 bits */
  };
  for (size_t i = 0; i < sizeof c / sizeof c[0]; ++i) {
    size_t pos = 0, n = 0;
    const char *p = 0;
    int k = ns_parse(c[i].in, strlen(c[i].in), &pos, c[i].max, &p, &n);
    if (k != c[i].want) print_error("case %zu (%s): got %d want %d\n", i, c[i].in, k, c[i].want);
    assert_int_equal(k, c[i].want);
    if (k == RD_OK) {
      assert_int_equal(n, strlen(c[i].content));
      assert_memory_equal(p, c[i].content, n);
      assert_int_equal(pos, c[i].used);
    } else {
      assert_int_equal(pos, 0);
    }
  }
}

/* Every proper prefix of a valid stream needs more; the whole parses. */
static void t_prefixes(void **st)
{
  (void)st;
  const char *s = "11:hello world,";
  size_t len = strlen(s);
  for (size_t i = 0; i < len; ++i) {
    size_t pos = 0, n;
    const char *p;
    assert_int_equal(ns_parse(s, i, &pos, 100, &p, &n), NS_NEED);
  }
}

static void t_stream(void **st)
{
  (void)st;
  for (int bw = 0; bw < 2; ++bw) {
    static const char in[] = "5:hello,0:,3:a\0b,";
    int fd = feed(in, sizeof in - 1, bw);
    struct rd r;
    sb o = SB_INIT;
    rd_init(&r, fd, 5);
    assert_int_equal(ns_get(&r, &o, 100, 0), RD_OK);
    assert_int_equal(o.len, 5);
    assert_memory_equal(o.s, "hello", 5);
    assert_int_equal(ns_get(&r, &o, 100, 0), RD_OK);
    assert_int_equal(o.len, 0);
    assert_int_equal(ns_get(&r, &o, 100, 0), RD_OK);
    assert_memory_equal(o.s, "a\0b", 3);
    assert_int_equal(ns_get(&r, &o, 100, 0), RD_EOF);
    reap(fd);
    sb_free(&o);
  }
}

struct scase { const char *in; size_t max; int budgeted; uint64_t budget; int want; };

static void t_stream_bad(void **st)
{
  (void)st;
  static const struct scase c[] = {
    {"5:hel", 100, 0, 0, RD_PARTIAL},
    {"5:hello", 100, 0, 0, RD_PARTIAL},
    {"12", 100, 0, 0, RD_PARTIAL},
    {"5:hello;", 100, 0, 0, NS_BAD},
    {"5:hello,", 4, 0, 0, NS_BAD},
    {"x:", 100, 0, 0, NS_BAD},
    {":", 100, 0, 0, NS_BAD},
    {"999999999999999999999:", SIZE_MAX, 0, 0, NS_BAD},
    {"5:hello,", 100, 1, 8, RD_OK},
    {"5:hello,", 100, 1, 7, NS_BAD},
    {"5:hello,", 100, 1, 2, NS_BAD},
    {"5:hello,", 100, 1, 0, NS_BAD},
  };
  for (size_t i = 0; i < sizeof c / sizeof c[0]; ++i) {
    int fd = feed(c[i].in, strlen(c[i].in), 0);
    struct rd r;
    sb o = SB_INIT;
    uint64_t b = c[i].budget;
    rd_init(&r, fd, 5);
    int k = ns_get(&r, &o, c[i].max, c[i].budgeted ? &b : 0);
    if (k != c[i].want) print_error("case %zu (%s): got %d want %d\n", i, c[i].in, k, c[i].want);
    assert_int_equal(k, c[i].want);
    if (k == RD_OK && c[i].budgeted) assert_int_equal(b, 0);
    reap(fd);
    sb_free(&o);
  }
}

static void t_discard(void **st)
{
  (void)st;
  int fd = feed("10:0123456789,2:ok,", 19, 1);
  struct rd r;
  sb o = SB_INIT;
  uint64_t n, budget = 19;
  rd_init(&r, fd, 5);
  assert_int_equal(ns_getlen(&r, 100, &n, &budget), RD_OK);
  assert_int_equal(n, 10);
  assert_int_equal(ns_getbytes(&r, n, 0, &budget), RD_OK);
  assert_int_equal(ns_getcomma(&r, &budget), RD_OK);
  assert_int_equal(ns_get(&r, &o, 2, &budget), RD_OK);
  assert_memory_equal(o.s, "ok", 2);
  assert_int_equal(budget, 0);
  reap(fd);
  sb_free(&o);
}

static void t_plainstart(void **st)
{
  (void)st;
  static const struct { const char *p; size_t n; int plain; } c[] = {
    {"12:", 3, 1}, {"1", 1, 1}, {"", 0, 1}, {"0:,", 3, 1}, {":", 1, 0}, {"x\x9c", 2, 0},
    {"12a", 3, 0}, {"80\x01", 3, 0}, {"123456789012345678901", 21, 0},
  };
  for (size_t i = 0; i < sizeof c / sizeof c[0]; ++i) assert_int_equal(ns_plainstart(c[i].p, c[i].n), c[i].plain);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(t_put), cmocka_unit_test(t_parse), cmocka_unit_test(t_prefixes),
    cmocka_unit_test(t_stream), cmocka_unit_test(t_stream_bad), cmocka_unit_test(t_discard), cmocka_unit_test(t_plainstart),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
