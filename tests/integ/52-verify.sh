#!/bin/sh
# qmail-verify (INTERNALS 9, facts §1a, §4.1, §4.2, §4.5, §4.8) driven
# directly through its pipe protocol, as qmaild (the installed binary is
# setuid root for its quota reader), against a real slapd loaded with
# ldapadd: every reply of the answer table (active, noaccess, disabled,
# deleted, unknown, catch-alls, dash-ext catch-alls, duplicates, quota
# from real maildirsize files owned by the users, mailSizeMax), the
# users/cdb, passwd (in a private mount namespace with its own
# /etc/passwd) and ~alias fallbacks, ldaplocaldelivery 0, the privilege
# split, one LDAP connection for many requests, slapd stopped (4xx) and
# back (K again in the same process), hostile and malformed requests.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../slapd.sh"
top=$(cd "$(dirname "$0")/../.." && pwd)
D=testhost.example          # users
C=catch.example             # catchall@ lives here
E=dash.example              # list-catchall@ lives here
F=twins.example             # duplicate catch-alls below a unique exact entry
SUFFIX=$SLAPD_SUFFIX
LD=$T/ldap
H=$T/lh
V=$QH/bin/qmail-verify
AQ=$QH/alias/.qmail-qv52-default

PY=$(command -v python3) || { notok "python3 available"; done_testing; exit; }
[ -x "$V" ] || { notok "qmail-verify is installed" "missing $V"; done_testing; exit; }
check "qmail-verify is installed setuid root (04711)" test "$(stat -c '%u %a' "$V")" = "0 4711"

freeport() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
cleanup() {
  slapd_stop "$LD"
  rm -f "$AQ"
}
trap 'cleanup' EXIT
trap 'cleanup; exit 1' INT TERM

LPORT=$(freeport)
rm -rf "$LD" "$LD.qmail.ldif"
if ! slapd_setup "$LD" "$top" || ! slapd_start "$LD" "$LPORT"; then
  notok "slapd starts" "slapd_setup/slapd_start failed"; done_testing; exit
fi
ok "slapd starts on port $LPORT"

# ------------------------------------------------------------ users
# lonly: users/assign only (no directory entry)
add_user lonly
newuid() {
  _n=$(cat "$QI/uidnext" 2>/dev/null || echo 7001)
  echo $((_n + 1)) > "$QI/uidnext"
  eval "LUID_$1=$_n"
}
luid() { eval "echo \$LUID_$1"; }
mkdir -p "$H" && chmod 755 "$H"
# mkbox NAME MAILDIRSIZE|- SIZE...: $H/NAME/Maildir owned by NAME's uid,
# 0700, one message per SIZE (its ",S=" name carries the size), and a
# maildirsize with the given text ("-": none)
mkbox() {
  _u=$1 _mds=$2; shift 2
  _md=$H/$_u/Maildir
  mkdir -p "$_md/new" "$_md/cur" "$_md/tmp"
  _i=0
  for _s in "$@"; do _i=$((_i + 1)); echo "message $_i" > "$_md/new/100$_i.$_i.qv52,S=$_s"; done
  [ "$_mds" = - ] || printf "$_mds" > "$_md/maildirsize"
  chown -R "$(luid "$_u"):$(luid "$_u")" "$H/$_u"
  chmod 700 "$H/$_u" "$_md" "$_md/new" "$_md/cur" "$_md/tmp"
}
for n in act dis del noacc frozen qt full stale nomds fifo qc qh smax dup1 dup2 cab dcab tw1 tw2 tw3 noqm; do newuid $n; done
mkbox act -
mkbox qt '10000S\n9000 3\n' 3000 3000 3000          # 9000 of 10000 bytes
mkbox full '10000S\n10000 2\n' 5000 5000           # exactly full
mkbox stale '10000S\n10000 2\n'                     # says full, but the messages are gone
mkbox nomds - 5000                                  # far over 100 bytes, never counted
mkbox fifo - 5000
mkfifo "$H/fifo/Maildir/maildirsize" && chown "$(luid fifo):$(luid fifo)" "$H/fifo/Maildir/maildirsize"
mkbox qc '3C\n30 3\n' 10 10 10                       # 3 of 3 messages
# qh: homeDirectory + relative mailMessageStore Mail/ = $H/qh/Mail/
mkdir -p "$H/qh/Mail/new" "$H/qh/Mail/cur" "$H/qh/Mail/tmp"
echo x > "$H/qh/Mail/new/1.1.qv52,S=900"
printf '1000S\n900 1\n' > "$H/qh/Mail/maildirsize"
chown -R "$(luid qh):$(luid qh)" "$H/qh"; chmod 700 "$H/qh" "$H/qh/Mail"
# (the quota checks below can only pass through the root child)
QDU=$(id -u qmaild) QDG=$(id -g qmaild)
check "qmaild cannot read a user's maildirsize" sh -c '! setpriv --reuid="$2" --regid="$3" --clear-groups cat "$1" > /dev/null 2>&1' x "$H/qt/Maildir/maildirsize" "$QDU" "$QDG"
check "(while qmaild can run cat)" setpriv --reuid="$QDU" --regid="$QDG" --clear-groups cat /dev/null

entry() {  # entry UID MAIL [extra ldif lines...]
  _u=$1 _m=$2; shift 2
  printf 'dn: uid=%s,ou=people,%s\nobjectClass: top\nobjectClass: person\nobjectClass: qmailUser\ncn: %s\nsn: %s\nuid: %s\nmail: %s\n' \
    "$_u" "$SUFFIX" "$_u" "$_u" "$_u" "$_m"
  _id=$(luid "$_u")
  [ -n "$_id" ] && printf 'qmailUID: %s\nqmailGID: %s\n' "$_id" "$_id"
  for _l in "$@"; do printf '%s\n' "$_l"; done
  echo
}
{
  printf 'dn: ou=people,%s\nobjectClass: organizationalUnit\nou: people\n\n' "$SUFFIX"
  entry act "act@$D" "mailAlternateAddress: act.alt@$D" "mailMessageStore: $H/act" "accountStatus: active"
  entry dis "dis@$D" "mailMessageStore: $H/dis" "accountStatus: disabled"
  entry del "del@$D" "mailMessageStore: $H/del" "accountStatus: deleted"
  entry noacc "noacc@$D" "mailMessageStore: $H/noacc" "accountStatus: noaccess"
  entry frozen "frozen@$D" "mailMessageStore: $H/frozen" "accountStatus: frozen"
  entry qt "qt@$D" "mailMessageStore: $H/qt" "mailQuotaSize: 10000"
  entry full "full@$D" "mailMessageStore: $H/full" "mailQuotaSize: 10000"
  entry stale "stale@$D" "mailMessageStore: $H/stale" "mailQuotaSize: 10000"
  entry nomds "nomds@$D" "mailMessageStore: $H/nomds" "mailQuotaSize: 100"
  entry fifo "fifo@$D" "mailMessageStore: $H/fifo" "mailQuotaSize: 100"
  entry qc "qc@$D" "mailMessageStore: $H/qc" "mailQuotaCount: 3"
  entry qh "qh@$D" "homeDirectory: $H/qh" "mailMessageStore: Mail/" "mailQuotaSize: 1000"
  entry smax "smax@$D" "mailMessageStore: $H/smax" "mailSizeMax: 1000"
  entry dup1 "dup@$D" "mailMessageStore: $H/dup1"
  entry dup2 "dup2@$D" "mailAlternateAddress: dup@$D" "mailMessageStore: $H/dup2"
  entry cab "catchall@$C" "mailMessageStore: $H/cab"
  entry dcab "list-catchall@$E" "mailMessageStore: $H/dcab"
  entry tw1 "exact@$F" "mailMessageStore: $H/tw1"
  entry tw2 "catchall@$F" "mailMessageStore: $H/tw2"
  entry tw3 "tw3@$F" "mailAlternateAddress: catchall@$F" "mailMessageStore: $H/tw3"
  # no qmailUser: ldapobjectclass keeps it out of every search
  printf 'dn: cn=noqm,ou=people,%s\nobjectClass: top\nobjectClass: inetOrgPerson\ncn: noqm\nsn: noqm\nmail: noqm@%s\n\n' "$SUFFIX" "$D"
} > "$T/users.ldif"
ldapadd -x -H "ldap://127.0.0.1:$LPORT" -D "$SLAPD_ROOTDN" -w "$SLAPD_ROOTPW" -f "$T/users.ldif" > "$T/ldapadd.out" 2>&1
check "directory entries added" test $? = 0

ctl locals "$D" "$C" "$E" "$F"
ctl ldapserver "127.0.0.1:$LPORT"
ctl ldapbasedn "$SUFFIX"
ctl ldapobjectclass qmailUser
ctl ldaplogin "$SLAPD_ROOTDN"
ctl ldappassword "$SLAPD_ROOTPW"
ctl ldaptimeout 5
ctl ldaplocaldelivery 1

# passwd users for the fallback, in a private copy of /etc/passwd:
# qvpw52 owns its home; qvroot52 is uid 0; qvnotown52's home is root's
newuid qvpw52; newuid qvnotown52
mkdir -p "$T/pw/qvpw52" "$T/pw/qvroot52" "$T/pw/qvnotown52" && chmod 755 "$T/pw"
chown "$(luid qvpw52):$(luid qvpw52)" "$T/pw/qvpw52"
{
  cat /etc/passwd
  echo "qvpw52:x:$(luid qvpw52):$(luid qvpw52)::$T/pw/qvpw52:/bin/false"
  echo "qvroot52:x:0:0::$T/pw/qvroot52:/bin/false"
  echo "qvnotown52:x:$(luid qvnotown52):$(luid qvnotown52)::$T/pw/qvnotown52:/bin/false"
} > "$T/passwd"
chmod 644 "$T/passwd"

cat > "$T/verify_test.py" <<'EOF'
import os, sys, re, subprocess, select, time, pwd, shutil, stat

QH = os.environ['QH']; T = os.environ['T']
V = QH + '/bin/qmail-verify'
LD = os.environ['LD']; LPORT = os.environ['LPORT']; TOP = os.environ['TOP']
D, C, E, F = 'testhost.example', 'catch.example', 'dash.example', 'twins.example'
PWNS = os.environ.get('PWNS') == '1'
PW = pwd.getpwnam('qmaild')
UID, GID = PW.pw_uid, PW.pw_gid
FAILED = 0

def ok(name): print('ok - ' + name, flush=True)
def notok(name, why):
    global FAILED
    FAILED += 1
    print('not ok - %s # %s' % (name, why.replace('\n', ' ')[:300]), flush=True)
def check(name, cond, why=''):
    if cond: ok(name)
    else: notok(name, why or 'failed')

def ctl(name, *lines):
    p = QH + '/control/' + name
    if not lines:
        try: os.unlink(p)
        except FileNotFoundError: pass
        return
    with open(p, 'w') as f: f.write(''.join(l + '\n' for l in lines))
    os.chmod(p, 0o644)

def slapd(op):
    args = {'stop': 'slapd_stop "$2"', 'start': 'slapd_start "$2" "$3"'}[op]
    return subprocess.run(['sh', '-c', '. "$1"; ' + args, 'x', TOP + '/tests/slapd.sh', LD, LPORT]).returncode == 0

BASEENV = {'PATH': '/usr/bin:/bin'}
for k in ('ASAN_OPTIONS', 'UBSAN_OPTIONS'):
    if k in os.environ: BASEENV[k] = os.environ[k]

def asqmaild():
    os.setgroups([]); os.setgid(GID); os.setuid(UID)

class Verifier:
    """bin/qmail-verify on two pipes, started as qmaild (qmail-smtpd's way)"""
    def __init__(self, prog=V, env=None, errlog='verify.err'):
        e = dict(BASEENV); e.update(env or {})
        self.errpath = T + '/' + errlog
        self.p = subprocess.Popen([prog], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=open(self.errpath, 'ab'), env=e, preexec_fn=asqmaild)
        self.buf = b''
    def send(self, raw):
        try:
            os.write(self.p.stdin.fileno(), raw); return True
        except OSError: return False
    def reply(self, timeout=30):
        fd = self.p.stdout.fileno()
        end = time.time() + timeout
        while b'\0' not in self.buf:
            r, _, _ = select.select([fd], [], [], max(0, end - time.time()))
            if not r: return 'TIMEOUT'
            d = os.read(fd, 4096)
            if not d: return 'EOF'
            self.buf += d
        i = self.buf.index(b'\0')
        out, self.buf = self.buf[:i], self.buf[i + 1:]
        return out.decode('latin-1')
    def ask(self, kind, addr, size=''):
        if isinstance(addr, str): addr = addr.encode('latin-1')
        if not self.send(kind.encode() + addr + b'\0' + size.encode() + b'\0'): return 'EPIPE'
        return self.reply()
    def alive(self): return self.p.poll() is None
    def end(self, timeout=20):
        try: self.p.stdin.close()
        except OSError: pass
        try: return self.p.wait(timeout)
        except subprocess.TimeoutExpired:
            self.p.kill(); self.p.wait(); return 'hung'
    def exitcode(self, timeout=20):
        try: return self.p.wait(timeout)
        except subprocess.TimeoutExpired:
            self.p.kill(); self.p.wait(); return 'hung'

K = r'K'
NOMBOX = r'D554 Sorry, no mailbox here by that name\. \(#5\.1\.1\)'
DISABLED = r'D554 Mailaddress is administratively disabled\. \(#5\.2\.1\)'
NOHOST = r'D554 Sorry, address must include host name\. \(#5\.1\.3\)'
OVER = r'D552 The users mailfolder is over the allowed quota \(size\)\. \(#5\.2\.2\)'
SIZEMAX = r'D552 The message exceeded the maximum size the user accepts\. \(#5\.2\.3\)'
NOTUNIQUE = r'Z451 .*\(#4\.3\.5\)'
DOWN = r'Z451 Unable to contact LDAP server\. \(#4\.4\.3\)'
TEMP = r'Z4\d\d .*\(#4\.\d\.\d\)'
MALFORMED = r'Z451 .*\(#4\.3\.0\)'

def expect(v, name, kind, addr, want, size=''):
    r = v.ask(kind, addr, size)
    check(name + ' -> ' + want.replace('\\', '')[:40], re.fullmatch(want, r) is not None, repr(r))
    return r

# ------------------------------------------------------------ the answer table
v = Verifier()
rows = [
    ('active recipient', 'R', 'act@' + D, K, ''),
    ('active sender', 'S', 'act@' + D, K, ''),
    ('mailAlternateAddress', 'R', 'act.alt@' + D, K, ''),
    ('address case ignored', 'R', 'ACT@TestHost.Example', K, ''),
    ('noaccess', 'R', 'noacc@' + D, K, ''),
    ('unknown accountStatus', 'R', 'frozen@' + D, K, ''),
    ('disabled recipient', 'R', 'dis@' + D, DISABLED, ''),
    ('disabled sender', 'S', 'dis@' + D, DISABLED, ''),
    ('deleted recipient', 'R', 'del@' + D, NOMBOX, ''),
    ('deleted sender', 'S', 'del@' + D, NOMBOX, ''),
    ('unknown recipient', 'R', 'nosuch@' + D, NOMBOX, ''),
    ('unknown sender', 'S', 'nosuch@' + D, NOMBOX, ''),
    ('no host part', 'R', 'act', NOHOST, ''),
    ('no host part, sender', 'S', 'act', NOHOST, ''),
    ('an entry without objectClass qmailUser', 'R', 'noqm@' + D, NOMBOX, ''),
    ('catchall@ of another domain', 'R', 'anyone@' + C, K, ''),
    ('catchall@ takes dash addresses too', 'R', 'a-b-c@' + C, K, ''),
    ('dash-ext catch-all list-catchall@', 'R', 'list-foo@' + E, K, ''),
    ('dash-ext catch-all, deeper', 'R', 'list-foo-bar@' + E, K, ''),
    ('no list@ entry and no catchall@', 'R', 'list@' + E, NOMBOX, ''),
    ('other-x: no catch-all of its own', 'R', 'other-foo@' + E, NOMBOX, ''),
    ('two entries for one address', 'R', 'dup@' + D, NOTUNIQUE, ''),
    ('two entries for one address, sender', 'S', 'dup@' + D, NOTUNIQUE, ''),
    ('the unique exact entry beats two catch-alls', 'R', 'exact@' + F, K, ''),
    ('two catch-alls, no exact entry', 'R', 'nobody@' + F, NOTUNIQUE, ''),
    # quota (maildirsize owned by the user, read by the root child)
    ('quota: 9000 of 10000, no SIZE', 'R', 'qt@' + D, K, ''),
    ('quota: SIZE fits exactly', 'R', 'qt@' + D, K, '1000'),
    ('quota: SIZE one byte too many', 'R', 'qt@' + D, OVER, '1001'),
    ('quota: a sender is never refused', 'S', 'qt@' + D, K, '5000'),
    ('quota: full mailbox, no SIZE', 'R', 'full@' + D, OVER, ''),
    ('quota: stale maildirsize is recounted first', 'R', 'stale@' + D, K, '5000'),
    ('quota: no maildirsize, usage unknown', 'R', 'nomds@' + D, K, '1000'),
    ('quota: a FIFO maildirsize does not hang', 'R', 'fifo@' + D, K, '1000'),
    ('quota: count full', 'R', 'qc@' + D, OVER, '1'),
    ('quota: homeDirectory + Mail/ store', 'R', 'qh@' + D, OVER, '200'),
    ('quota: homeDirectory + Mail/ store, fits', 'R', 'qh@' + D, K, '100'),
    # mailSizeMax against SIZE=
    ('mailSizeMax: SIZE equal', 'R', 'smax@' + D, K, '1000'),
    ('mailSizeMax: SIZE bigger', 'R', 'smax@' + D, SIZEMAX, '1001'),
    ('mailSizeMax: no SIZE', 'R', 'smax@' + D, K, ''),
    ('mailSizeMax: 20-digit SIZE', 'R', 'smax@' + D, SIZEMAX, '99999999999999999999'),
    ('mailSizeMax: a sender is never refused', 'S', 'smax@' + D, K, '5000'),
    # no entry: users/cdb, ~alias
    ('users/cdb user', 'R', 'lonly@' + D, K, ''),
    ('users/cdb user with extension', 'R', 'lonly-ext@' + D, K, ''),
    ('~alias/.qmail-postmaster', 'R', 'postmaster@' + D, K, ''),
    ('~alias/.qmail-mailer-daemon', 'R', 'Mailer-Daemon@' + D, K, ''),
    ('~alias/.qmail-root (passwd root, uid 0, does not count)', 'R', 'root@' + D, K, ''),
]
for name, kind, addr, want, size in rows:
    expect(v, name, kind, addr, want, size)
check('quota: the users maildirsize files are untouched', open(T + '/lh/stale/Maildir/maildirsize').read() == '10000S\n10000 2\n')

if PWNS:
    for name, addr, want in (('passwd user owning its home', 'qvpw52@' + D, K),
                             ('passwd user with extension', 'qvpw52-foo@' + D, K),
                             ('passwd user, upper case', 'QVPW52@' + D, K),
                             ('passwd uid 0', 'qvroot52@' + D, NOMBOX),
                             ('passwd user not owning its home', 'qvnotown52@' + D, NOMBOX)):
        expect(v, name, 'R', addr, want)
else:
    ok('passwd fallback skipped: no private mount namespace here # skip')

# ------------------------------------------------------------ the privilege split
def status(pid):
    st = {}
    with open('/proc/%d/status' % pid) as f:
        for l in f:
            k, _, val = l.partition(':'); st[k] = val.split()
    return st
def children(pid):
    out = []
    for d in os.listdir('/proc'):
        if d.isdigit():
            try:
                if status(int(d)).get('PPid') == [str(pid)]: out.append(int(d))
            except OSError: pass
    return out
st = status(v.p.pid)
check('the verifier runs as qmaild (real, effective, saved, fs uid)', st['Uid'] == [str(UID)] * 4, repr(st['Uid']))
check('the verifier runs with qmaild\'s gid only', st['Gid'] == [str(GID)] * 4 and st.get('Groups', []) in ([], [str(GID)]),
      repr((st['Gid'], st.get('Groups'))))
kids = children(v.p.pid)
check('one quota reader child', len(kids) == 1, repr(kids))
if kids:
    cs = status(kids[0])
    check('the quota reader is root (real uid too) without supplementary groups',
          cs['Uid'] == ['0'] * 4 and cs.get('Groups', []) == [], repr((cs['Uid'], cs.get('Groups'))))
    fds = os.listdir('/proc/%d/fd' % kids[0])
    pipes = [os.readlink('/proc/%d/fd/%s' % (kids[0], f)) for f in fds if f in ('0', '1')]
    check('the quota reader does not hold the protocol pipes', all(p == '/dev/null' for p in pipes), repr(pipes))

# ------------------------------------------------------------ one connection
def conns(pid):
    r = subprocess.run(['ss', '-tnpH', 'state', 'established', '( dport = :%s )' % LPORT],
                       capture_output=True, text=True).stdout
    return sorted(l.split()[2].rsplit(':', 1)[1] for l in r.splitlines() if 'pid=%d,' % pid in l)
c0 = conns(v.p.pid)
check('one LDAP connection after the table', len(c0) == 1, repr(c0))
bad = [r for r in (v.ask('R', ('act@' if i % 2 else 'nosuch%d@' % i) + D) for i in range(60)) if r not in ('K', 'D554 Sorry, no mailbox here by that name. (#5.1.1)')]
check('60 more requests answered', not bad, repr(bad[:3]))
c1 = conns(v.p.pid)
check('the same single connection after 60 requests', c0 == c1 and len(c1) == 1, '%r %r' % (c0, c1))

# ------------------------------------------------------------ slapd down and back
pid0 = v.p.pid
if slapd('stop'):
    expect(v, 'slapd stopped: recipient', 'R', 'act@' + D, DOWN)
    expect(v, 'slapd stopped: sender', 'S', 'act@' + D, DOWN)
    expect(v, 'slapd stopped: unknown address is no 5xx', 'R', 'nosuch@' + D, DOWN)
    expect(v, 'slapd stopped: a local user is not looked up locally', 'R', 'lonly@' + D, DOWN)
    check('slapd stopped: the verifier lives on', v.alive())
    if slapd('start'):
        expect(v, 'slapd back: the same process answers K', 'R', 'act@' + D, K)
        expect(v, 'slapd back: and D', 'R', 'dis@' + D, DISABLED)
        check('slapd back: same process', v.alive() and v.p.pid == pid0)
        check('slapd back: one connection again', len(conns(v.p.pid)) == 1, repr(conns(v.p.pid)))
    else:
        notok('slapd restarts', 'slapd_start failed')
else:
    notok('slapd stops', 'slapd_stop failed')

# ------------------------------------------------------------ hostile addresses
HOSTILE = [b'*@' + D.encode(), b'*', b'(@' + D.encode(), b')@' + D.encode(), b'\\@' + D.encode(),
           b'a)(mail=*@' + D.encode(), b'*)(|(mail=*@' + D.encode(), b'h\xe9\xff\x80i@' + D.encode(),
           b'act*@' + D.encode(), b'*act@' + D.encode(), b'ac*t@' + D.encode(), b'act@*', b'*@*',
           b'act)(uid=*@' + D.encode(), b'%2a@' + D.encode(), b'act\\2a@' + D.encode(),
           b'act@' + D.encode() + b'\n', b'act@' + D.encode() + b')',
           b'-@' + D.encode(), b'--------@' + D.encode(), b'@' + D.encode(), b'@', b'',
           b'a' * 990 + b'@' + D.encode()[:9]]
hres = [(h, v.ask('R', h)) for h in HOSTILE]
bad = [(h[:40], r) for h, r in hres if not re.fullmatch(r'[DZ][45]\d\d .*', r)]
check('%d hostile addresses: D or Z, never K' % len(HOSTILE), not bad, repr(bad[:3]))
check('hostile addresses: the verifier lives on', v.alive() and v.ask('R', 'act@' + D) == 'K')
expect(v, 'a 1000-byte address is looked up (and unknown)', 'R', 'x' * (1000 - len(D) - 1) + '@' + D, NOMBOX)
r = v.ask('R', 'x' * (1001 - len(D) - 1) + '@' + D)
check('a 1001-byte address: Z', re.fullmatch(MALFORMED, r) is not None, repr(r))
check('a 1001-byte address: exit 111', v.exitcode() == 111)
check('verify.err has no sanitizer or crash report', 'Sanitizer' not in open(v.errpath, errors='replace').read())

# ------------------------------------------------------------ the protocol edges
def raw(name, data, want_reply, want_exit):
    w = Verifier()
    w.send(data)
    try: w.p.stdin.close()
    except OSError: pass
    rs = []
    while True:
        r = w.reply(20)
        if r in ('EOF', 'TIMEOUT'): break
        rs.append(r)
    code = w.exitcode()
    check(name + ': replies', len(rs) == len(want_reply) and all(re.fullmatch(p, g) for p, g in zip(want_reply, rs)), repr(rs))
    check(name + ': exit %s' % want_exit, code == want_exit, repr(code))
raw('no request at all', b'', [], 0)
raw('two requests, then EOF', b'Ract@' + D.encode() + b'\0\0Snosuch@' + D.encode() + b'\0\0', [K, NOMBOX], 0)
raw('unknown kind', b'Xact@' + D.encode() + b'\0\0', [MALFORMED], 111)
raw('SIZE with a letter', b'Ract@' + D.encode() + b'\x0012a\0', [MALFORMED], 111)
raw('SIZE of 21 digits', b'Ract@' + D.encode() + b'\0' + b'1' * 21 + b'\0', [MALFORMED], 111)
raw('EOF inside the address', b'Ract@' + D.encode(), [MALFORMED], 111)
raw('EOF before the size', b'Ract@' + D.encode() + b'\x00100', [MALFORMED], 111)
raw('a 5000-byte address', b'R' + b'y' * 5000 + b'\0\0', [MALFORMED], 111)
raw('good, then malformed', b'Ract@' + D.encode() + b'\0\0Qx\0\0Ract@' + D.encode() + b'\0\0', [K, MALFORMED], 111)

# ------------------------------------------------------------ LOGLEVEL
logf = T + '/verify-log.err'
w = Verifier(env={'LOGLEVEL': '3'}, errlog='verify-log.err')
expect(w, 'LOGLEVEL 3: accepted', 'R', 'act@' + D, K)
expect(w, 'LOGLEVEL 3: refused', 'R', 'dis@' + D, DISABLED)
expect(w, 'LOGLEVEL 3: temporary', 'R', 'dup@' + D, NOTUNIQUE)
expect(w, 'LOGLEVEL 3: sender refused', 'S', 'nosuch@' + D, NOMBOX)
check('LOGLEVEL 3: exit 0 at EOF', w.end() == 0)
lines = open(logf, errors='replace').read().splitlines()
pre = 'qmail-verify %d: ' % w.p.pid
check('LOGLEVEL 3: one line per refusal or temporary answer', len(lines) == 3, repr(lines))
check('LOGLEVEL 3: lines start "qmail-verify <pid>: "', all(l.startswith(pre) for l in lines), repr(lines[:1]))
check('LOGLEVEL 3: the refusal names address and reason',
      any('recipient <dis@%s>: 554 Mailaddress is administratively disabled.' % D in l for l in lines), repr(lines))
check('LOGLEVEL 3: the temporary answer names the directory\'s reason',
      any('dup@%s' % D in l and 'Too many results' in l for l in lines), repr(lines))
check('LOGLEVEL 3: the sender line', any('sender <nosuch@%s>: 554' % D in l for l in lines), repr(lines))
check('LOGLEVEL 3: nothing about accepted addresses', not any('act@' in l for l in lines), repr(lines))
q = Verifier(errlog='verify-quiet.err')
expect(q, 'LOGLEVEL unset: refused', 'R', 'dis@' + D, DISABLED)
q.end()
check('LOGLEVEL unset: nothing on stderr', os.path.getsize(T + '/verify-quiet.err') == 0)

# ------------------------------------------------------------ not root: no quota reader
nosuid = T + '/qmail-verify.nosuid'
shutil.copy(V, nosuid); os.chmod(nosuid, 0o755)
w = Verifier(prog=nosuid)
expect(w, 'not setuid: over quota is not checked', 'R', 'full@' + D, K)
expect(w, 'not setuid: disabled still refused', 'R', 'dis@' + D, DISABLED)
check('not setuid: no child', children(w.p.pid) == [], repr(children(w.p.pid)))
check('not setuid: exit 0', w.end() == 0)

# ------------------------------------------------------------ ldaplocaldelivery 0
ctl('ldaplocaldelivery', '0')
with open(QH + '/alias/.qmail-qv52-default', 'w') as f: f.write('./Maildir/\n')
w = Verifier()
expect(w, 'ldaplocaldelivery 0: users/cdb is not asked', 'R', 'lonly@' + D, NOMBOX)
expect(w, 'ldaplocaldelivery 0: ~alias/.qmail-postmaster', 'R', 'postmaster@' + D, K)
expect(w, 'ldaplocaldelivery 0: ~alias/.qmail-qv52-default', 'R', 'qv52-anything@' + D, K)
expect(w, 'ldaplocaldelivery 0: ~alias/.qmail-qv52-default, deeper', 'R', 'QV52-a-b@' + D, K)
expect(w, 'ldaplocaldelivery 0: qv52 itself has no .qmail-qv52', 'R', 'qv52@' + D, NOMBOX)
expect(w, 'ldaplocaldelivery 0: the directory first', 'R', 'act@' + D, K)
if PWNS: expect(w, 'ldaplocaldelivery 0: passwd is not asked', 'R', 'qvpw52@' + D, NOMBOX)
w.end()
os.unlink(QH + '/alias/.qmail-qv52-default')
ctl('ldaplocaldelivery', '1')

# ------------------------------------------------------------ no directory configured
ctl('ldapserver')
w = Verifier()
expect(w, 'no ldapserver: users/cdb', 'R', 'lonly@' + D, K)
expect(w, 'no ldapserver: directory users are unknown', 'R', 'act@' + D, NOMBOX)
check('no ldapserver: no connection', conns(w.p.pid) == [])
w.end()
ctl('ldapserver', '127.0.0.1:' + LPORT)

# ------------------------------------------------------------ unreadable control files
os.chmod(QH + '/control/ldappassword', 0o600)
w = Verifier()
r = w.ask('R', 'act@' + D)
check('ldappassword unreadable for qmaild: Z', re.fullmatch(r'Z451 .*\(#4\.3\.0\)', r) is not None, repr(r))
check('ldappassword unreadable for qmaild: exit 111', w.exitcode() == 111)
os.chmod(QH + '/control/ldappassword', 0o644)
w = Verifier()
expect(w, 'ldappassword readable again', 'R', 'act@' + D, K)
w.end()

sys.exit(1 if FAILED else 0)
EOF

run_py() { QH=$QH T=$T LD=$LD LPORT=$LPORT TOP=$top "$@"; }
if unshare -m true 2>/dev/null; then
  # the private /etc/passwd exists only inside this mount namespace
  run_py env PWNS=1 unshare -m sh -c 'mount --bind "$1" /etc/passwd && exec "$2" "$3"' x "$T/passwd" "$PY" "$T/verify_test.py"
else
  run_py env PWNS=0 "$PY" "$T/verify_test.py"
fi
[ $? = 0 ] || TESTS_FAILED=$((TESTS_FAILED + 1))
done_testing
