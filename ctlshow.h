/* ctlshow: qmail-showctl's wording for one control file, as pure
 * functions of the ctl_table row and what was read, so the text is
 * unit-tested without a control directory. Each function appends one
 * complete report ("name: ...\n", lists one entry per line) to out and
 * returns 1, or 0 when out of memory. */
#ifndef CTLSHOW_H
#define CTLSHOW_H
#include <stdint.h>
#include "ctl.h"
#include "sb.h"

/* d->show with its first "%s" replaced by v[0..n) (bytes outside
 * 32..126 shown as '?'); a show without "%s" is printed as is. */
int ctlshow_phrase(sb *out, const struct ctl_def *d, const char *v, size_t n);

/* r is the ctl_* reader's result (1 file, 0 default, -1 error with err
 * its errno; EINVAL means "not a number"). v is the value (LINE, INT,
 * BOOL as decimal), entries the \0-terminated list, text a raw file. */
int ctlshow_scalar(sb *out, const struct ctl_def *d, int r, int err, const char *v, size_t n);
int ctlshow_list(sb *out, const struct ctl_def *d, int r, int err, const char *entries, size_t len);
int ctlshow_raw(sb *out, const struct ctl_def *d, int r, int err, const char *text, size_t len);

/* cdb: exists 1/0 (-1 error, err), entries its number of records or -1
 * if it is not a valid cdb; src the list it is built from (NULL: none
 * present) and stale 1 if src was modified after the cdb. */
int ctlshow_cdb(sb *out, const struct ctl_def *d, int exists, int err, int64_t entries,
                const char *src, int stale);
int ctlshow_obsolete(sb *out, const struct ctl_def *d);
int ctlshow_unknown(sb *out, const char *name);

/* The source a cdb is built from: "<name minus .cdb>" or
 * "<name minus .cdb>.rules" if the table knows it, else NULL. */
const struct ctl_def *ctlshow_cdbsource(const struct ctl_def *d);

#endif
