#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>
#include "rewrite.h"

const char *progname = "test_rewrite";

/* "a\nb\n" -> "a\0b\0" as ctl_list() returns */
static void mklist(sb *out, const char *lines)
{
  out->len = 0;
  assert_true(sb_ready(out, 0));
  for (const char *p = lines; *p; ++p) assert_true(sb_catc(out, *p == '\n' ? 0 : *p));
}

static sb locals, vdoms, percent;

static void setup_lists(void)
{
  mklist(&locals, "example.org\nLocalHost\n");
  mklist(&vdoms, "virt.example:vu\nspecial@virt2.example:sp\nvirt2.example:v2\n.sub.example:subu\n"
                 "notvirt.sub.example:\nnocolon.example\n");
  mklist(&percent, "relay.example\n");
}

static void t_rcpt(void **st)
{
  static const struct { const char *in; int want; const char *out; } c[] = {
    {"joe@example.org", REWRITE_LOCAL, "joe@example.org"},
    {"Joe@EXAMPLE.ORG", REWRITE_LOCAL, "Joe@EXAMPLE.ORG"},          /* case kept, match ignores it */
    {"joe", REWRITE_LOCAL, "joe@example.org"},                     /* envnoathost */
    {"joe@localhost", REWRITE_LOCAL, "joe@localhost"},
    {"joe@remote.example", REWRITE_REMOTE, "joe@remote.example"},
    {"joe@virt.example", REWRITE_LOCAL, "vu-joe@virt.example"},
    {"joe@VIRT.example", REWRITE_LOCAL, "vu-joe@VIRT.example"},
    {"special@virt2.example", REWRITE_LOCAL, "sp-special@virt2.example"},   /* user@dom first */
    {"other@virt2.example", REWRITE_LOCAL, "v2-other@virt2.example"},
    {"a@x.sub.example", REWRITE_LOCAL, "subu-a@x.sub.example"},            /* .suffix */
    {"a@y.x.sub.example", REWRITE_LOCAL, "subu-a@y.x.sub.example"},
    {"a@sub.example", REWRITE_REMOTE, "a@sub.example"},                    /* .sub only matches below */
    {"a@notvirt.sub.example", REWRITE_REMOTE, "a@notvirt.sub.example"},   /* empty prefix: not virtual */
    {"a@nocolon.example", REWRITE_REMOTE, "a@nocolon.example"},
    {"u%remote.example@relay.example", REWRITE_REMOTE, "u@remote.example"},
    {"u%example.org@relay.example", REWRITE_LOCAL, "u@example.org"},
    {"u%a%relay.example@relay.example", REWRITE_REMOTE, "u@a"},            /* repeated */
    {"u@relay.example", REWRITE_REMOTE, "u@relay.example"},                /* no % */
    {"u%x@other.example", REWRITE_REMOTE, "u%x@other.example"},            /* not a percenthack host */
    {"a@b@example.org", REWRITE_LOCAL, "a@b@example.org"},                 /* last @ counts */
    {"@", REWRITE_REMOTE, "@"},
    {"x@", REWRITE_REMOTE, "x@"},
  };
  struct rewrite rw = { &locals, 0, 0, &vdoms, &percent, "example.org" };
  sb out = SB_INIT;
  (void)st;
  setup_lists();
  for (size_t i = 0; i < sizeof c / sizeof c[0]; ++i) {
    int r = rewrite_rcpt(&rw, c[i].in, &out);
    if (r != c[i].want || strcmp(out.s, c[i].out))
      fail_msg("%s: got %d %s want %d %s", c[i].in, r, out.s, c[i].want, c[i].out);
  }
  sb_free(&out);
}

static void t_catchall(void **st)
{
  sb vd = SB_INIT, out = SB_INIT;
  struct rewrite rw = { &locals, 0, 0, &vd, 0, "h" };
  (void)st;
  setup_lists();
  mklist(&vd, ":all\n");
  assert_int_equal(rewrite_rcpt(&rw, "x@anything.example", &out), REWRITE_LOCAL);
  assert_string_equal(out.s, "all-x@anything.example");
  assert_int_equal(rewrite_rcpt(&rw, "x@example.org", &out), REWRITE_LOCAL);
  assert_string_equal(out.s, "x@example.org");         /* locals win */
  rw.vdoms = 0; rw.locals = 0;
  assert_int_equal(rewrite_rcpt(&rw, "x@example.org", &out), REWRITE_REMOTE);   /* no lists at all */
  sb_free(&vd); sb_free(&out);
}

static int fake_cdb(void *ctx, const char *dom, size_t n)
{
  (void)ctx;
  if (n == 4 && !memcmp(dom, "fail", 4)) return -1;
  return n == 7 && !memcmp(dom, "cdb.dom", 7);
}

static void t_islocal(void **st)
{
  struct rewrite rw = { &locals, fake_cdb, 0, 0, 0, "h" };
  sb out = SB_INIT;
  (void)st;
  setup_lists();
  assert_int_equal(rewrite_rcpt(&rw, "a@cdb.dom", &out), REWRITE_LOCAL);
  assert_int_equal(rewrite_rcpt(&rw, "a@example.org", &out), REWRITE_REMOTE);  /* the cdb replaces locals */
  assert_int_equal(rewrite_rcpt(&rw, "a@fail", &out), REWRITE_TEMP);
  sb_free(&out);
}

static void t_split(void **st)
{
  struct rewrite rw = { &locals, 0, 0, &vdoms, &percent, "example.org" };
  sb out[2] = {SB_INIT, SB_INIT};
  const char in[] = "a@example.org\0b@remote.example\0c@virt.example\0";
  (void)st;
  setup_lists();
  assert_int_equal(rewrite_split(&rw, in, sizeof in - 1, out), REWRITE_LOCAL);
  assert_int_equal(out[0].len, sizeof "Ta@example.org\0Tvu-c@virt.example" );
  assert_memory_equal(out[0].s, "Ta@example.org\0Tvu-c@virt.example\0", out[0].len);
  assert_memory_equal(out[1].s, "Tb@remote.example\0", out[1].len);
  assert_int_equal(rewrite_split(&rw, "", 0, out), REWRITE_LOCAL);
  assert_int_equal(out[0].len + out[1].len, 0);
  /* a last recipient without its \0 is still one recipient */
  assert_int_equal(rewrite_split(&rw, "x@example.org", 13, out), REWRITE_LOCAL);
  assert_memory_equal(out[0].s, "Tx@example.org\0", out[0].len);
  struct rewrite bad = { &locals, fake_cdb, 0, 0, 0, "h" };
  assert_int_equal(rewrite_split(&bad, "a@cdb.dom\0b@fail\0", 17, out), REWRITE_TEMP);
  sb_free(&out[0]); sb_free(&out[1]);
}

static void t_strip(void **st)
{
  static const struct { const char *in, *out; } c[] = {
    {"vu-joe@virt.example", "joe@virt.example"},
    {"joe@virt.example", "joe@virt.example"},            /* no prefix */
    {"vux-joe@virt.example", "vux-joe@virt.example"},
    {"subu-a@x.sub.example", "a@x.sub.example"},
    {"v2-x@virt2.example", "x@virt2.example"},
    {"vu-@virt.example", "@virt.example"},
    {"vu@virt.example", "vu@virt.example"},
    {"nodomain", "nodomain"},
    {"a@notvirt.sub.example", "a@notvirt.sub.example"},
  };
  (void)st;
  setup_lists();
  for (size_t i = 0; i < sizeof c / sizeof c[0]; ++i)
    if (strcmp(rewrite_strip_vdom(&vdoms, c[i].in), c[i].out))
      fail_msg("%s: got %s want %s", c[i].in, rewrite_strip_vdom(&vdoms, c[i].in), c[i].out);
}

static void t_verp(void **st)
{
  static const struct { const char *sender, *rcpt, *verp, *bounce; } c[] = {
    {"owner-@host-@[]", "box@dom", "owner-box=dom@host", "owner-@host"},
    {"owner-@host-@[]", "nodomain", "owner-@host-@[]", "owner-@host"},
    {"joe@example.org", "box@dom", "joe@example.org", "joe@example.org"},
    {"", "box@dom", "", ""},
    {"-@[]", "box@dom", "-@[]", ""},
    {"x-@[]", "box@dom", "x-@[]", "x"},
    {"#@[]", "box@dom", "#@[]", "#@[]"},
    {"a@b@c-@[]", "u@d", "a@bu=d@c", "a@b@c"},
  };
  sb out = SB_INIT;
  (void)st;
  for (size_t i = 0; i < sizeof c / sizeof c[0]; ++i) {
    assert_true(rewrite_verp(c[i].sender, c[i].rcpt, &out));
    if (strcmp(out.s ? out.s : "", c[i].verp)) fail_msg("verp %s %s: got %s", c[i].sender, c[i].rcpt, out.s);
    assert_true(rewrite_bounce_to(c[i].sender, &out));
    if (strcmp(out.s ? out.s : "", c[i].bounce)) fail_msg("bounce_to %s: got %s", c[i].sender, out.s);
  }
  sb_free(&out);
}

static void t_lists(void **st)
{
  (void)st;
  setup_lists();
  assert_true(rewrite_inlist(&locals, "localhost", 9));
  assert_false(rewrite_inlist(&locals, "localhos", 8));
  assert_false(rewrite_inlist(0, "x", 1));
  assert_string_equal(rewrite_map(&vdoms, "VIRT.EXAMPLE", 12), "vu");
  assert_null(rewrite_map(&vdoms, "virt", 4));
  assert_null(rewrite_map(&vdoms, "nocolon.example", 15));
  /* an unterminated last entry is still read within bounds */
  sb l = SB_INIT;
  assert_true(sb_copyb(&l, "a\0bc", 4));
  assert_true(rewrite_inlist(&l, "bc", 2));
  sb_free(&l);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(t_rcpt), cmocka_unit_test(t_catchall), cmocka_unit_test(t_islocal),
    cmocka_unit_test(t_split), cmocka_unit_test(t_strip), cmocka_unit_test(t_verp),
    cmocka_unit_test(t_lists),
  };
  int r = cmocka_run_group_tests(tests, NULL, NULL);
  sb_free(&locals); sb_free(&vdoms); sb_free(&percent);
  return r;
}
