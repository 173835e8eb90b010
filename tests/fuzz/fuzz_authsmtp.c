/* fuzz_authsmtp: auth_smtp's parser of the SMTP AUTH tokens qmail-smtpd
 * hands it (INTERNALS 10, authsmtp.h). Properties: OK gives a mechanism,
 * a login of 1..256 and a password of 1..512 bytes, NUL-free and
 * terminated; DENY keeps only the login (password wiped); MALFORMED
 * keeps nothing; and the credentials of an OK, encoded again as PLAIN
 * and as LOGIN, parse to the same credentials. */
#include "fuzz.h"
#include "authsmtp.h"
#include "base64.h"

static int zero(const char *p, size_t n)
{
  for (size_t i = 0; i < n; ++i) if (p[i]) return 0;
  return 1;
}

static void again(const struct as_cred *c, int plain)
{
  sb in = SB_INIT, raw = SB_INIT;
  struct as_cred d;
  const char *why;
  if (plain) {
    FZ_MEM(sb_cats(&in, "plain") && sb_cat0(&in));
    FZ_MEM(sb_cat0(&raw) && sb_catb(&raw, c->login, c->loginlen) && sb_cat0(&raw) && sb_catb(&raw, c->pass, c->passlen));
    FZ_MEM(b64_encode(&in, raw.s, raw.len) && sb_cat0(&in));
  } else {
    FZ_MEM(sb_cats(&in, "login") && sb_cat0(&in));
    FZ_MEM(b64_encode(&in, c->login, c->loginlen) && sb_cat0(&in));
    FZ_MEM(b64_encode(&in, c->pass, c->passlen) && sb_cat0(&in));
  }
  int r = as_parse(in.s, in.len, &d, &why);
  if (in.len <= AS_MAXIN) {
    FZ_CHECK(r == AS_OK);
    FZ_CHECK(d.loginlen == c->loginlen && !memcmp(d.login, c->login, c->loginlen));
    FZ_CHECK(d.passlen == c->passlen && !memcmp(d.pass, c->pass, c->passlen));
  } else FZ_CHECK(r == AS_MALFORMED);
  as_wipe(&d);
  sb_free(&in);
  sb_free(&raw);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  struct as_cred c;
  const char *why = NULL;
  int r = as_parse((const char *)data, size, &c, &why);
  FZ_CHECK(why && *why);
  FZ_CHECK(r == AS_OK || r == AS_DENY || r == AS_MALFORMED);
  FZ_CHECK(c.loginlen <= AS_MAXLOGIN && c.passlen <= AS_MAXPASS);
  FZ_CHECK(c.login[c.loginlen] == 0 && c.pass[c.passlen] == 0);
  switch (r) {
  case AS_OK:
    FZ_CHECK(!strcmp(c.mech, "login") || !strcmp(c.mech, "plain"));
    FZ_CHECK(c.loginlen >= 1 && strlen(c.login) == c.loginlen);
    FZ_CHECK(c.passlen >= 1 && strlen(c.pass) == c.passlen);
    again(&c, 1);
    again(&c, 0);
    break;
  case AS_DENY:
    FZ_CHECK(c.passlen == 0 && zero(c.pass, sizeof c.pass));
    break;
  default:
    FZ_CHECK(c.loginlen == 0 && zero(c.login, sizeof c.login) && c.passlen == 0 && zero(c.pass, sizeof c.pass));
  }
  as_wipe(&c);
  return 0;
}
