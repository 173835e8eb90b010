/* pwgen (digest(8)): every value made for every scheme, with random and
 * with given salts, verifies with pw_check and a wrong password does
 * not; known vectors; bad salts and unknown crypt methods refused. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include "pwcheck.h"
#include "pwgen.h"

const char *progname = "test_digest";

static const char *const prefixes[] = {NULL, "", "_", "$1$", "$5$", "$6$", "$2b$", "$y$", "$gy$", "$7$"};

static void roundtrip(const struct pwg_scheme *s, const char *pw, const unsigned char *salt, size_t sl,
                      const char *prefix)
{
  sb out = SB_INIT;
  char wrong[1100];
  int r = pwg_make(s, pw, salt, sl, prefix, &out);
  if (r == PWG_UNSUPPORTED && !strcmp(s->name, "md4")) { sb_free(&out); return; }   /* no legacy provider */
  if (r != PWG_OK) fail_msg("%s %s: %s", s->name, prefix ? prefix : "(default)", pwg_result_text(r));
  if (strncmp(out.s, s->tag, strlen(s->tag))) fail_msg("%s: %s lacks %s", s->name, out.s, s->tag);
  if (strlen(out.s) != out.len) fail_msg("%s: NUL inside", s->name);
  int c = pw_check(out.s, out.len, pw, 0);
  if (c != PW_MATCH) fail_msg("%s %s: %s does not verify: %s", s->name, prefix ? prefix : "", out.s, pw_result_text(c));
  snprintf(wrong, sizeof wrong, "%sx", pw);
  /* DES reads 8 characters only: a longer password's tail is not checked */
  int des = prefix && (!*prefix || !strcmp(prefix, "_"));
  if ((!des || strlen(pw) < 8) && pw_check(out.s, out.len, wrong, 0) != PW_NOMATCH)
    fail_msg("%s: a wrong password verifies: %s", s->name, out.s);
  if (strlen(pw) > 1 && (!des || strlen(pw) <= 8)) {
    snprintf(wrong, sizeof wrong, "%.*s", (int)strlen(pw) - 1, pw);
    if (pw_check(out.s, out.len, wrong, 0) != PW_NOMATCH) fail_msg("%s: a shorter password verifies", s->name);
  }
  sb_free(&out);
}

static void t_roundtrip(void **st)
{
  (void)st;
  static const char *const pws[] = {"secret", "x", "p\xc3\xa4ss w\xc3\xb6rd", "  spaces  ", "{SSHA}looks-like-a-hash",
                                    "0123456789012345678901234567890123456789012345678901234567890123456789"};
  unsigned char salt[PWG_SALT_DEFAULT];
  for (size_t k = 0; k < sizeof pws / sizeof pws[0]; ++k)
    for (unsigned i = 0; i < pwg_nschemes; ++i) {
      const struct pwg_scheme *s = &pwg_schemes[i];
      assert_int_equal(getrandom(salt, sizeof salt, 0), sizeof salt);
      if (s->kind == PWG_KIND_CRYPT) {
        /* slow methods with one password only */
        for (size_t p = 0; p < sizeof prefixes / sizeof prefixes[0]; ++p)
          if (k == 0 || (prefixes[p] && (!strcmp(prefixes[p], "") || !strcmp(prefixes[p], "$6$"))))
            roundtrip(s, pws[k], salt, sizeof salt, prefixes[p]);
      } else {
        roundtrip(s, pws[k], salt, sizeof salt, NULL);
      }
    }
}

/* salts of every length a scheme takes: 1..64 bytes, NULs and 0xff inside */
static void t_salts(void **st)
{
  (void)st;
  unsigned char salt[PWG_SALT_MAX];
  for (size_t i = 0; i < sizeof salt; ++i) salt[i] = (unsigned char)(i * 37 + (i & 1 ? 0xff : 0));
  for (unsigned i = 0; i < pwg_nschemes; ++i) {
    const struct pwg_scheme *s = &pwg_schemes[i];
    if (s->kind != PWG_KIND_SALTED) continue;
    for (size_t n = 1; n <= sizeof salt; n += (n < 8 ? 1 : 13)) roundtrip(s, "secret", salt, n, NULL);
  }
  roundtrip(pwg_find("ns-mta-md5"), "secret", salt, 16, NULL);
  roundtrip(pwg_find("ns-mta-md5"), "secret", salt, 64, NULL);
}

static void t_vectors(void **st)
{
  (void)st;
  static const unsigned char s4[] = {0x00, 0x11, 0x22, 0x33};
  static const struct { const char *type, *want; const unsigned char *salt; size_t sl; } v[] = {
    {"md5", "{MD5}Xr4ilOzQ4PCOq3aQ0qbuaQ==", s4, 4},
    {"sha", "{SHA}5en6G6MezRroT3XKqkdPOmY/BfQ=", s4, 4},
    {"sha256", "{SHA256}K7gNU3sdo+OL0wNhqoVWhr3g6s1xYv72ol/pe/Unols=", s4, 4},
    {"rmd160", "{RMD160}zZi/AgLvB+OOh/a9lEXl5zMeLHg=", s4, 4},
    /* base64(SHA1("secret" 00 11 22 33) 00 11 22 33) */
    {"ssha", "{SSHA}5d3eo/Jfm5nGCm3GasFAyg1rXQAAESIz", s4, 4},
  };
  for (size_t i = 0; i < sizeof v / sizeof v[0]; ++i) {
    sb out = SB_INIT;
    assert_int_equal(pwg_make(pwg_find(v[i].type), "secret", v[i].salt, v[i].sl, NULL, &out), PWG_OK);
    if (strcmp(out.s, v[i].want)) fail_msg("%s: got %s want %s", v[i].type, out.s, v[i].want);
    sb_free(&out);
  }
  /* the unsalted digests ignore the salt */
  sb a = SB_INIT, b = SB_INIT;
  unsigned char x[16] = {1}, y[16] = {2};
  assert_int_equal(pwg_make(pwg_find("sha512"), "secret", x, 16, NULL, &a), PWG_OK);
  assert_int_equal(pwg_make(pwg_find("sha512"), "secret", y, 16, NULL, &b), PWG_OK);
  assert_string_equal(a.s, b.s);
  /* the salted ones and crypt do not */
  assert_int_equal(pwg_make(pwg_find("ssha512"), "secret", x, 16, NULL, &a), PWG_OK);
  assert_int_equal(pwg_make(pwg_find("ssha512"), "secret", y, 16, NULL, &b), PWG_OK);
  assert_string_not_equal(a.s, b.s);
  assert_int_equal(pwg_make(pwg_find("crypt"), "secret", x, 16, "$6$", &a), PWG_OK);
  assert_int_equal(pwg_make(pwg_find("crypt"), "secret", y, 16, "$6$", &b), PWG_OK);
  assert_string_not_equal(a.s, b.s);
  /* the same salt, the same value: repeatable */
  assert_int_equal(pwg_make(pwg_find("crypt"), "secret", x, 16, "$y$", &a), PWG_OK);
  assert_int_equal(pwg_make(pwg_find("crypt"), "secret", x, 16, "$y$", &b), PWG_OK);
  assert_string_equal(a.s, b.s);
  assert_true(!strncmp(a.s, "{CRYPT}$y$", 10));
  assert_int_equal(pwg_make(pwg_find("crypt"), "secret", x, 16, NULL, &a), PWG_OK);   /* preferred method */
  assert_true(!strncmp(a.s, "{CRYPT}$", 8));
  sb_free(&a);
  sb_free(&b);
}

static void t_refused(void **st)
{
  (void)st;
  sb out = SB_INIT;
  unsigned char salt[PWG_SALT_MAX + 1] = {0};
  assert_int_equal(pwg_make(pwg_find("ssha"), "secret", salt, 0, NULL, &out), PWG_BADSALT);
  assert_int_equal(pwg_make(pwg_find("ssha"), "secret", salt, PWG_SALT_MAX + 1, NULL, &out), PWG_BADSALT);
  assert_int_equal(pwg_make(pwg_find("ns-mta-md5"), "secret", salt, 15, NULL, &out), PWG_BADSALT);
  assert_int_equal(pwg_make(pwg_find("crypt"), "secret", salt, 0, "$6$", &out), PWG_BADSALT);
  assert_int_equal(pwg_make(pwg_find("crypt"), "secret", salt, 3, "$6$", &out), PWG_BADSALT);   /* libcrypt: empty salt */
  assert_int_equal(pwg_make(pwg_find("crypt"), "secret", salt, 15, "", &out), PWG_BADSALT);
  assert_int_equal(pwg_make(pwg_find("crypt"), "secret", salt, 4, "$2b$", &out), PWG_BADSALT);   /* bcrypt needs 16 */
  assert_int_equal(pwg_make(pwg_find("crypt"), "secret", salt, 16, "$9$", &out), PWG_UNSUPPORTED);
  assert_int_equal(pwg_make(pwg_find("crypt"), "secret", salt, 16, "nonsense", &out), PWG_UNSUPPORTED);
  assert_null(pwg_find("cleartext"));
  assert_null(pwg_find(""));
  assert_non_null(pwg_find("SSHA"));
  assert_non_null(pwg_find("NS-MTA-MD5"));
  sb_free(&out);
  /* pwg_dummy must not crash on any password */
  pwg_dummy("");
  pwg_dummy("secret");
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(t_roundtrip), cmocka_unit_test(t_salts), cmocka_unit_test(t_vectors), cmocka_unit_test(t_refused),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
