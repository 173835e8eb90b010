#include "die.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static void vput(const char *kind, const char *fmt, va_list ap)
{
  char buf[2048];
  int n = snprintf(buf, sizeof buf, "%s: %s", progname ? progname : "qmail", kind);
  if (n < 0 || (size_t)n >= sizeof buf) n = 0;
  int m = vsnprintf(buf + n, sizeof buf - (size_t)n - 1, fmt, ap);
  if (m < 0) m = 0;
  size_t len = (size_t)n + (size_t)m;
  if (len > sizeof buf - 2) len = sizeof buf - 2;
  buf[len++] = '\n';
  ssize_t w = write(2, buf, len);
  (void)w;
}

void die(int code, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  vput("fatal: ", fmt, ap);
  va_end(ap);
  _exit(code);
}

void die_nomem(void) { die(111, "out of memory"); }

void warn(const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  vput("warning: ", fmt, ap);
  va_end(ap);
}
