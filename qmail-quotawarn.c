/* qmail-quotawarn: put one quota warning into a mailbox (facts §4.9).
 * The text comes from control/quotawarning; without it nothing is done.
 * A Maildir gets new/<time>.<pid>.QUOTA_WARNING,S=<n> unless a warning
 * is still there; an mbox gets it appended unless it holds one already. */
#include "auto.h"
#include "ctl.h"
#include "date822.h"
#include "die.h"
#include "io.h"
#include "mailmagic.h"
#include "mbox.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

const char *progname = "qmail-quotawarn";

static noreturn void temp(const char *what) { printf("qmail-quotawarn: %s (#4.3.0)\n", what); exit(111); }

static int warned_in(const char *dir)
{
  DIR *d = opendir(dir);
  struct dirent *de;
  int found = 0;
  if (!d) return 0;
  while (!found && (de = readdir(d))) {
    const char *last = strrchr(de->d_name, '.');
    if (last && !strncmp(last + 1, "QUOTA_WARNING", 13)) found = 1;
  }
  closedir(d);
  return found;
}

static void build(sb *msg, const char *text, size_t tlen, const char *user, const char *host,
                  const char *rcpt, const char *me)
{
  sb uh = SB_INIT, body = SB_INIT, date = SB_INIT;
  const char *dt = getenv("DTLINE");
  if (!mm_split_text(text, tlen, &uh, &body) || !date822(&date, time(NULL))) die_nomem();
  /* field names are case-insensitive: "subject:" in the %HEADER% block
   * replaces the default as "Subject:" does */
  sb v = SB_INIT;
  int hasfrom = mm_header(uh.s, uh.len, "From", &v);
  int hassubj = mm_header(uh.s, uh.len, "Subject", &v);
  int hasct = mm_header(uh.s, uh.len, "Content-Type", &v);
  int hascte = mm_header(uh.s, uh.len, "Content-Transfer-Encoding", &v);
  sb_free(&v);
  if (!sb_cats(msg, "Return-Path: <>\n") || (dt && !sb_cats(msg, dt)) ||
      !sb_fmt(msg, "Qmail-QuotaWarning: %s@%s\n", user, host) ||
      !sb_fmt(msg, "Received: (qmail-quotawarn %ld); %s\n", (long)getpid(), date.s) ||
      !sb_fmt(msg, "Message-ID: <%ld.%ld.quotawarn@%s>\nDate: %s\n", (long)time(NULL), (long)getpid(), me, date.s) ||
      (!hasfrom && !sb_fmt(msg, "From: Qmail-QUOTAGUARD <MAILER-DAEMON@%s>\n", me)) ||
      !sb_fmt(msg, "To: %s\n", rcpt) || (!hassubj && !sb_cats(msg, "Subject: QUOTA-WARNING!\n")) ||
      !sb_catsb(msg, &uh) || !sb_cats(msg, "MIME-Version: 1.0\n") ||
      (!hasct && !sb_cats(msg, "Content-Type: text/plain; charset=\"iso-8859-1\"\n")) ||
      (!hascte && !sb_cats(msg, "Content-Transfer-Encoding: 8bit\n")) || !sb_catc(msg, '\n') ||
      !sb_catsb(msg, &body))
    die_nomem();
  if (body.len && body.s[body.len - 1] != '\n' && !sb_catc(msg, '\n')) die_nomem();
  sb_free(&uh); sb_free(&body); sb_free(&date);
}

static void to_maildir(const char *md, const sb *msg)
{
  sb p = SB_INIT, tmp = SB_INIT, dst = SB_INIT;
  char host[256];
  if (gethostname(host, sizeof host) < 0) strcpy(host, "localhost");
  host[sizeof host - 1] = 0;
  for (char *c = host; *c; ++c) if (*c == '/' || *c == ':') *c = '_';
  const char *sep = md[strlen(md) - 1] == '/' ? "" : "/";
  if (!sb_fmt(&p, "%s%snew", md, sep)) die_nomem();
  if (warned_in(p.s)) return;
  if (!sb_fmt(&p, "%s%scur", md, sep) ) die_nomem();
  if (warned_in(p.s)) return;
  long t = (long)time(NULL), pid = (long)getpid();
  if (!sb_fmt(&tmp, "%s%stmp/%ld.%ld.%s", md, sep, t, pid, host) ||
      !sb_fmt(&dst, "%s%snew/%ld.%ld.QUOTA_WARNING,S=%zu", md, sep, t, pid, msg->len))
    die_nomem();
  int fd = open(tmp.s, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) temp("unable to create warning in tmp/");
  if (io_writeall(fd, msg->s, msg->len) < 0 || fsync(fd) < 0 || close(fd) < 0) { unlink(tmp.s); temp("unable to write warning"); }
  if (link(tmp.s, dst.s) < 0) { unlink(tmp.s); temp("unable to link warning into new/"); }
  unlink(tmp.s);
  sb_free(&p); sb_free(&tmp); sb_free(&dst);
}

/* Streamed search with an overlap so a marker across two reads is found;
 * mailboxes can be far larger than memory. */
static int mbox_has(const char *box, const char *marker)
{
  size_t ml = strlen(marker), have = 0;
  char buf[65536];
  int fd = open(box, O_RDONLY | O_CLOEXEC), found = 0;
  if (fd < 0) return errno == ENOENT ? 0 : -1;
  for (;;) {
    ssize_t n = read(fd, buf + have, sizeof buf - 1 - have);
    if (n < 0) { if (errno == EINTR) continue; close(fd); return -1; }
    if (n == 0) break;
    have += (size_t)n;
    buf[have] = 0;
    if (memmem(buf, have, marker, ml)) { found = 1; break; }
    if (have >= ml) { memmove(buf, buf + have - (ml - 1), ml - 1); have = ml - 1; }
  }
  close(fd);
  return found;
}

static void to_mbox(const char *box, const sb *msg, const char *marker)
{
  int r = mbox_has(box, marker);
  if (r < 0) temp("unable to read mbox");
  if (r) return;
  sb from = SB_INIT;
  time_t now = time(NULL);
  char when[64];
  strftime(when, sizeof when, "%a %b %e %H:%M:%S %Y", gmtime(&now));
  if (!sb_fmt(&from, "From MAILER-DAEMON %s\n", when)) die_nomem();
  int fd = memfd_create("quotawarn", MFD_CLOEXEC);
  if (fd < 0 || io_writeall(fd, msg->s, msg->len) < 0) temp("unable to stage warning");
  if (mbox_deliver(box, from.s, from.len, fd) != MBOX_OK) temp("unable to write warning into mbox");
  close(fd);
  sb_free(&from);
}

int main(int argc, char **argv)
{
  sb text = SB_INIT, me = SB_INIT, msg = SB_INIT;
  if (argc != 2 || !*argv[1]) die(100, "usage: qmail-quotawarn mailbox");
  const char *box = argv[1];
  int r = ctl_raw("quotawarning", &text);
  if (r < 0) temp("unable to read control/quotawarning");
  if (r == 0 || !text.len) return 0;
  if (ctl_line("me", &me) < 0) temp("unable to read control/me");
  const char *user = getenv("USER"), *host = getenv("HOST"), *rcpt = getenv("RECIPIENT");
  if (!user || !host || !rcpt) die(100, "USER, HOST and RECIPIENT must be set");
  build(&msg, text.s, text.len, user, host, rcpt, me.len ? me.s : host);
  if (box[strlen(box) - 1] == '/') to_maildir(box, &msg);
  else {
    sb marker = SB_INIT;
    if (!sb_fmt(&marker, "Qmail-QuotaWarning: %s@%s\n", user, host)) die_nomem();
    to_mbox(box, &msg, marker.s);
    sb_free(&marker);
  }
  return 0;
}
