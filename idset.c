#include "idset.h"
#include <errno.h>
#include <stdlib.h>

static size_t slot(uint64_t id, size_t cap)
{
  id ^= id >> 33; id *= 0xff51afd7ed558ccdULL; id ^= id >> 33;   /* mix */
  return (size_t)id & (cap - 1);
}

static int find(const struct idset *s, uint64_t id, size_t *at)
{
  size_t i;
  if (!s->cap) return 0;
  for (i = slot(id, s->cap); s->used[i]; i = (i + 1) & (s->cap - 1))
    if (s->key[i] == id) { *at = i; return 1; }
  *at = i;
  return 0;
}

int idset_has(const struct idset *s, uint64_t id)
{
  size_t i;
  return find(s, id, &i);
}

static int grow(struct idset *s)
{
  size_t ncap = s->cap ? s->cap * 2 : 256;
  struct idset n = IDSET_INIT;
  if (ncap < s->cap || ncap > SIZE_MAX / sizeof(uint64_t)) { errno = ENOMEM; return 0; }
  n.key = malloc(ncap * sizeof(uint64_t));
  n.used = calloc(ncap, 1);
  if (!n.key || !n.used) { free(n.key); free(n.used); errno = ENOMEM; return 0; }
  n.cap = ncap;
  for (size_t i = 0; i < s->cap; ++i)
    if (s->used[i]) {
      size_t j;
      find(&n, s->key[i], &j);
      n.used[j] = 1; n.key[j] = s->key[i]; n.len++;
    }
  free(s->key); free(s->used);
  *s = n;
  return 1;
}

int idset_add(struct idset *s, uint64_t id)
{
  size_t i;
  if (find(s, id, &i)) return 1;
  if ((s->len + 1) * 2 > s->cap) {      /* keep load at most 1/2 */
    if (!grow(s)) return 0;
    find(s, id, &i);
  }
  s->used[i] = 1; s->key[i] = id; s->len++;
  return 1;
}

void idset_del(struct idset *s, uint64_t id)
{
  size_t i, j, mask;
  if (!find(s, id, &i)) return;
  mask = s->cap - 1;
  s->used[i] = 0; s->len--;
  /* backward-shift the rest of the cluster so lookups need no tombstones */
  for (j = (i + 1) & mask; s->used[j]; j = (j + 1) & mask) {
    size_t home = slot(s->key[j], s->cap);
    /* move j into hole i unless its home lies cyclically in (i, j] */
    int stays = i <= j ? (home > i && home <= j) : (home > i || home <= j);
    if (stays) continue;
    s->key[i] = s->key[j]; s->used[i] = 1; s->used[j] = 0;
    i = j;
  }
}

void idset_free(struct idset *s)
{
  free(s->key); free(s->used);
  s->key = 0; s->used = 0; s->cap = s->len = 0;
}
