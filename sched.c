#include "sched.h"

uint64_t sched_isqrt(uint64_t x)
{
  /* bit-by-bit square root: exact for all 64-bit inputs */
  uint64_t r = 0, bit = (uint64_t)1 << 62;
  while (bit > x) bit >>= 2;
  while (bit) {
    if (x >= r + bit) { x -= r + bit; r = (r >> 1) + bit; }
    else r >>= 1;
    bit >>= 2;
  }
  return r;
}

int64_t sched_nextretry(int64_t birth, int64_t now, unsigned skip)
{
  uint64_t n = 0, sq, mag;
  if (now > birth) n = sched_isqrt((uint64_t)now - (uint64_t)birth);
  n += skip;
  if (n > UINT32_MAX) return INT64_MAX;     /* n*n would overflow */
  sq = n * n;
  if (!sq) return birth;
  if (birth >= 0) {
    if (sq > (uint64_t)(INT64_MAX - birth)) return INT64_MAX;
    return birth + (int64_t)sq;
  }
  mag = (uint64_t)0 - (uint64_t)birth;      /* |birth|, at most 2^63 */
  if (sq >= mag) return sq - mag > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)(sq - mag);
  return -(int64_t)(mag - sq);              /* mag - sq < 2^63 as sq > 0 */
}

int sched_dying(int64_t birth, int64_t now, uint64_t lifetime)
{
  if (now <= birth) return 0;
  return (uint64_t)now - (uint64_t)birth > lifetime;
}
