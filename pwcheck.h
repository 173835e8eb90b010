/* pwcheck: the one password checker (userPassword schemes, facts §4.7).
 * Pure apart from libcrypt/libcrypto calls; no directory access. */
#ifndef PWCHECK_H
#define PWCHECK_H
#include <stddef.h>

enum { PW_MATCH = 0, PW_NOMATCH = 1, PW_UNSUPPORTED = 2, PW_ERROR = 3 };

/* stored: the userPassword value ({SCHEME}... or a bare crypt(3) hash).
 * clear: the password offered. Empty passwords never match. Cleartext
 * values ({CLEARTEXT} or bare when allow_clear) only with allow_clear. */
int pw_check(const char *stored, size_t slen, const char *clear, int allow_clear);
/* overwrite a password in memory */
void pw_wipe(void *p, size_t n);

#endif
