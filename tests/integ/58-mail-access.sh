#!/bin/sh
# POP3 and IMAP end to end as an administrator runs them: a real slapd
# with users whose passwords bin/digest made ({SSHA}, {SSHA512}, $6$,
# $y$, $2b$, and passwd/shadow users in a private /etc/passwd and
# /etc/shadow), the full instance running (qmail-start; mail sent over
# SMTP to qmail-smtpd under tcpserver, delivered through the directory
# into each user's Maildir), then the REAL chains as the run scripts
# start them, as root under tcpserver on loopback:
#   qmail-popup <me> auth_pop qmail-pop3d ./Maildir/             (110, 995)
#   qmail-imaplogin auth_imap doveconf -c control/dovecot-imap.conf \
#     -e /usr/lib/dovecot/imap ./Maildir/                        (143, 993)
# checked with python poplib/imaplib (STLS/STARTTLS, POP3_SSL,
# IMAP4_SSL), curl pop3:// pop3s:// imap:// imaps://, openssl s_client
# -starttls pop3/imap, and raw sockets: the delivered message byte-exact,
# deletions and maildirsize, every password scheme right and wrong,
# every exit code of the login chain a client can provoke as its
# documented reply, hostile logins, the failure delay without an oracle,
# the logs, the privileges after login, and a directory that is down.
# The python harness is 58-mail-access.py next to this file.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../slapd.sh"
top=$(cd "$(dirname "$0")/../.." && pwd)
HARNESS=$top/tests/integ/58-mail-access.py
D=testhost.example
PKI=$T/pki
SUFFIX=$SLAPD_SUFFIX
LD=$T/ldap
H=$T/lh
DG=$QH/bin/digest
PY=$(command -v python3) || { notok "python3 available"; done_testing; exit; }
for p in tcpserver openssl curl setpriv unshare doveconf /usr/lib/dovecot/imap /usr/sbin/slapd ldapadd; do
  command -v "$p" > /dev/null 2>&1 || { notok "$p is available" "missing $p"; done_testing; exit; }
done
for p in qmail-popup qmail-pop3d auth_pop qmail-imaplogin auth_imap digest qmail-smtpd qmail-start; do
  [ -x "$QH/bin/$p" ] || { notok "$p is installed" "missing $QH/bin/$p"; done_testing; exit; }
done

nextid() {
  _n=$(cat "$QI/uidnext" 2>/dev/null || echo 7001)
  echo $((_n + 1)) > "$QI/uidnext"
  echo "$_n"
}
# every user's password: distinct, printable, with a blank and a quote
# character IMAP must carry in a quoted string
pw() { printf 'Pw %s-%s"x' "$1" "$(printf '%s' "$1" | cksum | cut -d' ' -f1)"; }

# ------------------------------------------------------------ passwd users
# pwuser (shadow $6$, a Maildir) and pwnobox (no Maildir: exit 62) in
# private copies of /etc/passwd and /etc/shadow, bind-mounted in a mount
# namespace the rest of this script runs in
if [ -z "${IN_NS58:-}" ]; then
  unshare -m true 2> /dev/null || { notok "a mount namespace for the passwd users" "unshare -m failed"; done_testing; exit; }
  PWUID=$(nextid); NOBOXUID=$(nextid)
  mkdir -p "$T/pw/pwuser/Maildir/new" "$T/pw/pwuser/Maildir/cur" "$T/pw/pwuser/Maildir/tmp" "$T/pw/pwnobox"
  chmod 755 "$T/pw"
  chown -R "$PWUID:$PWUID" "$T/pw/pwuser"
  chown "$NOBOXUID:$NOBOXUID" "$T/pw/pwnobox"
  chmod 700 "$T/pw/pwuser" "$T/pw/pwnobox"
  {
    cat /etc/passwd
    echo "pwuser:x:$PWUID:$PWUID::$T/pw/pwuser:/bin/false"
    echo "pwnobox:x:$NOBOXUID:$NOBOXUID::$T/pw/pwnobox:/bin/false"
  } > "$T/passwd"
  {
    cat /etc/shadow
    echo "pwuser:$("$DG" -t crypt -f '$6$' "$(pw pwuser)" | sed 's/^{CRYPT}//'):19000:0:99999:7:::"
    echo "pwnobox:$("$DG" -t crypt "$(pw pwnobox)" | sed 's/^{CRYPT}//'):19000:0:99999:7:::"
  } > "$T/shadow"
  chmod 644 "$T/passwd"; chmod 640 "$T/shadow"
  echo "$PWUID $NOBOXUID" > "$T/pwuids"
  exec env IN_NS58=1 unshare -m sh -c \
    'mount --bind "$1" /etc/passwd && mount --bind "$2" /etc/shadow && exec sh "$3"' x "$T/passwd" "$T/shadow" "$0"
fi
check "private passwd users visible" test "$(getent passwd pwuser | cut -d: -f6)" = "$T/pw/pwuser"

freeport() {
  "$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
cleanup() {
  [ -n "$(qsend_pid)" ] && qstop > /dev/null 2>&1
  slapd_stop "$LD"
}
trap 'cleanup' EXIT
trap 'cleanup; exit 1' INT TERM

# ------------------------------------------------------------ certificate
# control/smtpcert and smtpkey as host-setup makes them: the key
# qmaild's, 0600 (both network halves read it as qmaild)
mkdir -p "$PKI" && chmod 755 "$PKI"
if openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
     -subj "/CN=$D" -addext "subjectAltName=DNS:$D,IP:127.0.0.1" \
     -keyout "$PKI/srv.key" -out "$PKI/srv.crt" > "$PKI/req.out" 2>&1; then
  chown qmaild "$PKI/srv.key" && chmod 600 "$PKI/srv.key" && chmod 644 "$PKI/srv.crt"
  ok "self-signed certificate, key 0600 qmaild"
else
  notok "self-signed certificate" "$(tail -n 3 "$PKI/req.out" | tr '\n' ' ')"; done_testing; exit
fi
ctl smtpcert "$PKI/srv.crt"
ctl smtpkey "$PKI/srv.key"

# ------------------------------------------------------------ directory
LPORT=$(freeport)
rm -rf "$LD" "$LD.qmail.ldif"
if ! slapd_setup "$LD" "$top" || ! slapd_start "$LD" "$LPORT"; then
  notok "slapd starts" "slapd_setup/slapd_start failed"; done_testing; exit
fi
ok "slapd starts on port $LPORT"

mkdir -p "$H" "$H/ro" && chmod 755 "$H" "$H/ro"    # $H/ro is root's: nobody can make a home in it
: > "$T/luids"
# entry UID [ldif lines...]: homeDirectory $H/<uid> (NOHOME: none), own
# qmailUID/GID, mail <uid>@$D, the password pw UID in {SSHA} (PW <hash>: that one)
entry() {
  _u=$1; shift
  _id=$(nextid)
  echo "$_u $_id" >> "$T/luids"
  _home="$H/$_u" _pw=
  for _l in "$@"; do case $_l in NOHOME) _home= ;; HOME=*) _home=${_l#HOME=} ;; PW=*) _pw=${_l#PW=} ;; esac; done
  [ -n "$_pw" ] || _pw=$("$DG" -t ssha "$(pw "$_u")")
  printf 'dn: uid=%s,ou=people,%s\nobjectClass: top\nobjectClass: person\nobjectClass: inetOrgPerson\n' "$_u" "$SUFFIX"
  printf 'objectClass: qmailUser\ncn: %s\nsn: %s\nuid: %s\nmail: %s@%s\nuserPassword: %s\n' "$_u" "$_u" "$_u" "$_u" "$D" "$_pw"
  printf 'qmailUID: %s\nqmailGID: %s\n' "$_id" "$_id"
  [ -n "$_home" ] && printf 'homeDirectory: %s\n' "$_home"
  for _l in "$@"; do case $_l in NOHOME|HOME=*|PW=*) ;; *) printf '%s\n' "$_l" ;; esac; done
  echo
}
# the schemes: user name and bin/digest's arguments
SCHEMES="ssha:-t:ssha ssha512:-t:ssha512 sha512crypt:-t:crypt:-f:\$6\$ yescrypt:-t:crypt bcrypt:-t:crypt:-b"
QUOTA="mailQuotaSize: 10000000"
QCOUNT="mailQuotaCount: 1000"
{
  printf 'dn: ou=people,%s\nobjectClass: organizationalUnit\nou: people\n\n' "$SUFFIX"
  for s in $SCHEMES; do
    u=${s%%:*}
    h=$("$DG" $(echo "${s#*:}" | tr ':' ' ') "$(pw "$u")") || { echo "digest failed for $u" >&2; continue; }
    entry "$u" "PW=$h" "$QUOTA" "$QCOUNT"
    echo "$u $h" >> "$T/schemes"
  done
  entry popdel "$QUOTA" "$QCOUNT"          # POP3 DELE+QUIT
  entry imapdel "$QUOTA" "$QCOUNT"         # IMAP EXPUNGE
  entry tools                              # curl and openssl
  entry privs                              # /proc/<pid>/status during a session
  entry dis "accountStatus: disabled"
  entry nopop "accountStatus: nopop"
  entry multiuid "uid: multiuid-too"
  entry rohome "HOME=$H/ro/rohome"
  entry homefile
  entry away "mailHost: other.example"
  entry downuser
  for d in 1 2; do
    printf 'dn: cn=dup%s,ou=people,%s\nobjectClass: inetOrgPerson\nobjectClass: qmailUser\ncn: dup%s\nsn: d\nuid: dup\nmail: dup%s@%s\nuserPassword: %s\nhomeDirectory: %s/dup\nqmailUID: 7999\nqmailGID: 7999\n\n' \
      "$d" "$SUFFIX" "$d" "$d" "$D" "$("$DG" -t ssha "$(pw dup)")" "$H"
  done
} > "$T/users.ldif"
if ldap_add "$LPORT" < "$T/users.ldif"; then ok "ldapadd: the users (hashes from bin/digest)"
else notok "ldapadd of the users"; done_testing; exit; fi
check "bin/digest made {SSHA} {SSHA512} \$6\$ \$y\$ \$2b\$" \
  test "$(cut -d' ' -f2 "$T/schemes" | sed 's/^\({[A-Z0-9]*}\)\(\$[0-9a-z]*\$\)\{0,1\}.*/\1\2/' | tr '\n' ' ')" = \
       '{SSHA} {SSHA512} {CRYPT}$6$ {CRYPT}$y$ {CRYPT}$2b$ '
: > "$H/homefile"                          # the home is a file: exit 6
# the mailboxes delivery finds (auth_pop would make them too, at login)
while read -r u i; do
  case $u in rohome|homefile) continue ;; esac
  mkdir -p "$H/$u/Maildir/new" "$H/$u/Maildir/cur" "$H/$u/Maildir/tmp"
  chown -R "$i:$i" "$H/$u" && chmod 700 "$H/$u" "$H/$u/Maildir"
done < "$T/luids"

ctl ldapserver "127.0.0.1:$LPORT"
ctl ldapbasedn "$SUFFIX"
ctl ldapobjectclass qmailUser
ctl ldaplogin "$SLAPD_ROOTDN"
ctl ldappassword "$SLAPD_ROOTPW"
ctl ldaptimeout 5
ctl ldaprebind 0
ctl ldaplocaldelivery 1
ctl ldapcluster 1
ctl locals "$D"
ctl rcpthosts "$D"

# ------------------------------------------------------------ the instance
if ! qstart; then
  notok "qmail-start comes up" "$(tail -n 5 "$QLOG" | tr '\n' ' ')"; done_testing; exit
fi
ok "qmail-start comes up"
export QH T PKI D H LD LPORT top
export PW_SCHEME_USERS="$(cut -d' ' -f1 "$T/schemes" | tr '\n' ' ')"
"$PY" "$HARNESS" || TESTS_FAILED=$((TESTS_FAILED + 1))
check "queue empty afterwards" wait_queue_empty 60
check "SIGTERM: every process of the instance exits" qstop
done_testing
