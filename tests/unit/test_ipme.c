#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <string.h>
#include "ipme.h"

const char *progname = "test_ipme";

static void t_ipme(void **st)
{
  struct ipme m = {0, 0};
  unsigned char a[16];
  (void)st;
  inet_pton(AF_INET, "192.0.2.1", a);
  assert_int_equal(ipme_add(&m, AF_INET, a), 0);
  assert_int_equal(ipme_add(&m, AF_INET, a), 0);     /* no duplicates */
  assert_int_equal(m.n, 1);
  inet_pton(AF_INET6, "2001:db8::1", a);
  assert_int_equal(ipme_add(&m, AF_INET6, a), 0);
  assert_int_equal(ipme_is_text(&m, "192.0.2.1"), 1);
  assert_int_equal(ipme_is_text(&m, "::ffff:192.0.2.1"), 1);
  assert_int_equal(ipme_is_text(&m, "2001:db8::1"), 1);
  assert_int_equal(ipme_is_text(&m, "2001:DB8:0::1"), 1);
  assert_int_equal(ipme_is_text(&m, "192.0.2.2"), 0);
  assert_int_equal(ipme_is_text(&m, "garbage"), 0);
  assert_int_equal(ipme_is_text(&m, ""), 0);
  inet_pton(AF_INET6, "::ffff:198.51.100.7", a);    /* a mapped address is stored as IPv4 */
  assert_int_equal(ipme_add(&m, AF_INET6, a), 0);
  assert_int_equal(ipme_is_text(&m, "198.51.100.7"), 1);
  ipme_free(&m);
  /* the real interfaces include loopback and the unspecified addresses */
  assert_int_equal(ipme_init(&m), 0);
  assert_int_equal(ipme_is_text(&m, "127.0.0.1"), 1);
  assert_int_equal(ipme_is_text(&m, "0.0.0.0"), 1);
  assert_int_equal(ipme_is_text(&m, "192.0.2.254"), 0);
  ipme_free(&m);
}

int main(void)
{
  const struct CMUnitTest tests[] = { cmocka_unit_test(t_ipme) };
  return cmocka_run_group_tests(tests, 0, 0);
}
