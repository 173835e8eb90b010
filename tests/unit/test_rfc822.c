#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>
#include "rfc822.h"

const char *progname = "test_rfc822";

static struct rfc822_qual Q;

static int setup(void **st)
{
  (void)st;
  rfc822_qual_init(&Q);
  return rfc822_qual_set(&Q, "host.example.com", "example.com", "plus.example.com") == RFC_OK ? 0 : -1;
}

static int teardown(void **st) { (void)st; rfc822_qual_free(&Q); return 0; }

/* addresses joined with '|' for easy comparison */
static void joined(const sb *a, sb *out)
{
  out->len = 0;
  sb_cats(out, "");
  for (size_t i = 0; i < a->len; i += strlen(a->s + i) + 1) {
    if (i) sb_catc(out, '|');
    sb_cats(out, a->s + i);
  }
}

static void t_addrlist(void **st)
{
  static const struct { const char *in, *out, *addrs; } c[] = {
    {"a@b", "a@b.example.com", "a@b.example.com"},
    {"djb", "djb@host.example.com", "djb@host.example.com"},
    {"djb fred", "djb@host.example.com, fred@host.example.com", "djb@host.example.com|fred@host.example.com"},
    {"Joe Bloggs <joe@x.org>", "Joe Bloggs <joe@x.org>", "joe@x.org"},
    {"joe@x.org (Joe)", "joe@x.org (Joe)", "joe@x.org"},
    {"(Joe) joe@x.org", "joe@x.org (Joe)", "joe@x.org"},
    {"<>", "<>", ""},
    {"<@r1.org,@r2.org:u@h.org>", "<u@h.org>", "u@h.org"},
    {"<@x.org>", "<>", ""},
    {"@r1.org:u@h.org", "u@h.org", "u@h.org"},
    {"u@h.org.", "u@h.org", "u@h.org"},
    {"u@", "u@host.example.com", "u@host.example.com"},
    {"eric@mammoth.cs+", "eric@mammoth.cs.plus.example.com", "eric@mammoth.cs.plus.example.com"},
    {"u@h", "u@h.example.com", "u@h.example.com"},
    {"u@[1.2.3.4]", "u@[1.2.3.4]", "u@[1.2.3.4]"},
    {"u@[]", "u@[]", "u@[]"},
    {"\"john doe\"@x.org", "\"john doe\"@x.org", "john doe@x.org"},
    {"\"a\\\"b\"@x.org", "\"a\\\"b\"@x.org", "a\"b@x.org"},
    {"group: a@b.org, c@d.org;, e@f.org", "group: a@b.org, c@d.org;, e@f.org", "a@b.org|c@d.org|e@f.org"},
    {"recipient list not shown: ;", "recipient list not shown: ;", ""},
    {"open group: a@b.org", "open group: a@b.org;", "a@b.org"},
    {"a@b.org,,c@d.org,", "a@b.org, c@d.org", "a@b.org|c@d.org"},
    {"a@b.org\n\t, c@d.org", "a@b.org, c@d.org", "a@b.org|c@d.org"},
    {"John Q. Public <jqp@x.org>", "John Q. Public <jqp@x.org>", "jqp@x.org"},
    {"\"Doe, John\" <jd@x.org>", "\"Doe, John\" <jd@x.org>", "jd@x.org"},
    {"(only a comment)", "(only a comment)", ""},
    {"", "", ""},
    {"  ", "", ""},
    {"a@x.org b@y.org", "a@x.org, b@y.org", "a@x.org|b@y.org"},
    {"first.last@x.org", "first.last@x.org", "first.last@x.org"},
    {"first.last", "first.last@host.example.com", "first.last@host.example.com"},
    {"u@x.org <v@y.org>", "u@x.org <v@y.org>", "v@y.org"},
  };
  sb out = SB_INIT, addrs = SB_INIT, j = SB_INIT;
  (void)st;
  for (size_t i = 0; i < sizeof c / sizeof c[0]; ++i) {
    out.len = addrs.len = 0;
    int r = rfc822_addrlist(&Q, c[i].in, strlen(c[i].in), 4, &out, &addrs);
    if (r != RFC_OK) fail_msg("%s: r=%d", c[i].in, r);
    if (strcmp(out.s, c[i].out)) fail_msg("%s: got [%s] want [%s]", c[i].in, out.s, c[i].out);
    joined(&addrs, &j);
    if (strcmp(j.s, c[i].addrs)) fail_msg("%s: addrs got [%s] want [%s]", c[i].in, j.s, c[i].addrs);
  }
  sb_free(&out); sb_free(&addrs); sb_free(&j);
}

/* A bare address that qualifies to nothing (a source route without ':',
 * a lone '.' or '@') is no recipient: its header form is empty, so an
 * envelope "" would be a recipient nobody sees (tests/fuzz/fuzz_rfc822
 * found "To: x, @u b" giving one). Only a written <> gives "". */
static void t_addrlist_empty(void **st)
{
  static const struct { const char *in, *out; size_t n; } c[] = {
    {"@u", "", 0},
    {".", "", 0},
    {"@", "", 0},
    {"@u b", "b@host.example.com", 1},
    {"a@b.org, @r.org, c@d.org", "a@b.org, c@d.org", 2},
    {"g: @u;", "g: ;", 0},
    {"<@x.org>", "<>", 1},
    {"<>", "<>", 1},
  };
  sb out = SB_INIT, addrs = SB_INIT;
  (void)st;
  for (size_t i = 0; i < sizeof c / sizeof c[0]; ++i) {
    out.len = addrs.len = 0;
    if (rfc822_addrlist(&Q, c[i].in, strlen(c[i].in), 4, &out, &addrs) != RFC_OK) fail_msg("%s: not ok", c[i].in);
    if (strcmp(out.s, c[i].out)) fail_msg("%s: got [%s] want [%s]", c[i].in, out.s, c[i].out);
    size_t n = 0;
    for (size_t k = 0; k < addrs.len; ++k) n += !addrs.s[k];
    if (n != c[i].n) fail_msg("%s: %zu addresses, want %zu", c[i].in, n, c[i].n);
  }
  sb_free(&out); sb_free(&addrs);
}

static void t_addrlist_bad(void **st)
{
  static const char *const c[] = {
    "\"unterminated", "a <b", "a>b", "(comment", "a@b)", "x@y;", "<a> b", "<a<b>>",
    "[1.2.3.4", "a]", "g: <a", "\"a\\", "(a\\",
  };
  sb out = SB_INIT, addrs = SB_INIT;
  (void)st;
  for (size_t i = 0; i < sizeof c / sizeof c[0]; ++i) {
    int r = rfc822_addrlist(&Q, c[i], strlen(c[i]), 4, &out, &addrs);
    if (r != RFC_SYNTAX) fail_msg("%s: r=%d", c[i], r);
  }
  /* an embedded NUL never reaches an envelope */
  assert_int_equal(rfc822_addrlist(&Q, "a\0b@x", 5, 4, &out, &addrs), RFC_SYNTAX);
  /* a field cut short in the middle of a quoted string */
  assert_int_equal(rfc822_addrlist(&Q, "\"ab\"", 3, 4, &out, &addrs), RFC_SYNTAX);
  sb_free(&out); sb_free(&addrs);
}

static void t_fold(void **st)
{
  sb in = SB_INIT, out = SB_INIT, addrs = SB_INIT;
  (void)st;
  for (int i = 0; i < 10; ++i) sb_fmt(&in, "%suser%d@some.long.domain.example.org", i ? ", " : "", i);
  assert_int_equal(rfc822_addrlist(&Q, in.s, in.len, 4, &out, &addrs), RFC_OK);
  size_t col = 4;
  for (size_t i = 0; i < out.len; ++i) {
    if (out.s[i] == '\n') { col = 0; assert_true(out.s[i + 1] == ' '); continue; }
    ++col;
    assert_true(col <= 78);
  }
  assert_non_null(strstr(out.s, ",\n  user"));
  sb_free(&in); sb_free(&out); sb_free(&addrs);
}

static void t_addr_arg(void **st)
{
  static const struct { const char *in, *out; } c[] = {
    {"john doe@x.org", "john doe@x.org"},
    {"fred", "fred@host.example.com"},
    {"fred@h", "fred@h.example.com"},
    {"a,b", "a,b@host.example.com"},
    {"u@x.org", "u@x.org"},
    {"u@mammoth+", "u@mammoth.plus.example.com"},
  };
  sb out = SB_INIT;
  (void)st;
  for (size_t i = 0; i < sizeof c / sizeof c[0]; ++i) {
    out.len = 0;
    sb_cats(&out, "");
    assert_int_equal(rfc822_addr_arg(&Q, c[i].in, &out), RFC_OK);
    if (strcmp(out.s, c[i].out)) fail_msg("%s: got [%s] want [%s]", c[i].in, out.s, c[i].out);
  }
  assert_int_equal(rfc822_addr_arg(&Q, "", &out), RFC_SYNTAX);
  assert_int_equal(rfc822_addr_arg(&Q, "a@b>", &out), RFC_SYNTAX);
  out.len = 0;
  assert_int_equal(rfc822_addr_text(&Q, "Joe <joe@x.org> (c)", 19, &out), RFC_OK);
  assert_string_equal(out.s, "joe@x.org");
  assert_int_equal(rfc822_addr_text(&Q, "a@x.org, b@x.org", 16, &out), RFC_SYNTAX);
  assert_int_equal(rfc822_addr_text(&Q, "a b", 3, &out), RFC_SYNTAX);
  assert_int_equal(rfc822_addr_text(&Q, "<a", 2, &out), RFC_SYNTAX);
  sb_free(&out);
}

static void t_hfield(void **st)
{
  static const struct { const char *s; int known, valid; } c[] = {
    {"To: x", HF_TO, 1}, {"to : x", HF_TO, 1}, {"TO:x", HF_TO, 1}, {"Tox: y", HF_OTHER, 1},
    {"Resent-To: a", HF_R_TO, 1}, {"RESENT-message-id: <a>", HF_R_MESSAGEID, 1},
    {"Content-Length: 3", HF_CONTENTLENGTH, 1}, {"X-Foo: bar", HF_OTHER, 1},
    {": x", HF_OTHER, 0}, {"Foo bar: x", HF_OTHER, 0}, {"nocolon", HF_OTHER, 0},
    {"F\xc3\xb6o: x", HF_OTHER, 0}, {"Foo\t:x", HF_OTHER, 1}, {" To: x", HF_OTHER, 0},
    {"Bcc", HF_OTHER, 0}, {"Resent_To: a", HF_OTHER, 1},
  };
  (void)st;
  for (size_t i = 0; i < sizeof c / sizeof c[0]; ++i) {
    if (rfc822_hf_known(c[i].s, strlen(c[i].s)) != c[i].known) fail_msg("known %s", c[i].s);
    if (rfc822_hf_valid(c[i].s, strlen(c[i].s)) != c[i].valid) fail_msg("valid %s", c[i].s);
  }
  assert_int_equal(rfc822_hf_namelen("Subject \t: x", 12), 7);
  assert_int_equal(rfc822_hf_bodyoff("Subject \t: x", 12), 10);
  assert_int_equal(rfc822_hf_bodyoff("Subject", 7), 0);
}

static void t_quote(void **st)
{
  sb out = SB_INIT;
  (void)st;
  assert_true(rfc822_quote(&out, "a\"b\\c", 5));
  assert_string_equal(out.s, "\"a\\\"b\\\\c\"");
  sb_free(&out);
}

static void t_qual_bad(void **st)
{
  struct rfc822_qual q;
  (void)st;
  rfc822_qual_init(&q);
  assert_int_equal(rfc822_qual_set(&q, "\"bad", "x", "y"), RFC_SYNTAX);
  assert_int_equal(rfc822_qual_set(&q, "h", "(c) x", "y"), RFC_SYNTAX);
  assert_int_equal(rfc822_qual_set(&q, "h", "x", "y"), RFC_OK);
  rfc822_qual_free(&q);
}

static void t_tokenize_bytewise(void **st)
{
  /* every prefix of a valid field either parses or is a clean syntax error */
  const char *s = "\"Doe, J\" <jd@[1.2.3.4]> (x (y) \\) z), g: a@b;";
  struct rfc_toks l;
  (void)st;
  rfc_toks_init(&l);
  for (size_t n = 0; n <= strlen(s); ++n) {
    int r = rfc822_tokenize(&l, s, n);
    assert_true(r == RFC_OK || r == RFC_SYNTAX);
  }
  assert_int_equal(rfc822_tokenize(&l, s, strlen(s)), RFC_OK);
  assert_int_equal(l.t[0].type, TK_QUOTE);
  assert_int_equal(l.t[0].len, 6);
  rfc_toks_free(&l);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(t_addrlist), cmocka_unit_test(t_addrlist_empty), cmocka_unit_test(t_addrlist_bad), cmocka_unit_test(t_fold),
    cmocka_unit_test(t_addr_arg), cmocka_unit_test(t_hfield), cmocka_unit_test(t_quote),
    cmocka_unit_test(t_qual_bad), cmocka_unit_test(t_tokenize_bytewise),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
