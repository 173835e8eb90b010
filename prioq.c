#include "prioq.h"
#include <errno.h>
#include <stdlib.h>

static int before(const struct prioq_elt *a, const struct prioq_elt *b)
{
  if (a->due != b->due) return a->due < b->due;
  return a->seq < b->seq;
}

int prioq_insert(struct prioq *q, int64_t due, uint64_t id)
{
  size_t i;
  if (q->len == q->cap) {
    size_t ncap = q->cap ? q->cap * 2 : 64;
    struct prioq_elt *np;
    if (ncap < q->cap || ncap > SIZE_MAX / sizeof *np) { errno = ENOMEM; return 0; }
    np = realloc(q->p, ncap * sizeof *np);
    if (!np) { errno = ENOMEM; return 0; }
    q->p = np; q->cap = ncap;
  }
  i = q->len++;
  struct prioq_elt e = { due, id, q->seq++ };
  while (i > 0) {
    size_t parent = (i - 1) / 2;
    if (!before(&e, &q->p[parent])) break;
    q->p[i] = q->p[parent];
    i = parent;
  }
  q->p[i] = e;
  return 1;
}

int prioq_min(const struct prioq *q, struct prioq_elt *out)
{
  if (!q->len) return 0;
  *out = q->p[0];
  return 1;
}

/* move e down from hole i of a heap of n entries */
static void siftdown(struct prioq_elt *p, size_t n, size_t i, struct prioq_elt e)
{
  for (;;) {
    size_t l = 2 * i + 1, r = l + 1, m;
    if (l >= n) break;
    m = (r < n && before(&p[r], &p[l])) ? r : l;
    if (!before(&p[m], &e)) break;
    p[i] = p[m];
    i = m;
  }
  p[i] = e;
}

void prioq_delmin(struct prioq *q)
{
  if (!q->len) return;
  if (--q->len) siftdown(q->p, q->len, 0, q->p[q->len]);
}

void prioq_setall(struct prioq *q, int64_t t)
{
  /* equal times leave seq as the order: rebuild the heap on it */
  for (size_t i = 0; i < q->len; ++i) q->p[i].due = t;
  for (size_t k = q->len / 2; k-- > 0;) siftdown(q->p, q->len, k, q->p[k]);
}

void prioq_free(struct prioq *q)
{
  free(q->p);
  q->p = 0; q->len = q->cap = 0;
}
