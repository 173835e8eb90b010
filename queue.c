#include "queue.h"
#include "auto.h"
#include <string.h>

static const char *const hashed[] = {"mess", "intd", "todo", "info", "local", "remote", 0};

unsigned qsplit(void) { return AUTO_SPLIT; }

int qdir_hashed(const char *dir)
{
  for (unsigned i = 0; hashed[i]; ++i)
    if (!strcmp(dir, hashed[i])) return 1;
  return 0;
}

int qpath(sb *out, const char *dir, uint64_t id)
{
  out->len = 0;
  if (!sb_cats(out, dir) || !sb_catc(out, '/')) return 0;
  if (qdir_hashed(dir)) {
    if (!sb_catu64(out, id % AUTO_SPLIT) || !sb_catc(out, '/')) return 0;
  }
  return sb_catu64(out, id);
}

void envelope_init(struct envelope *e) { memset(e, 0, sizeof *e); }
void envelope_free(struct envelope *e) { sb_free(&e->sender); sb_free(&e->rcpts); }

int envelope_parse(const char *buf, size_t len, struct envelope *e)
{
  size_t i = 0;
  int have_f = 0;
  e->sender.len = 0; e->rcpts.len = 0; e->nrcpt = 0;
  e->has_uid = e->has_pid = 0;
  while (i < len) {
    const char *z = memchr(buf + i, 0, len - i);
    if (!z) return -1;
    size_t n = (size_t)(z - (buf + i));
    const char *rec = buf + i;
    i += n + 1;
    if (n == 0) {                  /* terminator */
      if (!have_f || i != len) return -1;
      return 0;
    }
    switch (rec[0]) {
    case 'u':
      if (have_f || !scan_u64(rec + 1, n - 1, &e->uid)) return -1;
      e->has_uid = 1; break;
    case 'p':
      if (have_f || !scan_u64(rec + 1, n - 1, &e->pid)) return -1;
      e->has_pid = 1; break;
    case 'F':
      if (have_f) return -1;
      if (!sb_copyb(&e->sender, rec + 1, n - 1)) return -1;
      have_f = 1; break;
    case 'T':
      if (!have_f || n < 2) return -1;
      if (!sb_catb(&e->rcpts, rec + 1, n - 1) || !sb_cat0(&e->rcpts)) return -1;
      e->nrcpt++; break;
    default:
      return -1;
    }
  }
  return -1;                       /* no terminator */
}

int envelope_encode(const struct envelope *e, sb *out)
{
  out->len = 0;
  if (e->has_uid && (!sb_catc(out, 'u') || !sb_catu64(out, e->uid) || !sb_cat0(out))) return 0;
  if (e->has_pid && (!sb_catc(out, 'p') || !sb_catu64(out, e->pid) || !sb_cat0(out))) return 0;
  if (!sb_catc(out, 'F') || !sb_catsb(out, &e->sender) || !sb_cat0(out)) return 0;
  for (size_t i = 0; i < e->rcpts.len;) {
    size_t n = strlen(e->rcpts.s + i);
    if (!sb_catc(out, 'T') || !sb_catb(out, e->rcpts.s + i, n) || !sb_cat0(out)) return 0;
    i += n + 1;
  }
  return sb_cat0(out);
}
