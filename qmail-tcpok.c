/* qmail-tcpok: forget every timeout qmail-remote has recorded, so the
 * next deliveries try all hosts at once (clears queue/lock/tcpto). */
#include "auto.h"
#include "die.h"
#include "io.h"
#include "tcpto.h"
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

const char *progname = "qmail-tcpok";

int main(void)
{
  static const unsigned char zero[TCPTO_SIZE];
  const char *path = AUTO_QMAIL "/queue/lock/tcpto";
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) die(111, "unable to write %s: %s", path, strerror(errno));
  if (lock_ex(fd) < 0) die(111, "unable to lock %s: %s", path, strerror(errno));
  if (pwrite(fd, zero, sizeof zero, 0) != (ssize_t)sizeof zero) die(111, "unable to clear %s: %s", path, strerror(errno));
  close(fd);
  return 0;
}
