#include "ldapdeliver.h"
#include "ctl.h"
#include "qlpolicy.h"
#include "qmail-ldap.h"
#include <string.h>

void ld_target_init(struct ld_target *t) { memset(t, 0, sizeof *t); }

void ld_target_free(struct ld_target *t)
{
  sb *all[] = {&t->user, &t->home, &t->dash, &t->ext, &t->aliasempty, &t->mailhost, &t->env, &t->textbuf};
  for (size_t i = 0; i < sizeof all / sizeof all[0]; ++i) sb_free(all[i]);
  memset(t, 0, sizeof *t);
}

static int same(const sb *a, const sb *b)
{
  return a->len == b->len && (!a->len || !memcmp(a->s, b->s, a->len));
}

int ld_config(struct ld_state *st, const char *aliasempty)
{
  struct qlsetup n;
  if (qlsetup_read(&n, aliasempty) < 0) return -1;
  /* a changed server list or identity needs a new connection */
  if (st->q.ld && !(same(&n.lcfg.servers, &st->s.lcfg.servers) && same(&n.lcfg.login, &st->s.lcfg.login) &&
                    same(&n.lcfg.password, &st->s.lcfg.password) && n.lcfg.starttls == st->s.lcfg.starttls))
    qldap_close(&st->q);
  if (st->configured || st->s.me.s) qlsetup_free(&st->s);
  st->s = n;
  st->q.cfg = st->s.lcfg;
  st->configured = st->s.lcfg.servers.len > 0;
  return 0;
}

int ld_localdelivery(const struct ld_state *st) { return st->s.localdelivery; }

static int putenv1(sb *env, const char *name, const char *val)
{
  return sb_cats(env, name) && sb_catc(env, '=') && sb_cats(env, val) && sb_cat0(env);
}

int ld_lookup(struct ld_state *st, const char *rcpt, uint64_t msgsize, struct ld_target *t)
{
  struct qldap_entry e;
  struct qlp_delivery d;
  int rc;
  if (!st->configured) return LD_OFF;
  rc = ql_lookup_mail(&st->q, &st->s, rcpt, &e, &t->ext, NULL, NULL, NULL);
  if (rc == QLDAP_NOTFOUND) return LD_NOTFOUND;
  if (rc != QLDAP_OK) {
    /* the administrator reading the log wants the server and its reason:
     * "<fixed text> [<detail>] (#x.y.z)", the fixed text stays greppable */
    const char *fixed = qldap_why_text(st->q.why), *code = strstr(fixed, "(#");
    t->text = fixed;
    if (st->q.err[0] && code && sb_copyb(&t->textbuf, fixed, (size_t)(code - fixed)) && sb_catc(&t->textbuf, '[') &&
        sb_cats(&t->textbuf, st->q.err) && sb_cats(&t->textbuf, "] ") && sb_cats(&t->textbuf, code))
      t->text = t->textbuf.s;
    return rc == QLDAP_TEMP ? LD_TEMP : LD_PERM;
  }
  qlp_init(&d);
  rc = qlp_decide(&e, &st->s.pcfg, &d);
  qldap_entry_free(&e);
  if (rc == QLP_PERM || rc == QLP_TEMP) {
    t->text = d.text;       /* static texts */
    qlp_free(&d);
    return rc == QLP_PERM ? LD_PERM : LD_TEMP;
  }
  if (rc == QLP_CLUSTER) {
    int ok = sb_copys(&t->mailhost, d.mailhost.s);
    qlp_free(&d);
    if (!ok) { t->text = qldap_why_text(QLW_NOMEM); return LD_TEMP; }
    return LD_CLUSTER;
  }
  if (d.sizemax && msgsize > d.sizemax) {
    qlp_free(&d);
    t->text = "The message exceeded the maximum size the user accepts. (#5.2.3)";
    return LD_PERM;
  }
  int ok = sb_copys(&t->user, d.user.s) && sb_copys(&t->home, d.home.s) &&
           sb_copys(&t->aliasempty, d.aliasempty.s) && sb_copys(&t->dash, t->ext.len ? "-" : "") &&
           sb_catb(&t->ext, "", 0) &&
           putenv1(&t->env, ENV_DOTMODE, d.dotmode.s) && putenv1(&t->env, ENV_MODE, d.mode.s) &&
           putenv1(&t->env, ENV_FORWARDS, d.forwards.s) && putenv1(&t->env, ENV_PROGRAM, d.programs.s) &&
           putenv1(&t->env, ENV_REPLYTEXT, d.replytext.s) && putenv1(&t->env, ENV_QUOTA, d.quota.s) &&
           (!d.group.len || putenv1(&t->env, ENV_GROUP, d.group.s));
  t->uid = d.uid;
  t->gid = d.gid;
  qlp_free(&d);
  if (!ok) { t->text = qldap_why_text(QLW_NOMEM); return LD_TEMP; }
  return LD_DELIVER;
}
