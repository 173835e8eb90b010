#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>
#include "mailmagic.h"
#include "replydb.h"

const char *progname = "test_mailmagic";

static void t_header(void **st)
{
  const char *h = "From: a@b\nSubject: hello\n  world\nPrecedence: bulk\n\nSubject: body\n";
  sb v = SB_INIT;
  (void)st;
  assert_true(mm_header(h, strlen(h), "subject", &v));
  assert_string_equal(v.s, "hello  world");
  assert_false(mm_header(h, strlen(h), "To", &v));
  assert_true(mm_is_bulk(h, strlen(h)));
  const char *h2 = "From: a@b\nSubject: x\n\nPrecedence: bulk\n";
  assert_false(mm_is_bulk(h2, strlen(h2)));
  const char *h3 = "X-Spam-Status: Yes, score=9\n\n";
  assert_true(mm_is_bulk(h3, strlen(h3)));
  const char *h4 = "Auto-Submitted: no\n\n";
  assert_false(mm_is_bulk(h4, strlen(h4)));
  const char *h5 = "Auto-Submitted: auto-replied\n\n";
  assert_true(mm_is_bulk(h5, strlen(h5)));
  const char *h6 = "List-Id: <x.example>\n\n";
  assert_true(mm_is_bulk(h6, strlen(h6)));
  sb_free(&v);
}

static void t_sender(void **st)
{
  static const struct { const char *s; int junk; } c[] = {
    {"joe@example.com", 0}, {"", 1}, {"#@[]", 1}, {"MAILER-DAEMON@x.org", 1}, {"list-request@x.org", 1},
    {"postmaster@x", 1}, {"root@x", 1}, {"rooter@x", 0}, {"foo-daemon@x", 1}, {"daemonic@x", 0},
    {"x-relay@y", 1}, {"nodomain", 1}, {"uucp@h", 1},
  };
  (void)st;
  for (size_t i = 0; i < sizeof c / sizeof c[0]; ++i)
    if (mm_sender_junk(c[i].s, NULL, 0) != c[i].junk) fail_msg("%s", c[i].s);
  assert_true(mm_sender_junk("boss@corp.example", "@corp.example\0", 15));
  assert_true(mm_sender_junk("boss@corp.example", "boss\0", 5));
  assert_false(mm_sender_junk("boss@corp.example", "-boss\0", 6));
}

static void t_split(void **st)
{
  sb h = SB_INIT, b = SB_INIT;
  (void)st;
  const char *t = "%HEADER%\nFrom: Me <me@x>\nTo: evil@x\nSubject: away\nX-Foo: bar\n cont\nBcc: no\n\nBody %SUBJECT%\n";
  assert_true(mm_split_text(t, strlen(t), &h, &b));
  assert_string_equal(h.s, "From: Me <me@x>\nSubject: away\nX-Foo: bar\n cont\n");
  assert_string_equal(b.s, "Body %SUBJECT%\n");
  const char *p = "plain text\n";
  assert_true(mm_split_text(p, strlen(p), &h, &b));
  assert_string_equal(h.s, "");
  assert_string_equal(b.s, p);
  assert_true(mm_subst("a %SUBJECT% b %SUBJECT%", "%SUBJECT%", "x", &b));
  assert_string_equal(b.s, "a x b x");
  sb_free(&h); sb_free(&b);
}

static void t_replydb(void **st)
{
  sb out = SB_INIT, out2 = SB_INIT;
  (void)st;
  assert_int_equal(replydb_update("", 0, "abc", "joe@x", 1000, 100, &out), 1);
  assert_string_equal(out.s, "QRDBv1:abc\njoe@x:3e8\n");
  assert_int_equal(replydb_update(out.s, out.len, "abc", "JOE@x", 1050, 100, &out2), 0);
  assert_int_equal(replydb_update(out.s, out.len, "abc", "joe@x", 1100, 100, &out2), 1);   /* expired */
  assert_int_equal(replydb_update(out.s, out.len, "abd", "joe@x", 1050, 100, &out2), 1);   /* new text */
  assert_string_equal(out2.s, "QRDBv1:abd\njoe@x:41a\n");
  assert_int_equal(replydb_update(out.s, out.len, "abc", "ann@x", 1050, 100, &out2), 1);
  assert_string_equal(out2.s, "QRDBv1:abc\njoe@x:3e8\nann@x:41a\n");
  const char *junk = "QRDBv1:abc\ngarbage\nx:zz\n";
  assert_int_equal(replydb_update(junk, strlen(junk), "abc", "a@b", 5, 100, &out2), 1);
  assert_string_equal(out2.s, "QRDBv1:abc\na@b:5\n");
  sb_free(&out); sb_free(&out2);
}

/* Times beyond time_t in an edited file (found by tests/fuzz/fuzz_replydb:
 * now - t overflowed, undefined, and in practice kept the entry for
 * ever): such an entry is in the future and dropped like any other. */
static void t_replydb_time(void **st)
{
  sb out = SB_INIT;
  (void)st;
  const char *db = "QRDBv1:abc\njoe@x:8000000000000000\nann@x:ffffffffffffffff\nbob@x:3e8\n";
  assert_int_equal(replydb_update(db, strlen(db), "abc", "joe@x", 1050, 100, &out), 1);
  assert_string_equal(out.s, "QRDBv1:abc\nbob@x:3e8\njoe@x:41a\n");
  assert_int_equal(replydb_update(db, strlen(db), "abc", "ann@x", 1050, 100, &out), 1);
  assert_int_equal(replydb_update(db, strlen(db), "abc", "bob@x", 1050, 100, &out), 0);
  /* the largest interval and clock still compare without overflow */
  assert_int_equal(replydb_update(db, strlen(db), "abc", "bob@x", 1050, INT64_MAX, &out), 0);
  assert_int_equal(replydb_update(db, strlen(db), "abc", "joe@x", INT64_MAX, INT64_MAX, &out), 1);
  /* a clock before 1970: nothing in the file counts */
  assert_int_equal(replydb_update(db, strlen(db), "abc", "bob@x", -1, 100, &out), 1);
  sb_free(&out);
}

int main(void)
{
  const struct CMUnitTest tests[] = {cmocka_unit_test(t_header), cmocka_unit_test(t_sender),
                                     cmocka_unit_test(t_split), cmocka_unit_test(t_replydb),
                                     cmocka_unit_test(t_replydb_time)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
