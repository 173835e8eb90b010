#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base64.h"
#include "imapcmd.h"

const char *progname = "test_imapcmd";

/* Feed s[0..n) in pieces of chunk bytes (0: all at once); record the
 * events as a string: L literal, D done, B<err> bad, F<err> fatal.
 * The last command's tokens stay in c. */
static void run(struct imapcmd *c, const char *s, size_t n, size_t chunk, char *ev, size_t evlen)
{
  size_t off = 0, e = 0;
  ev[0] = 0;
  while (off < n) {
    size_t take = chunk && n - off > chunk ? chunk : n - off, used = 0;
    int r = imapcmd_feed(c, s + off, take, &used);
    assert_true(used <= take);
    assert_true(used == take || r != IC_MORE);
    off += used;
    char b[8] = "";
    if (r == IC_LITERAL) snprintf(b, sizeof b, "L");
    else if (r == IC_DONE) snprintf(b, sizeof b, "D");
    else if (r == IC_BAD) snprintf(b, sizeof b, "B%d", c->err);
    else if (r == IC_FATAL) { snprintf(b, sizeof b, "F%d", c->err); off = n; }
    if (e + strlen(b) + 1 < evlen) { memcpy(ev + e, b, strlen(b) + 1); e += strlen(b); }
  }
}

/* The events and the last command's rendering, the same whole and byte by byte. */
static void expect(const char *in, size_t n, const char *wantev, const char *wantcmd)
{
  for (size_t chunk = 0; chunk <= 3; chunk += (chunk ? 2 : 1)) {
    struct imapcmd c;
    char ev[200], got[2000];
    imapcmd_init(&c);
    run(&c, in, n, chunk, ev, sizeof ev);
    if (strcmp(ev, wantev)) fail_msg("%.60s (chunk %zu): events got %s want %s", in, chunk, ev, wantev);
    if (wantcmd) {
      size_t g = (size_t)snprintf(got, sizeof got, "%s|%s", c.tag, c.name);
      for (size_t i = 0; i < c.ntok; ++i) {
        size_t l;
        const char *v = imapcmd_tok(&c, i, &l);
        const char *ty = c.tok[i].type == IT_ATOM ? "a" : c.tok[i].type == IT_QUOTED ? "q" :
                         c.tok[i].type == IT_LITERAL ? "l" : c.tok[i].type == IT_LPAREN ? "(" : ")";
        g += (size_t)snprintf(got + g, sizeof got - g, "|%s:%.*s", ty, (int)l, v);
      }
      if (strcmp(got, wantcmd)) fail_msg("%.60s (chunk %zu): got %s want %s", in, chunk, got, wantcmd);
    }
    imapcmd_free(&c);
  }
}
#define EXPECT(s, ev, cmd) expect(s, sizeof s - 1, ev, cmd)

static void t_simple(void **st)
{
  (void)st;
  EXPECT("a1 CAPABILITY\r\n", "D", "a1|CAPABILITY");
  EXPECT("a1 noop\n", "D", "a1|noop");
  EXPECT("\r\n\n* BAD x\r\n", "B1", "|");           /* empty lines skipped; "*" is no tag */
  EXPECT("a]b LOGOUT\r\n", "D", "a]b|LOGOUT");
  EXPECT("a1 LOGIN joe secret\r\n", "D", "a1|LOGIN|a:joe|a:secret");
  EXPECT("a1 LOGIN \"jo e\" \"s\\\"e\\\\c\"\r\n", "D", "a1|LOGIN|q:jo e|q:s\"e\\c");
  EXPECT("a1 LOGIN \"\" \"\"\r\n", "D", "a1|LOGIN|q:|q:");
  EXPECT("t ID (\"name\" \"x\" \"v\" NIL)\r\n", "D", "t|ID|(:|q:name|q:x|q:v|a:NIL|):");
  EXPECT("t ID ()\r\n", "D", "t|ID|(:|):");
  EXPECT("t X ((a) b)\r\n", "D", "t|X|(:|(:|a:a|):|a:b|):");
  EXPECT("a CAPABILITY\r\nb NOOP\r\n", "DD", "b|NOOP");
  EXPECT("a AUTHENTICATE PLAIN AGpvZQBz=\r\n", "D", "a|AUTHENTICATE|a:PLAIN|a:AGpvZQBz=");
  /* 8-bit bytes in a quoted string (UTF-8 passwords) */
  EXPECT("a LOGIN \"j\xc3\xbcrgen\" x\r\n", "D", "a|LOGIN|q:j\xc3\xbcrgen|a:x");
}

static void t_literals(void **st)
{
  (void)st;
  EXPECT("a1 LOGIN {3}\r\njoe {6}\r\nse\r\nt!\r\n", "LLD", "a1|LOGIN|l:joe|l:se\r\nt!");
  EXPECT("a1 LOGIN {3+}\r\njoe \"x\"\r\n", "D", "a1|LOGIN|l:joe|q:x");
  EXPECT("a1 LOGIN {0}\r\n {0}\r\n\r\n", "LLD", "a1|LOGIN|l:|l:");
  EXPECT("a1 LOGIN {3}\njoe x\n", "LD", "a1|LOGIN|l:joe|a:x");
  /* a literal's bytes are not a line: a LF or "{" inside is data */
  EXPECT("a LOGIN {4}\r\n{1}\n x\r\n", "LD", "a|LOGIN|l:{1}\n|a:x");
  /* too big: a synchronizing one ends the command (the client waits for "+") */
  EXPECT("a1 LOGIN {8193}\r\nb NOOP\r\n", "B5D", "b|NOOP");
  EXPECT("a1 LOGIN {8192}\r\n", "L", 0);
  EXPECT("a1 LOGIN {99999999999999999999}\r\n", "B5", "a1|LOGIN");
  /* ... a non-synchronizing one cannot be skipped safely */
  EXPECT("a1 LOGIN {8193+}\r\nxxx", "F5", 0);
  /* NUL inside a literal: the literal is read to its end, then BAD */
  EXPECT("a LOGIN {3}\r\nj\0e x\r\nb NOOP\r\n", "LB4D", "b|NOOP");
  /* header errors */
  EXPECT("a LOGIN {}\r\n", "B3", 0);
  EXPECT("a LOGIN {3x}\r\n", "B3", 0);
  EXPECT("a LOGIN {3} \r\n", "B3", 0);
  EXPECT("a LOGIN {3++}\r\n", "B3", 0);
  /* two literals of 8192 exceed the command limit */
  {
    static char big[2 * 8192 + 100];
    size_t n = (size_t)snprintf(big, sizeof big, "a LOGIN {8192}\r\n");
    memset(big + n, 'x', 8192);
    n += 8192;
    n += (size_t)snprintf(big + n, sizeof big - n, " {8192}\r\n");
    expect(big, n, "LB5", 0);
  }
}

static void t_errors(void **st)
{
  (void)st;
  EXPECT("a1\r\n", "B2", "a1|");
  EXPECT("a1 \r\n", "B2", "a1|");
  EXPECT(" a1 NOOP\r\n", "B1", "|");
  EXPECT("a+1 NOOP\r\n", "B1", "|");
  EXPECT("a\"1 NOOP\r\n", "B1", "|");
  EXPECT("a(1 NOOP\r\nb NOOP\r\n", "B1D", "b|NOOP");
  EXPECT("a1  NOOP\r\n", "B3", "a1|");
  EXPECT("a1 NO(OP\r\n", "B3", 0);
  EXPECT("a1 LOGIN joe  x\r\n", "B3", 0);
  EXPECT("a1 LOGIN joe x \r\n", "B3", 0);
  EXPECT("a1 LOGIN \"joe x\r\n", "B3", 0);
  EXPECT("a1 LOGIN \"joe\\x\"\r\n", "B3", 0);
  EXPECT("a1 LOGIN \"joe\"x\r\n", "B3", 0);
  EXPECT("a1 LOGIN jo%e x\r\n", "B3", 0);
  EXPECT("a1 LOGIN j\xc3\xbc x\r\n", "B3", 0);
  EXPECT("a1 LOGIN joe\rx\r\n", "B3", 0);
  EXPECT("a1 NOOP\r \n", "B3", 0);
  EXPECT("a1 X (a\r\n", "B3", 0);
  EXPECT("a1 X a)\r\n", "B3", 0);
  EXPECT("a1 X (a )\r\n", "B3", 0);
  EXPECT("a1 X ((((((a))))))\r\n", "B6", 0);
  EXPECT("a1 LOGIN jo\0e x\r\nb NOOP\r\n", "B4D", "b|NOOP");
  EXPECT("a1 LOGIN \"jo\0e\" x\r\n", "B4", 0);
  EXPECT("a1\0 NOOP\r\n", "B4", "a1|");
  /* the tag survives an error after it */
  EXPECT("x7 LOGIN \"\r\n", "B3", "x7|LOGIN|q:");
}

static void t_limits(void **st)
{
  (void)st;
  static char line[IMAP_LINEMAX + 10];
  /* a line of exactly IMAP_LINEMAX bytes with CRLF is fine, one more is fatal */
  size_t n = (size_t)snprintf(line, sizeof line, "a LOGIN x ");
  memset(line + n, 'y', IMAP_LINEMAX - n - 2);
  memcpy(line + IMAP_LINEMAX - 2, "\r\n", 2);
  expect(line, IMAP_LINEMAX, "D", 0);
  memset(line + n, 'y', IMAP_LINEMAX - n - 1);
  memcpy(line + IMAP_LINEMAX - 1, "\r\n", 2);
  expect(line, IMAP_LINEMAX + 1, "F7", 0);
  /* an endless line without LF, even after an error */
  memset(line, '(', IMAP_LINEMAX + 5);
  expect(line, IMAP_LINEMAX + 5, "F7", 0);
  /* a tag of IMAP_TAGMAX is fine, one more byte is not */
  char tag[IMAP_TAGMAX + 20];
  memset(tag, 't', IMAP_TAGMAX);
  memcpy(tag + IMAP_TAGMAX, " NOOP\r\n", 8);
  expect(tag, strlen(tag), "D", 0);
  memset(tag, 't', IMAP_TAGMAX + 1);
  memcpy(tag + IMAP_TAGMAX + 1, " NOOP\r\n", 8);
  expect(tag, strlen(tag), "B1", 0);
  /* too many tokens */
  sb s = SB_INIT;
  assert_true(sb_cats(&s, "a X"));
  for (int i = 0; i < IMAP_TOKMAX; ++i) assert_true(sb_cats(&s, " x"));
  assert_true(sb_cats(&s, "\r\n"));
  expect(s.s, s.len, "D", 0);
  s.len -= 2;
  assert_true(sb_cats(&s, " x\r\n"));
  expect(s.s, s.len, "B6", 0);
  sb_free(&s);
}

static void t_abort(void **st)
{
  struct imapcmd c;
  size_t used;
  const char *in = "a LOGIN {5}\r\nb NOOP\r\n";
  (void)st;
  imapcmd_init(&c);
  assert_int_equal(imapcmd_feed(&c, in, strlen(in), &used), IC_LITERAL);
  assert_int_equal(used, 13);
  imapcmd_abort(&c);
  assert_int_equal(imapcmd_feed(&c, in + used, strlen(in) - used, &used), IC_DONE);
  assert_string_equal(c.tag, "b");
  assert_int_equal(c.ntok, 0);
  imapcmd_free(&c);
}

static void parse1(struct imapcmd *c, const char *s)
{
  char ev[20];
  imapcmd_init(c);
  run(c, s, strlen(s), 0, ev, sizeof ev);
  if (strcmp(ev, "D")) fail_msg("%s: %s", s, ev);
}

static void t_verbs(void **st)
{
  static const struct { const char *line; enum imap_verb v; } v[] = {
    {"a capability\r\n", IV_CAPABILITY}, {"a NOOP\r\n", IV_NOOP}, {"a Logout\r\n", IV_LOGOUT},
    {"a STARTTLS\r\n", IV_STARTTLS}, {"a login a b\r\n", IV_LOGIN}, {"a AUTHENTICATE PLAIN\r\n", IV_AUTHENTICATE},
    {"a id NIL\r\n", IV_ID}, {"a SELECT INBOX\r\n", IV_UNKNOWN}, {"a LOGINX\r\n", IV_UNKNOWN},
  };
  (void)st;
  for (size_t i = 0; i < sizeof v / sizeof v[0]; ++i) {
    struct imapcmd c;
    parse1(&c, v[i].line);
    if (imapcmd_verb(&c) != v[i].v) fail_msg("%s: verb %d want %d", v[i].line, imapcmd_verb(&c), v[i].v);
    imapcmd_free(&c);
  }
}

static void t_args(void **st)
{
  static const struct { const char *line; int login, auth, id; } a[] = {
    {"a LOGIN joe pw\r\n", 1, 1, 0},
    {"a LOGIN joe\r\n", 0, 1, 0},
    {"a LOGIN joe pw x\r\n", 0, 0, 0},
    {"a LOGIN (joe) pw\r\n", 0, 0, 0},
    {"a LOGIN NIL NIL\r\n", 1, 1, 0},
    {"a LOGIN {2}\r\nab {1}\r\nc\r\n", 1, 0, 0},
    {"a X PLAIN AGEAYg==\r\n", 1, 1, 0},
    {"a X PLAIN \"AGEAYg==\"\r\n", 1, 0, 0},
    {"a X\r\n", 0, 0, 0},
    {"a X NIL\r\n", 0, 1, 1},
    {"a X nil\r\n", 0, 1, 1},
    {"a X \"NIL\"\r\n", 0, 0, 0},
    {"a X (\"name\" \"c\" \"os\" NIL)\r\n", 0, 0, 1},
    {"a X (\"name\" {1}\r\nc)\r\n", 0, 0, 1},
    {"a X (name \"c\")\r\n", 0, 0, 0},
    {"a X (\"name\")\r\n", 0, 0, 0},
    {"a X (\"name\" (\"c\"))\r\n", 0, 0, 0},
    {"a X ()\r\n", 0, 0, 1},
    {"a X (\"0123456789012345678901234567890\" \"v\")\r\n", 0, 0, 0},
  };
  (void)st;
  for (size_t i = 0; i < sizeof a / sizeof a[0]; ++i) {
    struct imapcmd c;
    const char *u, *p, *m, *ir;
    size_t ul, pl, ml, irl;
    char ev[20];
    imapcmd_init(&c);
    run(&c, a[i].line, strlen(a[i].line), 1, ev, sizeof ev);
    if (!strchr(ev, 'D')) fail_msg("%s: %s", a[i].line, ev);
    if (imapcmd_login(&c, &u, &ul, &p, &pl) != a[i].login) fail_msg("%s: login", a[i].line);
    if (imapcmd_authenticate(&c, &m, &ml, &ir, &irl) != a[i].auth) fail_msg("%s: authenticate", a[i].line);
    if (imapcmd_id(&c) != a[i].id) fail_msg("%s: id", a[i].line);
    imapcmd_free(&c);
  }
  struct imapcmd c;
  const char *m, *ir;
  size_t ml, irl;
  parse1(&c, "a AUTHENTICATE plain\r\n");
  assert_int_equal(imapcmd_authenticate(&c, &m, &ml, &ir, &irl), 1);
  assert_null(ir);
  assert_string_equal(m, "plain");
  imapcmd_free(&c);
  /* 30 ID pairs fine, 31 not; a value of 1024 fine, 1025 not */
  sb s = SB_INIT;
  for (int pairs = 30; pairs <= 31; ++pairs) {
    assert_true(sb_copys(&s, "a ID ("));
    for (int i = 0; i < pairs; ++i) assert_true(sb_fmt(&s, "%s\"f%d\" \"v\"", i ? " " : "", i));
    assert_true(sb_cats(&s, ")\r\n"));
    parse1(&c, s.s);
    assert_int_equal(imapcmd_id(&c), pairs == 30);
    imapcmd_free(&c);
  }
  for (int vl = 1024; vl <= 1025; ++vl) {
    s.len = 0;
    assert_true(sb_cats(&s, "a ID (\"f\" \""));
    for (int i = 0; i < vl; ++i) assert_true(sb_catc(&s, 'v'));
    assert_true(sb_cats(&s, "\")\r\n"));
    parse1(&c, s.s);
    assert_int_equal(imapcmd_id(&c), vl == 1024);
    imapcmd_free(&c);
  }
  sb_free(&s);
}

static void t_tag(void **st)
{
  (void)st;
  assert_true(imap_tagok("a1", 2));
  assert_true(imap_tagok("A.b]-_", 6));
  assert_false(imap_tagok("", 0));
  assert_false(imap_tagok("a+", 2));
  assert_false(imap_tagok("a b", 3));
  assert_false(imap_tagok("a*", 2));
  assert_false(imap_tagok("a{", 2));
  assert_false(imap_tagok("\xc3\xa4", 2));
}

static void t_plain(void **st)
{
  static const struct { const char *raw; size_t rawlen; int rc; const char *u, *p; } c[] = {
    {"\0joe\0secret", 11, IP_OK, "joe", "secret"},
    {"joe\0joe\0secret", 14, IP_OK, "joe", "secret"},
    {"bob\0joe\0secret", 14, IP_AUTHZID, 0, 0},
    {"\0joe\0", 5, IP_OK, "joe", ""},
    {"\0\0x", 3, IP_OK, "", "x"},
    {"joe\0secret", 10, IP_FORM, 0, 0},
    {"\0joe\0se\0cret", 12, IP_FORM, 0, 0},
    {"", 0, IP_EMPTY, 0, 0},
  };
  sb b = SB_INIT, u = SB_INIT, p = SB_INIT;
  (void)st;
  for (size_t i = 0; i < sizeof c / sizeof c[0]; ++i) {
    b.len = 0;
    assert_true(b64_encode(&b, c[i].raw, c[i].rawlen));
    for (int isir = 0; isir <= 1; ++isir) {
      int rc = imap_plain(b.s ? b.s : "", b.len, isir, &u, &p);
      if (rc != c[i].rc) fail_msg("case %zu: got %d want %d", i, rc, c[i].rc);
      if (rc == IP_OK) {
        assert_int_equal(u.len, strlen(c[i].u));
        assert_memory_equal(u.s, c[i].u, u.len);
        assert_int_equal(p.len, strlen(c[i].p));
        if (p.len) assert_memory_equal(p.s, c[i].p, p.len);
      } else {
        assert_int_equal(u.len, 0);
        assert_int_equal(p.len, 0);
      }
    }
  }
  assert_int_equal(imap_plain("=", 1, 1, &u, &p), IP_EMPTY);
  assert_int_equal(imap_plain("=", 1, 0, &u, &p), IP_BASE64);
  assert_int_equal(imap_plain("*", 1, 0, &u, &p), IP_CANCEL);
  assert_int_equal(imap_plain("*", 1, 1, &u, &p), IP_BASE64);
  assert_int_equal(imap_plain("AGpvZQBz", 7, 0, &u, &p), IP_BASE64);
  assert_int_equal(imap_plain("AGpv ZQBz", 9, 0, &u, &p), IP_BASE64);
  assert_int_equal(imap_plain("AGpvZQBz==", 10, 0, &u, &p), IP_BASE64);
  sb_free(&b);
  sb_free(&u);
  sb_free(&p);
}

static void t_sasl(void **st)
{
  (void)st;
  size_t n;
  n = 5; assert_true(imap_saslline("AAAA\r", &n)); assert_int_equal(n, 4);
  n = 0; assert_true(imap_saslline("", &n)); assert_int_equal(n, 0);
  n = 3; assert_false(imap_saslline("A\0B", &n));
  n = 3; assert_false(imap_saslline("A\rB", &n));
  static char big[IMAP_LINEMAX + 2];
  memset(big, 'A', sizeof big);
  n = IMAP_LINEMAX - 2; assert_true(imap_saslline(big, &n));
  n = IMAP_LINEMAX - 1; assert_false(imap_saslline(big, &n));
}

static void t_cred(void **st)
{
  sb o = SB_INIT;
  char mode;
  const char *t, *u, *p;
  size_t ul, pl;
  (void)st;
  assert_int_equal(imap_fd3(&o, "joe", 3, "pw", 2), 1);
  assert_int_equal(o.len, 18);
  assert_memory_equal(o.s, "imap\nlogin\njoe\npw\n", 18);
  o.len = 0;
  assert_int_equal(imap_fd3(&o, "jo\ne", 4, "pw", 2), 0);
  assert_int_equal(imap_fd3(&o, "joe", 3, "p\rw", 3), 0);
  assert_int_equal(imap_fd3(&o, "joe", 3, "p\0w", 3), 0);
  assert_int_equal(imap_fd3(&o, "", 0, "pw", 2), 0);
  assert_int_equal(imap_fd3(&o, "joe", 3, "", 0), 0);
  char big[IMAP_PASSMAX + 2];
  memset(big, 'x', sizeof big);
  assert_int_equal(imap_credok(big, IMAP_USERMAX, big, IMAP_PASSMAX), 1);
  assert_int_equal(imap_credok(big, IMAP_USERMAX + 1, big, 1), 0);
  assert_int_equal(imap_credok(big, 1, big, IMAP_PASSMAX + 1), 0);

  unsigned f = 9;
  assert_true(imap_recmake(&o, 'T', 2, "a1", "joe", 3, "s e", 3));
  assert_int_equal(o.len, 13);
  assert_true(imap_recparse(o.s, o.len, &mode, &f, &t, &u, &ul, &p, &pl));
  assert_int_equal(mode, 'T');
  assert_int_equal(f, 2);
  assert_string_equal(t, "a1");
  assert_int_equal(ul, 3);
  assert_memory_equal(u, "joe", 3);
  assert_int_equal(pl, 3);
  assert_memory_equal(p, "s e", 3);
  /* truncations and extra bytes */
  for (size_t k = 0; k < o.len; ++k)
    if (imap_recparse(o.s, k, &mode, &f, &t, &u, &ul, &p, &pl)) fail_msg("prefix of %zu accepted", k);
  assert_true(sb_cats(&o, "x"));
  assert_true(sb_cat0(&o));
  assert_false(imap_recparse(o.s, o.len, &mode, &f, &t, &u, &ul, &p, &pl));
  assert_false(imap_recparse("X0a\0u\0p\0", 8, &mode, &f, &t, &u, &ul, &p, &pl));
  assert_false(imap_recparse("P3a\0u\0p\0", 8, &mode, &f, &t, &u, &ul, &p, &pl));
  assert_false(imap_recparse("Pxa\0u\0p\0", 8, &mode, &f, &t, &u, &ul, &p, &pl));
  assert_false(imap_recparse("P0a b\0u\0p\0", 10, &mode, &f, &t, &u, &ul, &p, &pl));
  assert_false(imap_recparse("P0a\0\0p\0", 7, &mode, &f, &t, &u, &ul, &p, &pl));
  assert_false(imap_recparse("P0a\0u\0\0", 7, &mode, &f, &t, &u, &ul, &p, &pl));
  assert_false(imap_recparse("P0\0u\0p\0", 7, &mode, &f, &t, &u, &ul, &p, &pl));
  assert_true(imap_recparse("P0a\0u\0p\0", 8, &mode, &f, &t, &u, &ul, &p, &pl));
  assert_int_equal(f, 0);
  assert_false(imap_recmake(&o, 'X', 0, "a", "u", 1, "p", 1));
  assert_false(imap_recmake(&o, 'P', 3, "a", "u", 1, "p", 1));
  assert_false(imap_recmake(&o, 'P', 0, "a+", "u", 1, "p", 1));
  assert_false(imap_recmake(&o, 'P', 0, "a", "u\n", 2, "p", 1));
  sb_free(&o);
}

static void t_caps_state(void **st)
{
  sb o = SB_INIT;
  unsigned n = 99;
  (void)st;
  assert_true(imap_capability(&o, 1, 1));
  assert_string_equal(o.s, "IMAP4rev1 SASL-IR ID STARTTLS LOGINDISABLED");
  assert_true(imap_capability(&o, 1, 0));
  assert_string_equal(o.s, "IMAP4rev1 SASL-IR ID STARTTLS AUTH=PLAIN");
  assert_true(imap_capability(&o, 0, 0));
  assert_string_equal(o.s, "IMAP4rev1 SASL-IR ID AUTH=PLAIN");
  sb_free(&o);

  assert_int_equal(imap_loginstate(0, "a1", &n), 0);
  assert_int_equal(imap_loginstate("1", "a1", &n), 1);
  assert_int_equal(n, 1);
  assert_int_equal(imap_loginstate("3", "a1", &n), 1);
  assert_int_equal(n, 3);
  assert_int_equal(imap_loginstate("4", "a1", &n), -1);
  assert_int_equal(imap_loginstate("0", "a1", &n), -1);
  assert_int_equal(imap_loginstate("", "a1", &n), -1);
  assert_int_equal(imap_loginstate("1x", "a1", &n), -1);
  assert_int_equal(imap_loginstate("1", 0, &n), -1);
  assert_int_equal(imap_loginstate("1", "a b", &n), -1);

  assert_true(imap_cleartextok(0, 0, "127.0.0.1"));
  assert_true(imap_cleartextok(0, 0, "::1"));
  assert_true(imap_cleartextok(0, 0, "::ffff:127.0.0.2"));
  assert_true(imap_cleartextok(0, "1", "127.0.0.1"));
  assert_false(imap_cleartextok(0, 0, "192.0.2.1"));
  assert_false(imap_cleartextok(0, 0, "1127.0.0.1"));
  assert_false(imap_cleartextok(0, 0, 0));
  assert_false(imap_cleartextok(0, "0", "127.0.0.1"));
  assert_true(imap_cleartextok("", 0, "192.0.2.1"));
  assert_true(imap_cleartextok("1", "0", "127.0.0.1"));
}

static void t_failtext(void **st)
{
  (void)st;
  assert_string_equal(imap_failtext(0), "NO [AUTHENTICATIONFAILED] Authentication failed.");
  assert_string_equal(imap_failtext("3"), "NO [AUTHENTICATIONFAILED] Authentication failed.");
  assert_string_equal(imap_failtext("x"), "NO [AUTHENTICATIONFAILED] Authentication failed.");
  assert_string_equal(imap_failtext("999"), "NO [AUTHENTICATIONFAILED] Authentication failed.");
  assert_false(imap_failtemp(0));
  assert_false(imap_failtemp("3"));
  assert_true(imap_failtemp("2"));
  assert_true(imap_failtemp("111"));
  assert_false(imap_failtemp("4"));
  assert_non_null(strstr(imap_failtext("4"), "[CONTACTADMIN]"));
  assert_non_null(strstr(imap_failtext("111"), "[UNAVAILABLE]"));
  /* every code of facts §1a has its own text */
  static const char *codes[] = {"1", "2", "3", "4", "5", "6", "61", "62", "7", "8", "25", "111"};
  for (size_t i = 0; i < 12; ++i)
    for (size_t j = i + 1; j < 12; ++j)
      if (!strcmp(imap_failtext(codes[i]), imap_failtext(codes[j]))) fail_msg("%s and %s share a text", codes[i], codes[j]);
}

static void t_logsafe(void **st)
{
  sb o = SB_INIT;
  (void)st;
  assert_true(imap_logsafe(&o, "jo\\e\n\xff", 6, 100));
  assert_true(sb_cat0(&o));
  assert_string_equal(o.s, "jo\\\\e\\x0a\\xff");
  o.len = 0;
  assert_true(imap_logsafe(&o, "abcdef", 6, 3));
  assert_true(sb_cat0(&o));
  assert_string_equal(o.s, "abc...");
  sb_free(&o);
}

/* random bytes never crash the parser, and it always stops at an event
 * or uses everything */
static void t_random(void **st)
{
  (void)st;
  srand(7);
  static unsigned char buf[4096];
  const char alpha[] = "a1 LOGIN{}+\"\\()\r\n\0xyzNIL";
  for (int round = 0; round < 300; ++round) {
    struct imapcmd c;
    char ev[4096];
    size_t n = (size_t)(rand() % (int)sizeof buf);
    for (size_t i = 0; i < n; ++i) buf[i] = round % 2 ? (unsigned char)rand() : (unsigned char)alpha[rand() % (int)(sizeof alpha - 1)];
    imapcmd_init(&c);
    run(&c, (const char *)buf, n, (size_t)(rand() % 5), ev, sizeof ev);
    imapcmd_free(&c);
  }
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(t_simple), cmocka_unit_test(t_literals), cmocka_unit_test(t_errors),
    cmocka_unit_test(t_limits), cmocka_unit_test(t_verbs), cmocka_unit_test(t_args),
    cmocka_unit_test(t_tag), cmocka_unit_test(t_plain), cmocka_unit_test(t_sasl),
    cmocka_unit_test(t_cred), cmocka_unit_test(t_caps_state), cmocka_unit_test(t_logsafe),
    cmocka_unit_test(t_random), cmocka_unit_test(t_abort), cmocka_unit_test(t_failtext),
  };
  return cmocka_run_group_tests(tests, 0, 0);
}
