#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include "prioq.h"

const char *progname = "test_prioq";

static void t_prioq(void **st)
{
  struct prioq q = PRIOQ_INIT;
  struct prioq_elt e;
  (void)st;
  assert_false(prioq_min(&q, &e));
  prioq_delmin(&q);                    /* empty: no-op */
  /* equal due times come out first in, first out */
  for (uint64_t i = 0; i < 1000; ++i) assert_true(prioq_insert(&q, (int64_t)(i % 7), i));
  int64_t last = -1;
  uint64_t lastid[7];
  for (int k = 0; k < 7; ++k) lastid[k] = 0;
  int firsts[7] = {0};
  for (int n = 0; n < 1000; ++n) {
    assert_true(prioq_min(&q, &e));
    prioq_delmin(&q);
    assert_true(e.due >= last);
    if (firsts[e.due]) assert_true(e.id > lastid[e.due]);
    firsts[e.due] = 1;
    lastid[e.due] = e.id;
    last = e.due;
  }
  assert_false(prioq_min(&q, &e));
  /* setall keeps insertion order */
  for (uint64_t i = 0; i < 50; ++i) assert_true(prioq_insert(&q, 1000 - (int64_t)i, i));
  prioq_setall(&q, 5);
  for (uint64_t i = 0; i < 50; ++i) {
    assert_true(prioq_min(&q, &e));
    assert_int_equal(e.due, 5);
    assert_int_equal(e.id, i);
    prioq_delmin(&q);
  }
  prioq_free(&q);
}

int main(void)
{
  const struct CMUnitTest tests[] = { cmocka_unit_test(t_prioq) };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
