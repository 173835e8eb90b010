#include "ipme.h"
#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

/* IPv4-mapped IPv6 addresses become plain IPv4 so both forms compare equal. */
static void normalize(int *family, const unsigned char **a)
{
  if (*family == AF_INET6 && !memcmp(*a, mapped, sizeof mapped)) {
    *family = AF_INET;
    *a += 12;
  }
}

int ipme_add(struct ipme *m, int family, const void *addr)
{
  const unsigned char *a = addr;
  struct ipme_addr *v;
  if (family != AF_INET && family != AF_INET6) return 0;
  normalize(&family, &a);
  if (ipme_is(m, family, a)) return 0;
  if (m->n >= SIZE_MAX / sizeof *v - 1) { errno = ENOMEM; return -1; }
  v = realloc(m->v, (m->n + 1) * sizeof *v);
  if (!v) return -1;
  m->v = v;
  memset(&v[m->n], 0, sizeof v[m->n]);
  v[m->n].family = family;
  memcpy(v[m->n].a, a, family == AF_INET ? 4 : 16);
  m->n++;
  return 0;
}

int ipme_init(struct ipme *m)
{
  struct ifaddrs *ifa, *p;
  struct in_addr any4;
  struct in6_addr any6 = IN6ADDR_ANY_INIT;
  m->n = 0;
  m->v = 0;
  any4.s_addr = htonl(INADDR_ANY);
  if (ipme_add(m, AF_INET, &any4) < 0 || ipme_add(m, AF_INET6, &any6) < 0) return -1;
  if (getifaddrs(&ifa) < 0) return -1;
  for (p = ifa; p; p = p->ifa_next) {
    int r = 0;
    if (!p->ifa_addr) continue;
    if (p->ifa_addr->sa_family == AF_INET)
      r = ipme_add(m, AF_INET, &((struct sockaddr_in *)(void *)p->ifa_addr)->sin_addr);
    else if (p->ifa_addr->sa_family == AF_INET6)
      r = ipme_add(m, AF_INET6, &((struct sockaddr_in6 *)(void *)p->ifa_addr)->sin6_addr);
    if (r < 0) { freeifaddrs(ifa); return -1; }
  }
  freeifaddrs(ifa);
  return 0;
}

int ipme_is(const struct ipme *m, int family, const void *addr)
{
  const unsigned char *a = addr;
  normalize(&family, &a);
  for (size_t i = 0; i < m->n; ++i)
    if (m->v[i].family == family && !memcmp(m->v[i].a, a, family == AF_INET ? 4 : 16)) return 1;
  return 0;
}

int ipme_is_text(const struct ipme *m, const char *ip)
{
  unsigned char a[16];
  if (inet_pton(AF_INET, ip, a) == 1) return ipme_is(m, AF_INET, a);
  if (inet_pton(AF_INET6, ip, a) == 1) return ipme_is(m, AF_INET6, a);
  return 0;
}

void ipme_free(struct ipme *m)
{
  free(m->v);
  m->v = 0;
  m->n = 0;
}
