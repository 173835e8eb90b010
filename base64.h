/* base64 (RFC 4648, with padding), for SMTP AUTH. */
#ifndef BASE64_H
#define BASE64_H
#include <stddef.h>
#include "sb.h"

int b64_encode(sb *out, const void *p, size_t n);         /* appends; 1 ok, 0 nomem */
/* Strict: length a multiple of 4, padding only at the end, no blanks,
 * canonical (the unused low bits of a padded quantum are 0: every caller
 * decodes credentials or stored digests, where one encoding per value
 * leaves no room for smuggled bits).
 * Appends; 1 ok, 0 malformed, -1 nomem. */
int b64_decode(sb *out, const char *s, size_t n);

#endif
