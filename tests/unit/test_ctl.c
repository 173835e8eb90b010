#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "ctl.h"

const char *progname = "test_ctl";

static void t_table(void **st)
{
  (void)st;
  assert_true(ctl_count > 40);
  for (unsigned i = 0; i < ctl_count; ++i) {
    const struct ctl_def *d = &ctl_table[i];
    uint64_t u;
    if (!d->name || !*d->name || strchr(d->name, '/') || d->name[0] == '.')
      fail_msg("entry %u: bad name", i);
    if (d->type > CTL_OBSOLETE) fail_msg("%s: no valid type", d->name);
    if (!d->users || (!*d->users && d->type != CTL_OBSOLETE)) fail_msg("%s: no users", d->name);
    if (!d->meaning || !*d->meaning) fail_msg("%s: no meaning", d->name);
    for (unsigned k = i + 1; k < ctl_count; ++k)
      if (!strcmp(d->name, ctl_table[k].name)) fail_msg("%s: listed twice", d->name);
    if (ctl_find(d->name) != d) fail_msg("%s: ctl_find", d->name);
    if (!d->def) continue;
    switch (d->type) {
    case CTL_INT:
      if (!scan_u64s(d->def, &u)) fail_msg("%s: default \"%s\" is not a number", d->name, d->def);
      break;
    case CTL_BOOL:
      if (strcmp(d->def, "0") && strcmp(d->def, "1")) fail_msg("%s: default \"%s\" is not 0/1", d->name, d->def);
      break;
    case CTL_CDB:
    case CTL_OBSOLETE:
      fail_msg("%s: a cdb or obsolete file has no default", d->name);
      break;
    default:
      if (strchr(d->def, '\n') && d->type != CTL_RAW) fail_msg("%s: multi-line default", d->name);
      break;
    }
    if (!strcmp(d->def, "$me") && d->type != CTL_LINE && d->type != CTL_LIST)
      fail_msg("%s: $me default on a non-text file", d->name);
  }
  assert_null(ctl_find("no-such-control-file"));
  assert_null(ctl_find(""));
  /* the ones the queue relies on */
  const char *must[] = {"me", "locals", "concurrencylocal", "concurrencyremote", "queuelifetime",
                        "bouncefrom", "bouncehost", "doublebounceto", "doublebouncehost",
                        "bouncemaxbytes", "custombouncetext", "envnoathost", "virtualdomains"};
  for (size_t i = 0; i < sizeof must / sizeof must[0]; ++i)
    if (!ctl_find(must[i])) fail_msg("%s missing from the table", must[i]);
  assert_string_equal(ctl_find("concurrencylocal")->def, "10");
  assert_string_equal(ctl_find("queuelifetime")->def, "604800");
  assert_string_equal(ctl_find("doublebounceto")->def, "postmaster");
  assert_string_equal(ctl_find("bouncefrom")->def, "MAILER-DAEMON");
}

static void t_parse_line(void **st)
{
  static const struct { const char *in; const char *out; } c[] = {
    {"abc", "abc"}, {"abc\n", "abc"}, {"abc  \t\n", "abc"}, {"abc\r\n", "abc"},
    {"abc\nsecond\n", "abc"}, {"", ""}, {"\n", ""}, {"   \n", ""}, {"a b\n", "a b"},
    {"\nabc\n", ""},
  };
  sb out = SB_INIT;
  (void)st;
  for (size_t i = 0; i < sizeof c / sizeof c[0]; ++i) {
    ctl_parse_line(c[i].in, strlen(c[i].in), &out);
    if (out.len != strlen(c[i].out) || memcmp(out.s, c[i].out, out.len))
      fail_msg("line \"%s\": got \"%.*s\"", c[i].in, (int)out.len, out.s);
  }
  /* counted input: bytes after the length are not looked at */
  ctl_parse_line("abcdef", 3, &out);
  assert_int_equal(out.len, 3);
  sb_free(&out);
}

static void t_parse_list(void **st)
{
  static const struct { const char *in; int n; const char *out; size_t outlen; } c[] = {
    {"", 0, "", 0},
    {"a", 1, "a", 2},
    {"a\nb\n", 2, "a\0b", 4},
    {"a\n\n# comment\n  b  \n\t\nc\r\n", 3, "a\0b\0c", 6},
    {"#only\n#comments", 0, "", 0},
    {"x y\n", 1, "x y", 4},
  };
  sb out = SB_INIT;
  (void)st;
  for (size_t i = 0; i < sizeof c / sizeof c[0]; ++i) {
    int n = ctl_parse_list(c[i].in, strlen(c[i].in), &out);
    if (n != c[i].n) fail_msg("list %zu: count %d, want %d", i, n, c[i].n);
    if (out.len != c[i].outlen || memcmp(out.s, c[i].out, out.len)) fail_msg("list %zu: contents", i);
  }
  sb_free(&out);
}

static char dir[] = "/tmp/test_ctl.XXXXXX";

static void put(const char *name, const char *text)
{
  char path[256];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  fputs(text, f);
  fclose(f);
}

static void t_readers(void **st)
{
  sb v = SB_INIT;
  uint64_t u;
  int b;
  (void)st;
  assert_non_null(mkdtemp(dir));
  ctl_setdir(dir);
  assert_string_equal(ctl_dir(), dir);

  /* missing files: table defaults; $me follows control/me */
  assert_int_equal(ctl_u64("concurrencylocal", &u), 0);
  assert_int_equal(u, 10);
  assert_int_equal(ctl_line("bouncefrom", &v), 0);
  assert_string_equal(v.s, "MAILER-DAEMON");
  put("me", "host.example  \n");
  assert_int_equal(ctl_line("me", &v), 1);
  assert_string_equal(v.s, "host.example");
  assert_int_equal(ctl_line("bouncehost", &v), 0);
  assert_string_equal(v.s, "host.example");
  assert_int_equal(ctl_list("locals", &v), 0);
  assert_int_equal(v.len, 13);
  assert_memory_equal(v.s, "host.example\0", 13);
  assert_int_equal(ctl_list("virtualdomains", &v), 0);
  assert_int_equal(v.len, 0);

  /* present files */
  put("concurrencylocal", "25\n");
  assert_int_equal(ctl_u64("concurrencylocal", &u), 1);
  assert_int_equal(u, 25);
  put("queuelifetime", "\n");                 /* empty: default */
  assert_int_equal(ctl_u64("queuelifetime", &u), 0);
  assert_int_equal(u, 604800);
  put("concurrencyremote", "12x\n");
  errno = 0;
  assert_int_equal(ctl_u64("concurrencyremote", &u), -1);
  assert_int_equal(errno, EINVAL);
  put("bouncemaxbytes", "-5\n");
  assert_int_equal(ctl_u64("bouncemaxbytes", &u), -1);
  put("databytes", "18446744073709551616\n");
  assert_int_equal(ctl_u64("databytes", &u), -1);
  put("ldapstarttls", "7\n");
  assert_int_equal(ctl_bool("ldapstarttls", &b), 1);
  assert_int_equal(b, 1);
  put("doublebounceto", "\n");                /* empty is meaningful: discard */
  assert_int_equal(ctl_line("doublebounceto", &v), 1);
  assert_int_equal(v.len, 0);
  put("locals", "a.example\n# x\n\nb.example\n");
  assert_int_equal(ctl_list("locals", &v), 1);
  assert_int_equal(v.len, 20);
  assert_memory_equal(v.s, "a.example\0b.example\0", 20);
  put("custombouncetext", "line one\nline two\n");
  assert_int_equal(ctl_raw("custombouncetext", &v), 1);
  assert_string_equal(v.s, "line one\nline two\n");
  sb_free(&v);

  char cmd[300];
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  assert_int_equal(system(cmd), 0);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(t_table), cmocka_unit_test(t_parse_line),
    cmocka_unit_test(t_parse_list), cmocka_unit_test(t_readers),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
