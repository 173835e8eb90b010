#include "qlverify.h"
#include "dotqmail.h"
#include "qmail-ldap.h"
#include <string.h>

#define T_NOMAILBOX "Sorry, no mailbox here by that name. (#5.1.1)"
#define T_DISABLED "Mailaddress is administratively disabled. (#5.2.1)"
#define T_NOHOST "Sorry, address must include host name. (#5.1.3)"
#define T_OVERQUOTA "The users mailfolder is over the allowed quota (size). (#5.2.2)"
#define T_SIZEMAX "The message exceeded the maximum size the user accepts. (#5.2.3)"
#define T_NOTUNIQUE "More than one directory entry has this address. (#4.3.5)"
#define T_DIRECTORY "Temporary failure in directory lookup. (#4.4.3)"
#define T_LOOKUP "Temporary failure in address lookup. (#4.3.0)"

void qlv_mailbox_init(struct qlv_mailbox *m) { memset(m, 0, sizeof *m); }

void qlv_mailbox_free(struct qlv_mailbox *m)
{
  sb_free(&m->quotadef);
  sb_free(&m->maildir);
  memset(m, 0, sizeof *m);
}

/* The Maildir delivery's quota check runs in: the first Maildir line of
 * the default delivery, relative to the home as qmail-local reads it.
 * Nothing when the mailbox is not delivered by these lines (nolocal,
 * forward-only, dotonly: ~/.qmail decides, a qmailGroup). */
static int maildir_of(const struct qlp_delivery *d, sb *out)
{
  struct dq_line l;
  size_t pos = 0;
  out->len = 0;
  if (d->forwardonly || qlp_has_mode(d, MODE_NOLOCAL) || qlp_has_mode(d, MODE_FORWARDONLY) || d->group.len ||
      !strcmp(d->dotmode.s ? d->dotmode.s : "", DOTMODE_DOTONLY))
    return sb_catb(out, "", 0);
  while (d->aliasempty.s && dq_next(d->aliasempty.s, d->aliasempty.len, &pos, &l)) {
    if (l.kind != DQ_MAILDIR) continue;
    const char *p = l.s;
    size_t n = l.len;
    if (p[0] != '/') {
      while (n >= 2 && p[0] == '.' && p[1] == '/') { p += 2; n -= 2; }
      if (!sb_copysb(out, &d->home)) return 0;
      if ((!out->len || out->s[out->len - 1] != '/') && !sb_catc(out, '/')) return 0;
    }
    if (!sb_catb(out, p, n)) return 0;
    /* the quota reader refuses anything else; so does qmail-local */
    if (out->s[0] != '/' || !qlp_path_ok(out->s)) out->len = 0;
    return sb_catb(out, "", 0);
  }
  return sb_catb(out, "", 0);
}

int qlv_mailbox(const struct qldap_entry *e, const struct qlp_config *c, struct qlv_mailbox *m)
{
  struct qlp_delivery d;
  const char *v;
  m->status = QLV_BOX_UNCHECKED;
  m->quota.size = m->quota.count = 0;
  m->sizemax = m->uid = m->gid = 0;
  m->quotadef.len = m->maildir.len = 0;
  if (qldap_get1(e, LDAP_ISACTIVE, &v) > 0) {
    int st = qlp_status_of(v);
    if (st == 2) return m->status = QLV_BOX_DISABLED;
    if (st == 3) return m->status = QLV_BOX_DELETED;
  }
  qlp_init(&d);
  int r = qlp_decide(e, c, &d);
  if (r == QLP_TEMP) m->status = QLV_BOX_TEMP;
  else if (r == QLP_DELIVER) {
    if (!sb_copysb(&m->quotadef, &d.quota) || !sb_catb(&m->quotadef, "", 0) || !maildir_of(&d, &m->maildir))
      m->status = QLV_BOX_TEMP;
    else if (quota_parse(m->quotadef.s, &m->quota) < 0)
      m->status = QLV_BOX_UNCHECKED;     /* qlp_quota_string never makes one */
    else {
      m->status = QLV_BOX_OK;
      m->sizemax = d.sizemax;
      m->uid = d.uid;
      m->gid = d.gid;
    }
  }
  /* QLP_PERM (illegal or missing attributes) and QLP_CLUSTER stay
   * unchecked: delivery gives the precise answer */
  qlp_free(&d);
  return m->status;
}

int qlv_has_host(const char *addr) { return strchr(addr, '@') != NULL; }

static void reply(struct qlv_reply *r, char kind, unsigned code, const char *text)
{
  r->kind = kind;
  r->code = code;
  r->text = text;
}

static const char *temptext(int why)
{
  if (why == QLW_NONE || !qldap_why_temporary(why)) return T_LOOKUP;
  return qldap_why_text(why);
}

void qlv_decide(int kind, const char *addr, int found, int why, const struct qlv_mailbox *m, int hassize,
                uint64_t size, const struct usage *u, struct qlv_reply *r)
{
  r->quota = 0;
  if (!qlv_has_host(addr)) { reply(r, 'D', 554, T_NOHOST); return; }
  switch (found) {
  case QLV_LOCAL: reply(r, 'K', 0, ""); return;
  case QLV_NOTFOUND: reply(r, 'D', 554, T_NOMAILBOX); return;
  case QLV_TEMP: reply(r, 'Z', 451, temptext(why)); return;
  /* permanent for delivery, but a directory fault is never the sender's */
  case QLV_PERM: reply(r, 'Z', 451, why == QLW_TOOMANY ? T_NOTUNIQUE : T_DIRECTORY); return;
  case QLV_ENTRY: break;
  default: reply(r, 'Z', 451, T_LOOKUP); return;
  }
  if (!m) { reply(r, 'Z', 451, T_LOOKUP); return; }
  switch (m->status) {
  case QLV_BOX_DISABLED: reply(r, 'D', 554, T_DISABLED); return;
  case QLV_BOX_DELETED: reply(r, 'D', 554, T_NOMAILBOX); return;
  case QLV_BOX_TEMP: reply(r, 'Z', 451, qldap_why_text(QLW_NOMEM)); return;
  case QLV_BOX_OK: break;
  default: reply(r, 'K', 0, ""); return;
  }
  if (kind != 'R') { reply(r, 'K', 0, ""); return; }
  /* delivery's order: mailSizeMax (qmail-lspawn), then the quota (qmail-local) */
  if (hassize && m->sizemax && size > m->sizemax) { reply(r, 'D', 552, T_SIZEMAX); return; }
  if (u && m->maildir.len && (m->quota.size || m->quota.count) &&
      quota_over(&m->quota, u, hassize && size ? size : 1)) {   /* no SIZE=: does any message fit? */
    reply(r, 'D', 552, T_OVERQUOTA);
    r->quota = 1;
    return;
  }
  reply(r, 'K', 0, "");
}

int qlv_format(const struct qlv_reply *r, sb *out)
{
  out->len = 0;
  if (r->kind == 'K') return sb_catc(out, 'K') && sb_cat0(out);
  return sb_catc(out, r->kind) && sb_catu64(out, r->code) && sb_catc(out, ' ') && sb_cats(out, r->text) &&
         sb_cat0(out);
}
