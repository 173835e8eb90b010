/* qslog: qmail-send's log text rules (pure). Newlines become '/', and
 * anything outside printable ASCII, spaces and '%' become '_', so every
 * log line is one line of words for multilog and qmail's log tools. */
#ifndef QSLOG_H
#define QSLOG_H
#include <stddef.h>
#include "sb.h"

int qslog_safe(sb *out, const char *s, size_t n);   /* appends; 1 ok, 0 nomem */
int qslog_safes(sb *out, const char *s);

#endif
