#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>
#include "bounce.h"

const char *progname = "test_bounce";

static void t_kind(void **st)
{
  (void)st;
  assert_int_equal(bounce_kind("joe@example.org", "postmaster@h"), BOUNCE_SENDER);
  assert_int_equal(bounce_kind("", "postmaster@h"), BOUNCE_DOUBLE);
  assert_int_equal(bounce_kind("", ""), BOUNCE_DISCARD);
  assert_int_equal(bounce_kind("", 0), BOUNCE_DISCARD);
  assert_int_equal(bounce_kind("#@[]", "postmaster@h"), BOUNCE_TRIPLE);
  assert_int_equal(bounce_kind("#@[]x", "postmaster@h"), BOUNCE_SENDER);
}

static void t_block(void **st)
{
  static const struct { const char *rcpt, *report, *want; } c[] = {
    {"joe@example.org", "Sorry, no mailbox here by that name. (#5.1.1)\n",
     "<joe@example.org>:\nSorry, no mailbox here by that name. (#5.1.1)\n\n"},
    {"a@b", "no newline at end", "<a@b>:\nno newline at end\n\n"},
    {"a@b", "1.2.3.4 does not like recipient.\nRemote host said: 550 no\nGiving up on 1.2.3.4.\n",
     "<a@b>:\n1.2.3.4 does not like recipient.\nRemote host said: 550 no\nGiving up on 1.2.3.4.\n\n"},
    /* slashes are text, never newlines (URLs in remote replies, paths) */
    {"a@b", "open /home/x/mbox failed\nsecond\n", "<a@b>:\nopen /home/x/mbox failed\nsecond\n\n"},
    {"a@b", "Remote host said: 550 see https://example.org/a/b", "<a@b>:\nRemote host said: 550 see https://example.org/a/b\n\n"},
    /* no blank lines inside a block */
    {"a@b", "one\n\ntwo", "<a@b>:\none\n/two\n\n"},
    {"a@b", "one\n\n\ntwo\n", "<a@b>:\none\n//two\n\n"},
    {"a@b", "", "<a@b>:\n\n"},
    {"a@b", "\n", "<a@b>:\n\n"},
    {"new\nline@b", "x", "<new_line@b>:\nx\n\n"},
  };
  sb out = SB_INIT;
  (void)st;
  for (size_t i = 0; i < sizeof c / sizeof c[0]; ++i) {
    out.len = 0;
    assert_true(bounce_block(&out, c[i].rcpt, c[i].report, strlen(c[i].report)));
    if (out.len != strlen(c[i].want) || memcmp(out.s, c[i].want, out.len))
      fail_msg("case %zu: got [%s] want [%s]", i, out.s, c[i].want);
  }
  /* NUL bytes never reach the file */
  out.len = 0;
  assert_true(bounce_block(&out, "a@b", "x\0y", 3));
  assert_memory_equal(out.s, "<a@b>:\nx_y\n\n", out.len);
  sb_free(&out);
}

static void t_lifetime(void **st)
{
  sb r = SB_INIT;
  (void)st;
  assert_true(sb_copys(&r, "Zconnection refused\n"));
  assert_true(bounce_lifetime(&r));
  assert_string_equal(r.s, "Zconnection refused\n" BOUNCE_LIFETIME "\n");
  assert_true(sb_copys(&r, "Zno newline"));
  assert_true(bounce_lifetime(&r));
  assert_string_equal(r.s, "Zno newline\n" BOUNCE_LIFETIME "\n");
  assert_true(sb_copys(&r, "Zline\nline"));
  assert_true(bounce_lifetime(&r));
  assert_string_equal(r.s, "Zline\nline\n" BOUNCE_LIFETIME "\n");
  sb_free(&r);
}

static void t_custom(void **st)
{
  static const struct { const char *in, *want; } c[] = {
    {"", ""},
    {"Please contact us.\n", "Please contact us.\n"},
    {"one  \n\n# comment\n\t\ntwo\r\nthree", "one\ntwo\nthree\n"},
    {"\n\n\n", ""},
  };
  sb out = SB_INIT;
  (void)st;
  for (size_t i = 0; i < sizeof c / sizeof c[0]; ++i) {
    assert_true(bounce_custom(&out, c[i].in, strlen(c[i].in)));
    if (strcmp(out.s, c[i].want)) fail_msg("case %zu: got [%s]", i, out.s);
  }
  assert_true(bounce_custom(&out, "a\0b\n", 4));
  assert_string_equal(out.s, "a b\n");
  sb_free(&out);
}

static void t_quote(void **st)
{
  static const struct { const char *in, *want; } c[] = {
    {"joe@example.org", "joe@example.org"},
    {"MAILER-DAEMON", "MAILER-DAEMON"},
    {"first.last@x", "first.last@x"},
    {"a b@x", "\"a b\"@x"},
    {"a\"b@x", "\"a\\\"b\"@x"},
    {".a@x", "\".a\"@x"},
    {"a..b@x", "\"a..b\"@x"},
    {"a.@x", "\"a.\"@x"},
    {"@x", "\"\"@x"},
    {"a@b@x", "\"a@b\"@x"},
    {"", ""},
    {"#@[]", "#@[]"},
  };
  sb out = SB_INIT;
  (void)st;
  for (size_t i = 0; i < sizeof c / sizeof c[0]; ++i) {
    out.len = 0;
    assert_true(sb_ready(&out, 0));
    out.s[0] = 0;
    assert_true(bounce_quote(&out, c[i].in));
    if (strcmp(out.s, c[i].want)) fail_msg("%s: got %s want %s", c[i].in, out.s, c[i].want);
  }
  sb_free(&out);
}

static void t_message(void **st)
{
  sb custom = SB_INIT, out = SB_INIT;
  struct bounce_msg b = { "MAILER-DAEMON", "mx.example", "joe@example.org", "joe@example.org", 0, &custom };
  (void)st;
  assert_true(bounce_head(&out, &b, 0));
  assert_string_equal(out.s,
    "Date: Thu, 1 Jan 1970 00:00:00 +0000\n"
    "From: MAILER-DAEMON@mx.example\n"
    "To: joe@example.org\n"
    "Subject: failure notice\n"
    "\n"
    "Hi. This is the qmail-send program at mx.example.\n"
    "I'm afraid I wasn't able to deliver your message to the following addresses.\n"
    "This is a permanent error; I've given up. Sorry it didn't work out.\n"
    "\n");
  out.len = 0;
  assert_true(bounce_tail(&out, &b));
  assert_string_equal(out.s, "--- Below this line is a copy of the message.\n\nReturn-Path: <joe@example.org>\n");

  /* double bounce with custom text */
  assert_true(bounce_custom(&custom, "See http://help/\n", 17));
  b.dbl = 1; b.to = "postmaster@mx.example"; b.sender = "";
  out.len = 0;
  assert_true(bounce_head(&out, &b, 86400));
  assert_non_null(strstr(out.s, "To: postmaster@mx.example\n"));
  assert_non_null(strstr(out.s, "Hi. This is the qmail-send program at mx.example.\n"
                                "I tried to deliver a bounce message to this address, but the bounce bounced!\n"
                                "\n"
                                "See http://help/\n"
                                "\n"));
  assert_true(out.s[out.len - 1] == '\n' && out.s[out.len - 2] == '\n' && out.s[out.len - 3] != '\n');
  out.len = 0;
  assert_true(bounce_tail(&out, &b));
  assert_string_equal(out.s, "--- Below this line is the original bounce.\n\nReturn-Path: <>\n");
  sb_free(&custom); sb_free(&out);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(t_kind), cmocka_unit_test(t_block), cmocka_unit_test(t_lifetime),
    cmocka_unit_test(t_custom), cmocka_unit_test(t_quote), cmocka_unit_test(t_message),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
