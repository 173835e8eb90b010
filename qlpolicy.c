#include "qlpolicy.h"
#include "qmail-ldap.h"
#include <string.h>
#include <strings.h>

void qlp_init(struct qlp_delivery *d) { memset(d, 0, sizeof *d); }

void qlp_free(struct qlp_delivery *d)
{
  sb *all[] = {&d->user, &d->home, &d->aliasempty, &d->dotmode, &d->mode, &d->forwards,
               &d->programs, &d->replytext, &d->quota, &d->mailhost, &d->group};
  for (size_t i = 0; i < sizeof all / sizeof all[0]; ++i) sb_free(all[i]);
  memset(d, 0, sizeof *d);
}

static int perm(struct qlp_delivery *d, int why, const char *text)
{
  d->status = QLP_PERM; d->why = why; d->text = text;
  return d->status;
}

static int temp(struct qlp_delivery *d)
{
  d->status = QLP_TEMP; d->why = QLW_NOMEM; d->text = qldap_why_text(QLW_NOMEM);
  return d->status;
}

int qlp_path_ok(const char *p)
{
  if (!*p || *p == '-') return 0;
  if (!strncmp(p, "../", 3) || !strcmp(p, "..") || strstr(p, "/../")) return 0;
  size_t n = strlen(p);
  if (n >= 3 && !strcmp(p + n - 3, "/..")) return 0;
  for (; *p; ++p) {
    char c = *p;
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
          strchr("#._@/:=-", c)))
      return 0;
  }
  return 1;
}

int qlp_uidname_ok(const char *p)
{
  if (!*p || *p == '-') return 0;
  for (; *p; ++p) {
    char c = *p;
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || strchr("#._@-", c)))
      return 0;
  }
  return 1;
}

int qlp_program_ok(const char *p)
{
  if (!*p) return 0;
#if RESTRICT_PROG
  for (; *p; ++p) {
    char c = *p;
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
          strchr(" \t\n\"'#+,-./:=@\\_", c)))
      return 0;
  }
#endif
  return 1;
}

int qlp_quota_string(uint64_t size, uint64_t count, sb *out)
{
  out->len = 0;
  if (!sb_catb(out, "", 0)) return 0;
  if (size && (!sb_catu64(out, size) || !sb_catc(out, 'S'))) return 0;
  if (size && count && !sb_catc(out, ',')) return 0;
  if (count && (!sb_catu64(out, count) || !sb_catc(out, 'C'))) return 0;
  return 1;
}

int qlp_status_of(const char *v)
{
  if (!strcasecmp(v, ISACTIVE_NOACCESS)) return 1;
  if (!strcasecmp(v, ISACTIVE_DISABLED)) return 2;
  if (!strcasecmp(v, ISACTIVE_DELETED)) return 3;
  return 0;   /* active, and unknown values, as the original */
}

static int listed(const char *list, size_t len, const char *host)
{
  for (size_t i = 0; list && i < len; i += strlen(list + i) + 1)
    if (!strcasecmp(list + i, host)) return 1;
  return 0;
}

/* numeric id: attribute, else default; bounds checked */
static int getid(const struct qldap_entry *e, const char *attr, uint64_t def, uint64_t lo, uint64_t hi,
                 uint64_t *out)
{
  int r = qldap_getu64(e, attr, out);
  if (r < 0) return QLW_ILLVAL;
  if (r == 0) { if (!def) return QLW_NEEDED; *out = def; }
  if (*out < lo || *out > hi) return QLW_ILLVAL;
  return 0;
}

/* split every value on ':' and ',' (old CSV form) and keep known flags */
static int modes(const struct qldap_entry *e, struct qlp_delivery *d)
{
  static const char *const known[] = {MODE_NOLOCAL, MODE_NOMBOX, MODE_NOFORWARD, MODE_NOPROG,
                                      MODE_REPLY, MODE_FORWARDONLY, 0};
  const struct qldap_attr *a = qldap_attr(e, LDAP_MODE);
  for (size_t i = 0; a && i < a->nvals; ++i) {
    const char *v = a->vals[i];
    while (*v) {
      size_t n = strcspn(v, ":,");
      while (n && (*v == ' ' || *v == '\t')) { ++v; --n; }
      size_t m = n;
      while (m && (v[m - 1] == ' ' || v[m - 1] == '\t')) --m;
      for (unsigned k = 0; known[k]; ++k) {
        if (strlen(known[k]) == m && !strncasecmp(v, known[k], m)) {
          const char *flag = k == 1 ? MODE_NOLOCAL : known[k];   /* nombox = nolocal */
          if (d->mode.len && !sb_catc(&d->mode, ',')) return -1;
          if (!sb_cats(&d->mode, flag)) return -1;
        }
      }
      v += n;
      if (*v) ++v;
    }
  }
  return sb_catb(&d->mode, "", 0) ? 0 : -1;
}

int qlp_has_mode(const struct qlp_delivery *d, const char *flag)
{
  size_t fl = strlen(flag);
  const char *s = d->mode.s;
  for (size_t i = 0; s && i < d->mode.len;) {
    size_t n = strcspn(s + i, ",");
    if (n == fl && !strncmp(s + i, flag, n)) return 1;
    i += n + 1;
  }
  return 0;
}

static int multi(const struct qldap_entry *e, const char *attr, sb *out, int (*ok)(const char *))
{
  const struct qldap_attr *a = qldap_attr(e, attr);
  for (size_t i = 0; a && i < a->nvals; ++i) {
    const char *v = a->vals[i];
    if (strlen(v) != a->lens[i] || strchr(v, '\n') || (ok && !ok(v))) return QLW_ILLVAL;
    if (!*v) continue;
    if (out->len && !sb_catc(out, '\n')) return QLW_NOMEM;
    if (!sb_cats(out, v)) return QLW_NOMEM;
  }
  return sb_catb(out, "", 0) ? 0 : QLW_NOMEM;
}

static int fwd_ok(const char *v) { return strlen(v) <= 1000 && !strchr(v, '\r'); }

static const char *lower_dotmode(const char *v)
{
  static const char *const m[] = {DOTMODE_LDAPONLY, DOTMODE_LDAPWITHPROG, DOTMODE_DOTONLY,
                                  DOTMODE_BOTH, DOTMODE_NONE, 0};
  for (unsigned i = 0; m[i]; ++i)
    if (!strcasecmp(v, m[i])) return m[i];
  return NULL;
}

int qlp_decide(const struct qldap_entry *e, const struct qlp_config *c, struct qlp_delivery *d)
{
  const char *v, *home = NULL, *store = NULL;
  int r, w;
  uint64_t qs, qc;

  d->status = QLP_DELIVER;
  /* account status first: a disabled account is never delivered */
  r = qldap_get1(e, LDAP_ISACTIVE, &v);
  if (r < 0) return perm(d, QLW_ILLVAL, "Illegal value in LDAP attribute accountStatus. (#5.3.5)");
  if (r > 0) {
    int st = qlp_status_of(v);
    if (st == 2) return perm(d, QLW_ILLVAL, "Mailaddress is administratively disabled. (#5.2.1)");
    if (st == 3) return perm(d, QLW_ILLVAL, "Sorry, no mailbox here by that name. (#5.1.1)");
  }
  /* group entries are expanded by qmail-group */
  const struct qldap_attr *oc = qldap_attr(e, LDAP_OBJECTCLASS);
  for (size_t i = 0; oc && i < oc->nvals; ++i)
    if (!strcasecmp(oc->vals[i], LDAP_GROUPOBJECTCLASS) && !sb_copys(&d->group, e->dn.s)) return temp(d);
  /* cluster: another host holds the mailbox */
  r = qldap_get1(e, LDAP_MAILHOST, &v);
  if (r < 0) return perm(d, QLW_ILLVAL, "Illegal value in LDAP attribute mailHost. (#5.3.5)");
  if (r > 0) {
    if (!sb_copys(&d->mailhost, v)) return temp(d);
    if (c->cluster && strcasecmp(v, c->me ? c->me : "") &&
        !listed(c->clusterhosts, c->clusterhosts_len, v)) {
      d->status = QLP_CLUSTER;
      return d->status;
    }
  }
  /* size limit and quota */
  r = qldap_getu64(e, LDAP_MAXMSIZE, &d->sizemax);
  if (r < 0) return perm(d, QLW_ILLVAL, "Illegal value in LDAP attribute mailSizeMax. (#5.3.5)");
  r = qldap_getu64(e, LDAP_QUOTA_SIZE, &qs);
  if (r < 0) return perm(d, QLW_ILLVAL, "Illegal value in LDAP attribute mailQuotaSize. (#5.3.5)");
  if (r == 0) qs = c->defquotasize;
  r = qldap_getu64(e, LDAP_QUOTA_COUNT, &qc);
  if (r < 0) return perm(d, QLW_ILLVAL, "Illegal value in LDAP attribute mailQuotaCount. (#5.3.5)");
  if (r == 0) qc = c->defquotacount;
  if (!qlp_quota_string(qs, qc, &d->quota)) return temp(d);
  /* delivery flags, forwards, programs, reply */
  if (modes(e, d) < 0) return temp(d);
  if ((w = multi(e, LDAP_FORWARDS, &d->forwards, fwd_ok)))
    return w == QLW_NOMEM ? temp(d) : perm(d, w, "Illegal value in LDAP attribute mailForwardingAddress. (#5.3.5)");
  /* mailbox location (facts §4.3) */
  r = qldap_get1(e, LDAP_HOMEDIR, &home);
  if (r < 0) return perm(d, QLW_ILLVAL, "Illegal value in LDAP attribute homeDirectory. (#5.3.5)");
  if (r == 0) home = NULL;
  r = qldap_get1(e, LDAP_MAILSTORE, &store);
  if (r < 0) return perm(d, QLW_ILLVAL, "Illegal value in LDAP attribute mailMessageStore. (#5.3.5)");
  if (r == 0) store = NULL;
  if (!home && !store) {
    /* forward-only account, delivered as the alias user */
    if (!d->forwards.len)
      return perm(d, QLW_NEEDED, "Forward-only entry without mailForwardingAddress. (#5.3.5)");
    d->forwardonly = 1;
    if (!sb_copys(&d->user, c->aliasuser) || !sb_copys(&d->home, c->aliashome) ||
        !sb_copys(&d->aliasempty, ALIASDEVNULL) || !sb_copys(&d->dotmode, DOTMODE_LDAPONLY))
      return temp(d);
    if (d->mode.len && !sb_catc(&d->mode, ',')) return temp(d);
    if (!sb_cats(&d->mode, MODE_FORWARDONLY)) return temp(d);
    d->uid = c->aliasuid; d->gid = c->aliasgid;
    if (!sb_catb(&d->programs, "", 0) || !sb_catb(&d->replytext, "", 0)) return temp(d);
    return d->status;
  }
  if (home) {
    if (home[0] != '/' || !qlp_path_ok(home))
      return perm(d, QLW_ILLVAL, "Illegal value in LDAP attribute homeDirectory. (#5.3.5)");
    if (!sb_copys(&d->home, home)) return temp(d);
    if (store) {
      if (!qlp_path_ok(store)) return perm(d, QLW_ILLVAL, "Illegal value in LDAP attribute mailMessageStore. (#5.3.5)");
      /* the store is the delivery line as it stands; a relative one
       * ("Maildir/") would read as a forward address there, so it is
       * made relative to the home explicitly */
      if (store[0] != '/' && strncmp(store, "./", 2) && !sb_copys(&d->aliasempty, "./")) return temp(d);
      if (!sb_cats(&d->aliasempty, store)) return temp(d);
    } else if (!sb_copys(&d->aliasempty, c->aliasempty)) return temp(d);
  } else {
    if (!qlp_path_ok(store)) return perm(d, QLW_ILLVAL, "Illegal value in LDAP attribute mailMessageStore. (#5.3.5)");
    if (store[0] == '/') {
      if (!sb_copys(&d->home, store)) return temp(d);
    } else {
      if (!c->messagestore || !*c->messagestore)
        return perm(d, QLW_ILLVAL, "Relative mailMessageStore without control/ldapmessagestore. (#5.3.5)");
      if (!sb_copys(&d->home, c->messagestore)) return temp(d);
      if (d->home.s[d->home.len - 1] != '/' && !sb_catc(&d->home, '/')) return temp(d);
      if (!sb_cats(&d->home, store)) return temp(d);
    }
    if (!sb_copys(&d->aliasempty, c->aliasempty)) return temp(d);
  }
  /* the user: uid attribute as name, qmailUID/qmailGID (or defaults) as ids */
  r = qldap_get1(e, LDAP_UID, &v);
  if (r < 0 || (r > 0 && !qlp_uidname_ok(v)))
    return perm(d, QLW_ILLVAL, "Illegal value in LDAP attribute uid. (#5.3.5)");
  if (r == 0) return perm(d, QLW_NEEDED, "Missing LDAP attribute uid. (#5.3.5)");
  if (!sb_copys(&d->user, v)) return temp(d);
  if ((w = getid(e, LDAP_QMAILUID, c->ldapuid, UID_MIN, UID_MAX, &d->uid)))
    return perm(d, w, w == QLW_NEEDED ? "Missing LDAP attribute qmailUID and no control/ldapuid. (#5.3.5)"
                                      : "Illegal value in LDAP attribute qmailUID. (#5.3.5)");
  if ((w = getid(e, LDAP_QMAILGID, c->ldapgid, GID_MIN, GID_MAX, &d->gid)))
    return perm(d, w, w == QLW_NEEDED ? "Missing LDAP attribute qmailGID and no control/ldapgid. (#5.3.5)"
                                      : "Illegal value in LDAP attribute qmailGID. (#5.3.5)");
  /* dot-mode */
  r = qldap_get1(e, LDAP_DOTMODE, &v);
  if (r < 0) return perm(d, QLW_ILLVAL, "Illegal value in LDAP attribute qmailDotMode. (#5.3.5)");
  if (r == 0) v = c->defaultdotmode && *c->defaultdotmode ? c->defaultdotmode : DOTMODE_LDAPONLY;
  const char *dm = lower_dotmode(v);
  if (!dm) return perm(d, QLW_ILLVAL, "Illegal value in LDAP attribute qmailDotMode. (#5.3.5)");
  if (!sb_copys(&d->dotmode, dm)) return temp(d);
  /* programs only where the dot-mode allows them */
  if (!strcmp(dm, DOTMODE_LDAPWITHPROG) || !strcmp(dm, DOTMODE_BOTH)) {
    if ((w = multi(e, LDAP_PROGRAM, &d->programs, qlp_program_ok)))
      return w == QLW_NOMEM ? temp(d) : perm(d, w, "Illegal value in LDAP attribute deliveryProgramPath. (#5.3.5)");
  } else if (!sb_catb(&d->programs, "", 0)) return temp(d);
  if (qlp_has_mode(d, MODE_REPLY)) {
    r = qldap_get1(e, LDAP_REPLYTEXT, &v);
    if (r < 0) return perm(d, QLW_ILLVAL, "Illegal value in LDAP attribute mailReplyText. (#5.3.5)");
    if (r > 0 && !sb_copys(&d->replytext, v)) return temp(d);
  }
  if (!sb_catb(&d->replytext, "", 0)) return temp(d);
  return d->status;
}
