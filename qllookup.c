#include "qllookup.h"
#include "auto.h"
#include "ctl.h"
#include "qlfilter.h"
#include "qmail-ldap.h"
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

const char *const ql_delivery_attrs[] = {
  LDAP_MAIL, LDAP_MAILALTERNATE, LDAP_UID, LDAP_QMAILUID, LDAP_QMAILGID, LDAP_ISACTIVE, LDAP_MAILHOST, LDAP_MAILSTORE,
  LDAP_HOMEDIR, LDAP_QUOTA_SIZE, LDAP_QUOTA_COUNT, LDAP_FORWARDS, LDAP_PROGRAM, LDAP_MODE,
  LDAP_REPLYTEXT, LDAP_DOTMODE, LDAP_MAXMSIZE, LDAP_OBJECTCLASS, 0
};

int qlsetup_read(struct qlsetup *s, const char *aliasempty)
{
  struct passwd *pw;
  memset(s, 0, sizeof *s);
  if (qldap_config_read(&s->lcfg) < 0) return -1;
  if (ctl_line("me", &s->me) < 0 || ctl_list("ldapclusterhosts", &s->clusterhosts) < 0 ||
      ctl_line("ldapmessagestore", &s->messagestore) < 0 || ctl_line("ldapdefaultdotmode", &s->dotmode) < 0 ||
      ctl_list("aliasdomains", &s->aliasdomains) < 0)
    return -1;
  if (ctl_bool("ldapcluster", &s->pcfg.cluster) < 0 || ctl_bool("ldaplocaldelivery", &s->localdelivery) < 0 ||
      ctl_bool("ldaprebind", &s->rebind) < 0 || ctl_u64("ldapuid", &s->pcfg.ldapuid) < 0 ||
      ctl_u64("ldapgid", &s->pcfg.ldapgid) < 0 || ctl_u64("defaultquotasize", &s->pcfg.defquotasize) < 0 ||
      ctl_u64("defaultquotacount", &s->pcfg.defquotacount) < 0)
    return -1;
  if (!sb_copys(&s->aliasempty, aliasempty ? aliasempty : "./Maildir/")) return -1;
  errno = 0;
  pw = getpwnam(AUTO_USERA);
  /* ~alias is this installation's alias directory (see qmail-getpw) */
  if (pw) {
    s->pcfg.aliasuid = pw->pw_uid;
    s->pcfg.aliasgid = pw->pw_gid;
  }
  if (!sb_copys(&s->aliashome, AUTO_ALIASHOME)) return -1;
  if (!sb_catb(&s->me, "", 0) || !sb_catb(&s->messagestore, "", 0) || !sb_catb(&s->dotmode, "", 0) ||
      !sb_catb(&s->clusterhosts, "", 0) || !sb_catb(&s->aliasdomains, "", 0))
    return -1;
  s->pcfg.me = s->me.s;
  s->pcfg.clusterhosts = s->clusterhosts.s;
  s->pcfg.clusterhosts_len = s->clusterhosts.len;
  s->pcfg.messagestore = s->messagestore.s;
  s->pcfg.defaultdotmode = s->dotmode.s;
  s->pcfg.aliasempty = s->aliasempty.s;
  s->pcfg.aliasuser = AUTO_USERA;
  s->pcfg.aliashome = s->aliashome.s;
  return 0;
}

void qlsetup_free(struct qlsetup *s)
{
  qldap_config_free(&s->lcfg);
  sb *all[] = {&s->me, &s->clusterhosts, &s->messagestore, &s->dotmode, &s->aliasempty, &s->aliashome,
               &s->aliasdomains};
  for (size_t i = 0; i < sizeof all / sizeof all[0]; ++i) sb_free(all[i]);
}

/* aliasdomains "alias:real": searches use the real domain */
static const char *realdomain(const struct qlsetup *s, const char *dom, size_t *dl)
{
  const char *l = s->aliasdomains.s;
  for (size_t i = 0; l && i < s->aliasdomains.len; i += strlen(l + i) + 1) {
    const char *c = strchr(l + i, ':');
    if (c && (size_t)(c - (l + i)) == *dl && !strncasecmp(l + i, dom, *dl) && c[1]) {
      *dl = strlen(c + 1);
      return c + 1;
    }
  }
  return dom;
}

int ql_lookup_mail(struct qldap *q, const struct qlsetup *s, const char *addr,
                   struct qldap_entry *e, sb *ext, sb *matched,
                   void (*trace)(const char *filter, void *arg), void *arg)
{
  sb cands = SB_INIT, filter = SB_INIT;
  const char *at = strrchr(addr, '@');
  size_t llen = at ? (size_t)(at - addr) : strlen(addr);
  const char *dom = at ? at + 1 : "";
  size_t dl = strlen(dom);
  int rc = QLDAP_NOTFOUND;
  const char *oc = s->lcfg.objectclass.len ? s->lcfg.objectclass.s : NULL;

  qldap_entry_init(e);
  dom = realdomain(s, dom, &dl);
  int n = qlf_candidates(addr, llen, dom, dl, AUTO_BREAK, &cands);
  if (n < 0) { q->why = QLW_NOMEM; rc = QLDAP_TEMP; goto done; }
  for (size_t i = 0; i < cands.len;) {
    const char *cand = cands.s + i;
    size_t cl = strlen(cand);
    const char *cext = cand + cl + 1;
    size_t el = strlen(cext);
    i += cl + 1 + el + 1;
    if (!qlf_mail(&filter, cand, cl, oc)) { q->why = QLW_NOMEM; rc = QLDAP_TEMP; goto done; }
    if (trace) trace(filter.s, arg);
    rc = qldap_search1(q, filter.s, ql_delivery_attrs, e);
    if (rc == QLDAP_NOTFOUND) continue;
    if (rc == QLDAP_OK) {
      if ((ext && !sb_copyb(ext, cext, el)) || (matched && !sb_copyb(matched, cand, cl))) {
        qldap_entry_free(e); q->why = QLW_NOMEM; rc = QLDAP_TEMP;
      }
    }
    break;   /* found, or a failure that must not fall through to a catch-all */
  }
done:
  sb_free(&cands); sb_free(&filter);
  return rc;
}

/* deep copy: qldap_searchn frees each entry after its callback */
static int entry_copy(struct qldap_entry *dst, const struct qldap_entry *src)
{
  qldap_entry_init(dst);
  if (!sb_copyb(&dst->dn, src->dn.s ? src->dn.s : "", src->dn.len)) return 0;
  if (!src->nattr) return 1;
  dst->attr = calloc(src->nattr, sizeof *dst->attr);
  if (!dst->attr) return 0;
  for (size_t i = 0; i < src->nattr; ++i) {
    const struct qldap_attr *a = &src->attr[i];
    struct qldap_attr *b = &dst->attr[i];
    dst->nattr = i + 1;            /* qldap_entry_free frees what exists so far */
    if (!(b->name = strdup(a->name))) return 0;
    if (!a->nvals) continue;
    b->vals = calloc(a->nvals, sizeof *b->vals);
    b->lens = calloc(a->nvals, sizeof *b->lens);
    if (!b->vals || !b->lens) return 0;
    for (size_t j = 0; j < a->nvals; ++j) {
      if (!(b->vals[j] = malloc(a->lens[j] + 1))) return 0;
      memcpy(b->vals[j], a->vals[j], a->lens[j] + 1);
      b->lens[j] = a->lens[j];
      b->nvals = j + 1;
    }
  }
  return 1;
}

/* earliest candidate any mail or mailAlternateAddress value of e equals */
static int entry_pos(const struct qldap_entry *e, const char *cands, size_t len)
{
  static const char *const names[] = {LDAP_MAIL, LDAP_MAILALTERNATE};
  int best = -1;
  for (size_t k = 0; k < sizeof names / sizeof names[0]; ++k) {
    const struct qldap_attr *a = qldap_attr(e, names[k]);
    if (!a) continue;
    int p = qlf_best_candidate(cands, len, (const char *const *)a->vals, a->lens, a->nvals);
    if (p >= 0 && (best < 0 || p < best)) best = p;
  }
  return best;
}

struct chainpick {
  const char *cands;
  size_t len;
  struct qlf_pick pick;
  struct qldap_entry kept;
  int nomem;
};

static int chain_cb(const struct qldap_entry *e, void *arg)
{
  struct chainpick *c = arg;
  if (!qlf_pick_add(&c->pick, entry_pos(e, c->cands, c->len))) return 0;
  qldap_entry_free(&c->kept);
  if (!entry_copy(&c->kept, e)) { qldap_entry_free(&c->kept); c->nomem = 1; return 1; }
  return 0;
}

int ql_lookup_mail1(struct qldap *q, const struct qlsetup *s, const char *addr,
                    struct qldap_entry *e, sb *ext, sb *matched)
{
  sb cands = SB_INIT, filter = SB_INIT;
  const char *at = strrchr(addr, '@');
  size_t llen = at ? (size_t)(at - addr) : strlen(addr);
  const char *dom = at ? at + 1 : "";
  size_t dl = strlen(dom);
  const char *oc = s->lcfg.objectclass.len ? s->lcfg.objectclass.s : NULL;
  struct chainpick c;
  uint64_t count;
  int rc, seq = 0;

  qldap_entry_init(e);
  memset(&c, 0, sizeof c);
  qldap_entry_init(&c.kept);
  qlf_pick_init(&c.pick);
  dom = realdomain(s, dom, &dl);
  if (qlf_candidates(addr, llen, dom, dl, AUTO_BREAK, &cands) < 0 || !qlf_mail_chain(&filter, cands.s, cands.len, oc)) {
    q->why = QLW_NOMEM; rc = QLDAP_TEMP; goto done;
  }
  c.cands = cands.s;
  c.len = cands.len;
  rc = qldap_searchn(q, filter.s, ql_delivery_attrs, chain_cb, &c, &count);
  if (c.nomem) { q->why = QLW_NOMEM; rc = QLDAP_TEMP; goto done; }
  if (rc == QLDAP_TEMP || rc == QLDAP_NOTFOUND) goto done;
  /* an unusable entry may be one a search per candidate never reaches */
  if (rc == QLDAP_PERM) { seq = 1; goto done; }
  switch (qlf_pick_result(&c.pick)) {
  case QLF_PICK_ONE: break;
  case QLF_PICK_TOOMANY:
    q->why = QLW_TOOMANY;
    snprintf(q->err, sizeof q->err, "Too many results returned but needs to be unique");
    rc = QLDAP_PERM;
    goto done;
  case QLF_PICK_UNSURE: seq = 1; goto done;
  default: rc = QLDAP_NOTFOUND; goto done;
  }
  /* the candidate at position best: its address and ext */
  size_t i = 0;
  for (int k = 0; k < c.pick.best; ++k) {
    i += strlen(cands.s + i) + 1;
    i += strlen(cands.s + i) + 1;
  }
  const char *cand = cands.s + i;
  size_t cl = strlen(cand);
  const char *cext = cand + cl + 1;
  if ((ext && !sb_copyb(ext, cext, strlen(cext))) || (matched && !sb_copyb(matched, cand, cl))) {
    q->why = QLW_NOMEM; rc = QLDAP_TEMP; goto done;
  }
  *e = c.kept;
  qldap_entry_init(&c.kept);
  rc = QLDAP_OK;
done:
  qldap_entry_free(&c.kept);
  sb_free(&cands); sb_free(&filter);
  if (seq) return ql_lookup_mail(q, s, addr, e, ext, matched, NULL, NULL);
  return rc;
}

int ql_lookup_uid(struct qldap *q, const struct qlsetup *s, const char *uid,
                  const char *const *attrs, struct qldap_entry *e)
{
  sb filter = SB_INIT;
  const char *oc = s->lcfg.objectclass.len ? s->lcfg.objectclass.s : NULL;
  int rc;
  qldap_entry_init(e);
  if (!qlf_uid(&filter, uid, strlen(uid), oc)) { q->why = QLW_NOMEM; return QLDAP_TEMP; }
  rc = qldap_search1(q, filter.s, attrs, e);
  sb_free(&filter);
  return rc;
}
