#include "pop3cmd.h"
#include "base64.h"
#include <string.h>
#include <strings.h>

static const struct { const char *name; enum pop3_verb v; } verbs[] = {
  {"USER", P3_USER}, {"PASS", P3_PASS}, {"APOP", P3_APOP}, {"QUIT", P3_QUIT}, {"NOOP", P3_NOOP},
  {"CAPA", P3_CAPA}, {"AUTH", P3_AUTH}, {"STLS", P3_STLS}, {"STAT", P3_STAT}, {"LIST", P3_LIST},
  {"RETR", P3_RETR}, {"DELE", P3_DELE}, {"RSET", P3_RSET}, {"UIDL", P3_UIDL}, {"TOP", P3_TOP},
  {"LAST", P3_LAST},
};

int pop3_cmdline(const char *line, size_t len, struct pop3_cmd *c)
{
  c->verb = P3_UNKNOWN;
  c->arg = "";
  c->arglen = 0;
  if (len && line[len - 1] == '\r') --len;
  if (memchr(line, 0, len)) return P3L_NUL;
  if (!len) return P3L_EMPTY;
  const char *sp = memchr(line, ' ', len);
  size_t vlen = sp ? (size_t)(sp - line) : len;
  for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; ++i)
    if (strlen(verbs[i].name) == vlen && !strncasecmp(line, verbs[i].name, vlen)) c->verb = verbs[i].v;
  /* the AUTH line may carry a whole initial response (RFC 5034 4) */
  if (len + 2 > (c->verb == P3_AUTH ? POP3_SASLMAX : POP3_LINEMAX)) {
    c->verb = P3_UNKNOWN;
    return P3L_TOOLONG;
  }
  if (sp) {
    c->arg = sp + 1;
    c->arglen = len - vlen - 1;
  }
  return P3L_OK;
}

int pop3_saslline(const char *line, size_t *len)
{
  size_t n = *len;
  if (n && line[n - 1] == '\r') --n;
  *len = n;
  if (memchr(line, 0, n)) return P3L_NUL;
  if (n + 2 > POP3_SASLMAX) return P3L_TOOLONG;
  return P3L_OK;
}

static int number(const char *p, size_t n, uint64_t *v)
{
  return n > 0 && scan_u64(p, n, v);
}

int pop3_msgnum(const char *arg, size_t len, uint64_t *n)
{
  return number(arg, len, n) && *n > 0;
}

int pop3_toparg(const char *arg, size_t len, uint64_t *msg, uint64_t *lines)
{
  const char *sp = memchr(arg, ' ', len);
  if (!sp) return 0;
  size_t a = (size_t)(sp - arg), b = a;
  while (b < len && arg[b] == ' ') ++b;
  return pop3_msgnum(arg, a, msg) && number(arg + b, len - b, lines);
}

int pop3_authargs(const char *arg, size_t len, const char **resp, size_t *resplen)
{
  *resp = "";
  *resplen = 0;
  if (!len) return P3A_LIST;
  const char *sp = memchr(arg, ' ', len);
  size_t m = sp ? (size_t)(sp - arg) : len;
  if (!m) return P3A_SYNTAX;
  if (m != 5 || strncasecmp(arg, "PLAIN", 5)) return P3A_UNKNOWN;
  if (!sp) return P3A_PLAIN;
  *resp = sp + 1;
  *resplen = len - m - 1;
  if (!*resplen || memchr(*resp, ' ', *resplen)) return P3A_SYNTAX;
  return P3A_PLAIN_RESP;
}

int pop3_logsafe(sb *out, const char *s, size_t n, size_t max)
{
  out->len = 0;
  for (size_t i = 0; i < n && i < max; ++i) {
    unsigned char ch = (unsigned char)s[i];
    if (!sb_catc(out, ch >= 0x20 && ch < 0x7f ? (char)ch : '?')) return 0;
  }
  if (n > max && !sb_cats(out, "...")) return 0;
  return sb_catb(out, "", 0);
}

void pop3_wipe(sb *b)
{
  if (b->s && b->cap) explicit_bzero(b->s, b->cap);
  b->len = 0;
}

int pop3_plain(const char *resp, size_t len, sb *user, sb *pass)
{
  sb d = SB_INIT;
  int r;
  pop3_wipe(user);
  pop3_wipe(pass);
  if (len == 1 && resp[0] == '*') return P3P_CANCEL;
  if (len == 1 && resp[0] == '=') return P3P_EMPTY;
  if (len > POP3_SASLMAX) return P3P_TOOLONG;
  /* room for all of it at once: no realloc leaves a copy of the secret */
  if (!sb_ready(&d, len / 4 * 3 + 1)) return P3P_NOMEM;
  r = b64_decode(&d, resp, len);
  if (r <= 0) { pop3_wipe(&d); sb_free(&d); return r < 0 ? P3P_NOMEM : P3P_BASE64; }
  const char *z = d.s, *end = d.s + d.len;
  const char *n1 = memchr(z, 0, d.len);
  const char *n2 = n1 ? memchr(n1 + 1, 0, (size_t)(end - n1 - 1)) : 0;
  if (!n2 || memchr(n2 + 1, 0, (size_t)(end - n2 - 1))) r = P3P_FORM;
  else {
    size_t zl = (size_t)(n1 - z), ul = (size_t)(n2 - n1 - 1), pl = (size_t)(end - n2 - 1);
    if (ul > POP3_USERMAX || pl > POP3_PASSMAX || zl > POP3_USERMAX) r = P3P_TOOLONG;
    else if (!ul || !pl) r = P3P_EMPTY;
    else if (zl && (zl != ul || memcmp(z, n1 + 1, ul))) r = P3P_AUTHZID;
    else if (!sb_ready(user, ul + 1) || !sb_ready(pass, pl + 1) || !sb_copyb(user, n1 + 1, ul) ||
             !sb_copyb(pass, n2 + 1, pl))
      r = P3P_NOMEM;
    else r = P3P_OK;
  }
  pop3_wipe(&d);
  sb_free(&d);
  if (r != P3P_OK) { pop3_wipe(user); pop3_wipe(pass); }
  return r;
}

int pop3_credrec(const char *buf, size_t len, char *mode)
{
  if (len < 1 || (buf[0] != 'P' && buf[0] != 'T')) return 0;
  *mode = buf[0];
  static const size_t max[3] = {POP3_USERMAX, POP3_PASSMAX, POP3_STAMPMAX};
  size_t i = 1;
  for (int f = 0; f < 3; ++f) {
    const char *z = i < len ? memchr(buf + i, 0, len - i) : 0;
    if (!z) return 0;
    size_t n = (size_t)(z - (buf + i));
    if (n > max[f] || (f == 0 && !n)) return 0;
    i += n + 1;
  }
  return i == len;
}

int pop3_credmake(sb *out, char mode, const char *user, size_t ulen, const char *pass, size_t plen,
                  const char *stamp)
{
  size_t sl = strlen(stamp);
  pop3_wipe(out);
  if (!ulen || ulen > POP3_USERMAX || plen > POP3_PASSMAX || sl > POP3_STAMPMAX) return 0;
  if (memchr(user, 0, ulen) || memchr(pass, 0, plen)) return 0;
  if (!sb_ready(out, POP3_CREDMAX)) return 0;    /* no realloc with the secret inside */
  return sb_catc(out, mode) && sb_catb(out, user, ulen) && sb_cat0(out) && sb_catb(out, pass, plen) &&
         sb_cat0(out) && sb_catb(out, stamp, sl) && sb_cat0(out);
}

const char *pop3_chainerr(int exited, int code)
{
  if (!exited) return "-ERR [SYS/TEMP] aack, child crashed";
  switch (code) {
    case 0: return 0;
    case 1: return "-ERR [SYS/PERM] error in server configuration";
    case 2: return "-ERR [SYS/TEMP] unable to contact authorization server";
    case 3: return "-ERR [AUTH] authorization failed";
    case 4: return "-ERR [SYS/PERM] account disabled";
    case 5: return "-ERR [SYS/TEMP] mailhost is unreachable";
    case 6: return "-ERR [SYS/PERM] mailbox is corrupted";
    case 61: return "-ERR [SYS/TEMP] mailbox could not be created";
    case 62: return "-ERR [SYS/PERM] the users mailbox does not exist";
    case 7: return "-ERR [SYS/TEMP] unable to start subprogram";
    case 8: return "-ERR [SYS/TEMP] out of memory";
    case 25: return "-ERR [SYS/PERM] user record incorrect";
    default: return "-ERR [SYS/TEMP] temporary error";
  }
}
