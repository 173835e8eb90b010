#!/bin/sh
# Directory-driven delivery (facts §2a, §3a, §4.1-4.5, §4.8-4.10): a slapd
# loaded with ldapadd (the seed's elvis entry, the ezmlm list entry of
# Appendix D and one entry per row of the behaviour tables); every check
# looks at what a user sees: Maildirs, bounces in the sender's Maildir,
# qmail-send's log, qmail-ldaplookup's output.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../slapd.sh"
top=$(cd "$(dirname "$0")/../.." && pwd)
D=testhost.example          # users, lists
C=catch.example             # catch-all entries live here (they catch everything)
G=graceland.com             # the seed's domain
SUFFIX=$SLAPD_SUFFIX
LD=$T/ldap
H=$T/lh                     # homes and stores of directory users
LK=$QH/bin/qmail-ldaplookup
SENDER=snd@$D

for p in qmail-start qmail-lspawn qmail-local qmail-reply qmail-quotawarn qmail-ldaplookup; do
  [ -x "$QH/bin/$p" ] || { notok "$p is installed" "missing $QH/bin/$p"; done_testing; exit; }
done

freeport() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
# ~alias is the instance's own alias directory (whatever passwd says)
AHOME=$QH/alias
AQ=$AHOME/.qmail-nobody-here-40
[ -d "$AHOME" ] || { notok "the instance has an alias directory" "no $AHOME"; done_testing; exit; }
cleanup() {
  qstop > /dev/null 2>&1
  slapd_stop "$LD"
  rm -f "$AQ"
}
trap 'cleanup' EXIT
trap 'cleanup; exit 1' INT TERM

# ------------------------------------------------------------ helpers
# newuid NAME: a uid for a directory user (no users/assign entry, so a
# failed directory lookup can never deliver to the same place by accident)
newuid() {
  _n=$(cat "$QI/uidnext" 2>/dev/null || echo 7001)
  echo $((_n + 1)) > "$QI/uidnext"
  eval "LUID_$1=$_n"
}
luid() { eval "echo \$LUID_$1"; }
# mkhome NAME DIR: DIR owned by NAME's uid, 0700
mkhome() { mkdir -p "$2" && chown "$(luid "$1"):$(luid "$1")" "$2" && chmod 700 "$2"; }
# dotfile NAME FILE < lines: a .qmail file owned by NAME's uid, 0644
dotfile() { cat > "$2" && chown "$(luid "$1"):$(luid "$1")" "$2" && chmod 644 "$2"; }
# entry UID MAIL [ldif lines...]: a person with qmailUser; qmailUID and
# qmailGID from newuid UID when there is one
entry() {
  _u=$1 _m=$2; shift 2
  printf 'dn: uid=%s,ou=people,%s\nobjectClass: top\nobjectClass: person\nobjectClass: inetOrgPerson\n' "$_u" "$SUFFIX"
  printf 'objectClass: qmailUser\ncn: %s\nsn: %s\nuid: %s\nmail: %s\n' "$_u" "$_u" "$_u" "$_m"
  _id=$(luid "$_u")
  [ -n "$_id" ] && printf 'qmailUID: %s\nqmailGID: %s\n' "$_id" "$_id"
  for _l in "$@"; do printf '%s\n' "$_l"; done
  echo
}
md() { echo "$H/$1/Maildir"; }
umd() { echo "$(home_of "$1")/Maildir"; }
# bounced SUBJECT REGEX: a bounce in snd's Maildir quotes SUBJECT and says REGEX
_bounced() {
  for _f in $(find "$SND/new" "$SND/cur" -type f 2>/dev/null); do
    grep -q '^Subject: failure notice' "$_f" && grep -q -E -e "^Subject: $1\$" "$_f" &&
      grep -q -E -e "$2" "$_f" && return 0
  done
  return 1
}
bounced() { wait_until 30 _bounced "$1" "$2"; }
# delivered_to MAILDIR SUBJECT: a message with exactly that subject arrives
delivered_to() { wait_for_mail "$1" "^Subject: $2\$"; }
# none_in MAILDIR SUBJECT: after the queue drained, no such message there
none_in() { wait_queue_empty 30 && [ "$(maildir_grep "$1" "^Subject: $2\$")" = 0 ]; }
# inject a message with extra header lines: hsend FROM RCPT SUBJECT HEADER...
hsend() {
  _f=$1 _r=$2 _s=$3; shift 3
  { printf 'To: %s\nSubject: %s\n' "$_r" "$_s"; for _h in "$@"; do printf '%s\n' "$_h"; done; printf '\nhello\n'; } |
    inject -f "$_f" "$_r"
}
# bigbody N: N bytes of body text
bigbody() { head -c "$1" /dev/zero | tr '\0' x | fold -w 70; }

# ------------------------------------------------------------ directory
LPORT=$(freeport)
rm -rf "$LD" "$LD.qmail.ldif"
if ! slapd_setup "$LD" "$top" || ! slapd_start "$LD" "$LPORT"; then
  notok "slapd starts" "slapd_setup/slapd_start failed"; done_testing; exit
fi
ok "slapd starts on port $LPORT"

# local (users/cdb) users: the sender, forward targets, reply testers
for u in snd t1 t2 snd2 snd3 mailer-daemon local1; do add_user "$u"; done
SND=$(umd snd)

mkdir -p "$H" "$T/bin" && chmod 755 "$H" "$T/bin"
# record NAME: a delivery program; appends NAME to order.log and keeps
# the message and its environment in the home directory
cat > "$T/bin/record" <<'EOF'
#!/bin/sh
echo "$1" >> order.log
env > "prog-$1.env"
cat > "prog-$1.out"
EOF
chmod 755 "$T/bin/record"
REC=$T/bin/record
# dirmaker HOME ALIASEMPTY: creates the home and says so inside it
cat > "$T/bin/dirmaker" <<'EOF'
#!/bin/sh
case $1 in */refused) echo "no homes here"; exit 100 ;; esac
mkdir -p "$1" || exit 111
chmod 700 "$1"
echo "dirmaker $1 $2" > "$1/made-by-dirmaker"
EOF
chmod 755 "$T/bin/dirmaker"

for n in vmail cab ca call exact hs hrs ho rel auto dm lo lwp dto bth nn nl nf np fo rp rph fl mf na dis del dup1 dup2 sm qt; do
  newuid $n
done
# vmail: control/ldapuid, for the seed entries without qmailUID
mkhome vmail "$H/elvis"
mkhome vmail "$H/store"; chmod 755 "$H/store"
mkhome vmail "$H/store/lists"; chmod 755 "$H/store/lists"
mkhome vmail "$H/store/lists/all"
printf './Maildir/\n' | dotfile vmail "$H/store/lists/all/.qmail"
printf '|echo "EXT=$EXT DEFAULT=$DEFAULT" >> manage.log\n' | dotfile vmail "$H/store/lists/all/.qmail-default"
mkhome rel "$H/store/rel"
for n in cab ca call exact hs hrs ho lo lwp dto bth nn nl nf np fo rp rph fl mf na dis del dup1 dup2 sm qt; do mkhome $n "$H/$n"; done
mkhome auto "$H/autop"; chmod 755 "$H/autop"     # parent of a home that does not exist yet
mkhome dm "$H/dmp"; chmod 755 "$H/dmp"
for n in cab ca call; do
  printf './Maildir/\n|echo "EXT=$EXT DEFAULT=$DEFAULT" >> catch.log\n' | dotfile $n "$H/$n/.qmail-default"
done
for n in lo lwp dto bth nn; do printf '|%s dot\n' "$REC" | dotfile $n "$H/$n/.qmail"; done
printf './Maildir/\n|%s dot\n' "$REC" | dotfile dto "$H/dto/.qmail"

ctl locals "$D" localhost "$C" "$G"
ctl ldapserver "127.0.0.1:$LPORT"
ctl ldapbasedn "$SUFFIX"
ctl ldapobjectclass qmailUser
ctl ldaplogin "$SLAPD_ROOTDN"        # userPassword is readable only when bound
ctl ldappassword "$SLAPD_ROOTPW"
ctl ldaplocaldelivery 1
ctl ldapuid "$LUID_vmail"
ctl ldapgid "$LUID_vmail"
ctl ldapmessagestore "$H/store"
ctl quotawarning '%HEADER%' 'subject: Mailbox almost full' "From: Postmaster <postmaster@$D>" '' 'Your mailbox is nearly full.'

{
  printf 'dn: ou=people,%s\nobjectClass: organizationalUnit\nou: people\n\n' "$SUFFIX"
  printf 'dn: ou=accounts,%s\nobjectClass: top\nobjectClass: organizationalUnit\nou: accounts\n\n' "$SUFFIX"
  printf 'dn: ou=lists,%s\nobjectClass: top\nobjectClass: organizationalUnit\nou: lists\n\n' "$SUFFIX"
  # the seed (life-with-qmail-ldap §4.5), under this suffix, its store here
  cat <<EOF
dn: uid=elvis,ou=accounts,$SUFFIX
cn: Elvis Presley
sn: Presley
objectClass: top
objectClass: person
objectClass: inetOrgPerson
objectClass: qmailUser
mail: elvis@$G
mailAlternateAddress: elvis.presley@$G
mailAlternateAddress: the-king@$G
mailAlternateAddress: theking@nirvana.org
mailHost: mailhost1.graceland.com
mailMessageStore: $H/elvis
uid: elvis
userPassword: {MD5}X03MO1qnZdYdgyfeuILPmQ==

EOF
  # Appendix D (ezmlm): qmailUser is AUXILIARY, so slapd needs a
  # structural class as well (inetOrgPerson, with sn)
  cat <<EOF
dn: uid=all.$D,ou=lists,$SUFFIX
objectClass: top
objectClass: inetOrgPerson
objectClass: qmailUser
uid: all.$D
cn: all@$D
sn: all
ou: lists
mail: all@$D
mailAlternateAddress: all-catchall@$D
mailMessageStore: lists/all
accountStatus: nopop
qmailDotMode: dotonly

EOF
  # catch-all levels (facts §4.1) and an exact hit below a catch-all
  entry cab "a-b-catchall@$C" "homeDirectory: $H/cab" "qmailDotMode: both"
  entry ca "a-catchall@$C" "homeDirectory: $H/ca" "qmailDotMode: dotonly"
  entry call "catchall@$C" "homeDirectory: $H/call" "qmailDotMode: dotonly"
  entry exact "a-b-x@$C" "homeDirectory: $H/exact"
  # §4.3 homes and stores
  entry hs "hs@$D" "homeDirectory: $H/hs" "mailMessageStore: $H/hs/box/"
  entry hrs "hrs@$D" "homeDirectory: $H/hrs" "mailMessageStore: Mail/"
  entry ho "ho@$D" "homeDirectory: $H/ho"
  entry rel "rel@$D" "mailMessageStore: rel"
  entry fwo "fwo@$D" "mailForwardingAddress: t1@$D"
  entry auto "auto@$D" "homeDirectory: $H/autop/home"
  entry dm "dm@$D" "homeDirectory: $H/dmp/home"
  entry dmr "dmr@$D" "homeDirectory: $H/dmp/refused" "qmailUID: $LUID_dm" "qmailGID: $LUID_dm"
  # §4.4 dot-modes
  entry lo "lo@$D" "homeDirectory: $H/lo" "qmailDotMode: ldaponly" "deliveryProgramPath: $REC ldap"
  entry lwp "lwp@$D" "homeDirectory: $H/lwp" "qmailDotMode: ldapwithprog" "deliveryProgramPath: $REC ldap"
  entry dto "dto@$D" "homeDirectory: $H/dto" "qmailDotMode: dotonly" "deliveryProgramPath: $REC ldap" \
    "mailForwardingAddress: t2@$D" "deliveryMode: reply" "mailReplyText: dotonly must not answer"
  entry bth "bth@$D" "homeDirectory: $H/bth" "qmailDotMode: both" "deliveryProgramPath: $REC ldap"
  entry nn "nn@$D" "homeDirectory: $H/nn" "qmailDotMode: none" "deliveryProgramPath: $REC ldap" \
    "mailForwardingAddress: t2@$D"
  # §4.4 delivery modes
  entry nl "nl@$D" "homeDirectory: $H/nl" "mailForwardingAddress: t1@$D" "deliveryMode: nolocal"
  entry nf "nf@$D" "homeDirectory: $H/nf" "mailForwardingAddress: t2@$D" "deliveryMode: noforward"
  entry np "np@$D" "homeDirectory: $H/np" "qmailDotMode: ldapwithprog" "deliveryProgramPath: $REC ldap" \
    "deliveryMode: noprogram"
  entry fo "fo@$D" "homeDirectory: $H/fo" "mailForwardingAddress: t1@$D" "deliveryMode: forwardonly"
  entry rp "rp@$D" "homeDirectory: $H/rp" "deliveryMode: reply" "mailReplyText: I am on vacation until June."
  # %HEADER% block: From and Subject are taken, To is not (multi-line: base64)
  entry rph "rph@$D" "homeDirectory: $H/rph" "deliveryMode: reply" "mailReplyText:: $(printf \
    '%%HEADER%%\nFrom: The Secretary <sec@%s>\nSubject: Out of office: %%SUBJECT%%\nTo: evil@example.org\n\nBack on Monday.\n' "$D" |
    base64 -w 0)"
  entry fl "fl@$D" "homeDirectory: $H/fl" "mailForwardingAddress: t1@$D"
  entry mf "mf@$D" "homeDirectory: $H/mf" "mailForwardingAddress: t1@$D" "mailForwardingAddress: t2@$D"
  # §4.5 accountStatus, duplicates; §4.4 mailSizeMax; §4.8 quota; bad uid
  entry na "na@$D" "homeDirectory: $H/na" "accountStatus: noaccess"
  entry dis "dis@$D" "homeDirectory: $H/dis" "accountStatus: disabled"
  entry del "del@$D" "homeDirectory: $H/del" "accountStatus: deleted"
  entry dup1 "dup@$D" "homeDirectory: $H/dup1"
  entry dup2 "dup@$D" "homeDirectory: $H/dup2"
  entry sm "sm@$D" "homeDirectory: $H/sm" "mailSizeMax: 1500"
  entry qt "qt@$D" "homeDirectory: $H/qt" "mailQuotaSize: 10000"
  entry lowuid "lowuid@$D" "homeDirectory: $H/qt" "qmailUID: 50" "qmailGID: 50"
  entry nothing "nothing@$D" "qmailUID: $LUID_qt" "qmailGID: $LUID_qt"
  entry baddot "baddot@$D" "homeDirectory: $H/qt" "qmailDotMode: weird" "qmailUID: $LUID_qt" "qmailGID: $LUID_qt"
  entry badprog "badprog@$D" "homeDirectory: $H/qt" "qmailDotMode: ldapwithprog" "deliveryProgramPath: $REC x; rm -rf ." \
    "qmailUID: $LUID_qt" "qmailGID: $LUID_qt"
} > "$T/users.ldif"
ldapadd -x -H "ldap://127.0.0.1:$LPORT" -D "$SLAPD_ROOTDN" -w "$SLAPD_ROOTPW" -f "$T/users.ldif" > "$T/ldapadd.out" 2>&1
check "ldapadd loads the test directory (seed elvis, ezmlm list, $(grep -c '^dn: uid=' "$T/users.ldif") entries)" test $? = 0
n=$(ldapsearch -x -LLL -H "ldap://127.0.0.1:$LPORT" -b "$SUFFIX" '(objectClass=qmailUser)' dn 2>/dev/null | grep -c '^dn:')
check "the directory holds every qmailUser entry ($n)" test "$n" = "$(grep -c '^dn: uid=' "$T/users.ldif")"

# ------------------------------------------------------------ qmail-ldaplookup (facts §4.14)
"$LK" -m "elvis@$G" > "$T/lk.out" 2>&1
check "ldaplookup -m elvis: exit 0" test $? = 0
check "ldaplookup -m elvis: Found 1 entry" grep -q '^Found 1 entry' "$T/lk.out"
check "ldaplookup -m elvis: the dn" grep -q "^dn: uid=elvis,ou=accounts,$SUFFIX\$" "$T/lk.out"
check "ldaplookup -m elvis: every mailAlternateAddress" test "$(grep -c '^mailAlternateAddress: ' "$T/lk.out")" = 3
check "ldaplookup -m elvis: mailHost" grep -q '^mailHost: mailhost1.graceland.com$' "$T/lk.out"
"$LK" -m "the-king@$G" > "$T/lk.out" 2>&1
check "ldaplookup -m an alternate address finds elvis" grep -q "^dn: uid=elvis,ou=accounts," "$T/lk.out"
"$LK" -m "a-b-c-d@$C" > "$T/lk.out" 2>&1
check "ldaplookup -m walks the catch-all chain (a-b-catchall)" grep -q "^dn: uid=cab,ou=people," "$T/lk.out"
"$LK" -u elvis > "$T/lk.out" 2>&1
check "ldaplookup -u elvis: exit 0" test $? = 0
check "ldaplookup -u elvis: searches (uid=elvis)" grep -q '^Searching ldap for: .*(uid=elvis)' "$T/lk.out"
check "ldaplookup -u elvis: uid line" grep -q '^uid: elvis$' "$T/lk.out"
"$LK" -u elvis -p password > "$T/lk-pw.out" 2>&1
check "ldaplookup -u elvis -p password: PASSWORD COMPARE was successful" grep -q '^PASSWORD COMPARE was successful\.$' "$T/lk-pw.out"
"$LK" -u elvis -p wrong > "$T/lk-badpw.out" 2>&1
check "ldaplookup -u elvis -p wrong: NOT successful" grep -q '^PASSWORD COMPARE was NOT successful\.$' "$T/lk-badpw.out"
"$LK" -m "all@$D" > "$T/lk.out" 2>&1
check "ldaplookup -m the list: qmailDotMode dotonly" grep -q '^qmailDotMode: dotonly$' "$T/lk.out"
"$LK" -m "nobody-anywhere@$D" > "$T/lk.out" 2>&1
check "ldaplookup -m an unknown address: exit 1, No entries found." sh -c '[ $1 = 1 ] && grep -q "^No entries found\.$" "$2"' x $? "$T/lk.out"

# ------------------------------------------------------------ deliveries
check "qmail-start comes up" qstart

# exact and alternate hits (seed entry; uid from control/ldapuid)
send_to "elvis@$G" "elvis exact"
send_to "the-king@$G" "elvis alternate"
check "exact mail hit (seed elvis, absolute store without home)" delivered_to "$H/elvis/Maildir" "elvis exact"
check "mailAlternateAddress hit" delivered_to "$H/elvis/Maildir" "elvis alternate"
check "elvis's mail belongs to control/ldapuid" \
  test "$(find "$H/elvis/Maildir/new" -type f -user "$LUID_vmail" | wc -l)" -ge 2
check "Delivered-To names the address as sent" test "$(maildir_grep "$H/elvis/Maildir" "^Delivered-To: the-king@$G\$")" = 1

# ezmlm list (Appendix D): dotonly, relative store under ldapmessagestore
send_to "all@$D" "list post"
send_to "all-subscribe-joe=example.org@$D" "list subscribe"
check "ezmlm list: .qmail in the store directory delivers the post" delivered_to "$H/store/lists/all/Maildir" "list post"
check "ezmlm list: list-catchall hit runs .qmail-default with DEFAULT" \
  wait_for_log '^EXT=subscribe-joe=example.org DEFAULT=subscribe-joe=example.org$' 30 "$H/store/lists/all/manage.log"

# catch-all levels
send_to "a-b-c-d@$C" "catch ab"
send_to "a-x-y@$C" "catch a"
send_to "zz-top@$C" "catch all"
send_to "a-b-x@$C" "exact below catchall"
check "a-b-catchall (both): mailbox from LDAP" delivered_to "$(md cab)" "catch ab"
check "a-b-catchall (both): .qmail-default sees EXT=c-d DEFAULT=c-d" wait_for_log '^EXT=c-d DEFAULT=c-d$' 30 "$H/cab/catch.log"
check "a-catchall (dotonly): .qmail-default sees EXT=x-y DEFAULT=x-y" wait_for_log '^EXT=x-y DEFAULT=x-y$' 30 "$H/ca/catch.log"
check "a-catchall (dotonly): .qmail-default's Maildir line" delivered_to "$(md ca)" "catch a"
check "catchall@dom (dotonly): EXT and DEFAULT = the whole local part" wait_for_log '^EXT=zz-top DEFAULT=zz-top$' 30 "$H/call/catch.log"
check "catchall@dom: delivered" delivered_to "$(md call)" "catch all"
check "an exact entry wins over a-b-catchall" delivered_to "$(md exact)" "exact below catchall"
check "... and the catch-all does not get it" none_in "$(md cab)" "exact below catchall"

# homes and stores (facts §4.3)
send_to "hs@$D" "home and store"
send_to "hrs@$D" "home and relative store"
send_to "ho@$D" "home only"
send_to "rel@$D" "relative store"
send_to "fwo@$D" "forward only"
send_to "auto@$D" "auto home"
check "homeDirectory + mailMessageStore: the store is the Maildir" delivered_to "$H/hs/box" "home and store"
check "homeDirectory + relative mailMessageStore: a Maildir in the home" delivered_to "$H/hrs/Mail" "home and relative store"
check "homeDirectory only: ./Maildir/ in the home" delivered_to "$(md ho)" "home only"
check "relative mailMessageStore: ldapmessagestore/store/Maildir/" delivered_to "$H/store/rel/Maildir" "relative store"
check "neither (forward-only entry): forwarded" delivered_to "$(umd t1)" "forward only"
check "forward-only copy says Delivered-To fwo" test "$(maildir_grep "$(umd t1)" "^Delivered-To: fwo@$D\$")" = 1
check "missing home is created" delivered_to "$H/autop/home/Maildir" "auto home"
check "created home belongs to the user, mode 0700" \
  test "$(stat -c '%u %a' "$H/autop/home" 2>/dev/null)" = "$LUID_auto 700"
ctl dirmaker "$T/bin/dirmaker"
send_to "dm@$D" "dirmaker home"
check "dirmaker creates the missing home" delivered_to "$H/dmp/home/Maildir" "dirmaker home"
check "dirmaker was run as: dirmaker HOME ALIASEMPTY" grep -q "^dirmaker $H/dmp/home ./Maildir/\$" "$H/dmp/home/made-by-dirmaker"
check "dirmaker ran as the user" test "$(stat -c %u "$H/dmp/home/made-by-dirmaker" 2>/dev/null)" = "$LUID_dm"
send_to "dmr@$D" "dirmaker refuses"
check "dirmaker exit 100: permanent bounce" bounced "dirmaker refuses" 'dirmaker refused'
check "dirmaker exit 100: not deferred" sh -c '! grep -q "deferral: .*dirmaker" "$1"' x "$QLOG"
ctl dirmaker

# dot-modes
send_to "lo@$D" "mode ldaponly"
send_to "lwp@$D" "mode ldapwithprog"
send_to "dto@$D" "mode dotonly"
send_to "bth@$D" "mode both"
send_to "nn@$D" "mode none"
check "ldaponly: mailbox" delivered_to "$(md lo)" "mode ldaponly"
check "ldapwithprog: mailbox" delivered_to "$(md lwp)" "mode ldapwithprog"
check "dotonly: .qmail's Maildir line" delivered_to "$(md dto)" "mode dotonly"
check "both: mailbox" delivered_to "$(md bth)" "mode both"
check "none: mailbox" delivered_to "$(md nn)" "mode none"
wait_queue_empty 30
check "ldaponly ignores deliveryProgramPath and .qmail" test ! -e "$H/lo/order.log"
check "ldapwithprog runs deliveryProgramPath (not .qmail)" sh -c '[ "$(cat "$1" 2>/dev/null)" = ldap ]' x "$H/lwp/order.log"
check "program delivery gets the message" grep -q '^Subject: mode ldapwithprog$' "$H/lwp/prog-ldap.out"
check "program delivery gets RECIPIENT" grep -q "^RECIPIENT=lwp@$D\$" "$H/lwp/prog-ldap.env"
check "dotonly runs only the .qmail program" sh -c '[ "$(cat "$1" 2>/dev/null)" = dot ]' x "$H/dto/order.log"
check "dotonly ignores mailForwardingAddress" none_in "$(umd t2)" "mode dotonly"
check "dotonly ignores the reply" none_in "$SND" '\[Auto-Reply\] mode dotonly'
check "both: LDAP program first, then .qmail" sh -c '[ "$(cat "$1" 2>/dev/null | tr "\n" " ")" = "ldap dot " ]' x "$H/bth/order.log"
check "none: no program, no .qmail" test ! -e "$H/nn/order.log"
check "none: no forward" none_in "$(umd t2)" "mode none"

# delivery modes, forwards
send_to "nl@$D" "mode nolocal"
send_to "nf@$D" "mode noforward"
send_to "np@$D" "mode noprogram"
send_to "fo@$D" "mode forwardonly"
send_to "fl@$D" "forward and local"
send_to "mf@$D" "two forwards"
check "nolocal: forwarded" delivered_to "$(umd t1)" "mode nolocal"
check "noforward: mailbox" delivered_to "$(md nf)" "mode noforward"
check "noprogram: mailbox" delivered_to "$(md np)" "mode noprogram"
check "forwardonly: forwarded" delivered_to "$(umd t1)" "mode forwardonly"
check "forward + local: the forward" delivered_to "$(umd t1)" "forward and local"
check "forward + local: the local copy" delivered_to "$(md fl)" "forward and local"
check "two forwards: first target" delivered_to "$(umd t1)" "two forwards"
check "two forwards: second target" delivered_to "$(umd t2)" "two forwards"
wait_queue_empty 30
check "nolocal: no local copy" test "$(maildir_count "$(md nl)")" = 0
check "noforward: no forward" none_in "$(umd t2)" "mode noforward"
check "noprogram: the program did not run" test ! -e "$H/np/order.log"
check "forwardonly: no local copy" test "$(maildir_count "$(md fo)")" = 0
two=$(find "$(umd t1)/new" "$(umd t2)/new" -type f -exec grep -l '^Subject: two forwards$' {} + 2>/dev/null)
check "two forwards: both copies carry Precedence: bulk" \
  test "$(echo "$two" | grep -c .)" = 2 -a "$(grep -l '^Precedence: bulk$' $two 2>/dev/null | wc -l)" = 2
one=$(find "$(umd t1)/new" -type f -exec grep -l '^Subject: forward and local$' {} + 2>/dev/null | head -n 1)
check "a single forward gets no Precedence: bulk" sh -c '[ -f "$1" ] && ! grep -q "^Precedence:" "$1"' x "$one"

# accountStatus, duplicates, size, uid
send_to "na@$D" "status noaccess"
send_to "dis@$D" "status disabled"
send_to "del@$D" "status deleted"
send_to "dup@$D" "duplicate mail"
send_to "sm@$D" "size small"
send_to "sm@$D" "size big" "$(bigbody 3000)"
send_to "lowuid@$D" "uid too low"
send_to "nothing@$D" "no home no store no forward"
send_to "baddot@$D" "bad dotmode"
send_to "badprog@$D" "bad program"
check "noaccess: delivered" delivered_to "$(md na)" "status noaccess"
check "disabled: bounce says administratively disabled (#5.2.1)" bounced "status disabled" 'administratively disabled.*#5\.2\.1'
check "disabled: nothing delivered" none_in "$(md dis)" "status disabled"
check "deleted: bounce says no mailbox here (#5.1.1)" bounced "status deleted" 'no mailbox here by that name.*#5\.1\.1'
check "two entries with the same mail: permanent bounce (#5.3.5)" bounced "duplicate mail" 'needs to be unique.*#5\.3\.5'
check "duplicate: neither entry gets it" \
  sh -c '[ ! -d "$1" ] && [ ! -d "$2" ]' x "$(md dup1)" "$(md dup2)"
check "mailSizeMax: a small message is delivered" delivered_to "$(md sm)" "size small"
check "mailSizeMax exceeded: bounce (#5.2.3)" bounced "size big" 'maximum size.*#5\.2\.3'
check "mailSizeMax exceeded: not delivered" none_in "$(md sm)" "size big"
check "qmailUID below 100: bounce" bounced "uid too low" 'qmailUID.*#5\.3\.5'
check "no home, no store, no forward: bounce (#5.3.5)" bounced "no home no store no forward" 'mailForwardingAddress.*#5\.3\.5'
check "unknown qmailDotMode: bounce (#5.3.5)" bounced "bad dotmode" 'qmailDotMode.*#5\.3\.5'
check "deliveryProgramPath with shell metacharacters: bounce (#5.3.5)" bounced "bad program" 'deliveryProgramPath.*#5\.3\.5'
check "... and the program never ran" test ! -e "$H/qt/order.log"

# quota (facts §4.8, §4.9): 10000 bytes; 74 % warns once; over bounces
send_to "qt@$D" "quota one" "$(bigbody 7000)"
check "quota: first message delivered" delivered_to "$(md qt)" "quota one"
warnings() { find "$(md qt)/new" "$(md qt)/cur" -name '*.QUOTA_WARNING*' 2>/dev/null | wc -l | tr -d ' '; }
_warned() { [ "$(warnings)" -ge 1 ]; }
check "quota: 70 % reached puts a warning in the Maildir" wait_until 30 _warned
wf=$(find "$(md qt)/new" "$(md qt)/cur" -name '*.QUOTA_WARNING*' 2>/dev/null | head -n 1)
check "quota: the warning carries control/quotawarning" grep -q '^Your mailbox is nearly full\.$' "${wf:-/dev/null}"
check "quota: its %HEADER% subject (any case) replaces the default" \
  sh -c '[ "$(grep -ci "^subject:" "$1")" = 1 ] && grep -q "^subject: Mailbox almost full$" "$1"' x "${wf:-/dev/null}"
check "quota: its From, To the recipient, Qmail-QuotaWarning" sh -c 'grep -q "^From: Postmaster <postmaster@$2>$" "$1" &&
  grep -q "^To: qt@$2$" "$1" && grep -q "^Qmail-QuotaWarning: qt@$2$" "$1"' x "${wf:-/dev/null}" "$D"
check "quota: maildirsize holds the definition" sh -c 'head -n 1 "$1" | grep -q "^10000S$"' x "$(md qt)/maildirsize"
send_to "qt@$D" "quota two" "small"
check "quota: second message (still under) delivered" delivered_to "$(md qt)" "quota two"
send_to "qt@$D" "quota three" "$(bigbody 5000)"
check "quota: over the quota bounces" bounced "quota three" 'over the allowed quota'
check "quota: the over-quota message is not delivered" none_in "$(md qt)" "quota three"
check "quota: still exactly one warning" test "$(warnings)" = 1

# auto-reply (facts §4.10)
send_to "rp@$D" "away one"
check "reply: the mail is delivered" delivered_to "$(md rp)" "away one"
check "reply: the sender gets the auto-reply" wait_for_mail "$SND" '^Subject: \[Auto-Reply\] away one$'
rf=$(find "$SND/new" -type f -exec grep -l '^Subject: \[Auto-Reply\] away one$' {} + 2>/dev/null | head -n 1)
check "reply: it carries the mailReplyText" grep -q '^I am on vacation until June\.$' "${rf:-/dev/null}"
check "reply: Precedence: junk, envelope sender <>" sh -c 'grep -q "^Precedence: junk$" "$1" && grep -q "^Return-Path: <>$" "$1"' x "${rf:-/dev/null}"
check "reply: X-Mailer qmail-reply, To the sender" \
  sh -c 'grep -q "^X-Mailer: qmail-reply (by qmail-ldap)$" "$1" && grep -q "^To: snd@testhost.example$" "$1"' x "${rf:-/dev/null}"
send_to "rp@$D" "away two"
check "reply: the second mail is delivered" delivered_to "$(md rp)" "away two"
check "reply: only once per sender" none_in "$SND" '\[Auto-Reply\] away two'
hsend "MAILER-DAEMON@$D" "rp@$D" "away daemon"
hsend "snd2@$D" "rp@$D" "away list" "Precedence: list"
hsend "snd3@$D" "rp@$D" "away listid" "List-Id: <talk.lists.example>"
for s in "away daemon" "away list" "away listid"; do delivered_to "$(md rp)" "$s"; done
check "reply: none to a MAILER-DAEMON sender" none_in "$(umd mailer-daemon)" '\[Auto-Reply\] away daemon'
check "reply: none for Precedence: list" none_in "$(umd snd2)" '\[Auto-Reply\] away list'
check "reply: none for a List-Id" none_in "$(umd snd3)" '\[Auto-Reply\] away listid'
hsend "snd2@$D" "rp@$D" "away plain"
check "reply: snd2 is answered for a plain message (control)" wait_for_mail "$(umd snd2)" '^Subject: \[Auto-Reply\] away plain$'
send_to "rph@$D" "hdr test"
check "reply with %HEADER%: its Subject, %SUBJECT% filled in" wait_for_mail "$SND" '^Subject: Out of office: hdr test$'
rf=$(find "$SND/new" -type f -exec grep -l '^Subject: Out of office: hdr test$' {} + 2>/dev/null | head -n 1)
check "reply with %HEADER%: its From" grep -q "^From: The Secretary <sec@$D>\$" "${rf:-/dev/null}"
check "reply with %HEADER%: To stays the sender" sh -c '! grep -q "evil@" "$1" && grep -q "^To: snd@testhost.example$" "$1"' x "${rf:-/dev/null}"
check "reply with %HEADER%: the body" grep -q '^Back on Monday\.$' "${rf:-/dev/null}"

# not found, ldaplocaldelivery 1: users/cdb
send_to "local1@$D" "local fallback"
check "not found, ldaplocaldelivery 1: the users/cdb user gets it" delivered_to "$(umd local1)" "local fallback"
check "queue empty" wait_queue_empty 30
check "SIGTERM: every process exits" qstop

# not found, ldaplocaldelivery 0: the alias user's .qmail-<local>
# (it delivers into a Maildir of ours, owned by the alias user); and the
# defaults for entries without their own values
ctl ldaplocaldelivery 0
ctl defaultquotasize 1000000
ctl defaultquotacount 50
ctl ldapdefaultdotmode dotonly
ABOX=$T/aliasbox
mkdir -p "$ABOX/new" "$ABOX/cur" "$ABOX/tmp" && chown -R alias "$ABOX" && chmod -R 700 "$ABOX"
echo "$ABOX/" > "$AQ" && chown alias "$AQ" && chmod 644 "$AQ"
check "qmail-start with ldaplocaldelivery 0" qstart
send_to "nobody-here-40@$D" "alias fallback"
send_to "local1@$D" "no local fallback"
check "not found, ldaplocaldelivery 0: ~alias/.qmail-nobody-here-40 delivers" delivered_to "$ABOX" "alias fallback"
check "ldaplocaldelivery 0: the users/cdb user is not consulted" none_in "$(umd local1)" "no local fallback"
send_to "ho@$D" "default quota"
check "defaultquotasize/count: delivered" delivered_to "$(md ho)" "default quota"
check "defaultquotasize/count: maildirsize says 1000000S,50C" sh -c 'head -n 1 "$1" | grep -q "^1000000S,50C$"' x "$(md ho)/maildirsize"
send_to "fl@$D" "default dotmode"
check "ldapdefaultdotmode dotonly: mailbox" delivered_to "$(md fl)" "default dotmode"
check "ldapdefaultdotmode dotonly: the entry's forward is ignored" none_in "$(umd t1)" "default dotmode"
check "SIGTERM: every process exits" qstop
check "no delivery was deferred" sh -c '! grep -q "deferral:" "$1"' x "$QLOG"
done_testing
