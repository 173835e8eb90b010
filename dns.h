/* dns: where qmail-remote (and qmail-qmqpc) connect to. MX records, A and
 * AAAA records through the system resolver (libresolv res_query; no
 * /etc/hosts, as in qmail). Packets are parsed by pure functions, and the
 * query itself is a callback, so tests feed canned packets. */
#ifndef DNS_H
#define DNS_H
#include <stddef.h>
#include <stdint.h>
#include "sb.h"

enum {
  DNS_OK = 0,
  DNS_HARD = 1,      /* no such domain (NXDOMAIN) */
  DNS_NODATA = 2,    /* the name exists, no record of that type */
  DNS_SOFT = 3,      /* temporary trouble: try again later */
  DNS_NOMEM = 4
};

#define DNS_MAXMX 64         /* MX records looked at */
#define DNS_MAXIP 256        /* addresses kept in all */
#define DNS_PKTMAX 65536

struct mxip {
  unsigned pref;             /* MX preference; 0 without MX */
  int family;                /* AF_INET or AF_INET6 */
  unsigned char a[16];
};

struct mxlist {
  struct mxip *v;
  size_t n;
  /* per address: the host name it was found for (the MX host, the domain
   * without MX, the relay), as an offset into names; SIZE_MAX for a
   * literal. qmail-remote verifies TLS certificates against it. */
  size_t *nameat;
  sb names;
};

#define MXLIST_INIT {0, 0, 0, SB_INIT}

struct dns_mx { unsigned pref; char name[1025]; };

/* Query callback: the answer packet of name/type (ns_t_mx, ns_t_a,
 * ns_t_aaaa) into buf[0..size), *len its length. Returns DNS_OK, DNS_HARD,
 * DNS_NODATA or DNS_SOFT. */
typedef int (*dns_query_fn)(void *ctx, const char *name, int type, unsigned char *buf, size_t size, size_t *len);
int dns_resquery(void *ctx, const char *name, int type, unsigned char *buf, size_t size, size_t *len);

/* Pure packet parsers (answer section only). Return DNS_OK, DNS_SOFT for
 * a packet that does not parse, DNS_NOMEM. */
int dns_parse_mx(const unsigned char *pkt, size_t len, struct dns_mx *mx, size_t max, size_t *n);
int dns_parse_ip(const unsigned char *pkt, size_t len, int type, unsigned pref, struct mxlist *out);

/* An address literal: "1.2.3.4", "[1.2.3.4]", "[::1]", "[IPv6:::1]", or a
 * bare IPv6 address. 1 and *family/a set, else 0. */
int dns_literal(const char *s, size_t n, int *family, unsigned char a[16]);

/* Split "host:port", "[literal]:port" or a bare host or literal (an IPv6
 * address without brackets has no port) into host and *port (left alone
 * when there is none). 1 ok, 0 a bad port or unbalanced bracket. */
int dns_hostport(const char *s, sb *host, unsigned *port);

/* Addresses of one host (a relay, a QMQP server): the literal itself, or
 * its AAAA then A records, preference 0. DNS_OK with out->n > 0, DNS_HARD
 * (no such host, or no address), DNS_SOFT, DNS_NOMEM. */
int dns_ip(struct mxlist *out, const char *host, dns_query_fn q, void *ctx);

/* The addresses to deliver mail for domain to, best first: "[ip]" as is;
 * else the MX hosts by preference (equal preferences in an order shuffled
 * by seed), each host's AAAA then A addresses; without MX records the
 * domain's own addresses with preference 0. MX hosts without addresses
 * are skipped, as is the null MX ("."). DNS_OK (out->n may be 0: no
 * usable exchanger), DNS_HARD (no such domain), DNS_SOFT, DNS_NOMEM. */
int dns_mxip(struct mxlist *out, const char *domain, uint64_t seed, dns_query_fn q, void *ctx);

void mxlist_free(struct mxlist *l);
int mxlist_add(struct mxlist *l, unsigned pref, int family, const unsigned char *a);  /* 1 ok, 0 nomem/full */
/* The host name of address i, NULL for a literal. */
const char *mxlist_name(const struct mxlist *l, size_t i);

/* MXPS: preferences 12801-13055 with pref % 16 == 1 announce QMTP (port
 * 209) at that exchanger, to be tried before SMTP. */
int mxps_qmtp(unsigned pref);

/* "1.2.3.4" or "::1" (IPv4-mapped IPv6 shown as IPv4) into out (>= 64). */
void mxip_fmt(const struct mxip *ip, char *out, size_t size);

#endif
