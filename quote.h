/* quote: RFC 822 quoting of an address's local part, done only when
 * needed (qmail's rule: atext and inner single dots pass unquoted). */
#ifndef QUOTE_H
#define QUOTE_H
#include <stddef.h>
#include "sb.h"

int quote_need(const char *s, size_t n);           /* 1 if the local part needs quotes */
/* Append addr to out with its local part (up to the last '@') quoted
 * if needed; "" stays "". 1 ok, 0 nomem. */
int quote_addr(sb *out, const char *addr, size_t n);

#endif
