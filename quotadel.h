/* quotadel: the Maildir++ bookkeeping of messages removed by a reader
 * (qmail-pop3d at QUIT; facts §4.8): one "-<bytes> -1" line per message
 * appended to maildirsize, in one write and one fsync, so a concurrent
 * delivery's append is never interleaved. Without a maildirsize nothing
 * is written: the next delivery counts the Maildir afresh (quota.c). */
#ifndef QUOTADEL_H
#define QUOTADEL_H
#include <stddef.h>
#include <stdint.h>
#include "sb.h"

/* pure: the lines for n removed messages of the given sizes (appended) */
int quota_dellines(sb *out, const uint64_t *sizes, size_t n);
/* 0 ok (or no maildirsize), -1 error with errno */
int quota_deleted(const char *maildir, const uint64_t *sizes, size_t n);

#endif
