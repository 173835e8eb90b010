/* pop3cmd: command lines (verbs, limits, NUL, CR), message numbers,
 * TOP and AUTH arguments, AUTH PLAIN decoding (every malformed form,
 * oversize, authzid, cancel), qmail-popup's internal login record, the
 * chain exit code texts; and a command stream read through rd and fed
 * one byte at a time gives the same commands as fed at once. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>
#include "base64.h"
#include "feed.h"
#include "pop3cmd.h"
#include "rd.h"

const char *progname = "test_pop3cmd";

static void t_cmdline(void **st)
{
  static const struct { const char *line; size_t len; int rc; enum pop3_verb v; const char *arg; } c[] = {
    {"USER joe", 8, P3L_OK, P3_USER, "joe"},
    {"user joe\r", 9, P3L_OK, P3_USER, "joe"},
    {"PASS  two spaces ", 17, P3L_OK, P3_PASS, " two spaces "},   /* the password as sent */
    {"QUIT", 4, P3L_OK, P3_QUIT, ""},
    {"quit\r", 5, P3L_OK, P3_QUIT, ""},
    {"NoOp", 4, P3L_OK, P3_NOOP, ""},
    {"CAPA", 4, P3L_OK, P3_CAPA, ""},
    {"STLS", 4, P3L_OK, P3_STLS, ""},
    {"AUTH PLAIN", 10, P3L_OK, P3_AUTH, "PLAIN"},
    {"APOP a b", 8, P3L_OK, P3_APOP, "a b"},
    {"STAT", 4, P3L_OK, P3_STAT, ""},
    {"LIST 1", 6, P3L_OK, P3_LIST, "1"},
    {"RETR 12", 7, P3L_OK, P3_RETR, "12"},
    {"DELE 3", 6, P3L_OK, P3_DELE, "3"},
    {"RSET", 4, P3L_OK, P3_RSET, ""},
    {"UIDL", 4, P3L_OK, P3_UIDL, ""},
    {"TOP 1 10", 8, P3L_OK, P3_TOP, "1 10"},
    {"LAST", 4, P3L_OK, P3_LAST, ""},
    {"STATX", 5, P3L_OK, P3_UNKNOWN, ""},
    {"STA", 3, P3L_OK, P3_UNKNOWN, ""},
    {" STAT", 5, P3L_OK, P3_UNKNOWN, "STAT"},
    {"STAT\tx", 6, P3L_OK, P3_UNKNOWN, ""},
    {"\xff\xfe", 2, P3L_OK, P3_UNKNOWN, ""},
    {"", 0, P3L_EMPTY, P3_UNKNOWN, ""},
    {"\r", 1, P3L_EMPTY, P3_UNKNOWN, ""},
    {"US\0ER joe", 9, P3L_NUL, P3_UNKNOWN, ""},
    {"USER jo\0e", 9, P3L_NUL, P3_UNKNOWN, ""},
    {"PASS x\r\r", 8, P3L_OK, P3_PASS, "x\r"},             /* one CR only is the line end */
  };
  (void)st;
  for (size_t i = 0; i < sizeof c / sizeof c[0]; ++i) {
    struct pop3_cmd cmd;
    int r = pop3_cmdline(c[i].line, c[i].len, &cmd);
    if (r != c[i].rc || cmd.verb != c[i].v || cmd.arglen != strlen(c[i].arg) ||
        memcmp(cmd.arg, c[i].arg, cmd.arglen))
      fail_msg("case %zu: got rc %d verb %d arg '%.*s', want %d %d '%s'", i, r, cmd.verb, (int)cmd.arglen,
               cmd.arg, c[i].rc, c[i].v, c[i].arg);
  }
}

static void t_linelimits(void **st)
{
  char b[POP3_SASLMAX + 10];
  struct pop3_cmd c;
  (void)st;
  /* 255 octets with CRLF: 253 without */
  memcpy(b, "USER ", 5);
  memset(b + 5, 'x', sizeof b - 5);
  assert_int_equal(pop3_cmdline(b, POP3_LINEMAX - 2, &c), P3L_OK);
  assert_int_equal(c.verb, P3_USER);
  assert_int_equal(c.arglen, POP3_LINEMAX - 2 - 5);
  assert_int_equal(pop3_cmdline(b, POP3_LINEMAX - 1, &c), P3L_TOOLONG);
  assert_int_equal(c.verb, P3_UNKNOWN);
  b[POP3_LINEMAX - 2] = '\r';                     /* the CR does not count twice */
  assert_int_equal(pop3_cmdline(b, POP3_LINEMAX - 1, &c), P3L_OK);
  /* a 1000-byte user name */
  assert_int_equal(pop3_cmdline(b, 1005, &c), P3L_TOOLONG);
  /* AUTH may be longer: up to POP3_SASLMAX with CRLF */
  memcpy(b, "AUTH PLAIN ", 11);
  memset(b + 11, 'Q', sizeof b - 11);
  assert_int_equal(pop3_cmdline(b, POP3_SASLMAX - 2, &c), P3L_OK);
  assert_int_equal(c.verb, P3_AUTH);
  assert_int_equal(pop3_cmdline(b, POP3_SASLMAX - 1, &c), P3L_TOOLONG);
  /* SASL lines */
  size_t n = POP3_SASLMAX - 2;
  assert_int_equal(pop3_saslline(b, &n), P3L_OK);
  n = POP3_SASLMAX - 1;
  assert_int_equal(pop3_saslline(b, &n), P3L_TOOLONG);
  n = 3;
  assert_int_equal(pop3_saslline("ab\r", &n), P3L_OK);
  assert_int_equal(n, 2);
  n = 3;
  assert_int_equal(pop3_saslline("a\0b", &n), P3L_NUL);
  n = 0;
  assert_int_equal(pop3_saslline("", &n), P3L_OK);
}

static void t_numbers(void **st)
{
  static const struct { const char *s; int ok; uint64_t v; } c[] = {
    {"1", 1, 1}, {"42", 1, 42}, {"007", 1, 7}, {"18446744073709551615", 1, UINT64_MAX},
    {"18446744073709551616", 0, 0}, {"0", 0, 0}, {"", 0, 0}, {"-1", 0, 0}, {"+1", 0, 0},
    {"1 ", 0, 0}, {" 1", 0, 0}, {"1a", 0, 0}, {"0x1", 0, 0},
  };
  (void)st;
  for (size_t i = 0; i < sizeof c / sizeof c[0]; ++i) {
    uint64_t v = 99;
    int r = pop3_msgnum(c[i].s, strlen(c[i].s), &v);
    if (r != c[i].ok || (r && v != c[i].v)) fail_msg("msgnum case %zu (%s): got %d %llu", i, c[i].s, r, (unsigned long long)v);
  }
  static const struct { const char *s; int ok; uint64_t m, l; } t[] = {
    {"1 0", 1, 1, 0}, {"3 10", 1, 3, 10}, {"3   10", 1, 3, 10}, {"1", 0, 0, 0}, {"1 ", 0, 0, 0},
    {"0 5", 0, 0, 0}, {"1 x", 0, 0, 0}, {"1 5 6", 0, 0, 0}, {" 1 5", 0, 0, 0}, {"1 -5", 0, 0, 0},
    {"", 0, 0, 0}, {"1 99999999999999999999", 0, 0, 0},
  };
  for (size_t i = 0; i < sizeof t / sizeof t[0]; ++i) {
    uint64_t m = 99, l = 99;
    int r = pop3_toparg(t[i].s, strlen(t[i].s), &m, &l);
    if (r != t[i].ok || (r && (m != t[i].m || l != t[i].l))) fail_msg("toparg case %zu (%s): got %d", i, t[i].s, r);
  }
}

static void t_authargs(void **st)
{
  static const struct { const char *s; int rc; const char *resp; } c[] = {
    {"", P3A_LIST, ""}, {"PLAIN", P3A_PLAIN, ""}, {"plain", P3A_PLAIN, ""},
    {"PLAIN AGpvZQBzZWNyZXQ=", P3A_PLAIN_RESP, "AGpvZQBzZWNyZXQ="}, {"PLAIN =", P3A_PLAIN_RESP, "="},
    {"LOGIN", P3A_UNKNOWN, ""}, {"CRAM-MD5", P3A_UNKNOWN, ""}, {"PLAINX", P3A_UNKNOWN, ""},
    {" PLAIN", P3A_SYNTAX, ""}, {"PLAIN ", P3A_SYNTAX, ""}, {"PLAIN a b", P3A_SYNTAX, ""},
  };
  (void)st;
  for (size_t i = 0; i < sizeof c / sizeof c[0]; ++i) {
    const char *r;
    size_t n;
    int k = pop3_authargs(c[i].s, strlen(c[i].s), &r, &n);
    if (k != c[i].rc || (k == P3A_PLAIN_RESP && (n != strlen(c[i].resp) || memcmp(r, c[i].resp, n))))
      fail_msg("authargs case %zu (%s): got %d", i, c[i].s, k);
  }
}

static void b64(sb *out, const char *p, size_t n)
{
  out->len = 0;
  assert_true(b64_encode(out, p, n));
  assert_true(sb_cat0(out));
  out->len--;
}

static void t_plain(void **st)
{
  static const struct { const char *raw; size_t len; int rc; const char *user, *pass; } c[] = {
    {"\0joe\0secret", 11, P3P_OK, "joe", "secret"},
    {"joe\0joe\0secret", 14, P3P_OK, "joe", "secret"},       /* authzid = authcid is fine */
    {"\0joe\0pass with spaces", 21, P3P_OK, "joe", "pass with spaces"},
    {"admin\0joe\0secret", 16, P3P_AUTHZID, 0, 0},
    {"jo\0joe\0secret", 13, P3P_AUTHZID, 0, 0},
    {"\0joe\0", 5, P3P_EMPTY, 0, 0},
    {"\0\0secret", 8, P3P_EMPTY, 0, 0},
    {"\0joe", 4, P3P_FORM, 0, 0},
    {"joe", 3, P3P_FORM, 0, 0},
    {"\0joe\0sec\0ret", 12, P3P_FORM, 0, 0},
    {"\0joe\0secret\0", 12, P3P_FORM, 0, 0},
    {"", 0, P3P_FORM, 0, 0},
  };
  sb enc = SB_INIT, user = SB_INIT, pass = SB_INIT;
  (void)st;
  for (size_t i = 0; i < sizeof c / sizeof c[0]; ++i) {
    b64(&enc, c[i].raw, c[i].len);
    int r = pop3_plain(enc.s, enc.len, &user, &pass);
    if (r != c[i].rc) fail_msg("plain case %zu: got %d want %d", i, r, c[i].rc);
    if (r == P3P_OK) {
      assert_int_equal(user.len, strlen(c[i].user));
      assert_string_equal(user.s, c[i].user);
      assert_string_equal(pass.s, c[i].pass);
    } else {
      assert_int_equal(user.len, 0);
      assert_int_equal(pass.len, 0);
    }
  }
  /* cancel, empty, bad base64 */
  assert_int_equal(pop3_plain("*", 1, &user, &pass), P3P_CANCEL);
  assert_int_equal(pop3_plain("=", 1, &user, &pass), P3P_EMPTY);
  static const char *bad[] = {"AGpvZQBzZWNyZXQ", "AGpvZQBzZWNyZXQ==", "AGpv ZQBzZWNyZXQ=", "AGpvZQBz=WNyZXQ=",
                              "AGpvZQBzZWNyZX!=", "====", "A"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; ++i)
    if (pop3_plain(bad[i], strlen(bad[i]), &user, &pass) != P3P_BASE64) fail_msg("bad base64 %zu accepted", i);
  /* limits: user 256 and password 512 pass, one more each does not */
  char raw[2000];
  raw[0] = 0;
  memset(raw + 1, 'u', POP3_USERMAX);
  raw[1 + POP3_USERMAX] = 0;
  memset(raw + 2 + POP3_USERMAX, 'p', POP3_PASSMAX);
  b64(&enc, raw, 2 + POP3_USERMAX + POP3_PASSMAX);
  assert_int_equal(pop3_plain(enc.s, enc.len, &user, &pass), P3P_OK);
  assert_int_equal(user.len, POP3_USERMAX);
  assert_int_equal(pass.len, POP3_PASSMAX);
  memset(raw + 2 + POP3_USERMAX, 'p', POP3_PASSMAX + 1);
  b64(&enc, raw, 2 + POP3_USERMAX + POP3_PASSMAX + 1);
  assert_int_equal(pop3_plain(enc.s, enc.len, &user, &pass), P3P_TOOLONG);
  memset(raw + 1, 'u', 1000);                                  /* a 1000-byte user name */
  raw[1001] = 0;
  memcpy(raw + 1002, "pw", 2);
  b64(&enc, raw, 1004);
  assert_int_equal(pop3_plain(enc.s, enc.len, &user, &pass), P3P_TOOLONG);
  /* an oversized base64 blob is refused before decoding */
  sb big = SB_INIT;
  for (int i = 0; i < 1000; ++i) assert_true(sb_cats(&big, "QUFB"));
  assert_int_equal(pop3_plain(big.s, big.len, &user, &pass), P3P_TOOLONG);
  sb_free(&big);
  sb_free(&enc);
  sb_free(&user);
  sb_free(&pass);
}

static void t_credrec(void **st)
{
  sb r = SB_INIT;
  char mode = 0;
  (void)st;
  assert_true(pop3_credmake(&r, 'T', "joe", 3, "secret", 6, "<1.2@h>"));
  assert_int_equal(r.len, 1 + 4 + 7 + 8);
  assert_memory_equal(r.s, "Tjoe\0secret\0<1.2@h>\0", r.len);
  assert_true(pop3_credrec(r.s, r.len, &mode));
  assert_int_equal(mode, 'T');
  assert_true(pop3_credmake(&r, 'P', "joe", 3, "", 0, ""));     /* the chain decides about empties */
  assert_true(pop3_credrec(r.s, r.len, &mode));
  assert_int_equal(mode, 'P');
  assert_false(pop3_credmake(&r, 'P', "", 0, "x", 1, "s"));
  assert_false(pop3_credmake(&r, 'P', "a\0b", 3, "x", 1, "s"));
  assert_false(pop3_credmake(&r, 'P', "a", 1, "x\0", 2, "s"));
  static const struct { const char *b; size_t n; int ok; } c[] = {
    {"Pjoe\0pw\0ts\0", 11, 1}, {"Xjoe\0pw\0ts\0", 11, 0}, {"P\0pw\0ts\0", 8, 0}, {"Pjoe\0pw\0ts", 10, 0},
    {"Pjoe\0pw\0ts\0x", 12, 0}, {"Pjoe\0pw\0", 8, 0}, {"", 0, 0}, {"P", 1, 0}, {"Pjoe\0pw\0ts\0\0", 12, 0},
  };
  for (size_t i = 0; i < sizeof c / sizeof c[0]; ++i)
    if (pop3_credrec(c[i].b, c[i].n, &mode) != c[i].ok) fail_msg("credrec case %zu", i);
  char big[POP3_CREDMAX + 10];
  memset(big, 'u', sizeof big);
  big[0] = 'P';
  big[1 + POP3_USERMAX] = 0;
  big[2 + POP3_USERMAX + POP3_PASSMAX] = 0;
  big[3 + POP3_USERMAX + POP3_PASSMAX + POP3_STAMPMAX] = 0;
  assert_true(pop3_credrec(big, POP3_CREDMAX, &mode));
  big[1 + POP3_USERMAX] = 'u';
  big[2 + POP3_USERMAX] = 0;                       /* user one byte too long */
  assert_false(pop3_credrec(big, POP3_CREDMAX, &mode));
  pop3_wipe(&r);
  assert_int_equal(r.len, 0);
  sb_free(&r);
}

static void t_chainerr(void **st)
{
  static const struct { int code; const char *text; } c[] = {
    {1, "-ERR [SYS/PERM] error in server configuration"},
    {2, "-ERR [SYS/TEMP] unable to contact authorization server"},
    {3, "-ERR [AUTH] authorization failed"},
    {4, "-ERR [SYS/PERM] account disabled"},
    {5, "-ERR [SYS/TEMP] mailhost is unreachable"},
    {6, "-ERR [SYS/PERM] mailbox is corrupted"},
    {7, "-ERR [SYS/TEMP] unable to start subprogram"},
    {8, "-ERR [SYS/TEMP] out of memory"},
    {25, "-ERR [SYS/PERM] user record incorrect"},
    {61, "-ERR [SYS/TEMP] mailbox could not be created"},
    {62, "-ERR [SYS/PERM] the users mailbox does not exist"},
    {111, "-ERR [SYS/TEMP] temporary error"},
    {99, "-ERR [SYS/TEMP] temporary error"},
  };
  (void)st;
  assert_null(pop3_chainerr(1, 0));
  for (size_t i = 0; i < sizeof c / sizeof c[0]; ++i) assert_string_equal(pop3_chainerr(1, c[i].code), c[i].text);
  assert_string_equal(pop3_chainerr(0, 11), "-ERR [SYS/TEMP] aack, child crashed");
  /* distinct texts for distinct codes (no two share a text by mistake) */
  for (size_t i = 0; i + 2 < sizeof c / sizeof c[0]; ++i)
    for (size_t j = i + 1; j + 1 < sizeof c / sizeof c[0]; ++j)
      if (!strcmp(c[i].text, c[j].text) && c[j].code != 111) fail_msg("codes %d and %d share a text", c[i].code, c[j].code);
}

static void t_logsafe(void **st)
{
  sb o = SB_INIT;
  (void)st;
  assert_true(pop3_logsafe(&o, "joe", 3, 64));
  assert_string_equal(o.s, "joe");
  assert_true(pop3_logsafe(&o, "a\nb\0c\x7f\xe4", 7, 64));     /* no forged log lines */
  assert_string_equal(o.s, "a?b?c??");
  assert_true(pop3_logsafe(&o, "abcdef", 6, 4));
  assert_string_equal(o.s, "abcd...");
  assert_true(pop3_logsafe(&o, "", 0, 4));
  assert_string_equal(o.s, "");
  sb_free(&o);
}

/* a session's commands through rd, all at once and one byte per write */
static void t_stream(void **st)
{
  static const char in[] = "CAPA\r\nUSER joe\nPASS a\0b\r\nLIST 1\r\nXX\r\n\r\nAUTH PLAIN AGpvZQBzZWNyZXQ=\r\nQUIT";
  static const struct { int rc; enum pop3_verb v; const char *arg; } want[] = {
    {P3L_OK, P3_CAPA, ""}, {P3L_OK, P3_USER, "joe"}, {P3L_NUL, P3_UNKNOWN, ""}, {P3L_OK, P3_LIST, "1"},
    {P3L_OK, P3_UNKNOWN, ""}, {P3L_EMPTY, P3_UNKNOWN, ""}, {P3L_OK, P3_AUTH, "PLAIN AGpvZQBzZWNyZXQ="},
  };
  (void)st;
  for (int bytewise = 0; bytewise < 2; ++bytewise) {
    int fd = feed(in, sizeof in - 1, bytewise);
    struct rd r;
    sb line = SB_INIT;
    rd_init(&r, fd, 5);
    for (size_t i = 0; i < sizeof want / sizeof want[0]; ++i) {
      struct pop3_cmd c;
      assert_int_equal(rd_line(&r, &line, '\n', POP3_SASLMAX), RD_OK);
      int k = pop3_cmdline(line.s, line.len, &c);
      if (k != want[i].rc || c.verb != want[i].v || c.arglen != strlen(want[i].arg) ||
          memcmp(c.arg, want[i].arg, c.arglen))
        fail_msg("%s: command %zu: got %d %d", bytewise ? "bytewise" : "at once", i, k, c.verb);
    }
    /* the last line has no LF: partial, never a command */
    assert_int_equal(rd_line(&r, &line, '\n', POP3_SASLMAX), RD_PARTIAL);
    sb_free(&line);
    reap(fd);
  }
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(t_cmdline), cmocka_unit_test(t_linelimits), cmocka_unit_test(t_numbers),
    cmocka_unit_test(t_authargs), cmocka_unit_test(t_plain), cmocka_unit_test(t_credrec),
    cmocka_unit_test(t_chainerr), cmocka_unit_test(t_logsafe), cmocka_unit_test(t_stream),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
