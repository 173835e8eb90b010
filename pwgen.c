#include "pwgen.h"
#include <argon2.h>
#include "base64.h"
#include "pwcheck.h"
#include <crypt.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <string.h>
#include <strings.h>

const struct pwg_scheme pwg_schemes[] = {
  {"crypt", "{CRYPT}", NULL, PWG_KIND_CRYPT},
  {"md4", "{MD4}", "MD4", PWG_KIND_DIGEST},
  {"md5", "{MD5}", "MD5", PWG_KIND_DIGEST},
  {"ns-mta-md5", "{NS-MTA-MD5}", "MD5", PWG_KIND_NSMTA},
  {"smd5", "{SMD5}", "MD5", PWG_KIND_SALTED},
  {"sha", "{SHA}", "SHA1", PWG_KIND_DIGEST},
  {"ssha", "{SSHA}", "SHA1", PWG_KIND_SALTED},
  {"rmd160", "{RMD160}", "RIPEMD160", PWG_KIND_DIGEST},
  {"sha256", "{SHA256}", "SHA256", PWG_KIND_DIGEST},
  {"ssha256", "{SSHA256}", "SHA256", PWG_KIND_SALTED},
  {"sha384", "{SHA384}", "SHA384", PWG_KIND_DIGEST},
  {"ssha384", "{SSHA384}", "SHA384", PWG_KIND_SALTED},
  {"sha512", "{SHA512}", "SHA512", PWG_KIND_DIGEST},
  {"ssha512", "{SSHA512}", "SHA512", PWG_KIND_SALTED},
  {"argon2", "{ARGON2}", NULL, PWG_KIND_ARGON2},
};
const unsigned pwg_nschemes = sizeof pwg_schemes / sizeof pwg_schemes[0];

const struct pwg_scheme *pwg_find(const char *name)
{
  for (unsigned i = 0; i < pwg_nschemes; ++i)
    if (!strcasecmp(name, pwg_schemes[i].name)) return &pwg_schemes[i];
  return NULL;
}

const char *pwg_result_text(int r)
{
  switch (r) {
  case PWG_OK: return "ok";
  case PWG_UNSUPPORTED: return "not supported here";
  case PWG_BADSALT: return "unusable salt for this scheme";
  default: return "library failure";
  }
}

/* digest(a || b) into out; 0 ok, -1 failure */
static int md2(EVP_MD *md, const void *a, size_t an, const void *b, size_t bn, unsigned char *out, unsigned *ol)
{
  EVP_MD_CTX *c = EVP_MD_CTX_new();
  int ok = c && EVP_DigestInit_ex(c, md, NULL) && EVP_DigestUpdate(c, a, an) && (!bn || EVP_DigestUpdate(c, b, bn)) &&
           EVP_DigestFinal_ex(c, out, ol);
  EVP_MD_CTX_free(c);
  if (!ok) ERR_clear_error();
  return ok ? 0 : -1;
}

static int digest(const struct pwg_scheme *s, const char *clear, const unsigned char *salt, size_t saltlen, sb *out)
{
  unsigned char d[EVP_MAX_MD_SIZE + PWG_SALT_MAX];
  unsigned dl = 0;
  int r = PWG_OK;
  if (s->kind == PWG_KIND_SALTED && (!saltlen || saltlen > PWG_SALT_MAX)) return PWG_BADSALT;
  EVP_MD *md = pw_md_fetch(s->alg);
  if (!md) return PWG_UNSUPPORTED;
  if (md2(md, clear, strlen(clear), salt, s->kind == PWG_KIND_SALTED ? saltlen : 0, d, &dl) < 0) r = PWG_ERROR;
  EVP_MD_free(md);
  if (r) return r;
  if (s->kind == PWG_KIND_SALTED) { memcpy(d + dl, salt, saltlen); dl += (unsigned)saltlen; }
  if (!sb_copys(out, s->tag) || !b64_encode(out, d, dl)) r = PWG_ERROR;
  pw_wipe(d, sizeof d);
  return r;
}

static int nsmta(const char *clear, const unsigned char *salt, size_t saltlen, sb *out)
{
  static const char hex[] = "0123456789abcdef";
  static const unsigned char y = 0x59, f7 = 0xF7;
  unsigned char d[EVP_MAX_MD_SIZE];
  unsigned dl = 0;
  char s32[32];
  int r = PWG_OK;
  if (saltlen < 16 || saltlen > PWG_SALT_MAX) return PWG_BADSALT;
  for (unsigned i = 0; i < 16; ++i) { s32[2 * i] = hex[salt[i] >> 4]; s32[2 * i + 1] = hex[salt[i] & 15]; }
  EVP_MD *md = pw_md_fetch("MD5");
  if (!md) return PWG_UNSUPPORTED;
  EVP_MD_CTX *c = EVP_MD_CTX_new();
  int ok = c && EVP_DigestInit_ex(c, md, NULL) && EVP_DigestUpdate(c, s32, 32) && EVP_DigestUpdate(c, &y, 1) &&
           EVP_DigestUpdate(c, clear, strlen(clear)) && EVP_DigestUpdate(c, &f7, 1) &&
           EVP_DigestUpdate(c, s32, 32) && EVP_DigestFinal_ex(c, d, &dl) && dl == 16;
  EVP_MD_CTX_free(c);
  EVP_MD_free(md);
  if (!ok) { ERR_clear_error(); return PWG_ERROR; }
  if (!sb_copys(out, "{NS-MTA-MD5}")) r = PWG_ERROR;
  for (unsigned i = 0; r == PWG_OK && i < 16; ++i)
    if (!sb_catc(out, hex[d[i] >> 4]) || !sb_catc(out, hex[d[i] & 15])) r = PWG_ERROR;
  if (r == PWG_OK && !sb_catb(out, s32, 32)) r = PWG_ERROR;
  pw_wipe(d, sizeof d);
  return r;
}

static int cryptmake(const char *clear, const unsigned char *salt, size_t saltlen, const char *prefix, sb *out)
{
  char setting[CRYPT_GENSALT_OUTPUT_SIZE];
  struct crypt_data cd;
  int r = PWG_OK;
  /* libcrypt reads any other prefix as a DES salt */
  if (prefix && *prefix && strcmp(prefix, "_") && prefix[0] != '$') return PWG_UNSUPPORTED;
  /* fewer bytes than a method wants give a short (even empty) salt */
  if (saltlen < 16 || saltlen > PWG_SALT_MAX) return PWG_BADSALT;
  if (!crypt_gensalt_rn(prefix, 0, (const char *)salt, (int)saltlen, setting, sizeof setting)) {
    /* an unknown prefix fails like too few bytes: ask again with plenty */
    char probe[PWG_SALT_MAX];
    memset(probe, 0x5a, sizeof probe);
    return crypt_gensalt_rn(prefix, 0, probe, (int)sizeof probe, setting, sizeof setting) ? PWG_BADSALT
                                                                                           : PWG_UNSUPPORTED;
  }
  memset(&cd, 0, sizeof cd);
  const char *h = crypt_rn(clear, setting, &cd, (int)sizeof cd);
  if (!h || h[0] == '*') r = PWG_ERROR;   /* "*0": the setting was refused */
  else if (!sb_copys(out, "{CRYPT}") || !sb_cats(out, h)) r = PWG_ERROR;
  pw_wipe(&cd, sizeof cd);
  return r;
}

/* {ARGON2}: argon2id with RFC 9106's second recommended option
 * (t=3, 64 MiB, p=4 would be its first; p=1 keeps a login on one core),
 * a 32-byte hash, in libargon2's PHC string form */
static int argon2make(const char *clear, const unsigned char *salt, size_t saltlen, sb *out)
{
  enum { T = 3, M = 65536, P = 1, HASHLEN = 32 };
  if (saltlen < 8 || saltlen > PWG_SALT_MAX) return PWG_BADSALT;
  size_t n = argon2_encodedlen(T, M, P, (uint32_t)saltlen, HASHLEN, Argon2_id);
  char enc[256];
  if (n > sizeof enc) return PWG_ERROR;
  if (argon2id_hash_encoded(T, M, P, clear, strlen(clear), salt, saltlen, HASHLEN, enc, sizeof enc) != ARGON2_OK)
    return PWG_ERROR;
  int ok = sb_copys(out, "{ARGON2}") && sb_cats(out, enc);
  pw_wipe(enc, sizeof enc);
  return ok ? PWG_OK : PWG_ERROR;
}

int pwg_make(const struct pwg_scheme *s, const char *clear, const unsigned char *salt, size_t saltlen,
             const char *cryptprefix, sb *out)
{
  switch (s->kind) {
  case PWG_KIND_CRYPT: return cryptmake(clear, salt, saltlen, cryptprefix, out);
  case PWG_KIND_NSMTA: return nsmta(clear, salt, saltlen, out);
  case PWG_KIND_ARGON2: return argon2make(clear, salt, saltlen, out);
  default: return digest(s, clear, salt, saltlen, out);
  }
}

void pwg_dummy(const char *clear)
{
  static const char fixed[16] = "qmail-ldap-dummy";
  char setting[CRYPT_GENSALT_OUTPUT_SIZE];
  struct crypt_data cd;
  if (!crypt_gensalt_rn("$y$", 0, fixed, (int)sizeof fixed, setting, sizeof setting)) return;
  memset(&cd, 0, sizeof cd);
  (void)crypt_rn(clear, setting, &cd, (int)sizeof cd);
  pw_wipe(&cd, sizeof cd);
}
