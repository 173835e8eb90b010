#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>
#include "injhdr.h"

const char *progname = "test_injhdr";

static struct rfc822_qual Q;

static int setup(void **st)
{
  (void)st;
  rfc822_qual_init(&Q);
  return rfc822_qual_set(&Q, "host.example.com", "example.com", "plus.example.com") == RFC_OK ? 0 : -1;
}

static int teardown(void **st) { (void)st; rfc822_qual_free(&Q); return 0; }

static struct inj_conf conf(void)
{
  struct inj_conf c;
  memset(&c, 0, sizeof c);
  c.user = "joe"; c.ruser = "joe"; c.idhost = "id.example";
  c.now = 1000000000; c.pid = 42;
  c.maxfield = 1 << 20; c.maxheader = 1 << 24;
  return c;
}

/* Feed text line by line; returns the last inj_line/inj_eof result. */
static int feed(struct inj *j, const char *text)
{
  int r = INJ_MORE;
  while (*text) {
    const char *nl = strchr(text, '\n');
    size_t n = nl ? (size_t)(nl - text) + 1 : strlen(text);
    r = inj_line(j, text, n);
    if (r != INJ_MORE) return r;
    text += n;
  }
  return inj_eof(j);
}

static void joined(const sb *a, sb *out)
{
  out->len = 0;
  sb_cats(out, "");
  for (size_t i = 0; i < a->len; i += strlen(a->s + i) + 1) {
    if (i) sb_catc(out, '|');
    sb_cats(out, a->s + i);
  }
}

#define STAMPS "Date: Sun, 9 Sep 2001 01:46:40 +0000\nMessage-ID: <1000000000.42.qmail@id.example>\n"

static void t_table(void **st)
{
  static const struct {
    const char *flags, *name, *in; int last; const char *hdr, *rcpts, *sender;
  } c[] = {
    {"", 0, "Subject: hi\nTo: fred\n\n", INJ_BLANK,
     STAMPS "From: joe@host.example.com\nSubject: hi\nTo: fred@host.example.com\n",
     "fred@host.example.com", "joe@host.example.com"},
    {"", 0, "To: a@x.org\nBcc: b@y.org\nContent-Length: 5\n", INJ_MORE,
     STAMPS "From: joe@host.example.com\nTo: a@x.org\n", "a@x.org|b@y.org", "joe@host.example.com"},
    {"", 0, "Bcc: b@y.org\nApparently-To: c@y.org\n\n", INJ_BLANK,
     STAMPS "From: joe@host.example.com\nCc: recipient list not shown: ;\nApparently-To: c@y.org\n",
     "b@y.org|c@y.org", "joe@host.example.com"},
    {"", 0, "From: a@x.org\nTo: b@x.org\nResent-To: c@x.org\nResent-Bcc: d@x.org\n\n", INJ_BLANK,
     "Resent-Date: Sun, 9 Sep 2001 01:46:40 +0000\nResent-Message-ID: <1000000000.42.qmail@id.example>\n"
     "Resent-From: joe@host.example.com\nFrom: a@x.org\nTo: b@x.org\nResent-To: c@x.org\n",
     "c@x.org|d@x.org", "joe@host.example.com"},
    {"", 0, "Resent-From: a@x.org\n\n", INJ_BLANK,
     "Resent-Date: Sun, 9 Sep 2001 01:46:40 +0000\nResent-Message-ID: <1000000000.42.qmail@id.example>\n"
     "Resent-Cc: recipient list not shown: ;\nResent-From: a@x.org\n", "", "joe@host.example.com"},
    {"", 0, "Return-Path: <bounce@x.org>\nTo: a@x.org\n\n", INJ_BLANK,
     STAMPS "From: joe@host.example.com\nTo: a@x.org\n", "a@x.org", "bounce@x.org"},
    {"", 0, "Return-Path: <>\nTo: a@x.org\n\n", INJ_BLANK,
     STAMPS "From: joe@host.example.com\nTo: a@x.org\n", "a@x.org", ""},
    {"s", 0, "Return-Path: <bounce@x.org>\nTo: a@x.org\n\n", INJ_BLANK,
     STAMPS "From: joe@host.example.com\nTo: a@x.org\n", "a@x.org", "joe@host.example.com"},
    {"fi", 0, "From: x@y.org\nMessage-ID: <a@b>\nDate: yesterday\nTo: a@x.org\n\n", INJ_BLANK,
     "Message-ID: <1000000000.42.qmail@id.example>\nFrom: joe@host.example.com\nDate: yesterday\nTo: a@x.org\n",
     "a@x.org", "joe@host.example.com"},
    {"", 0, "From someone Tue Jan 1\nTo: a@x.org,\n  b@x.org\n\tc\nhello world\n", INJ_BODY,
     STAMPS "From: joe@host.example.com\nMBOX-Line: From someone Tue Jan 1\n"
     "To: a@x.org, b@x.org, c@host.example.com\n", "a@x.org|b@x.org|c@host.example.com", "joe@host.example.com"},
    {"", "Joe \"Q\" Doe", "To: a@x.org\n\n", INJ_BLANK,
     STAMPS "From: \"Joe \\\"Q\\\" Doe\" <joe@host.example.com>\nTo: a@x.org\n", "a@x.org", "joe@host.example.com"},
    {"c", "Joe (Q)\nDoe", "To: a@x.org\n\n", INJ_BLANK,
     STAMPS "From: joe@host.example.com (Joe \\(Q\\) Doe)\nTo: a@x.org\n", "a@x.org", "joe@host.example.com"},
    {"r", 0, "To: a@x.org\n\n", INJ_BLANK,
     STAMPS "From: joe@host.example.com\nTo: a@x.org\n", "a@x.org", "joe-@host.example.com-@[]"},
    {"m", 0, "To: a@x.org\n\n", INJ_BLANK,
     STAMPS "From: joe@host.example.com\nTo: a@x.org\n", "a@x.org", "joe-1000000000.42@host.example.com"},
    {"", 0, "", INJ_MORE, STAMPS "From: joe@host.example.com\nCc: recipient list not shown: ;\n", "",
     "joe@host.example.com"},
    {"", 0, " leading blank\n", INJ_BODY,
     STAMPS "From: joe@host.example.com\nCc: recipient list not shown: ;\n", "", "joe@host.example.com"},
    {"", 0, "To:\nCc: a@x.org\n\n", INJ_BLANK, STAMPS "From: joe@host.example.com\nTo:\nCc: a@x.org\n",
     "a@x.org", "joe@host.example.com"},
    {"", 0, "to : a@x\n\n", INJ_BLANK, STAMPS "From: joe@host.example.com\nto: a@x.example.com\n",
     "a@x.example.com", "joe@host.example.com"},
  };
  (void)st;
  for (size_t i = 0; i < sizeof c / sizeof c[0]; ++i) {
    struct inj_conf cf = conf();
    struct inj j;
    sb out = SB_INIT, r = SB_INIT;
    inj_conf_flags(&cf, c[i].flags);
    cf.name = c[i].name;
    inj_init(&j, &cf, &Q);
    int last = feed(&j, c[i].in);
    if (last != c[i].last) fail_msg("%zu: last %d want %d", i, last, c[i].last);
    assert_int_equal(inj_finish(&j, 0, &out), INJ_MORE);
    if (strcmp(out.s, c[i].hdr)) fail_msg("%zu: got\n[%s]\nwant\n[%s]", i, out.s, c[i].hdr);
    joined(inj_hrcpts(&j), &r);
    if (strcmp(r.s, c[i].rcpts)) fail_msg("%zu: rcpts [%s] want [%s]", i, r.s, c[i].rcpts);
    if (strcmp(j.sender.s, c[i].sender)) fail_msg("%zu: sender [%s] want [%s]", i, j.sender.s, c[i].sender);
    inj_free(&j);
    sb_free(&out); sb_free(&r);
  }
}

static void t_sender_f(void **st)
{
  struct inj_conf cf = conf();
  struct inj j;
  sb out = SB_INIT;
  (void)st;
  cf.host = "mailhost"; cf.rhost = "bounces.example.org";
  inj_init(&j, &cf, &Q);
  assert_int_equal(inj_set_sender(&j, ""), INJ_MORE);
  feed(&j, "Return-Path: <x@y.org>\n\n");
  assert_int_equal(inj_finish(&j, 1, &out), INJ_MORE);
  assert_string_equal(j.sender.s, "");
  assert_string_equal(out.s, "Return-Path: <>\n" STAMPS "From: joe@mailhost.example.com\nCc: recipient list not shown: ;\n");
  inj_free(&j);
  out.len = 0;
  inj_init(&j, &cf, &Q);
  feed(&j, "\n");
  assert_int_equal(inj_finish(&j, 1, &out), INJ_MORE);
  assert_string_equal(j.sender.s, "joe@bounces.example.org");
  assert_non_null(strstr(out.s, "Return-Path: <joe@bounces.example.org>\n"));
  inj_free(&j);
  sb_free(&out);
}

static void t_errors(void **st)
{
  struct inj_conf cf = conf();
  struct inj j;
  sb out = SB_INIT;
  (void)st;
  inj_init(&j, &cf, &Q);
  assert_int_equal(inj_line(&j, "To: \"unterminated\n", 18), INJ_MORE);
  assert_int_equal(inj_line(&j, "\n", 1), INJ_SYNTAX);
  assert_string_equal(j.bad.s, "To: \"unterminated\n");
  inj_free(&j);

  inj_init(&j, &cf, &Q);
  assert_int_equal(feed(&j, "From: <a@b\n"), INJ_SYNTAX);
  inj_free(&j);

  cf.maxfield = 20;
  inj_init(&j, &cf, &Q);
  assert_int_equal(inj_line(&j, "Subject: 0123456789012345\n", 26), INJ_TOOBIG);
  inj_free(&j);
  inj_init(&j, &cf, &Q);
  assert_int_equal(inj_line(&j, "Subject: 0123456\n", 17), INJ_MORE);
  assert_int_equal(inj_line(&j, " 0123456\n", 9), INJ_TOOBIG);
  inj_free(&j);

  cf.maxfield = 100;
  cf.maxheader = 30;
  inj_init(&j, &cf, &Q);
  assert_int_equal(inj_line(&j, "X-A: 0123456789\n", 16), INJ_MORE);
  assert_int_equal(inj_line(&j, "X-B: 0123456789\n", 16), INJ_MORE);
  assert_int_equal(inj_line(&j, "\n", 1), INJ_TOOBIG);
  inj_free(&j);

  /* a bad user name in the default From: is reported, not written */
  cf = conf();
  cf.user = "joe"; cf.host = "(bad";
  inj_init(&j, &cf, &Q);
  feed(&j, "To: a@x.org\n\n");
  assert_int_equal(inj_finish(&j, 0, &out), INJ_SYNTAX);
  inj_free(&j);
  sb_free(&out);
}

static void t_mft(void **st)
{
  struct inj_conf cf = conf();
  struct inj j;
  sb out = SB_INIT;
  (void)st;
  cf.mft = "list@x.org\0other@x.org\0";
  cf.mftlen = 23;
  inj_init(&j, &cf, &Q);
  feed(&j, "To: LIST@x.org\nCc: me@y.org\n\n");
  assert_int_equal(inj_finish(&j, 0, &out), INJ_MORE);
  assert_non_null(strstr(out.s, "Mail-Followup-To: LIST@x.org,\n  me@y.org\n"));
  inj_free(&j);
  out.len = 0;
  inj_init(&j, &cf, &Q);
  feed(&j, "To: nolist@x.org\n\n");
  assert_int_equal(inj_finish(&j, 0, &out), INJ_MORE);
  assert_null(strstr(out.s, "Mail-Followup-To"));
  inj_free(&j);
  sb_free(&out);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(t_table), cmocka_unit_test(t_sender_f), cmocka_unit_test(t_errors), cmocka_unit_test(t_mft),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
