#!/bin/sh
# The "Adding a user" example of QLDAPINSTALL section 2 works as written:
# its LDIF is cut out of QLDAPINSTALL, loaded into a real slapd with
# qmail.schema under the control files that section names, checked with
# qmail-ldaplookup and delivered to (the Maildir is created by the first
# delivery). Only the paths (/var/qmail/maildirs -> $T/maildirs), the
# vmail user (a test user) and the password hash are replaced.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../slapd.sh"
top=$(cd "$(dirname "$0")/../.." && pwd)
LD=$T/ldap
LK=$QH/bin/qmail-ldaplookup
MS=$T/maildirs

freeport() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
cleanup() { qstop > /dev/null 2>&1; slapd_stop "$LD"; }
trap 'cleanup' EXIT
trap 'cleanup; exit 1' INT TERM

# the indented LDIF block that starts with "dn: ou=people"
awk '/^    dn: ou=people,dc=example,dc=com$/ { on = 1 }
     on && /^[^ ]/ { exit }
     on { sub(/^    /, ""); print }' "$top/QLDAPINSTALL" > "$T/elvis.doc.ldif"
check "QLDAPINSTALL has the example LDIF" grep -q '^dn: uid=elvis,ou=people,dc=example,dc=com$' "$T/elvis.doc.ldif"
check "the example is a qmailUser" grep -qx 'objectClass: qmailUser' "$T/elvis.doc.ldif"
grep -q '^userPassword: {SSHA}' "$T/elvis.doc.ldif" || notok "the example has an {SSHA} userPassword"
PW=Love-Me-Tender
HASH=$(slappasswd -h '{SSHA}' -s "$PW")
sed -e "s|/var/qmail/maildirs|$MS|" -e "s|^userPassword: .*|userPassword: $HASH|" "$T/elvis.doc.ldif" > "$T/elvis.ldif"

LPORT=$(freeport)
rm -rf "$LD" "$LD.qmail.ldif"
if ! slapd_setup "$LD" "$top" || ! slapd_start "$LD" "$LPORT"; then
  notok "slapd starts" "slapd_setup/slapd_start failed"; done_testing; exit
fi
ok "slapd starts on port $LPORT"

# the control files of section 1 step 4 (vmail is a test user here)
add_user vmail
mkdir -m 700 "$MS" && chown "$(uid_of vmail):$(uid_of vmail)" "$MS"
ctl ldapserver "127.0.0.1:$LPORT"
ctl ldapbasedn dc=example,dc=com
ctl ldapobjectclass qmailUser
ctl ldapuid "$(uid_of vmail)"
ctl ldapgid "$(uid_of vmail)"
ctl ldapmessagestore "$MS"
ctl ldaprebind 1
ctl locals testhost.example example.com

ldapadd -c -x -H "ldap://127.0.0.1:$LPORT" -D cn=admin,dc=example,dc=com -w "$SLAPD_ROOTPW" \
  -f "$T/elvis.ldif" > "$T/ldapadd.out" 2>&1
check "ldapadd takes the example" test $? = 0
ldapadd -c -x -H "ldap://127.0.0.1:$LPORT" -D cn=admin,dc=example,dc=com -w "$SLAPD_ROOTPW" \
  -f "$T/elvis.ldif" > "$T/ldapadd2.out" 2>&1
check "ldapadd -c again: only 'Already exists'" sh -c '! grep -i "error" "$1" | grep -v -q "Already exists"' x "$T/ldapadd2.out"

"$LK" -m the-king@example.com > "$T/lk" 2>&1; rc=$?
check "qmail-ldaplookup -m the-king@: exit 0" test "$rc" = 0
check "qmail-ldaplookup: delivery: local" grep -qx 'delivery: local' "$T/lk"
check "qmail-ldaplookup: home under maildirs" grep -qx "home: $MS/elvis" "$T/lk"
check "qmail-ldaplookup: aliasEmpty ./Maildir/" grep -qx 'aliasEmpty: ./Maildir/' "$T/lk"
check "qmail-ldaplookup: uid from ldapuid" grep -qx "uid: $(uid_of vmail)" "$T/lk"
"$LK" -u elvis -p "$PW" > "$T/lkp" 2>&1; rc=$?
check "qmail-ldaplookup -u elvis -p: password checks" sh -c 'test "$1" = 0 && grep -q "PASSWORD COMPARE was successful" "$2"' x "$rc" "$T/lkp"

check "qmail-start comes up" qstart
SENDER=snd@testhost.example
send_to elvis@example.com "thank you very much"
send_to elvis.presley@example.com "hound dog"
check "delivered to the example user" wait_for_mail "$MS/elvis/Maildir" '^Subject: thank you very much'
check "delivered to his alternate address" wait_for_mail "$MS/elvis/Maildir" '^Subject: hound dog'
check "mailbox created, owned by vmail" test "$(stat -c %u "$MS/elvis/Maildir/new")" = "$(uid_of vmail)"
check "queue empty" wait_queue_empty 30
check "SIGTERM: every process exits" qstop
done_testing
