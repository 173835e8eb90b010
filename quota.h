/* quota: Maildir++ quotas (facts §4.8) with 64-bit arithmetic.
 * The quota definition is "<bytes>S", "<count>C" or "<bytes>S,<count>C";
 * maildirsize holds it on line 1 and "<bytes> <count>" deltas below. */
#ifndef QUOTA_H
#define QUOTA_H
#include <stdint.h>
#include <stddef.h>
#include "sb.h"

struct quota { uint64_t size, count; };          /* 0 = unlimited */
struct usage { int64_t size, count; };

/* pure */
int quota_parse(const char *s, struct quota *q);  /* 0 ok, -1 malformed */
/* Parse a whole maildirsize: definition into def (copy), sum into u,
 * lines counted into *nlines. 0 ok, -1 malformed or overflow. */
int quota_parse_file(const char *buf, size_t len, sb *def, struct usage *u, uint64_t *nlines);
/* ",S=<n>" in a Maildir file name; 0 ok, -1 absent */
int quota_name_size(const char *name, uint64_t *size);
/* would adding (bytes, 1 message) exceed q? */
int quota_over(const struct quota *q, const struct usage *u, uint64_t bytes);
/* percentage used (max of size and count), 0 when unlimited */
unsigned quota_percent(const struct quota *q, const struct usage *u);

/* I/O on a Maildir (path ends in '/' or not) */
/* Current usage; recalculates and rewrites maildirsize when it is
 * missing, too big, or holds another definition. 0 ok, -1 error. */
int quota_usage(const char *maildir, const char *def, struct usage *u);
/* Full recount of new/ and cur/ of the Maildir and its .Folders
 * (except .Trash), ignoring messages flagged T. */
int quota_recalc(const char *maildir, struct usage *u);
/* Recount now and rewrite maildirsize (a delivery about to bounce for
 * quota must not trust deltas). 0 ok, -1 error. */
int quota_refresh(const char *maildir, const char *def, struct usage *u);
/* Append "<bytes> <count>" to maildirsize (creating it if needed). */
int quota_add(const char *maildir, const char *def, int64_t bytes, int64_t count);

/* Before delivering bytes into maildir: 1 if it would exceed q even
 * after a recount, 0 if it fits, -1 on error (errno). *u gets the usage
 * for quota_record. */
int quota_check(const char *maildir, const char *def, const struct quota *q, uint64_t bytes, struct usage *u);
/* After: add the delivered file (its ",S=" size) to maildirsize; 1 if
 * usage now reaches QUOTA_WARNING_LEVEL (computed from u, no second read),
 * else 0. A failed update is left to the next recount. */
int quota_record(const char *maildir, const char *def, const struct quota *q, const char *delivered, struct usage u);

#endif
