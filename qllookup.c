#include "qllookup.h"
#include "auto.h"
#include "ctl.h"
#include "qlfilter.h"
#include "qmail-ldap.h"
#include <errno.h>
#include <pwd.h>
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
