/* Diagnostics in qmail's style: "prog: fatal: text". */
#ifndef DIE_H
#define DIE_H
#include <stdnoreturn.h>

extern const char *progname;            /* each program defines it */

noreturn void die(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
noreturn void die_nomem(void);          /* exit 111 with "out of memory" */
void warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
