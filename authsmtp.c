#include "authsmtp.h"
#include "base64.h"
#include "pwcheck.h"
#include <string.h>

void as_wipe(struct as_cred *c) { pw_wipe(c, sizeof *c); }

/* strict base64 of one token into tmp (sized once, so no realloc leaves
 * a copy of a secret behind); 1 ok, 0 malformed, -1 nomem */
static int decode(sb *tmp, const char *s, size_t n)
{
  tmp->len = 0;
  return b64_decode(tmp, s, n);
}

static int setname(struct as_cred *c, const char *p, size_t n)
{
  if (n > AS_MAXLOGIN) return 0;
  memcpy(c->login, p, n);
  c->login[n] = 0;
  c->loginlen = n;
  return 1;
}

static int setpass(struct as_cred *c, const char *p, size_t n)
{
  if (n > AS_MAXPASS) return 0;
  memcpy(c->pass, p, n);
  c->pass[n] = 0;
  c->passlen = n;
  return 1;
}

static int parse(const char *buf, size_t n, struct as_cred *c, sb *tmp, const char **why)
{
  const char *tok[4];
  size_t len[4], ntok = 0;
  int r;

  if (n > AS_MAXIN) { *why = "input longer than 2048 bytes"; return AS_MALFORMED; }
  if (!n) { *why = "no input"; return AS_MALFORMED; }
  if (buf[n - 1] != 0) { *why = "input does not end with NUL"; return AS_MALFORMED; }
  for (size_t i = 0; i < n;) {
    const char *z = memchr(buf + i, 0, n - i);   /* found: buf ends with NUL */
    if (ntok == 4) { *why = "too many tokens"; return AS_MALFORMED; }
    tok[ntok] = buf + i;
    len[ntok] = (size_t)(z - (buf + i));
    ++ntok;
    i += len[ntok - 1] + 1;
  }
  if (len[0] == 5 && !memcmp(tok[0], "login", 5)) {
    c->mech = "login";
    if (ntok != 3) { *why = "LOGIN needs exactly 3 tokens"; return AS_MALFORMED; }
    if ((r = decode(tmp, tok[1], len[1])) <= 0) goto bad64;
    if (!tmp->len) { *why = "empty login"; return AS_MALFORMED; }
    if (memchr(tmp->s, 0, tmp->len)) { *why = "NUL in login"; return AS_MALFORMED; }
    if (!setname(c, tmp->s, tmp->len)) { *why = "login longer than 256 bytes"; return AS_MALFORMED; }
    if ((r = decode(tmp, tok[2], len[2])) <= 0) goto bad64;
    if (memchr(tmp->s, 0, tmp->len)) { *why = "NUL in password"; return AS_MALFORMED; }
    if (!setpass(c, tmp->s, tmp->len)) { *why = "password longer than 512 bytes"; return AS_MALFORMED; }
  } else if (len[0] == 5 && !memcmp(tok[0], "plain", 5)) {
    c->mech = "plain";
    if (ntok != 2) { *why = "PLAIN needs exactly 2 tokens"; return AS_MALFORMED; }
    if ((r = decode(tmp, tok[1], len[1])) <= 0) goto bad64;
    /* authzid \0 authcid \0 password: exactly two NULs */
    const char *s = tmp->s, *e = tmp->s + tmp->len;
    const char *z1 = memchr(s, 0, tmp->len);
    const char *z2 = z1 ? memchr(z1 + 1, 0, (size_t)(e - z1 - 1)) : NULL;
    if (!z2 || memchr(z2 + 1, 0, (size_t)(e - z2 - 1))) { *why = "PLAIN needs exactly two NULs"; return AS_MALFORMED; }
    size_t zl = (size_t)(z1 - s), al = (size_t)(z2 - z1 - 1);
    if (!al) { *why = "empty login"; return AS_MALFORMED; }
    if (zl > AS_MAXLOGIN) { *why = "authzid longer than 256 bytes"; return AS_MALFORMED; }
    if (!setname(c, z1 + 1, al)) { *why = "login longer than 256 bytes"; return AS_MALFORMED; }
    if (!setpass(c, z2 + 1, (size_t)(e - z2 - 1))) { *why = "password longer than 512 bytes"; return AS_MALFORMED; }
    /* no proxy authorization: an authzid must name the authcid itself */
    if (zl && (zl != al || memcmp(s, z1 + 1, al))) { *why = "authzid differs from authcid"; return AS_DENY; }
  } else {
    *why = "unknown mechanism";
    return AS_MALFORMED;
  }
  if (!c->passlen) { *why = "empty password"; return AS_DENY; }
  *why = "ok";
  return AS_OK;
bad64:
  if (r < 0) { *why = "out of memory"; return AS_TEMP; }
  *why = "bad base64";
  return AS_MALFORMED;
}

int as_parse(const char *buf, size_t n, struct as_cred *c, const char **why)
{
  sb tmp = SB_INIT;
  int rc;
  memset(c, 0, sizeof *c);
  if (!sb_ready(&tmp, AS_MAXIN + 4)) { *why = "out of memory"; return AS_TEMP; }
  rc = parse(buf, n, c, &tmp, why);
  pw_wipe(tmp.s, tmp.cap);
  sb_free(&tmp);
  /* a refused or malformed attempt keeps only the login (for the log) */
  if (rc != AS_OK) pw_wipe(c->pass, sizeof c->pass), c->passlen = 0;
  if (rc == AS_MALFORMED) pw_wipe(c->login, sizeof c->login), c->loginlen = 0;
  return rc;
}
