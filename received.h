/* received: the Received line of the network servers, qmail-ldap's form:
 *   Received: from <host> (HELO <helo>) (<info>@[<ip>])
 *             (envelope-sender <sender>)
 *             by <local> (qmail-ldap-1.03) with <protocol>
 *             for <recipient>; <date>
 * Characters outside qmail's safe set become '?'. NULL helo or info
 * leaves that part out; NULL sender or recipient prints "<>" (QMQP and
 * QMTP write the line before they have read the envelope). */
#ifndef RECEIVED_H
#define RECEIVED_H
#include <time.h>
#include "sb.h"

struct received {
  const char *protocol, *local, *remoteip, *remotehost, *remoteinfo;
  const char *helo, *sender, *rcpt;
};

/* Appends the line (with its final '\n'); 1 ok, 0 nomem. */
int received_fmt(sb *out, const struct received *r, time_t when);

#endif
