#include "pwcheck.h"
#include <argon2.h>
#include "base64.h"
#include "sb.h"
#include <crypt.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/provider.h>
#include <string.h>
#include <strings.h>

void pw_wipe(void *p, size_t n) { if (p && n) OPENSSL_cleanse(p, n); }

const char *pw_result_text(int r)
{
  switch (r) {
  case PW_MATCH: return "password ok";
  case PW_NOMATCH: return "wrong password";
  case PW_UNSUPPORTED: return "unsupported password scheme or malformed hash";
  default: return "error while checking the password";
  }
}

/* A digest by name: the default library context first, then (MD4) a
 * private context with the legacy provider, loaded once. A private
 * context keeps the process-wide provider set (TLS) as it was. */
EVP_MD *pw_md_fetch(const char *alg)
{
  static OSSL_LIB_CTX *legacy;
  static int tried;
  EVP_MD *md = EVP_MD_fetch(NULL, alg, NULL);
  if (md) return md;
  ERR_clear_error();
  if (!tried) {
    tried = 1;
    legacy = OSSL_LIB_CTX_new();
    if (legacy && !OSSL_PROVIDER_load(legacy, "legacy")) {
      OSSL_LIB_CTX_free(legacy);
      legacy = NULL;
    }
    ERR_clear_error();
  }
  if (!legacy) return NULL;
  md = EVP_MD_fetch(legacy, alg, NULL);
  if (!md) ERR_clear_error();
  return md;
}

struct piece { const void *p; size_t n; };

/* digest of the concatenated pieces; 0 ok, -1 library failure */
static int digest(EVP_MD *md, const struct piece *pc, size_t npc, unsigned char *out, unsigned *outlen)
{
  EVP_MD_CTX *c = EVP_MD_CTX_new();
  int ok = c && EVP_DigestInit_ex(c, md, NULL);
  for (size_t i = 0; ok && i < npc; ++i) ok = EVP_DigestUpdate(c, pc[i].p, pc[i].n);
  ok = ok && EVP_DigestFinal_ex(c, out, outlen);
  EVP_MD_CTX_free(c);   /* cleanses the state that saw the password */
  if (!ok) ERR_clear_error();
  return ok ? 0 : -1;
}

static const struct scheme {
  const char *name, *alg;
  int salted;
} schemes[] = {
  {"MD5", "MD5", 0},       {"SMD5", "MD5", 1},
  {"SHA", "SHA1", 0},      {"SSHA", "SHA1", 1},
  {"SHA256", "SHA256", 0}, {"SSHA256", "SHA256", 1},
  {"SHA384", "SHA384", 0}, {"SSHA384", "SHA384", 1},
  {"SHA512", "SHA512", 0}, {"SSHA512", "SHA512", 1},
  {"MD4", "MD4", 0},       {"RMD160", "RIPEMD160", 0},
};

/* base64(digest(clear || salt) || salt); unsalted: no salt at all */
static int hashed(const struct scheme *s, const char *val, size_t vn, const char *clear, size_t cl)
{
  unsigned char got[EVP_MAX_MD_SIZE];
  unsigned glen = 0;
  sb raw = SB_INIT;
  int r;
  EVP_MD *md = pw_md_fetch(s->alg);
  if (!md) return PW_UNSUPPORTED;
  size_t dl = (size_t)EVP_MD_get_size(md);
  /* strict base64 (base64.c), as written by slappasswd and digest */
  r = vn ? b64_decode(&raw, val, vn) : 0;
  if (r < 0) { EVP_MD_free(md); return PW_ERROR; }
  if (r == 0 || raw.len < dl || (!s->salted && raw.len != dl) || dl > sizeof got) {
    EVP_MD_free(md); sb_free(&raw);
    return PW_NOMATCH;
  }
  struct piece pc[2] = {{clear, cl}, {raw.s + dl, raw.len - dl}};
  if (digest(md, pc, 2, got, &glen) < 0 || glen != dl) r = PW_ERROR;
  else r = CRYPTO_memcmp(got, raw.s, dl) == 0 ? PW_MATCH : PW_NOMATCH;
  EVP_MD_free(md);
  pw_wipe(got, sizeof got);
  sb_free(&raw);
  return r;
}

/* {NS-MTA-MD5}: 32 hex digest characters, then the 32-character salt */
static int nsmta(const char *val, size_t vn, const char *clear, size_t cl)
{
  static const char hex[] = "0123456789abcdef";
  unsigned char got[EVP_MAX_MD_SIZE];
  unsigned glen = 0;
  char want[32], hx[32];
  int r;
  if (vn != 64) return PW_NOMATCH;
  /* hex is case-blind: lower-case the stored digest, then compare exactly */
  for (unsigned i = 0; i < 32; ++i) {
    char c = val[i];
    if (c >= 'A' && c <= 'F') c = (char)(c - 'A' + 'a');
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return PW_NOMATCH;
    want[i] = c;
  }
  EVP_MD *md = pw_md_fetch("MD5");
  if (!md) return PW_UNSUPPORTED;
  static const unsigned char y = 0x59, f7 = 0xF7;
  struct piece pc[5] = {{val + 32, 32}, {&y, 1}, {clear, cl}, {&f7, 1}, {val + 32, 32}};
  if (digest(md, pc, 5, got, &glen) < 0 || glen != 16) r = PW_ERROR;
  else {
    for (unsigned i = 0; i < 16; ++i) { hx[2 * i] = hex[got[i] >> 4]; hx[2 * i + 1] = hex[got[i] & 15]; }
    r = CRYPTO_memcmp(hx, want, 32) == 0 ? PW_MATCH : PW_NOMATCH;
  }
  EVP_MD_free(md);
  pw_wipe(got, sizeof got);
  pw_wipe(hx, sizeof hx);
  return r;
}

/* crypt(3) through crypt_rn: every method this libcrypt knows */
static int cryptcheck(const char *val, size_t vn, const char *clear)
{
  struct crypt_data cd;
  int r;
  if (!vn) return PW_NOMATCH;
  /* an unknown or malformed setting ("!", "*", "$9$...") is not a hash */
  if (crypt_checksalt(val) == CRYPT_SALT_INVALID || crypt_checksalt(val) == CRYPT_SALT_METHOD_DISABLED)
    return PW_UNSUPPORTED;
  memset(&cd, 0, sizeof cd);
  const char *h = crypt_rn(clear, val, &cd, (int)sizeof cd);
  /* refused setting, or a value no hash of its method can equal (a
   * truncated hash; cleartext, which DES reads as a two-byte salt) */
  if (!h || strlen(h) != vn) r = PW_UNSUPPORTED;
  else r = CRYPTO_memcmp(h, val, vn) == 0 ? PW_MATCH : PW_NOMATCH;
  pw_wipe(&cd, sizeof cd);
  return r;
}

/* cleartext: compare digests, so neither time nor length tells anything */
static int cleareq(const char *val, size_t vn, const char *clear, size_t cl)
{
  unsigned char a[EVP_MAX_MD_SIZE], b[EVP_MAX_MD_SIZE];
  unsigned al = 0, bl = 0;
  int r;
  EVP_MD *md = pw_md_fetch("SHA256");
  if (!md) return PW_ERROR;
  struct piece pa = {val, vn}, pb = {clear, cl};
  if (digest(md, &pa, 1, a, &al) < 0 || digest(md, &pb, 1, b, &bl) < 0 || al != bl) r = PW_ERROR;
  else r = CRYPTO_memcmp(a, b, al) == 0 ? PW_MATCH : PW_NOMATCH;
  EVP_MD_free(md);
  pw_wipe(a, sizeof a);
  pw_wipe(b, sizeof b);
  return r;
}

/* {ARGON2}: the PHC string libargon2 writes ($argon2id$v=19$m=..,t=..,p=..$salt$hash),
 * as OpenLDAP's pw-argon2 module stores it. The cost parameters come from
 * the value, so bound them: a directory entry must not make a login
 * allocate gigabytes or spin for minutes. */
static int argon2check(const char *v, size_t vn, const char *clear, size_t cl)
{
  argon2_type t;
  /* the variant is public (the stored value's prefix), not secret */
  if (strstr(v, "$argon2id$") == v) t = Argon2_id;
  else if (strstr(v, "$argon2i$") == v) t = Argon2_i;
  else if (strstr(v, "$argon2d$") == v) t = Argon2_d;
  else return PW_UNSUPPORTED;
  const char *m = strstr(v, "$m="), *tt = strstr(v, ",t="), *p = strstr(v, ",p=");
  if (!m || !tt || !p || vn > 512) return PW_NOMATCH;
  unsigned long mem = strtoul(m + 3, NULL, 10), it = strtoul(tt + 3, NULL, 10), par = strtoul(p + 3, NULL, 10);
  if (!mem || mem > PW_ARGON2_MAXMEM || !it || it > PW_ARGON2_MAXT || !par || par > 16) return PW_UNSUPPORTED;
  int r = argon2_verify(v, clear, cl, t);
  if (r == ARGON2_OK) return PW_MATCH;
  if (r == ARGON2_VERIFY_MISMATCH || r == ARGON2_DECODING_FAIL || r == ARGON2_SALT_TOO_SHORT ||
      r == ARGON2_OUTPUT_TOO_SHORT)
    return PW_NOMATCH;
  return r == ARGON2_MEMORY_ALLOCATION_ERROR ? PW_ERROR : PW_NOMATCH;
}

int pw_check(const char *stored, size_t slen, const char *clear, int allow_clear)
{
  char val[PW_MAXSTORED + 1];
  size_t cl;
  int r;
  if (!stored || !clear || !*clear || !slen || slen > PW_MAXSTORED || memchr(stored, 0, slen)) return PW_NOMATCH;
  cl = strnlen(clear, PW_MAXCLEAR + 1);
  if (cl > PW_MAXCLEAR) return PW_NOMATCH;
  memcpy(val, stored, slen);
  val[slen] = 0;
  if (val[0] != '{') {
    /* bare value: a crypt(3) hash, or (allowed) cleartext */
    r = cryptcheck(val, slen, clear);
    if (r != PW_MATCH && allow_clear) r = cleareq(val, slen, clear, cl);
    pw_wipe(val, sizeof val);
    return r;
  }
  char *end = strchr(val, '}');
  if (!end) return PW_NOMATCH;
  *end = 0;
  const char *name = val + 1, *v = end + 1;
  size_t vn = slen - (size_t)(v - val);
  r = PW_UNSUPPORTED;
  if (!strcasecmp(name, "CRYPT")) r = cryptcheck(v, vn, clear);
  else if (!strcasecmp(name, "NS-MTA-MD5")) r = nsmta(v, vn, clear, cl);
  else if (!strcasecmp(name, "ARGON2")) r = argon2check(v, vn, clear, cl);
  else if (!strcasecmp(name, "CLEARTEXT") || !strcasecmp(name, "PLAIN")) {
    if (allow_clear) r = vn ? cleareq(v, vn, clear, cl) : PW_NOMATCH;
  } else {
    for (size_t i = 0; i < sizeof schemes / sizeof schemes[0]; ++i)
      if (!strcasecmp(name, schemes[i].name)) { r = hashed(&schemes[i], v, vn, clear, cl); break; }
  }
  pw_wipe(val, sizeof val);
  return r;
}
