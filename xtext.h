/* xtext (RFC 3461 4.): '+', '=' and bytes outside 33..126 as "+XX"
 * (upper-case hex), the rest as is; used for the AUTH= parameter of MAIL
 * (RFC 4954 5.). */
#ifndef XTEXT_H
#define XTEXT_H
#include <stddef.h>
#include "sb.h"

/* Append the xtext of p[0..n) to out. 1 ok, 0 nomem. */
int xtext_encode(sb *out, const char *p, size_t n);

#endif
