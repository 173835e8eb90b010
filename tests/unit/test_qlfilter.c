#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>
#include "qlfilter.h"

const char *progname = "test_qlfilter";

static void t_escape(void **st)
{
  static const struct { const char *in; size_t n; const char *want; } cases[] = {
    {"joe@example.com", 15, "joe@example.com"},
    {"*", 1, "\\2a"},
    {"(a)", 3, "\\28a\\29"},
    {"a\\b", 3, "a\\5cb"},
    {"a b", 3, "a\\20b"},
    {"\x01\x7f\xff", 3, "\\01\\7f\\ff"},
    {"x\0y", 3, "x\\00y"},
    {"*)(uid=*", 8, "\\2a\\29\\28uid=\\2a"},
  };
  (void)st;
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; ++i) {
    sb out = SB_INIT;
    assert_true(qlf_escape(&out, cases[i].in, cases[i].n));
    assert_string_equal(out.s ? out.s : "", cases[i].want);
    sb_free(&out);
  }
}

static void t_mail(void **st)
{
  sb out = SB_INIT;
  (void)st;
  assert_true(qlf_mail(&out, "a*b@x", 5, NULL));
  assert_string_equal(out.s, "(|(mail=a\\2ab@x)(mailAlternateAddress=a\\2ab@x))");
  assert_true(qlf_mail(&out, "a@x", 3, "qmailUser"));
  assert_string_equal(out.s, "(&(objectClass=qmailUser)(|(mail=a@x)(mailAlternateAddress=a@x)))");
  assert_true(qlf_mail(&out, "a@x", 3, "(!(accountStatus=deleted))"));
  assert_string_equal(out.s, "(&(!(accountStatus=deleted))(|(mail=a@x)(mailAlternateAddress=a@x)))");
  assert_true(qlf_uid(&out, "j)", 2, "qmailUser"));
  assert_string_equal(out.s, "(&(objectClass=qmailUser)(uid=j\\29))");
  sb_free(&out);
}

/* candidates come as "addr\0ext\0" pairs */
static void check_chain(const char *local, const char *const *want, int nwant)
{
  sb out = SB_INIT;
  int n = qlf_candidates(local, strlen(local), "dom", 3, "-", &out);
  assert_int_equal(n, nwant);
  size_t i = 0;
  for (int k = 0; k < n; ++k) {
    const char *a = out.s + i;
    i += strlen(a) + 1;
    const char *e = out.s + i;
    i += strlen(e) + 1;
    assert_string_equal(a, want[2 * k]);
    assert_string_equal(e, want[2 * k + 1]);
  }
  assert_int_equal(i, out.len);
  sb_free(&out);
}

static void t_chain(void **st)
{
  (void)st;
  const char *plain[] = {"joe@dom", "", "catchall@dom", "joe"};
  check_chain("joe", plain, 2);
  const char *five[] = {"a-b-c-d-e@dom", "", "a-b-c-d-catchall@dom", "e", "a-b-c-catchall@dom", "d-e",
                        "a-b-catchall@dom", "c-d-e", "a-catchall@dom", "b-c-d-e", "catchall@dom", "a-b-c-d-e"};
  check_chain("a-b-c-d-e", five, 6);
  const char *six[] = {"a-b-c-d-e-f@dom", "", "a-b-c-d-catchall@dom", "e-f", "a-b-c-catchall@dom", "d-e-f",
                       "a-b-catchall@dom", "c-d-e-f", "a-catchall@dom", "b-c-d-e-f", "catchall@dom", "a-b-c-d-e-f"};
  check_chain("a-b-c-d-e-f", six, 6);
  const char *lead[] = {"-x-y@dom", "", "catchall@dom", "-x-y"};
  check_chain("-x-y", lead, 2);
  const char *trail[] = {"x-@dom", "", "x-catchall@dom", "", "catchall@dom", "x-"};
  check_chain("x-", trail, 3);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(t_escape),
    cmocka_unit_test(t_mail),
    cmocka_unit_test(t_chain),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
