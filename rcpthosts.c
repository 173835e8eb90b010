#include "rcpthosts.h"
#include "ctl.h"
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

int rh_walk(const char *dom, size_t len, int suffix,
            int (*lookup)(void *ctx, const char *key, size_t n), void *ctx)
{
  for (size_t j = 0; j < len; ++j) {
    if (j && (!suffix || dom[j] != '.')) continue;
    int r = lookup(ctx, dom + j, len - j);
    if (r) return r;
  }
  return 0;
}

static int list_lookup(void *ctx, const char *key, size_t n)
{
  return addrlist_match(ctx, key, n, AL_FULL);
}

/* cdb keys are lower-cased by qmail-cdb; callers pass lower-case keys */
static int cdb_lookup(void *ctx, const char *key, size_t n)
{
  struct rh_cdb *c = ctx;
  int r;
  if (n > 0xffffffffu) return 0;
  r = cdb_find(&c->c, key, (unsigned)n);
  return r > 0 ? 1 : r < 0 ? -1 : 0;
}

static int cdb_open(struct rh_cdb *c, const char *name)
{
  sb path = SB_INIT;
  c->fd = -1;
  if (!sb_cats(&path, ctl_dir()) || !sb_catc(&path, '/') || !sb_cats(&path, name)) { sb_free(&path); return -1; }
  c->fd = open(path.s, O_RDONLY | O_CLOEXEC);
  sb_free(&path);
  if (c->fd < 0) return errno == ENOENT ? 0 : -1;
  if (cdb_init(&c->c, c->fd) < 0) { close(c->fd); c->fd = -1; return -1; }
  return 1;
}

static void cdb_close(struct rh_cdb *c)
{
  if (c->fd < 0) return;
  cdb_free(&c->c);
  close(c->fd);
  c->fd = -1;
}


int rcpthosts_init(struct rcpthosts *h, int nolocal)
{
  struct addrlist empty = ADDRLIST_INIT;
  h->nolocal = nolocal;
  h->locals = empty;
  h->rh = empty;
  h->key.s = 0; h->key.len = 0; h->key.cap = 0;
  h->localscdb.fd = h->rhcdb.fd = h->mrhcdb.fd = -1;
  int r = cdb_open(&h->localscdb, "locals.cdb");
  if (r < 0) goto fail;
  if (!r && addrlist_ctl("locals", &h->locals) < 0) goto fail;
  r = cdb_open(&h->rhcdb, "rcpthosts.cdb");
  if (r < 0) goto fail;
  if (!r) {
    if (addrlist_ctl("rcpthosts", &h->rh) < 0) goto fail;
    if (cdb_open(&h->mrhcdb, "morercpthosts.cdb") < 0) goto fail;
  }
  return 0;
fail:
  r = errno;
  rcpthosts_free(h);
  errno = r;
  return -1;
}

/* The lower-cased domain of addr in h->key; 0 if there is no '@'. */
static int domain(struct rcpthosts *h, const char *addr, size_t len, int *err)
{
  size_t at = len;
  *err = 0;
  while (at > 0) if (addr[--at] == '@') goto found;
  return 0;
found:
  if (!sb_copyb(&h->key, addr + at + 1, len - at - 1)) { *err = 1; return 0; }
  sb_lower(&h->key);
  return 1;
}

static int islocal(struct rcpthosts *h)
{
  if (h->localscdb.fd >= 0) return cdb_lookup(&h->localscdb, h->key.s, h->key.len);
  return addrlist_match(&h->locals, h->key.s, h->key.len, AL_FULL);
}

int rcpthosts_local(struct rcpthosts *h, const char *addr, size_t len)
{
  int err;
  if (!domain(h, addr, len, &err)) return err ? -1 : 0;
  if (!h->key.len) return 0;
  return islocal(h);
}

int rcpthosts_allowed(struct rcpthosts *h, const char *addr, size_t len)
{
  int err, r;
  if (!domain(h, addr, len, &err)) return err ? -1 : 1;
  if (!h->key.len) return 0;
  if (!h->nolocal && (r = islocal(h)) != 0) return r;
  if (h->rhcdb.fd >= 0) return rh_walk(h->key.s, h->key.len, 1, cdb_lookup, &h->rhcdb);
  if ((r = rh_walk(h->key.s, h->key.len, 1, list_lookup, &h->rh)) != 0) return r;
  if (h->mrhcdb.fd >= 0) return rh_walk(h->key.s, h->key.len, 1, cdb_lookup, &h->mrhcdb);
  return 0;
}

void rcpthosts_free(struct rcpthosts *h)
{
  addrlist_free(&h->locals);
  addrlist_free(&h->rh);
  cdb_close(&h->localscdb);
  cdb_close(&h->rhcdb);
  cdb_close(&h->mrhcdb);
  sb_free(&h->key);
}
