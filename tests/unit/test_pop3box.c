/* pop3box and quotadel: sizes from names, the order, UIDLs, the cur/
 * name at QUIT, the RETR/TOP conversion (table-driven, and fed one byte
 * at a time it gives the same bytes), the listing of a real Maildir
 * without opening a message (names with S= are not even stat()ed; their
 * files are unreadable here), and maildirsize after removals agreeing
 * with quota.c's recount. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "io.h"
#include "pop3box.h"
#include "quota.h"
#include "quotadel.h"

const char *progname = "test_pop3box";

static void t_namesize(void **st)
{
  static const struct { const char *n; char key; int ok; uint64_t v; } c[] = {
    {"1.M1P1.h,S=123", 'S', 1, 123}, {"1.M1P1.h,S=123:2,S", 'S', 1, 123}, {"1.h,S=12,W=14:2,", 'W', 1, 14},
    {"1.h,S=12,W=14:2,", 'S', 1, 12}, {"1.h,W=14", 'S', 0, 0}, {"1.h,S=", 'S', 0, 0}, {"1.h,S=1x", 'S', 0, 0},
    {"1.h:2,S=5", 'S', 0, 0},                 /* after the flags: not a size */
    {"1.h,S=99999999999999999999", 'S', 0, 0}, {"1.h,S=0", 'S', 1, 0}, {"1.h,X=1,S=7", 'S', 1, 7},
    {"1.h,S=x,S=8", 'S', 1, 8},
  };
  (void)st;
  for (size_t i = 0; i < sizeof c / sizeof c[0]; ++i) {
    uint64_t v = 77;
    int r = pop3_namesize(c[i].n, c[i].key, &v);
    if (r != c[i].ok || (r && v != c[i].v)) fail_msg("case %zu (%s): got %d %llu", i, c[i].n, r, (unsigned long long)v);
  }
}

/* no digits first; equal seconds ("010" and "10"): bytewise */
static void t_namecmp(void **st)
{
  static const char *sorted[] = {
    "x", "9.M1P1.h", "010.M1P2.h", "10.M1P1.h", "10.M1P2.h", "99.a", "100.a", "100.b", "1000000000000000000000.x",
  };
  (void)st;
  for (size_t i = 0; i < sizeof sorted / sizeof sorted[0]; ++i)
    for (size_t j = 0; j < sizeof sorted / sizeof sorted[0]; ++j) {
      int c = pop3_namecmp(sorted[i], sorted[j]);
      int want = i < j ? -1 : i > j;
      if (c != want) fail_msg("cmp(%s, %s) = %d, want %d", sorted[i], sorted[j], c, want);
    }
}

static void t_uidl(void **st)
{
  sb u = SB_INIT;
  (void)st;
  assert_true(pop3_uidl("1000.M1P1.host,S=28:2,S", &u));
  assert_int_equal(u.len, strlen("1000.M1P1.host,S=28"));
  assert_memory_equal(u.s, "1000.M1P1.host,S=28", u.len);
  assert_true(pop3_uidl("1000.M1P1.host,S=28", &u));
  assert_memory_equal(u.s, "1000.M1P1.host,S=28", u.len);
  /* 70 bytes kept, 71 hashed; a space or 8-bit byte hashed */
  char n[100];
  memset(n, 'a', sizeof n);
  n[70] = 0;
  assert_true(pop3_uidl(n, &u));
  assert_int_equal(u.len, 70);
  n[70] = 'a';
  n[71] = 0;
  assert_true(pop3_uidl(n, &u));
  assert_int_equal(u.len, 64);
  sb v = SB_INIT;
  assert_true(pop3_uidl("a b", &v));
  assert_int_equal(v.len, 64);
  for (size_t i = 0; i < v.len; ++i) assert_non_null(strchr("0123456789abcdef", v.s[i]));
  assert_true(pop3_uidl("a\xe4", &u));
  assert_int_equal(u.len, 64);
  assert_true(memcmp(u.s, v.s, 64) != 0);
  /* flags do not change the hashed form either */
  assert_true(pop3_uidl("a b:2,S", &u));
  assert_memory_equal(u.s, v.s, 64);
  sb_free(&u);
  sb_free(&v);
}

static void t_curname(void **st)
{
  static const struct { const char *in; int seen; const char *out; } c[] = {
    {"new/1.h,S=5", 0, "cur/1.h,S=5:2,"}, {"new/1.h,S=5", 1, "cur/1.h,S=5:2,S"},
    {"cur/1.h:2,", 1, "cur/1.h:2,S"}, {"cur/1.h:2,S", 1, "cur/1.h:2,S"}, {"cur/1.h:2,FR", 1, "cur/1.h:2,FRS"},
    {"cur/1.h:2,FT", 1, "cur/1.h:2,FST"}, {"cur/1.h:2,ST", 1, "cur/1.h:2,ST"}, {"cur/1.h:2,T", 0, "cur/1.h:2,T"},
    {"cur/1.h:1,xyz", 1, "cur/1.h:1,xyz"}, {"cur/1.h", 1, "cur/1.h:2,S"}, {"new/1.h:2,F", 0, "cur/1.h:2,F"},
    {"cur/1.h:2,a", 1, "cur/1.h:2,Sa"},
  };
  sb o = SB_INIT;
  (void)st;
  for (size_t i = 0; i < sizeof c / sizeof c[0]; ++i) {
    assert_true(pop3_curname(c[i].in, c[i].seen, &o));
    assert_true(sb_cat0(&o));
    if (strcmp(o.s, c[i].out)) fail_msg("case %zu: %s -> %s, want %s", i, c[i].in, o.s, c[i].out);
  }
  sb_free(&o);
}

static void conv(const char *in, size_t n, int limited, uint64_t lines, size_t step, sb *out)
{
  struct pop3_conv c;
  out->len = 0;
  pop3_convinit(&c, limited, lines);
  for (size_t i = 0; i < n; i += step) assert_true(pop3_conv(&c, in + i, n - i < step ? n - i : step, out));
  assert_true(pop3_convend(&c, out));
}

static void t_conv(void **st)
{
  static const struct { const char *in; int limited; uint64_t lines; const char *out; } c[] = {
    {"Subject: x\n\nbody\n", 0, 0, "Subject: x\r\n\r\nbody\r\n.\r\n"},
    {"a\r\nb\r\n", 0, 0, "a\r\nb\r\n.\r\n"},                        /* CRLF stays CRLF */
    {"a\rb\n", 0, 0, "a\rb\r\n.\r\n"},                              /* a lone CR is kept */
    {".\n..x\n.\r\nx.\n", 0, 0, "..\r\n...x\r\n..\r\nx.\r\n.\r\n"},  /* dot-stuffing */
    {"no newline", 0, 0, "no newline\r\n.\r\n"},
    {"cr at end\r", 0, 0, "cr at end\r\n.\r\n"},
    {"", 0, 0, ".\r\n"},
    {"H: 1\nH: 2\n\nl1\nl2\nl3\n", 1, 0, "H: 1\r\nH: 2\r\n\r\n.\r\n"},
    {"H: 1\nH: 2\n\nl1\nl2\nl3\n", 1, 2, "H: 1\r\nH: 2\r\n\r\nl1\r\nl2\r\n.\r\n"},
    {"H: 1\nH: 2\n\nl1\nl2\nl3\n", 1, 9, "H: 1\r\nH: 2\r\n\r\nl1\r\nl2\r\nl3\r\n.\r\n"},
    {"H: 1\r\n\r\nl1\r\n\r\nl3\r\n", 1, 2, "H: 1\r\n\r\nl1\r\n\r\n.\r\n"},   /* CRLF blank line, empty body line */
    {"H: 1\nH: 2\n", 1, 0, "H: 1\r\nH: 2\r\n.\r\n"},                  /* no body */
    {"H: 1\n\n.l1\nl2", 1, 1, "H: 1\r\n\r\n..l1\r\n.\r\n"},
    {"H: 1\n\nl1\nl2", 1, 5, "H: 1\r\n\r\nl1\r\nl2\r\n.\r\n"},
  };
  sb a = SB_INIT, b = SB_INIT;
  (void)st;
  for (size_t i = 0; i < sizeof c / sizeof c[0]; ++i) {
    size_t n = strlen(c[i].in);
    conv(c[i].in, n, c[i].limited, c[i].lines, n ? n : 1, &a);
    assert_true(sb_cat0(&a));
    if (strcmp(a.s, c[i].out)) fail_msg("case %zu: got '%s'", i, a.s);
    for (size_t step = 1; step < 4; ++step) {
      conv(c[i].in, n, c[i].limited, c[i].lines, step, &b);
      assert_true(sb_cat0(&b));
      if (strcmp(b.s, c[i].out)) fail_msg("case %zu in steps of %zu: got '%s'", i, step, b.s);
    }
  }
  sb_free(&a);
  sb_free(&b);
}

/* ---- a Maildir on disk ---- */

static char dir[64];

static void mkfile(const char *name, const char *body, mode_t mode)
{
  int fd = open(name, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  assert_true(fd >= 0);
  assert_int_equal(io_writeall(fd, body, strlen(body)), 0);
  assert_int_equal(close(fd), 0);
  assert_int_equal(chmod(name, mode), 0);
}

static int setup(void **st)
{
  (void)st;
  strcpy(dir, "/tmp/test_pop3box.XXXXXX");
  if (!mkdtemp(dir) || chdir(dir) < 0) return -1;
  if (mkdir("new", 0700) < 0 || mkdir("cur", 0700) < 0 || mkdir("tmp", 0700) < 0) return -1;
  return 0;
}

static int teardown(void **st)
{
  (void)st;
  char cmd[128];
  if (chdir("/") < 0) return -1;
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  return system(cmd) == 0 ? 0 : -1;
}

static void t_load(void **st)
{
  struct pop3_box b;
  (void)st;
  /* message bodies the listing must never open: mode 000 (the test may
   * run as root, who could read them anyway, so a wrong size would show
   * that too: the names claim sizes the bodies do not have) */
  mkfile("new/1000000003.M1P1.h,S=300", "x", 0);
  mkfile("new/1000000001.M1P1.h,S=100,W=104", "x", 0);
  mkfile("cur/1000000002.M1P1.h,S=200:2,S", "x", 0);
  mkfile("cur/999999999.M1P1.h:2,", "twelve bytes", 0644);     /* no S=: stat()ed */
  mkfile("cur/.hidden", "x", 0644);
  assert_int_equal(mkdir("cur/subdir", 0700), 0);
  mkfile("tmp/1.stale", "x", 0644);
  pop3box_init(&b);
  assert_int_equal(pop3box_load(&b), 0);
  assert_int_equal(b.n, 4);
  assert_int_equal(b.stats, 1);
  static const struct { const char *path; uint64_t size, qsize; unsigned flags; } want[] = {
    {"cur/999999999.M1P1.h:2,", 12, 12, 0},
    {"new/1000000001.M1P1.h,S=100,W=104", 104, 100, P3M_NEW},
    {"cur/1000000002.M1P1.h,S=200:2,S", 200, 200, 0},
    {"new/1000000003.M1P1.h,S=300", 300, 300, P3M_NEW},
  };
  for (size_t i = 0; i < 4; ++i) {
    assert_string_equal(pop3box_path(&b, i), want[i].path);
    assert_int_equal(b.m[i].size, want[i].size);
    assert_int_equal(b.m[i].qsize, want[i].qsize);
    assert_int_equal(b.m[i].flags, want[i].flags);
  }
  pop3box_free(&b);
  assert_int_equal(rmdir("cur/subdir"), 0);
  /* a fresh tmp file stays, one older than 36 hours goes */
  pop3box_cleantmp();
  assert_int_equal(access("tmp/1.stale", F_OK), 0);
  struct timespec old[2] = {{1000000000, 0}, {1000000000, 0}};
  assert_int_equal(utimensat(AT_FDCWD, "tmp/1.stale", old, 0), 0);
  pop3box_cleantmp();
  assert_int_equal(access("tmp/1.stale", F_OK), -1);
  /* no cur/: an error (ENOENT), not an empty mailbox */
  assert_int_equal(rename("cur", "cur.away"), 0);
  pop3box_init(&b);
  assert_int_equal(pop3box_load(&b), -1);
  assert_int_equal(errno, ENOENT);
  pop3box_free(&b);
  assert_int_equal(rename("cur.away", "cur"), 0);
}

static void t_big(void **st)
{
  struct pop3_box b;
  char name[128];
  (void)st;
  assert_int_equal(mkdir("big", 0700), 0);
  assert_int_equal(chdir("big"), 0);
  assert_int_equal(mkdir("new", 0700), 0);
  assert_int_equal(mkdir("cur", 0700), 0);
  for (int i = 0; i < 10000; ++i) {
    snprintf(name, sizeof name, "%s/%d.M%dP1.h,S=%d", i % 3 ? "cur" : "new", 1700000000 + (i * 7919) % 10000, i, i + 1);
    int fd = open(name, O_WRONLY | O_CREAT, 0);
    assert_true(fd >= 0);
    close(fd);
  }
  pop3box_init(&b);
  assert_int_equal(pop3box_load(&b), 0);
  assert_int_equal(b.n, 10000);
  assert_int_equal(b.stats, 0);
  for (size_t i = 1; i < b.n; ++i)
    assert_true(pop3_namecmp(pop3box_path(&b, i - 1) + 4, pop3box_path(&b, i) + 4) < 0);
  pop3box_free(&b);
  assert_int_equal(chdir(".."), 0);
}

static void t_quotadel(void **st)
{
  sb s = SB_INIT, def = SB_INIT, buf = SB_INIT;
  uint64_t sizes[3] = {100, 200, 12}, lines;
  struct usage u, r;
  (void)st;
  assert_true(quota_dellines(&s, sizes, 3));
  assert_true(sb_cat0(&s));
  assert_string_equal(s.s, "-100 -1\n-200 -1\n-12 -1\n");
  uint64_t huge = (uint64_t)INT64_MAX + 1;
  assert_false(quota_dellines(&s, &huge, 1));
  /* no maildirsize: nothing written, no error */
  assert_int_equal(quota_deleted(".", sizes, 3), 0);
  assert_int_equal(access("maildirsize", F_OK), -1);
  /* maildirsize as quota.c writes it, then the removals: the sum agrees
   * with a recount of what is left */
  assert_int_equal(quota_refresh(".", "1000000S,100C", &u), 0);
  assert_int_equal(u.count, 4);
  assert_int_equal(unlink("new/1000000001.M1P1.h,S=100,W=104"), 0);
  assert_int_equal(unlink("cur/1000000002.M1P1.h,S=200:2,S"), 0);
  assert_int_equal(unlink("cur/999999999.M1P1.h:2,"), 0);
  assert_int_equal(quota_deleted(".", sizes, 3), 0);
  assert_int_equal(io_readfile("maildirsize", &buf, 5120), 0);
  assert_int_equal(quota_parse_file(buf.s, buf.len, &def, &u, &lines), 0);
  assert_string_equal(def.s, "1000000S,100C");
  assert_int_equal(lines, 5);
  assert_int_equal(quota_recalc(".", &r), 0);
  assert_int_equal(u.size, r.size);
  assert_int_equal(u.count, r.count);
  assert_int_equal(r.count, 1);
  assert_int_equal(r.size, 300);
  sb_free(&s);
  sb_free(&def);
  sb_free(&buf);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(t_namesize), cmocka_unit_test(t_namecmp), cmocka_unit_test(t_uidl),
    cmocka_unit_test(t_curname), cmocka_unit_test(t_conv), cmocka_unit_test(t_load),
    cmocka_unit_test(t_big), cmocka_unit_test(t_quotadel),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
