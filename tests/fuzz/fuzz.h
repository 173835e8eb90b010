/* fuzz.h: what the libFuzzer harnesses (tests/fuzz/fuzz_<name>.c) share.
 * Each harness links the modules it tests from tests/fuzz/out/libfuzzq.a
 * (the tree's library sources built by clang with ASan+UBSan and fuzzer
 * coverage; see the Makefile's fuzz targets). A property violated is a
 * crash (abort with a message), so libFuzzer keeps the input. */
#ifndef FUZZ_H
#define FUZZ_H
#include "rd.h"
#include "sb.h"
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#ifndef FUZZ_NO_PROGNAME
const char *progname = "fuzz";   /* die.c and friends name the program */
#endif

#define FZ_CHECK(cond)                                                            \
  do {                                                                            \
    if (!(cond)) {                                                                \
      fprintf(stderr, "%s:%d: property failed: %s\n", __FILE__, __LINE__, #cond); \
      abort();                                                                    \
    }                                                                             \
  } while (0)

/* A module reporting "out of memory" is not a finding: the harness says
 * so and stops (libFuzzer's -rss_limit_mb catches real blow-ups). */
#define FZ_MEM(ok)                                            \
  do {                                                        \
    if (!(ok)) {                                              \
      fprintf(stderr, "%s:%d: out of memory\n", __FILE__, __LINE__); \
      abort();                                                \
    }                                                         \
  } while (0)

/* A small deterministic generator for chunk sizes and choices, seeded
 * from the input, so one input always runs the same way. */
static inline uint32_t fz_hash(const uint8_t *p, size_t n)
{
  uint32_t h = 2166136261u;
  for (size_t i = 0; i < n; ++i) h = (h ^ p[i]) * 16777619u;
  return h;
}
static inline uint32_t fz_next(uint32_t *s)
{
  *s ^= *s << 13;
  *s ^= *s >> 17;
  *s ^= *s << 5;
  return *s;
}

/* rd over a memory buffer: each read returns 1..chunk bytes (chunk 0:
 * sizes chosen by the generator), so records straddle buffer refills. */
struct fz_mem {
  const uint8_t *p;
  size_t len, pos, chunk;
  uint32_t rng;
};
static inline long fz_memread(void *ctx, void *buf, size_t n, int timeout)
{
  struct fz_mem *m = ctx;
  (void)timeout;
  if (m->pos >= m->len) return 0;
  size_t k = m->chunk ? m->chunk : 1 + fz_next(&m->rng) % 97;
  if (k > n) k = n;
  if (k > m->len - m->pos) k = m->len - m->pos;
  memcpy(buf, m->p + m->pos, k);
  m->pos += k;
  return (long)k;
}
static inline void fz_rd(struct rd *r, struct fz_mem *m, const uint8_t *p, size_t len, size_t chunk, uint32_t seed)
{
  m->p = p;
  m->len = len;
  m->pos = 0;
  m->chunk = chunk;
  m->rng = seed ? seed : 1;
  rd_init(r, -1, 0);
  rd_settransport(r, fz_memread, m);
}

/* Bytes consumed from the memory stream so far (read minus buffered). */
static inline size_t fz_consumed(const struct rd *r, const struct fz_mem *m)
{
  return m->pos - rd_buffered(r);
}

/* Reference UTF-8 check after the Unicode standard's table of well-formed
 * byte sequences (3.9, table 3-7), written independently of smtpcmd.c. */
static inline int fz_utf8_ref(const uint8_t *s, size_t n)
{
  size_t i = 0;
  while (i < n) {
    uint8_t a = s[i];
    size_t need;
    uint8_t lo = 0x80, hi = 0xbf;
    if (a <= 0x7f) { ++i; continue; }
    if (a >= 0xc2 && a <= 0xdf) need = 1;
    else if (a == 0xe0) { need = 2; lo = 0xa0; }
    else if ((a >= 0xe1 && a <= 0xec) || a == 0xee || a == 0xef) need = 2;
    else if (a == 0xed) { need = 2; hi = 0x9f; }
    else if (a == 0xf0) { need = 3; lo = 0x90; }
    else if (a >= 0xf1 && a <= 0xf3) need = 3;
    else if (a == 0xf4) { need = 3; hi = 0x8f; }
    else return 0;
    if (n - i - 1 < need) return 0;
    if (s[i + 1] < lo || s[i + 1] > hi) return 0;
    for (size_t k = 2; k <= need; ++k)
      if (s[i + k] < 0x80 || s[i + k] > 0xbf) return 0;
    i += need + 1;
  }
  return 1;
}

/* A NUL-terminated copy of p[0..n) (the harness frees it). */
static inline char *fz_str(const void *p, size_t n)
{
  char *s = malloc(n + 1);
  FZ_MEM(s);
  if (n) memcpy(s, p, n);
  s[n] = 0;
  return s;
}

#endif
