/* qmail-reply: the automatic reply (vacation message) of qmail-ldap.
 * Run by qmail-local for entries with deliveryMode "reply"; answers each
 * sender at most once per REPLY_TIMEOUT, never lists or daemons. */
#include "auto.h"
#include "ctl.h"
#include "date822.h"
#include "die.h"
#include "io.h"
#include "mailmagic.h"
#include "qmail-ldap.h"
#include "qq.h"
#include "rd.h"
#include "replydb.h"
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

const char *progname = "qmail-reply";

#define MAXHEADER (64 * 1024)
#define MAXTEXT (64 * 1024)

static noreturn void usage(void) { die(100, "usage: qmail-reply [-f mailfile] [-j junkfile] [maildir]"); }
static noreturn void temp(const char *what) { printf("qmail-reply: %s (#4.3.0)\n", what); fflush(stdout); exit(111); }

static const char *env(const char *name)
{
  const char *v = getenv(name);
  if (!v) die(100, "%s not set (qmail-reply runs from qmail-local)", name);
  return v;
}

/* the header of the message being answered, bounded */
static void readheader(sb *h)
{
  struct rd r;
  sb line = SB_INIT;
  rd_init(&r, 0, 0);
  h->len = 0;
  if (!sb_catb(h, "", 0)) die_nomem();
  for (;;) {
    int k = rd_line(&r, &line, '\n', MAXHEADER);
    if (k == RD_EOF || k == RD_PARTIAL) break;
    if (k == RD_TOOLONG) { rd_skip(&r, '\n'); continue; }
    if (k != RD_OK) temp("unable to read message");
    if (!line.len || (line.len == 1 && line.s[0] == '\r')) break;
    if (h->len + line.len + 1 > MAXHEADER) continue;
    if (!sb_catsb(h, &line) || !sb_catc(h, '\n')) die_nomem();
  }
  sb_free(&line);
}

static void md5hex(const char *s, size_t n, char out[33])
{
  static const char hex[] = "0123456789abcdef";
  unsigned char d[EVP_MAX_MD_SIZE];
  unsigned dl = 0;
  if (!EVP_Digest(s, n, d, &dl, EVP_md5(), NULL) || dl != 16) temp("unable to hash reply text");
  for (unsigned i = 0; i < 16; ++i) { out[2 * i] = hex[d[i] >> 4]; out[2 * i + 1] = hex[d[i] & 15]; }
  out[32] = 0;
}

static void joinpath(sb *p, const char *dir, const char *name)
{
  p->len = 0;
  if (!sb_cats(p, dir) || (p->len && p->s[p->len - 1] != '/' && !sb_catc(p, '/')) || !sb_cats(p, name)) die_nomem();
}

/* 1: reply due and recorded, 0: answered recently */
static int once(const char *maildir, const char *text, size_t tlen, const char *sender)
{
  sb lockp = SB_INIT, dbp = SB_INIT, db = SB_INIT, out = SB_INIT;
  char hash[33];
  int fd, r;
  md5hex(text, tlen, hash);
  joinpath(&lockp, maildir, "qmail-reply.lock");
  joinpath(&dbp, maildir, "qmail-reply.db");
  fd = open(lockp.s, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0 || lock_ex(fd) < 0) temp("unable to lock reply database");
  if (io_readfile(dbp.s, &db, REPLYDB_MAX * 2) < 0 && errno != ENOENT) {
    if (errno != EFBIG) temp("unable to read reply database");
    db.len = 0;   /* oversized: start again */
  }
  r = replydb_update(db.s ? db.s : "", db.len, hash, sender, time(NULL), REPLY_TIMEOUT, &out);
  if (r < 0) die_nomem();
  if (r == 1 && durable_write(dbp.s, out.s, out.len, 0600) < 0) temp("unable to write reply database");
  close(fd);
  sb_free(&lockp); sb_free(&dbp); sb_free(&db); sb_free(&out);
  return r;
}

static int has_header(const sb *h, const char *name)
{
  size_t n = strlen(name);
  for (size_t i = 0; i < h->len;) {
    if (!strncasecmp(h->s + i, name, n) && h->s[i + n] == ':') return 1;
    const char *nl = memchr(h->s + i, '\n', h->len - i);
    if (!nl) break;
    i = (size_t)(nl - h->s) + 1;
  }
  return 0;
}

int main(int argc, char **argv)
{
  const char *mailfile = 0, *junkfile = 0, *maildir = 0;
  sb text = SB_INIT, junk = SB_INIT, hdr = SB_INIT, subj = SB_INIT, mid = SB_INIT;
  sb uh = SB_INIT, body = SB_INIT, tmp = SB_INIT, msg = SB_INIT;
  int opt;
  while ((opt = getopt(argc, argv, "f:j:")) != -1) {
    if (opt == 'f') mailfile = optarg;
    else if (opt == 'j') junkfile = optarg;
    else usage();
  }
  if (argc - optind > 1) usage();
  if (optind < argc) maildir = argv[optind];

  const char *sender = env("SENDER"), *recipient = env("RECIPIENT");
  env("DTLINE");
  const char *host = env("HOST");
  if (mailfile) {
    if (io_readfile(mailfile, &text, MAXTEXT) < 0) temp("unable to read reply text file");
  } else {
    const char *t = getenv(ENV_REPLYTEXT);
    if (!t || !*t) return 0;                          /* nothing to say */
    if (!sb_copys(&text, t)) die_nomem();
  }
  if (junkfile) {
    sb raw = SB_INIT;
    if (io_readfile(junkfile, &raw, MAXTEXT) == 0 && ctl_parse_list(raw.s, raw.len, &junk) < 0) die_nomem();
    sb_free(&raw);
  }
  if (strpbrk(sender, "\r\n") || mm_sender_junk(sender, junk.s, junk.len)) {
    printf("qmail-reply: no reply to %s\n", *sender ? sender : "<>");
    return 0;
  }
  readheader(&hdr);
  if (mm_is_bulk(hdr.s, hdr.len)) { printf("qmail-reply: no reply to list or bulk mail\n"); return 0; }
  if (maildir && !once(maildir, text.s, text.len, sender)) {
    printf("qmail-reply: %s already answered\n", sender);
    return 0;
  }

  if (!mm_split_text(text.s, text.len, &uh, &body)) die_nomem();
  if (!mm_header(hdr.s, hdr.len, "Subject", &subj) || !subj.len)
    if (!sb_copys(&subj, REPLY_SUBJ)) die_nomem();
  if (!date822(&tmp, time(NULL))) die_nomem();
  if (!sb_cats(&msg, "Date: ") || !sb_catsb(&msg, &tmp) || !sb_catc(&msg, '\n')) die_nomem();
  if (!has_header(&uh, "From") && !sb_fmt(&msg, "From: %s\n", recipient)) die_nomem();
  if (!sb_fmt(&msg, "To: %s\n", sender)) die_nomem();
  if (!has_header(&uh, "Subject")) {
    if (!mm_subst("Subject: [Auto-Reply] %SUBJECT%\n", "%SUBJECT%", subj.s, &tmp) || !sb_catsb(&msg, &tmp)) die_nomem();
  }
  /* user headers may carry %SUBJECT% too */
  if (!mm_subst(uh.s, "%SUBJECT%", subj.s, &tmp) || !sb_catsb(&msg, &tmp)) die_nomem();
  if (mm_header(hdr.s, hdr.len, "Message-ID", &mid) && mid.len && mid.len < 1000 &&
      !sb_fmt(&msg, "In-Reply-To: %s\nReferences: %s\n", mid.s, mid.s)) die_nomem();
  if (!sb_fmt(&msg, "Message-ID: <%ld.%ld.qmail-reply@%s>\n", (long)time(NULL), (long)getpid(), host)) die_nomem();
  if (!sb_cats(&msg, "MIME-Version: 1.0\n")) die_nomem();
  if (!has_header(&uh, "Content-Type") && !sb_cats(&msg, "Content-Type: " REPLY_CT "\n")) die_nomem();
  if (!has_header(&uh, "Content-Transfer-Encoding") && !sb_cats(&msg, "Content-Transfer-Encoding: " REPLY_CTE "\n"))
    die_nomem();
  if (!sb_cats(&msg, "Auto-Submitted: auto-replied\nX-Mailer: qmail-reply (by qmail-ldap)\nPrecedence: junk\n\n") ||
      !sb_catsb(&msg, &body))
    die_nomem();
  if (body.len && body.s[body.len - 1] != '\n' && !sb_catc(&msg, '\n')) die_nomem();

  struct qq q;
  if (qq_open(&q) < 0) temp("unable to run qmail-queue");
  qq_put(&q, msg.s, msg.len);
  qq_from(&q, "");
  qq_to(&q, sender);
  int code = qq_close(&q);
  if (code) {
    const char *t = qq_text(code);
    printf("qmail-reply: %s\n", t + 1);
    return t[0] == 'D' ? 0 : 111;   /* a reply that cannot be sent never bounces the mail */
  }
  printf("qmail-reply: sent reply to %s\n", sender);
  return 0;
}
