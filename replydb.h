/* replydb: who got an auto-reply when (pure). File format:
 *   QRDBv1:<hex MD5 of the reply text>\n
 *   <sender>:<hex time>\n ...
 * A changed reply text starts a new database. */
#ifndef REPLYDB_H
#define REPLYDB_H
#include <stdint.h>
#include <time.h>
#include "sb.h"

#define REPLYDB_MAX (128 * 1024)

/* Decide and produce the new file. Returns 1 when a reply is due (out is
 * the updated database to write), 0 when sender was answered within
 * interval seconds (out untouched), -1 on nomem. Expired and malformed
 * lines are dropped; the oldest entries go when the file would exceed
 * REPLYDB_MAX. */
int replydb_update(const char *db, size_t len, const char *texthash, const char *sender,
                   time_t now, time_t interval, sb *out);

#endif
