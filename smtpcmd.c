#include "smtpcmd.h"
#include <string.h>
#include <strings.h>

static int lc(int c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; }

static int ieq(const char *a, size_t n, const char *b)
{
  size_t m = strlen(b);
  if (n != m) return 0;
  for (size_t i = 0; i < n; ++i)
    if (lc((unsigned char)a[i]) != lc((unsigned char)b[i])) return 0;
  return 1;
}

enum smtp_verb smtp_verb(const char *line, size_t len, size_t *arg)
{
  static const struct { const char *name; enum smtp_verb v; } verbs[] = {
    {"helo", V_HELO}, {"ehlo", V_EHLO}, {"mail", V_MAIL}, {"rcpt", V_RCPT},
    {"data", V_DATA}, {"rset", V_RSET}, {"noop", V_NOOP}, {"vrfy", V_VRFY},
    {"quit", V_QUIT}, {"help", V_HELP}, {"auth", V_AUTH}, {"starttls", V_STARTTLS},
  };
  const char *sp = memchr(line, ' ', len);
  size_t vlen = sp ? (size_t)(sp - line) : len;
  size_t a = vlen;
  while (a < len && line[a] == ' ') ++a;
  *arg = a;
  if (memchr(line, 0, vlen)) return V_UNKNOWN;
  for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; ++i)
    if (ieq(line, vlen, verbs[i].name)) return verbs[i].v;
  return V_UNKNOWN;
}

int smtp_addrparse(const char *arg, size_t len, sb *addr, size_t *rest)
{
  const char *lt = memchr(arg, '<', len);
  char term = '>';
  size_t i;
  int esc = 0, quoted = 0;
  if (memchr(arg, 0, len)) return 0;
  if (lt) i = (size_t)(lt - arg) + 1;
  else {
    const char *colon = memchr(arg, ':', len);
    if (!colon) return 0;
    term = ' ';
    i = (size_t)(colon - arg) + 1;
    while (i < len && arg[i] == ' ') ++i;
    if (i == len) return 0;
  }
  if (i < len && arg[i] == '@') {       /* source route: @a,@b:user@c */
    while (i < len && arg[i] != ':') ++i;
    if (i < len) ++i;
  }
  addr->len = 0;
  if (!sb_ready(addr, 0)) return -1;
  addr->s[0] = 0;
  for (; i < len; ++i) {
    char c = arg[i];
    if (esc) { esc = 0; if (!sb_catc(addr, c)) return -1; continue; }
    if (!quoted && c == term) { ++i; break; }
    if (c == '\\') esc = 1;
    else if (c == '"') quoted = !quoted;
    else if (!sb_catc(addr, c)) return -1;
    if (addr->len > SMTP_ADDRMAX) return 0;
  }
  if (addr->len > SMTP_ADDRMAX) return 0;
  for (size_t k = 0; k < addr->len; ++k) {
    unsigned char c = (unsigned char)addr->s[k];
    if (c < 0x20 || c == 0x7f) return 0;
  }
  *rest = i;
  return 1;
}

int smtp_param(const char *p, size_t len, const char *name, const char **val, size_t *vlen)
{
  size_t n = strlen(name), i = 0;
  while (i < len) {
    size_t s, e;
    while (i < len && p[i] == ' ') ++i;
    s = i;
    while (i < len && p[i] != ' ') ++i;
    e = i;
    if (e - s > n && p[s + n] == '=' && ieq(p + s, n, name)) {
      *val = p + s + n + 1;
      *vlen = e - s - n - 1;
      return 1;
    }
  }
  return 0;
}

int smtp_keyword(const char *p, size_t len, const char *name)
{
  size_t n = strlen(name), i = 0;
  while (i < len) {
    size_t s;
    while (i < len && p[i] == ' ') ++i;
    s = i;
    while (i < len && p[i] != ' ') ++i;
    if (i - s == n && ieq(p + s, n, name)) return 1;
  }
  return 0;
}

int smtp_has8bit(const char *p, size_t len)
{
  for (size_t i = 0; i < len; ++i)
    if ((unsigned char)p[i] >= 0x80) return 1;
  return 0;
}

int smtp_utf8_ok(const char *p, size_t len)
{
  const unsigned char *u = (const unsigned char *)p;
  size_t i = 0;
  while (i < len) {
    unsigned c = u[i], need, min;
    uint32_t cp;
    if (c < 0x80) { ++i; continue; }
    if (c >= 0xc2 && c <= 0xdf) { need = 1; cp = c & 0x1f; min = 0x80; }
    else if (c >= 0xe0 && c <= 0xef) { need = 2; cp = c & 0x0f; min = 0x800; }
    else if (c >= 0xf0 && c <= 0xf4) { need = 3; cp = c & 0x07; min = 0x10000; }
    else return 0;   /* continuation byte first, overlong 0xc0/0xc1, or beyond U+10FFFF */
    if (len - i <= need) return 0;
    for (unsigned k = 1; k <= need; ++k) {
      if ((u[i + k] & 0xc0) != 0x80) return 0;
      cp = cp << 6 | (u[i + k] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
    i += need + 1;
  }
  return 1;
}

int smtp_size_ok(const char *p, size_t len, uint64_t databytes)
{
  const char *v;
  size_t n, i;
  uint64_t size = 0;
  if (!databytes || !smtp_param(p, len, "SIZE", &v, &n)) return 1;
  for (i = 0; i < n && v[i] >= '0' && v[i] <= '9'; ++i) {
    unsigned d = (unsigned)(v[i] - '0');
    if (size > (UINT64_MAX - d) / 10) return 0;
    size = size * 10 + d;
  }
  return size <= databytes;
}

static size_t lastat(const char *addr, size_t len)
{
  size_t j = len;
  while (j > 0) if (addr[--j] == '@') return j;
  return len;
}

int smtp_relayprobe(const char *addr, size_t len)
{
  size_t j = lastat(addr, len);
  while (j-- > 0)
    if (addr[j] == '@' || addr[j] == '%' || addr[j] == '!') return 1;
  return 0;
}

int smtp_sanity(const char *addr, size_t len)
{
  size_t at = lastat(addr, len);
  if (at == len) return SANE_NOAT;
  if (at == 0 || at + 1 == len) return SANE_NOPART;
  if (!memchr(addr + at + 1, '.', len - at - 1)) return SANE_NODOT;
  return SANE_OK;
}

int smtp_addrliteral(const char *addr, size_t len, size_t *at, char *ip, size_t ipsize)
{
  size_t a = lastat(addr, len), s, e;
  if (a == len || a + 3 > len || addr[a + 1] != '[' || addr[len - 1] != ']') return 0;
  s = a + 2;
  e = len - 1;
  if (e - s >= 5 && !strncasecmp(addr + s, "IPv6:", 5)) s += 5;
  if (e - s + 1 > ipsize) return 0;
  memcpy(ip, addr + s, e - s);
  ip[e - s] = 0;
  *at = a;
  return 1;
}

int smtp_isbounce(const char *addr, size_t len)
{
  return len == 0 || (len == 4 && !memcmp(addr, "#@[]", 4));
}

static const char *const replies[SR_COUNT] = {
  [SR_GREET] = "220 %m ESMTP%g%c",
  [SR_GREET550] = "554 %m %a",
  [SR_GREET421] = "421 %m %a",
  [SR_HELO] = "250 %m%g",
  [SR_EHLO] = "250-%m%g",
  [SR_EHLO_PIPELINING] = "250-PIPELINING",
  [SR_EHLO_SIZE] = "250-SIZE %a",
  [SR_EHLO_8BITMIME] = "250 8BITMIME",
  [SR_QUIT] = "221 %m Goodbye.",
  [SR_OK] = "250 ok",
  [SR_FLUSHED] = "250 flushed",
  [SR_VRFY] = "252 send some mail, i'll try my best",
  [SR_HELP] = ("214-qmail home page: http://pobox.com/~djb/qmail.html\r\n"
              "214 qmail-ldap patch home page: http://www.nrg4u.com"),
  [SR_UNIMPL] = "502 unimplemented (#5.5.1)",
  [SR_BADSEQ] = "503 bad sequence of commands (#5.5.1)",
  [SR_WANTMAIL] = "503 MAIL first (#5.5.1)",
  [SR_WANTRCPT] = "503 RCPT first (#5.5.1)",
  [SR_SYNTAX] = "555 syntax error (#5.5.4)",
  [SR_CMDLONG] = "500 command line too long (#5.5.2)",
  [SR_AUTHNEEDED] = "530 authentication needed",
  [SR_SIZE] = "552 sorry, that message size exceeds my databytes limit (#5.3.4)",
  [SR_BMF] = "553 sorry, your mail was administratively denied. (#5.7.1)",
  [SR_BMFUNKNOWN] = "553 sorry, your mail from a host [%i] without valid reverse DNS was administratively denied (#5.7.1)",
  [SR_NOBOUNCE] = "554 RFC2821 bounces are administratively denied",
  [SR_SANE_NOAT] = "554 mailfrom without @ is administratively denied",
  [SR_SANE_NOPART] = "554 mailfrom without user or domain part is administratively denied",
  [SR_SANE_NODOT] = "554 mailfrom without . in domain part is administratively denied",
  [SR_RBL] = "553 sorry, your mailserver [%i] is rejected by %a",
  [SR_DNSSOFT] = "421 DNS temporary failure at return MX check, try again later (#4.3.0)",
  [SR_NOMX] = "554 refused mailfrom because return MX does not exist",
  [SR_LOCALSENDER] = "554 refused mailfrom because valid local sender address required",
  [SR_VERIFYFAIL] = "554 %a",
  [SR_VERIFYSOFT] = "451 temporary ldap lookup failure, try again later",
  [SR_RELAYPROBE] = "553 sorry, we don't relay for [%i] (#5.7.1)",
  [SR_BADRCPT] = "553 sorry, mail to that recipient is not accepted (#5.7.1)",
  [SR_NOGATEWAY] = "553 sorry, relaying denied from your location [%i] (#5.7.1)",
  [SR_MAXRCPT] = "553 sorry, too many recipients (#5.7.1)",
  [SR_BADBOUNCE] = "550 sorry, I don't accept bounce messages with more than one recipient. Go read RFC2821. (#5.7.1)",
  [SR_GOAHEAD] = "354 go ahead punk, make my day",
  [SR_QUEUED] = "250 ok %a by %m",
  [SR_QQT] = "451 qqt failure (#4.3.0)",
  [SR_QQTEMP] = "451 %a",
  [SR_QQPERM] = "554 %a",
  [SR_HOPS] = "554 too many hops, this message is looping (#5.4.6)",
  [SR_EXEC] = "552 we don't accept email with this MIME content (#5.3.4)",
  [SR_LINELONG] = "500 Text line too long.",
  [SR_BARELF] = "451 See http://pobox.com/~djb/docs/smtplf.html.",
  [SR_TIMEOUT] = "451 timeout (#4.4.2)",
  [SR_NOMEM] = "421 out of memory (#4.3.0)",
  [SR_CONTROL] = "421 unable to read controls (#4.3.0)",
  [SR_IPME] = "421 unable to figure out my IP addresses (#4.3.0)",
  [SR_SVCUNAVAIL] = "421 Service temporarily not available (#4.3.2)",
  [SR_EHLO_STARTTLS] = "250-STARTTLS",
  [SR_EHLO_AUTH] = "250-AUTH LOGIN PLAIN",
  [SR_EHLO_SMTPUTF8] = "250-SMTPUTF8",
  [SR_TLSGO] = "220 ready for tls",
  [SR_TLSTEMP] = "454 TLS not available due to temporary reason (#4.3.0)",
  [SR_TLSACTIVE] = "503 TLS already active (#5.5.1)",
  [SR_TLSSYNTAX] = "501 Syntax error (no parameters allowed) (#5.5.4)",
  [SR_TLSNEEDED] = "530 Must issue a STARTTLS command first (#5.7.0)",
  [SR_AUTHOK] = "235 nice to meet you",
  [SR_AUTHFAIL] = "535 authentication failure (#5.7.8)",
  [SR_AUTHMALFORMED] = "501 malformed auth input (#5.5.4)",
  [SR_AUTHCANCEL] = "501 auth exchange cancelled (#5.0.0)",
  [SR_AUTHTEMP] = "454 temporary authentication failure (#4.3.0)",
  [SR_AUTHAGAIN] = "503 you're already authenticated (#5.5.0)",
  [SR_AUTHINMAIL] = "503 no auth during mail transaction (#5.5.0)",
  [SR_AUTHMECH] = "504 unrecognized authentication type (#5.5.4)",
  [SR_AUTHTLS] = "538 encryption required for requested authentication mechanism (#5.7.11)",
  [SR_AUTHCHAL] = "334 %a",
  [SR_AUTHTOOMANY] = "421 too many authentication failures, closing connection (#4.7.0)",
  [SR_VERIFY552] = "552 %a",
  [SR_VERIFYTEMP] = "451 %a",
  [SR_UTF8NEEDED] = "553 sorry, a non-ASCII address needs SMTPUTF8 (#5.6.7)",
  [SR_UTF8BAD] = "553 sorry, that address is not valid UTF-8 (#5.6.7)",
};

const char *smtp_template(enum smtp_reply r)
{
  return (unsigned)r < SR_COUNT ? replies[r] : replies[SR_NOMEM];
}

int smtp_code(enum smtp_reply r)
{
  const char *t = smtp_template(r);
  return (t[0] - '0') * 100 + (t[1] - '0') * 10 + (t[2] - '0');
}

/* A substituted value: never a line break or other control byte. */
static int catsafe(sb *out, const char *s, int lead)
{
  if (!s || !*s) return 1;
  if (lead && !sb_catc(out, ' ')) return 0;
  for (; *s; ++s) {
    unsigned char c = (unsigned char)*s;
    if (!sb_catc(out, c < 0x20 || c == 0x7f ? '?' : (char)c)) return 0;
  }
  return 1;
}

int smtp_reply(sb *out, enum smtp_reply r, const struct smtp_vars *v, const char *arg)
{
  const char *t = smtp_template(r);
  for (; *t; ++t) {
    int ok = 1;
    if (*t != '%' || !t[1]) { if (!sb_catc(out, *t)) return 0; continue; }
    switch (*++t) {
    case 'm': ok = catsafe(out, v ? v->me : 0, 0); break;
    case 'g': ok = catsafe(out, v ? v->greeting : 0, 1); break;
    case 'c': ok = catsafe(out, v ? v->cookie : 0, 1); break;
    case 'i': ok = catsafe(out, v && v->remoteip ? v->remoteip : "unknown", 0); break;
    case 'a': ok = catsafe(out, arg, 0); break;
    default: ok = sb_catc(out, '%') && sb_catc(out, *t); break;
    }
    if (!ok) return 0;
  }
  return sb_cats(out, "\r\n");
}
