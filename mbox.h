/* mbox: appending a message to an mbox file (dot-qmail(5), mbox(5)).
 * The file is locked with flock and fcntl, the "From " line and
 * Return-Path/Delivered-To lines come first, lines matching ^>*From  get
 * one more '>', a missing final newline is added, then a blank line.
 * After fsync the delivery is done; on any error the file is truncated
 * back to its old length (if it was locked). */
#ifndef MBOX_H
#define MBOX_H
#include <stddef.h>
#include "sb.h"

extern unsigned mbox_lock_wait;   /* seconds to wait for the locks; 30 */

/* ">From " quoting as a stream filter (pure): feed any split of the
 * input; the state carries across calls. */
struct mbox_quoter {
  int bol;          /* at the start of a line (after any '>' run) */
  int gts;          /* inside a leading '>' run */
  size_t matched;   /* bytes of "From " matched and held back */
};
void mbox_quoter_init(struct mbox_quoter *q);
int mbox_quote(struct mbox_quoter *q, const char *in, size_t n, sb *out);  /* 1 ok, 0 nomem */
/* End of message: flush held bytes, add '\n' if the last line lacked one,
 * then the blank separator line. */
int mbox_quote_end(struct mbox_quoter *q, sb *out);

enum { MBOX_OK = 0, MBOX_ERR_OPEN = -1, MBOX_ERR_LOCKTIME = -2, MBOX_ERR_WRITE = -3,
       MBOX_ERR_READ = -4, MBOX_ERR_NOMEM = -5 };
/* Append: prefix (the From_, Return-Path and Delivered-To lines), then
 * the message read from fd (rewound to 0). errno is kept. */
int mbox_deliver(const char *path, const char *prefix, size_t plen, int fd);

#endif
