/* pop3box: qmail-pop3d's view of a Maildir. One readdir pass over new/
 * and cur/ lists the messages; their sizes come from the ",S=<n>" (and
 * Dovecot's ",W=<n>") qmail-local puts into the name, so a mailbox of
 * any size is listed without opening a message (a name without S= is
 * stat()ed). Messages are ordered by the delivery time at the start of
 * the name, then by name. Also the pure pieces: UIDLs, the name a
 * message gets in cur/ at QUIT, and the RETR/TOP conversion (LF to
 * CRLF, dot-stuffing, TOP's line limit). */
#ifndef POP3BOX_H
#define POP3BOX_H
#include <stddef.h>
#include <stdint.h>
#include "sb.h"

enum { P3M_DELETED = 1, P3M_RETRIEVED = 2, P3M_NEW = 4 };

struct pop3_msg {
  size_t name;          /* offset in names: "new/<file>" or "cur/<file>" */
  uint64_t size;        /* octets as POP3 reports them: W=, else S=, else stat */
  uint64_t qsize;       /* octets maildirsize counts: S=, else stat */
  unsigned flags;
};

struct pop3_box {
  struct pop3_msg *m;
  size_t n, cap;
  sb names;             /* NUL-separated paths */
  uint64_t stats;       /* stat() calls made (names without S=) */
};

#define POP3_UIDLMAX 70   /* RFC 1939 7 */

/* pure */
/* ",S=<n>" and ",W=<n>" in a file name (before any ":2," flags). 1 if
 * found, 0 if absent or malformed. */
int pop3_namesize(const char *name, char key, uint64_t *v);
/* qsort order of two file names (without new/ or cur/): the leading
 * decimal seconds numerically, then the whole name bytewise. */
int pop3_namecmp(const char *a, const char *b);
/* The UIDL of a file name: the part before ':' (stable when flags
 * change and when new/ becomes cur/) if it is 1..70 bytes of 0x21..0x7e,
 * else 64 hex digits of its SHA-256. out is reset; 1 ok, 0 nomem. */
int pop3_uidl(const char *name, sb *out);
/* The cur/ name for a message kept at QUIT: "cur/<base>:2,<flags>" with
 * 'S' added when seen (flags kept sorted, no duplicates). Other
 * information suffixes (":1,...") are kept as they are. out is reset. */
int pop3_curname(const char *path, int seen, sb *out);

/* RETR/TOP conversion of a message stream: LF and CRLF become CRLF (a
 * lone CR is kept), a line starting with '.' gets another '.', TOP's
 * limit counts body lines after the blank line ending the header. Feed
 * with pop3_conv, then pop3_convend (CRLF if the last line was open, and
 * the terminating ".\r\n"). out gets the bytes to send (appended). */
struct pop3_conv {
  int cr;               /* the last byte copied was a CR */
  int inbody;
  int limited;
  uint64_t left;        /* body lines still to send when limited */
  int done;             /* the limit is reached: ignore further input */
  int lb;               /* bytes of the current line so far, at most 2 */
};
void pop3_convinit(struct pop3_conv *c, int limited, uint64_t lines);
int pop3_conv(struct pop3_conv *c, const char *p, size_t n, sb *out);
int pop3_convend(struct pop3_conv *c, sb *out);

/* I/O, relative to the current directory (the Maildir) */
void pop3box_init(struct pop3_box *b);
/* List new/ and cur/ (files starting with '.' and directories are
 * skipped). 0 ok, -1 error with errno (ENOENT: new/ or cur/ missing). */
int pop3box_load(struct pop3_box *b);
const char *pop3box_path(const struct pop3_box *b, size_t i);
/* Remove tmp/ files older than 36 hours (left by a crashed delivery),
 * as qmail-pop3d does. */
void pop3box_cleantmp(void);
void pop3box_free(struct pop3_box *b);

#endif
