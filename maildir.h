/* maildir: the one Maildir writer (qmail-local, quota warnings,
 * qmail-reply, condwrite, ...). A message is written to
 * tmp/<unique>, fsync'd, linked to new/<unique>,S=<size> (or cur/), the
 * tmp name removed and the directory fsync'd: only then is it delivered.
 *   <unique> = <sec>.M<usec>P<pid>Q<seq>.<host>   ('/' and ':' in host
 *   written as \057 and \072) */
#ifndef MAILDIR_H
#define MAILDIR_H
#include <stdint.h>
#include <sys/types.h>
#include "sb.h"
#include "wr.h"

/* results of the I/O functions (errno is kept) */
enum {
  MD_OK = 0,
  MD_ERR_DIR = -1,     /* no usable Maildir there (tmp/ or new/ missing) */
  MD_ERR_WRITE = -2,   /* creating, writing, syncing or linking failed */
  MD_ERR_READ = -3,    /* reading the message failed */
  MD_ERR_NOMEM = -4
};

struct maildir_file {
  sb dir;         /* the Maildir, with a trailing '/' */
  sb uniq;        /* <unique> */
  sb tmp;         /* dir/tmp/<unique> */
  int fd;         /* -1 when closed */
  uint64_t size;  /* bytes written */
  struct wr w;
};

/* pure */
int maildir_host(sb *out, const char *host);          /* append escaped host */
int maildir_uniq(sb *out, uint64_t sec, uint64_t usec, uint64_t pid, uint64_t seq, const char *host);
int maildir_finalname(sb *out, const char *uniq, uint64_t size);  /* <uniq>,S=<size> */

void maildir_init(struct maildir_file *f);
/* Create dir/tmp/<unique>. host NULL = gethostname(); quota warnings pass
 * their own tag. */
int maildir_open(struct maildir_file *f, const char *dir, const char *host);
int maildir_write(struct maildir_file *f, const void *p, size_t n);
/* Copy fd (from its current offset) to the end. */
int maildir_copyfd(struct maildir_file *f, int fd);
/* Flush, fsync, close, link into dir/<sub>/<unique>,S=<size> (sub is
 * "new" or "cur"), unlink the tmp name, fsync <sub>. final (may be NULL)
 * gets the path of the delivered file. Always releases f's file. */
int maildir_commit(struct maildir_file *f, const char *sub, sb *final);
/* Give up: close and unlink the tmp file. Safe to call twice. */
void maildir_abort(struct maildir_file *f);
void maildir_free(struct maildir_file *f);

/* One whole delivery: prefix (may be NULL/0), then fd rewound to 0.
 * After a successful one, tmp/ is swept (maildir_cleantmp, 36 hours). */
int maildir_deliver(const char *dir, const char *prefix, size_t plen, int fd, sb *final);

/* Maildir's rule for tmp/: a file neither read nor written for 36 hours
 * is a leftover of a delivery that died (killed between creating and
 * linking it) and is removed. Only regular files whose atime and mtime
 * are both before `before` (seconds since the epoch); at most MD_SWEEPMAX
 * entries are looked at per call. Returns how many were removed, -1 if
 * tmp/ cannot be read. */
#define MD_TMPAGE (36 * 3600)
#define MD_SWEEPMAX 1000
int maildir_cleantmp(const char *dir, int64_t before);

/* mkdir dir, dir/tmp, dir/new, dir/cur with mode. 0 ok, -1 error (errno). */
int maildir_make(const char *dir, mode_t mode);
/* The same, but what exists already is fine: two first deliveries may
 * race to create a new user's Maildir. */
int maildir_ensure(const char *dir, mode_t mode);

#endif
