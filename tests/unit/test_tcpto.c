#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "tcpto.h"

const char *progname = "test_tcpto";

static const unsigned char ip1[16] = {192, 0, 2, 1};
static const unsigned char ip2[16] = {192, 0, 2, 2};
static const unsigned char ip6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};

static int down(const unsigned char *buf, int fam, const unsigned char *a, uint64_t now, unsigned jitter)
{
  int seen;
  return tcpto_check(buf, TCPTO_SIZE, fam, a, now, jitter, &seen);
}

static void t_sequence(void **st)
{
  (void)st;
  unsigned char buf[TCPTO_SIZE] = {0};
  int seen = 1, fam;
  unsigned char a[16];
  unsigned errors;
  uint64_t when;
  assert_int_equal(tcpto_check(buf, sizeof buf, AF_INET, ip1, 1000, 0, &seen), 0);
  assert_int_equal(seen, 0);
  assert_int_equal(tcpto_update(buf, sizeof buf, AF_INET, ip1, 0, 1000), -1);   /* success, unknown */
  assert_int_equal(tcpto_update(buf, sizeof buf, AF_INET, ip1, 1, 1000), 0);    /* first timeout */
  assert_int_equal(down(buf, AF_INET, ip1, 1001, 0), 0);                         /* one is not enough */
  assert_int_equal(tcpto_update(buf, sizeof buf, AF_INET, ip1, 1, 1100), -1);   /* within 120 s: once */
  assert_true(tcpto_record(buf, sizeof buf, 0, &fam, a, &errors, &when));
  assert_int_equal(errors, 1);
  assert_int_equal(when, 1000);
  assert_int_equal(tcpto_update(buf, sizeof buf, AF_INET, ip1, 1, 1200), 0);    /* second */
  assert_true(tcpto_record(buf, sizeof buf, 0, &fam, a, &errors, &when));
  assert_int_equal(fam, AF_INET);
  assert_memory_equal(a, ip1, 4);
  assert_int_equal(errors, 2);
  assert_int_equal(down(buf, AF_INET, ip1, 1200, 0), 1);
  assert_int_equal(down(buf, AF_INET, ip1, 1200 + 3839, 0), 1);                 /* (60 + 0) << 6 */
  assert_int_equal(down(buf, AF_INET, ip1, 1200 + 3840, 0), 0);
  assert_int_equal(down(buf, AF_INET, ip1, 1200 + 5823, 31), 1);               /* (60 + 31) << 6 */
  assert_int_equal(down(buf, AF_INET, ip1, 1200 + 5824, 31), 0);
  assert_int_equal(down(buf, AF_INET, ip2, 1200, 0), 0);                        /* another host */
  assert_int_equal(down(buf, AF_INET, ip1, 100, 0), 0);                         /* clock went back */
  assert_int_equal(tcpto_check(buf, sizeof buf, AF_INET, ip1, 1300, 0, &seen), 1);
  assert_int_equal(seen, 1);
  assert_int_equal(tcpto_update(buf, sizeof buf, AF_INET, ip1, 0, 1300), 0);    /* connected: cleared */
  assert_int_equal(down(buf, AF_INET, ip1, 1300, 0), 0);
  assert_false(tcpto_record(buf, sizeof buf, 0, &fam, a, &errors, &when));
  for (int i = 0; i < 20; ++i)                                                   /* the count stops at 10 */
    tcpto_update(buf, sizeof buf, AF_INET, ip2, 1, 10000 + (uint64_t)i * 200);
  assert_true(tcpto_record(buf, sizeof buf, 0, &fam, a, &errors, &when));       /* reused the free slot */
  assert_int_equal(errors, TCPTO_MAXERR);
}

static void t_families(void **st)
{
  (void)st;
  unsigned char buf[TCPTO_SIZE] = {0};
  unsigned char v4as6[16] = {192, 0, 2, 1};     /* same bytes, other family */
  assert_int_equal(tcpto_update(buf, sizeof buf, AF_INET6, ip6, 1, 1000), 0);
  assert_int_equal(tcpto_update(buf, sizeof buf, AF_INET6, ip6, 1, 2000), 0);
  assert_int_equal(down(buf, AF_INET6, ip6, 2000, 0), 1);
  assert_int_equal(tcpto_update(buf, sizeof buf, AF_INET, ip1, 1, 1000), 1);
  assert_int_equal(tcpto_update(buf, sizeof buf, AF_INET6, v4as6, 1, 1000), 2);
  assert_int_equal(tcpto_update(buf, sizeof buf, 99, ip1, 1, 1000), -1);       /* unknown family */
}

static void t_full(void **st)
{
  (void)st;
  unsigned char buf[TCPTO_SIZE] = {0}, a[16] = {10, 0, 0, 0};
  size_t n = TCPTO_SIZE / TCPTO_REC;
  for (size_t i = 0; i < n; ++i) {
    a[3] = (unsigned char)i;
    /* record 5 is the oldest */
    assert_int_equal(tcpto_update(buf, sizeof buf, AF_INET, a, 1, i == 5 ? 10 : 5000 + i), (long)i);
  }
  assert_int_equal(tcpto_update(buf, sizeof buf, AF_INET, ip2, 1, 9000), 5);
  assert_int_equal(down(buf, AF_INET, ip2, 9000, 0), 0);
  int fam;
  unsigned errors;
  uint64_t when;
  unsigned char got[16];
  assert_true(tcpto_record(buf, sizeof buf, 5, &fam, got, &errors, &when));
  assert_memory_equal(got, ip2, 4);
  assert_int_equal(errors, 1);
  assert_int_equal(when, 9000);
  assert_false(tcpto_record(buf, sizeof buf, n, &fam, got, &errors, &when));   /* past the end */
  /* a short buffer is used as far as it goes */
  unsigned char small[TCPTO_REC + 5] = {0};
  assert_int_equal(tcpto_update(small, sizeof small, AF_INET, ip1, 1, 1), 0);
  assert_int_equal(tcpto_update(small, sizeof small, AF_INET, ip2, 1, 2), 0);  /* replaces it */
  assert_int_equal(tcpto_update(small, 3, AF_INET, ip1, 1, 1), -1);
}

static void t_file(void **st)
{
  (void)st;
  char path[] = "/tmp/test_tcpto.XXXXXX";
  int fd = mkstemp(path), seen;
  unsigned char zero[TCPTO_SIZE] = {0};
  assert_true(fd >= 0);
  assert_int_equal(write(fd, zero, sizeof zero), (ssize_t)sizeof zero);
  close(fd);
  assert_int_equal(tcpto_skip(path, AF_INET, ip1, &seen), 0);
  assert_int_equal(seen, 0);
  tcpto_note(path, AF_INET, ip1, 1, 0);
  assert_int_equal(tcpto_skip(path, AF_INET, ip1, &seen), 0);
  assert_int_equal(seen, 1);
  /* fake an older first timeout so the second one counts */
  fd = open(path, O_RDWR);
  unsigned char rec[TCPTO_REC];
  assert_int_equal(pread(fd, rec, sizeof rec, 0), (ssize_t)sizeof rec);
  memset(rec + 8, 0, 8);
  rec[8] = 1;
  assert_int_equal(pwrite(fd, rec, sizeof rec, 0), (ssize_t)sizeof rec);
  close(fd);
  tcpto_note(path, AF_INET, ip1, 1, 1);
  assert_int_equal(tcpto_skip(path, AF_INET, ip1, &seen), 1);
  tcpto_note(path, AF_INET, ip1, 0, 1);
  assert_int_equal(tcpto_skip(path, AF_INET, ip1, &seen), 0);
  unlink(path);
  assert_int_equal(tcpto_skip(path, AF_INET, ip1, &seen), 0);                  /* missing file */
  tcpto_note(path, AF_INET, ip1, 1, 0);                                         /* no crash */
  assert_int_equal(access(path, F_OK), -1);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(t_sequence), cmocka_unit_test(t_families), cmocka_unit_test(t_full),
    cmocka_unit_test(t_file),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
