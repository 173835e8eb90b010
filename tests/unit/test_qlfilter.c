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

static void t_mail_chain(void **st)
{
  sb cands = SB_INIT, out = SB_INIT;
  (void)st;
  assert_int_equal(qlf_candidates("a*-b", 4, "x", 1, "-", &cands), 3);
  assert_true(qlf_mail_chain(&out, cands.s, cands.len, "qmailUser"));
  assert_string_equal(out.s, "(&(objectClass=qmailUser)(|"
                             "(|(mail=a\\2a-b@x)(mailAlternateAddress=a\\2a-b@x))"
                             "(|(mail=a\\2a-catchall@x)(mailAlternateAddress=a\\2a-catchall@x))"
                             "(|(mail=catchall@x)(mailAlternateAddress=catchall@x))))");
  assert_true(qlf_mail_chain(&out, cands.s, cands.len, NULL));
  assert_int_equal(strncmp(out.s, "(|(|(mail=a\\2a-b@x)", 19), 0);
  assert_int_equal(out.s[out.len - 1], ')');
  sb_free(&cands); sb_free(&out);
}

static void t_addr_eq(void **st)
{
  static const struct { const char *a, *b; int want; } cases[] = {
    {"joe@x.org", "joe@x.org", 1},
    {"Joe@X.Org", "jOE@x.ORG", 1},
    {"joe@x.org", "joe@x.orgg", 0},
    {"joe@x.org", "joe@x.or", 0},
    {"  joe@x.org ", "joe@x.org", 1},
    {"a  b@x", "a b@x", 1},
    {"a b@x", "ab@x", 0},
    {"", "", 1},
    {"   ", "", 1},
    {"j\xe9@x", "J\xe9@x", 1},
    {"j\xe9@x", "j\xc9@x", 0},      /* only ASCII folds */
    {"[@x", "{@x", 0},              /* no case for punctuation */
  };
  (void)st;
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; ++i) {
    int got = qlf_addr_eq(cases[i].a, strlen(cases[i].a), cases[i].b, strlen(cases[i].b));
    if (got != cases[i].want) fail_msg("addr_eq(\"%s\", \"%s\"): got %d want %d", cases[i].a, cases[i].b, got, cases[i].want);
  }
}

/* One row: the entries a chain search for a-b-c@dom returned, each with
 * its mail/mailAlternateAddress values; what is picked. */
struct pickrow {
  const char *name;
  const char *entries[4][3];
  int want;          /* QLF_PICK_* */
  int entry;         /* the entry kept for QLF_PICK_ONE */
  int pos;           /* its candidate position */
};

static const struct pickrow pickrows[] = {
  {"none", {{0}}, QLF_PICK_NONE, -1, -1},
  {"exact", {{"a-b-c@dom"}}, QLF_PICK_ONE, 0, 0},
  {"exact, case", {{"A-B-C@DOM"}}, QLF_PICK_ONE, 0, 0},
  {"alternate", {{"x@dom", "a-b-c@dom"}}, QLF_PICK_ONE, 0, 0},
  {"catch-all only", {{"catchall@dom"}}, QLF_PICK_ONE, 0, 3},
  {"exact beats catch-all", {{"catchall@dom"}, {"a-b-c@dom"}}, QLF_PICK_ONE, 1, 0},
  {"dash level beats catchall", {{"catchall@dom"}, {"a-catchall@dom"}, {"a-b-catchall@dom"}}, QLF_PICK_ONE, 2, 1},
  {"two exact: too many", {{"a-b-c@dom"}, {"x@dom", "a-b-c@dom"}}, QLF_PICK_TOOMANY, -1, -1},
  {"two catch-alls below an exact: fine", {{"catchall@dom"}, {"a-b-c@dom"}, {"catchall@dom"}}, QLF_PICK_ONE, 1, 0},
  {"two at the best catch-all: too many", {{"a-catchall@dom"}, {"catchall@dom"}, {"a-catchall@dom"}}, QLF_PICK_TOOMANY, -1, -1},
  {"one entry, two candidates", {{"a-catchall@dom", "a-b-c@dom"}, {"a-catchall@dom"}}, QLF_PICK_ONE, 0, 0},
  {"an entry placed nowhere", {{"a-b-c@dom"}, {"other@dom"}}, QLF_PICK_UNSURE, -1, -1},
  {"trailing space still matches", {{"a-b-c@dom "}}, QLF_PICK_ONE, 0, 0},
};

static void t_pick(void **st)
{
  sb cands = SB_INIT;
  (void)st;
  assert_int_equal(qlf_candidates("a-b-c", 5, "dom", 3, "-", &cands), 4);
  for (size_t r = 0; r < sizeof pickrows / sizeof pickrows[0]; ++r) {
    const struct pickrow *w = &pickrows[r];
    struct qlf_pick p;
    int kept = -1;
    qlf_pick_init(&p);
    for (int e = 0; e < 4 && w->entries[e][0]; ++e) {
      size_t n = 0, lens[3];
      while (n < 3 && w->entries[e][n]) { lens[n] = strlen(w->entries[e][n]); ++n; }
      if (qlf_pick_add(&p, qlf_best_candidate(cands.s, cands.len, w->entries[e], lens, n))) kept = e;
    }
    int got = qlf_pick_result(&p);
    if (got != w->want) fail_msg("%s: result got %d want %d", w->name, got, w->want);
    if (got == QLF_PICK_ONE && (kept != w->entry || p.best != w->pos))
      fail_msg("%s: kept entry %d at %d, want %d at %d", w->name, kept, p.best, w->entry, w->pos);
  }
  sb_free(&cands);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(t_escape),
    cmocka_unit_test(t_mail),
    cmocka_unit_test(t_chain),
    cmocka_unit_test(t_mail_chain),
    cmocka_unit_test(t_addr_eq),
    cmocka_unit_test(t_pick),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
