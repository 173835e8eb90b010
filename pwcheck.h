/* pwcheck: the one password checker (userPassword schemes, facts §4.7).
 * Pure apart from libcrypt/libcrypto calls; no directory access.
 *
 * Schemes (prefix matched case-insensitively, hash output compared
 * exactly and in constant time):
 *   {CRYPT}<hash> and a bare <hash>: crypt_r(3), every method libcrypt
 *     knows ($1$ $5$ $6$ $2b$ $2y$ $y$ $gy$ $7$, DES ...)
 *   {MD5} {SHA} {SHA256} {SHA384} {SHA512} {MD4} {RMD160}:
 *     base64(digest(password))
 *   {SMD5} {SSHA} {SSHA256} {SSHA384} {SSHA512}:
 *     base64(digest(password || salt) || salt), salt of any length
 *   {NS-MTA-MD5}: hex(MD5(salt || 0x59 || password || 0xF7 || salt)) || salt
 *     (64 characters; salt = the last 32)
 *   {CLEARTEXT} / {PLAIN}, and a bare value compared as cleartext, only
 *     when the caller allows cleartext.
 * MD4 lives in OpenSSL 3's legacy provider: it is loaded once into a
 * private library context (the process-wide one is left alone); without
 * it {MD4} is PW_UNSUPPORTED. */
#ifndef PWCHECK_H
#define PWCHECK_H
#include <stddef.h>

enum { PW_MATCH = 0, PW_NOMATCH = 1, PW_UNSUPPORTED = 2, PW_ERROR = 3 };

/* longest stored value and password looked at; longer never match */
#define PW_MAXSTORED 1024
#define PW_MAXCLEAR 1024

/* stored: the userPassword value ({SCHEME}... or a bare crypt(3) hash).
 * clear: the password offered (NUL-terminated). Empty passwords never
 * match. Cleartext values ({CLEARTEXT} or bare when allow_clear) only
 * with allow_clear. PW_UNSUPPORTED: unknown scheme or crypt method, or
 * a crypt value no hash of its method can equal (cleartext, truncated);
 * PW_ERROR: the library failed (out of memory): a temporary problem. */
/* {ARGON2} values whose cost exceeds these are refused (PW_UNSUPPORTED) */
#define PW_ARGON2_MAXMEM (1024 * 1024)   /* KiB: 1 GiB */
#define PW_ARGON2_MAXT 64
int pw_check(const char *stored, size_t slen, const char *clear, int allow_clear);
/* text for logs: "match", "wrong password", ... */
const char *pw_result_text(int r);
/* overwrite a password in memory (never optimised away) */
void pw_wipe(void *p, size_t n);
/* An OpenSSL digest by name (EVP_MD_free it): the default library
 * context, else (MD4) the private legacy-provider one; NULL if neither
 * has it. Shared with pwgen, so there is one legacy context. */
struct evp_md_st;
struct evp_md_st *pw_md_fetch(const char *alg);

#endif
