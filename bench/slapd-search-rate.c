/* bench/slapd-search-rate.c: raw directory searches/s, the denominator
 * of bench/rcpt-verify (built by bench/slapd-search-rate with cc -O2;
 * not one of the Makefile's programs).
 *
 * C threads, each with its own connection (anonymous simple bind), each
 * running synchronous subtree searches one after another, as
 * qmail-verify and Postfix's LDAP table do: the filter qmail builds for
 * an address, (&(objectClass=qmailUser)(|(mail=A)(mailAlternateAddress=A))),
 * with the attributes a delivery lookup asks for and size limit 2.
 *
 * usage: slapd-search-rate [-c connections] [-n searches] [-m known|unknown]
 *          [-u users] [-d domain] [-r seed] [-C] uri base
 *   unknown: A = nouser<N>@domain (absent); known: user<N>@domain, N in 1..users
 *   -C  the whole catch-all chain in one filter, as qmail-verify asks:
 *       (&(objectClass=qmailUser)(|(|(mail=A)(mailAlternateAddress=A))
 *         (|(mail=catchall@domain)(mailAlternateAddress=catchall@domain))))
 * Output: one line of key=value pairs. Exit 0, or 111 on any LDAP error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <lber.h>
#include <ldap.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#define CONN_MAX 256

static const char *const attrs[] = {
  "mail", "mailAlternateAddress", "uid", "qmailUID", "qmailGID", "accountStatus", "mailHost", "mailMessageStore",
  "homeDirectory", "mailQuotaSize", "mailQuotaCount", "mailForwardingAddress", "deliveryProgramPath",
  "deliveryMode", "mailReplyText", "qmailDotMode", "mailSizeMax", "objectClass", 0
};

static struct {
  unsigned conns;
  uint64_t total, users, seed;
  int known, chain;
  const char *domain, *uri, *base;
} opt = {10, 20000, 1000, 1, 0, 0, "example.com", 0, 0};

static atomic_uint_fast64_t issued, found, absent, errors;

static double now(void)
{
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static uint64_t num(const char *s, uint64_t max)
{
  char *e;
  errno = 0;
  unsigned long long v = strtoull(s, &e, 10);
  if (!*s || *e || errno || v > max) { fprintf(stderr, "slapd-search-rate: bad number %s\n", s); exit(100); }
  return v;
}

static void *worker(void *arg)
{
  uint64_t rng = opt.seed * 0x9e3779b97f4a7c15ull + (uintptr_t)arg * 2 + 1;
  LDAP *ld;
  int v3 = LDAP_VERSION3, rc;
  struct berval none = {0, 0};
  char addr[300], filter[1200];
  if (ldap_initialize(&ld, opt.uri) != LDAP_SUCCESS) { atomic_fetch_add(&errors, 1); return 0; }
  ldap_set_option(ld, LDAP_OPT_PROTOCOL_VERSION, &v3);
  ldap_set_option(ld, LDAP_OPT_REFERRALS, LDAP_OPT_OFF);
  if ((rc = ldap_sasl_bind_s(ld, 0, LDAP_SASL_SIMPLE, &none, 0, 0, 0)) != LDAP_SUCCESS) {
    fprintf(stderr, "slapd-search-rate: bind: %s\n", ldap_err2string(rc));
    atomic_fetch_add(&errors, 1);
    ldap_unbind_ext_s(ld, 0, 0);
    return 0;
  }
  while (atomic_fetch_add(&issued, 1) < opt.total) {
    rng ^= rng >> 12; rng ^= rng << 25; rng ^= rng >> 27;
    uint64_t r = rng * 2685821657736338717ull;
    if (opt.known) snprintf(addr, sizeof addr, "user%llu@%s", (unsigned long long)(r % opt.users + 1), opt.domain);
    else snprintf(addr, sizeof addr, "nouser%llu@%s", (unsigned long long)(r % 100000000 + 1), opt.domain);
    if (opt.chain)
      snprintf(filter, sizeof filter,
               "(&(objectClass=qmailUser)(|(|(mail=%s)(mailAlternateAddress=%s))"
               "(|(mail=catchall@%s)(mailAlternateAddress=catchall@%s))))", addr, addr, opt.domain, opt.domain);
    else
      snprintf(filter, sizeof filter, "(&(objectClass=qmailUser)(|(mail=%s)(mailAlternateAddress=%s)))", addr, addr);
    struct timeval tv = {30, 0};
    LDAPMessage *res = 0;
    rc = ldap_search_ext_s(ld, opt.base, LDAP_SCOPE_SUBTREE, filter, (char **)attrs, 0, 0, 0, &tv, 2, &res);
    if (rc == LDAP_SUCCESS) {
      if (ldap_count_entries(ld, res) > 0) atomic_fetch_add(&found, 1);
      else atomic_fetch_add(&absent, 1);
    } else {
      fprintf(stderr, "slapd-search-rate: search: %s\n", ldap_err2string(rc));
      atomic_fetch_add(&errors, 1);
    }
    if (res) ldap_msgfree(res);
    if (rc != LDAP_SUCCESS) break;
  }
  ldap_unbind_ext_s(ld, 0, 0);
  return 0;
}

int main(int argc, char **argv)
{
  int c;
  while ((c = getopt(argc, argv, "c:n:m:u:d:r:C")) != -1) {
    switch (c) {
      case 'c': opt.conns = (unsigned)num(optarg, CONN_MAX); break;
      case 'n': opt.total = num(optarg, UINT64_MAX / 2); break;
      case 'm':
        if (!strcmp(optarg, "known")) opt.known = 1;
        else if (!strcmp(optarg, "unknown")) opt.known = 0;
        else { fprintf(stderr, "slapd-search-rate: -m known|unknown\n"); return 100; }
        break;
      case 'u': opt.users = num(optarg, UINT64_MAX / 2); break;
      case 'd': opt.domain = optarg; break;
      case 'r': opt.seed = num(optarg, UINT64_MAX); break;
      case 'C': opt.chain = 1; break;
      default:
        fprintf(stderr, "usage: slapd-search-rate [-c connections] [-n searches] [-m known|unknown] [-u users] "
                        "[-d domain] [-r seed] [-C] uri base\n");
        return 100;
    }
  }
  if (argc - optind != 2 || !opt.conns || !opt.users || strlen(opt.domain) > 200) {
    fprintf(stderr, "slapd-search-rate: bad arguments\n");
    return 100;
  }
  opt.uri = argv[optind];
  opt.base = argv[optind + 1];
  pthread_t th[CONN_MAX];
  double t0 = now();
  for (unsigned i = 0; i < opt.conns; ++i)
    if (pthread_create(&th[i], 0, worker, (void *)(uintptr_t)i)) { fprintf(stderr, "slapd-search-rate: pthread_create\n"); return 111; }
  for (unsigned i = 0; i < opt.conns; ++i) pthread_join(th[i], 0);
  double w = now() - t0;
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  uint64_t n = atomic_load(&found) + atomic_load(&absent);
  printf("searches=%llu found=%llu absent=%llu errors=%llu connections=%u wall=%.6f rate=%.1f cpu=%.6f\n",
         (unsigned long long)n, (unsigned long long)atomic_load(&found), (unsigned long long)atomic_load(&absent),
         (unsigned long long)atomic_load(&errors), opt.conns, w, w > 0 ? (double)n / w : 0.0,
         (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6);
  return atomic_load(&errors) ? 111 : 0;
}
