#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include "idset.h"

const char *progname = "test_idset";

static void t_idset(void **st)
{
  struct idset s = IDSET_INIT;
  (void)st;
  assert_false(idset_has(&s, 1));
  idset_del(&s, 1);
  for (uint64_t i = 0; i < 5000; ++i) assert_true(idset_add(&s, i * 23));
  assert_true(idset_add(&s, 0));          /* again: no duplicate */
  assert_int_equal(s.len, 5000);
  for (uint64_t i = 0; i < 5000; i += 2) idset_del(&s, i * 23);
  for (uint64_t i = 0; i < 5000; ++i)
    if (idset_has(&s, i * 23) != (int)(i & 1)) fail_msg("id %llu", (unsigned long long)(i * 23));
  assert_false(idset_has(&s, 24));
  assert_true(idset_add(&s, UINT64_MAX));
  assert_true(idset_has(&s, UINT64_MAX));
  idset_free(&s);
  assert_false(idset_has(&s, 23));
}

int main(void)
{
  const struct CMUnitTest tests[] = { cmocka_unit_test(t_idset) };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
