/* qmail-starttls: the TLS side of an SMTP session (INTERNALS 13).
 * qmail-smtpd runs it at STARTTLS (or, with SMTPS, before the greeting)
 * so that qmail-smtpd itself never links OpenSSL: a plaintext session
 * pays nothing for TLS, and TLS parsing runs in a process that holds
 * nothing but the key.
 *   fd 0/1  the client's connection (TLS)
 *   fd 3    qmail-smtpd's end: one status line, then the plaintext
 * Status: "+<version> <cipher> <bits>\n" after the handshake, or
 * "-<reason>\n" and exit 1. Then it relays until qmail-smtpd closes fd 3
 * (QUIT) or the client goes away, and sends close_notify. */
#include "ctl.h"
#include "io.h"
#include "sb.h"
#include "tls.h"
#include "tlsrelay.h"
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *progname = "qmail-starttls";

static void status(const char *s)
{
  if (io_writeall(3, s, strlen(s)) < 0) _exit(1);
}

static void fail(const char *why)
{
  char line[400];
  snprintf(line, sizeof line, "-%s\n", why);
  for (char *p = line + 1; *p && *p != '\n'; ++p)
    if ((unsigned char)*p < 0x20) *p = '?';
  status(line);
  _exit(1);
}

int main(int argc, char **argv)
{
  sb cert = SB_INIT, key = SB_INIT, ciphers = SB_INIT;
  char err[300];
  int timeout = argc > 1 ? atoi(argv[1]) : 1200;
  if (timeout <= 0) timeout = 1200;
  signal(SIGPIPE, SIG_IGN);
  if (getuid() == 0 || geteuid() == 0) fail("refusing to run as root");
  if (ctl_line("smtpcert", &cert) < 0 || ctl_line("smtpkey", &key) < 0 || ctl_line("tlsciphers", &ciphers) < 0)
    fail("unable to read controls");
  const char *env = getenv("SSLCERT");
  if (env && *env && !sb_copys(&cert, env)) fail("out of memory");
  if (!sb_cat0(&cert) || !sb_cat0(&key) || !sb_cat0(&ciphers)) fail("out of memory");
  struct tls_server_opts o = {.cert = cert.s, .key = key.s, .ciphers = ciphers.s};
  struct tls *t = tls_server(0, 1, &o, timeout, err, sizeof err);
  if (!t) fail(err);
  char line[300];
  snprintf(line, sizeof line, "+%s %s %d\n", tls_version(t), tls_cipher(t), tls_bits(t));
  status(line);
  struct tlsrelay_stats st;
  int r = tlsrelay(t, 0, 3, timeout, NULL, 0, &st, err, sizeof err);
  tls_close(t);
  _exit(r == TLSRELAY_DONE ? 0 : 1);
}
