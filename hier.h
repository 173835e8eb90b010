/* hier: the ONE table of everything installed under conf-qmail, with
 * owner, group and mode. install creates it, instcheck verifies it, and
 * both walk it through hier_walk() so they can never disagree. */
#ifndef HIER_H
#define HIER_H
#include <stddef.h>
#include <sys/types.h>

enum hier_kind {
  H_DIR,     /* directory; with split, also its conf-split subdirectories */
  H_FILE,    /* copy of src from the build directory (always replaced) */
  H_EMPTY,   /* empty file created if missing, contents never touched */
  H_ZERO,    /* size zero bytes created if missing, never truncated */
  H_FIFO     /* named pipe */
};

#define HIER_SPLIT 1     /* H_DIR: also dir/0 .. dir/split-1 */
#define HIER_OPTIONAL 2  /* H_FILE: only if src exists in the build directory */
#define HIER_GLOB 4      /* H_FILE: src is a suffix (".8"); path is the target dir */
#define HIER_KEEP 8      /* H_FILE: copied only when missing; an existing file keeps
                            its contents (admin-edited templates: rules, env/) */

struct hier_entry {
  enum hier_kind kind;
  const char *path;   /* relative to AUTO_QMAIL */
  const char *src;    /* H_FILE: file in the build directory (NULL: basename of path) */
  const char *user;   /* owner name */
  const char *group;  /* group name; NULL means gid 0 */
  mode_t mode;
  size_t size;        /* H_ZERO */
  int flags;
};

extern const struct hier_entry hier_table[];
extern const unsigned hier_count;

/* One concrete item: split directories and man-page globs expanded. */
struct hier_item {
  enum hier_kind kind;
  char path[256];     /* relative to AUTO_QMAIL */
  char src[256];      /* H_FILE only */
  const char *user, *group;
  mode_t mode;
  size_t size;
  int optional;
  int keep;           /* HIER_KEEP */
};

/* Calls fn for every item in table order (parents before children).
 * Globs and optional files are resolved against the current directory
 * (the build directory). Stops and returns fn's value if non-zero;
 * returns -1 if a path does not fit. */
int hier_walk(int (*fn)(const struct hier_item *, void *), void *arg);

/* Programs and scripts of the Makefile that are build tools, not installed. */
int hier_notinstalled(const char *prog);

#endif
