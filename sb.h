/* sb: growable byte buffer with overflow-checked sizes.
 * All functions return 1 on success, 0 on failure (ENOMEM or size overflow,
 * errno set). s is always NUL-terminated after a successful call, but len
 * never counts that terminator, so sb can hold binary data with NULs. */
#ifndef SB_H
#define SB_H
#include <stddef.h>
#include <stdint.h>

typedef struct {
  char *s;
  size_t len;
  size_t cap;
} sb;

#define SB_INIT {0, 0, 0}

int sb_ready(sb *b, size_t n);          /* room for n bytes in total */
int sb_catb(sb *b, const void *p, size_t n);
int sb_cats(sb *b, const char *s);
int sb_catc(sb *b, char c);
int sb_catu64(sb *b, uint64_t u);
int sb_cati64(sb *b, int64_t i);
int sb_cat0(sb *b);                     /* append a counted NUL byte */
int sb_copyb(sb *b, const void *p, size_t n);
int sb_copys(sb *b, const char *s);
int sb_catsb(sb *b, const sb *src);
int sb_copysb(sb *b, const sb *src);
int sb_fmt(sb *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sb_trunc(sb *b, size_t n);         /* shorten to n (n <= len) */
void sb_lower(sb *b);                   /* ASCII lower-case in place */
void sb_free(sb *b);

/* overflow-checked arithmetic helpers */
int add_size(size_t a, size_t b, size_t *out);
int add_u64(uint64_t a, uint64_t b, uint64_t *out);
int mul_u64(uint64_t a, uint64_t b, uint64_t *out);

/* strict decimal parse of p[0..n): digits only, no sign, no overflow */
int scan_u64(const char *p, size_t n, uint64_t *out);
/* same for a NUL-terminated string */
int scan_u64s(const char *s, uint64_t *out);
/* strict signed decimal */
int scan_i64(const char *p, size_t n, int64_t *out);

#endif
