/* sched: qmail-send's retry schedule and queue lifetime arithmetic (pure).
 * A deferred recipient of a message born at time b is retried at
 * b + (isqrt(now - b) + skip)^2, skip = 10 for local and 20 for remote
 * deliveries, so retries spread out quadratically: remote attempts at
 * about 0, 400, 1600, 3600, 6400 ... seconds after the message arrived. */
#ifndef SCHED_H
#define SCHED_H
#include <stdint.h>

#define SCHED_SKIP_LOCAL 10
#define SCHED_SKIP_REMOTE 20

/* floor(sqrt(x)) */
uint64_t sched_isqrt(uint64_t x);
/* Next attempt after a pass started at now; saturates instead of overflowing. */
int64_t sched_nextretry(int64_t birth, int64_t now, unsigned skip);
/* 1 if a message born at birth has outlived lifetime seconds at now. */
int sched_dying(int64_t birth, int64_t now, uint64_t lifetime);

#endif
