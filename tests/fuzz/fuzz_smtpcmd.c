/* fuzz_smtpcmd: qmail-smtpd's command lines (smtpcmd.h). The input is a
 * client's side of a session; each line (CR LF or LF removed) goes
 * through the verb, the MAIL/RCPT address and parameter parsers and the
 * address checks, and a reply is expanded with it as the argument.
 * Properties: offsets stay inside the line; a parsed address has no
 * control byte and fits SMTP_ADDRMAX; smtp_utf8_ok agrees with an
 * independent decoder; a reply is the template's lines and nothing else
 * (no CR, LF or control byte from the argument). */
#include "fuzz.h"
#include "smtpcmd.h"

static size_t count(const char *s, size_t n, char c)
{
  size_t k = 0;
  for (size_t i = 0; i < n; ++i) k += s[i] == c;
  return k;
}

static void address(const char *a, size_t n)
{
  size_t at;
  char ip[64];
  FZ_CHECK(smtp_utf8_ok(a, n) == fz_utf8_ref((const uint8_t *)a, n));
  int eight = 0;
  for (size_t i = 0; i < n; ++i) eight |= (unsigned char)a[i] >= 0x80;
  FZ_CHECK(smtp_has8bit(a, n) == eight);
  int probe = smtp_relayprobe(a, n);
  FZ_CHECK(probe == 0 || probe == 1);
  if (!memchr(a, '@', n)) FZ_CHECK(smtp_sanity(a, n) == SANE_NOAT);
  int s = smtp_sanity(a, n);
  FZ_CHECK(s >= SANE_OK && s <= SANE_NODOT);
  memset(ip, 'x', sizeof ip);
  if (smtp_addrliteral(a, n, &at, ip, sizeof ip)) {
    FZ_CHECK(at < n && a[at] == '@' && a[n - 1] == ']');
    FZ_CHECK(memchr(ip, 0, sizeof ip) != NULL);
    FZ_CHECK(strlen(ip) < n - at);
  }
  (void)smtp_isbounce(a, n);
}

static void reply(const char *line, size_t n, uint32_t h)
{
  char *arg = fz_str(line, n);
  struct smtp_vars v = {arg, (h & 1) ? arg : NULL, (h & 2) ? arg : "", (h & 4) ? arg : NULL};
  enum smtp_reply r = (enum smtp_reply)(h % (SR_COUNT + 1));   /* SR_COUNT: out of range */
  sb out = SB_INIT;
  const char *t = smtp_template(r);
  FZ_MEM(smtp_reply(&out, r, &v, arg));
  FZ_CHECK(out.len >= 2 && out.s[out.len - 2] == '\r' && out.s[out.len - 1] == '\n');
  FZ_CHECK(count(out.s, out.len, '\n') == count(t, strlen(t), '\n') + 1);
  FZ_CHECK(count(out.s, out.len, '\r') == count(t, strlen(t), '\r') + 1);
  for (size_t i = 0; i < out.len; ++i) {
    unsigned char c = (unsigned char)out.s[i];
    FZ_CHECK(c >= 0x20 ? c != 0x7f : (c == '\r' || c == '\n'));
  }
  int code = smtp_code(r);
  FZ_CHECK(code >= 200 && code <= 599);
  FZ_CHECK(out.s[0] == '0' + code / 100);
  sb_free(&out);
  free(arg);
}

static void line(const char *l, size_t n, uint32_t h)
{
  size_t arg = 0, rest = 0;
  sb addr = SB_INIT;
  enum smtp_verb v = smtp_verb(l, n, &arg);
  FZ_CHECK(arg <= n);
  FZ_CHECK(v >= V_UNKNOWN && v <= V_STARTTLS);
  if (v != V_UNKNOWN) FZ_CHECK(!memchr(l, 0, arg));
  FZ_CHECK(smtp_utf8_ok(l, n) == fz_utf8_ref((const uint8_t *)l, n));
  /* every line, not only MAIL and RCPT: the parser must hold up anyway */
  int k = smtp_addrparse(l + arg, n - arg, &addr, &rest);
  FZ_CHECK(k >= -1 && k <= 1);
  FZ_MEM(k >= 0);
  if (k == 1) {
    FZ_CHECK(rest <= n - arg);
    FZ_CHECK(addr.len <= SMTP_ADDRMAX);
    FZ_CHECK(addr.s[addr.len] == 0 && strlen(addr.s) == addr.len);
    for (size_t i = 0; i < addr.len; ++i)
      FZ_CHECK((unsigned char)addr.s[i] >= 0x20 && addr.s[i] != 0x7f);
    address(addr.s, addr.len);
    const char *p = l + arg + rest, *val;
    size_t pn = n - arg - rest, vl;
    static const char *const names[] = {"SIZE", "BODY", "AUTH", "SMTPUTF8", "RET", "ENVID"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; ++i) {
      if (smtp_param(p, pn, names[i], &val, &vl)) FZ_CHECK(val >= p && val + vl <= p + pn);
      (void)smtp_keyword(p, pn, names[i]);
    }
    int ok0 = smtp_size_ok(p, pn, 0), ok1 = smtp_size_ok(p, pn, 1000), ok2 = smtp_size_ok(p, pn, UINT64_MAX);
    FZ_CHECK(ok0 == 1);
    FZ_CHECK(!ok1 || ok2);   /* a bigger limit never refuses what a smaller took */
  }
  sb_free(&addr);
  address(l, n);
  reply(l, n, h);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  const char *s = (const char *)data;
  size_t i = 0;
  uint32_t h = fz_hash(data, size);
  while (i < size) {
    const char *nl = memchr(s + i, '\n', size - i);
    size_t e = nl ? (size_t)(nl - s) : size, n = e - i;
    if (n && s[e - 1] == '\r') --n;
    if (n <= SMTP_CMDMAX) line(s + i, n, fz_next(&h));
    i = e + 1;
  }
  return 0;
}
