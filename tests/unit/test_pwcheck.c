#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>
#include "pwcheck.h"

const char *progname = "test_pwcheck";

/* hashes of "secret" made with slappasswd */
static const struct { const char *stored; const char *pw; int clear; int want; } cases[] = {
  {"{SSHA}5tnTpdUjp/Sj68iV0t7waZg9F9GggLnk", "secret", 0, PW_MATCH},
  {"{SSHA}5tnTpdUjp/Sj68iV0t7waZg9F9GggLnk", "Secret", 0, PW_NOMATCH},
  {"{ssha}5tnTpdUjp/Sj68iV0t7waZg9F9GggLnk", "secret", 0, PW_MATCH},
  {"{SMD5}fEHQefwrl6epodLb2gf7ro4cda4=", "secret", 0, PW_MATCH},
  {"{MD5}Xr4ilOzQ4PCOq3aQ0qbuaQ==", "secret", 0, PW_MATCH},
  {"{MD5}Xr4ilOzQ4PCOq3aQ0qbuaQ==", "secreT", 0, PW_NOMATCH},
  {"{SHA}5en6G6MezRroT3XKqkdPOmY/BfQ=", "secret", 0, PW_MATCH},
  {"{CRYPT}VVi/ISd4b5x8U", "secret", 0, PW_MATCH},
  {"{crypt}VVi/ISd4b5x8U", "wrong", 0, PW_NOMATCH},
  {"VVi/ISd4b5x8U", "secret", 0, PW_MATCH},              /* bare crypt(3) */
  {"secret", "secret", 0, PW_NOMATCH},                    /* cleartext only when allowed */
  {"secret", "secret", 1, PW_MATCH},
  {"{CLEARTEXT}secret", "secret", 0, PW_UNSUPPORTED},
  {"{CLEARTEXT}secret", "secret", 1, PW_MATCH},
  {"{FOO}bar", "secret", 0, PW_UNSUPPORTED},
  {"{SSHA}!!notbase64", "secret", 0, PW_NOMATCH},
  {"{SSHA}", "secret", 0, PW_NOMATCH},
  {"{SSHA}5tnTpdUjp/Sj68iV0t7waZg9F9GggLnk", "", 0, PW_NOMATCH},   /* empty password */
  {"{SHA}5en6G6MezRroT3XKqkdPOmY/BfQ", "secret", 0, PW_NOMATCH},   /* bad length */
  {"{NS-MTA-MD5}00000000000000000000000000000000aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "secret", 0, PW_NOMATCH},
};

static void t_cases(void **st)
{
  (void)st;
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; ++i) {
    int got = pw_check(cases[i].stored, strlen(cases[i].stored), cases[i].pw, cases[i].clear);
    if (got != cases[i].want) fail_msg("case %zu (%s): got %d want %d", i, cases[i].stored, got, cases[i].want);
  }
}

static void t_nul(void **st)
{
  (void)st;
  assert_int_equal(pw_check("secret\0x", 8, "secret", 1), PW_NOMATCH);
}

int main(void)
{
  const struct CMUnitTest tests[] = {cmocka_unit_test(t_cases), cmocka_unit_test(t_nul)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
