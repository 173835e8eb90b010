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
#include "users.h"

const char *progname = "test_users";

#define S(x) x, sizeof(x) - 1

static void t_assign_good(void **st)
{
  static const struct { const char *line; const char *key; const char *val; size_t vlen; } cases[] = {
    {"=joe.shmoe:joe:503:78:/home/joe:::", "=joe.shmoe", S("joe\0" "503\0" "78\0" "/home/joe\0\0\0")},
    {"=Joe:joe:503:78:/home/joe:::", "=joe", S("joe\0" "503\0" "78\0" "/home/joe\0\0\0")},
    {"+:alias:7790:2108:/var/qmail/alias:-::", "+", S("alias\0" "7790\0" "2108\0" "/var/qmail/alias\0-\0\0")},
    {"+joe-:joe:507:100:/home/joe:-::", "+joe-", S("joe\0" "507\0" "100\0" "/home/joe\0-\0\0")},
    {"+Sub-:joe:507:100:/home/joe:-:pre-:", "+sub-", S("joe\0" "507\0" "100\0" "/home/joe\0-\0pre-\0")},
    {"=:joe:1:2:/h:::", "=", S("joe\0" "1\0" "2\0" "/h\0\0\0")},
  };
  sb key = SB_INIT, val = SB_INIT;
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; ++i) {
    int r = users_assign_line(cases[i].line, strlen(cases[i].line), &key, &val);
    if (r != 0) fail_msg("case %zu: got %d want 0", i, r);
    assert_string_equal(key.s, cases[i].key);
    assert_int_equal(val.len, cases[i].vlen);
    assert_memory_equal(val.s, cases[i].val, val.len);
  }
  sb_free(&key); sb_free(&val);
}

static void t_assign_bad(void **st)
{
  static const char *const bad[] = {
    "", "=", "x", "joe:joe:1:2:/h:::", "-joe:joe:1:2:/h:::",
    "=joe", "=joe:joe:1:2:/h::", "=joe:joe:1:2:/h:::x", "=joe:joe:1:2:/h::::",
    "=joe::1:2:/h:::", "=joe:joe:x:2:/h:::", "=joe:joe:1:-2:/h:::", "=joe:joe::2:/h:::",
    "=joe:joe:1:2:h:::", "=joe:joe:1:2::::", "=joe:joe:99999999999999999999999:2:/h:::",
  };
  sb key = SB_INIT, val = SB_INIT;
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; ++i) {
    int r = users_assign_line(bad[i], strlen(bad[i]), &key, &val);
    if (r != -1) fail_msg("case %zu (%s): got %d want -1", i, bad[i], r);
  }
  /* NUL inside, overlong field */
  assert_int_equal(users_assign_line(S("=jo\0e:joe:1:2:/h:::"), &key, &val), -1);
  char *big = malloc(USERS_FIELD_MAX + 40);
  strcpy(big, "=joe:joe:1:2:/");
  memset(big + 14, 'a', USERS_FIELD_MAX);
  strcpy(big + 14 + USERS_FIELD_MAX, ":::");
  assert_int_equal(users_assign_line(big, strlen(big), &key, &val), -1);
  free(big);
  sb_free(&key); sb_free(&val);
}

static void t_parse(void **st)
{
  struct users_ent e;
  users_init(&e);
  assert_int_equal(users_parse(S("joe\0" "503\0" "78\0" "/home/joe\0-\0ext\0"), &e), 0);
  assert_string_equal(e.user.s, "joe");
  assert_int_equal(e.uid, 503);
  assert_int_equal(e.gid, 78);
  assert_string_equal(e.home.s, "/home/joe");
  assert_string_equal(e.dash.s, "-");
  assert_string_equal(e.ext.s, "ext");
  static const struct { const char *p; size_t n; } bad[] = {
    {S("")}, {S("joe")}, {S("joe\0" "1\0" "2\0" "/h\0-\0")}, {S("joe\0" "1\0" "2\0" "/h\0-\0x\0y")},
    {S("joe\0" "1\0" "2\0" "/h\0-\0x\0y\0")}, {S("\0" "1\0" "2\0" "/h\0\0\0")}, {S("joe\0" "a\0" "2\0" "/h\0\0\0")},
    {S("joe\0" "1\0" "\0" "/h\0\0\0")}, {S("joe\0" "1\0" "2\0" "h\0\0\0")}, {S("joe\0" "1\0" "2\0" "/h\0\0")},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; ++i)
    if (users_parse(bad[i].p, bad[i].n, &e) != -1) fail_msg("bad case %zu parsed", i);
  /* encode round trip */
  sb out = SB_INIT;
  assert_int_equal(users_parse(S("joe\0" "503\0" "78\0" "/home/joe\0-\0ext\0"), &e), 0);
  assert_true(users_encode(&e, &out));
  assert_int_equal(out.len, sizeof("joe\0" "503\0" "78\0" "/home/joe\0-\0ext\0") - 1);
  sb_free(&out);
  users_free(&e);
}

/* a fake users/cdb built from assign lines */
struct fake { const char *const *lines; int fail; int calls; };

static int fake_fetch(void *ctx, const char *key, size_t klen, sb *val)
{
  struct fake *f = ctx;
  sb k = SB_INIT, v = SB_INIT;
  f->calls++;
  if (f->fail) return -1;
  for (size_t i = 0; f->lines[i]; ++i) {
    if (users_assign_line(f->lines[i], strlen(f->lines[i]), &k, &v)) continue;
    if (k.len == klen && !memcmp(k.s, key, klen)) {
      sb_copyb(val, v.s, v.len);
      sb_free(&k); sb_free(&v);
      return 1;
    }
  }
  sb_free(&k); sb_free(&v);
  return 0;
}

static const char *const assign[] = {
  "=joe:joe:507:100:/home/joe:::",
  "+joe-:joe:507:100:/home/joe:-::",
  "+joe-list-:joe:507:100:/home/joe:-:list-:",
  "+:alias:7790:2108:/var/qmail/alias:-::",
  "=dup:first:1:1:/first:::",
  "=dup:second:2:2:/second:::",
  NULL
};

static void t_lookup(void **st)
{
  static const struct { const char *local; int r; const char *user; const char *dash; const char *ext; } cases[] = {
    {"joe", USERS_FOUND, "joe", "", ""},
    {"JOE", USERS_FOUND, "joe", "", ""},
    {"joe-direct", USERS_FOUND, "joe", "-", "direct"},
    {"Joe-Direct", USERS_FOUND, "joe", "-", "Direct"},       /* ext keeps its case */
    {"joe-", USERS_FOUND, "joe", "-", ""},
    {"joe-list-x-y", USERS_FOUND, "joe", "-", "list-x-y"},   /* longest prefix wins */
    {"bill", USERS_FOUND, "alias", "-", "bill"},
    {"", USERS_FOUND, "alias", "-", ""},
    {"dup", USERS_FOUND, "first", "", ""},
  };
  struct fake f = {assign, 0, 0};
  struct users_ent e;
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; ++i) {
    users_init(&e);
    int r = users_lookup(cases[i].local, strlen(cases[i].local), fake_fetch, &f, &e);
    if (r != cases[i].r) fail_msg("case %zu (%s): got %d want %d", i, cases[i].local, r, cases[i].r);
    assert_string_equal(e.user.s, cases[i].user);
    assert_string_equal(e.dash.s, cases[i].dash);
    assert_string_equal(e.ext.s, cases[i].ext);
    users_free(&e);
  }
  /* no wildcard at all */
  static const char *const only[] = {"=joe:joe:507:100:/home/joe:::", NULL};
  struct fake g = {only, 0, 0};
  users_init(&e);
  assert_int_equal(users_lookup(S("bill"), fake_fetch, &g, &e), USERS_NONE);
  assert_int_equal(g.calls, 1 + 5);     /* =bill, +bill +bil +bi +b + */
  g.fail = 1;
  assert_int_equal(users_lookup(S("bill"), fake_fetch, &g, &e), USERS_ERR);
  users_free(&e);
}

static int bad_fetch(void *ctx, const char *key, size_t klen, sb *val)
{
  (void)ctx; (void)key; (void)klen;
  sb_copyb(val, "junk", 4);
  return 1;
}

static void t_lookup_badrec(void **st)
{
  struct users_ent e;
  users_init(&e);
  assert_int_equal(users_lookup(S("joe"), bad_fetch, NULL, &e), USERS_BADREC);
  users_free(&e);
}

static void t_cdb(void **st)
{
  char path[] = "/tmp/test_users_XXXXXX";
  int fd = mkstemp(path);
  struct cdb_make cm;
  struct cdb c;
  sb k = SB_INIT, v = SB_INIT;
  struct users_ent e;
  assert_true(fd >= 0);
  assert_int_equal(cdb_make_start(&cm, fd), 0);
  for (size_t i = 0; assign[i]; ++i) {
    assert_int_equal(users_assign_line(assign[i], strlen(assign[i]), &k, &v), 0);
    assert_int_equal(cdb_make_add(&cm, k.s, (unsigned)k.len, v.s, (unsigned)v.len), 0);
  }
  assert_int_equal(cdb_make_finish(&cm), 0);
  assert_int_equal(cdb_init(&c, fd), 0);
  users_init(&e);
  assert_int_equal(users_lookup(S("joe-list-a"), users_cdb_fetch, &c, &e), USERS_FOUND);
  assert_string_equal(e.ext.s, "list-a");
  assert_int_equal(users_lookup(S("dup"), users_cdb_fetch, &c, &e), USERS_FOUND);
  assert_string_equal(e.user.s, "first");                /* the first assignment wins */
  assert_int_equal(users_lookup(S("nobody"), users_cdb_fetch, &c, &e), USERS_FOUND);
  assert_string_equal(e.user.s, "alias");
  cdb_free(&c);
  close(fd);
  unlink(path);
  users_free(&e);
  sb_free(&k); sb_free(&v);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(t_assign_good), cmocka_unit_test(t_assign_bad), cmocka_unit_test(t_parse),
    cmocka_unit_test(t_lookup), cmocka_unit_test(t_lookup_badrec), cmocka_unit_test(t_cdb),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
