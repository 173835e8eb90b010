/* fuzz_pop3cmd: qmail-popup's and qmail-pop3d's command parsing
 * (pop3cmd.h). The input is a client's side of a session; each line
 * (LF removed, as rd_line gives it) is a command line and a SASL
 * response line; arguments go through the number, TOP, AUTH and AUTH
 * PLAIN parsers. The whole input is also taken as the network half's
 * record to the root half (pop3_credrec: mode, then the fd 3 data of the
 * checkpassword chain). Properties: the argument lies inside the line
 * and lines over the limits are refused; a PLAIN response gives a login
 * of 1..256 and a password of 1..512 bytes without NUL, and on any
 * refusal nothing; the record made from those credentials (pop3_credmake)
 * is well formed and a well-formed record has exactly three fields in
 * the limits; log-safe text is printable and bounded. */
#include "fuzz.h"
#include "pop3cmd.h"

static void plain(const char *resp, size_t n)
{
  sb user = SB_INIT, pass = SB_INIT, rec = SB_INIT;
  int r = pop3_plain(resp, n, &user, &pass);
  FZ_MEM(r != P3P_NOMEM);
  FZ_CHECK(r >= P3P_OK && r <= P3P_NOMEM);
  if (r == P3P_OK) {
    FZ_CHECK(user.len >= 1 && user.len <= POP3_USERMAX && !memchr(user.s, 0, user.len));
    FZ_CHECK(pass.len >= 1 && pass.len <= POP3_PASSMAX && !memchr(pass.s, 0, pass.len));
    char mode;
    FZ_CHECK(pop3_credmake(&rec, 'T', user.s, user.len, pass.s, pass.len, "<1.2@host>"));
    FZ_CHECK(rec.len <= POP3_CREDMAX && pop3_credrec(rec.s, rec.len, &mode) && mode == 'T');
  } else FZ_CHECK(!user.len && !pass.len);
  pop3_wipe(&rec);
  sb_free(&user);
  sb_free(&pass);
  sb_free(&rec);
}

static void line(const char *l, size_t n)
{
  struct pop3_cmd c;
  uint64_t a, b;
  const char *resp;
  size_t rl;
  int r = pop3_cmdline(l, n, &c);
  FZ_CHECK(r >= P3L_OK && r <= P3L_EMPTY);
  if (r == P3L_OK) {
    size_t len = n && l[n - 1] == '\r' ? n - 1 : n;
    FZ_CHECK(len + 2 <= (c.verb == P3_AUTH ? POP3_SASLMAX : POP3_LINEMAX));
    FZ_CHECK(!c.arglen || (c.arg > l && c.arg + c.arglen <= l + len && c.arg[-1] == ' '));
    if (pop3_msgnum(c.arg, c.arglen, &a)) FZ_CHECK(a > 0);
    if (pop3_toparg(c.arg, c.arglen, &a, &b)) FZ_CHECK(a > 0);
    int k = pop3_authargs(c.arg, c.arglen, &resp, &rl);
    FZ_CHECK(k >= P3A_LIST && k <= P3A_SYNTAX);
    if (k == P3A_PLAIN_RESP) {
      FZ_CHECK(rl && resp >= c.arg && resp + rl <= c.arg + c.arglen);
      plain(resp, rl);
    }
  } else FZ_CHECK(c.verb == P3_UNKNOWN || r != P3L_TOOLONG);
  rl = n;
  if (pop3_saslline(l, &rl) == P3L_OK) {
    FZ_CHECK(rl <= n && rl + 2 <= POP3_SASLMAX);
    plain(l, rl);
  }
  sb out = SB_INIT;
  size_t max = n % 300;
  FZ_MEM(pop3_logsafe(&out, l, n, max));
  FZ_CHECK(out.len <= max + 3 && strlen(out.s) == out.len);
  for (size_t i = 0; i < out.len; ++i) FZ_CHECK(out.s[i] >= 0x20 && out.s[i] < 0x7f);
  sb_free(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  const char *s = (const char *)data;
  for (size_t i = 0; i < size;) {
    const char *e = memchr(s + i, '\n', size - i);
    size_t end = e ? (size_t)(e - s) : size;
    if (end - i <= 4096) line(s + i, end - i);
    i = end + 1;
  }
  char mode = 0;
  if (pop3_credrec(s, size, &mode)) {
    FZ_CHECK(mode == 'P' || mode == 'T');
    FZ_CHECK(size <= POP3_CREDMAX && s[size - 1] == 0);
    size_t z = 0;
    for (size_t i = 0; i < size; ++i) z += !s[i];
    FZ_CHECK(z == 3 && s[1] != 0);
  }
  for (int code = -1; code < 130; ++code) {
    const char *t = pop3_chainerr(1, code);
    FZ_CHECK(code == 0 ? !t : t && !strncmp(t, "-ERR ", 5) && !strchr(t, '\n'));
  }
  return 0;
}
