#!/bin/sh
# auth_pop and auth_imap (facts §1a, §4.3, §4.5, §4.7) against a real
# slapd: users with passwords in every scheme bin/digest makes, account
# statuses (nopop too), qmailUID 0, missing and illegal attributes,
# mailHost elsewhere, passwd/shadow users (a private /etc/passwd and
# /etc/shadow in a mount namespace), compare and rebind mode. auth_pop is
# driven as checkpassword (fd 3 from a file) with a subprogram that
# prints its uid, gid, cwd and environment: every exit code of the
# table, the environment, the home and Maildir made as delivery makes
# them. auth_imap with Courier's fd 3 data and its AUTHARGV return,
# then the chain with Dovecot's imap (TAG OK Logged in, SELECT INBOX,
# the quota from MAILDIRQUOTA). Hostile logins and fd 3 data, a dead
# directory.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../slapd.sh"
top=$(cd "$(dirname "$0")/../.." && pwd)
SUFFIX=$SLAPD_SUFFIX
LD=$T/ldap
AP=$QH/bin/auth_pop
AI=$QH/bin/auth_imap
DG=$QH/bin/digest
IP=192.0.2.56
DOVE=/usr/lib/dovecot/imap

for p in "$AP" "$AI" "$DG"; do
  [ -x "$p" ] || { notok "$(basename "$p") is installed" "missing $p"; done_testing; exit; }
done
command -v python3 > /dev/null || { notok "python3 available"; done_testing; exit; }

# ids for this script's users (never in the system's passwd)
nextid() {
  _n=$(cat "$QI/uidnext" 2>/dev/null || echo 7001)
  echo $((_n + 1)) > "$QI/uidnext"
  echo "$_n"
}
pw() { printf 'Pw-%s-%s' "$1" "$(printf '%s' "$1" | cksum | cut -d' ' -f1)"; }

# ------------------------------------------------------------ passwd users
# in private copies of /etc/passwd and /etc/shadow, bind-mounted in a
# mount namespace this script runs in (the system's files stay untouched)
if [ -z "${IN_NS56:-}" ]; then
  if ! unshare -m true 2>/dev/null; then
    notok "a mount namespace for the passwd users" "unshare -m failed"; done_testing; exit
  fi
  PWUID=$(nextid); EXPUID=$(nextid); LCKUID=$(nextid); DUALUID=$(nextid)
  mkdir -p "$T/pw/pwuser" "$T/pw/pwnobox" "$T/pw/pwexp" "$T/pw/pwroot" "$T/pw/pwlock" "$T/pw/dual"
  chmod 755 "$T/pw"
  mkdir -p "$T/pw/pwuser/Maildir/new" "$T/pw/pwuser/Maildir/cur" "$T/pw/pwuser/Maildir/tmp"
  chown -R "$PWUID:$PWUID" "$T/pw/pwuser" "$T/pw/pwnobox"
  {
    cat /etc/passwd
    echo "pwuser:x:$PWUID:$PWUID::$T/pw/pwuser:/bin/false"
    echo "pwnobox:x:$PWUID:$PWUID::$T/pw/pwnobox:/bin/false"
    echo "pwexp:x:$EXPUID:$EXPUID::$T/pw/pwexp:/bin/false"
    echo "pwroot:x:0:0::$T/pw/pwroot:/bin/false"
    echo "pwlock:x:$LCKUID:$LCKUID::$T/pw/pwlock:/bin/false"
    echo "dual:x:$DUALUID:$DUALUID::$T/pw/dual:/bin/false"
  } > "$T/passwd"
  {
    cat /etc/shadow
    echo "pwuser:$("$DG" -t crypt -f '$6$' "$(pw pwuser)" | sed 's/^{CRYPT}//'):19000:0:99999:7:::"
    echo "pwnobox:$("$DG" -t crypt "$(pw pwnobox)" | sed 's/^{CRYPT}//'):19000:0:99999:7:::"
    echo "pwexp:$("$DG" -t crypt "$(pw pwexp)" | sed 's/^{CRYPT}//'):19000:0:99999:7::1:"
    echo "pwroot:$("$DG" -t crypt "$(pw pwroot)" | sed 's/^{CRYPT}//'):19000:0:99999:7:::"
    echo "pwlock:!$("$DG" -t crypt "$(pw pwlock)" | sed 's/^{CRYPT}//'):19000:0:99999:7:::"
    echo "dual:$("$DG" -t crypt "passwd-side-$(pw dual)" | sed 's/^{CRYPT}//'):19000:0:99999:7:::"
  } > "$T/shadow"
  chmod 644 "$T/passwd"; chmod 640 "$T/shadow"
  echo "$PWUID" > "$T/pwuid"
  exec env IN_NS56=1 unshare -m sh -c \
    'mount --bind "$1" /etc/passwd && mount --bind "$2" /etc/shadow && exec sh "$3"' x "$T/passwd" "$T/shadow" "$0"
fi
PWUID=$(cat "$T/pwuid")
check "private passwd user visible" test "$(getent passwd pwuser | cut -d: -f3)" = "$PWUID"

freeport() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
cleanup() { slapd_stop "$LD"; }
trap 'cleanup' EXIT
trap 'cleanup; exit 1' INT TERM

# ------------------------------------------------------------ directory
LPORT=$(freeport)
rm -rf "$LD" "$LD.qmail.ldif"
if ! slapd_setup "$LD" "$top" || ! slapd_start "$LD" "$LPORT"; then
  notok "slapd starts" "slapd_setup/slapd_start failed"; done_testing; exit
fi
ok "slapd starts on port $LPORT"

H=$T/home                  # homes are made by auth_pop, as the user
mkdir -p "$H" && chmod 1777 "$H"
# entry UID [ldif lines...]: homeDirectory $H/<uid>, own qmailUID/GID,
# unless the lines bring their own (NOHOME / NOIDS as first line)
tame() { printf '%s' "$1" | tr -c 'A-Za-z0-9.' x; }
entry() {
  _u=$1 _c=$(tame "$1"); shift
  _id=$(nextid)
  printf 'dn: cn=%s,ou=people,%s\nobjectClass: top\nobjectClass: person\nobjectClass: inetOrgPerson\n' "$_c" "$SUFFIX"
  printf 'objectClass: qmailUser\ncn: %s\nsn: %s\nuid: %s\nmail: %s@testhost.example\n' "$_c" "$_c" "$_u" "$_c"
  _home=1 _ids=1
  for _l in "$@"; do
    case $_l in NOHOME) _home=0 ;; NOIDS) _ids=0 ;; *) printf '%s\n' "$_l" ;; esac
  done
  [ $_home = 1 ] && printf 'homeDirectory: %s/%s\n' "$H" "$_c"
  [ $_ids = 1 ] && printf 'qmailUID: %s\nqmailGID: %s\n' "$_id" "$_id"
  echo
}
SCHEMES="crypt:default crypt:-b crypt:-5 crypt:-C crypt:-f:\$5\$ crypt:-f:\$6\$ md5 smd5 sha ssha sha256 ssha256 sha384 ssha384 sha512 ssha512 rmd160 ns-mta-md5 md4 argon2"
# scheme user names: crypt-b, md5, ...; bin/digest makes every hash
uname_of() { echo "$1" | sed 's/^crypt:default$/crypt/; s/[:$]//g; s/^crypt-f/crypt/'; }
hash_of() {  # SPEC PASSWORD
  case $1 in
    crypt:default) "$DG" -t crypt "$2" ;;
    crypt:-f:*) "$DG" -t crypt -f "${1#crypt:-f:}" "$2" ;;
    crypt:*) "$DG" -t crypt "${1#crypt:}" "$2" ;;
    *) "$DG" -t "$1" "$2" ;;
  esac
}
USERS=
{
  printf 'dn: ou=people,%s\nobjectClass: organizationalUnit\nou: people\n\n' "$SUFFIX"
  for s in $SCHEMES; do
    u=$(uname_of "$s")
    h=$(hash_of "$s" "$(pw "$u")" 2>/dev/null) || continue
    [ -n "$h" ] || continue
    entry "$u" "userPassword: $h"
    echo "$u" >> "$T/schemeusers"
  done
  entry full "userPassword: $("$DG" -t ssha "$(pw full)")" "mailMessageStore: $T/store/full/" \
    "mailQuotaSize: 1000000" "mailQuotaCount: 100" "mailSizeMax: 5000"
  entry relstore "userPassword: $("$DG" -t ssha "$(pw relstore)")" "mailMessageStore: Box/"
  entry storeonly "userPassword: $("$DG" -t ssha "$(pw storeonly)")" NOHOME "mailMessageStore: $T/store/storeonly"
  entry active "userPassword: $("$DG" -t ssha "$(pw active)")" "accountStatus: active"
  entry nopop "userPassword: $("$DG" -t ssha "$(pw nopop)")" "accountStatus: nopop"
  entry noacc "userPassword: $("$DG" -t ssha "$(pw noacc)")" "accountStatus: noaccess"
  entry dis "userPassword: $("$DG" -t ssha "$(pw dis)")" "accountStatus: disabled"
  entry del "userPassword: $("$DG" -t ssha "$(pw del)")" "accountStatus: deleted"
  entry root "userPassword: $("$DG" -t ssha "$(pw root)")" NOIDS "qmailUID: 0" "qmailGID: 0"
  entry lowuid "userPassword: $("$DG" -t ssha "$(pw lowuid)")" NOIDS "qmailUID: 50" "qmailGID: 50"
  entry noids "userPassword: $("$DG" -t ssha "$(pw noids)")" NOIDS
  entry relhome "userPassword: $("$DG" -t ssha "$(pw relhome)")" NOHOME "homeDirectory: not/absolute"
  entry fwdonly "userPassword: $("$DG" -t ssha "$(pw fwdonly)")" NOHOME "mailForwardingAddress: x@example.com"
  entry away "userPassword: $("$DG" -t ssha "$(pw away)")" "mailHost: other.example"
  entry here "userPassword: $("$DG" -t ssha "$(pw here)")" "mailHost: testhost.example"
  entry nopw
  entry multiuid "userPassword: $("$DG" -t ssha "$(pw multiuid)")" "uid: multiuid-too"
  entry dual "userPassword: $("$DG" -t ssha "$(pw dual)")"
  entry homefile "userPassword: $("$DG" -t ssha "$(pw homefile)")"
  entry boxfile "userPassword: $("$DG" -t ssha "$(pw boxfile)")"
  entry rohome "userPassword: $("$DG" -t ssha "$(pw rohome)")"
  entry dirmk "userPassword: $("$DG" -t ssha "$(pw dirmk)")"
  entry 'star*user' "userPassword: $("$DG" -t ssha "$(pw 'star*user')")"
  entry imapuser "userPassword: $("$DG" -t crypt "$(pw imapuser)")" "mailQuotaSize: 2048000" "mailQuotaCount: 50"
  for d in 1 2; do
    printf 'dn: cn=dup%s,ou=people,%s\nobjectClass: inetOrgPerson\nobjectClass: qmailUser\ncn: dup%s\nsn: d\nuid: dup\nmail: dup%s@testhost.example\nuserPassword: %s\nhomeDirectory: %s/dup\nqmailUID: 7999\nqmailGID: 7999\n\n' \
      "$d" "$SUFFIX" "$d" "$d" "$("$DG" -t ssha "$(pw dup)")" "$H"
  done
} > "$T/users.ldif"
if ldap_add "$LPORT" < "$T/users.ldif"; then ok "users added with ldapadd (hashes from bin/digest)"
else notok "users added with ldapadd"; done_testing; exit; fi
check "bin/digest made at least 18 schemes" test "$(wc -l < "$T/schemeusers")" -ge 18

ctl ldapserver "127.0.0.1:$LPORT"
ctl ldapbasedn "$SUFFIX"
ctl ldapobjectclass qmailUser
ctl ldaplogin "$SLAPD_ROOTDN"
ctl ldappassword "$SLAPD_ROOTPW"
ctl ldaptimeout 5
ctl ldaprebind 0
ctl ldaplocaldelivery 1

# ------------------------------------------------------------ helpers
# the subprogram: what the session looks like from inside
cat > "$T/sub.sh" <<'EOF'
echo "uid=$(id -u) gid=$(id -g) groups=$(id -G) cwd=$(pwd)"
for v in USER AUTHENTICATED HOME MAILDIR MAILDIRQUOTA DATASIZE MAIL; do
  eval "[ -n \"\${$v+x}\" ] && echo \"$v=\$$v\""
done
echo "args=$*"
EOF
chmod 644 "$T/sub.sh"
# fd3 LOGIN PASSWORD: checkpassword data, as qmail-popup writes it
fd3() { printf '%s\0%s\0%s\0' "$1" "$2" "<1234.5678@testhost.example>" > "$T/fd3"; }
# pop [env...]: auth_pop with $T/fd3 on fd 3; RC, $T/out, $T/err
pop() { env TCPREMOTEIP=$IP "$@" "$AP" /bin/sh "$T/sub.sh" ./Maildir/ 3< "$T/fd3" > "$T/out" 2> "$T/err"; RC=$?; }
show() { printf 'rc %s out [%s] err [%s]' "$RC" "$(tr '\n' ' ' < "$T/out")" "$(tr '\n' ' ' < "$T/err")"; }
# want NAME CODE [stderr text]
want() {
  if [ "$RC" != "$2" ]; then notok "$1" "want $2: $(show)"; return 1; fi
  if [ -n "${3:-}" ] && ! grep -q -F -e "$3" "$T/err"; then notok "$1" "no '$3' in stderr: $(show)"; return 1; fi
  if [ "$2" != 0 ] && [ -s "$T/out" ]; then notok "$1" "the subprogram ran: $(show)"; return 1; fi
  ok "$1"
}
has() { grep -q -x -F -e "$1" "$T/out"; }
hasnot() { ! grep -q -e "^$1=" "$T/out"; }
never_shown() {
  if grep -q -F -e "$1" "$T/out" "$T/err"; then notok "password not shown ($2)" "$(show)"; else ok "password not shown ($2)"; fi
}
hdir() { echo "$H/$(tame "$1")"; }
idof() { ldapsearch -x -LLL -H "ldap://127.0.0.1:$LPORT" -b "$SUFFIX" "(uid=$1)" qmailUID | sed -n 's/^qmailUID: //p'; }

# ------------------------------------------------------------ every scheme
for u in $(cat "$T/schemeusers"); do
  fd3 "$u" "$(pw "$u")"; pop
  if want "$u: right password -> 0, subprogram runs" 0 "auth_pop: $u: login ok from $IP"; then
    i=$(idof "$u")
    check "$u: runs as qmailUID/qmailGID, only that group, in the home" has "uid=$i gid=$i groups=$i cwd=$(hdir "$u")"
  fi
  never_shown "$(pw "$u")" "$u"
  # (the change up front: DES reads 8 characters only)
  fd3 "$u" "X$(pw "$u")"; pop; want "$u: wrong password -> 3" 3 "auth_pop: $u: wrong password from $IP"
  case $u in crypt-C) ;; *) fd3 "$u" "$(pw "$u")x"; pop; want "$u: longer password -> 3" 3 ;; esac
done
u=ssha
fd3 ssha "$(pw ssha)"; pop
check "USER is the uid" has "USER=ssha"
check "AUTHENTICATED is the uid" has "AUTHENTICATED=ssha"
check "HOME is homeDirectory" has "HOME=$H/ssha"
check "no MAILDIR without mailMessageStore" hasnot MAILDIR
check "no MAILDIRQUOTA without a quota" hasnot MAILDIRQUOTA
check "no DATASIZE without mailSizeMax" hasnot DATASIZE
check "the subprogram's arguments are passed" has "args=./Maildir/"
i=$(idof ssha)
check "the home was made, owned by the user, 0700" test "$(stat -c '%u %a' "$H/ssha")" = "$i 700"
check "the Maildir was made (new cur tmp)" test -d "$H/ssha/Maildir/new" -a -d "$H/ssha/Maildir/cur" -a -d "$H/ssha/Maildir/tmp"
check "the Maildir belongs to the user" test "$(stat -c %u "$H/ssha/Maildir/new")" = "$i"
fd3 SSHA "$(pw ssha)"; pop
want "login in another case -> 0" 0 && check "USER as the directory spells it" has "USER=ssha"
fd3 ssha "$(pw ssha)"
env TCPREMOTEIP=$IP "$AP" /bin/sh "$T/sub.sh" 3< "$T/fd3" > "$T/out" 2> "$T/err"; RC=$?
want "no aliasempty argument: ./Maildir/ is the default" 0

# ------------------------------------------------------------ mailbox attributes
mkdir -p "$T/store" && chmod 1777 "$T/store"
fd3 full "$(pw full)"; pop
if want "homeDirectory + mailMessageStore -> 0" 0; then
  check "MAILDIR is mailMessageStore" has "MAILDIR=$T/store/full/"
  check "HOME is homeDirectory" has "HOME=$H/full"
  check "MAILDIRQUOTA from mailQuotaSize/Count" has "MAILDIRQUOTA=1000000S,100C"
  check "DATASIZE is mailSizeMax" has "DATASIZE=5000"
  check "the MAILDIR was made" test -d "$T/store/full/new"
  check "maildirsize holds the quota (for the POP3/IMAP servers)" test "$(head -n 1 "$T/store/full/maildirsize" 2>/dev/null)" = "1000000S,100C"
fi
fd3 relstore "$(pw relstore)"; pop
want "relative mailMessageStore -> 0" 0 && check "MAILDIR under the home" has "MAILDIR=$H/relstore/Box/"
check "its Maildir was made" test -d "$H/relstore/Box/cur"
fd3 storeonly "$(pw storeonly)"; pop
if want "mailMessageStore alone -> 0" 0; then
  check "HOME is mailMessageStore" has "HOME=$T/store/storeonly"
  check "no MAILDIR with mailMessageStore alone" hasnot MAILDIR
  check "the Maildir is ./Maildir/ in it" test -d "$T/store/storeonly/Maildir/tmp"
fi
ctl defaultquotasize 5000000
ctl defaultquotacount 0
fd3 ssha "$(pw ssha)"; pop
want "defaultquotasize -> 0" 0 && check "MAILDIRQUOTA from defaultquotasize" has "MAILDIRQUOTA=5000000S"
ctl defaultquotasize
ctl defaultquotacount

# ------------------------------------------------------------ account status
fd3 active "$(pw active)"; pop; want "accountStatus active -> 0" 0
for u in nopop noacc dis del; do
  fd3 "$u" "$(pw "$u")"; pop; want "accountStatus of $u, right password -> 4" 4 "auth_pop: $u: accountStatus"
  fd3 "$u" "$(pw "$u")x"; pop; want "accountStatus of $u, wrong password -> 3 (nothing told)" 3 "wrong password"
done
fd3 root "$(pw root)"; pop; want "qmailUID 0 -> 3 (uid 0 never)" 3 "auth_pop: root: qmailUID 0"
check "qmailUID 0: no home made" test ! -e "$H/root"

# ------------------------------------------------------------ broken entries
fd3 lowuid "$(pw lowuid)"; pop; want "qmailUID 50 (below 100) -> 25" 25 "user record incorrect"
fd3 noids "$(pw noids)"; pop; want "no qmailUID, no ldapuid -> 25" 25 "qmailUID"
ctl ldapuid "$(nextid)"; ctl ldapgid "$(nextid)"
fd3 noids "$(pw noids)"; pop; want "no qmailUID, control/ldapuid -> 0" 0
check "runs as ldapuid" has "uid=$(cat "$QH/control/ldapuid") gid=$(cat "$QH/control/ldapgid") groups=$(cat "$QH/control/ldapgid") cwd=$H/noids"
ctl ldapuid; ctl ldapgid
fd3 relhome "$(pw relhome)"; pop; want "relative homeDirectory -> 25" 25 "homeDirectory"
fd3 fwdonly "$(pw fwdonly)"; pop; want "forward-only entry (no mailbox) -> 25" 25 "Forward-only"
fd3 nopw "x"; pop; want "no userPassword -> 3" 3 "no userPassword readable"
fd3 dup "$(pw dup)"; pop; want "two entries with one uid -> 111" 111 "directory failure: Too many results"
fd3 multiuid "$(pw multiuid)"; pop; want "two uid values -> 25" 25 "Illegal value in LDAP attribute uid"

# ------------------------------------------------------------ cluster
ctl ldapcluster 1
fd3 away "$(pw away)"; pop; want "mailHost elsewhere, ldapcluster 1 -> 5" 5 "mailbox on cluster host other.example"
fd3 away "$(pw away)x"; pop; want "mailHost elsewhere, wrong password -> 3" 3
fd3 here "$(pw here)"; pop; want "mailHost is me -> 0" 0
ctl ldapclusterhosts other.example
fd3 away "$(pw away)"; pop; want "mailHost in ldapclusterhosts -> 0" 0
ctl ldapclusterhosts
ctl ldapcluster 0
fd3 away "$(pw away)"; pop; want "mailHost elsewhere, ldapcluster 0 -> 0" 0

# ------------------------------------------------------------ home and Maildir trouble
i=$(idof homefile); : > "$H/homefile"
fd3 homefile "$(pw homefile)"; pop; want "home is a file -> 6" 6 "mailbox corrupt"
i=$(idof boxfile); mkdir -p "$H/boxfile" && chown "$i:$i" "$H/boxfile" && : > "$H/boxfile/Maildir"
fd3 boxfile "$(pw boxfile)"; pop; want "Maildir is a file -> 6" 6 "mailbox corrupt"
rm -f "$H/boxfile/Maildir"; mkdir -p "$H/boxfile/Maildir/new" "$H/boxfile/Maildir/tmp"; : > "$H/boxfile/Maildir/cur"
chown -R "$i:$i" "$H/boxfile"
fd3 boxfile "$(pw boxfile)"; pop; want "Maildir with a file cur -> 6" 6 "mailbox corrupt"
mkdir -p "$H/rohome" && chmod 755 "$H/rohome"     # root's: the user cannot make its Maildir
fd3 rohome "$(pw rohome)"; pop; want "Maildir cannot be made -> 61" 61 "mailbox creation failed"
: > "$T/dirmaker.log" && chmod 666 "$T/dirmaker.log"
cat > "$T/dirmaker" <<EOF
#!/bin/sh
echo "dirmaker \$(id -u) \$1 \$2" >> "$T/dirmaker.log"
case "\$1" in
  */dirmk) mkdir -m 700 "\$1" ;;
  *) exit \${DM_EXIT:-100} ;;
esac
EOF
chmod 755 "$T/dirmaker"
ctl dirmaker "$T/dirmaker"
fd3 dirmk "$(pw dirmk)"; pop
want "control/dirmaker makes the home -> 0" 0
check "the dirmaker ran as the user with home and aliasempty" grep -q -x -F "dirmaker $(idof dirmk) $H/dirmk ./Maildir/" "$T/dirmaker.log"
fd3 active "$(pw active)"; rm -rf "$H/active"; pop; want "dirmaker exit 100 -> 61" 61 "the dirmaker refused"
pop DM_EXIT=1; want "dirmaker exit 1 -> 111" 111 "the dirmaker failed"
ctl dirmaker

# ------------------------------------------------------------ passwd users
fd3 pwuser "$(pw pwuser)"; pop
if want "passwd user (shadow \$6\$) -> 0" 0 "login ok (passwd user)"; then
  check "passwd user: its uid, gid and home" has "uid=$PWUID gid=$PWUID groups=$PWUID cwd=$T/pw/pwuser"
  check "passwd user: USER HOME" has "USER=pwuser"
  check "passwd user: HOME" has "HOME=$T/pw/pwuser"
  check "passwd user: no MAILDIR" hasnot MAILDIR
fi
fd3 pwuser "$(pw pwuser)x"; pop; want "passwd user, wrong password -> 3" 3 "wrong password"
fd3 pwnobox "$(pw pwnobox)"; pop; want "passwd user without a Maildir -> 62 (never made)" 62 "mailbox does not exist"
check "no Maildir made for a passwd user" test ! -e "$T/pw/pwnobox/Maildir"
fd3 pwexp "$(pw pwexp)"; pop; want "expired shadow account -> 4" 4 "expired"
fd3 pwroot "$(pw pwroot)"; pop; want "passwd uid 0 -> 3" 3 "uid 0"
fd3 pwlock "$(pw pwlock)"; pop; want "locked (!) shadow hash -> 3" 3
fd3 dual "passwd-side-$(pw dual)"; pop; want "directory user, passwd's password -> 3 (never retried in passwd)" 3 "wrong password"
fd3 dual "$(pw dual)"; pop; want "directory user, directory's password -> 0" 0
fd3 nosuchuser "x"; pop; want "nobody anywhere -> 3" 3 "no such user"
fd3 root "$(pw root)"; pop; want "directory root entry, still 3" 3
ctl ldaplocaldelivery 0
fd3 pwuser "$(pw pwuser)"; pop; want "ldaplocaldelivery 0: passwd user -> 3" 3 "no such user"
ctl ldaplocaldelivery 1

# ------------------------------------------------------------ hostile input
# (a login with blanks around it may match: the directory's uid
# matching ignores them, and the password still has to be right)
for l in '*' 'ss*' '*)(uid=*' 'ssha)(uid=*' '\' '\2a' '(uid=ssha)' 'star*' 'ssha*'; do
  fd3 "$l" "$(pw ssha)"; pop; want "login '$l' with ssha's password -> 3" 3
done
# found (the * is data), but delivery's uid rule ([A-Za-z0-9#._@-]) refuses it
fd3 'star*user' "$(pw 'star*user')"; pop; want "a uid with * is found: star*user -> 25" 25 "Illegal value in LDAP attribute uid"
fd3 "$(printf 'evil\nauth_pop: ssha: login ok')" x; pop; want "newline in a login -> 3, escaped in the log" 3 'auth_pop: evil\x0aauth_pop: ssha: login ok: no such user'
check "a login never makes two log lines" test "$(wc -l < "$T/err")" -eq 1
printf 'ss\0ha\0%s\0' "$(pw ssha)" > "$T/fd3"; pop; want "NUL inside a login -> 3" 3
printf '%s\0%s\0' "$(head -c 1000 /dev/zero | tr '\0' a)" x > "$T/fd3"; pop; want "1000-byte login -> 3" 3 "more than 512 bytes"
printf 'ssha\0%s\0%s\0' "$(pw ssha)" "$(head -c 600 /dev/zero | tr '\0' t)" > "$T/fd3"; pop; want "600 bytes on fd 3 -> 3" 3 "more than 512 bytes"
printf 'ssha\0%s\0' "$(pw ssha)" > "$T/fd3"; pop; want "no timestamp (two fields) -> 0" 0
printf 'ssha\0%s' "$(pw ssha)" > "$T/fd3"; pop; want "no NUL after the password -> 3" 3 "malformed"
: > "$T/fd3"; pop; want "empty fd 3 -> 3" 3 "malformed"
printf 'ssha\0\0x\0' > "$T/fd3"; pop; want "empty password -> 3" 3 "empty password"
printf '\0%s\0x\0' "$(pw ssha)" > "$T/fd3"; pop; want "empty login -> 3" 3 "empty login"
head -c 100000 /dev/urandom > "$T/fd3"; pop; want "100 kB of random bytes on fd 3 -> 3" 3
env TCPREMOTEIP=$IP "$AP" /bin/sh "$T/sub.sh" > "$T/out" 2> "$T/err" 3<&-; RC=$?
want "fd 3 closed -> 1" 1 "fd 3 is not open"
fd3 ssha "$(pw ssha)"
env TCPREMOTEIP=$IP "$AP" 3< "$T/fd3" > "$T/out" 2> "$T/err"; RC=$?; want "no subprogram -> 1" 1 "usage"
env TCPREMOTEIP=$IP "$AP" "$T/no/such/program" 3< "$T/fd3" > "$T/out" 2> "$T/err"; RC=$?
want "subprogram cannot run -> 7" 7 "unable to run the subprogram"
cat > "$T/pbstool" <<'EOF'
#!/bin/sh
echo "pbstool uid=$(id -u) args=$*"
exec "$@"
EOF
chmod 755 "$T/pbstool"
env TCPREMOTEIP=$IP "$AP" -d "$T/pbstool" /bin/sh "$T/sub.sh" ./Maildir/ 3< "$T/fd3" > "$T/out" 2> "$T/err"; RC=$?
if want "-d pbstool -> 0" 0; then
  check "pbstool runs first, as the user, with the subprogram as arguments" has "pbstool uid=$(idof ssha) args=/bin/sh $T/sub.sh ./Maildir/"
  check "then the subprogram" has "USER=ssha"
fi

# ------------------------------------------------------------ rebind mode
ctl ldaprebind 1
ctl ldaplogin
ctl ldappassword
for u in ssha crypt crypt6 md5 full; do
  fd3 "$u" "$(pw "$u")"; pop; want "rebind: $u right password -> 0" 0
  fd3 "$u" "$(pw "$u")x"; pop; want "rebind: $u wrong password -> 3" 3 "wrong password"
done
fd3 multiuid "$(pw multiuid)"; pop; want "rebind: two uid values -> 25" 25
fd3 noacc "$(pw noacc)"; pop; want "rebind: noaccess -> 4" 4
fd3 nopw x; pop; want "rebind: no userPassword -> 3" 3 "wrong password"
fd3 pwuser "$(pw pwuser)"; pop; want "rebind: passwd user -> 0" 0
ctl ldaprebind 0
ctl ldaplogin "$SLAPD_ROOTDN"
ctl ldappassword "$SLAPD_ROOTPW"

# ------------------------------------------------------------ auth_imap
# the front end auth_imap returns to on failure (Courier's AUTHARGV)
cat > "$T/front.sh" <<'EOF'
echo "FRONT args=$* code=${AUTHFAILCODE-unset} authenticated=${AUTHENTICATED-unset} uid=$(id -u)"
EOF
imapdata() { printf 'imap\nlogin\n%s\n%s\n' "$1" "$2" > "$T/fd3"; }
imap() {  # imap [env...] -- auth_imap with the front end known
  env TCPREMOTEIP=$IP AUTHARGC=3 AUTHARGV0=/bin/sh AUTHARGV1="$T/front.sh" AUTHARGV2=again "$@" \
    "$AI" /bin/sh "$T/sub.sh" 3< "$T/fd3" > "$T/out" 2> "$T/err"; RC=$?
}
front() { has "FRONT args=again code=$1 authenticated=unset uid=0"; }
imapdata ssha "$(pw ssha)"; imap
if [ "$RC" = 0 ] && has "USER=ssha"; then ok "auth_imap: right password -> the program as the user"; else notok "auth_imap: right password" "$(show)"; fi
check "auth_imap: uid, home" has "uid=$(idof ssha) gid=$(idof ssha) groups=$(idof ssha) cwd=$H/ssha"
check "auth_imap: MAIL names the Maildir for Dovecot" has "MAIL=maildir:$H/ssha/Maildir/"
check "auth_imap: AUTHENTICATED" has "AUTHENTICATED=ssha"
never_shown "$(pw ssha)" "auth_imap"
imapdata ssha "$(pw ssha)x"; imap
check "auth_imap: wrong password -> the front end again, code 3" front 3
check "auth_imap: the reason in the log" grep -q -F "auth_imap: ssha: wrong password from $IP" "$T/err"
imapdata multiuid "$(pw multiuid)"; imap; check "auth_imap: broken entry -> front end, code 25" front 25
imapdata noacc "$(pw noacc)"; imap; check "auth_imap: noaccess -> front end, code 4" front 4
imapdata nopop "$(pw nopop)"; imap; check "auth_imap: nopop -> front end, code 4" front 4
imapdata nosuchuser x; imap; check "auth_imap: unknown user -> front end, code 3 (not passed on)" front 3
imapdata root "$(pw root)"; imap; check "auth_imap: qmailUID 0 -> front end, code 3" front 3
imapdata full "$(pw full)"; imap
check "auth_imap: MAILDIR and MAIL from mailMessageStore" has "MAIL=maildir:$T/store/full/"
imapdata pwuser "$(pw pwuser)"; imap; check "auth_imap: passwd user" has "USER=pwuser"
imapdata '*' "$(pw ssha)"; imap; check "auth_imap: login '*' -> code 3" front 3
printf 'imap\nlogin\nssha\n%s\nextra\n' "$(pw ssha)" > "$T/fd3"; imap; check "auth_imap: bytes after the password -> 3" front 3
printf 'imap\nlogin\nssha' > "$T/fd3"; imap; check "auth_imap: no password line -> 3" front 3
printf 'imap\nlogin\nss\0ha\n%s\n' "$(pw ssha)" > "$T/fd3"; imap; check "auth_imap: NUL -> 3" front 3
{ printf 'imap\nlogin\nssha\n'; head -c 3000 /dev/zero | tr '\0' p; printf '\n'; } > "$T/fd3"; imap
check "auth_imap: 3000 bytes on fd 3 -> 3" front 3
printf 'imap\nlogin\nssha\n%s' "$(pw ssha)" > "$T/fd3"; imap
check "auth_imap: password without a final newline -> ok" has "USER=ssha"
imapdata ssha "$(pw ssha)"
env TCPREMOTEIP=$IP "$AI" /bin/sh "$T/sub.sh" 3< "$T/fd3" > "$T/out" 2> "$T/err"; RC=$?
imapdata ssha x
env TCPREMOTEIP=$IP "$AI" /bin/sh "$T/sub.sh" 3< "$T/fd3" > "$T/out" 2> "$T/err"; RC=$?
want "auth_imap: failure without AUTHARGC -> 111" 111 "no AUTHARGC"
# another authtype: the next module gets fd 3 as it was, and no USER
printf 'imap\ncram-md5\nc29tZSBkYXRh\n' > "$T/fd3"
env TCPREMOTEIP=$IP USER=root MAIL=/var/mail/root "$AI" /bin/sh -c 'echo "user=${USER-unset} mail=${MAIL-unset}"; cat <&3' \
  3< "$T/fd3" > "$T/out" 2> "$T/err"; RC=$?
check "auth_imap: another authtype -> the next module" has "user=unset mail=unset"
check "auth_imap: the next module reads the same fd 3" test "$(tail -c +0 "$T/out" | sed 1d)" = "$(printf 'imap\ncram-md5\nc29tZSBkYXRh')"
# already authenticated by an earlier module: straight on, nothing read
env TCPREMOTEIP=$IP AUTHENTICATED=someone "$AI" /bin/sh -c 'echo "ran uid=$(id -u)"' > "$T/out" 2> "$T/err" 3<&-; RC=$?
check "auth_imap: AUTHENTICATED set -> the program at once" has "ran uid=0"
imapdata ssha "$(pw ssha)"
env TCPREMOTEIP=$IP AUTHARGC=2 AUTHARGV0=/bin/sh AUTHARGV1="$T/front.sh" "$AI" -d "$T/pbstool" /bin/sh "$T/sub.sh" 3< "$T/fd3" > "$T/out" 2> "$T/err"
check "auth_imap: -d pbstool first" has "pbstool uid=$(idof ssha) args=/bin/sh $T/sub.sh"

# ------------------------------------------------------------ Dovecot as the engine
if [ -x "$DOVE" ] && command -v doveconf > /dev/null; then
  DC=$QH/control/dovecot-imap.conf
  check "dovecot-imap.conf installed" test -f "$DC"
  # two messages in imapuser's Maildir (made by a first login)
  imapdata imapuser "$(pw imapuser)"; imap
  i=$(idof imapuser)
  for n in 1 2 3; do printf 'From: a@b\nSubject: m%s\n\nbody %s\n' "$n" "$n" > "$H/imapuser/Maildir/new/100$n.M1P1.test,S=30"; done
  chown -R "$i:$i" "$H/imapuser/Maildir"
  rm -f "$H/imapuser/Maildir/maildirsize"     # the next login counts again
  # dove LOGIN PASSWORD: the chain with $T/imapin as the client's
  # commands (through pipes: Dovecot polls its stdin and stdout)
  dove() {
    imapdata "$1" "$2"
    cat "$T/imapin" | env TCPREMOTEIP=$IP IMAPLOGINTAG=a1 AUTHARGC=3 AUTHARGV0=/bin/sh AUTHARGV1="$T/front.sh" \
      AUTHARGV2=again "$AI" doveconf -c "$DC" -e "$DOVE" 3< "$T/fd3" 2> "$T/err" | cat > "$T/out"
  }
  printf 'a2 SELECT INBOX\r\na3 GETQUOTAROOT INBOX\r\na4 LOGOUT\r\n' > "$T/imapin"
  dove imapuser "$(pw imapuser)"
  check "Dovecot: a1 OK ... Logged in" grep -q '^a1 OK .*Logged in' "$T/out"
  check "Dovecot: SELECT INBOX shows the 3 messages" grep -q '^\* 3 EXISTS' "$T/out"
  check "Dovecot: a2 OK" grep -q '^a2 OK' "$T/out"
  check "Dovecot: the quota from MAILDIRQUOTA (2000 KiB, 50 messages)" grep -q '^\* QUOTA "User quota" (STORAGE [0-9]* 2000 MESSAGE 3 50)' "$T/out"
  check "Dovecot: LOGOUT" grep -q '^a4 OK' "$T/out"
  check "maildirsize written by auth_imap with the quota" test "$(head -n 1 "$H/imapuser/Maildir/maildirsize")" = "2048000S,50C"
  check "Dovecot: files in the Maildir are the user's" test "$(find "$H/imapuser/Maildir" ! -user "$i" | wc -l)" = 0
  dove imapuser "wrong"
  check "Dovecot chain, wrong password -> the front end (no session)" front 3
  check "Dovecot chain, wrong password: no Logged in" test -z "$(grep 'Logged in' "$T/out")"
  # the MAILDIR of homeDirectory + mailMessageStore
  for n in 1 2; do printf 'Subject: f%s\n\nx\n' "$n" > "$T/store/full/new/200$n.M1P1.test"; done
  chown -R "$(idof full):$(idof full)" "$T/store/full"
  dove full "$(pw full)"
  check "Dovecot: INBOX is the MAILDIR (2 messages)" grep -q '^\* 2 EXISTS' "$T/out"
  # not ours: an engine in the next place finds no user and stops
  printf 'imap\nplain\nAHNzaGEAeA==\n' > "$T/fd3"
  cat "$T/imapin" | env TCPREMOTEIP=$IP USER=root IMAPLOGINTAG=a1 "$AI" doveconf -c "$DC" -e "$DOVE" 3< "$T/fd3" 2> "$T/err" | cat > "$T/out"
  check "passed on to Dovecot directly: no session" test -z "$(grep 'Logged in' "$T/out")"
else
  notok "Dovecot's imap (dovecot-imapd) installed" "no $DOVE"
fi

# ------------------------------------------------------------ directory trouble
fd3 ssha "$(pw ssha)"
ctl ldappassword wrong-admin-password
pop; want "wrong ldappassword -> 111" 111 "temporary directory failure"
ctl ldappassword "$SLAPD_ROOTPW"
DEAD=$(freeport)
ctl ldapserver "127.0.0.1:$DEAD"
pop; want "no server listening -> 2" 2 "Unable to contact LDAP server"
imapdata ssha "$(pw ssha)"; imap; check "auth_imap: no server -> front end, code 2" front 2
fd3 ssha "$(pw ssha)"
ctl ldapserver "127.0.0.1:$DEAD" "127.0.0.1:$LPORT"
pop; want "failover to the second server -> 0" 0
ctl ldapserver "127.0.0.1:$LPORT"
slapd_stop "$LD"
pop; want "slapd stopped -> 2" 2
fd3 pwuser "$(pw pwuser)"; pop; want "slapd stopped: no passwd fallback for anyone -> 2" 2
fd3 '*)(' x; pop; want "slapd stopped, odd login -> 2 (never 3 from a dead directory)" 2
ctl ldapserver
fd3 pwuser "$(pw pwuser)"; pop; want "no ldapserver, ldaplocaldelivery 1: passwd user -> 0" 0
fd3 ssha "$(pw ssha)"; pop; want "no ldapserver: directory users unknown -> 3" 3
ctl ldaplocaldelivery 0
pop; want "no ldapserver, ldaplocaldelivery 0 -> 1" 1
chmod 000 "$QH/control/ldaplocaldelivery"
pop setpriv --reuid="$(id -u qmaild)" --regid="$(id -g qmaild)" --clear-groups --
want "control files unreadable -> 1" 1 "unable to read control files"

done_testing
