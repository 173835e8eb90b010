#!/bin/sh
# auth_smtp (INTERNALS 10, facts §4.5, §4.7) against a real slapd: one
# entry per password scheme ({SSHA} {SSHA512} {CRYPT}$6$ $y$ $2b$ {MD5},
# a bare crypt hash, cleartext that must never work), accountStatus
# variants, qmailUID 0, uids with filter metacharacters, duplicate uids.
# bin/auth_smtp is driven directly: the exact stdout bytes and the exit
# code of every case (K<uid>\0 / D\0 / Z\0 and 0, or 111), the reason on
# stderr, and the password never anywhere. Compare mode (ldaprebind 0,
# bound as the directory administrator) and rebind mode (anonymous
# search, bind as the user); slapd stopped, a wrong ldappassword and a
# dead server give 111.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../slapd.sh"
top=$(cd "$(dirname "$0")/../.." && pwd)
SUFFIX=$SLAPD_SUFFIX
LD=$T/ldap
AS=$QH/bin/auth_smtp
IP=192.0.2.53

[ -x "$AS" ] || { notok "auth_smtp is installed" "missing $AS"; done_testing; exit; }
command -v python3 > /dev/null || { notok "python3 available"; done_testing; exit; }

freeport() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
cleanup() { slapd_stop "$LD"; }
trap 'cleanup' EXIT
trap 'cleanup; exit 1' INT TERM

# ------------------------------------------------------------ hashes
# hash SCHEME PASSWORD: a userPassword value made here (python hashlib,
# libcrypt's crypt_gensalt and crypt through ctypes), a fresh salt each time
cat > "$T/hash.py" <<'PY'
import base64, ctypes, hashlib, os, sys
scheme, pw = sys.argv[1], sys.argv[2].encode()
lc = ctypes.CDLL("libcrypt.so.1")
lc.crypt.restype = ctypes.c_char_p
lc.crypt.argtypes = [ctypes.c_char_p, ctypes.c_char_p]
lc.crypt_gensalt.restype = ctypes.c_char_p
lc.crypt_gensalt.argtypes = [ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p, ctypes.c_int]
def crypt(prefix, cost=0):
    return lc.crypt(pw, lc.crypt_gensalt(prefix, cost, None, 0)).decode()
salt = os.urandom(8)
b64 = lambda b: base64.b64encode(b).decode()
out = {
    "SSHA": lambda: "{SSHA}" + b64(hashlib.sha1(pw + salt).digest() + salt),
    "SSHA512": lambda: "{SSHA512}" + b64(hashlib.sha512(pw + salt).digest() + salt),
    "MD5": lambda: "{MD5}" + b64(hashlib.md5(pw).digest()),
    "CRYPT6": lambda: "{CRYPT}" + crypt(b"$6$"),
    "CRYPTY": lambda: "{CRYPT}" + crypt(b"$y$"),
    "CRYPT2B": lambda: "{CRYPT}" + crypt(b"$2b$", 5),
    "BARE6": lambda: crypt(b"$6$"),
}[scheme]()
print(out)
PY
hash() { python3 "$T/hash.py" "$1" "$2"; }

# ------------------------------------------------------------ directory
LPORT=$(freeport)
rm -rf "$LD" "$LD.qmail.ldif"
if ! slapd_setup "$LD" "$top" || ! slapd_start "$LD" "$LPORT"; then
  notok "slapd starts" "slapd_setup/slapd_start failed"; done_testing; exit
fi
ok "slapd starts on port $LPORT"

# entry UID [ldif lines...]: the DN and cn use a tamed copy of the uid
# (a DN would need its own escaping for a backslash)
tame() { printf '%s' "$1" | tr -c 'A-Za-z0-9.' x; }
entry() {
  _u=$1 _c=$(tame "$1"); shift
  printf 'dn: cn=%s,ou=people,%s\nobjectClass: top\nobjectClass: person\nobjectClass: inetOrgPerson\n' "$_c" "$SUFFIX"
  printf 'objectClass: qmailUser\ncn: %s\nsn: %s\nuid: %s\nmail: %s@example.com\n' "$_c" "$_c" "$_u" "$_c"
  for _l in "$@"; do printf '%s\n' "$_l"; done
  echo
}
# one password per user, so a mix-up between entries cannot pass
pw() { printf 'Pw-%s-%s' "$1" "$(printf '%s' "$1" | cksum | cut -d' ' -f1)"; }

{
  printf 'dn: ou=people,%s\nobjectClass: organizationalUnit\nou: people\n\n' "$SUFFIX"
  entry ssha "userPassword: $(hash SSHA "$(pw ssha)")"
  entry ssha512 "userPassword: $(hash SSHA512 "$(pw ssha512)")"
  entry crypt6 "userPassword: $(hash CRYPT6 "$(pw crypt6)")"
  entry cryptyes "userPassword: $(hash CRYPTY "$(pw cryptyes)")"
  entry crypt2b "userPassword: $(hash CRYPT2B "$(pw crypt2b)")"
  entry md5 "userPassword: $(hash MD5 "$(pw md5)")"
  entry bare6 "userPassword: $(hash BARE6 "$(pw bare6)")"
  entry clear "userPassword: $(pw clear)"
  entry cleartag "userPassword: {CLEARTEXT}$(pw cleartag)"
  entry multi "userPassword: $(hash SSHA other-password)" "userPassword: $(hash CRYPT6 "$(pw multi)")"
  entry nopw
  entry active "userPassword: $(hash SSHA "$(pw active)")" "accountStatus: active"
  entry nopop "userPassword: $(hash SSHA "$(pw nopop)")" "accountStatus: nopop"
  entry noacc "userPassword: $(hash SSHA "$(pw noacc)")" "accountStatus: noaccess"
  entry dis "userPassword: $(hash SSHA "$(pw dis)")" "accountStatus: disabled"
  entry del "userPassword: $(hash SSHA "$(pw del)")" "accountStatus: deleted"
  entry root "userPassword: $(hash SSHA "$(pw root)")" "qmailUID: 0" "qmailGID: 0"
  entry uid1000 "userPassword: $(hash SSHA "$(pw uid1000)")" "qmailUID: 1000" "qmailGID: 1000"
  entry 'star*user' "userPassword: $(hash SSHA "$(pw 'star*user')")"
  entry 'paren)user' "userPassword: $(hash SSHA "$(pw 'paren)user')")"
  entry 'back\slash' "userPassword: $(hash SSHA "$(pw 'back\slash')")"
  entry CamelCase "userPassword: $(hash SSHA "$(pw CamelCase)")"
  # two entries with one uid
  printf 'dn: cn=dup1,ou=people,%s\nobjectClass: inetOrgPerson\nobjectClass: qmailUser\ncn: dup1\nsn: d\nuid: dup\nmail: dup1@example.com\nuserPassword: %s\n\n' "$SUFFIX" "$(hash SSHA "$(pw dup)")"
  printf 'dn: cn=dup2,ou=people,%s\nobjectClass: inetOrgPerson\nobjectClass: qmailUser\ncn: dup2\nsn: d\nuid: dup\nmail: dup2@example.com\nuserPassword: %s\n\n' "$SUFFIX" "$(hash SSHA "$(pw dup)")"
} > "$T/users.ldif"
if ldap_add "$LPORT" < "$T/users.ldif"; then ok "users added with ldapadd"
else notok "users added with ldapadd"; done_testing; exit; fi

ctl ldapserver "127.0.0.1:$LPORT"
ctl ldapbasedn "$SUFFIX"
ctl ldapobjectclass qmailUser
ctl ldaplogin "$SLAPD_ROOTDN"        # compare mode: userPassword needs a privileged bind
ctl ldappassword "$SLAPD_ROOTPW"
ctl ldaptimeout 5
ctl ldaprebind 0

# ------------------------------------------------------------ helpers
b64() { printf '%s' "$1" | base64 -w 0; }
login_in() { printf 'login\0%s\0%s\0' "$(b64 "$1")" "$(b64 "$2")" > "$T/in"; }
plain_in() { printf 'plain\0%s\0' "$(printf '%s\0%s\0%s' "$1" "$2" "$3" | base64 -w 0)" > "$T/in"; }
# run: auth_smtp < $T/in as it runs under qmail-smtpd (TCPREMOTEIP set);
# RC, $T/out, $T/err
run() { env TCPREMOTEIP=$IP "$@" "$AS" < "$T/in" > "$T/out" 2> "$T/err"; RC=$?; }
show() { printf 'rc %s out [%s] err [%s]' "$RC" "$(od -An -c "$T/out" | tr -s ' \n' ' ')" "$(tr '\n' ' ' < "$T/err")"; }
# want NAME K:uid|D|Z|111 [reason]: the last run answered that, and said
# the reason on stderr in the documented form
want() {
  _n=$1 _w=$2 _r=${3:-}
  case $_w in
    K:*) printf 'K%s\0' "${_w#K:}" > "$T/want"; _rc=0 ;;
    D|Z) printf '%s\0' "$_w" > "$T/want"; _rc=0 ;;
    111) : > "$T/want"; _rc=111 ;;
  esac
  if [ "$RC" != "$_rc" ]; then notok "$_n" "$(show)"; return; fi
  if [ "$_rc" = 0 ] && ! cmp -s "$T/want" "$T/out"; then notok "$_n" "$(show)"; return; fi
  if [ -n "$_r" ] && ! grep -q -F -e "$_r" "$T/err"; then notok "$_n" "no '$_r' in stderr: $(show)"; return; fi
  ok "$_n"
}
# never: the password of the last case appears neither on stdout nor stderr
never_shown() {
  if grep -q -F -e "$1" "$T/out" "$T/err"; then notok "password not shown ($2)" "$(show)"; else ok "password not shown ($2)"; fi
}
# right/wrong USER [LOGIN]: right password, then a wrong one
right_wrong() {
  _u=$1 _l=${2:-$1}
  _lg=$(printf '%s' "$_l" | sed 's/\\/\\\\/g')   # the log doubles backslashes
  login_in "$_l" "$(pw "$_u")"; run; want "$_u: right password (LOGIN) -> K$_u" "K:$_u"
  never_shown "$(pw "$_u")" "$_u"
  plain_in "" "$_l" "$(pw "$_u")"; run; want "$_u: right password (PLAIN) -> K$_u" "K:$_u"
  login_in "$_l" "$(pw "$_u")x"; run; want "$_u: wrong password -> D" D "auth_smtp: $_lg: wrong password from $IP"
  never_shown "$(pw "$_u")x" "$_u wrong"
  login_in "$_l" "$(pw "$_u" | cut -c 2-)"; run; want "$_u: shorter password -> D" D
}

# ------------------------------------------------------------ compare mode
for u in ssha ssha512 crypt6 cryptyes crypt2b md5 bare6 multi active nopop uid1000 CamelCase; do
  right_wrong "$u"
done
# uid as the directory spells it, whatever case the client typed
login_in camelcase "$(pw CamelCase)"; run; want "login in another case -> K with the directory's uid" K:CamelCase
login_in SSHA "$(pw ssha)"; run; want "SSHA as login -> Kssha" K:ssha
# cleartext in the directory never works
login_in clear "$(pw clear)"; run; want "bare cleartext userPassword -> D" D "auth_smtp: clear: unsupported password scheme or malformed hash from $IP"
login_in cleartag "$(pw cleartag)"; run; want "{CLEARTEXT} userPassword -> D" D "auth_smtp: cleartag: unsupported password scheme"
login_in nopw "anything"; run; want "no userPassword -> D" D "auth_smtp: nopw: no userPassword readable"
# unknown users, empty passwords
login_in nosuchuser "$(pw ssha)"; run; want "unknown user -> D" D "auth_smtp: nosuchuser: no such user from $IP"
login_in ssha ""; run; want "empty password (LOGIN) -> D" D "auth_smtp: ssha: empty password from $IP"
plain_in "" ssha ""; run; want "empty password (PLAIN) -> D" D "empty password"
# account status and uid 0: D even with the right password
login_in noacc "$(pw noacc)"; run; want "accountStatus noaccess -> D" D "auth_smtp: noacc: accountStatus noaccess from $IP"
login_in dis "$(pw dis)"; run; want "accountStatus disabled -> D" D "auth_smtp: dis: accountStatus disabled from $IP"
login_in del "$(pw del)"; run; want "accountStatus deleted -> D" D "auth_smtp: del: accountStatus deleted from $IP"
login_in dis "wrong"; run; want "disabled and wrong password -> D" D "auth_smtp: dis: wrong password"
login_in root "$(pw root)"; run; want "qmailUID 0 -> D (uid 0 never)" D "auth_smtp: root: qmailUID 0 from $IP"
# PLAIN authzid
plain_in ssha ssha "$(pw ssha)"; run; want "PLAIN authzid = authcid -> K" K:ssha
plain_in admin ssha "$(pw ssha)"; run; want "PLAIN authzid other than authcid -> D (no proxy auth)" D "authzid differs from authcid"
# metacharacters are data: the uids that contain them work ...
right_wrong 'star*user'
right_wrong 'paren)user'
right_wrong 'back\slash'
# ... and as logins they match nothing special
for l in '*' 'star*' '*user' ')(uid=*' 'ssha)(uid=*' '*)(|(uid=*' '\' '\2a' 'ssha\00' '(uid=ssha)' 'paren)' 'back\5cslash'; do
  login_in "$l" "$(pw ssha)"; run; want "login '$l' with a real password -> D" D "no such user"
  login_in "$l" "$(pw 'star*user')"; run; want "login '$l' with star*user's password -> D" D
done
# a login that would forge a log line is escaped there
login_in "$(printf 'evil\nauth_smtp: ssha: ok')" x; run; want "newline in login -> D" D 'auth_smtp: evil\x0aauth_smtp: ssha: ok: no such user'
check "a login never makes two log lines" test "$(wc -l < "$T/err")" -eq 1
# duplicate uid entries: temporary (the administrator must fix them)
login_in dup "$(pw dup)"; run; want "duplicate uid entries -> 111" 111 "auth_smtp: dup: directory failure: Too many results"

# ------------------------------------------------------------ malformed input
printf 'login\0%s\0%s\0' 'c3NoYQ=' "$(b64 "$(pw ssha)")" > "$T/in"; run; want "bad base64 login -> Z" Z "malformed AUTH data: bad base64"
printf 'login\0%s\0%s\0' "$(b64 ssha)" 'not base64!' > "$T/in"; run; want "bad base64 password -> Z" Z "bad base64"
printf 'login\0%s\0' "$(b64 ssha)" > "$T/in"; run; want "LOGIN with 2 tokens -> Z" Z "LOGIN needs exactly 3 tokens"
printf 'login\0%s\0%s\0%s\0' "$(b64 ssha)" "$(b64 "$(pw ssha)")" "$(b64 x)" > "$T/in"; run; want "LOGIN with 4 tokens -> Z" Z "LOGIN needs exactly 3 tokens"
printf 'login\0%s\0%s' "$(b64 ssha)" "$(b64 "$(pw ssha)")" > "$T/in"; run; want "no final NUL -> Z" Z "input does not end with NUL"
printf 'plain\0%s\0%s\0' "$(printf '\0ssha\0x' | base64 -w 0)" x > "$T/in"; run; want "PLAIN with 3 tokens -> Z" Z "PLAIN needs exactly 2 tokens"
printf 'plain\0%s\0' "$(printf 'ssha\0%s' "$(pw ssha)" | base64 -w 0)" > "$T/in"; run; want "PLAIN with one NUL -> Z" Z "exactly two NULs"
printf 'cram-md5\0%s\0' "$(b64 ssha)" > "$T/in"; run; want "unknown mechanism -> Z" Z "unknown mechanism"
: > "$T/in"; run; want "empty input -> Z" Z "no input"
{ printf 'login\0'; head -c 2996 /dev/zero | tr '\0' 'Q'; printf '\0\0'; } > "$T/in"
check "3000-byte input made" test "$(wc -c < "$T/in")" -eq 3004
run; want "3000-byte input -> Z" Z "input longer than 2048 bytes"
{ printf 'login\0%s\0' "$(b64 ssha)"; head -c 3000 /dev/zero | tr '\0' 'A'; printf '\0'; } > "$T/in"; run; want "3000-byte password token -> Z" Z "longer than 2048"
login_in "$(head -c 257 /dev/zero | tr '\0' a)" x; run; want "257-byte login -> Z" Z "login longer than 256 bytes"

# ------------------------------------------------------------ as qmaild
login_in ssha "$(pw ssha)"
run setpriv --reuid="$(id -u qmaild)" --regid="$(id -g qmaild)" --clear-groups --
want "as qmaild (not root) -> Kssha" K:ssha
# qmaild must be able to read ldappassword (QLDAPINSTALL 6)
chmod 0600 "$QH/control/ldappassword"
run setpriv --reuid="$(id -u qmaild)" --regid="$(id -g qmaild)" --clear-groups --
want "as qmaild, ldappassword root's 0600 -> 111" 111 "auth_smtp: ssha: unable to read control files: Permission denied"
chown qmaild "$QH/control/ldappassword" && chmod 0400 "$QH/control/ldappassword"
run setpriv --reuid="$(id -u qmaild)" --regid="$(id -g qmaild)" --clear-groups --
want "as qmaild, ldappassword qmaild's 0400 -> Kssha" K:ssha
chown root "$QH/control/ldappassword" && chmod 0644 "$QH/control/ldappassword"

# ------------------------------------------------------------ rebind mode
# anonymous search without userPassword; the password goes to slapd in a bind
ctl ldaprebind 1
ctl ldaplogin
ctl ldappassword
for u in ssha crypt6 cryptyes md5 CamelCase 'paren)user'; do
  login_in "$u" "$(pw "$u")"; run; want "rebind: $u right password -> K" "K:$u"
  never_shown "$(pw "$u")" "rebind $u"
  login_in "$u" "$(pw "$u")x"; run; want "rebind: $u wrong password -> D" D "auth_smtp: $u: wrong password"
done
login_in nosuchuser x; run; want "rebind: unknown user -> D" D "no such user"
login_in dis "$(pw dis)"; run; want "rebind: disabled, right password -> D" D "accountStatus disabled"
login_in root "$(pw root)"; run; want "rebind: qmailUID 0 -> D" D "qmailUID 0"
login_in nopw x; run; want "rebind: entry without userPassword -> D" D "wrong password"
login_in ssha ""; run; want "rebind: empty password -> D (never an anonymous bind)" D "empty password"
login_in '*' "$(pw ssha)"; run; want "rebind: login '*' -> D" D "no such user"
# compare mode without a readable userPassword says so
ctl ldaprebind 0
login_in ssha "$(pw ssha)"; run; want "compare mode, anonymous: userPassword unreadable -> D" D "no userPassword readable"

# ------------------------------------------------------------ trouble
ctl ldaplogin "$SLAPD_ROOTDN"
ctl ldappassword wrong-admin-password
login_in ssha "$(pw ssha)"; run; want "wrong ldappassword -> 111" 111 "auth_smtp: ssha: temporary directory failure: LDAP bind refused"
ctl ldappassword "$SLAPD_ROOTPW"
login_in ssha "$(pw ssha)"; run; want "back to the right ldappassword -> K" K:ssha
DEAD=$(freeport)
ctl ldapserver "127.0.0.1:$DEAD"
run; want "no server listening -> 111" 111 "Unable to contact LDAP server"
ctl ldapserver "127.0.0.1:$DEAD" "127.0.0.1:$LPORT"
run; want "failover to the second server -> K" K:ssha
ctl ldapserver "127.0.0.1:$LPORT"
slapd_stop "$LD"
run; want "slapd stopped -> 111" 111 "temporary directory failure"
ctl ldaprebind 1
run; want "slapd stopped, rebind mode -> 111" 111 "temporary directory failure"
login_in 'x)(' x; run; want "slapd stopped, odd login -> 111 (never D from a dead directory)" 111
printf 'login\0bad' > "$T/in"; run; want "slapd stopped, malformed -> Z (nothing asked)" Z

done_testing
