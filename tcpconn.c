#include "tcpconn.h"
#include "dns.h"
#include "io.h"
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int tcpsrc_parse(struct tcpsrc *s, const char *text)
{
  static const unsigned char zero[16];
  int family;
  memset(s, 0, sizeof *s);
  if (!dns_literal(text, strlen(text), &family, s->a)) return 0;
  if (memcmp(s->a, zero, family == AF_INET ? 4 : 16)) s->family = family;
  return 1;
}

static socklen_t sockaddr_of(struct sockaddr_storage *ss, int family, const unsigned char *a, unsigned port)
{
  memset(ss, 0, sizeof *ss);
  if (family == AF_INET) {
    struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
    s4->sin_family = AF_INET;
    s4->sin_port = htons((unsigned short)port);
    memcpy(&s4->sin_addr, a, 4);
    return sizeof *s4;
  }
  struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
  s6->sin6_family = AF_INET6;
  s6->sin6_port = htons((unsigned short)port);
  memcpy(&s6->sin6_addr, a, 16);
  return sizeof *s6;
}

static int fail(int fd, int e)
{
  close(fd);
  errno = e;
  return -1;
}

int tcp_connect(int family, const unsigned char *addr, unsigned port, const struct tcpsrc *src, unsigned timeout)
{
  struct sockaddr_storage ss;
  socklen_t sl;
  int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return -1;
  if (src && src->family == family) {
    sl = sockaddr_of(&ss, family, src->a, 0);
    if (bind(fd, (struct sockaddr *)&ss, sl) < 0) return fail(fd, errno);
  }
  sl = sockaddr_of(&ss, family, addr, port);
  if (connect(fd, (struct sockaddr *)&ss, sl) < 0) {
    if (errno != EINPROGRESS) return fail(fd, errno);
    struct pollfd p = {.fd = fd, .events = POLLOUT};
    int k;
    do k = poll(&p, 1, timeout > 86400 ? 86400000 : (int)timeout * 1000);
    while (k < 0 && errno == EINTR);
    if (k < 0) return fail(fd, errno);
    if (k == 0) return fail(fd, ETIMEDOUT);
    int err = 0;
    socklen_t el = sizeof err;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) < 0) return fail(fd, errno);
    if (err) return fail(fd, err);
  }
  if (fd_block(fd) < 0) return fail(fd, errno);
  return fd;
}
