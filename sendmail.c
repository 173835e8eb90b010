/* sendmail: the sendmail command line on top of qmail-inject (sendmail(8)). */
#include "auto.h"
#include "die.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *progname = "sendmail";

#define QMAILINJECT AUTO_QMAIL "/bin/qmail-inject"
#define QMAILQREAD AUTO_QMAIL "/bin/qmail-qread"
#define QMAILSMTPD AUTO_QMAIL "/bin/qmail-smtpd"

static noreturn void usage(void)
{
  static const char u[] = "sendmail: usage: sendmail [ -t ] [ -fsender ] [ -Fname ] [ -bp ] [ -bs ] [ arg ... ]\n";
  ssize_t w = write(2, u, sizeof u - 1);
  (void)w;
  _exit(100);
}

static noreturn void run(const char *prog, char **argv)
{
  execv(prog, argv);
  die(111, "unable to run %s", prog);
}

static noreturn void mailq(void)
{
  char *argv[] = {(char *)QMAILQREAD, 0};
  run(QMAILQREAD, argv);
}

/* -bs: SMTP on stdin/stdout, as if from localhost, if qmail-smtpd is there */
static noreturn void smtpd(void)
{
  char *argv[] = {(char *)QMAILSMTPD, 0};
  static const char *const env[][2] = {
    {"RELAYCLIENT", ""}, {"DATABYTES", "0"}, {"PROTO", "TCP"}, {"TCPLOCALIP", "127.0.0.1"},
    {"TCPLOCALHOST", "localhost"}, {"TCPREMOTEIP", "127.0.0.1"}, {"TCPREMOTEHOST", "localhost"},
    {"TCPREMOTEINFO", "sendmail-bs"},
  };
  if (access(QMAILSMTPD, X_OK) < 0) die(111, "sendmail -bs needs %s, which is not installed", QMAILSMTPD);
  if (!getenv("PROTO"))
    for (size_t i = 0; i < sizeof env / sizeof env[0]; ++i)
      if (setenv(env[i][0], env[i][1], 1) < 0) die_nomem();
  run(QMAILSMTPD, argv);
}

struct opts { int headers; const char *sender; };

/* Options of sendmail that mean something to qmail; the rest are accepted
 * and ignored (qmail has one delivery mode and one error mode). */
static int getopts(int argc, char **argv, struct opts *o)
{
  int opt;
  o->headers = 0;
  o->sender = 0;
  while ((opt = getopt(argc, argv, "+vimtUf:r:F:e:p:o:B:b:N:R:V:X:L:h:")) != -1)
    switch (opt) {
    case 't': o->headers = 1; break;
    case 'f': case 'r': o->sender = optarg; break;
    case 'F': if (setenv("QMAILNAME", optarg, 1) < 0) die_nomem(); break;
    case 'b':
      switch (optarg[0]) {
      case 'm': break;
      case 'p': mailq();
      case 's': smtpd();
      default: usage();
      }
      break;
    case 'v': case 'i': case 'm': case 'U': case 'e': case 'p': case 'o':
    case 'B': case 'N': case 'R': case 'V': case 'X': case 'L': case 'h':
      break;
    default: usage();
    }
  return optind;
}

static noreturn void inject(const struct opts *o, int argc, char **argv)
{
  char **qi = calloc((size_t)argc + 6, sizeof *qi);
  char **a = qi;
  if (!qi) die_nomem();
  *a++ = (char *)QMAILINJECT;
  *a++ = o->headers ? "-H" : "-a";
  if (o->sender) { *a++ = "-f"; *a++ = (char *)o->sender; }
  *a++ = "--";
  for (int i = 0; i < argc; ++i) *a++ = argv[i];
  *a = 0;
  run(QMAILINJECT, qi);
}

int main(int argc, char **argv)
{
  struct opts o;
  const char *me = argc > 0 ? strrchr(argv[0], '/') : 0;
  me = me ? me + 1 : argc > 0 ? argv[0] : "sendmail";
  if (!strcmp(me, "mailq")) mailq();
  if (!strcmp(me, "newaliases")) die(100, "qmail has no aliases database; see dot-qmail(5)");
  int first = getopts(argc, argv, &o);
  inject(&o, argc - first, argv + first);
}
