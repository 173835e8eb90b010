#include "imapcmd.h"
#include "base64.h"
#include <string.h>
#include <strings.h>

enum {
  S_START,      /* nothing of this line yet */
  S_TAG,
  S_NAME,
  S_ARG,        /* a token must start here */
  S_ATOM,
  S_QUOTED,
  S_QESC,
  S_AFTER,      /* after a string, a literal or ")": SP, ")" or the end */
  S_LITHDR,     /* inside {...} */
  S_LITPLUS,    /* after {n+ */
  S_LITCR,      /* after }: CRLF must follow */
  S_LITLF,
  S_LITDATA,
  S_CR,         /* CR seen: LF must follow */
  S_SKIP,       /* after an error: up to the end of the line */
  S_DONE        /* an event was returned; the next byte starts afresh */
};

static void reset(struct imapcmd *c)
{
  if (c->data.s) memset(c->data.s, 0, c->data.cap);
  c->data.len = 0;
  c->state = S_START;
  c->err = IE_NONE;
  c->linelen = c->total = 0;
  c->litlen = c->litleft = 0;
  c->litsync = 1;
  c->litdigits = 0;
  c->depth = 0;
  c->tag[0] = 0;
  c->taglen = 0;
  c->name[0] = 0;
  c->namelen = 0;
  c->ntok = 0;
}

void imapcmd_init(struct imapcmd *c)
{
  memset(c, 0, sizeof *c);
  reset(c);
}

void imapcmd_free(struct imapcmd *c)
{
  imap_wipe(&c->data);
  sb_free(&c->data);
  reset(c);
}

void imapcmd_wipe(struct imapcmd *c)
{
  if (c->data.s) memset(c->data.s, 0, c->data.cap);
}

void imapcmd_abort(struct imapcmd *c) { c->state = S_DONE; }

/* ATOM-CHAR plus ']' (ASTRING-CHAR): printable ASCII but
 * ( ) { SP % * " \ */
static int atomch(unsigned char b)
{
  return b > 0x20 && b < 0x7f && !strchr("(){%*\"\\", b);
}

int imap_tagok(const char *t, size_t n)
{
  if (!n || n > IMAP_TAGMAX) return 0;
  for (size_t i = 0; i < n; ++i)
    if (!atomch((unsigned char)t[i]) || t[i] == '+') return 0;
  return 1;
}

static int bad(struct imapcmd *c, int e)
{
  if (!c->err) c->err = e;
  c->state = S_SKIP;
  return IC_MORE;
}

static int fatal(struct imapcmd *c, int e)
{
  c->err = e;
  c->state = S_DONE;
  return IC_FATAL;
}

static int finish(struct imapcmd *c)
{
  if (!c->err && c->depth) c->err = IE_SYNTAX;
  if (!c->err && !c->namelen) c->err = IE_NOCMD;
  if (c->err == IE_TAG) { c->taglen = 0; c->tag[0] = 0; }
  c->state = S_DONE;
  return c->err ? IC_BAD : IC_DONE;
}

static int tokstart(struct imapcmd *c, int type)
{
  if (c->ntok >= IMAP_TOKMAX) return 0;
  c->tok[c->ntok].type = type;
  c->tok[c->ntok].off = c->data.len;
  c->tok[c->ntok].len = 0;
  ++c->ntok;
  return 1;
}

static int tokadd(struct imapcmd *c, unsigned char b)
{
  if (!sb_catc(&c->data, (char)b)) return 0;
  c->tok[c->ntok - 1].len++;
  return 1;
}

static int tokend(struct imapcmd *c) { return sb_catc(&c->data, 0); }

/* a ")" closes a list: only inside one */
static int rparen(struct imapcmd *c)
{
  if (!c->depth) return bad(c, IE_SYNTAX);
  if (!tokstart(c, IT_RPAREN)) return bad(c, IE_TOOMANY);
  if (!tokend(c)) return fatal(c, IE_CMD);
  --c->depth;
  c->state = S_AFTER;
  return IC_MORE;
}

/* the LF after {n}: the literal's bytes follow */
static int litstart(struct imapcmd *c)
{
  c->linelen = 0;
  if (c->litlen > IMAP_LITMAX || c->total + c->litlen > IMAP_CMDMAX) {
    /* a client waiting for "+" sends nothing more of this command */
    if (c->litsync) { c->err = IE_LITBIG; return finish(c); }
    return fatal(c, IE_LITBIG);
  }
  if (!tokstart(c, IT_LITERAL)) {
    if (c->litsync) { c->err = IE_TOOMANY; return finish(c); }
    return fatal(c, IE_TOOMANY);
  }
  c->litleft = c->litlen;
  if (!c->litleft) {
    if (!tokend(c)) return fatal(c, IE_CMD);
    c->state = S_AFTER;
  } else {
    c->state = S_LITDATA;
  }
  return c->litsync ? IC_LITERAL : IC_MORE;
}

static int step(struct imapcmd *c, unsigned char b)
{
  if (c->state == S_DONE) reset(c);
  if (++c->total > IMAP_CMDMAX) return fatal(c, IE_CMD);
  if (c->state == S_LITDATA) {
    if (!b && !c->err) c->err = IE_NUL;
    if (!tokadd(c, b)) return fatal(c, IE_CMD);
    if (!--c->litleft) {
      if (!tokend(c)) return fatal(c, IE_CMD);
      c->state = S_AFTER;
    }
    return IC_MORE;
  }
  if (++c->linelen > IMAP_LINEMAX) return fatal(c, IE_LINE);
  if (b == '\n') {
    switch (c->state) {
    case S_START:                  /* an empty line */
      c->linelen = c->total = 0;
      return IC_MORE;
    case S_CR:
      if (!c->taglen && !c->err && !c->namelen) { c->linelen = c->total = 0; c->state = S_START; return IC_MORE; }
      return finish(c);
    case S_ATOM:
      if (!tokend(c)) return fatal(c, IE_CMD);
      return finish(c);
    case S_TAG: case S_NAME: case S_AFTER: case S_SKIP:
      return finish(c);
    case S_LITCR: case S_LITLF:
      return litstart(c);
    default:
      if (!c->err) c->err = IE_SYNTAX;   /* inside a string, a literal's {...}, after a SP */
      return finish(c);
    }
  }
  if (c->state == S_SKIP) return IC_MORE;
  if (!b) return bad(c, IE_NUL);
  if (b == '\r') {
    switch (c->state) {
    case S_START: c->state = S_CR; return IC_MORE;
    case S_TAG: case S_NAME: case S_AFTER: c->state = S_CR; return IC_MORE;
    case S_ATOM:
      if (!tokend(c)) return fatal(c, IE_CMD);
      c->state = S_CR;
      return IC_MORE;
    case S_LITCR: c->state = S_LITLF; return IC_MORE;
    default: return bad(c, IE_SYNTAX);
    }
  }
  switch (c->state) {
  case S_START:
  case S_TAG:
    if (b == ' ') {
      if (!c->taglen) return bad(c, IE_TAG);
      c->state = S_NAME;
      return IC_MORE;
    }
    if (!atomch(b) || b == '+' || c->taglen >= IMAP_TAGMAX) return bad(c, IE_TAG);
    c->tag[c->taglen++] = (char)b;
    c->tag[c->taglen] = 0;
    c->state = S_TAG;
    return IC_MORE;
  case S_NAME:
    if (b == ' ' && c->namelen) { c->state = S_ARG; return IC_MORE; }
    if (!atomch(b) || b == ']' || c->namelen >= IMAP_NAMEMAX) return bad(c, IE_SYNTAX);
    c->name[c->namelen++] = (char)b;
    c->name[c->namelen] = 0;
    return IC_MORE;
  case S_ARG:
    if (b == '"') {
      if (!tokstart(c, IT_QUOTED)) return bad(c, IE_TOOMANY);
      c->state = S_QUOTED;
      return IC_MORE;
    }
    if (b == '{') {
      c->litlen = 0;
      c->litdigits = 0;
      c->litsync = 1;
      c->state = S_LITHDR;
      return IC_MORE;
    }
    if (b == '(') {
      if (c->depth >= IMAP_DEPTHMAX) return bad(c, IE_TOOMANY);
      if (!tokstart(c, IT_LPAREN)) return bad(c, IE_TOOMANY);
      if (!tokend(c)) return fatal(c, IE_CMD);
      ++c->depth;
      return IC_MORE;
    }
    /* "()" is an empty list; ")" after a space is not */
    if (b == ')' && c->ntok && c->tok[c->ntok - 1].type == IT_LPAREN) return rparen(c);
    if (!atomch(b)) return bad(c, IE_SYNTAX);
    if (!tokstart(c, IT_ATOM)) return bad(c, IE_TOOMANY);
    if (!tokadd(c, b)) return fatal(c, IE_CMD);
    c->state = S_ATOM;
    return IC_MORE;
  case S_ATOM:
    if (atomch(b)) { if (!tokadd(c, b)) return fatal(c, IE_CMD); return IC_MORE; }
    if (!tokend(c)) return fatal(c, IE_CMD);
    if (b == ' ') { c->state = S_ARG; return IC_MORE; }
    if (b == ')') return rparen(c);
    return bad(c, IE_SYNTAX);
  case S_QUOTED:
    if (b == '"') {
      if (!tokend(c)) return fatal(c, IE_CMD);
      c->state = S_AFTER;
      return IC_MORE;
    }
    if (b == '\\') { c->state = S_QESC; return IC_MORE; }
    if (!tokadd(c, b)) return fatal(c, IE_CMD);
    return IC_MORE;
  case S_QESC:
    if (b != '"' && b != '\\') return bad(c, IE_SYNTAX);
    if (!tokadd(c, b)) return fatal(c, IE_CMD);
    c->state = S_QUOTED;
    return IC_MORE;
  case S_AFTER:
    if (b == ' ') { c->state = S_ARG; return IC_MORE; }
    if (b == ')') return rparen(c);
    return bad(c, IE_SYNTAX);
  case S_LITHDR:
    if (b >= '0' && b <= '9') {
      /* 20 digits fit 64 bits only below 2^64; the size check comes at the LF */
      if (++c->litdigits > 19) return bad(c, IE_LITBIG);
      c->litlen = c->litlen * 10 + (uint64_t)(b - '0');
      return IC_MORE;
    }
    if (!c->litdigits) return bad(c, IE_SYNTAX);
    if (b == '+') { c->litsync = 0; c->state = S_LITPLUS; return IC_MORE; }
    if (b == '}') { c->state = S_LITCR; return IC_MORE; }
    return bad(c, IE_SYNTAX);
  case S_LITPLUS:
    if (b == '}') { c->state = S_LITCR; return IC_MORE; }
    return bad(c, IE_SYNTAX);
  default:   /* S_LITCR, S_LITLF, S_CR: only CR LF may come */
    return bad(c, IE_SYNTAX);
  }
}

int imapcmd_feed(struct imapcmd *c, const void *buf, size_t n, size_t *used)
{
  const unsigned char *p = buf;
  if (!c->data.cap && !sb_ready(&c->data, IMAP_CMDMAX + IMAP_TOKMAX + 1)) {
    *used = 0;
    return fatal(c, IE_CMD);
  }
  for (size_t i = 0; i < n; ++i) {
    int r = step(c, p[i]);
    if (r != IC_MORE) { *used = i + 1; return r; }
  }
  *used = n;
  return IC_MORE;
}

const char *imapcmd_errtext(int err)
{
  switch (err) {
  case IE_TAG: return "Invalid or missing tag.";
  case IE_NOCMD: return "Missing command.";
  case IE_NUL: return "NUL byte in command.";
  case IE_LITBIG: return "Literal too big.";
  case IE_TOOMANY: return "Too many arguments.";
  case IE_LINE: return "Line too long.";
  case IE_CMD: return "Command too long.";
  default: return "Syntax error in command.";
  }
}

const char *imapcmd_tok(const struct imapcmd *c, size_t i, size_t *len)
{
  if (i >= c->ntok) { if (len) *len = 0; return ""; }
  if (len) *len = c->tok[i].len;
  return c->data.s + c->tok[i].off;
}

int imapcmd_isstring(const struct imapcmd *c, size_t i)
{
  if (i >= c->ntok) return 0;
  int t = c->tok[i].type;
  return t == IT_ATOM || t == IT_QUOTED || t == IT_LITERAL;
}

static const struct { const char *name; enum imap_verb v; } verbs[] = {
  {"CAPABILITY", IV_CAPABILITY}, {"NOOP", IV_NOOP}, {"LOGOUT", IV_LOGOUT}, {"STARTTLS", IV_STARTTLS},
  {"LOGIN", IV_LOGIN}, {"AUTHENTICATE", IV_AUTHENTICATE}, {"ID", IV_ID},
};

enum imap_verb imapcmd_verb(const struct imapcmd *c)
{
  for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; ++i)
    if (!strcasecmp(c->name, verbs[i].name)) return verbs[i].v;
  return IV_UNKNOWN;
}

int imapcmd_login(const struct imapcmd *c, const char **user, size_t *ulen, const char **pass, size_t *plen)
{
  if (c->ntok != 2 || !imapcmd_isstring(c, 0) || !imapcmd_isstring(c, 1)) return 0;
  *user = imapcmd_tok(c, 0, ulen);
  *pass = imapcmd_tok(c, 1, plen);
  return 1;
}

int imapcmd_authenticate(const struct imapcmd *c, const char **mech, size_t *mlen, const char **ir, size_t *irlen)
{
  *ir = 0;
  *irlen = 0;
  if (c->ntok < 1 || c->ntok > 2 || c->tok[0].type != IT_ATOM) return 0;
  *mech = imapcmd_tok(c, 0, mlen);
  if (c->ntok == 2) {
    if (c->tok[1].type != IT_ATOM) return 0;
    *ir = imapcmd_tok(c, 1, irlen);
  }
  return 1;
}

static int isnil(const struct imapcmd *c, size_t i)
{
  return i < c->ntok && c->tok[i].type == IT_ATOM && !strcasecmp(imapcmd_tok(c, i, 0), "NIL");
}

static int isquotedorlit(const struct imapcmd *c, size_t i)
{
  return i < c->ntok && (c->tok[i].type == IT_QUOTED || c->tok[i].type == IT_LITERAL);
}

int imapcmd_id(const struct imapcmd *c)
{
  if (c->ntok == 1) return isnil(c, 0);
  if (c->ntok < 2 || c->tok[0].type != IT_LPAREN || c->tok[c->ntok - 1].type != IT_RPAREN) return 0;
  size_t inner = c->ntok - 2;
  if (inner % 2 || inner / 2 > 30) return 0;
  for (size_t i = 1; i + 1 < c->ntok; i += 2) {
    if (!isquotedorlit(c, i) || c->tok[i].len > 30) return 0;
    if (!isnil(c, i + 1) && (!isquotedorlit(c, i + 1) || c->tok[i + 1].len > 1024)) return 0;
  }
  return 1;
}

int imap_saslline(const char *line, size_t *n)
{
  size_t k = *n;
  if (k && line[k - 1] == '\r') --k;
  if (memchr(line, 0, k) || memchr(line, '\r', k) || k + 2 > IMAP_LINEMAX) return 0;
  *n = k;
  return 1;
}

void imap_wipe(sb *b)
{
  if (b->s) memset(b->s, 0, b->cap);
  b->len = 0;
}

int imap_plain(const char *resp, size_t n, int isir, sb *user, sb *pass)
{
  sb d = SB_INIT;
  int rc;
  user->len = pass->len = 0;
  if (!n || (isir && n == 1 && resp[0] == '=')) return IP_EMPTY;
  if (!isir && n == 1 && resp[0] == '*') return IP_CANCEL;
  int k = b64_decode(&d, resp, n);
  if (k < 0) { rc = IP_NOMEM; goto out; }
  if (!k) { rc = IP_BASE64; goto out; }
  const char *z1 = memchr(d.s, 0, d.len);
  const char *z2 = z1 ? memchr(z1 + 1, 0, d.len - (size_t)(z1 + 1 - d.s)) : 0;
  if (!z2 || memchr(z2 + 1, 0, d.len - (size_t)(z2 + 1 - d.s))) { rc = IP_FORM; goto out; }
  size_t zl = (size_t)(z1 - d.s), cl = (size_t)(z2 - z1 - 1), pl = d.len - (size_t)(z2 + 1 - d.s);
  /* no proxy logins: an authzid must name the login itself */
  if (zl && (zl != cl || memcmp(d.s, z1 + 1, cl))) { rc = IP_AUTHZID; goto out; }
  if (!sb_copyb(user, z1 + 1, cl) || !sb_copyb(pass, z2 + 1, pl)) { rc = IP_NOMEM; goto out; }
  rc = IP_OK;
out:
  imap_wipe(&d);
  sb_free(&d);
  if (rc != IP_OK) { imap_wipe(user); imap_wipe(pass); }
  return rc;
}

static int clean(const char *s, size_t n)
{
  return !memchr(s, 0, n) && !memchr(s, '\n', n) && !memchr(s, '\r', n);
}

int imap_credok(const char *user, size_t ulen, const char *pass, size_t plen)
{
  return ulen && ulen <= IMAP_USERMAX && plen && plen <= IMAP_PASSMAX && clean(user, ulen) && clean(pass, plen);
}

int imap_fd3(sb *out, const char *user, size_t ulen, const char *pass, size_t plen)
{
  if (!imap_credok(user, ulen, pass, plen)) return 0;
  if (!sb_cats(out, "imap\nlogin\n") || !sb_catb(out, user, ulen) || !sb_catc(out, '\n') ||
      !sb_catb(out, pass, plen) || !sb_catc(out, '\n'))
    return -1;
  return 1;
}

int imap_recmake(sb *out, char mode, unsigned failed, const char *tag, const char *user, size_t ulen,
                 const char *pass, size_t plen)
{
  out->len = 0;
  if ((mode != 'P' && mode != 'T') || failed >= IMAP_FAILMAX || !imap_tagok(tag, strlen(tag)) ||
      !imap_credok(user, ulen, pass, plen))
    return 0;
  return sb_catc(out, mode) && sb_catc(out, (char)('0' + failed)) && sb_cats(out, tag) && sb_cat0(out) && sb_catb(out, user, ulen) && sb_cat0(out) &&
         sb_catb(out, pass, plen) && sb_cat0(out);
}

int imap_recparse(const char *buf, size_t n, char *mode, unsigned *failed, const char **tag, const char **user,
                  size_t *ulen, const char **pass, size_t *plen)
{
  if (n < 2 || n > IMAP_RECMAX || (buf[0] != 'P' && buf[0] != 'T') || buf[n - 1]) return 0;
  if (buf[1] < '0' || buf[1] >= '0' + IMAP_FAILMAX) return 0;
  const char *t = buf + 2, *end = buf + n;
  const char *z1 = memchr(t, 0, (size_t)(end - t));
  if (!z1 || z1 + 1 >= end) return 0;
  const char *u = z1 + 1;
  const char *z2 = memchr(u, 0, (size_t)(end - u));
  if (!z2 || z2 + 1 >= end) return 0;
  const char *p = z2 + 1;
  const char *z3 = memchr(p, 0, (size_t)(end - p));
  if (!z3 || z3 + 1 != end) return 0;
  if (!imap_tagok(t, (size_t)(z1 - t)) || !imap_credok(u, (size_t)(z2 - u), p, (size_t)(z3 - p))) return 0;
  *mode = buf[0];
  *failed = (unsigned)(buf[1] - '0');
  *tag = t;
  *user = u;
  *ulen = (size_t)(z2 - u);
  *pass = p;
  *plen = (size_t)(z3 - p);
  return 1;
}

int imap_capability(sb *out, int starttls, int logindisabled)
{
  return sb_copys(out, "IMAP4rev1 SASL-IR ID") && (!starttls || sb_cats(out, " STARTTLS")) &&
         sb_cats(out, logindisabled ? " LOGINDISABLED" : " AUTH=PLAIN");
}

int imap_loginstate(const char *failed, const char *tag, unsigned *n)
{
  uint64_t v;
  if (!failed) return 0;
  if (!scan_u64s(failed, &v) || v < 1 || v > IMAP_FAILMAX || !tag || !imap_tagok(tag, strlen(tag))) return -1;
  *n = (unsigned)v;
  return 1;
}

static const struct { int code; int temp; const char *text; } failtexts[] = {
  {3, 0, "NO [AUTHENTICATIONFAILED] Authentication failed."},
  {1, 1, "NO [UNAVAILABLE] Error in the server configuration, try again later."},
  {2, 1, "NO [UNAVAILABLE] Unable to contact the authentication server, try again later."},
  {4, 0, "NO [CONTACTADMIN] Account disabled."},
  {5, 1, "NO [UNAVAILABLE] The mailhost is unreachable, try again later."},
  {6, 0, "NO [CONTACTADMIN] The mailbox is corrupted."},
  {61, 1, "NO [UNAVAILABLE] The mailbox could not be created, try again later."},
  {62, 0, "NO [CONTACTADMIN] The mailbox does not exist."},
  {7, 1, "NO [UNAVAILABLE] Unable to start the IMAP server, try again later."},
  {8, 1, "NO [UNAVAILABLE] Out of memory, try again later."},
  {25, 0, "NO [CONTACTADMIN] User record incorrect."},
  {111, 1, "NO [UNAVAILABLE] Temporary failure, try again later."},
};

static size_t failindex(const char *code)
{
  uint64_t v;
  if (code && scan_u64s(code, &v))
    for (size_t i = 0; i < sizeof failtexts / sizeof failtexts[0]; ++i)
      if ((uint64_t)failtexts[i].code == v) return i;
  return 0;
}

const char *imap_failtext(const char *code) { return failtexts[failindex(code)].text; }
int imap_failtemp(const char *code) { return failtexts[failindex(code)].temp; }

int imap_isloopback(const char *ip)
{
  return ip && (!strncmp(ip, "127.", 4) || !strcmp(ip, "::1") || !strncmp(ip, "::ffff:127.", 11));
}

int imap_cleartextok(const char *cleartext, const char *loopbackplain, const char *remoteip)
{
  if (cleartext) return 1;
  return imap_isloopback(remoteip) && !(loopbackplain && !strcmp(loopbackplain, "0"));
}

int imap_logsafe(sb *out, const char *s, size_t n, size_t max)
{
  static const char hex[] = "0123456789abcdef";
  size_t k = n > max ? max : n;
  for (size_t i = 0; i < k; ++i) {
    unsigned char b = (unsigned char)s[i];
    int ok;
    if (b == '\\') ok = sb_cats(out, "\\\\");
    else if (b >= 0x20 && b < 0x7f) ok = sb_catc(out, (char)b);
    else {
      char x[4] = {'\\', 'x', hex[b >> 4], hex[b & 15]};
      ok = sb_catb(out, x, 4);
    }
    if (!ok) return 0;
  }
  return k == n || sb_cats(out, "...");
}
