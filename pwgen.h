/* pwgen: makes userPassword values, the inverse of pwcheck (digest(8)).
 * Every value made here verifies with pw_check. No randomness and no
 * I/O inside: the caller brings the salt, so tests are repeatable.
 *
 *   {CRYPT}<crypt(3) hash>       setting from crypt_gensalt_rn(prefix):
 *                                "" DES, "$1$" MD5-crypt, "$5$", "$6$",
 *                                "$2b$" bcrypt, "$y$" yescrypt, ...
 *   {MD4} {MD5} {SHA} {SHA256} {SHA384} {SHA512} {RMD160}
 *                                base64(digest(password))
 *   {SMD5} {SSHA} {SSHA256} {SSHA384} {SSHA512}
 *                                base64(digest(password || salt) || salt)
 *   {NS-MTA-MD5}                 hex(MD5(s || 0x59 || password || 0xF7 || s)) || s,
 *                                s = 32 hex characters of the salt's first 16 bytes
 *   {ARGON2}                     libargon2's $argon2id$v=19$m=65536,t=3,p=1$salt$hash */
#ifndef PWGEN_H
#define PWGEN_H
#include <stddef.h>
#include "sb.h"

enum { PWG_OK = 0, PWG_UNSUPPORTED, PWG_BADSALT, PWG_ERROR };

enum pwg_kind { PWG_KIND_CRYPT, PWG_KIND_DIGEST, PWG_KIND_SALTED, PWG_KIND_NSMTA, PWG_KIND_ARGON2 };

struct pwg_scheme {
  const char *name;     /* digest -t name, lower case */
  const char *tag;      /* the userPassword prefix */
  const char *alg;      /* OpenSSL digest name (not for crypt) */
  int kind;
};

extern const struct pwg_scheme pwg_schemes[];
extern const unsigned pwg_nschemes;

#define PWG_SALT_DEFAULT 16   /* bytes of salt digest(8) draws */
#define PWG_SALT_MAX 64

/* the scheme called name (any case), NULL if none */
const struct pwg_scheme *pwg_find(const char *name);

/* One value for clear into out (replaced). salt[0..saltlen) is the
 * salt of salted schemes, the 16 bytes of NS-MTA-MD5 (at least 16) and
 * the random bytes crypt_gensalt_rn turns into a crypt setting (at least
 * 16: every method's full salt). cryptprefix selects the crypt method:
 * "" DES, "_" BSDi DES, "$..." any libcrypt method (NULL = libcrypt's
 * preferred one).
 * PWG_UNSUPPORTED: digest not available here (MD4 without OpenSSL's
 * legacy provider) or an unknown crypt prefix; PWG_BADSALT: too little
 * or too much salt; PWG_ERROR: the library failed. */
int pwg_make(const struct pwg_scheme *s, const char *clear, const unsigned char *salt, size_t saltlen,
             const char *cryptprefix, sb *out);
const char *pwg_result_text(int r);

/* A login with no entry costs what a check against a yescrypt hash of
 * libcrypt's default cost costs, so the answer time tells less. */
void pwg_dummy(const char *clear);

#endif
