/* mailmagic: header handling shared by qmail-reply and qmail-quotawarn
 * (pure). */
#ifndef MAILMAGIC_H
#define MAILMAGIC_H
#include <stddef.h>
#include "sb.h"

/* Value of the first header named name (case-insensitive) in the header
 * block hdr (up to the first empty line), unfolded; 1 found, 0 not. */
int mm_header(const char *hdr, size_t len, const char *name, sb *value);
/* Does this message ask not to be auto-answered? (Precedence bulk/junk/
 * list, Mailing-List, List-Id, X-RBL, X-Spam-Status: Yes, Auto-Submitted
 * other than "no") */
int mm_is_bulk(const char *hdr, size_t len);
/* Is the sender a daemon or list address that must never get a reply?
 * extra: further '\0'-separated patterns (-j file). */
int mm_sender_junk(const char *sender, const char *extra, size_t extralen);
/* Split a reply/warning text with an optional %HEADER% block.
 * Allowed headers (From, Subject, Content-Type, Content-Transfer-Encoding,
 * X-*) go to headers (each line with '\n'); the body to body. */
int mm_split_text(const char *text, size_t len, sb *headers, sb *body);
/* Replace %SUBJECT% in s by subject. */
int mm_subst(const char *s, const char *key, const char *val, sb *out);

#endif
