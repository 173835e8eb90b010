#include "injhdr.h"
#include "date822.h"
#include "quote.h"
#include <string.h>
#include <strings.h>

void inj_conf_flags(struct inj_conf *c, const char *s)
{
  for (; s && *s; ++s)
    switch (*s) {
    case 'c': c->namecomment = 1; break;
    case 's': c->delreturnpath = 1; break;
    case 'f': c->delfrom = 1; break;
    case 'i': c->delmessid = 1; break;
    case 'r': c->verprecip = 1; break;
    case 'm': c->verpmess = 1; break;
    }
}

void inj_init(struct inj *j, const struct inj_conf *c, const struct rfc822_qual *q)
{
  memset(j, 0, sizeof *j);
  j->c = c;
  j->q = q;
}

void inj_free(struct inj *j)
{
  sb *all[] = {&j->sender, &j->saved, &j->hr, &j->hrr, &j->tocc, &j->cur, &j->bad, &j->tmp, &j->addrs};
  for (size_t i = 0; i < sizeof all / sizeof all[0]; ++i) sb_free(all[i]);
}

int inj_set_sender(struct inj *j, const char *s)
{
  j->have_sender = 1;
  return sb_copys(&j->sender, s) ? INJ_MORE : INJ_NOMEM;
}

static int bad(struct inj *j, const char *s, size_t n)
{
  return sb_copyb(&j->bad, s, n) ? INJ_SYNTAX : INJ_NOMEM;
}

static int add_addr(sb *list, const char *s, size_t n)
{
  return sb_catb(list, s, n) && sb_cat0(list);
}

/* Rewrite the address field h into j->tmp; addresses into j->addrs. */
static int rewrite_field(struct inj *j, const char *h, size_t n)
{
  size_t nl = rfc822_hf_namelen(h, n), off = rfc822_hf_bodyoff(h, n);
  j->tmp.len = 0;
  j->addrs.len = 0;
  if (!sb_catb(&j->tmp, h, nl) || !sb_cats(&j->tmp, ": ")) return INJ_NOMEM;
  int r = rfc822_addrlist(j->q, h + off, n - off, nl + 2, &j->tmp, &j->addrs);
  if (r == RFC_SYNTAX) return bad(j, h, n);
  if (r != RFC_OK) return INJ_NOMEM;
  if (j->tmp.len == nl + 2) sb_trunc(&j->tmp, nl + 1);   /* empty list: no trailing blank */
  return sb_catc(&j->tmp, '\n') ? INJ_MORE : INJ_NOMEM;
}

static int set_return(struct inj *j, const char *a, size_t n)
{
  if (j->have_sender) return 1;
  j->have_sender = 1;
  if (!sb_copyb(&j->sender, a, n)) return 0;
  return !j->c->verprecip || sb_cats(&j->sender, "-@[]");
}

/* Distribute the addresses of a rewritten field. */
static int collect(struct inj *j, int t)
{
  for (size_t i = 0; i < j->addrs.len;) {
    const char *a = j->addrs.s + i;
    size_t n = strlen(a);
    int ok = 1;
    i += n + 1;
    if (t == HF_RETURNPATH) { if (!set_return(j, a, n)) return 0; continue; }
    if (!n) continue;
    switch (t) {
    case HF_TO: case HF_CC: ok = add_addr(&j->hr, a, n) && add_addr(&j->tocc, a, n); break;
    case HF_BCC: case HF_APPARENTLYTO: ok = add_addr(&j->hr, a, n); break;
    case HF_R_TO: case HF_R_CC: case HF_R_BCC: ok = add_addr(&j->hrr, a, n); break;
    }
    if (!ok) return 0;
  }
  return 1;
}

static int field(struct inj *j, const char *h, size_t n)
{
  int t = rfc822_hf_known(h, n), rw = 0;
  if ((j->c->delfrom && t == HF_FROM) || (j->c->delmessid && t == HF_MESSAGEID) ||
      (j->c->delreturnpath && t == HF_RETURNPATH))
    return INJ_MORE;
  if (t) j->seen[t] = 1;
  else if (!rfc822_hf_valid(h, n)) return bad(j, h, n);
  switch (t) {
  case HF_TO: case HF_CC: case HF_BCC: case HF_APPARENTLYTO:
  case HF_R_TO: case HF_R_CC: case HF_R_BCC: case HF_RETURNPATH:
  case HF_SENDER: case HF_FROM: case HF_REPLYTO: case HF_RETURNRECEIPTTO:
  case HF_ERRORSTO: case HF_R_SENDER: case HF_R_FROM: case HF_R_REPLYTO:
    rw = 1;
  }
  if (rw) {
    int r = rewrite_field(j, h, n);
    if (r != INJ_MORE) return r;
    if (!collect(j, t)) return INJ_NOMEM;
    h = j->tmp.s;
    n = j->tmp.len;
  }
  if (t == HF_BCC || t == HF_R_BCC || t == HF_RETURNPATH || t == HF_CONTENTLENGTH) return INJ_MORE;
  if (n > j->c->maxheader - (j->saved.len < j->c->maxheader ? j->saved.len : j->c->maxheader))
    return INJ_TOOBIG;
  return sb_catb(&j->saved, h, n) ? INJ_MORE : INJ_NOMEM;
}

static int flush(struct inj *j)
{
  int r = INJ_MORE;
  if (j->havecur) r = field(j, j->cur.s, j->cur.len);
  j->havecur = 0;
  j->cur.len = 0;
  return r;
}

int inj_line(struct inj *j, const char *line, size_t n)
{
  int r;
  if (j->done) return INJ_BODY;
  if (j->havecur) {
    if (n && (line[0] == ' ' || line[0] == '\t')) {
      if (n > j->c->maxfield - (j->cur.len < j->c->maxfield ? j->cur.len : j->c->maxfield))
        return INJ_TOOBIG;
      return sb_catb(&j->cur, line, n) ? INJ_MORE : INJ_NOMEM;
    }
    if ((r = flush(j)) != INJ_MORE) return r;
  }
  if (n == 1 && line[0] == '\n') { j->done = 1; return INJ_BLANK; }
  if (n >= 5 && !memcmp(line, "From ", 5)) {
    /* an mbox separator is kept as a field */
    if (n > j->c->maxfield) return INJ_TOOBIG;
    if (!sb_copys(&j->cur, "MBOX-Line: ") || !sb_catb(&j->cur, line, n)) return INJ_NOMEM;
  } else if (rfc822_hf_valid(line, n)) {
    if (n > j->c->maxfield) return INJ_TOOBIG;
    if (!sb_copyb(&j->cur, line, n)) return INJ_NOMEM;
  } else {
    j->done = 1;
    return INJ_BODY;
  }
  j->havecur = 1;
  return INJ_MORE;
}

int inj_eof(struct inj *j)
{
  j->done = 1;
  return flush(j);
}

static int default_sender(struct inj *j)
{
  const struct inj_conf *c = j->c;
  sb local = SB_INIT, text = SB_INIT;
  int r = INJ_NOMEM;
  if (!sb_copys(&local, c->ruser)) goto out;
  if (c->verpmess && !sb_fmt(&local, "-%lld.%lu", (long long)c->now, c->pid)) goto out;
  if (c->verprecip && !sb_catc(&local, '-')) goto out;
  if (!rfc822_quote(&text, local.s, local.len)) goto out;
  if (c->rhost && (!sb_catc(&text, '@') || !sb_cats(&text, c->rhost))) goto out;
  j->sender.len = 0;
  if (!sb_ready(&j->sender, 0)) goto out;
  int k = rfc822_addr_text(j->q, text.s, text.len, &j->sender);
  if (k == RFC_SYNTAX) { r = bad(j, text.s, text.len); goto out; }
  if (k != RFC_OK) goto out;
  if (c->verprecip && !sb_cats(&j->sender, "-@[]")) goto out;
  j->have_sender = 1;
  r = INJ_MORE;
out:
  sb_free(&local);
  sb_free(&text);
  return r;
}

/* personal names come from the environment: no line breaks in the header */
static int cat_name(sb *out, const char *s, const char *esc)
{
  for (; *s; ++s) {
    char c = *s == '\r' || *s == '\n' ? ' ' : *s;
    if (strchr(esc, c) && !sb_catc(out, '\\')) return 0;
    if (!sb_catc(out, c)) return 0;
  }
  return 1;
}

static int default_from(struct inj *j, const char *prefix, sb *out)
{
  const struct inj_conf *c = j->c;
  sb t = SB_INIT;
  int r = INJ_NOMEM;
  int angle = c->name && !c->namecomment;
  if (angle && (!sb_catc(&t, '"') || !cat_name(&t, c->name, "\"\\") || !sb_cats(&t, "\" <"))) goto out;
  if (quote_need(c->user, strlen(c->user)) ? !rfc822_quote(&t, c->user, strlen(c->user))
                                                   : !sb_cats(&t, c->user)) goto out;
  if (c->host && (!sb_catc(&t, '@') || !sb_cats(&t, c->host))) goto out;
  if (angle && !sb_catc(&t, '>')) goto out;
  if (c->name && c->namecomment &&
      (!sb_cats(&t, " (") || !cat_name(&t, c->name, "()\\") || !sb_catc(&t, ')'))) goto out;
  size_t col = strlen(prefix) + 6;
  if (!sb_cats(out, prefix) || !sb_cats(out, "From: ")) goto out;
  int k = rfc822_addrlist(j->q, t.s, t.len, col, out, NULL);
  if (k == RFC_SYNTAX) { r = bad(j, t.s, t.len); goto out; }
  if (k != RFC_OK || !sb_catc(out, '\n')) goto out;
  r = INJ_MORE;
out:
  sb_free(&t);
  return r;
}

static int stamps(struct inj *j, const char *prefix, sb *out)
{
  const struct inj_conf *c = j->c;
  int r;
  if (!j->seen[j->resent ? HF_R_DATE : HF_DATE]) {
    if (!sb_cats(out, prefix) || !sb_cats(out, "Date: ") || !date822(out, c->now) || !sb_catc(out, '\n'))
      return INJ_NOMEM;
  }
  if (!j->seen[j->resent ? HF_R_MESSAGEID : HF_MESSAGEID]) {
    if (!sb_fmt(out, "%sMessage-ID: <%lld.%lu.qmail@%s>\n", prefix, (long long)c->now, c->pid, c->idhost))
      return INJ_NOMEM;
  }
  if (!j->seen[j->resent ? HF_R_FROM : HF_FROM] && (r = default_from(j, prefix, out)) != INJ_MORE)
    return r;
  if (!j->seen[j->resent ? HF_R_TO : HF_TO] && !j->seen[j->resent ? HF_R_CC : HF_CC]) {
    if (!sb_cats(out, prefix) || !sb_cats(out, "Cc: recipient list not shown: ;\n")) return INJ_NOMEM;
  }
  return INJ_MORE;
}

static int in_list(const char *list, size_t len, const char *a)
{
  for (size_t i = 0; i < len;) {
    const char *e = list + i;
    size_t n = strnlen(e, len - i);
    if (strlen(a) == n && !strncasecmp(e, a, n)) return 1;
    i += n + 1;
  }
  return 0;
}

/* Mail-Followup-To: the To and Cc addresses, if one of them is a list */
static int followup(struct inj *j, sb *out)
{
  size_t i;
  if (!j->c->mft || j->seen[HF_MAILFOLLOWUPTO]) return 1;
  for (i = 0; i < j->tocc.len; i += strlen(j->tocc.s + i) + 1)
    if (in_list(j->c->mft, j->c->mftlen, j->tocc.s + i)) break;
  if (i >= j->tocc.len) return 1;
  if (!sb_cats(out, "Mail-Followup-To: ")) return 0;
  for (i = 0; i < j->tocc.len; i += strlen(j->tocc.s + i) + 1) {
    if (i && !sb_cats(out, ",\n  ")) return 0;
    if (!quote_addr(out, j->tocc.s + i, strlen(j->tocc.s + i))) return 0;
  }
  return sb_catc(out, '\n');
}

int inj_finish(struct inj *j, int returnpath, sb *out)
{
  static const int rs[] = {HF_R_SENDER, HF_R_FROM, HF_R_REPLYTO, HF_R_TO, HF_R_CC, HF_R_BCC, HF_R_DATE, HF_R_MESSAGEID};
  int r;
  if (!j->done && (r = inj_eof(j)) != INJ_MORE) return r;
  j->resent = 0;
  for (size_t i = 0; i < sizeof rs / sizeof rs[0]; ++i)
    if (j->seen[rs[i]]) j->resent = 1;
  if (!j->have_sender && (r = default_sender(j)) != INJ_MORE) return r;
  if (returnpath) {
    if (!sb_cats(out, "Return-Path: <") || !quote_addr(out, j->sender.s, j->sender.len) ||
        !sb_cats(out, ">\n"))
      return INJ_NOMEM;
  }
  if ((r = stamps(j, j->resent ? "Resent-" : "", out)) != INJ_MORE) return r;
  if (!j->resent && !followup(j, out)) return INJ_NOMEM;
  return sb_catsb(out, &j->saved) ? INJ_MORE : INJ_NOMEM;
}

const sb *inj_hrcpts(const struct inj *j) { return j->resent ? &j->hrr : &j->hr; }
