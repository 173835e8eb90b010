/* prioq: min-heap of (due time, message id) used by qmail-send's
 * schedulers. Entries with equal due times come out in insertion order,
 * so messages that became due together are served first come first served. */
#ifndef PRIOQ_H
#define PRIOQ_H
#include <stddef.h>
#include <stdint.h>

struct prioq_elt {
  int64_t due;
  uint64_t id;
  uint64_t seq;     /* tie breaker, set by prioq_insert */
};

struct prioq {
  struct prioq_elt *p;
  size_t len, cap;
  uint64_t seq;
};

#define PRIOQ_INIT {0, 0, 0, 0}

int prioq_insert(struct prioq *q, int64_t due, uint64_t id);   /* 1 ok, 0 nomem */
int prioq_min(const struct prioq *q, struct prioq_elt *out);    /* 1 if not empty */
void prioq_delmin(struct prioq *q);
/* Make every entry due at t (qmail-send's SIGALRM); order is kept. */
void prioq_setall(struct prioq *q, int64_t t);
void prioq_free(struct prioq *q);

#endif
