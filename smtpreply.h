/* smtpreply: the client side of SMTP replies (qmail-remote). A reply is
 * read through rd with bounds: each line's text is kept without CR, ending
 * in '\n', NUL shown as '?', up to SR_TEXTMAX bytes in all (the rest is
 * read and dropped), and a reply of more than SR_TOTALMAX bytes is refused
 * so a server cannot keep us reading forever. */
#ifndef SMTPREPLY_H
#define SMTPREPLY_H
#include <stddef.h>
#include "rd.h"
#include "sb.h"

#define SR_LINEMAX 4096      /* bytes of one line looked at */
#define SR_TEXTMAX 5000      /* bytes of reply text kept */
#define SR_TOTALMAX 65536    /* bytes of one reply, all lines */

/* One line without its line end: 1 last line, 0 continuation ("250-..."),
 * and *code its code, 0 if it does not start with three digits (such a
 * line ends the reply). */
int smtpreply_line(const char *line, size_t len, unsigned *code);

/* Read one reply: RD_OK with *code (of the last line) and text, RD_EOF or
 * RD_PARTIAL (connection closed), RD_TIMEOUT, RD_TOOLONG (over
 * SR_TOTALMAX), RD_ERR. */
int smtpreply_read(struct rd *r, unsigned *code, sb *text);

/* 2 success (200-399), 4 temporary (400-499, and any code that is not a
 * reply code), 5 permanent (500-599). */
int smtpreply_class(unsigned code);

/* EHLO reply text: does a line advertise keyword kw (case-insensitive)?
 * Returns 1 and sets *param and *plen to what follows the keyword (leading
 * blanks skipped), else 0. */
int smtpreply_ehlo(const char *text, size_t len, const char *kw, const char **param, size_t *plen);

/* Cluster loop check: does the reply's last line end with cookie? */
int smtpreply_endswith(const char *text, size_t len, const char *cookie, size_t clen);

#endif
