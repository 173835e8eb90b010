#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>
#include "dotqmail.h"
#include "quote.h"

const char *progname = "test_dotqmail";

#define S(x) x, sizeof(x) - 1

static void t_classify(void **st)
{
  static const struct { const char *line; size_t n; enum dq_kind kind; const char *payload; } cases[] = {
    {S(""), DQ_BLANK, ""},
    {S("   \t "), DQ_BLANK, ""},
    {S("# comment"), DQ_COMMENT, "# comment"},
    {S("|preline /usr/ucb/vacation djb"), DQ_PROGRAM, "preline /usr/ucb/vacation djb"},
    {S("|prog  \t"), DQ_PROGRAM, "prog"},
    {S("&me@new.job.com"), DQ_FORWARD, "me@new.job.com"},
    {S("me@new.job.com "), DQ_FORWARD, "me@new.job.com"},
    {S(" me@x"), DQ_FORWARD, " me@x"},
    {S("/home/djb/Mailbox.sos"), DQ_MBOX, "/home/djb/Mailbox.sos"},
    {S("./Mailbox"), DQ_MBOX, "./Mailbox"},
    {S("./Maildir/"), DQ_MAILDIR, "./Maildir/"},
    {S("/home/djb/Maildir/\t"), DQ_MAILDIR, "/home/djb/Maildir/"},
    {S("+list"), DQ_PLUS, "list"},
    {S("&"), DQ_FORWARD, ""},
    {S("./Maildir/\0junk"), DQ_MAILDIR, "./Maildir/"},
    {S("\0abc"), DQ_BLANK, ""},
  };
  struct dq_line d;
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; ++i) {
    dq_classify(cases[i].line, cases[i].n, &d);
    if (d.kind != cases[i].kind) fail_msg("case %zu: kind got %d want %d", i, d.kind, cases[i].kind);
    if (d.len != strlen(cases[i].payload) || memcmp(d.s, cases[i].payload, d.len))
      fail_msg("case %zu: payload got '%.*s' want '%s'", i, (int)d.len, d.s, cases[i].payload);
  }
}

static void t_next(void **st)
{
  const char text[] = "./Maildir/\n\n|prog\n&x@y";
  struct dq_line d;
  size_t pos = 0;
  enum dq_kind want[] = {DQ_MAILDIR, DQ_BLANK, DQ_PROGRAM, DQ_FORWARD};
  for (size_t i = 0; i < 4; ++i) {
    assert_int_equal(dq_next(text, sizeof text - 1, &pos, &d), 1);
    assert_int_equal(d.kind, want[i]);
  }
  assert_int_equal(dq_next(text, sizeof text - 1, &pos, &d), 0);
  pos = 0;
  assert_int_equal(dq_next("a\n", 2, &pos, &d), 1);
  assert_int_equal(dq_next("a\n", 2, &pos, &d), 0);     /* no phantom line after the last \n */
  pos = 0;
  assert_int_equal(dq_next("", 0, &pos, &d), 0);
}

/* fake file system for dq_search */
struct files { const char *const *names; char tried[16][64]; int n; int errat; };

static int try_fake(void *ctx, const char *name)
{
  struct files *f = ctx;
  if (f->n < 16) { strncpy(f->tried[f->n], name, 63); f->tried[f->n][63] = 0; }
  if (++f->n == f->errat) return -1;
  for (size_t i = 0; f->names[i]; ++i)
    if (!strcmp(f->names[i], name)) return 1;
  return 0;
}

static void t_search_order(void **st)
{
  static const struct { const char *dash, *ext; const char *order[6]; } cases[] = {
    {"", "", {".qmail", ".qmaildefault"}},
    {"-", "", {".qmail-", ".qmail-default"}},
    {"-", "a", {".qmail-a", ".qmail-default"}},
    {"-", "a-", {".qmail-a-", ".qmail-a-default", ".qmail-default"}},
    {"-", "a-b", {".qmail-a-b", ".qmail-a-default", ".qmail-default"}},
    {"-", "a-b-", {".qmail-a-b-", ".qmail-a-b-default", ".qmail-a-default", ".qmail-default"}},
    {"-", "a-b-c", {".qmail-a-b-c", ".qmail-a-b-default", ".qmail-a-default", ".qmail-default"}},
    {"-", "Foo.Bar-x", {".qmail-foo:bar-x", ".qmail-foo:bar-default", ".qmail-default"}},
  };
  static const char *const none[] = {NULL};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; ++i) {
    struct files f = {none, {{0}}, 0, 0};
    size_t defpos;
    int r = dq_search(cases[i].dash, cases[i].ext, try_fake, &f, &defpos);
    assert_int_equal(r, 0);
    int n = 0;
    while (n < 6 && cases[i].order[n]) ++n;
    if (f.n != n) fail_msg("case %zu: tried %d names, want %d", i, f.n, n);
    for (int k = 0; k < n; ++k)
      if (strcmp(f.tried[k], cases[i].order[k])) fail_msg("case %zu step %d: got %s want %s", i, k, f.tried[k], cases[i].order[k]);
  }
}

static void t_search_default(void **st)
{
  static const char *const names[] = {".qmail-foo-default", ".qmail-default", ".qmail-bar-default", NULL};
  static const struct { const char *ext; int r; size_t defpos; } cases[] = {
    {"foo-bar-baz", 1, 4},        /* .qmail-foo-default, DEFAULT=bar-baz */
    {"Foo-Bar", 1, 4},            /* DEFAULT keeps the case of ext */
    {"zot", 1, 0},                /* .qmail-default, DEFAULT=zot */
    {"bar-default", 1, 4},        /* the literal file ends in default: DEFAULT=default */
    {"foo", 1, 0},                /* "foo" has no dash: .qmail-default */
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; ++i) {
    struct files f = {names, {{0}}, 0, 0};
    size_t defpos;
    int r = dq_search("-", cases[i].ext, try_fake, &f, &defpos);
    if (r != cases[i].r || defpos != cases[i].defpos)
      fail_msg("case %zu (%s): got %d/%zu want %d/%zu", i, cases[i].ext, r, defpos, cases[i].r, cases[i].defpos);
  }
  static const char *const exact[] = {".qmail-x", NULL};
  struct files f = {exact, {{0}}, 0, 0};
  size_t defpos;
  assert_int_equal(dq_search("-", "x", try_fake, &f, &defpos), 1);
  assert_int_equal(defpos, SIZE_MAX);
  struct files g = {exact, {{0}}, 0, 2};
  assert_int_equal(dq_search("-", "a-b", try_fake, &g, &defpos), -1);
  assert_int_equal(g.n, 2);
}

static const char *const *owner_files;
static int owner_exists(void *ctx, const char *name)
{
  (void)ctx;
  for (size_t i = 0; owner_files[i]; ++i)
    if (!strcmp(owner_files[i], name)) return 1;
  return 0;
}

static void t_newsender(void **st)
{
  static const char *const none[] = {NULL};
  static const char *const owner[] = {".qmail-list-owner", NULL};
  static const char *const verp[] = {".qmail-list-owner", ".qmail-list-owner-default", NULL};
  static const struct { const char *const *files; const char *sender; const char *want; } cases[] = {
    {none, "a@b", "a@b"},
    {owner, "a@b", "joe-list-owner@host"},
    {verp, "a@b", "joe-list-owner-@host-@[]"},
    {verp, "", ""},
    {verp, "#@[]", "#@[]"},
  };
  sb out = SB_INIT;
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; ++i) {
    owner_files = cases[i].files;
    assert_int_equal(dq_newsender(&out, cases[i].sender, "joe-list", "host", "-", "list", owner_exists, NULL), 0);
    if (strcmp(out.s, cases[i].want)) fail_msg("case %zu: got %s want %s", i, out.s, cases[i].want);
  }
  sb_free(&out);
}

static void t_lines(void **st)
{
  sb b = SB_INIT;
  assert_true(dq_dtline(&b, "joe-x", "example.com"));
  assert_string_equal(b.s, "Delivered-To: joe-x@example.com\n");
  assert_true(dq_dtline(&b, "a\nb", "h"));
  assert_string_equal(b.s, "Delivered-To: a_b@h\n");
  assert_true(dq_rpline(&b, "a@b.c"));
  assert_string_equal(b.s, "Return-Path: <a@b.c>\n");
  assert_true(dq_rpline(&b, ""));
  assert_string_equal(b.s, "Return-Path: <>\n");
  assert_true(dq_rpline(&b, "#@[]"));
  assert_string_equal(b.s, "Return-Path: <#@[]>\n");
  assert_true(dq_rpline(&b, "a b@c"));
  assert_string_equal(b.s, "Return-Path: <\"a b\"@c>\n");
  assert_true(dq_rpline(&b, "x\ny@z"));
  assert_string_equal(b.s, "Return-Path: <\"x\\_y\"@z>\n");
  assert_true(dq_ufline(&b, "a@b", 0));
  assert_string_equal(b.s, "From a@b Thu Jan  1 00:00:00 1970\n");
  assert_true(dq_ufline(&b, "", 951782400));
  assert_string_equal(b.s, "From MAILER-DAEMON Tue Feb 29 00:00:00 2000\n");
  assert_true(dq_ufline(&b, "a b\tc\nd", 1700000000));
  assert_string_equal(b.s, "From a-b-c-d Tue Nov 14 22:13:20 2023\n");
  sb_free(&b);
}

static void t_ext_host(void **st)
{
  assert_string_equal(dq_extn("a-b-c-d-e", 2), "b-c-d-e");
  assert_string_equal(dq_extn("a-b-c-d-e", 3), "c-d-e");
  assert_string_equal(dq_extn("a-b-c-d-e", 4), "d-e");
  assert_string_equal(dq_extn("a", 2), "");
  assert_string_equal(dq_extn("a-", 2), "");
  assert_string_equal(dq_extn("", 4), "");
  static const struct { const char *host; const char *h2, *h3, *h4; } cases[] = {
    {"a.b.c.d", "a.b.c", "a.b", "a"},
    {"mail.example.com", "mail.example", "mail", "mail"},
    {"localhost", "localhost", "localhost", "localhost"},
    {"", "", "", ""},
    {".x", "", "", ""},
  };
  sb b = SB_INIT;
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; ++i) {
    const char *want[3] = {cases[i].h2, cases[i].h3, cases[i].h4};
    for (int n = 2; n <= 4; ++n) {
      assert_true(dq_hostn(&b, cases[i].host, n));
      if (strcmp(b.s, want[n - 2])) fail_msg("case %zu HOST%d: got %s want %s", i, n, b.s, want[n - 2]);
    }
  }
  sb_free(&b);
}

static void t_loop(void **st)
{
  sb dt = SB_INIT;
  dq_dtline(&dt, "joe", "h");
  assert_true(dq_is_loop(S("Delivered-To: joe@h"), &dt));
  assert_false(dq_is_loop(S("Delivered-To: joe@h "), &dt));
  assert_false(dq_is_loop(S("Delivered-To: JOE@h"), &dt));
  assert_false(dq_is_loop(S("Delivered-To: joe@"), &dt));
  assert_false(dq_is_loop(S(""), &dt));
  sb_free(&dt);
}

static void t_progexit(void **st)
{
  static const struct { int code, want; } cases[] = {
    {0, DQ_PROG_OK}, {99, DQ_PROG_STOP}, {100, DQ_PROG_HARD}, {64, DQ_PROG_HARD}, {65, DQ_PROG_HARD},
    {70, DQ_PROG_HARD}, {76, DQ_PROG_HARD}, {77, DQ_PROG_HARD}, {78, DQ_PROG_HARD}, {112, DQ_PROG_HARD},
    {111, DQ_PROG_SOFT}, {1, DQ_PROG_SOFT}, {66, DQ_PROG_SOFT}, {75, DQ_PROG_SOFT}, {255, DQ_PROG_SOFT},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; ++i)
    if (dq_prog_exit(cases[i].code) != cases[i].want) fail_msg("exit %d", cases[i].code);
}

static void t_quote(void **st)
{
  static const struct { const char *in, *out; } cases[] = {
    {"", ""}, {"a@b", "a@b"}, {"a.b@c", "a.b@c"}, {".a@b", "\".a\"@b"}, {"a.@b", "\"a.\"@b"},
    {"a..b@c", "\"a..b\"@c"}, {"a\"b@c", "\"a\\\"b\"@c"}, {"a\\b@c", "\"a\\\\b\"@c"}, {"noat", "noat"},
    {"@b", "\"\"@b"}, {"a@b@c", "\"a@b\"@c"}, {"a+b=c/d@e", "a+b=c/d@e"},
    /* RFC 6531: UTF-8 is atext, not quoted */
    {"j\xc3\xbcrgen@x", "j\xc3\xbcrgen@x"}, {"\xc3\xbc.x@y", "\xc3\xbc.x@y"}, {"\xc3\xbc x@y", "\"\xc3\xbc x\"@y"},
  };
  sb b = SB_INIT;
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; ++i) {
    b.len = 0;
    assert_true(quote_addr(&b, cases[i].in, strlen(cases[i].in)));
    if (strcmp(b.s ? b.s : "", cases[i].out)) fail_msg("case %zu: got %s want %s", i, b.s, cases[i].out);
  }
  sb_free(&b);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(t_classify), cmocka_unit_test(t_next), cmocka_unit_test(t_search_order),
    cmocka_unit_test(t_search_default), cmocka_unit_test(t_newsender), cmocka_unit_test(t_lines),
    cmocka_unit_test(t_ext_host), cmocka_unit_test(t_loop), cmocka_unit_test(t_progexit),
    cmocka_unit_test(t_quote),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
