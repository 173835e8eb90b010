/* qmail-inject: preprocess a message on stdin and queue it (qmail-inject(8)).
 * The header policy is in injhdr.c, address qualification in rfc822.c. */
#include "ctl.h"
#include "die.h"
#include "injhdr.h"
#include "io.h"
#include "qq.h"
#include "rd.h"
#include "rfc822.h"
#include "sb.h"
#include "wr.h"
#include <errno.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

const char *progname = "qmail-inject";

#define MAXFIELD (1024 * 1024)        /* one header field */
#define MAXHEADER (16 * 1024 * 1024)  /* the whole header */
#define MAXMFT (1024 * 1024)          /* $QMAILMFTFILE */

enum { RECIP_DEFAULT, RECIP_ARGS, RECIP_HEADER, RECIP_BOTH };

struct opts {
  int recip;
  int queue;
  int have_sender;
  const char *sender;
};

static noreturn void usage(void)
{
  die(100, "usage: qmail-inject [ -nNaAhH ] [ -fsender ] [ recip ... ]");
}

static const char *env_first(const char *const *names)
{
  for (; *names; ++names) {
    const char *v = getenv(*names);
    if (v) return v;
  }
  return 0;
}

/* From:, envelope sender and flags from the environment */
static void env_conf(struct inj_conf *c)
{
  static const char *const user[] = {"QMAILUSER", "MAILUSER", "USER", "LOGNAME", 0};
  static const char *const host[] = {"QMAILHOST", "MAILHOST", 0};
  static const char *const name[] = {"QMAILNAME", "MAILNAME", "NAME", 0};
  const char *v;
  inj_conf_flags(c, getenv("QMAILINJECT"));
  c->user = env_first(user);
  if (!c->user) {   /* better than qmail's "anonymous": the login name */
    struct passwd *pw = getpwuid(getuid());
    c->user = pw && pw->pw_name && *pw->pw_name ? pw->pw_name : "anonymous";
  }
  c->host = env_first(host);
  c->name = env_first(name);
  c->ruser = (v = getenv("QMAILSUSER")) ? v : c->user;
  c->rhost = (v = getenv("QMAILSHOST")) ? v : c->host;
  c->now = time(0);
  c->pid = (unsigned long)getpid();
  c->maxfield = MAXFIELD;
  c->maxheader = MAXHEADER;
}

/* control file, overridden by env; qmail's literal name if both are empty */
static const char *setting(const char *file, const char *env, sb *buf)
{
  const char *v = getenv(env);
  if (v) return v;
  if (ctl_line(file, buf) < 0) die(111, "unable to read controls");
  return buf->len ? buf->s : file;
}

static void controls(struct rfc822_qual *q, struct inj_conf *c, sb bufs[4])
{
  const char *dh = setting("defaulthost", "QMAILDEFAULTHOST", &bufs[0]);
  const char *dd = setting("defaultdomain", "QMAILDEFAULTDOMAIN", &bufs[1]);
  const char *pd = setting("plusdomain", "QMAILPLUSDOMAIN", &bufs[2]);
  c->idhost = setting("idhost", "QMAILIDHOST", &bufs[3]);
  int r = rfc822_qual_set(q, dh, dd, pd);
  if (r == RFC_NOMEM) die_nomem();
  if (r != RFC_OK) die(100, "unable to parse defaulthost, defaultdomain or plusdomain");
}

/* $QMAILMFTFILE: mailing lists that get a Mail-Followup-To: */
static void mftfile(struct inj_conf *c, sb *raw, sb *list)
{
  const char *fn = getenv("QMAILMFTFILE");
  if (!fn) return;
  if (io_readfile(fn, raw, MAXMFT) < 0) {
    if (errno == ENOENT) return;
    die(111, "unable to read %s", fn);
  }
  if (ctl_parse_list(raw->s, raw->len, list) < 0) die_nomem();
  c->mft = list->s;
  c->mftlen = list->len;
}

static void getopts(int argc, char **argv, struct opts *o, int *first)
{
  int opt;
  o->recip = RECIP_DEFAULT;
  o->queue = 1;
  o->have_sender = 0;
  while ((opt = getopt(argc, argv, "+aAhHnNf:")) != -1)
    switch (opt) {
    case 'a': o->recip = RECIP_ARGS; break;
    case 'A': o->recip = RECIP_DEFAULT; break;
    case 'h': o->recip = RECIP_HEADER; break;
    case 'H': o->recip = RECIP_BOTH; break;
    case 'n': o->queue = 0; break;
    case 'N': o->queue = 1; break;
    case 'f': o->have_sender = 1; o->sender = optarg; break;
    default: usage();
    }
  *first = optind;
  if (o->recip == RECIP_DEFAULT) o->recip = optind < argc ? RECIP_ARGS : RECIP_HEADER;
}

static noreturn void die_parse(const sb *line)
{
  size_t n = line->len;
  if (n && line->s[n - 1] == '\n') --n;
  die(100, "unable to parse this line:\n%.*s", (int)(n > 1900 ? 1900 : n), line->s);
}

static void check(struct inj *j, int r)
{
  if (r == INJ_NOMEM) die_nomem();
  if (r == INJ_SYNTAX) die_parse(&j->bad);
  if (r == INJ_TOOBIG) die(100, "message header too long");
}

/* -f sender, qualified; "" stays "" */
static void set_sender(struct inj *j, const struct rfc822_qual *q, const char *s)
{
  sb e = SB_INIT;
  if (!sb_copys(&e, "")) die_nomem();
  if (*s) {
    int r = rfc822_addr_arg(q, s, &e);
    if (r == RFC_NOMEM) die_nomem();
    if (r != RFC_OK) die(100, "unable to parse address: %s", s);
  }
  check(j, inj_set_sender(j, e.s));
  sb_free(&e);
}

static void arg_recipients(const struct rfc822_qual *q, char **argv, sb *rcpts)
{
  for (; *argv; ++argv) {
    size_t before = rcpts->len;
    int r = rfc822_addr_arg(q, *argv, rcpts);
    if (r == RFC_NOMEM) die_nomem();
    if (r != RFC_OK) die(100, "unable to parse address: %s", *argv);
    if (rcpts->len == before) continue;   /* <> is nobody */
    if (!sb_cat0(rcpts)) die_nomem();
  }
}

/* Read header lines into j; what already belongs to the body goes to body. */
static void read_header(struct inj *j, struct rd *in, sb *body)
{
  sb line = SB_INIT;
  for (;;) {
    int k = rd_line(in, &line, '\n', MAXFIELD);
    if (k == RD_EOF) { check(j, inj_eof(j)); break; }
    if (k == RD_ERR || k == RD_TIMEOUT) die(111, "read error");
    if (k == RD_OK || k == RD_PARTIAL) { if (!sb_catc(&line, '\n')) die_nomem(); }
    int r = inj_line(j, line.s, line.len);
    if (r == INJ_BLANK || r == INJ_BODY) {
      if (!sb_copys(body, "\n") || (r == INJ_BODY && !sb_catsb(body, &line))) die_nomem();
      break;
    }
    check(j, r);
    if (k == RD_TOOLONG) die(100, "message header too long");
    if (k == RD_PARTIAL) { check(j, inj_eof(j)); break; }
  }
  sb_free(&line);
}

struct sink {
  int queue;
  struct qq qq;
  struct wr w;
  char last;
};

static void put(struct sink *s, const char *p, size_t n)
{
  if (!n) return;
  if (s->queue) qq_put(&s->qq, p, n);
  else wr_put(&s->w, p, n);
  s->last = p[n - 1];
}

/* The rest of stdin; a last line without newline gets one. */
static void copy_body(struct sink *s, struct rd *in, const sb *start)
{
  put(s, start->s, start->len);
  for (;;) {
    int k = rd_fill(in);
    if (k == RD_EOF) break;
    if (k != RD_OK) die(111, "read error");
    put(s, (const char *)in->buf + in->pos, in->len - in->pos);
    in->pos = in->len;
  }
  if (s->last && s->last != '\n') put(s, "\n", 1);
}

static noreturn void finish(struct sink *s, const struct inj *j, const sb *args, int useheader)
{
  if (!s->queue) {
    if (wr_flush(&s->w) < 0) die(111, "unable to write output");
    _exit(0);
  }
  qq_from(&s->qq, j->sender.s);
  for (size_t i = 0; i < args->len; i += strlen(args->s + i) + 1) qq_to(&s->qq, args->s + i);
  if (useheader) {
    const sb *h = inj_hrcpts(j);
    for (size_t i = 0; i < h->len; i += strlen(h->s + i) + 1) qq_to(&s->qq, h->s + i);
  }
  int code = qq_close(&s->qq);
  if (code == QQ_OK) _exit(0);
  die(qq_temporary(code) ? 111 : 100, "%s", qq_text(code) + 1);
}

int main(int argc, char **argv)
{
  struct inj_conf c;
  struct rfc822_qual q;
  struct inj j;
  struct opts o;
  struct rd in;
  struct sink s;
  sb bufs[4] = {SB_INIT, SB_INIT, SB_INIT, SB_INIT}, mraw = SB_INIT, mlist = SB_INIT;
  sb args = SB_INIT, hdr = SB_INIT, body = SB_INIT;
  int first;

  signal(SIGPIPE, SIG_IGN);
  memset(&c, 0, sizeof c);
  env_conf(&c);
  rfc822_qual_init(&q);
  controls(&q, &c, bufs);
  mftfile(&c, &mraw, &mlist);
  getopts(argc, argv, &o, &first);
  inj_init(&j, &c, &q);
  if (o.have_sender) set_sender(&j, &q, o.sender);
  if (!sb_ready(&args, 0)) die_nomem();
  if (o.recip != RECIP_HEADER) arg_recipients(&q, argv + first, &args);

  rd_init(&in, 0, 0);
  read_header(&j, &in, &body);
  check(&j, inj_finish(&j, !o.queue, &hdr));

  memset(&s, 0, sizeof s);
  s.queue = o.queue;
  if (s.queue) { if (qq_open(&s.qq) < 0) die(111, "unable to run qmail-queue"); }
  else wr_init(&s.w, 1, 0);
  put(&s, hdr.s, hdr.len);
  s.last = 0;   /* the header is complete; only the body's last line matters */
  copy_body(&s, &in, &body);
  finish(&s, &j, &args, o.recip != RECIP_ARGS);
}
