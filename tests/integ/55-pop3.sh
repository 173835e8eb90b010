#!/bin/sh
# qmail-popup and qmail-pop3d end to end: qmail-popup (as root, as the
# run script starts it) under tcpserver on loopback, with a STUB
# checkpassword program (below) in front of the real qmail-pop3d on real
# Maildirs, and real clients: python poplib (STLS, POP3_SSL), curl
# pop3:// and pop3s://, openssl s_client -starttls pop3, raw sockets for
# byte-exact checks. The stub accepts user/secret for every user with a
# home under $T/home and exits with NN for the password "exitNN", so every
# exit code's -ERR text is checked; the real auth_pop plugs in in its
# place. The python harness is 55-pop3.py next to this file.
. "$(dirname "$0")/../lib.sh"
top=$(cd "$(dirname "$0")/../.." && pwd)
HARNESS=$top/tests/integ/55-pop3.py
D=testhost.example
PKI=$T/pki
PY=$(command -v python3) || { notok "python3 available"; done_testing; exit; }
for p in tcpserver openssl curl setpriv; do
  command -v "$p" > /dev/null 2>&1 || { notok "$p is available" "missing $p"; done_testing; exit; }
done

# ------------------------------------------------------------ certificate
# the same files as SMTP: control/smtpcert and control/smtpkey, the key
# readable by qmaild only (qmail-popup's network half runs as qmaild)
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

# ------------------------------------------------------------ users
add_user joe
add_user big
add_user quota

# ------------------------------------------------------------ the stub chain
# fd 3: user\0password\0timestamp\0. Logs what it got (and its uid) to
# $STUBLOG, then: password "exitNN" -> exit NN, "crash" -> SIGSEGV,
# user with a home under $STUBHOMES and password $STUBPASS -> the
# environment auth_pop would set, the user's uid, exec "$@"; else 3.
cat > "$T/stub" <<'EOF'
#!/bin/sh
rec=$(tr '\0' '\n' <&3; echo .)
user=$(printf '%s' "$rec" | sed -n 1p)
pass=$(printf '%s' "$rec" | sed -n 2p)
stamp=$(printf '%s' "$rec" | sed -n 3p)
printf '%s|%s|%s|%s|%s\n' "$user" "$pass" "$stamp" "$(id -u)" "$(printf '%s' "$rec" | wc -l)" >> "$STUBLOG"
case $pass in
  exit[0-9]*) exit "${pass#exit}" ;;
  crash) kill -SEGV $$ ;;
esac
case $user in ''|*/*|.*) exit 3 ;; esac
home=$STUBHOMES/$user
[ -d "$home" ] && [ "$pass" = "$STUBPASS" ] || exit 3
uid=$(stat -c %u "$home")
cd "$home" || exit 62
export USER="$user" HOME="$home" MAILDIR="$home/Maildir/"
exec setpriv --reuid="$uid" --regid="$uid" --clear-groups -- "$@"
EOF
chmod 755 "$T/stub"

export QH T PKI D
"$PY" "$HARNESS" || TESTS_FAILED=$((TESTS_FAILED + 1))
done_testing
