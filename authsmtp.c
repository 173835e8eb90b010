#include "authsmtp.h"
#include "base64.h"
#include "pwcheck.h"
#include "qlpolicy.h"
#include "qmail-ldap.h"
#include <string.h>
#include <strings.h>

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

int as_bindresult(int qldap_rc)
{
  if (qldap_rc == QLDAP_OK) return PW_MATCH;
  if (qldap_rc == QLDAP_PERM) return PW_NOMATCH;   /* QLW_BADPASS: the server said no */
  return PW_ERROR;
}

/* a value that may follow K: at most AS_MAXLOGIN bytes, no NUL, no
 * control characters (it ends up in Received lines and logs) */
static int sendable(const char *v, size_t n)
{
  if (!n || n > AS_MAXLOGIN) return 0;
  for (size_t i = 0; i < n; ++i) {
    unsigned char ch = (unsigned char)v[i];
    if (ch < 0x20 || ch == 0x7f) return 0;
  }
  return 1;
}

int as_decide(const struct qldap_entry *e, const char *login, int pwres, sb *user, const char **why)
{
  const char *v;
  uint64_t id;
  int r;

  if (pwres == PW_ERROR) { *why = pw_result_text(pwres); return AS_TEMP; }
  if (pwres != PW_MATCH) { *why = pw_result_text(pwres); return AS_DENY; }
  r = qldap_get1(e, LDAP_ISACTIVE, &v);
  if (r < 0) { *why = "illegal accountStatus"; return AS_DENY; }
  if (r > 0) {
    switch (qlp_status_of(v)) {
    case 1: *why = "accountStatus noaccess"; return AS_DENY;
    case 2: *why = "accountStatus disabled"; return AS_DENY;
    case 3: *why = "accountStatus deleted"; return AS_DENY;
    default: break;   /* active, absent and unknown values may log in */
    }
  }
  /* uid 0 never: such an entry is root's and may not log in */
  r = qldap_getu64(e, LDAP_QMAILUID, &id);
  if (r < 0) { *why = "illegal qmailUID"; return AS_DENY; }
  if (r > 0 && id == 0) { *why = "qmailUID 0"; return AS_DENY; }
  /* the uid as the directory spells it */
  const struct qldap_attr *a = qldap_attr(e, LDAP_UID);
  const char *pick = NULL;
  size_t pl = 0, ll = strlen(login);
  for (size_t i = 0; a && i < a->nvals; ++i)
    if (a->lens[i] == ll && !strncasecmp(a->vals[i], login, ll) && strlen(a->vals[i]) == ll) {
      pick = a->vals[i];
      pl = a->lens[i];
      break;
    }
  if (!pick && a && a->nvals == 1) { pick = a->vals[0]; pl = a->lens[0]; }
  if (!pick) { pick = login; pl = ll; }
  if (!sendable(pick, pl)) { *why = "uid value cannot be sent back"; return AS_DENY; }
  if (!sb_copyb(user, pick, pl)) { *why = "out of memory"; return AS_TEMP; }
  *why = "ok";
  return AS_OK;
}

int as_logsafe(sb *out, const char *s, size_t n, size_t max)
{
  static const char hex[] = "0123456789abcdef";
  out->len = 0;
  for (size_t i = 0; i < n && i < max; ++i) {
    unsigned char ch = (unsigned char)s[i];
    int ok;
    if (ch == '\\') ok = sb_cats(out, "\\\\");
    else if (ch >= 0x20 && ch < 0x7f) ok = sb_catc(out, (char)ch);
    else {
      char h[4] = {'\\', 'x', hex[ch >> 4], hex[ch & 15]};
      ok = sb_catb(out, h, 4);
    }
    if (!ok) return 0;
  }
  if (n > max && !sb_cats(out, "...")) return 0;
  return sb_catb(out, "", 0);
}
