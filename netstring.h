/* netstring: "<len>:<bytes>," (QMQP, QMTP), encoded and decoded with
 * explicit bounds. Lengths are at most NS_MAXDIGITS decimal digits and
 * overflow-checked; leading zeros are tolerated. The stream readers take
 * an optional budget: every byte they consume is charged to it, and a
 * read that would go over it is NS_BAD (the enclosing netstring's length
 * bounds everything inside it). */
#ifndef NETSTRING_H
#define NETSTRING_H
#include <stddef.h>
#include <stdint.h>
#include "rd.h"
#include "sb.h"

#define NS_MAXDIGITS 20
#define NS_BAD 10        /* malformed or over a limit; beside the RD_* codes */
#define NS_NEED 11       /* ns_parse: incomplete, more input needed */

int ns_put(sb *out, const void *p, size_t n);     /* append "n:p,"; 1 ok, 0 nomem */
int ns_puthdr(sb *out, uint64_t n);               /* append "n:" */

/* Pure: one netstring at buf[*pos..len). RD_OK: *p, *n give the contents
 * and *pos is past the ','. NS_NEED: buf ends inside it. NS_BAD: not a
 * netstring, or its length is over max. */
int ns_parse(const char *buf, size_t len, size_t *pos, uint64_t max, const char **p, size_t *n);

/* Could p[0..n) be the start of a netstring (digits, then ':' or the
 * end of what is at hand)? QMQP uses it to tell plain from compressed. */
int ns_plainstart(const char *p, size_t n);

/* Streams (RD_* codes, or NS_BAD; RD_EOF only before the first digit). */
int ns_getlen(struct rd *r, uint64_t max, uint64_t *len, uint64_t *budget);
int ns_getcomma(struct rd *r, uint64_t *budget);
/* n bytes appended to out, or discarded if out is NULL. */
int ns_getbytes(struct rd *r, uint64_t n, sb *out, uint64_t *budget);
/* A whole netstring of at most max bytes into out (reset first). */
int ns_get(struct rd *r, sb *out, size_t max, uint64_t *budget);

#endif
