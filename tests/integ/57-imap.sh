#!/bin/sh
# qmail-imaplogin end to end: as root under tcpserver on loopback, as
# the run scripts start it, with Dovecot's imap (doveconf -e, the shipped
# control/dovecot-imap.conf) as the engine and real clients: python
# imaplib (STARTTLS, IMAP4_SSL), curl imap:// and imaps://, openssl
# s_client -starttls imap, raw sockets for byte-exact checks.
# First with a STUB auth module (below: Courier-style, fd 3, AUTHARGV
# back to the front end on failure), then with the real auth_imap
# against a real slapd. The python harness is 57-imap.py next to this
# file ("stub" and "real" parts).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../slapd.sh"
top=$(cd "$(dirname "$0")/../.." && pwd)
HARNESS=$top/tests/integ/57-imap.py
D=testhost.example
PKI=$T/pki
SUFFIX=$SLAPD_SUFFIX
LD=$T/ldap
PY=$(command -v python3) || { notok "python3 available"; done_testing; exit; }
for p in tcpserver openssl curl setpriv doveconf /usr/lib/dovecot/imap; do
  command -v "$p" > /dev/null 2>&1 || { notok "$p is available" "missing $p"; done_testing; exit; }
done
[ -x "$QH/bin/qmail-imaplogin" ] || { notok "qmail-imaplogin is installed"; done_testing; exit; }
check "control/dovecot-imap.conf is installed" test -f "$QH/control/dovecot-imap.conf"
check "control/qmail-imapd.rules is installed" test -f "$QH/control/qmail-imapd.rules"

# ------------------------------------------------------------ certificate
# the files of SMTP (control/smtpcert, control/smtpkey); the key is
# qmaild's, 0600: the network half reads it as qmaild
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

# ------------------------------------------------------------ the stub module
for u in joe ann bob cu tls ssl hostile idle; do add_user "$u"; done
# fd 3: imap\nlogin\n<user>\n<password>\n. Logs what it got to $STUBLOG,
# then: password "codeNN" -> back to the front end with AUTHFAILCODE=NN,
# "nocode" -> back without one, "die" -> exit 111 (a dead chain); a user
# with a home under $STUBHOMES and password $STUBPASS -> the session
# (USER HOME MAIL AUTHENTICATED, the user's uid, exec "$@"); else back
# with code 3, as Courier's modules return (AUTHARGV).
cat > "$T/stub" <<'EOF'
#!/bin/sh
data=$(cat <&3; echo x)
data=${data%x}
exec 3<&-
svc=$(printf '%s' "$data" | sed -n 1p)
typ=$(printf '%s' "$data" | sed -n 2p)
user=$(printf '%s' "$data" | sed -n 3p)
pass=$(printf '%s' "$data" | sed -n 4p)
want=$(printf 'imap\nlogin\n%s\n%s\nx' "$user" "$pass")
exact=0
[ "$data" = "${want%x}" ] && exact=1
printf '%s|%s|%s|%s|exact=%s|uid=%s|tag=%s|failed=%s|tls=%s|argc=%s|auth=%s|ip=%s\n' "$svc" "$typ" "$user" "$pass" \
  "$exact" "$(id -u)" "${IMAPLOGINTAG-}" "${IMAPLOGINFAILED-}" "${IMAPLOGINTLS-}" "${AUTHARGC-}" \
  "${AUTHENTICATED-}" "${IP-}" >> "$STUBLOG"
back() {
  unset AUTHFAILCODE
  [ -n "${1:-}" ] && export AUTHFAILCODE="$1"
  i=0; set --
  while [ "$i" -lt "$AUTHARGC" ]; do eval "set -- \"\$@\" \"\$AUTHARGV$i\""; i=$((i + 1)); done
  exec "$@"
}
case $pass in
  code[0-9]*) back "${pass#code}" ;;
  nocode) back ;;
  die) exit 111 ;;
esac
case $user in ''|*/*|.*) back 3 ;; esac
home=$STUBHOMES/$user
[ -d "$home" ] && [ "$pass" = "$STUBPASS" ] || back 3
uid=$(stat -c %u "$home")
cd "$home" || back 62
export USER="$user" HOME="$home" MAIL="maildir:$home/Maildir/" AUTHENTICATED="$user"
exec setpriv --reuid="$uid" --regid="$uid" --clear-groups -- "$@"
EOF
chmod 755 "$T/stub"

export QH T PKI D
part() { "$PY" "$HARNESS" "$1" || TESTS_FAILED=$((TESTS_FAILED + 1)); }
part stub

# ------------------------------------------------------------ the real chain
for p in auth_imap digest; do
  [ -x "$QH/bin/$p" ] || { notok "$p is installed (the real chain)" "missing $QH/bin/$p"; done_testing; exit; }
done
freeport() {
  "$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
cleanup() { slapd_stop "$LD"; }
trap 'cleanup' EXIT
trap 'cleanup; exit 1' INT TERM
LPORT=$(freeport)
rm -rf "$LD" "$LD.qmail.ldif"
if ! slapd_setup "$LD" "$top" || ! slapd_start "$LD" "$LPORT"; then
  notok "slapd starts" "slapd_setup/slapd_start failed"; done_testing; exit
fi
ok "slapd starts on port $LPORT"
H=$T/lh
mkdir -p "$H" && chmod 755 "$H"
newuid() {
  _n=$(cat "$QI/uidnext" 2>/dev/null || echo 7001)
  echo $((_n + 1)) > "$QI/uidnext"
  eval "LUID_$1=$_n"
  echo "$1 $_n" >> "$T/luids"
}
luid() { eval "echo \$LUID_$1"; }
RPASS='Real-pass-57'
entry() {   # entry UID [ldif lines...]
  _u=$1; shift
  printf 'dn: uid=%s,ou=people,%s\nobjectClass: top\nobjectClass: person\nobjectClass: inetOrgPerson\n' "$_u" "$SUFFIX"
  printf 'objectClass: qmailUser\ncn: %s\nsn: %s\nuid: %s\nmail: %s@%s\n' "$_u" "$_u" "$_u" "$_u" "$D"
  printf 'userPassword: %s\nqmailUID: %s\nqmailGID: %s\nhomeDirectory: %s/%s\n' \
    "$("$QH/bin/digest" -t ssha "$RPASS")" "$(luid "$_u")" "$(luid "$_u")" "$H" "$_u"
  for _l in "$@"; do printf '%s\n' "$_l"; done
  echo
}
: > "$T/luids"
for u in rann rbob rdis rstore; do newuid $u; done
{
  printf 'dn: ou=people,%s\nobjectClass: organizationalUnit\nou: people\n\n' "$SUFFIX"
  entry rann "mailQuotaSize: 2048000" "mailQuotaCount: 50"
  entry rbob
  entry rdis "accountStatus: disabled"
  entry rstore "mailMessageStore: $T/store/rstore/"
} > "$T/users.ldif"
if ldap_add "$LPORT" < "$T/users.ldif"; then ok "ldapadd: 4 users"; else notok "ldapadd of the users"; fi
ctl ldapserver "127.0.0.1:$LPORT"
ctl ldapbasedn "$SUFFIX"
ctl ldapobjectclass qmailUser
ctl ldaplogin "$SLAPD_ROOTDN"
ctl ldappassword "$SLAPD_ROOTPW"
ctl ldaptimeout 5
ctl ldaplocaldelivery 0
export LPORT LD H RPASS
part real

done_testing
