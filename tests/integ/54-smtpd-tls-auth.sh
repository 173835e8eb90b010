#!/bin/sh
# qmail-smtpd's STARTTLS, SMTPS, SMTP AUTH, RCPTCHECK/SENDERCHECK and
# SMTPUTF8 end to end with real clients (python ssl/smtplib, swaks,
# openssl s_client) against qmail-smtpd as qmaild under tcpserver on
# loopback, with a self-signed certificate, a real slapd (qmail.schema,
# users loaded with ldapadd), the real auth_smtp and qmail-verify, and
# for the last part the real queue with qmail-send delivering.
# The python harness is 54-smtpd-tls-auth.py next to this file.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../slapd.sh"
top=$(cd "$(dirname "$0")/../.." && pwd)
HARNESS=$top/tests/integ/54-smtpd-tls-auth.py
D=testhost.example
C=catch.example
SUFFIX=$SLAPD_SUFFIX
LD=$T/ldap
SLOG=$T/slapd.log
PKI=$T/pki
H=$T/lh
PY=$(command -v python3) || { notok "python3 available"; done_testing; exit; }
for p in tcpserver swaks openssl /usr/sbin/slapd ldapadd slappasswd; do
  command -v "$p" > /dev/null 2>&1 || { notok "$p is available" "missing $p"; done_testing; exit; }
done

freeport() {
  "$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
slapd_bg_stop() {   # slapd runs in the foreground (-d stats), the pid file names it
  [ -f "$LD/slapd.pid" ] || return 0
  _p=$(cat "$LD/slapd.pid")
  kill "$_p" 2>/dev/null
  wait_until 10 sh -c '! kill -0 "$1" 2>/dev/null' x "$_p" || kill -9 "$_p" 2>/dev/null
  rm -f "$LD/slapd.pid"
}
cleanup() {
  [ -n "$(qsend_pid)" ] && qstop > /dev/null 2>&1
  slapd_bg_stop
}
trap 'cleanup' EXIT
trap 'cleanup; exit 1' INT TERM

# ------------------------------------------------------------ certificate
# self-signed, for testhost.example; the key readable by qmaild only
mkdir -p "$PKI" && chmod 755 "$PKI"
if openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
     -subj "/CN=$D" -addext "subjectAltName=DNS:$D,IP:127.0.0.1" \
     -keyout "$PKI/srv.key" -out "$PKI/srv.crt" > "$PKI/req.out" 2>&1; then
  cat "$PKI/srv.crt" "$PKI/srv.key" > "$PKI/both.pem"
  chown qmaild "$PKI/srv.key" "$PKI/both.pem" && chmod 600 "$PKI/srv.key" "$PKI/both.pem" && chmod 644 "$PKI/srv.crt"
  ok "self-signed certificate (openssl req -x509), key 0600 qmaild"
else
  notok "self-signed certificate (openssl req -x509)" "$(tail -n 3 "$PKI/req.out" | tr '\n' ' ')"; done_testing; exit
fi
check "the key is not readable by others" sh -c '[ "$(stat -c "%a %U" "$1")" = "600 qmaild" ]' x "$PKI/srv.key"
ctl smtpcert "$PKI/srv.crt"
ctl smtpkey "$PKI/srv.key"

# ------------------------------------------------------------ recording qmail-queue
mkdir -p "$T/qq" && chmod 777 "$T/qq"
cat > "$T/fakeqq" <<'EOF'
#!/bin/sh
d=$FAKEQQ_DIR
n=$$
cat > "$d/$n.msg.tmp" || exit 54
cat <&1 > "$d/$n.env.tmp" || exit 54
if [ ! -s "$d/$n.env.tmp" ]; then rm -f "$d/$n.msg.tmp" "$d/$n.env.tmp"; exit 54; fi
mv "$d/$n.msg.tmp" "$d/$n.msg" && mv "$d/$n.env.tmp" "$d/$n.env"
exit 0
EOF
chmod 755 "$T/fakeqq"

ctl locals "$D" localhost "$C"
ctl rcpthosts "$D" localhost "$C"
add_user joe

# ------------------------------------------------------------ directory
newuid() {
  _n=$(cat "$QI/uidnext" 2>/dev/null || echo 7001)
  echo $((_n + 1)) > "$QI/uidnext"
  eval "LUID_$1=$_n"
}
luid() { eval "echo \$LUID_$1"; }
# mkbox NAME: home $H/NAME with a Maildir, owned by NAME's uid
mkbox() {
  mkdir -p "$H/$1/Maildir/new" "$H/$1/Maildir/cur" "$H/$1/Maildir/tmp" &&
  chown -R "$(luid "$1"):$(luid "$1")" "$H/$1" && chmod 700 "$H/$1" "$H/$1/Maildir"
}
PASSHASH=$(slappasswd -h '{SSHA}' -s 'same-Secret-7')
entry() {   # entry UID MAIL [ldif lines...]
  _u=$1 _m=$2; shift 2
  printf 'dn: uid=%s,ou=people,%s\nobjectClass: top\nobjectClass: person\nobjectClass: inetOrgPerson\n' "$_u" "$SUFFIX"
  printf 'objectClass: qmailUser\ncn: %s\nsn: %s\nuid: %s\nmail: %s\nuserPassword: %s\n' "$_u" "$_u" "$_u" "$_m" "$PASSHASH"
  printf 'qmailUID: %s\nqmailGID: %s\nhomeDirectory: %s\n' "$(luid "$_u")" "$(luid "$_u")" "$H/$_u"
  for _l in "$@"; do printf '%s\n' "$_l"; done
  echo
}
mkdir -p "$H" && chmod 755 "$H"
for u in alice bob elvis dis na del qt sm call jurgen; do newuid $u; mkbox $u; done
# qt is over its quota: maildirsize and the Maildir itself hold 12000 of 10000 bytes
printf '10000S\n12000 1\n' > "$H/qt/Maildir/maildirsize"
head -c 12000 /dev/zero | tr '\0' x > "$H/qt/Maildir/cur/1000000000.M1P1.$D,S=12000:2,S"
chown -R "$LUID_qt:$LUID_qt" "$H/qt"

LPORT=$(freeport)
rm -rf "$LD" "$LD.qmail.ldif"
slapd_run() {
  /usr/sbin/slapd -F "$LD/slapd.d" -h "ldap://127.0.0.1:$LPORT/" -d stats > /dev/null 2>> "$SLOG" < /dev/null &
  wait_until 20 ldapsearch -x -H "ldap://127.0.0.1:$LPORT" -b "$SUFFIX" -s base > /dev/null 2>&1
}
if ! slapd_setup "$LD" "$top" || ! slapd_run; then
  notok "slapd starts" "$(tail -n 3 "$SLOG" 2>/dev/null | tr '\n' ' ')"; done_testing; exit
fi
ok "slapd starts on port $LPORT"
{
  printf 'dn: ou=people,%s\nobjectClass: organizationalUnit\nou: people\n\n' "$SUFFIX"
  entry alice "alice@$D"
  entry bob "bob@$D"
  entry elvis "elvis@$D"
  entry dis "dis@$D" "accountStatus: disabled"
  entry na "na@$D" "accountStatus: noaccess"
  entry del "del@$D" "accountStatus: deleted"
  entry qt "qt@$D" "mailQuotaSize: 10000"
  entry sm "sm@$D" "mailSizeMax: 1500"
  entry call "catchall@$C"
  # UTF-8 needs base64 in LDIF; mailAlternateAddress is a directoryString
  entry jurgen "jurgen@$D" "mailAlternateAddress:: $(printf 'jürgen@%s' "$D" | base64 -w 0)"
} > "$T/users.ldif"
if ldap_add "$LPORT" < "$T/users.ldif" 2> "$T/ldapadd.err"; then
  ok "ldapadd: $(grep -c '^dn: uid=' "$T/users.ldif") users (one with a UTF-8 mailAlternateAddress)"
else
  notok "ldapadd of the users (UTF-8 mailAlternateAddress included)" "$(tr '\n' ' ' < "$T/ldapadd.err")"
fi
ctl ldapserver "127.0.0.1:$LPORT"
ctl ldapbasedn "$SUFFIX"
ctl ldapobjectclass qmailUser
ctl ldaplogin "$SLAPD_ROOTDN"
ctl ldappassword "$SLAPD_ROOTPW"
ctl ldaplocaldelivery 1
ctl ldaptimeout 5

# ------------------------------------------------------------ the parts
export QH T PKI LPORT LD SLOG H
part() { "$PY" "$HARNESS" "$1" || TESTS_FAILED=$((TESTS_FAILED + 1)); }
part main
check "slapd answers again after the restart" sh -c 'ldapsearch -x -H "ldap://127.0.0.1:$1" -b "$2" -s base > /dev/null' x "$LPORT" "$SUFFIX"

# ------------------------------------------------------------ the real queue
if qstart; then
  ok "qmail-start comes up"
  part real
  check "queue empty afterwards" wait_queue_empty 30
  check "SIGTERM: every process exits" qstop
else
  notok "qmail-start comes up" "$(tail -n 5 "$QLOG" | tr '\n' ' ')"
fi
done_testing
