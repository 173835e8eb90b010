/* fuzz_dns: the DNS answer parsers qmail-remote and qmail-qmqpc use
 * (dns.h; packets from the network, through libresolv's ns_initparse),
 * and the address-literal and host:port parsers. The input is an answer
 * packet for MX, A and AAAA in turn. Properties: at most max MX records,
 * their names NUL-terminated within the buffer; the address list stays
 * within DNS_MAXIP with a family and a name per address; a literal
 * parsed is one inet_pton agrees with. */
#include "fuzz.h"
#include "dns.h"
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <sys/socket.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  static struct dns_mx mx[DNS_MAXMX];
  size_t n = 99999;
  uint32_t h = fz_hash(data, size);
  size_t max = 1 + h % DNS_MAXMX;
  int r = dns_parse_mx(data, size, mx, max, &n);
  FZ_CHECK(r == DNS_OK || r == DNS_SOFT || r == DNS_NOMEM || r == DNS_HARD || r == DNS_NODATA);
  if (r == DNS_OK) {
    FZ_CHECK(n <= max);
    for (size_t i = 0; i < n; ++i) FZ_CHECK(memchr(mx[i].name, 0, sizeof mx[i].name) != NULL && mx[i].pref <= 65535);
  }
  struct mxlist l = MXLIST_INIT;
  for (int t = 0; t < 2; ++t) {
    r = dns_parse_ip(data, size, t ? ns_t_aaaa : ns_t_a, h & 0xffff, &l);
    FZ_CHECK(r == DNS_OK || r == DNS_SOFT || r == DNS_NOMEM || r == DNS_HARD || r == DNS_NODATA);
    FZ_CHECK(l.n <= DNS_MAXIP);
    for (size_t i = 0; i < l.n; ++i) {
      FZ_CHECK(l.v[i].family == AF_INET || l.v[i].family == AF_INET6);
      char buf[80];
      mxip_fmt(&l.v[i], buf, sizeof buf);
      FZ_CHECK(memchr(buf, 0, sizeof buf));
      (void)mxlist_name(&l, i);
    }
  }
  mxlist_free(&l);

  /* the input as text: a literal, then host:port */
  if (size <= 300) {
    char *s = fz_str(data, size);
    int fam = 0;
    unsigned char a[16], b[16];
    if (dns_literal(s, size, &fam, a)) {
      FZ_CHECK(fam == AF_INET || fam == AF_INET6);
      char txt[INET6_ADDRSTRLEN];
      FZ_CHECK(inet_ntop(fam, a, txt, sizeof txt) && inet_pton(fam, txt, b) == 1);
      FZ_CHECK(!memcmp(a, b, fam == AF_INET ? 4 : 16));
    }
    sb host = SB_INIT;
    unsigned port = 12345;
    if (dns_hostport(s, &host, &port)) FZ_CHECK(port <= 65535 && host.len <= size + 1 && host.s[host.len - 1] == 0);   /* with its NUL */
    sb_free(&host);
    free(s);
  }
  return 0;
}
