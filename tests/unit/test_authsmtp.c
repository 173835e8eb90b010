#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "authsmtp.h"
#include "base64.h"

const char *progname = "test_authsmtp";

/* ------------------------------------------------------------ inputs */

/* b64 of n bytes, appended */
static void cat64(sb *b, const char *p, size_t n)
{
  assert_true(b64_encode(b, p, n));
}

/* login\0<b64 u>\0<b64 p>\0 */
static void mklogin(sb *b, const char *u, size_t ul, const char *p, size_t pl)
{
  b->len = 0;
  assert_true(sb_catb(b, "login", 6));
  cat64(b, u, ul);
  assert_true(sb_cat0(b));
  cat64(b, p, pl);
  assert_true(sb_cat0(b));
}

/* plain\0<b64 raw>\0 */
static void mkplain(sb *b, const char *raw, size_t rl)
{
  b->len = 0;
  assert_true(sb_catb(b, "plain", 6));
  cat64(b, raw, rl);
  assert_true(sb_cat0(b));
}

static int parse(const sb *b, struct as_cred *c, const char **why)
{
  *why = NULL;
  int r = as_parse(b->s, b->len, c, why);
  assert_non_null(*why);
  return r;
}

/* bytes given literally (with their NULs) */
#define LIT(s) s, sizeof s - 1

static void t_valid(void **st)
{
  (void)st;
  sb b = SB_INIT;
  struct as_cred c;
  const char *why;

  mklogin(&b, "joe", 3, "secret", 6);
  assert_int_equal(parse(&b, &c, &why), AS_OK);
  assert_string_equal(c.mech, "login");
  assert_string_equal(c.login, "joe");
  assert_int_equal(c.loginlen, 3);
  assert_string_equal(c.pass, "secret");
  assert_int_equal(c.passlen, 6);

  /* the exact bytes INTERNALS 10 shows */
  assert_int_equal(as_parse(LIT("login\0am9l\0c2VjcmV0\0"), &c, &why), AS_OK);
  assert_string_equal(c.login, "joe");
  assert_string_equal(c.pass, "secret");
  assert_int_equal(as_parse(LIT("plain\0AGpvZQBzZWNyZXQ=\0"), &c, &why), AS_OK);
  assert_string_equal(c.mech, "plain");
  assert_string_equal(c.login, "joe");
  assert_string_equal(c.pass, "secret");

  /* PLAIN with authzid = authcid */
  mkplain(&b, LIT("joe\0joe\0secret"));
  assert_int_equal(parse(&b, &c, &why), AS_OK);
  assert_string_equal(c.login, "joe");
  assert_string_equal(c.pass, "secret");

  /* filter metacharacters and 8-bit bytes are data, not syntax */
  mklogin(&b, LIT(")(uid=*\\\xff"), "p w", 3);
  assert_int_equal(parse(&b, &c, &why), AS_OK);
  assert_string_equal(c.login, ")(uid=*\\\xff");
  assert_string_equal(c.pass, "p w");

  /* the largest login and password */
  char big[AS_MAXPASS + 2];
  memset(big, 'u', sizeof big);
  mklogin(&b, big, AS_MAXLOGIN, big, AS_MAXPASS);
  assert_int_equal(parse(&b, &c, &why), AS_OK);
  assert_int_equal(c.loginlen, AS_MAXLOGIN);
  assert_int_equal(strlen(c.login), AS_MAXLOGIN);
  assert_int_equal(c.passlen, AS_MAXPASS);
  char raw[AS_MAXLOGIN * 2 + AS_MAXPASS + 2];
  memset(raw, 'u', sizeof raw);
  raw[AS_MAXLOGIN] = 0;
  raw[2 * AS_MAXLOGIN + 1] = 0;
  mkplain(&b, raw, sizeof raw);
  assert_int_equal(parse(&b, &c, &why), AS_OK);
  assert_int_equal(c.loginlen, AS_MAXLOGIN);
  assert_int_equal(c.passlen, AS_MAXPASS);
  sb_free(&b);
}

static void t_deny(void **st)
{
  (void)st;
  sb b = SB_INIT;
  struct as_cred c;
  const char *why;

  /* empty passwords: well formed, never valid */
  mklogin(&b, "joe", 3, "", 0);
  assert_int_equal(parse(&b, &c, &why), AS_DENY);
  assert_string_equal(why, "empty password");
  assert_string_equal(c.login, "joe");
  mkplain(&b, LIT("\0joe\0"));
  assert_int_equal(parse(&b, &c, &why), AS_DENY);
  assert_string_equal(why, "empty password");

  /* proxy authorization is not supported: a differing authzid is D */
  static const struct { const char *raw; size_t n; } prox[] = {
    {LIT("admin\0joe\0secret")}, {LIT("Joe\0joe\0secret")}, {LIT("jo\0joe\0secret")}, {LIT("joe \0joe\0secret")},
  };
  for (size_t i = 0; i < sizeof prox / sizeof prox[0]; ++i) {
    mkplain(&b, prox[i].raw, prox[i].n);
    assert_int_equal(parse(&b, &c, &why), AS_DENY);
    assert_string_equal(why, "authzid differs from authcid");
    assert_string_equal(c.login, "joe");
    /* the password is gone */
    assert_int_equal(c.passlen, 0);
    for (size_t k = 0; k < sizeof c.pass; ++k) assert_int_equal(c.pass[k], 0);
  }
  sb_free(&b);
}

static const struct { const char *in; size_t n; const char *why; } bad[] = {
  {LIT(""), "no input"},
  {LIT("\0"), "unknown mechanism"},
  {LIT("login"), "input does not end with NUL"},
  {LIT("login\0"), "LOGIN needs exactly 3 tokens"},
  {LIT("login\0am9l\0"), "LOGIN needs exactly 3 tokens"},
  {LIT("login\0am9l\0c2VjcmV0"), "input does not end with NUL"},
  {LIT("login\0am9l\0c2VjcmV0\0\0"), "LOGIN needs exactly 3 tokens"},
  {LIT("login\0am9l\0c2VjcmV0\0x\0"), "LOGIN needs exactly 3 tokens"},
  {LIT("login\0am9l\0c2VjcmV0\0x"), "input does not end with NUL"},
  {LIT("login\0am9l\0c2VjcmV0\0x\0y\0"), "too many tokens"},
  {LIT("LOGIN\0am9l\0c2VjcmV0\0"), "unknown mechanism"},
  {LIT("Plain\0AGpvZQBzZWNyZXQ=\0"), "unknown mechanism"},
  {LIT("cram-md5\0am9l\0"), "unknown mechanism"},
  {LIT("loginx\0am9l\0c2VjcmV0\0"), "unknown mechanism"},
  {LIT(" login\0am9l\0c2VjcmV0\0"), "unknown mechanism"},
  {LIT("login\0am9l\0c2VjcmV0\0\n"), "input does not end with NUL"},
  {LIT("login\0\0c2VjcmV0\0"), "empty login"},
  {LIT("login\0am9\0c2VjcmV0\0"), "bad base64"},         /* length not a multiple of 4 */
  {LIT("login\0am9l\0c2VjcmV0=\0"), "bad base64"},
  {LIT("login\0am9l \0c2VjcmV0\0"), "bad base64"},       /* blank */
  {LIT("login\0am9l\0c2Vj\ncmV0\0"), "bad base64"},      /* line break */
  {LIT("login\0am9l\0c2Vj*mV0\0"), "bad base64"},
  {LIT("login\0am9l\0c2==cmV0\0"), "bad base64"},        /* padding in the middle */
  {LIT("login\0a===\0c2VjcmV0\0"), "bad base64"},
  {LIT("login\0=am9\0c2VjcmV0\0"), "bad base64"},
  {LIT("login\0am9l\0c2VjcmV0\xff\0"), "bad base64"},
  {LIT("login\0am8Abw==\0c2VjcmV0\0"), "NUL in login"},   /* "jo\0o" */
  {LIT("login\0AGpvZQ==\0c2VjcmV0\0"), "NUL in login"},   /* "\0joe" */
  {LIT("login\0am9l\0c2VjAHJldA==\0"), "NUL in password"},
  {LIT("plain\0\0"), "PLAIN needs exactly two NULs"},
  {LIT("plain\0"), "PLAIN needs exactly 2 tokens"},
  {LIT("plain\0AGpvZQBzZWNyZXQ=\0\0"), "PLAIN needs exactly 2 tokens"},
  {LIT("plain\0a\0b\0c\0d\0"), "too many tokens"},
  {LIT("plain\0AGpvZQBzZWNyZXQ=\0x\0"), "PLAIN needs exactly 2 tokens"},
  {LIT("plain\0AGpvZQBzZWNyZXQ=\0x"), "input does not end with NUL"},
  {LIT("plain\0AGpvZQBzZWNyZXQ\0"), "bad base64"},
  {LIT("plain\0am9lAHNlY3JldA==\0"), "PLAIN needs exactly two NULs"},          /* joe\0secret */
  {LIT("plain\0am9lc2VjcmV0\0"), "PLAIN needs exactly two NULs"},              /* joesecret */
  {LIT("plain\0AGpvZQBzZWMAcmV0\0"), "PLAIN needs exactly two NULs"},          /* \0joe\0sec\0ret */
  {LIT("plain\0AABzZWNyZXQ=\0"), "empty login"},                              /* \0\0secret */
  {LIT("plain\0am9lAABzZWNyZXQ=\0"), "empty login"},                          /* joe\0\0secret */
};

static void t_malformed(void **st)
{
  (void)st;
  struct as_cred c;
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; ++i) {
    const char *why = NULL;
    int r = as_parse(bad[i].in, bad[i].n, &c, &why);
    if (r != AS_MALFORMED) fail_msg("bad %zu: got %d want Z", i, r);
    if (!why || strcmp(why, bad[i].why)) fail_msg("bad %zu: why \"%s\" want \"%s\"", i, why ? why : "", bad[i].why);
    /* nothing of a malformed attempt survives */
    assert_int_equal(c.loginlen, 0);
    assert_int_equal(c.passlen, 0);
    for (size_t k = 0; k < sizeof c.pass; ++k) if (c.pass[k]) fail_msg("bad %zu: password kept", i);
  }
}

static void t_oversize(void **st)
{
  (void)st;
  sb b = SB_INIT;
  struct as_cred c;
  const char *why;
  char big[AS_MAXIN * 2];
  memset(big, 'a', sizeof big);

  mklogin(&b, big, AS_MAXLOGIN + 1, "secret", 6);
  assert_int_equal(parse(&b, &c, &why), AS_MALFORMED);
  assert_string_equal(why, "login longer than 256 bytes");
  mklogin(&b, "joe", 3, big, AS_MAXPASS + 1);
  assert_int_equal(parse(&b, &c, &why), AS_MALFORMED);
  assert_string_equal(why, "password longer than 512 bytes");

  char raw[AS_MAXIN];
  /* PLAIN: authcid, password and authzid too long */
  memset(raw, 'a', sizeof raw);
  raw[0] = 0;
  raw[AS_MAXLOGIN + 2] = 0;
  mkplain(&b, raw, AS_MAXLOGIN + 2 + 1 + 6);
  assert_int_equal(parse(&b, &c, &why), AS_MALFORMED);
  assert_string_equal(why, "login longer than 256 bytes");
  memset(raw, 'a', sizeof raw);
  raw[0] = 0;
  raw[4] = 0;
  mkplain(&b, raw, 5 + AS_MAXPASS + 1);
  assert_int_equal(parse(&b, &c, &why), AS_MALFORMED);
  assert_string_equal(why, "password longer than 512 bytes");
  memset(raw, 'a', sizeof raw);
  raw[AS_MAXLOGIN + 1] = 0;
  raw[AS_MAXLOGIN + 5] = 0;
  mkplain(&b, raw, AS_MAXLOGIN + 5 + 1 + 6);
  assert_int_equal(parse(&b, &c, &why), AS_MALFORMED);
  assert_string_equal(why, "authzid longer than 256 bytes");

  /* the whole input: 2049 bytes are too many whatever they are */
  mklogin(&b, "joe", 3, "secret", 6);
  assert_true(sb_ready(&b, AS_MAXIN + 10));
  assert_int_equal(as_parse(b.s, AS_MAXIN + 1, &c, &why), AS_MALFORMED);
  assert_string_equal(why, "input longer than 2048 bytes");
  /* a 3000-byte login token */
  b.len = 0;
  assert_true(sb_catb(&b, "login", 6));
  for (int i = 0; i < 3000 / 4; ++i) assert_true(sb_cats(&b, "YWFh"));
  assert_true(sb_cat0(&b));
  assert_true(sb_cats(&b, "c2VjcmV0"));
  assert_true(sb_cat0(&b));
  assert_int_equal(parse(&b, &c, &why), AS_MALFORMED);
  assert_string_equal(why, "input longer than 2048 bytes");
  /* exactly 2048 bytes are read (and then judged on their form) */
  b.len = 0;
  assert_true(sb_catb(&b, "login", 6));
  while (b.len < AS_MAXIN - 10) assert_true(sb_cats(&b, "YWFh"));
  while (b.len < AS_MAXIN - 1) assert_true(sb_catc(&b, 'x'));
  assert_true(sb_cat0(&b));
  assert_int_equal(b.len, AS_MAXIN);
  assert_int_equal(parse(&b, &c, &why), AS_MALFORMED);
  assert_string_equal(why, "LOGIN needs exactly 3 tokens");
  sb_free(&b);
}

/* every proper prefix of a valid input is malformed; so is every input
 * with one byte more; no single changed byte makes the parser misbehave */
static void t_bytewise(void **st)
{
  (void)st;
  sb in[4] = {SB_INIT, SB_INIT, SB_INIT, SB_INIT}, x = SB_INIT;
  struct as_cred c;
  const char *why;
  mklogin(&in[0], "joe", 3, "secret", 6);
  mkplain(&in[1], LIT("\0joe\0secret"));
  mkplain(&in[2], LIT("joe\0joe\0secret"));
  mklogin(&in[3], LIT("j\xc3\xb6rg@example.com"), LIT("p\xc3\xa4ss w\xc3\xb6rd"));
  for (int k = 0; k < 4; ++k) {
    assert_int_equal(as_parse(in[k].s, in[k].len, &c, &why), AS_OK);
    for (size_t n = 0; n < in[k].len; ++n) {
      int r = as_parse(in[k].s, n, &c, &why);
      if (r != AS_MALFORMED) fail_msg("input %d truncated to %zu: got %d (%s)", k, n, r, why);
    }
    for (int ch = 0; ch < 256; ++ch) {
      assert_true(sb_copysb(&x, &in[k]));
      assert_true(sb_catc(&x, (char)ch));
      int r = as_parse(x.s, x.len, &c, &why);
      if (r != AS_MALFORMED) fail_msg("input %d + byte %d: got %d", k, ch, r);
    }
    for (size_t pos = 0; pos < in[k].len; ++pos)
      for (int ch = 0; ch < 256; ++ch) {
        assert_true(sb_copysb(&x, &in[k]));
        x.s[pos] = (char)ch;
        int r = as_parse(x.s, x.len, &c, &why);
        assert_true(r == AS_OK || r == AS_DENY || r == AS_MALFORMED);
        if (r == AS_OK) {
          assert_true(c.loginlen > 0 && c.loginlen <= AS_MAXLOGIN && strlen(c.login) == c.loginlen);
          assert_true(c.passlen > 0 && c.passlen <= AS_MAXPASS && strlen(c.pass) == c.passlen);
        }
      }
  }
  for (int k = 0; k < 4; ++k) sb_free(&in[k]);
  sb_free(&x);
}

static void t_wipe(void **st)
{
  (void)st;
  struct as_cred c;
  const char *why;
  assert_int_equal(as_parse(LIT("login\0am9l\0c2VjcmV0\0"), &c, &why), AS_OK);
  as_wipe(&c);
  for (size_t k = 0; k < sizeof c.pass; ++k) assert_int_equal(c.pass[k], 0);
  assert_int_equal(c.passlen, 0);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(t_valid), cmocka_unit_test(t_deny), cmocka_unit_test(t_malformed),
    cmocka_unit_test(t_oversize), cmocka_unit_test(t_bytewise), cmocka_unit_test(t_wipe),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
