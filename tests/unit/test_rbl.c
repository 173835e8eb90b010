#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>
#include "rbl.h"

const char *progname = "test_rbl";

static void t_reverse(void **st)
{
  static const struct { const char *ip; int ok; const char *want; } c[] = {
    {"1.2.3.4", 1, "4.3.2.1."},
    {"192.0.2.255", 1, "255.2.0.192."},
    {"::ffff:10.0.0.1", 1, "1.0.0.10."},
    {"::1", 1, "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0."},
    {"2001:db8::abcd", 1, "d.c.b.a.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2."},
    {"unknown", 0, ""}, {"", 0, ""}, {"1.2.3", 0, ""}, {"1.2.3.4.5", 0, ""}, {"256.1.1.1", 0, ""},
    {"1.2.3.4 ", 0, ""},
  };
  sb out = SB_INIT;
  (void)st;
  for (size_t i = 0; i < sizeof c / sizeof c[0]; ++i) {
    int r = rbl_reverse(c[i].ip, &out);
    if (r != c[i].ok) fail_msg("reverse %s: %d", c[i].ip, r);
    if (r) assert_string_equal(out.s, c[i].want);
  }
  sb_free(&out);
}

static void t_parse(void **st)
{
  struct rbl r = RBL_INIT;
  static const char good[] = "bl.example reject any listed at bl.example, see http://bl.example/\0"
                             "\ttag.example  addheader\t127.0.0.2   tagged  by tag\0";
  (void)st;
  assert_int_equal(rbl_parse(&r, good, sizeof good - 1), 1);
  assert_int_equal(r.n, 2);
  assert_string_equal(r.data.s + r.v[0].base, "bl.example");
  assert_string_equal(r.data.s + r.v[0].action, "reject");
  assert_string_equal(r.data.s + r.v[0].matchon, "any");
  assert_string_equal(r.data.s + r.v[0].message, "listed at bl.example, see http://bl.example/");
  assert_string_equal(r.data.s + r.v[1].base, "tag.example");
  assert_string_equal(r.data.s + r.v[1].matchon, "127.0.0.2");
  assert_string_equal(r.data.s + r.v[1].message, "tagged  by tag");
  assert_int_equal(rbl_parse(&r, "a b c", 5), 0);
  assert_int_equal(rbl_parse(&r, "a b c \0", 7), 0);
  assert_int_equal(rbl_parse(&r, "a\0", 2), 0);
  assert_int_equal(rbl_parse(&r, "", 0), 1);
  assert_int_equal(r.n, 0);
  assert_int_equal(rbl_parse(&r, "a b c d", 7), 1);   /* no final NUL */
  assert_int_equal(r.n, 1);
  assert_string_equal(r.data.s + r.v[0].message, "d");
  rbl_free(&r);
}

/* Fake DNS: names under bl.example list everything; under tag.example
 * answer 127.0.0.2 and 127.0.0.4; soft.example fails temporarily. */
static int fake(void *ctx, const char *name, sb *addrs)
{
  sb *log = ctx;
  sb_cats(log, name);
  sb_catc(log, '|');
  size_t n = strlen(name);
  if (n >= 10 && !strcmp(name + n - 10, "bl.example")) { sb_cats(addrs, "127.0.0.2"); sb_cat0(addrs); return RBL_LISTED; }
  if (n >= 11 && !strcmp(name + n - 11, "tag.example")) {
    sb_cats(addrs, "127.0.0.2"); sb_cat0(addrs); sb_cats(addrs, "127.0.0.4"); sb_cat0(addrs);
    return RBL_LISTED;
  }
  if (n >= 12 && !strcmp(name + n - 12, "soft.example")) return RBL_SOFT;
  return RBL_NONE;
}

static void t_check(void **st)
{
  struct rbl r = RBL_INIT;
  sb hdr = SB_INIT, log = SB_INIT;
  const char *msg = 0;
  static const char lists[] = "soft.example reject any soft\0"
                              "tag.example addheader 127.0.0.4 tagged by tag\0"
                              "tag.example addheader 127.0.0.9 never\0"
                              "clean.example reject any never\0"
                              "bl.example reject any listed at bl\0";
  (void)st;
  assert_int_equal(rbl_parse(&r, lists, sizeof lists - 1), 1);
  assert_int_equal(rbl_check(&r, "1.2.3.4", 0, fake, &log, &hdr, &msg), RBL_LISTED);
  assert_string_equal(msg, "listed at bl");
  assert_int_equal(hdr.len, 0);       /* a rejection tags nothing */
  assert_string_equal(log.s, "4.3.2.1.soft.example|4.3.2.1.tag.example|4.3.2.1.tag.example|"
                             "4.3.2.1.clean.example|4.3.2.1.bl.example|");
  /* RBLONLYHEADER: every hit becomes a tag */
  assert_int_equal(rbl_check(&r, "1.2.3.4", 1, fake, &log, &hdr, &msg), RBL_NONE);
  assert_string_equal(hdr.s, "X-RBL: (tag.example) matches with 127.0.0.4 and tells us tagged by tag\n"
                             "X-RBL: (bl.example) tells us listed at bl\n");
  /* not an address: nothing looked up */
  hdr.len = 0; log.len = 0;
  sb_cats(&log, "");
  assert_int_equal(rbl_check(&r, "unknown", 0, fake, &log, &hdr, &msg), RBL_NONE);
  assert_int_equal(log.len, 0);
  /* IPv6 client */
  assert_int_equal(rbl_lookup("::1", "bl.example", "any", fake, &log), RBL_LISTED);
  assert_int_equal(rbl_lookup("::1", "soft.example", "any", fake, &log), RBL_SOFT);
  assert_int_equal(rbl_lookup("::1", "", "any", fake, &log), RBL_SOFT);
  /* rbltags */
  static const char tags[] = "tag.example\0clean.example\0bl.example\0";
  hdr.len = 0;
  assert_int_equal(rbl_tags(tags, sizeof tags - 1, "10.0.0.1", fake, &log, &hdr), 1);
  assert_string_equal(hdr.s, "X-RBL-Check: tag.example\nX-RBL-Check: bl.example\n");
  rbl_free(&r);
  sb_free(&hdr);
  sb_free(&log);
}

int main(void)
{
  const struct CMUnitTest tests[] = { cmocka_unit_test(t_reverse), cmocka_unit_test(t_parse), cmocka_unit_test(t_check) };
  return cmocka_run_group_tests(tests, 0, 0);
}
