/* rbl: DNS block lists for qmail-smtpd (and qmail-qmtpd's tagging).
 *   control/rbllist: "basedomain action matchon message..." per line;
 *   action "addheader" tags the message, anything else ("reject") refuses
 *   it; matchon "any" or the one A record (e.g. 127.0.0.2) that counts.
 *   Active only with env RBL; RBLONLYHEADER makes every hit a tag.
 *   control/rbltags: base domains reported as "X-RBL-Check: <base>".
 * The client's address is looked up as <reversed ip>.<base>: IPv4 by
 * octets, IPv6 by nibbles. Parsing and the decisions are pure; lookups go
 * through a resolver callback (rbl_resolve is the real one, libresolv). */
#ifndef RBL_H
#define RBL_H
#include <stddef.h>
#include "sb.h"

struct rbl_entry { size_t base, action, matchon, message; };  /* offsets into data */

struct rbl {
  sb data;
  struct rbl_entry *v;
  size_t n;
};

#define RBL_INIT {SB_INIT, 0, 0}

/* Lookup results */
enum { RBL_NONE = 0, RBL_LISTED = 1, RBL_SOFT = 2 };

/* A records of name as '\0'-terminated dotted quads appended to addrs:
 * RBL_LISTED if there are any, RBL_NONE (no such name / no A), RBL_SOFT
 * (temporary DNS trouble). */
typedef int (*rbl_resolver)(void *ctx, const char *name, sb *addrs);

/* rbllist entries ('\0'-terminated lines as from ctl_list). 1 ok, 0 a line
 * with fewer than four fields, -1 nomem. */
int rbl_parse(struct rbl *r, const char *list, size_t len);
void rbl_free(struct rbl *r);

/* "4.3.2.1." for 1.2.3.4; 32 reversed nibbles and dots for IPv6 (an
 * IPv4-mapped address counts as IPv4). 1 ok, 0 not an address. */
int rbl_reverse(const char *ip, sb *out);

/* Look ip up in base: RBL_LISTED if listed and matchon is "any" or one of
 * the answers, RBL_NONE, RBL_SOFT; -1 nomem. */
int rbl_lookup(const char *ip, const char *base, const char *matchon, rbl_resolver res, void *ctx);

/* Check ip against every list in order. A hit on a reject list ends it:
 * RBL_LISTED with *message set (nothing tagged). Hits on addheader lists
 * (every hit with onlyheader) append "X-RBL: (<base>) [matches with <ip>
 * and ]tells us <message>\n" to hdr. DNS trouble is ignored. Returns
 * RBL_LISTED or RBL_NONE, -1 nomem. */
int rbl_check(const struct rbl *r, const char *ip, int onlyheader, rbl_resolver res, void *ctx,
              sb *hdr, const char **message);

/* rbltags: "X-RBL-Check: <base>\n" for each base (ctl_list form) listing
 * ip. 1 ok, -1 nomem. */
int rbl_tags(const char *tags, size_t len, const char *ip, rbl_resolver res, void *ctx, sb *hdr);

/* The real resolver (res_query, class IN, type A). */
int rbl_resolve(void *ctx, const char *name, sb *addrs);

/* RETURNMXCHECK: does the sender's domain have a usable MX, or else an A or
 * AAAA record? RBL_NONE yes, RBL_LISTED no (NXDOMAIN, no records, or the
 * null MX "."), RBL_SOFT temporary trouble. */
int rbl_mxcheck(const char *domain);

#endif
