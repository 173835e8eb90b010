#include "pwcheck.h"
#include <crypt.h>
#include <openssl/evp.h>
#include <openssl/crypto.h>
#include <string.h>
#include <strings.h>

void pw_wipe(void *p, size_t n) { OPENSSL_cleanse(p, n); }

static int b64dec(const char *in, size_t n, unsigned char *out, size_t max, size_t *outlen)
{
  unsigned char tmp[512];
  int len;
  size_t pad = 0;
  if (n % 4 || n / 4 * 3 > sizeof tmp) return -1;
  len = EVP_DecodeBlock(tmp, (const unsigned char *)in, (int)n);
  if (len < 0) return -1;
  if (n && in[n - 1] == '=') pad++;
  if (n > 1 && in[n - 2] == '=') pad++;
  if ((size_t)len < pad || (size_t)len - pad > max) return -1;
  *outlen = (size_t)len - pad;
  memcpy(out, tmp, *outlen);
  return 0;
}

static int digest(const char *alg, const void *a, size_t an, const void *b, size_t bn,
                  unsigned char *out, unsigned *outlen)
{
  const EVP_MD *md = EVP_get_digestbyname(alg);
  EVP_MD_CTX *c;
  int ok;
  if (!md) return -1;
  c = EVP_MD_CTX_new();
  if (!c) return -1;
  ok = EVP_DigestInit_ex(c, md, NULL) && EVP_DigestUpdate(c, a, an) &&
       (!bn || EVP_DigestUpdate(c, b, bn)) && EVP_DigestFinal_ex(c, out, outlen);
  EVP_MD_CTX_free(c);
  return ok ? 0 : -1;
}

/* {MD5} {SHA} {MD4} {RMD160} unsalted, {SMD5} {SSHA} salted: base64 */
static int hashed(const char *alg, int salted, const char *val, size_t vn, const char *clear)
{
  unsigned char raw[256], got[EVP_MAX_MD_SIZE];
  size_t rawlen;
  unsigned glen;
  const EVP_MD *md = EVP_get_digestbyname(alg);
  if (!md) return PW_UNSUPPORTED;
  size_t dl = (size_t)EVP_MD_get_size(md);
  if (b64dec(val, vn, raw, sizeof raw, &rawlen) < 0) return PW_NOMATCH;
  if (rawlen < dl || (!salted && rawlen != dl)) return PW_NOMATCH;
  if (digest(alg, clear, strlen(clear), raw + dl, rawlen - dl, got, &glen) < 0) return PW_ERROR;
  return CRYPTO_memcmp(got, raw, dl) == 0 ? PW_MATCH : PW_NOMATCH;
}

/* {NS-MTA-MD5}: 32 hex digest chars followed by the 32-char salt */
static int nsmta(const char *val, size_t vn, const char *clear)
{
  static const char hex[] = "0123456789abcdef";
  unsigned char buf[1024], got[EVP_MAX_MD_SIZE];
  unsigned glen;
  char hx[33];
  size_t cl = strlen(clear), n = 0;
  if (vn != 64 || 66 + cl > sizeof buf) return PW_NOMATCH;
  memcpy(buf, val + 32, 32); n = 32;
  buf[n++] = 0x59;
  memcpy(buf + n, clear, cl); n += cl;
  buf[n++] = 0xF7;
  memcpy(buf + n, val + 32, 32); n += 32;
  if (digest("MD5", buf, n, NULL, 0, got, &glen) < 0) return PW_ERROR;
  pw_wipe(buf, sizeof buf);
  for (unsigned i = 0; i < 16; ++i) { hx[2 * i] = hex[got[i] >> 4]; hx[2 * i + 1] = hex[got[i] & 15]; }
  hx[32] = 0;
  return strncasecmp(hx, val, 32) == 0 ? PW_MATCH : PW_NOMATCH;
}

static int cryptcheck(const char *val, const char *clear)
{
  struct crypt_data cd;
  char *r;
  memset(&cd, 0, sizeof cd);
  r = crypt_r(clear, val, &cd);
  int m = r && r[0] != '*' && strlen(r) == strlen(val) && CRYPTO_memcmp(r, val, strlen(val)) == 0;
  pw_wipe(&cd, sizeof cd);
  return m ? PW_MATCH : PW_NOMATCH;
}

int pw_check(const char *stored, size_t slen, const char *clear, int allow_clear)
{
  char val[512];
  size_t vn;
  if (!clear || !*clear || !slen || slen >= sizeof val || memchr(stored, 0, slen)) return PW_NOMATCH;
  memcpy(val, stored, slen);
  val[slen] = 0;
  if (val[0] != '{') {
    if (allow_clear && strlen(clear) == slen && CRYPTO_memcmp(clear, val, slen) == 0) return PW_MATCH;
    return cryptcheck(val, clear);
  }
  char *end = strchr(val, '}');
  if (!end) return PW_NOMATCH;
  *end = 0;
  const char *scheme = val + 1, *v = end + 1;
  vn = strlen(v);
  if (!strcasecmp(scheme, "crypt")) return cryptcheck(v, clear);
  if (!strcasecmp(scheme, "MD5")) return hashed("MD5", 0, v, vn, clear);
  if (!strcasecmp(scheme, "SMD5")) return hashed("MD5", 1, v, vn, clear);
  if (!strcasecmp(scheme, "SHA")) return hashed("SHA1", 0, v, vn, clear);
  if (!strcasecmp(scheme, "SSHA")) return hashed("SHA1", 1, v, vn, clear);
  if (!strcasecmp(scheme, "SHA256")) return hashed("SHA256", 0, v, vn, clear);
  if (!strcasecmp(scheme, "SSHA256")) return hashed("SHA256", 1, v, vn, clear);
  if (!strcasecmp(scheme, "SHA512")) return hashed("SHA512", 0, v, vn, clear);
  if (!strcasecmp(scheme, "SSHA512")) return hashed("SHA512", 1, v, vn, clear);
  if (!strcasecmp(scheme, "MD4")) return hashed("MD4", 0, v, vn, clear);
  if (!strcasecmp(scheme, "RMD160")) return hashed("RIPEMD160", 0, v, vn, clear);
  if (!strcasecmp(scheme, "NS-MTA-MD5")) return nsmta(v, vn, clear);
  if (!strcasecmp(scheme, "CLEARTEXT") || !strcasecmp(scheme, "PLAIN")) {
    if (!allow_clear) return PW_UNSUPPORTED;
    return strlen(clear) == vn && CRYPTO_memcmp(clear, v, vn) == 0 ? PW_MATCH : PW_NOMATCH;
  }
  return PW_UNSUPPORTED;
}
