/* ctl: the one control-file table and reader. qmail-showctl prints from
 * the same table, so every control file a program reads is listed here
 * with its type and default. */
#ifndef CTL_H
#define CTL_H
#include <stdint.h>
#include "sb.h"

enum ctl_type {
  CTL_LINE,   /* first line, trailing blanks stripped */
  CTL_LIST,   /* one entry per line; blank and '#' lines ignored */
  CTL_INT,    /* first line, unsigned decimal (64-bit) */
  CTL_BOOL,   /* first line, 0 or non-0 */
  CTL_RAW,    /* whole file as text */
  CTL_CDB,    /* binary cdb, only existence is checked here */
  CTL_OBSOLETE
};

struct ctl_def {
  const char *name;
  enum ctl_type type;
  const char *def;      /* default text; "$me" means the value of control/me; NULL none */
  const char *users;    /* which programs read it */
  const char *meaning;
  /* qmail-showctl's wording (optional; rows without it get generic text):
   * show: phrase for the value, or for each entry of a list or line of a
   * raw file, or for an existing cdb; its first "%s" (not a printf format)
   * becomes the value (for a cdb: its number of entries). A show without
   * "%s" marks a secret: the value is never printed.
   * unset: phrase when there is no value (no file and no default, empty). */
  const char *show;
  const char *unset;
};

extern const struct ctl_def ctl_table[];
extern const unsigned ctl_count;

/* Set the control directory (default AUTO_QMAIL/control). */
void ctl_setdir(const char *dir);
const char *ctl_dir(void);
const struct ctl_def *ctl_find(const char *name);

/* Each reader returns 1 if the file exists and was used, 0 if the default
 * was used (file missing or, for LINE/INT, empty), -1 on an I/O or parse
 * error (errno set; EINVAL for a bad number). Callers treat -1 as a
 * temporary failure, as qmail does. The default comes from the table. */
int ctl_line(const char *name, sb *out);
int ctl_list(const char *name, sb *out);   /* entries each followed by \0 */
int ctl_u64(const char *name, uint64_t *out);
int ctl_bool(const char *name, int *out);
int ctl_raw(const char *name, sb *out);

/* The key a list entry becomes in its cdb form (locals.cdb, rcpthosts.cdb,
 * built by qmail-cdb): the entry as ctl_parse_list would keep it, ASCII
 * lower-cased. Returns 1 and sets key, 0 if the line is blank or a
 * comment, -1 on nomem. line excludes the '\n'. */
int ctl_cdbkey(const char *line, size_t len, sb *key);

/* Pure parsers (unit-tested). */
void ctl_parse_line(const char *buf, size_t len, sb *out);
int ctl_parse_list(const char *buf, size_t len, sb *out); /* returns count or -1 on nomem */

#endif
