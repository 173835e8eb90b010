/* bench/pwbench.c: the pure password-hashing cost of auth_smtp's compare
 * mode: pw_check() from libq.a (pwcheck.c, the one checker) on stored
 * userPassword values, no directory, no process start. Built by
 * bench/smtp-auth with cc -O2 against an instance's libq.a; not one of
 * the Makefile's programs.
 *
 * usage: pwbench [-t seconds] [-m entries] FILE
 * FILE: "login<TAB>password<TAB>userPassword" lines (bench/smtp-auth's
 * credentials). The first -m entries (default 20) are checked first:
 * each must match its password and must not match it with "x" appended
 * (exit 111 otherwise: the directory would refuse every login). Then
 * the checks are timed, cycling over those entries, for at least -t
 * seconds of CPU each (default 1): the right passwords, then wrong ones.
 * Output: one line, scheme=<first value's scheme> entries= right_checks=
 * right_us= wrong_checks= wrong_us= (CPU microseconds per pw_check).
 */
#define _GNU_SOURCE
#include "pwcheck.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* libq.a's die.o wants it */
const char *progname = "pwbench";

#define LINE_MAX_ 4096
#define ENTRIES_MAX 10000

struct ent { char *pass, *wrong, *stored; size_t slen; };

static _Noreturn void fail(const char *m, const char *d)
{
  fprintf(stderr, "pwbench: %s%s%s\n", m, d ? ": " : "", d ? d : "");
  exit(111);
}

static double cpu(void)
{
  struct timespec t;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static unsigned long num(const char *s, unsigned long max)
{
  char *e;
  errno = 0;
  unsigned long v = strtoul(s, &e, 10);
  if (!*s || *e || errno || !v || v > max) { fprintf(stderr, "pwbench: bad number %s\n", s); exit(100); }
  return v;
}

/* pw_check on every entry in turn until secs of CPU have gone by */
static void timeit(const struct ent *e, size_t n, int wrong, double secs, unsigned long *checks, double *us)
{
  unsigned long k = 0;
  double t0 = cpu(), t;
  do {
    const struct ent *x = &e[k % n];
    int r = pw_check(x->stored, x->slen, wrong ? x->wrong : x->pass, 0);
    if (r != (wrong ? PW_NOMATCH : PW_MATCH)) fail("pw_check changed its mind", pw_result_text(r));
    k++;
  } while ((t = cpu() - t0) < secs || k < n);
  *checks = k;
  *us = t * 1e6 / (double)k;
}

int main(int argc, char **argv)
{
  double secs = 1;
  size_t max = 20;
  int c;
  while ((c = getopt(argc, argv, "t:m:")) != -1) {
    if (c == 't') secs = (double)num(optarg, 3600);
    else if (c == 'm') max = num(optarg, ENTRIES_MAX);
    else { fprintf(stderr, "usage: pwbench [-t seconds] [-m entries] FILE\n"); return 100; }
  }
  if (argc - optind != 1) { fprintf(stderr, "usage: pwbench [-t seconds] [-m entries] FILE\n"); return 100; }
  FILE *f = fopen(argv[optind], "r");
  if (!f) fail("cannot open", argv[optind]);
  struct ent *e = calloc(max, sizeof *e);
  if (!e) fail("out of memory", 0);
  size_t n = 0;
  char line[LINE_MAX_];
  while (n < max && fgets(line, sizeof line, f)) {
    size_t l = strlen(line);
    if (l && line[l - 1] == '\n') line[--l] = 0;
    else if (!feof(f)) fail("line too long", 0);
    char *t1 = strchr(line, '\t'), *t2 = t1 ? strchr(t1 + 1, '\t') : 0;
    if (!t2 || t2 == t1 + 1 || !t2[1]) fail("not login<TAB>password<TAB>userPassword", line);
    *t2 = 0;
    e[n].pass = strdup(t1 + 1);
    e[n].stored = strdup(t2 + 1);
    e[n].slen = strlen(t2 + 1);
    if (!e[n].pass || !e[n].stored || asprintf(&e[n].wrong, "%sx", t1 + 1) < 0) fail("out of memory", 0);
    n++;
  }
  if (ferror(f)) fail("cannot read", argv[optind]);
  fclose(f);
  if (!n) fail("no entries", argv[optind]);
  for (size_t i = 0; i < n; ++i) {
    int r = pw_check(e[i].stored, e[i].slen, e[i].pass, 0);
    if (r != PW_MATCH) fail("the right password does not match", pw_result_text(r));
    r = pw_check(e[i].stored, e[i].slen, e[i].wrong, 0);
    if (r != PW_NOMATCH) fail("a wrong password does not give 'wrong password'", pw_result_text(r));
  }
  /* the scheme as shown: {SCHEME}, plus the crypt method's $id$ */
  char scheme[64];
  const char *s = e[0].stored, *end = strchr(s, '}');
  size_t sl = end ? (size_t)(end - s) + 1 : 0;
  if (s[sl] == '$') {
    const char *d = strchr(s + sl + 1, '$');
    if (d) sl = (size_t)(d - s) + 1;
  }
  if (sl >= sizeof scheme) sl = sizeof scheme - 1;
  memcpy(scheme, s, sl);
  scheme[sl] = 0;
  unsigned long rc, wc;
  double ru, wu;
  timeit(e, n, 0, secs, &rc, &ru);
  timeit(e, n, 1, secs, &wc, &wu);
  printf("scheme=%s entries=%zu right_checks=%lu right_us=%.1f wrong_checks=%lu wrong_us=%.1f\n",
         sl ? scheme : "bare", n, rc, ru, wc, wu);
  return 0;
}
