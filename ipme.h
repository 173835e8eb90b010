/* ipme: this host's own addresses (every interface, IPv4 and IPv6), so
 * programs can tell "[ip]" literals and MX hosts that are this machine. */
#ifndef IPME_H
#define IPME_H
#include <stddef.h>

struct ipme_addr {
  int family;               /* AF_INET or AF_INET6 */
  unsigned char a[16];      /* 4 or 16 bytes, network order */
};

struct ipme {
  size_t n;
  struct ipme_addr *v;
};

/* Collect the addresses (plus 0.0.0.0 and ::). 0 ok, -1 error (errno). */
int ipme_init(struct ipme *m);
/* 1 if addr (4 bytes for AF_INET, 16 for AF_INET6) is ours. An IPv4-mapped
 * IPv6 address is compared as IPv4. */
int ipme_is(const struct ipme *m, int family, const void *addr);
/* Same for a textual address ("1.2.3.4", "::1"); 0 for anything unparsable. */
int ipme_is_text(const struct ipme *m, const char *ip);
/* Add one address (tests and ipme_init). 0 ok, -1 nomem. */
int ipme_add(struct ipme *m, int family, const void *addr);
void ipme_free(struct ipme *m);

#endif
