#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "tcpconn.h"

const char *progname = "test_tcpconn";

static int listener(unsigned *port)
{
  struct sockaddr_in s;
  socklen_t sl = sizeof s;
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  assert_true(fd >= 0);
  memset(&s, 0, sizeof s);
  s.sin_family = AF_INET;
  s.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  assert_int_equal(bind(fd, (struct sockaddr *)&s, sizeof s), 0);
  assert_int_equal(listen(fd, 5), 0);
  assert_int_equal(getsockname(fd, (struct sockaddr *)&s, &sl), 0);
  *port = ntohs(s.sin_port);
  return fd;
}

static void t_connect(void **st)
{
  (void)st;
  unsigned port;
  int l = listener(&port);
  unsigned char lo[16] = {127, 0, 0, 1};
  struct tcpsrc src;
  assert_true(tcpsrc_parse(&src, "127.0.0.1"));
  assert_int_equal(src.family, AF_INET);
  int fd = tcp_connect(AF_INET, lo, port, &src, 5);
  assert_true(fd >= 0);
  int a = accept(l, 0, 0);
  assert_true(a >= 0);
  assert_int_equal(write(fd, "x", 1), 1);
  char c;
  assert_int_equal(read(a, &c, 1), 1);
  close(a); close(fd);
  close(l);
  /* nobody listens there any more */
  fd = tcp_connect(AF_INET, lo, port, 0, 5);
  assert_int_equal(fd, -1);
  assert_int_equal(errno, ECONNREFUSED);
}

static void t_src(void **st)
{
  (void)st;
  struct tcpsrc s;
  assert_true(tcpsrc_parse(&s, "0.0.0.0"));
  assert_int_equal(s.family, 0);
  assert_true(tcpsrc_parse(&s, "::"));
  assert_int_equal(s.family, 0);
  assert_true(tcpsrc_parse(&s, "[::1]"));
  assert_int_equal(s.family, AF_INET6);
  assert_false(tcpsrc_parse(&s, "localhost"));
  assert_false(tcpsrc_parse(&s, ""));
  assert_false(tcpsrc_parse(&s, "1.2.3.4 "));
  /* a source of another family is not used */
  unsigned port;
  int l = listener(&port);
  unsigned char lo[16] = {127, 0, 0, 1};
  assert_true(tcpsrc_parse(&s, "::1"));
  int fd = tcp_connect(AF_INET, lo, port, &s, 5);
  assert_true(fd >= 0);
  close(fd);
  /* binding to an address that is not ours fails */
  assert_true(tcpsrc_parse(&s, "192.0.2.77"));
  fd = tcp_connect(AF_INET, lo, port, &s, 5);
  assert_int_equal(fd, -1);
  close(l);
}

int main(void)
{
  const struct CMUnitTest tests[] = {cmocka_unit_test(t_connect), cmocka_unit_test(t_src)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
