#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <cdb.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "ctl.h"
#include "rcpthosts.h"

const char *progname = "test_rcpthosts";
static char dir[] = "/tmp/test_rcpthosts.XXXXXX";

static void put(const char *name, const char *text)
{
  char p[256];
  snprintf(p, sizeof p, "%s/%s", dir, name);
  if (!text) { unlink(p); return; }
  FILE *f = fopen(p, "w");
  assert_non_null(f);
  fputs(text, f);
  fclose(f);
}

/* keys separated by '\n', as qmail-cdb would store them (lower-case) */
static void putcdb(const char *name, const char *keys)
{
  char p[256];
  struct cdb_make m;
  snprintf(p, sizeof p, "%s/%s", dir, name);
  int fd = open(p, O_RDWR | O_CREAT | O_TRUNC, 0644);
  assert_true(fd >= 0);
  cdb_make_start(&m, fd);
  while (*keys) {
    const char *nl = strchr(keys, '\n');
    size_t n = nl ? (size_t)(nl - keys) : strlen(keys);
    cdb_make_add(&m, keys, (unsigned)n, "", 0);
    keys += n + (nl != 0);
  }
  assert_int_equal(cdb_make_finish(&m), 0);
  close(fd);
}

static void clean(void)
{
  static const char *const f[] = {"me", "locals", "rcpthosts", "locals.cdb", "rcpthosts.cdb", "morercpthosts.cdb"};
  for (size_t i = 0; i < sizeof f / sizeof f[0]; ++i) put(f[i], 0);
}

struct want { const char *addr; int allowed, local; };

static void check(int nolocal, const struct want *w, size_t n)
{
  struct rcpthosts h;
  assert_int_equal(rcpthosts_init(&h, nolocal), 0);
  for (size_t i = 0; i < n; ++i) {
    size_t len = strlen(w[i].addr);
    int a = rcpthosts_allowed(&h, w[i].addr, len), l = rcpthosts_local(&h, w[i].addr, len);
    if (a != w[i].allowed || l != w[i].local)
      fail_msg("%s (nolocal %d): allowed %d local %d, want %d %d", w[i].addr, nolocal, a, l, w[i].allowed, w[i].local);
  }
  rcpthosts_free(&h);
}

static void t_lists(void **st)
{
  (void)st;
  clean();
  put("me", "me.example\n");
  put("locals", "Local.Example\n# comment\n\nother.local\n");
  put("rcpthosts", "relay.example\n.sub.example\n  spaced.example  \n");
  static const struct want w[] = {
    {"a@local.example", 1, 1}, {"a@LOCAL.EXAMPLE", 1, 1}, {"a@x.local.example", 0, 0},
    {"a@other.local", 1, 1}, {"a@relay.example", 1, 0}, {"a@x.relay.example", 0, 0},
    {"a@sub.example", 0, 0}, {"a@x.sub.example", 1, 0}, {"a@y.x.SUB.example", 1, 0},
    {"a@xsub.example", 0, 0}, {"a@spaced.example", 1, 0}, {"a@elsewhere.example", 0, 0},
    {"nodomain", 1, 0}, {"a@", 0, 0}, {"a@b@relay.example", 1, 0}, {"a@me.example", 0, 0},
    {"a@relay.example.", 0, 0}, {"", 1, 0},
  };
  check(0, w, sizeof w / sizeof w[0]);
  static const struct want nl[] = {
    {"a@local.example", 0, 1}, {"a@relay.example", 1, 0}, {"a@x.sub.example", 1, 0},
  };
  check(1, nl, sizeof nl / sizeof nl[0]);
}

static void t_missing(void **st)
{
  (void)st;
  clean();
  /* no rcpthosts and no locals: locals defaults to me; never an open relay */
  put("me", "me.example\n");
  static const struct want w[] = {
    {"a@me.example", 1, 1}, {"a@elsewhere.example", 0, 0}, {"a@x.me.example", 0, 0},
  };
  check(0, w, sizeof w / sizeof w[0]);
  static const struct want nl[] = {{"a@me.example", 0, 1}, {"a@elsewhere.example", 0, 0}};
  check(1, nl, sizeof nl / sizeof nl[0]);
}

static void t_cdbs(void **st)
{
  (void)st;
  clean();
  put("me", "me.example\n");
  put("locals", "listlocal.example\n");
  put("rcpthosts", "listrh.example\n");
  putcdb("morercpthosts.cdb", "more.example\n.moresub.example");
  static const struct want w1[] = {
    {"a@listlocal.example", 1, 1}, {"a@listrh.example", 1, 0}, {"a@more.example", 1, 0},
    {"a@MORE.example", 1, 0}, {"a@x.moresub.example", 1, 0}, {"a@moresub.example", 0, 0},
  };
  check(0, w1, sizeof w1 / sizeof w1[0]);
  /* rcpthosts.cdb replaces rcpthosts and morercpthosts.cdb */
  putcdb("rcpthosts.cdb", "cdbrh.example\n.cdbsub.example");
  static const struct want w2[] = {
    {"a@cdbrh.example", 1, 0}, {"a@x.cdbsub.example", 1, 0}, {"a@listrh.example", 0, 0},
    {"a@more.example", 0, 0}, {"a@listlocal.example", 1, 1},
  };
  check(0, w2, sizeof w2 / sizeof w2[0]);
  /* locals.cdb replaces locals */
  putcdb("locals.cdb", "cdblocal.example");
  static const struct want w3[] = {
    {"a@cdblocal.example", 1, 1}, {"a@CdbLocal.Example", 1, 1}, {"a@listlocal.example", 0, 0},
  };
  check(0, w3, sizeof w3 / sizeof w3[0]);
  static const struct want w4[] = {{"a@cdblocal.example", 0, 1}};
  check(1, w4, 1);
  /* a corrupt cdb is an error, not "no" */
  put("rcpthosts.cdb", "xx");
  struct rcpthosts h;
  assert_int_equal(rcpthosts_init(&h, 0), -1);
  clean();
}

static int fake(void *ctx, const char *key, size_t n)
{
  sb *seen = ctx;
  sb_catb(seen, key, n);
  sb_catc(seen, '|');
  return n == 7 && !memcmp(key, ".c.test", 7) ? 1 : n == 3 && !memcmp(key, "bad", 3) ? -1 : 0;
}

static void t_walk(void **st)
{
  sb seen = SB_INIT;
  (void)st;
  assert_int_equal(rh_walk("a.b.c.test", 10, 1, fake, &seen), 1);
  assert_string_equal(seen.s, "a.b.c.test|.b.c.test|.c.test|");
  seen.len = 0;
  assert_int_equal(rh_walk("a.b.c.test", 10, 0, fake, &seen), 0);
  assert_string_equal(seen.s, "a.b.c.test|");
  seen.len = 0;
  assert_int_equal(rh_walk("bad", 3, 1, fake, &seen), -1);
  assert_int_equal(rh_walk("", 0, 1, fake, &seen), 0);
  sb_free(&seen);
}

static int setup(void **st)
{
  (void)st;
  if (!mkdtemp(dir)) return -1;
  ctl_setdir(dir);
  return 0;
}

static int teardown(void **st)
{
  (void)st;
  clean();
  rmdir(dir);
  return 0;
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(t_lists), cmocka_unit_test(t_missing), cmocka_unit_test(t_cdbs), cmocka_unit_test(t_walk),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
