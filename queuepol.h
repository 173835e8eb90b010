/* queuepol: qmail-queue's pure policy: the Received line and the
 * control/bigbrother copy recipients. */
#ifndef QUEUEPOL_H
#define QUEUEPOL_H
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include "sb.h"

/* How qmail-queue names its invoker in the Received line. */
enum { QP_UID, QP_ALIAS, QP_NETWORK, QP_BOUNCE };

/* "Received: (qmail <pid> invoked by uid <uid>); <date>\n", or "invoked by
 * alias" / "invoked from network" / "invoked for bounce". Appends; 1 ok. */
int qp_received(sb *out, uint64_t pid, uint64_t uid, int kind, time_t t);

/* bigbrother lines are "watched:observer"; watched is an address or
 * "@domain", compared case-insensitively. If addr is watched, append its
 * observer ('\0'-terminated) to obs unless obs has it already or it is
 * empty. list: the lines, each '\0'-terminated (ctl_list). 1 ok, 0 nomem. */
int qp_bigbrother(const char *list, size_t len, const char *addr, size_t alen, sb *obs);

#endif
