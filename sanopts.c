/* Sanitizer defaults for SANITIZE=1 builds, where the Makefile links this
 * into every program: reports go to <conf-qmail>/../asan/ (tests/mkinstance
 * DIR asan makes DIR/asan) even for programs started with a cleared
 * environment; ASAN_OPTIONS / UBSAN_OPTIONS still override. Normal builds
 * never link it (nothing refers to these names). */
#include "auto.h"

const char *__asan_default_options(void);
const char *__ubsan_default_options(void);

const char *__asan_default_options(void)
{
  return "detect_leaks=0:abort_on_error=1:log_path=" AUTO_QMAIL "/../asan/asan";
}

const char *__ubsan_default_options(void)
{
  return "print_stacktrace=1:halt_on_error=1:log_path=" AUTO_QMAIL "/../asan/ubsan";
}
