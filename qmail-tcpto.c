/* qmail-tcpto: list the hosts qmail-remote has seen time out recently
 * (queue/lock/tcpto), one line each:
 *   <ip> timed out <n> seconds ago; # recent timeouts: <count> */
#include "auto.h"
#include "die.h"
#include "dns.h"
#include "io.h"
#include "tcpto.h"
#include "wr.h"
#include <fcntl.h>
#include <time.h>
#include <unistd.h>

const char *progname = "qmail-tcpto";

static void list(const unsigned char *buf, size_t len, uint64_t now, struct wr *w)
{
  for (size_t i = 0; i < len / TCPTO_REC; ++i) {
    struct mxip ip = {0, 0, {0}};
    unsigned errors;
    uint64_t when;
    char text[64];
    if (!tcpto_record(buf, len, i, &ip.family, ip.a, &errors, &when)) continue;
    mxip_fmt(&ip, text, sizeof text);
    wr_puts(w, text);
    wr_puts(w, " timed out ");
    wr_putu64(w, now >= when ? now - when : 0);
    wr_puts(w, " seconds ago; # recent timeouts: ");
    wr_putu64(w, errors);
    wr_putc(w, '\n');
  }
}

int main(void)
{
  unsigned char buf[TCPTO_SIZE];
  struct wr w;
  const char *path = AUTO_QMAIL "/queue/lock/tcpto";
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) die(111, "unable to open %s", path);
  lock_ex(fd);                 /* a consistent snapshot; reading works without it too */
  ssize_t r = pread(fd, buf, sizeof buf, 0);
  if (r < 0) die(111, "unable to read %s", path);
  close(fd);
  wr_init(&w, 1, 0);
  list(buf, (size_t)r, (uint64_t)time(0), &w);
  if (wr_flush(&w) < 0) die(111, "unable to write output");
  return 0;
}
