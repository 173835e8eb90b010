#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>
#include "smtpcmd.h"

const char *progname = "test_smtpcmd";

static void t_verb(void **st)
{
  static const struct { const char *line; size_t len; enum smtp_verb v; size_t arg; } c[] = {
    {"HELO x", 6, V_HELO, 5}, {"helo", 4, V_HELO, 4}, {"EhLo  foo bar", 13, V_EHLO, 6},
    {"MAIL FROM:<a@b>", 15, V_MAIL, 5}, {"rcpt to:<a>", 11, V_RCPT, 5}, {"DATA", 4, V_DATA, 4},
    {"data ", 5, V_DATA, 5}, {"RSET", 4, V_RSET, 4}, {"NOOP x", 6, V_NOOP, 5}, {"VRFY a", 6, V_VRFY, 5},
    {"QUIT", 4, V_QUIT, 4}, {"HELP", 4, V_HELP, 4}, {"AUTH LOGIN", 10, V_AUTH, 5},
    {"STARTTLS", 8, V_STARTTLS, 8}, {"DATAX", 5, V_UNKNOWN, 5}, {"", 0, V_UNKNOWN, 0},
    {" HELO", 5, V_UNKNOWN, 1}, {"NO\0OP", 5, V_UNKNOWN, 5}, {"HEL", 3, V_UNKNOWN, 3},
    {"MAIL\tFROM:<a>", 13, V_UNKNOWN, 13}, {"\xff\xfe", 2, V_UNKNOWN, 2},
  };
  (void)st;
  for (size_t i = 0; i < sizeof c / sizeof c[0]; ++i) {
    size_t a = 99;
    enum smtp_verb v = smtp_verb(c[i].line, c[i].len, &a);
    if (v != c[i].v || a != c[i].arg) fail_msg("case %zu: got verb %d arg %zu, want %d %zu", i, v, a, c[i].v, c[i].arg);
  }
}

static void t_addrparse(void **st)
{
  static const struct { const char *arg; int ok; const char *addr; const char *rest; } c[] = {
    {"FROM:<a@b>", 1, "a@b", ""},
    {"FROM:<>", 1, "", ""},
    {"FROM: <a@b> SIZE=5", 1, "a@b", " SIZE=5"},
    {"FROM:a@b", 1, "a@b", ""},
    {"FROM:   a@b SIZE=5", 1, "a@b", "SIZE=5"},
    {"TO:<A@B.example>", 1, "A@B.example", ""},
    {"<a@b>", 1, "a@b", ""},
    {"FROM:", 0, 0, 0},
    {"FROM:   ", 0, 0, 0},
    {"FROM", 0, 0, 0},
    {"", 0, 0, 0},
    {"FROM:<@r1,@r2:u@d>", 1, "u@d", ""},
    {"FROM:<@r1>", 1, "", ""},
    {"FROM:<\"a b\"@d>", 1, "a b@d", ""},
    {"FROM:<\"a>b\"@d>", 1, "a>b@d", ""},
    {"FROM:<a\\>b@d>", 1, "a>b@d", ""},
    {"FROM:<a@b", 1, "a@b", ""},
    {"FROM:<a\x01" "b@d>", 0, 0, 0},
    {"FROM:<a\x7f" "b@d>", 0, 0, 0},
    {"FROM:<a\rb@d>", 0, 0, 0},
    {"FROM:<\xc3\xa4@d>", 1, "\xc3\xa4@d", ""},
  };
  sb a = SB_INIT;
  (void)st;
  for (size_t i = 0; i < sizeof c / sizeof c[0]; ++i) {
    size_t rest = 9999, len = strlen(c[i].arg);
    int r = smtp_addrparse(c[i].arg, len, &a, &rest);
    if (r != c[i].ok) fail_msg("case %zu (%s): got %d want %d", i, c[i].arg, r, c[i].ok);
    if (!r) continue;
    assert_string_equal(a.s, c[i].addr);
    assert_true(rest <= len);
    assert_string_equal(c[i].arg + rest, c[i].rest);
  }
  /* NUL anywhere: syntax error */
  size_t rest;
  assert_int_equal(smtp_addrparse("FROM:<a\0b@d>", 12, &a, &rest), 0);
  assert_int_equal(smtp_addrparse("FROM:<ab@d> X=\0", 15, &a, &rest), 0);
  /* length limit: 900 ok, 901 not */
  char big[1000];
  memcpy(big, "<", 1);
  memset(big + 1, 'x', SMTP_ADDRMAX);
  big[SMTP_ADDRMAX + 1] = '>';
  assert_int_equal(smtp_addrparse(big, SMTP_ADDRMAX + 2, &a, &rest), 1);
  assert_int_equal(a.len, SMTP_ADDRMAX);
  memset(big + 1, 'x', SMTP_ADDRMAX + 1);
  big[SMTP_ADDRMAX + 2] = '>';
  assert_int_equal(smtp_addrparse(big, SMTP_ADDRMAX + 3, &a, &rest), 0);
  memset(big, 'x', sizeof big);   /* unterminated and long */
  big[0] = '<';
  assert_int_equal(smtp_addrparse(big, sizeof big, &a, &rest), 0);
  /* every prefix of a valid argument either parses or is a syntax error */
  const char *full = "FROM:<\"q\\\"x\"@[1.2.3.4]> SIZE=12 BODY=8BITMIME";
  for (size_t n = 0; n <= strlen(full); ++n) {
    int r = smtp_addrparse(full, n, &a, &rest);
    assert_true(r == 0 || r == 1);
    if (r) assert_true(rest <= n);
  }
  sb_free(&a);
}

static void t_size(void **st)
{
  static const struct { const char *p; uint64_t db; int ok; } c[] = {
    {"SIZE=100", 100, 1}, {"SIZE=101", 100, 0}, {"SIZE=101", 0, 1}, {"size=5", 4, 0},
    {" BODY=8BITMIME SIZE=7", 7, 1}, {" BODY=8BITMIME SIZE=8", 7, 0}, {"SIZE=", 1, 1},
    {"SIZE=99999999999999999999999", 1000, 0}, {"SIZE=18446744073709551615", UINT64_MAX, 1},
    {"SIZE=18446744073709551616", UINT64_MAX, 0}, {"SIZE=12abc", 12, 1}, {"SIZE=13abc", 12, 0},
    {"XSIZE=500", 10, 1}, {"SIZE", 10, 1}, {"", 10, 1}, {"SIZE=abc", 10, 1},
  };
  (void)st;
  for (size_t i = 0; i < sizeof c / sizeof c[0]; ++i)
    if (smtp_size_ok(c[i].p, strlen(c[i].p), c[i].db) != c[i].ok) fail_msg("case %zu (%s)", i, c[i].p);
  const char *v;
  size_t n;
  assert_int_equal(smtp_param("A=1 B=2", 7, "B", &v, &n), 1);
  assert_int_equal(n, 1);
  assert_memory_equal(v, "2", 1);
  assert_int_equal(smtp_param("A=1 B=2", 7, "C", &v, &n), 0);
  assert_int_equal(smtp_param("AB=1", 4, "A", &v, &n), 0);
}

static void t_checks(void **st)
{
  static const struct { const char *a; int probe, sane, bounce; } c[] = {
    {"a@b.c", 0, SANE_OK, 0}, {"a%b@c.d", 1, SANE_OK, 0}, {"a!b@c.d", 1, SANE_OK, 0},
    {"a@b@c.d", 1, SANE_OK, 0}, {"a%b", 1, SANE_NOAT, 0}, {"", 0, SANE_NOAT, 1},
    {"#@[]", 0, SANE_NODOT, 1}, {"@b.c", 0, SANE_NOPART, 0}, {"a@", 0, SANE_NOPART, 0},
    {"a@localhost", 0, SANE_NODOT, 0}, {"a.b@localhost", 0, SANE_NODOT, 0}, {"a@b.c%d", 0, SANE_OK, 0},
  };
  (void)st;
  for (size_t i = 0; i < sizeof c / sizeof c[0]; ++i) {
    size_t n = strlen(c[i].a);
    if (smtp_relayprobe(c[i].a, n) != c[i].probe) fail_msg("probe %s", c[i].a);
    if (smtp_sanity(c[i].a, n) != c[i].sane) fail_msg("sanity %s", c[i].a);
    if (smtp_isbounce(c[i].a, n) != c[i].bounce) fail_msg("bounce %s", c[i].a);
  }
}

static void t_literal(void **st)
{
  static const struct { const char *a; int ok; size_t at; const char *ip; } c[] = {
    {"u@[1.2.3.4]", 1, 1, "1.2.3.4"}, {"u@[IPv6:::1]", 1, 1, "::1"}, {"u@[ipv6:2001:db8::1]", 1, 1, "2001:db8::1"},
    {"u@host", 0, 0, 0}, {"u@[1.2.3.4", 0, 0, 0}, {"[1.2.3.4]", 0, 0, 0}, {"a@b@[9.9.9.9]", 1, 3, "9.9.9.9"},
    {"u@[]", 1, 1, ""},
  };
  char ip[64];
  (void)st;
  for (size_t i = 0; i < sizeof c / sizeof c[0]; ++i) {
    size_t at = 99;
    int r = smtp_addrliteral(c[i].a, strlen(c[i].a), &at, ip, sizeof ip);
    if (r != c[i].ok) fail_msg("literal %s", c[i].a);
    if (r) { assert_int_equal(at, c[i].at); assert_string_equal(ip, c[i].ip); }
  }
  char small[4];
  size_t at;
  assert_int_equal(smtp_addrliteral("u@[1.2.3.4]", 11, &at, small, sizeof small), 0);
}

static void t_replies(void **st)
{
  struct smtp_vars v = {"mx.example", "hi there", "cookie1", "192.0.2.7"};
  sb o = SB_INIT;
  (void)st;
  for (int r = 0; r < SR_COUNT; ++r) {
    o.len = 0;
    assert_true(smtp_reply(&o, r, &v, "x"));
    assert_true(o.len >= 6);
    int code = smtp_code(r);
    assert_true(code >= 200 && code <= 599);
    /* every line: three digits, then ' ' (last) or '-' (more), CRLF */
    size_t i = 0;
    while (i < o.len) {
      char *nl = memchr(o.s + i, '\n', o.len - i);
      assert_non_null(nl);
      size_t e = (size_t)(nl - o.s);
      assert_true(e > i + 3 && o.s[e - 1] == '\r');
      char dig[4];
      snprintf(dig, sizeof dig, "%d", code);
      assert_memory_equal(o.s + i, dig, 3);
      int last = e + 1 == o.len && r != SR_EHLO && r != SR_EHLO_PIPELINING && r != SR_EHLO_SIZE &&
                 r != SR_EHLO_STARTTLS && r != SR_EHLO_AUTH && r != SR_EHLO_SMTPUTF8;
      assert_true(o.s[i + 3] == (last ? ' ' : '-'));
      for (size_t k = i; k < e - 1; ++k) assert_true((unsigned char)o.s[k] >= 0x20);
      i = e + 1;
    }
  }
  static const struct { int r; const char *arg; const char *want; } c[] = {
    {SR_GREET, 0, "220 mx.example ESMTP hi there cookie1\r\n"},
    {SR_HELO, 0, "250 mx.example hi there\r\n"},
    {SR_NOGATEWAY, 0, "553 sorry, relaying denied from your location [192.0.2.7] (#5.7.1)\r\n"},
    {SR_RBL, "listed at rbl.example", "553 sorry, your mailserver [192.0.2.7] is rejected by listed at rbl.example\r\n"},
    {SR_QUEUED, "1 qp 2", "250 ok 1 qp 2 by mx.example\r\n"},
    {SR_QQTEMP, "evil\r\n250 ok", "451 evil??250 ok\r\n"},
    {SR_QUIT, 0, "221 mx.example Goodbye.\r\n"},
    {SR_SIZE, 0, "552 sorry, that message size exceeds my databytes limit (#5.3.4)\r\n"},
    {SR_BARELF, 0, "451 See http://pobox.com/~djb/docs/smtplf.html.\r\n"},
    {SR_LINELONG, 0, "500 Text line too long.\r\n"},
  };
  for (size_t i = 0; i < sizeof c / sizeof c[0]; ++i) {
    o.len = 0;
    assert_true(smtp_reply(&o, c[i].r, &v, c[i].arg));
    assert_string_equal(o.s, c[i].want);
  }
  struct smtp_vars bare = {"mx.example", "", 0, 0};
  o.len = 0;
  assert_true(smtp_reply(&o, SR_GREET, &bare, 0));
  assert_string_equal(o.s, "220 mx.example ESMTP\r\n");
  o.len = 0;
  assert_true(smtp_reply(&o, SR_BMFUNKNOWN, &bare, 0));
  assert_non_null(strstr(o.s, "[unknown]"));
  assert_int_equal(smtp_code(SR_BADBOUNCE), 550);
  assert_int_equal(smtp_code(SR_GREET550), 554);
  sb_free(&o);
}

static void t_utf8(void **st)
{
  static const struct { const char *s; int ok; } c[] = {
    {"plain@example.com", 1},
    {"j\xc3\xbcrgen@example.com", 1},                 /* U+00FC */
    {"\xe2\x82\xac@example.com", 1},                 /* U+20AC */
    {"\xf0\x9f\x93\xa7@example.com", 1},            /* U+1F4E7 */
    {"\xf4\x8f\xbf\xbf", 1},                        /* U+10FFFF, the last */
    {"\xc3\x28@x", 0},                                /* bad continuation */
    {"\xc0\xaf", 0}, {"\xc1\xbf", 0},                 /* overlong */
    {"\xe0\x80\xaf", 0}, {"\xf0\x80\x80\xaf", 0},   /* overlong */
    {"\xed\xa0\x80", 0},                             /* surrogate D800 */
    {"\xf4\x90\x80\x80", 0}, {"\xf5\x80\x80\x80", 0}, /* beyond U+10FFFF */
    {"\x80", 0}, {"\xbf@x", 0},                        /* lone continuation */
    {"\xc3", 0}, {"\xe2\x82", 0}, {"\xf0\x9f\x93", 0}, /* truncated */
    {"\xff", 0}, {"\xfe", 0},
  };
  (void)st;
  for (size_t i = 0; i < sizeof c / sizeof c[0]; ++i) {
    int got = smtp_utf8_ok(c[i].s, strlen(c[i].s));
    if (got != c[i].ok) fail_msg("utf8 case %zu: got %d want %d", i, got, c[i].ok);
  }
  assert_int_equal(smtp_has8bit("abc", 3), 0);
  assert_int_equal(smtp_has8bit("a\xc3\xbc", 3), 1);
  /* every prefix of a valid sequence but the whole is invalid */
  const char *e = "\xf0\x9f\x93\xa7";
  for (size_t n = 1; n < 4; ++n) assert_int_equal(smtp_utf8_ok(e, n), 0);
  assert_int_equal(smtp_utf8_ok(e, 4), 1);
}

static void t_keyword(void **st)
{
  (void)st;
  const char *p = " SIZE=100 smtputf8 BODY=8BITMIME";
  assert_int_equal(smtp_keyword(p, strlen(p), "SMTPUTF8"), 1);
  assert_int_equal(smtp_keyword(p, strlen(p), "BODY"), 0);        /* has a value: not a keyword */
  assert_int_equal(smtp_keyword(p, strlen(p), "SIZE"), 0);
  assert_int_equal(smtp_keyword("SMTPUTF8X", 9, "SMTPUTF8"), 0);
  assert_int_equal(smtp_keyword("", 0, "SMTPUTF8"), 0);
  assert_int_equal(smtp_keyword("SMTPUTF8", 7, "SMTPUTF8"), 0);   /* bounded by len */
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(t_verb), cmocka_unit_test(t_addrparse), cmocka_unit_test(t_size),
    cmocka_unit_test(t_checks), cmocka_unit_test(t_literal), cmocka_unit_test(t_replies),
    cmocka_unit_test(t_utf8), cmocka_unit_test(t_keyword),
  };
  return cmocka_run_group_tests(tests, 0, 0);
}
