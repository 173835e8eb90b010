#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include "qlx.h"
#include "spawn.h"

const char *progname = "test_spawn";

#define S(x) x, sizeof(x) - 1
#define EXITED(c) ((c) << 8)
#define KILLED(s) (s)

/* feed all of buf, split into chunks of size step; collect events */
static int feed(struct spawn_parser *p, const char *buf, size_t n, size_t step, int *events, int max)
{
  int k = 0;
  for (size_t off = 0; off < n; off += step) {
    size_t len = n - off < step ? n - off : step, pos = 0;
    int ev;
    while ((ev = spawn_parse(p, buf + off, len, &pos)) != SPAWN_NEED)
      if (k < max) events[k++] = ev;
  }
  return k;
}

static void t_parse(void **st)
{
  static const char req[] = "\x05" "123\0a@b\0c@d\0" "\xff" "\x06" "7\0\0x@y\0";
  for (size_t step = 1; step <= sizeof req; ++step) {
    struct spawn_parser p;
    int ev[8];
    spawn_parser_init(&p);
    size_t pos = 0;
    /* first request alone */
    int k = 0, e;
    for (size_t off = 0; off < 13; off += step) {
      size_t len = 13 - off < step ? 13 - off : step;
      pos = 0;
      while ((e = spawn_parse(&p, req + off, len, &pos)) != SPAWN_NEED) ev[k++] = e;
    }
    assert_int_equal(k, 1);
    assert_int_equal(ev[0], SPAWN_REQ);
    assert_int_equal(p.slot, 5);
    assert_string_equal(p.id.s, "123");
    assert_string_equal(p.sender.s, "a@b");
    assert_string_equal(p.rcpt.s, "c@d");
    k = feed(&p, req + 13, sizeof req - 1 - 13, step, ev, 8);
    assert_int_equal(k, 2);
    assert_int_equal(ev[0], SPAWN_HUP);
    assert_int_equal(ev[1], SPAWN_REQ);
    assert_int_equal(p.slot, 6);
    assert_string_equal(p.sender.s, "");
    spawn_parser_free(&p);
  }
}

static void t_check(void **st)
{
  static const struct { const char *req; size_t n; const char *want; } cases[] = {
    {S("\x01" "12\0a@b\0c@d\0"), NULL},
    {S("\x01" "12\0\0@d\0"), NULL},
    {S("\x10" "12\0a@b\0c@d\0"), "ZInternal error: delnum too big. (#4.3.5)"},
    {S("\x01" "\0a@b\0c@d\0"), "DInternal error: messid too short. (#5.3.5)"},
    {S("\x01" "1x\0a@b\0c@d\0"), "DInternal error: messid has nonnumerics. (#5.3.5)"},
    {S("\x01" "-1\0a@b\0c@d\0"), "DInternal error: messid has nonnumerics. (#5.3.5)"},
    {S("\x01" "99999999999999999999\0a@b\0c@d\0"), "DInternal error: messid has nonnumerics. (#5.3.5)"},
    {S("\x01" "123456789012345678901\0a@b\0c@d\0"), "DInternal error: request field too long. (#5.3.5)"},
    {S("\x01" "12\0a@b\0cd\0"), "DSorry, address must include host name. (#5.1.3)"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; ++i) {
    struct spawn_parser p;
    struct spawn_req r;
    size_t pos = 0;
    spawn_parser_init(&p);
    assert_int_equal(spawn_parse(&p, cases[i].req, cases[i].n, &pos), SPAWN_REQ);
    assert_int_equal(pos, cases[i].n);
    const char *got = spawn_check(&p, 16, &r);
    if (!cases[i].want ? got != NULL : !got || strcmp(got, cases[i].want))
      fail_msg("case %zu: got %s want %s", i, got ? got : "(ok)", cases[i].want ? cases[i].want : "(ok)");
    if (!got) assert_int_equal(r.rcpt[r.at], '@');
    spawn_parser_free(&p);
  }
  /* an overlong recipient is skipped to its \0 and reported */
  size_t n = SPAWN_FIELD_MAX + 20;
  char *big = malloc(n + 10);
  memcpy(big, "\x02" "5\0a\0", 5);
  memset(big + 5, 'x', n - 6);
  big[n - 1] = 0;
  memcpy(big + n, "\x03" "6\0a\0b@c\0", 10);
  struct spawn_parser p;
  struct spawn_req r;
  size_t pos = 0;
  spawn_parser_init(&p);
  assert_int_equal(spawn_parse(&p, big, n + 10, &pos), SPAWN_REQ);
  assert_string_equal(spawn_check(&p, 16, &r), "DInternal error: request field too long. (#5.3.5)");
  assert_int_equal(r.slot, 2);
  assert_int_equal(spawn_parse(&p, big, n + 10, &pos), SPAWN_REQ);
  assert_null(spawn_check(&p, 16, &r));
  assert_int_equal(r.slot, 3);
  assert_int_equal(spawn_parse(&p, big, n + 10, &pos), SPAWN_NEED);
  spawn_parser_free(&p);
  free(big);
}

static void t_reply(void **st)
{
  static const struct { const char *rep; size_t n; const char *want; size_t wn; } cases[] = {
    {S("Kdid 1+0+0\n"), S("\x07Kdid 1+0+0\n\0")},
    {S("Dno\tsuch\x01\x7f\xe9user\n"), S("\x07" "Dno_such__?user\n\0")},
    {S("Zcut\0here"), S("\x07Zcut\0")},
    {S("K"), S("\x07K\0")},
    {S(""), S("\x07ZInternal error: malformed report. (#4.3.5)\0")},
    {S("Xbad"), S("\x07ZInternal error: malformed report. (#4.3.5)\0")},
  };
  sb out = SB_INIT;
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; ++i) {
    assert_true(spawn_reply(&out, 7, cases[i].rep, cases[i].n));
    if (out.len != cases[i].wn || memcmp(out.s, cases[i].want, out.len))
      fail_msg("case %zu: got '%.*s'", i, (int)out.len, out.s);
  }
  /* long reports are cut to SPAWN_TEXT_MAX with a note */
  char *big = malloc(5000);
  big[0] = 'D';
  memset(big + 1, 'a', 4999);
  assert_true(spawn_reply(&out, 1, big, 5000));
  assert_int_equal(out.len, 2 + SPAWN_TEXT_MAX + 1);
  assert_memory_equal(out.s + out.len - 32, "\nError report too long, sorry.\n\0", 32);
  assert_true(spawn_reply(&out, 1, big, SPAWN_TEXT_MAX + 1));  /* exactly the limit: uncut */
  assert_int_equal(out.len, 2 + SPAWN_TEXT_MAX + 1);
  assert_int_equal(out.s[out.len - 2], 'a');
  free(big);
  sb_free(&out);
}

static void t_report_local(void **st)
{
  static const struct { int ws; const char *out; size_t n; const char *want; } cases[] = {
    {EXITED(0), S("did 1+0+0\n"), "Kdid 1+0+0\n"},
    {EXITED(100), S("Sorry, no mailbox here by that name. (#5.1.1)\n"), "DSorry, no mailbox here by that name. (#5.1.1)\n"},
    {EXITED(111), S("Unable to chdir to maildir. (#4.2.1)\n"), "ZUnable to chdir to maildir. (#4.2.1)\n"},
    {EXITED(1), S("odd"), "Zodd"},
    {EXITED(0), S("a\0b"), "Ka"},
    {KILLED(9), S("x"), "Zqmail-local crashed.\n"},
    {EXITED(QLX_ROOT), S("x"), "ZNot allowed to perform deliveries as root.\n"},
    {EXITED(QLX_CDB), S(""), "ZTrouble reading users/cdb in qmail-lspawn.\n"},
    {EXITED(QLX_NOALIAS), S(""), "ZUnable to find alias user!\n"},
    {EXITED(QLX_EXECSOFT), S(""), "ZUnable to run qmail-local.\n"},
    {EXITED(QLX_EXECHARD), S(""), "DUnable to run qmail-local.\n"},
    {EXITED(QLX_EXECPW), S(""), "ZUnable to run qmail-getpw.\n"},
    {EXITED(QLX_SYS), S(""), "ZTemporary failure in qmail-lspawn.\n"},
  };
  sb rep = SB_INIT;
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; ++i) {
    spawn_report_local(cases[i].ws, cases[i].out, cases[i].n, &rep);
    if (rep.len != strlen(cases[i].want) || memcmp(rep.s, cases[i].want, rep.len))
      fail_msg("case %zu: got '%.*s' want '%s'", i, (int)rep.len, rep.s, cases[i].want);
  }
  sb_free(&rep);
}

static void t_report_remote(void **st)
{
  static const struct { int ws; const char *out; size_t n; const char *want; } cases[] = {
    {EXITED(0), S("K\0K1.2.3.4 accepted message./Remote host said: 250 ok\n\0"), "K1.2.3.4 accepted message./Remote host said: 250 ok\n"},
    {EXITED(0), S("D1.2.3.4 does not like recipient.\n\0DGiving up on 1.2.3.4.\n\0"), "D1.2.3.4 does not like recipient.\nGiving up on 1.2.3.4.\n"},
    {EXITED(0), S("Zrcpt later\n\0Kbut message ok\n\0"), "Zrcpt later\n"},
    {EXITED(0), S("K\0Zconnection dropped\n\0"), "Zconnection dropped\n"},
    {EXITED(0), S("K\0Dmessage refused\n\0"), "Dmessage refused\n"},
    {EXITED(0), S("ZSorry, I wasn't able to establish an SMTP connection. (#4.4.1)\n\0"), "ZSorry, I wasn't able to establish an SMTP connection. (#4.4.1)\n"},
    {EXITED(0), S(""), "Zqmail-remote produced no output.\n"},
    {EXITED(0), S("Kno terminator"), "Zqmail-remote produced no output.\n"},
    {EXITED(0), S("Xbad\0"), "Zqmail-remote produced malformed output.\n"},
    {EXITED(0), S("K\0\0"), "Zqmail-remote produced malformed output.\n"},
    {EXITED(111), S("K\0"), "ZUnable to run qmail-remote.\n"},
    {EXITED(100), S(""), "DUnable to run qmail-remote.\n"},
    {KILLED(11), S(""), "Zqmail-remote crashed.\n"},
  };
  sb rep = SB_INIT;
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; ++i) {
    spawn_report_remote(cases[i].ws, cases[i].out, cases[i].n, &rep);
    if (rep.len != strlen(cases[i].want) || memcmp(rep.s, cases[i].want, rep.len))
      fail_msg("case %zu: got '%.*s' want '%s'", i, (int)rep.len, rep.s, cases[i].want);
  }
  sb_free(&rep);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(t_parse), cmocka_unit_test(t_check), cmocka_unit_test(t_reply),
    cmocka_unit_test(t_report_local), cmocka_unit_test(t_report_remote),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
