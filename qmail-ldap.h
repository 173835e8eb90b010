/* qmail-ldap.h: directory attribute names and tunables.
 * Sites may rename attributes here; every program takes them from here. */
#ifndef QMAIL_LDAP_H
#define QMAIL_LDAP_H

/* qmailUser */
#define LDAP_MAIL "mail"
#define LDAP_MAILALTERNATE "mailAlternateAddress"
#define LDAP_UID "uid"
#define LDAP_QMAILUID "qmailUID"
#define LDAP_QMAILGID "qmailGID"
#define LDAP_MAILSTORE "mailMessageStore"
#define LDAP_HOMEDIR "homeDirectory"
#define LDAP_PASSWD "userPassword"
#define LDAP_MAILHOST "mailHost"
#define LDAP_FORWARDS "mailForwardingAddress"
#define LDAP_PROGRAM "deliveryProgramPath"
#define LDAP_DOTMODE "qmailDotMode"
#define LDAP_MODE "deliveryMode"
#define LDAP_REPLYTEXT "mailReplyText"
#define LDAP_ISACTIVE "accountStatus"
#define LDAP_PURGE "qmailAccountPurge"
#define LDAP_QUOTA_SIZE "mailQuotaSize"
#define LDAP_QUOTA_COUNT "mailQuotaCount"
#define LDAP_MAXMSIZE "mailSizeMax"
#define LDAP_OBJECTCLASS "objectClass"
/* qmailGroup */
#define LDAP_GROUPOBJECTCLASS "qmailGroup"
#define LDAP_GROUPMEMBER_DN "dnmember"
#define LDAP_GROUPMEMBER_822 "rfc822member"
#define LDAP_GROUPMEMBER_FILTER "filtermember"
#define LDAP_GROUPCONFIRM "senderconfirm"
#define LDAP_GROUPMEMBERONLY "membersonly"
#define LDAP_GROUPCONFRIMTEXT "confirmtext"
#define LDAP_GROUPMODERATDN "dnmoderator"
#define LDAP_GROUPMODERAT822 "rfc822moderator"
#define LDAP_GROUPMODERATTEXT "moderatortext"
#define LDAP_GROUPSENDER_DN "dnsender"
#define LDAP_GROUPSENDER_822 "rfc822sender"
#define LDAP_GROUPSENDER_FILTER "filtersender"
#define LDAP_GROUPBOUNCEADMIN "bounceadmin"

/* accountStatus values */
#define ISACTIVE_ACTIVE "active"
#define ISACTIVE_NOACCESS "noaccess"
#define ISACTIVE_DISABLED "disabled"
#define ISACTIVE_DELETED "deleted"

/* Tunables */
#define LDAP_CATCH_ALL "catchall"     /* local part of catch-all entries */
#define DASH_EXT_LEVELS 4             /* dash levels walked for catch-alls */
#define QUOTA_WARNING_LEVEL 70        /* percent of quota that triggers a warning */
#define REPLY_TIMEOUT 1209600         /* one auto-reply per sender per 14 days */
#define REPLY_SUBJ "Your Mail"
#define REPLY_CT "text/plain; charset=utf-8"
#define REPLY_CTE "8bit"
#define UID_MIN 100
#define UID_MAX 65535
#define GID_MIN 100
#define GID_MAX 65535
#define RESTRICT_PROG 1               /* restrict deliveryProgramPath characters */
#define QLDAP_TIMEOUT 30
#define QLDAP_MAXVALUE 4096           /* longest attribute value accepted */
#define ALIASDEVNULL "|echo \"Unable to deliver mail: account incorrectly configured. (#5.3.5)\"; exit 100"

/* qmail-lspawn -> qmail-local environment */
#define ENV_DOTMODE "QMAILDOTMODE"
#define ENV_MODE "QMAILMODE"
#define ENV_REPLYTEXT "QMAILREPLYTEXT"
#define ENV_FORWARDS "QMAILFORWARDS"
#define ENV_PROGRAM "QMAILDELIVERYPROGRAM"
#define ENV_QUOTA "MAILDIRQUOTA"
#define ENV_GROUP "QLDAPGROUP"

/* dot-modes */
#define DOTMODE_LDAPONLY "ldaponly"
#define DOTMODE_LDAPWITHPROG "ldapwithprog"
#define DOTMODE_DOTONLY "dotonly"
#define DOTMODE_BOTH "both"
#define DOTMODE_NONE "none"

/* deliveryMode values */
#define MODE_NOLOCAL "nolocal"
#define MODE_NOMBOX "nombox"
#define MODE_NOFORWARD "noforward"
#define MODE_NOPROG "noprogram"
#define MODE_REPLY "reply"
#define MODE_FORWARDONLY "forwardonly"

#endif
