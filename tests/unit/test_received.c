#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>
#include "received.h"

const char *progname = "test_received";

static void t_full(void **st)
{
  (void)st;
  sb o = SB_INIT;
  struct received r = {"SMTP", "mx.example", "192.0.2.1", "client.example", "joe", "helo.example",
                       "a@b.example", "c@d.example"};
  assert_true(received_fmt(&o, &r, 0));
  assert_string_equal(o.s,
    "Received: from client.example (HELO helo.example) (joe@[192.0.2.1])\n"
    "          (envelope-sender <a@b.example>)\n"
    "          by mx.example (qmail-ldap-1.03) with SMTP\n"
    "          for <c@d.example>; Thu, 1 Jan 1970 00:00:00 +0000\n");
  sb_free(&o);
}

static void t_minimal(void **st)
{
  (void)st;
  sb o = SB_INIT;
  struct received r = {"compressed QMQP", 0, 0, 0, 0, 0, 0, 0};
  assert_true(received_fmt(&o, &r, 86400));
  assert_string_equal(o.s,
    "Received: from unknown ([unknown])\n"
    "          (envelope-sender <>)\n"
    "          by unknown (qmail-ldap-1.03) with compressed QMQP\n"
    "          for <>; Fri, 2 Jan 1970 00:00:00 +0000\n");
  sb_free(&o);
}

static void t_unsafe(void **st)
{
  (void)st;
  sb o = SB_INIT;
  struct received r = {"QMTP", "me", "::1", "evil\nhost (x)", "a b", 0, "x\r\ny", 0};
  assert_true(received_fmt(&o, &r, 0));
  assert_non_null(strstr(o.s, "from evil?host??x? (a?b@[::1])"));
  assert_non_null(strstr(o.s, "(envelope-sender <x??y>)"));
  assert_null(strchr(o.s, '\r'));
  sb_free(&o);
}

int main(void)
{
  const struct CMUnitTest tests[] = {cmocka_unit_test(t_full), cmocka_unit_test(t_minimal), cmocka_unit_test(t_unsafe)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
