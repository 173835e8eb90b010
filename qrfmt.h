/* qrfmt: qmail-qread's pure parts: the info file and the output lines. */
#ifndef QRFMT_H
#define QRFMT_H
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include "sb.h"

/* Sender from an info file: '\0'-terminated records F<sender>, u<uid>,
 * p<pid> in any order. 1 found, 0 malformed (no complete F record). */
int qr_info_sender(const char *buf, size_t len, sb *sender);
/* "9 Sep 2001 01:46:40 GMT  #<id>  <size>  <sender>  bouncing\n" (the
 * sender in <>; " bouncing" only if a bounce is pending). Bytes outside
 * 32..126 print as '_'. Appends; 1 ok, 0 nomem. */
int qr_stats(sb *out, time_t t, uint64_t id, uint64_t size, const char *sender, size_t slen, int bouncing);
/* "  done\tremote\t<rcpt>\n" / "\tlocal\t<rcpt>\n" */
int qr_rcpt(sb *out, int done, int remote, const char *rcpt, size_t n);

#endif
