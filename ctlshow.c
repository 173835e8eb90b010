#include "ctlshow.h"
#include <errno.h>
#include <string.h>

static int safecat(sb *out, const char *v, size_t n)
{
  for (size_t i = 0; i < n; ++i) {
    unsigned char c = (unsigned char)v[i];
    if (!sb_catc(out, c < 32 || c > 126 ? '?' : (char)c)) return 0;
  }
  return 1;
}

int ctlshow_phrase(sb *out, const struct ctl_def *d, const char *v, size_t n)
{
  const char *t = d->show, *p;
  if (!t) {
    /* a row without wording: the value, then what it is for */
    if (!safecat(out, v, n)) return 0;
    if (d->meaning && *d->meaning)
      return sb_cats(out, " (") && sb_cats(out, d->meaning) && sb_catc(out, ')');
    return 1;
  }
  p = strstr(t, "%s");
  if (!p) return sb_cats(out, t);
  return sb_catb(out, t, (size_t)(p - t)) && safecat(out, v, n) && sb_cats(out, p + 2);
}

static int head(sb *out, const struct ctl_def *d)
{
  return sb_cats(out, d->name) && sb_cats(out, ":");
}

static int unset(sb *out, const struct ctl_def *d)
{
  return sb_cats(out, d->unset ? d->unset : "Not set.");
}

static int oops(sb *out, const struct ctl_def *d, int err)
{
  if (!head(out, d)) return 0;
  if (err == EINVAL) return sb_cats(out, " Oops! Not a number.\n");
  return sb_cats(out, " Oops! Trouble reading this file: ") && sb_cats(out, strerror(err)) &&
         sb_cats(out, ".\n");
}

int ctlshow_scalar(sb *out, const struct ctl_def *d, int r, int err, const char *v, size_t n)
{
  if (r < 0) return oops(out, d, err);
  if (!head(out, d) || !sb_catc(out, ' ')) return 0;
  if (r == 0 && !sb_cats(out, "(Default.) ")) return 0;
  if (!(n ? ctlshow_phrase(out, d, v, n) : unset(out, d))) return 0;
  return sb_catc(out, '\n');
}

/* entries: items each followed by \0 */
static int items(sb *out, const struct ctl_def *d, int r, const char *e, size_t len, int sep)
{
  size_t i = 0, count = 0;
  if (!head(out, d)) return 0;
  if (r == 0) {
    if (!sb_cats(out, " (Default.) ")) return 0;
    if (!len) return unset(out, d) && sb_catc(out, '\n');
  } else if (!len) {
    return sb_cats(out, " Empty file. ") && unset(out, d) && sb_catc(out, '\n');
  }
  while (i < len) {
    const char *z = memchr(e + i, sep, len - i);
    size_t n = z ? (size_t)(z - (e + i)) : len - i;
    /* a file's entries start on their own lines; a default stays inline */
    if ((r == 1 || count) && !sb_catc(out, '\n')) return 0;
    if (!ctlshow_phrase(out, d, e + i, n)) return 0;
    ++count;
    i += n + 1;
  }
  return sb_catc(out, '\n');
}

int ctlshow_list(sb *out, const struct ctl_def *d, int r, int err, const char *entries, size_t len)
{
  if (r < 0) return oops(out, d, err);
  return items(out, d, r, entries, len, 0);
}

int ctlshow_raw(sb *out, const struct ctl_def *d, int r, int err, const char *text, size_t len)
{
  if (r < 0) return oops(out, d, err);
  /* the final newline ends the last line; it does not start another */
  if (len && text[len - 1] == '\n') --len;
  return items(out, d, r, text, len, '\n');
}

int ctlshow_cdb(sb *out, const struct ctl_def *d, int exists, int err, int64_t entries,
                const char *src, int stale)
{
  if (exists < 0) return oops(out, d, err);
  if (!head(out, d) || !sb_catc(out, ' ')) return 0;
  if (!exists) return sb_cats(out, "(Default.) ") && sb_cats(out, d->unset ? d->unset : "No effect.") &&
                      sb_catc(out, '\n');
  if (entries < 0) return sb_cats(out, "Oops! This is not a valid cdb file.\n");
  sb num = SB_INIT;
  int ok = sb_catu64(&num, (uint64_t)entries) && ctlshow_phrase(out, d, num.s, num.len);
  sb_free(&num);
  if (!ok) return 0;
  if (src) {
    if (stale)
      ok = sb_cats(out, " Oops! ") && sb_cats(out, d->name) && sb_cats(out, " is older than ") &&
           sb_cats(out, src) && sb_cats(out, "; rebuild it.");
    else
      ok = sb_cats(out, " Modified after ") && sb_cats(out, src) && sb_cats(out, "; hopefully up to date.");
    if (!ok) return 0;
  }
  return sb_catc(out, '\n');
}

int ctlshow_obsolete(sb *out, const struct ctl_def *d)
{
  if (!head(out, d) || !sb_cats(out, " No longer used, please remove.")) return 0;
  if (d->meaning && *d->meaning && strcmp(d->meaning, "no longer used"))
    if (!sb_cats(out, " (") || !sb_cats(out, d->meaning) || !sb_catc(out, ')')) return 0;
  return sb_catc(out, '\n');
}

int ctlshow_unknown(sb *out, const char *name)
{
  return safecat(out, name, strlen(name)) && sb_cats(out, ": I have no idea what this file does.\n");
}

const struct ctl_def *ctlshow_cdbsource(const struct ctl_def *d)
{
  char buf[256];
  size_t n = strlen(d->name);
  const struct ctl_def *s;
  if (n < 5 || strcmp(d->name + n - 4, ".cdb") || n - 4 + sizeof ".rules" > sizeof buf) return 0;
  memcpy(buf, d->name, n - 4);
  buf[n - 4] = 0;
  if ((s = ctl_find(buf)) && s->type != CTL_CDB && s->type != CTL_OBSOLETE) return s;
  memcpy(buf + n - 4, ".rules", sizeof ".rules");
  if ((s = ctl_find(buf)) && s->type != CTL_CDB && s->type != CTL_OBSOLETE) return s;
  return 0;
}
