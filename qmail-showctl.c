/* qmail-showctl: the build settings, then every control file of ctl.c's
 * table with its value or default, in the words of ctlshow.c. */
#include "auto.h"
#include "ctl.h"
#include "ctlshow.h"
#include "die.h"
#include "priv.h"
#include "sb.h"
#include "wr.h"
#include <cdb.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const char *progname = "qmail-showctl";

static struct wr out;

static void putsb(sb *b)
{
  wr_put(&out, b->s, b->len);
  b->len = 0;
}

static void put_ids(const char *label, const char *const *names, size_t n, int groups)
{
  wr_puts(&out, label);
  wr_puts(&out, " names: ");
  for (size_t i = 0; i < n; ++i) { if (i) wr_puts(&out, ", "); wr_puts(&out, names[i]); }
  wr_puts(&out, ".\n");
  wr_puts(&out, label);
  wr_puts(&out, " ids: ");
  for (size_t i = 0; i < n; ++i) {
    uid_t u;
    gid_t g;
    int r = groups ? priv_group(names[i], &g) : priv_user(names[i], &u, 0);
    if (i) wr_puts(&out, ", ");
    if (r < 0) wr_puts(&out, "(missing)");
    else wr_putu64(&out, groups ? (uint64_t)g : (uint64_t)u);
  }
  wr_puts(&out, ".\n");
}

static void show_settings(void)
{
  static const char *const users[] = {AUTO_USERA, AUTO_USERD, AUTO_USERL, AUTO_USERO,
                                      AUTO_USERP, AUTO_USERQ, AUTO_USERR, AUTO_USERS};
  static const char *const groups[] = {AUTO_GROUPQ, AUTO_GROUPN};
  wr_puts(&out, "qmail home directory: " AUTO_QMAIL ".\n");
  wr_puts(&out, "user-ext delimiter: " AUTO_BREAK ".\n");
  wr_puts(&out, "paternalism (in decimal): ");
  wr_putu64(&out, AUTO_PATRN);
  wr_puts(&out, ".\nsilent concurrency limit: ");
  wr_putu64(&out, AUTO_SPAWN);
  wr_puts(&out, ".\nsubdirectory split: ");
  wr_putu64(&out, AUTO_SPLIT);
  wr_puts(&out, ".\n");
  put_ids("user", users, sizeof users / sizeof users[0], 0);
  put_ids("group", groups, sizeof groups / sizeof groups[0], 1);
}

static int ctlpath(sb *p, const char *name)
{
  p->len = 0;
  return sb_cats(p, ctl_dir()) && sb_catc(p, '/') && sb_cats(p, name);
}

/* Number of records, or -1 if fd is not a valid cdb. */
static int64_t cdb_entries(int fd)
{
  struct cdb c;
  unsigned pos;
  int64_t n = 0;
  int r;
  if (cdb_init(&c, fd) < 0) return -1;
  cdb_seqinit(&pos, &c);
  while ((r = cdb_seqnext(&pos, &c)) > 0) ++n;
  cdb_free(&c);
  return r < 0 ? -1 : n;
}

static int later(const struct stat *a, const struct stat *b)
{
  if (a->st_mtim.tv_sec != b->st_mtim.tv_sec) return a->st_mtim.tv_sec > b->st_mtim.tv_sec;
  return a->st_mtim.tv_nsec > b->st_mtim.tv_nsec;
}

static int show_cdb(sb *o, const struct ctl_def *d)
{
  sb p = SB_INIT;
  struct stat st, sst;
  const struct ctl_def *s = ctlshow_cdbsource(d);
  const char *src = 0;
  int64_t n = -1;
  int exists = 1, err = 0, stale = 0, fd;
  if (!ctlpath(&p, d->name)) die_nomem();
  fd = open(p.s, O_RDONLY | O_CLOEXEC);
  if (fd < 0) { err = errno; exists = err == ENOENT ? 0 : -1; }
  else if (fstat(fd, &st) < 0) { err = errno; exists = -1; }
  else {
    n = cdb_entries(fd);
    if (s) {
      if (!ctlpath(&p, s->name)) die_nomem();
      if (stat(p.s, &sst) == 0) { src = s->name; stale = later(&sst, &st); }
    }
  }
  if (fd >= 0) close(fd);
  sb_free(&p);
  return ctlshow_cdb(o, d, exists, err, n, src, stale);
}

static int show_obsolete(sb *o, const struct ctl_def *d)
{
  sb p = SB_INIT;
  struct stat st;
  int r;
  if (!ctlpath(&p, d->name)) die_nomem();
  r = lstat(p.s, &st);
  sb_free(&p);
  return r < 0 ? 1 : ctlshow_obsolete(o, d);
}

static int show_number(sb *o, const struct ctl_def *d)
{
  uint64_t u = 0;
  sb v = SB_INIT;
  int r = ctl_u64(d->name, &u), err = errno, ok;
  if (d->type == CTL_BOOL) u = u != 0;
  if (!sb_catu64(&v, u)) die_nomem();
  ok = ctlshow_scalar(o, d, r, err, v.s, v.len);
  sb_free(&v);
  return ok;
}

static int show_line(sb *o, const struct ctl_def *d)
{
  sb v = SB_INIT;
  int r = ctl_line(d->name, &v), err = errno, ok;
  if (r == 0 && !v.len && d->def && !strcmp(d->def, "$me")) {
    /* the default would be control/me, which is missing */
    ok = sb_cats(o, d->name) && sb_cats(o, ": (Default.) Oops! control/me is not set.\n");
  } else {
    ok = ctlshow_scalar(o, d, r, err, v.s, v.len);
  }
  if (v.s) memset(v.s, 0, v.len);   /* may be a password */
  sb_free(&v);
  return ok;
}

static int show_entry(sb *o, const struct ctl_def *d)
{
  sb v = SB_INIT;
  int r, err, ok;
  switch (d->type) {
  case CTL_LINE: return show_line(o, d);
  case CTL_INT:
  case CTL_BOOL: return show_number(o, d);
  case CTL_CDB: return show_cdb(o, d);
  case CTL_OBSOLETE: return show_obsolete(o, d);
  case CTL_LIST:
    r = ctl_list(d->name, &v); err = errno;
    ok = ctlshow_list(o, d, r, err, v.s, v.len);
    break;
  case CTL_RAW:
  default:
    r = ctl_raw(d->name, &v); err = errno;
    ok = ctlshow_raw(o, d, r, err, v.s, v.len);
    break;
  }
  sb_free(&v);
  return ok;
}

static int cmpname(const void *a, const void *b)
{
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Files in the control directory that the table does not know, sorted. */
static int show_unknown(sb *o, const char *dir)
{
  DIR *dp = opendir(dir);
  struct dirent *de;
  sb names = SB_INIT;
  size_t count = 0, i, pos;
  char **v;
  if (!dp) return -1;
  while ((de = readdir(dp))) {
    if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") || ctl_find(de->d_name)) continue;
    if (!sb_cats(&names, de->d_name) || !sb_cat0(&names)) die_nomem();
    ++count;   /* bounded by names.len, which sb checks */
  }
  closedir(dp);
  if (!count) { sb_free(&names); return 0; }
  if (count > SIZE_MAX / sizeof *v || !(v = malloc(count * sizeof *v))) die_nomem();
  for (i = 0, pos = 0; i < count; ++i) { v[i] = names.s + pos; pos += strlen(v[i]) + 1; }
  qsort(v, count, sizeof *v, cmpname);
  wr_puts(&out, "\n");
  for (i = 0; i < count; ++i) {
    if (!ctlshow_unknown(o, v[i])) die_nomem();
    putsb(o);
  }
  free(v);
  sb_free(&names);
  return 0;
}

int main(void)
{
  sb o = SB_INIT;
  struct stat st;
  wr_init(&out, 1, 0);
  show_settings();
  if (stat(ctl_dir(), &st) < 0 || !S_ISDIR(st.st_mode)) {
    wr_puts(&out, "Oops! Unable to use the control directory ");
    wr_puts(&out, ctl_dir());
    wr_puts(&out, ".\n");
    wr_flush(&out);
    return 111;
  }
  for (unsigned i = 0; i < ctl_count; ++i) {
    if (!show_entry(&o, &ctl_table[i])) die_nomem();
    if (o.len) { wr_puts(&out, "\n"); putsb(&o); }
  }
  if (show_unknown(&o, ctl_dir()) < 0) {
    wr_puts(&out, "\nOops! Unable to list the control directory.\n");
    wr_flush(&out);
    return 111;
  }
  sb_free(&o);
  if (wr_flush(&out) < 0) die(111, "unable to write output: %s", strerror(errno));
  return 0;
}
