#!/bin/sh
# qmail-smtpd under tcpserver on loopback, as qmaild: greeting and EHLO,
# relay control (rcpthosts, morercpthosts.cdb, rcpthosts.cdb, locals(.cdb),
# NOLOCAL, RELAYCLIENT, relaymailfrom), every abuse control with its exact
# reply code, DATA edge cases (dot-stuffing, bare LF / smuggling, long
# lines, databytes, hops, NUL), bad input (overlong commands, garbage,
# 10000 RCPTs, pipelining, disconnect mid-DATA), IPv6 client addresses,
# the Received line's TCPREMOTEHOST/INFO, the order of the checks when
# several apply (facts 4.16), LOGLEVEL on stderr,
# RBL/rbltags/RETURNMXCHECK against a fake DNS server (in a private
# network namespace), then swaks and smtplib into the real queue.
. "$(dirname "$0")/../lib.sh"
D=testhost.example
PY=$(command -v python3) || { notok "python3 available"; exit 1; }
command -v tcpserver >/dev/null || { notok "tcpserver available"; exit 1; }

# A recording qmail-queue: message and envelope per call, exit code from
# $FAKEQQ_DIR/exit if present.
mkdir -p "$T/qq" && chmod 777 "$T/qq"
cat > "$T/fakeqq" <<'EOF'
#!/bin/sh
d=$FAKEQQ_DIR
n=$$
cat > "$d/$n.msg.tmp" || exit 54
cat <&1 > "$d/$n.env.tmp" || exit 54
# like qmail-queue: no envelope, nothing queued
if [ ! -s "$d/$n.env.tmp" ]; then rm -f "$d/$n.msg.tmp" "$d/$n.env.tmp"; exit 54; fi
mv "$d/$n.msg.tmp" "$d/$n.msg" && mv "$d/$n.env.tmp" "$d/$n.env"
[ -f "$d/exit" ] && exit "$(cat "$d/exit")"
exit 0
EOF
chmod 755 "$T/fakeqq"

ctl locals "$D" localhost
ctl rcpthosts "$D" localhost relay.example .sub.example
add_user joe

# The harness: prints ok / not ok lines itself.
cat > "$T/smtpd_test.py" <<'EOF'
import os, sys, socket, subprocess, time, pwd, glob, select, struct, threading, signal

QH = os.environ['QH']; T = os.environ['T']
SMTPD = QH + '/bin/qmail-smtpd'
QQDIR = T + '/qq'
PW = pwd.getpwnam('qmaild')
UID, GID = PW.pw_uid, PW.pw_gid
D = 'testhost.example'
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

def mkcdb(name, *keys):
    src = T + '/' + name + '.src'
    with open(src, 'w') as f: f.write(''.join(k + '\n' for k in keys))
    p = QH + '/control/' + name
    subprocess.run([QH + '/bin/qmail-cdb', p, p + '.tmp'], stdin=open(src), check=True)
    os.chmod(p, 0o644)

BASEENV = {'PATH': '/usr/bin:/bin', 'QMAILQUEUE': T + '/fakeqq', 'FAKEQQ_DIR': QQDIR}
for k in ('ASAN_OPTIONS', 'UBSAN_OPTIONS'):
    if k in os.environ: BASEENV[k] = os.environ[k]

def drop():
    os.setgroups([]); os.setgid(GID); os.setuid(UID)

def freeport():
    s = socket.socket(); s.bind(('127.0.0.1', 0)); p = s.getsockname()[1]; s.close(); return p

class Server:
    """tcpserver running qmail-smtpd as qmaild with the given environment."""
    def __init__(self, env):
        self.port = freeport()
        e = dict(BASEENV); e.update(env)
        self.log = open(T + '/tcpserver.log', 'a')
        self.p = subprocess.Popen(['tcpserver', '-R', '-H', '-l', D, '-u', str(UID), '-g', str(GID),
                                   '127.0.0.1', str(self.port), SMTPD], env=e,
                                  stdout=self.log, stderr=self.log, stdin=subprocess.DEVNULL)
        end = time.time() + 10
        while time.time() < end:
            try:
                socket.create_connection(('127.0.0.1', self.port), 1).close(); return
            except OSError: time.sleep(0.05)
        raise RuntimeError('tcpserver did not start')
    def stop(self):
        self.p.terminate(); self.p.wait()

SERVERS = {}
def server(env):
    key = tuple(sorted(env.items()))
    if key not in SERVERS: SERVERS[key] = Server(env)
    return SERVERS[key]

class Client:
    def __init__(self, env=None, pipe=False):
        env = env or {}
        self.buf = b''
        self.proc = None
        if pipe:   # qmail-smtpd on pipes, for environments tcpserver would override
            e = dict(BASEENV); e.update(env)
            self.proc = subprocess.Popen([SMTPD], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                         stderr=open(T + '/smtpd-pipe.log', 'a'), env=e, preexec_fn=drop)
            self.rfd, self.wfd = self.proc.stdout.fileno(), self.proc.stdin.fileno()
            self.sock = None
        else:
            self.sock = socket.create_connection(('127.0.0.1', server(env).port), 10)
            self.rfd = self.wfd = self.sock.fileno()
    def send(self, data):
        if isinstance(data, str): data = data.encode('latin-1')
        try:
            if self.sock: self.sock.sendall(data)
            else:
                while data:
                    n = os.write(self.wfd, data); data = data[n:]
            return True
        except (BrokenPipeError, ConnectionResetError): return False
    def _fill(self, timeout):
        r, _, _ = select.select([self.rfd], [], [], timeout)
        if not r: raise TimeoutError('no reply')
        try: d = os.read(self.rfd, 65536)
        except ConnectionResetError: d = b''
        if not d: raise EOFError('closed')
        self.buf += d
    def line(self, timeout=10):
        while b'\n' not in self.buf: self._fill(timeout)
        l, self.buf = self.buf.split(b'\n', 1)
        return l.decode('latin-1')
    def reply(self, timeout=10):
        """(code, full text) of one possibly multiline reply; (None, why) on EOF/timeout."""
        lines = []
        try:
            while True:
                l = self.line(timeout)
                lines.append(l.rstrip('\r'))
                if len(l) < 4 or l[3] != '-': break
        except (EOFError, TimeoutError) as e:
            return None, '%s after %r' % (e, lines)
        try: code = int(lines[-1][:3])
        except ValueError: code = -1
        return code, '\n'.join(lines)
    def cmd(self, c, timeout=10):
        self.send(c + '\r\n'); return self.reply(timeout)
    def closed(self, timeout=5):
        end = time.time() + timeout
        try:
            while time.time() < end:
                self._fill(end - time.time()); self.buf = b''
        except EOFError: return True
        except TimeoutError: return False
        return False
    def close(self):
        if self.sock: self.sock.close()
        if self.proc:
            try: self.proc.stdin.close()
            except OSError: pass
            self.proc.wait()

def smtpd_pids():
    out = []
    for p in glob.glob('/proc/[0-9]*'):
        try:
            if os.readlink(p + '/exe') == SMTPD: out.append(int(p[6:]))
        except OSError: pass
    return out

def wait_for(cond, timeout=10):
    """Poll cond (an OSError counts as False) until it holds or timeout s pass."""
    def c():
        try: return cond()
        except OSError: return False
    end = time.time() + timeout
    while time.time() < end:
        if c(): return True
        time.sleep(0.05)
    return c()

def qq_reset():
    for f in glob.glob(QQDIR + '/*'): os.unlink(f)
def qq_msgs():
    """[(message bytes, [sender, rcpts...])] recorded by the fake qmail-queue."""
    out = []
    for e in sorted(glob.glob(QQDIR + '/*.env'), key=os.path.getmtime):
        m = e[:-4] + '.msg'
        if not os.path.exists(m): continue
        env = open(e, 'rb').read().split(b'\0')
        out.append((open(m, 'rb').read(), [x.decode('latin-1') for x in env if x]))
    return out

def expect(name, got, code, contains=None):
    c, text = got
    if c == code and (contains is None or contains in text): ok(name)
    else: notok(name, 'got %r, want %d%s' % (text, code, ' with %r' % contains if contains else ''))

def transaction(c, sender='a@remote.example', rcpts=('joe@' + D,), body='Subject: t\r\n\r\nhi\r\n'):
    """MAIL, RCPTs, DATA; returns the final reply."""
    r = c.cmd('MAIL FROM:<%s>' % sender)
    if r[0] != 250: return r
    for x in rcpts:
        r = c.cmd('RCPT TO:<%s>' % x)
        if r[0] != 250: return r
    r = c.cmd('DATA')
    if r[0] != 354: return r
    c.send(body + '.\r\n')
    return c.reply()

def session(env=None, pipe=False, helo='client.example'):
    c = Client(env, pipe)
    g = c.reply()
    if helo: c.cmd('HELO ' + helo)
    return c, g

# ---------------------------------------------------------------- basics
def t_basics():
    ctl('smtpgreeting'); ctl('smtpclustercookie'); ctl('databytes')
    c = Client(); g = c.reply()
    expect('greeting is 220 <me> ESMTP', g, 220)
    check('greeting text', g[1] == '220 %s ESMTP' % D, repr(g))
    r = c.cmd('EHLO client.example')
    check('EHLO 250 with PIPELINING and 8BITMIME, no SIZE without databytes',
          r[0] == 250 and '250-PIPELINING' in r[1] and r[1].endswith('250 8BITMIME') and 'SIZE' not in r[1], repr(r))
    expect('HELO', c.cmd('HELO x'), 250, '250 ' + D)
    expect('NOOP', c.cmd('NOOP'), 250)
    expect('VRFY', c.cmd('VRFY joe'), 252)
    expect('HELP', c.cmd('HELP'), 214)
    expect('RSET', c.cmd('RSET'), 250, 'flushed')
    expect('unknown command 502', c.cmd('FOO bar'), 502, 'unimplemented (#5.5.1)')
    expect('lower-case verbs', c.cmd('noop'), 250)
    expect('RCPT before MAIL 503', c.cmd('RCPT TO:<joe@%s>' % D), 503, 'MAIL first (#5.5.1)')
    expect('DATA before MAIL 503', c.cmd('DATA'), 503, 'MAIL first')
    expect('MAIL', c.cmd('MAIL FROM:<a@remote.example>'), 250, '250 ok')
    expect('DATA before RCPT 503', c.cmd('DATA'), 503, 'RCPT first (#5.5.1)')
    expect('MAIL without address 555', c.cmd('MAIL FROM:'), 555, 'syntax error (#5.5.4)')
    expect('MAIL without colon 555', c.cmd('MAIL'), 555)
    c.cmd('MAIL FROM:<a@remote.example>')
    expect('RCPT without address 555', c.cmd('RCPT TO:<>'), 555)
    expect('AUTH not offered 502', c.cmd('AUTH LOGIN'), 502)
    expect('STARTTLS not offered 502', c.cmd('STARTTLS'), 502)
    expect('QUIT 221', c.cmd('QUIT'), 221, '221 %s Goodbye.' % D)
    check('closed after QUIT', c.closed())
    c.close()
    ctl('smtpgreeting', 'Welcome here'); ctl('smtpclustercookie', 'c' * 40); ctl('databytes', '5000')
    c = Client(); g = c.reply()
    check('greeting with smtpgreeting and cookie (32 chars)', g[1] == '220 %s ESMTP Welcome here %s' % (D, 'c' * 32), repr(g))
    r = c.cmd('EHLO x')
    check('EHLO shows SIZE with databytes', '250-SIZE 5000' in r[1] and r[1].startswith('250-%s Welcome here' % D), repr(r))
    c.close()
    ctl('smtpgreeting'); ctl('smtpclustercookie'); ctl('databytes')

def t_queueing():
    qq_reset()
    c, _ = session(helo='helo.example')
    r = transaction(c, 'a@remote.example', ['joe@' + D, 'other@localhost'],
                    'Subject: stuffed\r\n\r\n..leading dot\r\nline\r\n')
    check('250 ok <time> qp <pid> by <me>', r[0] == 250 and r[1].startswith('250 ok ') and ' qp ' in r[1]
          and r[1].endswith(' by ' + D), repr(r))
    m = qq_msgs()
    check('message handed to qmail-queue once', len(m) == 1, repr(m))
    if m:
        msg, env = m[0]
        check('envelope F + T records', env == ['Fa@remote.example', 'Tjoe@' + D, 'Tother@localhost'], repr(env))
        check('dot-unstuffed, LF line ends', msg.endswith(b'Subject: stuffed\n\n.leading dot\nline\n'), repr(msg[-60:]))
        first = msg.split(b'\n')[:4]
        check('Received line (qmail-ldap form)',
              first[0] == b'Received: from unknown (HELO helo.example) ([127.0.0.1])' and
              first[1] == b'          (envelope-sender <a@remote.example>)' and
              first[2] == b'          by %s (qmail-ldap-1.03) with SMTP' % D.encode() and
              first[3].startswith(b'          for <joe@%s>; ' % D.encode()), repr(first))
    # second transaction in the same session, pipelined
    qq_reset()
    c.send('MAIL FROM:<b@remote.example>\r\nRCPT TO:<joe@%s>\r\nDATA\r\n' % D)
    codes = [c.reply()[0] for _ in range(3)]
    c.send('x\r\n.\r\nNOOP\r\n')
    codes += [c.reply()[0], c.reply()[0]]
    check('pipelined MAIL/RCPT/DATA/NOOP', codes == [250, 250, 354, 250, 250], repr(codes))
    check('second message queued', len(qq_msgs()) == 1)
    c.close()
    # qmail-queue failures become 451 / 554 with qq.c's text
    for code, want, text in (('71', 451, 'mail server temporarily rejected message (#4.3.0)'),
                             ('31', 554, 'mail server permanently rejected message (#5.3.0)'),
                             ('53', 451, 'qq write error or disk full (#4.3.0)')):
        qq_reset()
        open(QQDIR + '/exit', 'w').write(code)
        c, _ = session()
        expect('qmail-queue exit %s -> %d' % (code, want), transaction(c), want, text)
        c.close()
        os.unlink(QQDIR + '/exit')
    qq_reset()
    c, _ = session({'QMAILQUEUE': '/nonexistent/qq'})
    expect('qmail-queue not runnable -> 451', transaction(c), 451, 'unable to exec qq')
    c.close()

# ---------------------------------------------------------------- relay control
def t_relay():
    c, _ = session()
    c.cmd('MAIL FROM:<a@remote.example>')
    expect('local domain accepted', c.cmd('RCPT TO:<joe@%s>' % D), 250)
    expect('locals accepted (case-insensitive)', c.cmd('RCPT TO:<joe@LOCALHOST>'), 250)
    expect('rcpthosts domain accepted', c.cmd('RCPT TO:<x@relay.example>'), 250)
    expect('.sub.example matches a subdomain', c.cmd('RCPT TO:<x@a.sub.example>'), 250)
    expect('.sub.example does not match sub.example', c.cmd('RCPT TO:<x@sub.example>'), 553)
    expect('relaying denied 553', c.cmd('RCPT TO:<x@elsewhere.example>'), 553,
           'sorry, relaying denied from your location [127.0.0.1] (#5.7.1)')
    expect('address without @ accepted', c.cmd('RCPT TO:<postmaster>'), 250)
    expect('[ip] of this host becomes localiphost', c.cmd('RCPT TO:<joe@[127.0.0.1]>'), 250)
    c.close()
    c, _ = session({'RELAYCLIENT': ''})
    c.cmd('MAIL FROM:<a@remote.example>')
    expect('RELAYCLIENT allows relaying', c.cmd('RCPT TO:<x@elsewhere.example>'), 250)
    c.close()
    qq_reset()
    c, _ = session({'RELAYCLIENT': '-relay'})
    r = transaction(c, rcpts=['x@elsewhere.example'])
    m = qq_msgs()
    check('RELAYCLIENT suffix appended to recipients', r[0] == 250 and m and m[0][1][1] == 'Tx@elsewhere.example-relay',
          repr((r, m and m[0][1])))
    c.close()
    ctl('relaymailfrom', 'boss@remote.example', '@friends.example')
    c, _ = session()
    c.cmd('MAIL FROM:<boss@remote.example>')
    expect('relaymailfrom user@dom may relay', c.cmd('RCPT TO:<x@elsewhere.example>'), 250)
    c.cmd('MAIL FROM:<anyone@friends.example>')
    expect('relaymailfrom @dom may relay', c.cmd('RCPT TO:<x@elsewhere.example>'), 250)
    c.cmd('MAIL FROM:<other@remote.example>')
    expect('relaymailfrom is per sender', c.cmd('RCPT TO:<x@elsewhere.example>'), 553)
    c.close()
    ctl('relaymailfrom')
    # missing rcpthosts: locals only, not an open relay
    saved = open(QH + '/control/rcpthosts').read()
    ctl('rcpthosts')
    c, _ = session()
    c.cmd('MAIL FROM:<a@remote.example>')
    expect('missing rcpthosts: locals still accepted', c.cmd('RCPT TO:<joe@%s>' % D), 250)
    expect('missing rcpthosts: not an open relay', c.cmd('RCPT TO:<x@relay.example>'), 553)
    c.close()
    c, _ = session({'NOLOCAL': '1'})
    c.cmd('MAIL FROM:<a@remote.example>')
    expect('NOLOCAL: locals are not rcpthosts', c.cmd('RCPT TO:<joe@%s>' % D), 553)
    c.close()
    open(QH + '/control/rcpthosts', 'w').write(saved)
    # cdb forms
    mkcdb('morercpthosts.cdb', 'more.example', '.moresub.example')
    c, _ = session()
    c.cmd('MAIL FROM:<a@remote.example>')
    expect('morercpthosts.cdb domain accepted', c.cmd('RCPT TO:<x@MORE.example>'), 250)
    expect('morercpthosts.cdb .dom', c.cmd('RCPT TO:<x@a.moresub.example>'), 250)
    c.close()
    mkcdb('rcpthosts.cdb', 'cdbonly.example')
    c, _ = session()
    c.cmd('MAIL FROM:<a@remote.example>')
    expect('rcpthosts.cdb domain accepted', c.cmd('RCPT TO:<x@cdbonly.example>'), 250)
    expect('rcpthosts.cdb replaces rcpthosts', c.cmd('RCPT TO:<x@relay.example>'), 553)
    expect('rcpthosts.cdb replaces morercpthosts.cdb', c.cmd('RCPT TO:<x@more.example>'), 553)
    c.close()
    mkcdb('locals.cdb', 'cdblocal.example')
    c, _ = session()
    c.cmd('MAIL FROM:<a@remote.example>')
    expect('locals.cdb domain accepted', c.cmd('RCPT TO:<x@cdblocal.example>'), 250)
    expect('locals.cdb replaces locals', c.cmd('RCPT TO:<joe@localhost>'), 553)
    c.close()
    for f in ('morercpthosts.cdb', 'rcpthosts.cdb', 'locals.cdb'): ctl(f)

# ---------------------------------------------------------------- abuse controls
def t_mailchecks():
    ctl('badmailfrom', 'spammer@bad.example', '@evil.example', 'junk@')
    c, _ = session()
    expect('badmailfrom user@dom 553', c.cmd('MAIL FROM:<Spammer@BAD.example>'), 553,
           'sorry, your mail was administratively denied. (#5.7.1)')
    expect('badmailfrom @dom 553', c.cmd('MAIL FROM:<x@evil.example>'), 553)
    expect('badmailfrom user@ 553', c.cmd('MAIL FROM:<junk@anywhere.example>'), 553)
    expect('badmailfrom: other sender fine', c.cmd('MAIL FROM:<ok@bad.example>'), 250)
    c.close()
    ctl('badmailfrom')
    ctl('badmailfrom-unknown', '@noptr.example')
    c, _ = session()
    expect('badmailfrom-unknown without PTR 553', c.cmd('MAIL FROM:<x@noptr.example>'), 553,
           'sorry, your mail from a host [127.0.0.1] without valid reverse DNS was administratively denied (#5.7.1)')
    c.close()
    c, _ = session({'TCPREMOTEHOST': 'known.example', 'TCPREMOTEIP': '192.0.2.9'}, pipe=True)
    expect('badmailfrom-unknown ignored with PTR', c.cmd('MAIL FROM:<x@noptr.example>'), 250)
    c.close()
    ctl('badmailfrom-unknown')
    c, _ = session({'NOBOUNCE': '1'})
    expect('NOBOUNCE: <> 554', c.cmd('MAIL FROM:<>'), 554, 'RFC2821 bounces are administratively denied')
    expect('NOBOUNCE: #@[] 554', c.cmd('MAIL FROM:<#@[]>'), 554)
    c.close()
    c, _ = session({'SANITYCHECK': '1'})
    expect('SANITYCHECK no @ 554', c.cmd('MAIL FROM:<foo>'), 554, 'mailfrom without @ is administratively denied')
    expect('SANITYCHECK no domain 554', c.cmd('MAIL FROM:<a@>'), 554, 'without user or domain part')
    expect('SANITYCHECK no dot 554', c.cmd('MAIL FROM:<a@localhost>'), 554, 'without . in domain part')
    expect('SANITYCHECK good sender', c.cmd('MAIL FROM:<a@b.example>'), 250)
    expect('SANITYCHECK lets bounces pass', c.cmd('MAIL FROM:<>'), 250)
    c.close()
    ctl('databytes', '1000')
    c, _ = session()
    expect('SIZE over databytes 552', c.cmd('MAIL FROM:<a@b.example> SIZE=1001'), 552,
           'sorry, that message size exceeds my databytes limit (#5.3.4)')
    expect('SIZE at databytes', c.cmd('MAIL FROM:<a@b.example> SIZE=1000'), 250)
    c.close()
    c, _ = session({'DATABYTES': '2000'})
    expect('DATABYTES overrides databytes', c.cmd('MAIL FROM:<a@b.example> SIZE=1500'), 250)
    c.close()
    ctl('databytes')
    c, _ = session({'AUTHREQUIRED': '1'})
    expect('AUTHREQUIRED 530', c.cmd('MAIL FROM:<a@b.example>'), 530, 'authentication needed')
    c.close()
    c, _ = session({'SENDERCHECK': 'STRICT'})
    expect('SENDERCHECK=STRICT refuses outside senders 554', c.cmd('MAIL FROM:<a@remote.example>'), 554,
           'refused mailfrom because valid local sender address required')
    expect('SENDERCHECK=STRICT local sender (verify hook)', c.cmd('MAIL FROM:<joe@%s>' % D), 250)
    c.close()
    c, _ = session({'SENDERCHECK': 'LOOSE'})
    expect('SENDERCHECK=LOOSE rcpthosts sender', c.cmd('MAIL FROM:<a@relay.example>'), 250)
    expect('SENDERCHECK=LOOSE outside sender 554', c.cmd('MAIL FROM:<a@remote.example>'), 554)
    c.close()
    ctl('goodmailaddr', '@remote.example')
    c, _ = session({'SENDERCHECK': 'STRICT'})
    expect('goodmailaddr passes SENDERCHECK', c.cmd('MAIL FROM:<a@remote.example>'), 250)
    c.close()
    ctl('goodmailaddr')

def t_rcptchecks():
    ctl('badrcptto', 'nobody@%s' % D, '@localhost', 'root@')
    c, _ = session()
    c.cmd('MAIL FROM:<a@b.example>')
    expect('badrcptto user@dom 553', c.cmd('RCPT TO:<NOBODY@%s>' % D), 553,
           'sorry, mail to that recipient is not accepted (#5.7.1)')
    expect('badrcptto @dom 553', c.cmd('RCPT TO:<x@localhost>'), 553)
    expect('badrcptto user@ 553', c.cmd('RCPT TO:<root@%s>' % D), 553)
    expect('badrcptto: others fine', c.cmd('RCPT TO:<joe@%s>' % D), 250)
    c.close()
    ctl('badrcptto')
    c, _ = session({'BLOCKRELAYPROBE': '1'})
    c.cmd('MAIL FROM:<a@b.example>')
    expect('BLOCKRELAYPROBE % 553', c.cmd('RCPT TO:<x%%y@%s>' % D), 553, "sorry, we don't relay for [127.0.0.1] (#5.7.1)")
    expect('BLOCKRELAYPROBE ! 553', c.cmd('RCPT TO:<x!y@%s>' % D), 553)
    expect('BLOCKRELAYPROBE double @ 553', c.cmd('RCPT TO:<"x@y"@%s>' % D), 553)
    expect('BLOCKRELAYPROBE plain address fine', c.cmd('RCPT TO:<joe@%s>' % D), 250)
    c.close()
    c, _ = session({'MAXRCPTCOUNT': '2'})
    c.cmd('MAIL FROM:<a@b.example>')
    codes = [c.cmd('RCPT TO:<joe@%s>' % D)[0] for _ in range(2)]
    expect('MAXRCPTCOUNT 553 on the third', c.cmd('RCPT TO:<joe@%s>' % D), 553, 'sorry, too many recipients (#5.7.1)')
    check('MAXRCPTCOUNT allows two', codes == [250, 250], repr(codes))
    c.close()
    c, _ = session()
    c.cmd('MAIL FROM:<>')
    expect('bounce: first RCPT fine', c.cmd('RCPT TO:<joe@%s>' % D), 250)
    expect('bounce with two RCPTs 550', c.cmd('RCPT TO:<joe@%s>' % D), 550,
           "sorry, I don't accept bounce messages with more than one recipient. Go read RFC2821. (#5.7.1)")
    c.close()
    c, _ = session({'TARPITCOUNT': '2', 'TARPITDELAY': '1'})
    c.cmd('MAIL FROM:<a@b.example>')
    t0 = time.time(); c.cmd('RCPT TO:<joe@%s>' % D); t1 = time.time()
    r = c.cmd('RCPT TO:<joe@%s>' % D); t2 = time.time()
    check('TARPITCOUNT/TARPITDELAY delays from the 2nd RCPT', t1 - t0 < 0.9 and t2 - t1 >= 0.9 and r[0] == 250,
          '%.2f %.2f %r' % (t1 - t0, t2 - t1, r))
    c.close()
    c, _ = session({'RCPTCHECK': '1'})
    c.cmd('MAIL FROM:<a@b.example>')
    expect('RCPTCHECK plug point accepts local addresses', c.cmd('RCPT TO:<joe@%s>' % D), 250)
    c.close()

def t_greetings():
    c = Client({'550GREETING': ''}); g = c.reply()
    expect('550GREETING: 554 greeting', g, 554, '554 %s Sorry, your mail was administratively denied. (#5.7.1)' % D)
    expect('550GREETING: HELO 503', c.cmd('HELO x'), 503, 'bad sequence of commands (#5.5.1)')
    expect('550GREETING: MAIL 503', c.cmd('MAIL FROM:<a@b.example>'), 503)
    expect('550GREETING: QUIT 221', c.cmd('QUIT'), 221)
    c.close()
    c = Client({'550GREETING': 'go away'}); g = c.reply()
    expect('550GREETING with text', g, 554, '554 %s go away' % D)
    c.close()
    c = Client({'421GREETING': ''}); g = c.reply()
    expect('421GREETING: 421 greeting', g, 421, '421 %s Service temporarily not available (#4.3.2)' % D)
    expect('421GREETING: EHLO 421', c.cmd('EHLO x'), 421)
    c.close()
    c = Client({'550GREETING': '', 'SMTP550DISCONNECT': '1'}); g = c.reply()
    check('550GREETING + SMTP550DISCONNECT closes at once', g[0] == 554 and c.closed(), repr(g))
    c.close()
    c, _ = session({'SMTP550DISCONNECT': '1'})
    c.cmd('MAIL FROM:<a@b.example>')
    r = c.cmd('RCPT TO:<x@elsewhere.example>')
    check('SMTP550DISCONNECT closes after a refusal', r[0] == 553 and c.closed(), repr(r))
    c.close()

# ---------------------------------------------------------------- DATA
def data_session(body, env=None):
    qq_reset()
    c, _ = session(env)
    c.cmd('MAIL FROM:<a@b.example>'); c.cmd('RCPT TO:<joe@%s>' % D)
    r = c.cmd('DATA')
    if r[0] != 354: return c, r
    c.send(body)
    return c, c.reply()

def t_data():
    ctl('databytes', '100')
    hdr = 'Subject: x\r\n\r\n'   # 12 bytes as queued ("Subject: x\n\n")
    c, r = data_session(hdr + 'y' * 87 + '\r\n.\r\n')
    expect('message of exactly databytes accepted', r, 250)
    c.close()
    c, r = data_session(hdr + 'y' * 88 + '\r\n.\r\n')
    expect('one byte over databytes 552', r, 552, 'sorry, that message size exceeds my databytes limit (#5.3.4)')
    check('nothing queued when over databytes', not qq_msgs())
    expect('session continues after 552', c.cmd('NOOP'), 250)
    c.close()
    ctl('databytes')
    c, r = data_session('Subject: x\r\n\r\n' + 'z' * 10000 + '\r\n.\r\n')
    expect('10000-byte line accepted', r, 250)
    c.close()
    c, r = data_session('Subject: x\r\n\r\n' + 'z' * 10001 + '\r\n.\r\n')
    expect('line over 10000 bytes 500', r, 500, 'Text line too long.')
    check('nothing queued for a long line', not qq_msgs())
    c.close()
    c, r = data_session(''.join('Received: from hop%d\r\n' % i for i in range(99)) + '\r\nbody\r\n.\r\n')
    expect('99 Received lines accepted', r, 250)
    c.close()
    c, r = data_session(''.join('Received: from hop%d\r\n' % i for i in range(60)) +
                        ''.join('Delivered-To: x%d\r\n' % i for i in range(40)) + '\r\nbody\r\n.\r\n')
    expect('100 Received/Delivered-To lines 554', r, 554, 'too many hops, this message is looping (#5.4.6)')
    check('nothing queued for a loop', not qq_msgs())
    c.close()
    c, r = data_session('Subject: nul\r\n\r\na\0b\r\n.\r\n')
    m = qq_msgs()
    check('NUL bytes in data are kept', r[0] == 250 and m and m[0][0].endswith(b'a\0b\n'), repr(r))
    c.close()
    # a bare CR is refused like a bare LF (58-hardening.sh has the smuggling forms)
    c, r = data_session('Subject: cr\r\n\r\na\rb\r\n.\r\n')
    expect('bare CR: 451', r, 451, 'See http://pobox.com/~djb/docs/smtplf.html.')
    check('bare CR: connection closed, nothing queued', c.closed() and not qq_msgs(), repr(qq_msgs()))
    c.close()
    # bare LF: 451 and the connection ends; smuggled commands never run
    for name, body in (('bare LF line end', 'Subject: x\r\n\r\nline\nmore\r\n.\r\n'),
                       ('smuggling \\n.\\r\\n', 'Subject: x\r\n\r\nbody\n.\r\nMAIL FROM:<evil@x.example>\r\nRCPT TO:<joe@%s>\r\nDATA\r\nsmuggled\r\n.\r\n' % D),
                       ('smuggling \\r\\n.\\n', 'Subject: x\r\n\r\nbody\r\n.\nMAIL FROM:<evil@x.example>\r\nRCPT TO:<joe@%s>\r\nDATA\r\nsmuggled\r\n.\r\n' % D),
                       ('smuggling \\n.\\n', 'Subject: x\r\n\r\nbody\n.\nMAIL FROM:<evil@x.example>\r\n')):
        c, r = data_session(body)
        expect(name + ': 451', r, 451, 'See http://pobox.com/~djb/docs/smtplf.html.')
        check(name + ': connection closed, nothing queued', c.closed() and not qq_msgs(), repr(qq_msgs()))
        c.close()
    ctl('signatures', '# executables', 'TVqQAAMAA', 'UEsDBAoAAAAAA*****DKJx')
    exe = ('Subject: x\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="zz"\r\n\r\n--zz\r\n'
           'Content-Type: text/plain\r\n\r\nsee attachment\r\n--zz\r\nContent-Type: application/octet-stream\r\n'
           'Content-Transfer-Encoding: base64\r\n\r\nTVqQAAMAAAAEAAAA//8AALgAAAAAAAAAQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\r\n--zz--\r\n.\r\n')
    c, r = data_session(exe, {'REJECTEXEC': '1'})
    expect('REJECTEXEC: executable attachment 552', r, 552, "we don't accept email with this MIME content (#5.3.4)")
    check('nothing queued for an executable', not qq_msgs())
    c.close()
    c, r = data_session(exe.replace('TVqQ', 'SGVs'), {'REJECTEXEC': '1'})
    expect('REJECTEXEC: harmless attachment accepted', r, 250)
    c.close()
    c, r = data_session(exe)
    expect('without REJECTEXEC executables pass', r, 250)
    c.close()
    ctl('signatures')

# ---------------------------------------------------------------- bad input
def t_badinput():
    c, _ = session()
    expect('overlong command 500', c.cmd('NOOP ' + 'x' * 5000), 500)
    expect('session continues after an overlong command', c.cmd('NOOP'), 250)
    expect('NUL in a command', c.cmd('MAIL FROM:<a\0b@x.example>'), 555)
    expect('NUL in the verb', c.cmd('NO\0OP'), 502)
    c.send(bytes(range(1, 256)).replace(b'\n', b'') + b'\r\n')
    expect('garbage between commands 502', c.reply(), 502)
    c.send(b'\xff\xfe\x00\x01garbage\n')
    r1 = c.reply()
    expect('bare LF command line still works', c.cmd('NOOP'), 250)
    overlong_addr = 'MAIL FROM:<%s@x.example>' % ('a' * 950)
    expect('address over 900 bytes 555', c.cmd(overlong_addr), 555)
    c.close()
    # 10000 recipients, pipelined in one write
    qq_reset()
    c, _ = session()
    n = 10000
    c.send('MAIL FROM:<a@b.example>\r\n' + ''.join('RCPT TO:<r%d@%s>\r\n' % (i, D) for i in range(n)) + 'DATA\r\n')
    codes = [c.reply(30)[0] for _ in range(n + 2)]
    ok250 = codes[:-1].count(250)
    c.send('Subject: many\r\n\r\nhi\r\n.\r\n')
    r = c.reply(60)
    m = qq_msgs()
    check('10000 pipelined RCPTs accepted', ok250 == n + 1 and codes[-1] == 354, '%d ok, last %r' % (ok250, codes[-1]))
    check('message with 10000 recipients queued', r[0] == 250 and m and len(m[0][1]) == n + 1, repr(r))
    c.close()
    # disconnect in the middle of DATA: nothing queued
    qq_reset()
    c, _ = session()
    c.cmd('MAIL FROM:<a@b.example>'); c.cmd('RCPT TO:<joe@%s>' % D); c.cmd('DATA')
    c.send('Subject: cut\r\n\r\n' + ('x' * 70 + '\r\n') * 2000 + 'half a line')
    # qmail-queue has the first bytes: the cut really is in the middle
    check('disconnect mid-DATA: qmail-queue got the first part',
          wait_for(lambda: any(os.path.getsize(f) > 0 for f in glob.glob(QQDIR + '/*.msg.tmp'))))
    c.close()
    check('disconnect mid-DATA: qmail-smtpd exits', wait_for(lambda: not smtpd_pids()), repr(smtpd_pids()))
    check('disconnect mid-DATA: nothing queued', not qq_msgs() and not glob.glob(QQDIR + '/*.env'), repr(os.listdir(QQDIR)))
    # idle client: timeoutsmtpd
    ctl('timeoutsmtpd', '1')
    c, _ = session()
    t0 = time.time()
    r = c.reply(5)
    expect('timeoutsmtpd: 451 timeout', r, 451, 'timeout (#4.4.2)')
    check('timeout after about a second', time.time() - t0 < 4)
    c.close()
    ctl('timeoutsmtpd')

def t_ipv6():
    qq_reset()
    env = {'TCPREMOTEIP': '2001:db8::25', 'TCPLOCALIP': '::1'}
    c, g = session(env, pipe=True, helo='v6.example')
    c.cmd('MAIL FROM:<a@b.example>')
    expect('IPv6 client: relaying denied names the address', c.cmd('RCPT TO:<x@elsewhere.example>'), 553, '[2001:db8::25]')
    expect('IPv6 literal of this host is local', c.cmd('RCPT TO:<joe@[IPv6:::1]>'), 250)
    c.send('DATA\r\n'); c.reply()
    c.send('Subject: v6\r\n\r\nx\r\n.\r\n')
    r = c.reply()
    m = qq_msgs()
    check('IPv6 client in the Received line',
          r[0] == 250 and m and m[0][0].startswith(b'Received: from unknown (HELO v6.example) ([2001:db8::25])\n'), repr(m and m[0][0][:90]))
    check('[IPv6:::1] rewritten to localiphost', m and m[0][1][1] == 'Tjoe@' + D, repr(m and m[0][1]))
    c.close()

def t_received_env():
    """Received line: TCPREMOTEHOST and TCPREMOTEINFO; HELO shown only when it differs."""
    env = {'TCPREMOTEIP': '192.0.2.9', 'TCPREMOTEHOST': 'client.example', 'TCPREMOTEINFO': 'ident'}
    for helo, want in (('client.example', b'Received: from client.example (ident@[192.0.2.9])\n'),
                       ('other.example', b'Received: from client.example (HELO other.example) (ident@[192.0.2.9])\n')):
        qq_reset()
        c, _ = session(env, pipe=True, helo=helo)
        r = transaction(c)
        m = qq_msgs()
        check('Received: TCPREMOTEHOST and TCPREMOTEINFO, HELO %s' % helo,
              r[0] == 250 and m and m[0][0].startswith(want), repr(m and m[0][0][:100]))
        c.close()

def t_order():
    """facts 4.16: when several checks apply, the earlier one answers."""
    ctl('databytes', '1000')
    ctl('badmailfrom', 'both@bad.example', '@noptr')
    ctl('badmailfrom-unknown', '@noptr')
    c, _ = session({'AUTHREQUIRED': '1'})
    expect('order: AUTHREQUIRED before SIZE', c.cmd('MAIL FROM:<both@bad.example> SIZE=5000'), 530)
    c.close()
    c, _ = session({'SANITYCHECK': '1'})
    expect('order: SIZE before badmailfrom', c.cmd('MAIL FROM:<both@bad.example> SIZE=5000'), 552)
    expect('order: badmailfrom before badmailfrom-unknown', c.cmd('MAIL FROM:<x@noptr>'), 553,
           'sorry, your mail was administratively denied. (#5.7.1)')
    c.close()
    ctl('badmailfrom')
    c, _ = session({'SANITYCHECK': '1'})
    expect('order: badmailfrom-unknown before SANITYCHECK', c.cmd('MAIL FROM:<x@noptr>'), 553, 'without valid reverse DNS')
    c.close()
    c, _ = session({'SANITYCHECK': '1', 'SENDERCHECK': 'STRICT'})
    expect('order: SANITYCHECK before SENDERCHECK', c.cmd('MAIL FROM:<x@nodot>'), 554, 'without . in domain part')
    c.close()
    ctl('badmailfrom-unknown'); ctl('databytes')
    ctl('badrcptto', 'x%%y@%s' % D, '@elsewhere.example', 'many@')
    c, _ = session({'BLOCKRELAYPROBE': '1', 'MAXRCPTCOUNT': '1'})
    c.cmd('MAIL FROM:<a@b.example>')
    expect('order: BLOCKRELAYPROBE before badrcptto', c.cmd('RCPT TO:<x%%y@%s>' % D), 553, "we don't relay")
    expect('order: badrcptto before relay control', c.cmd('RCPT TO:<x@elsewhere.example>'), 553,
           'mail to that recipient is not accepted')
    expect('order: relay control before MAXRCPTCOUNT', c.cmd('RCPT TO:<x@other.example>'), 553, 'relaying denied')
    expect('order: refused recipients do not count (MAXRCPTCOUNT=1)', c.cmd('RCPT TO:<joe@%s>' % D), 250)
    expect('order: badrcptto before MAXRCPTCOUNT', c.cmd('RCPT TO:<many@%s>' % D), 553, 'not accepted')
    expect('MAXRCPTCOUNT=1: the second recipient', c.cmd('RCPT TO:<joe@%s>' % D), 553, 'too many recipients')
    c.cmd('MAIL FROM:<>')
    c.cmd('RCPT TO:<joe@%s>' % D)
    expect('order: MAXRCPTCOUNT before the bounce rule', c.cmd('RCPT TO:<joe@%s>' % D), 553, 'too many recipients')
    c.close()
    ctl('badrcptto')
    c, _ = session({'MAXRCPTCOUNT': '5'})
    c.cmd('MAIL FROM:<#@[]>')
    c.cmd('RCPT TO:<joe@%s>' % D)
    expect('double-bounce sender #@[] with two RCPTs 550', c.cmd('RCPT TO:<joe@%s>' % D), 550)
    c.close()

def t_loglevel():
    """LOGLEVEL: pid-prefixed lines on stderr, nothing at 0."""
    logf = T + '/smtpd-pipe.log'
    for level, want, unwanted in (('0', [], ['qmail-smtpd']),
                                  ('2', ['connection from 192.0.2.7', 'message queued: ', 'end of session: 1 messages'],
                                   ['mail from:', 'rcpt to:']),
                                  ('4', ['connection from 192.0.2.7', 'enabled options: ', 'remote helo: log.example',
                                         'mail from: a@remote.example', 'rcpt to: joe@' + D, 'no mail relay for rcpt to: x@elsewhere.example',
                                         'message queued: ', 'quit, closing connection'], [])):
        open(logf, 'w').close()
        qq_reset()
        c, _ = session({'LOGLEVEL': level, 'TCPREMOTEIP': '192.0.2.7'}, pipe=True, helo='log.example')
        c.cmd('MAIL FROM:<a@remote.example>'); c.cmd('RCPT TO:<x@elsewhere.example>')
        transaction(c)
        c.cmd('QUIT')
        c.close()
        text = open(logf).read()
        pid = c.proc.pid
        lines = text.splitlines()
        check('LOGLEVEL=%s: every line is "qmail-smtpd <pid>: "' % level,
              all(l.startswith('qmail-smtpd %d: ' % pid) for l in lines), repr(lines[:3]))
        miss = [w for w in want if w not in text] + [u for u in unwanted if u in text]
        check('LOGLEVEL=%s: the right lines' % level, not miss and (lines or not want), 'missing or unwanted %r in %r' % (miss, text[:400]))

def t_databytes_env():
    c, r = data_session('Subject: x\r\n\r\n' + 'y' * 60 + '\r\n.\r\n', {'DATABYTES': '50'})
    expect('DATABYTES limits the DATA itself: 552', r, 552, 'exceeds my databytes limit')
    check('DATABYTES: nothing queued', not qq_msgs())
    c.close()

def t_root():
    p = subprocess.run([SMTPD], input=b'QUIT\r\n', capture_output=True, env=BASEENV)
    check('refuses to run as root', p.returncode == 111 and b'root' in p.stderr and not p.stdout, repr(p))

# ---------------------------------------------------------------- DNS (fake server, private netns)
def dns_answer(q):
    """Fake zone: (rcode, [(type, rdata)])."""
    name, qtype = q
    A, MX, AAAA = 1, 15, 28
    def mx(pref, host):
        return struct.pack('>H', pref) + b''.join(bytes([len(p)]) + p.encode() for p in host.split('.') if p) + b'\0'
    zone = {
        ('1.0.0.127.bl.example', A): [(A, bytes([127, 0, 0, 2]))],
        ('1.0.0.127.tag.example', A): [(A, bytes([127, 0, 0, 4]))],
        ('1.0.0.127.tagged.example', A): [(A, bytes([127, 0, 0, 2]))],
        ('mx.example', MX): [(MX, mx(10, 'mail.mx.example'))],
        ('aonly.example', A): [(A, bytes([192, 0, 2, 1]))],
        ('nullmx.example', MX): [(MX, mx(0, ''))],
    }
    if name in ('1.0.0.127.soft.example', 'softmx.example'): return 2, []
    if (name, qtype) in zone: return 0, zone[(name, qtype)]
    if any(n == name for n, _ in zone): return 0, []
    return 3, []

def dns_server(sock):
    while True:
        try: data, addr = sock.recvfrom(4096)
        except OSError: return
        if len(data) < 12: continue
        qid, flags, qd = struct.unpack('>HHH', data[:6])
        i, labels = 12, []
        while i < len(data) and data[i]:
            labels.append(data[i + 1:i + 1 + data[i]].decode('latin-1')); i += data[i] + 1
        qtype = struct.unpack('>H', data[i + 1:i + 3])[0]
        question = data[12:i + 5]
        rcode, ans = dns_answer(('.'.join(labels).lower(), qtype))
        out = struct.pack('>HHHHHH', qid, 0x8180 | rcode, 1, len(ans), 0, 0) + question
        for t, rd in ans:
            out += struct.pack('>HHHIH', 0xc00c, t, 1, 60, len(rd)) + rd
        sock.sendto(out, addr)

def t_dns():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(('127.0.0.1', 53))
    threading.Thread(target=dns_server, args=(s,), daemon=True).start()
    ctl('rbllist', 'soft.example reject any soft list', 'tag.example addheader 127.0.0.4 tagged by tag',
        'bl.example reject any listed at bl.example')
    c, _ = session({'RBL': '1'})
    expect('RBL listed: 553', c.cmd('MAIL FROM:<a@b.example>'), 553,
           'sorry, your mailserver [127.0.0.1] is rejected by listed at bl.example')
    c.close()
    c, _ = session({'RBL': '1', 'RELAYCLIENT': ''})
    expect('RBL skipped for relay clients', c.cmd('MAIL FROM:<a@b.example>'), 250)
    c.close()
    ctl('relaymailfrom', 'trusted@b.example')
    c, _ = session({'RBL': '1'})
    expect('RBL skipped for relaymailfrom senders', c.cmd('MAIL FROM:<trusted@b.example>'), 250)
    c.close()
    ctl('relaymailfrom')
    c, _ = session({})
    expect('rbllist inactive without RBL', c.cmd('MAIL FROM:<a@b.example>'), 250)
    c.close()
    c, r = data_session('Subject: rbl\r\n\r\nx\r\n.\r\n', {'RBL': '1', 'RBLONLYHEADER': '1'})
    m = qq_msgs()
    check('RBLONLYHEADER: tagged, not refused', r[0] == 250 and m and
          b'X-RBL: (tag.example) matches with 127.0.0.4 and tells us tagged by tag\n' in m[0][0] and
          b'X-RBL: (bl.example) tells us listed at bl.example\n' in m[0][0], repr(m and m[0][0][:300]))
    c.close()
    ctl('rbllist', 'tag.example addheader any tagged by tag', 'soft.example reject any soft list')
    c, r = data_session('Subject: rbl\r\n\r\nx\r\n.\r\n', {'RBL': '1'})
    m = qq_msgs()
    check('RBL addheader list tags; DNS trouble ignored', r[0] == 250 and m and
          b'X-RBL: (tag.example) tells us tagged by tag\n' in m[0][0], repr(m and m[0][0][:300]))
    c.close()
    ctl('rbllist')
    ctl('rbltags', 'tagged.example', 'clean.example', 'bl.example')
    c, r = data_session('Subject: tags\r\n\r\nx\r\n.\r\n')
    m = qq_msgs()
    check('rbltags: X-RBL-Check per listing', r[0] == 250 and m and
          b'X-RBL-Check: tagged.example\nX-RBL-Check: bl.example\n' in m[0][0] and b'clean.example' not in m[0][0],
          repr(m and m[0][0][:300]))
    c.close()
    ctl('rbltags')
    c, _ = session({'RETURNMXCHECK': '1'})
    expect('RETURNMXCHECK: MX found', c.cmd('MAIL FROM:<a@mx.example>'), 250)
    expect('RETURNMXCHECK: A only', c.cmd('MAIL FROM:<a@aonly.example>'), 250)
    expect('RETURNMXCHECK: no such domain 554', c.cmd('MAIL FROM:<a@nxdomain.example>'), 554,
           'refused mailfrom because return MX does not exist')
    expect('RETURNMXCHECK: null MX 554', c.cmd('MAIL FROM:<a@nullmx.example>'), 554)
    expect('RETURNMXCHECK: DNS trouble 421', c.cmd('MAIL FROM:<a@softmx.example>'), 421,
           'DNS temporary failure at return MX check, try again later (#4.3.0)')
    expect('RETURNMXCHECK: bounces pass', c.cmd('MAIL FROM:<>'), 250)
    c.close()
    s.close()

# ---------------------------------------------------------------- real queue
def _exe(p):
    try: return os.readlink(p + '/exe')
    except OSError: return ''

def t_realqueue_cut():
    """Disconnect mid-DATA with the real qmail-queue: no message files."""
    c, _ = session({'QMAILQUEUE': ''})
    c.cmd('MAIL FROM:<a@b.example>'); c.cmd('RCPT TO:<joe@%s>' % D); c.cmd('DATA')
    c.send('Subject: cut\r\n\r\n' + ('x' * 70 + '\r\n') * 2000 + 'half a line')
    # the real qmail-queue has started writing the message
    check('real queue: qmail-queue got the first part',
          wait_for(lambda: any(os.path.getsize(f) > 0 for f in glob.glob(QH + '/queue/mess/*/*'))))
    c.close()
    check('real queue: qmail-smtpd exits after the cut', wait_for(lambda: not smtpd_pids()), repr(smtpd_pids()))
    check('real queue: qmail-queue exits after the cut',
          wait_for(lambda: not any(_exe(p) == QH + '/bin/qmail-queue' for p in glob.glob('/proc/[0-9]*'))), 'still running')
    files = [f for d in ('mess', 'intd', 'todo') for f in glob.glob(QH + '/queue/%s/*/*' % d)]
    check('real queue: disconnect mid-DATA leaves no message', not files, repr(files))

def t_smtplib():
    import smtplib
    s = smtplib.SMTP('127.0.0.1', server({'QMAILQUEUE': ''}).port, timeout=20)
    code, msg = s.ehlo('smtplib.example')
    check('smtplib: EHLO', code == 250 and s.has_extn('pipelining') and s.has_extn('8bitmime'), repr(msg))
    refused = s.sendmail('py@remote.example', ['joe@' + D], 'Subject: via smtplib\r\n\r\n.dot line\r\nbye\r\n')
    check('smtplib: sendmail accepted', refused == {}, repr(refused))
    try:
        s.sendmail('py@remote.example', ['x@elsewhere.example'], 'Subject: relay\r\n\r\nx\r\n')
        notok('smtplib: relaying refused', 'accepted')
    except smtplib.SMTPRecipientsRefused as e:
        check('smtplib: relaying refused', e.recipients['x@elsewhere.example'][0] == 553, repr(e.recipients))
    s.quit()

try:
    part = sys.argv[1]
    if part == 'main':
        for t in (t_basics, t_queueing, t_relay, t_mailchecks, t_rcptchecks, t_greetings, t_data,
                  t_badinput, t_ipv6, t_received_env, t_order, t_loglevel, t_databytes_env, t_root):
            try: t()
            except Exception as e: notok(t.__name__, 'exception %r' % e)
    elif part == 'dns': t_dns()
    elif part == 'cut': t_realqueue_cut()
    elif part == 'smtplib': t_smtplib()
except Exception as e:
    notok(part, 'exception %r' % e)
finally:
    for s in SERVERS.values(): s.stop()
    # every session must have ended by itself
    def running():
        out = []
        for p in glob.glob('/proc/[0-9]*'):
            try:
                if os.readlink(p + '/exe') == SMTPD: out.append(int(p[6:]))
            except OSError: pass
        return out
    end = time.time() + 15
    while running() and time.time() < end: time.sleep(0.1)
    left = running()
    if left:
        notok(part + ': every qmail-smtpd exits', 'still running: %r' % left)
        for pid in left:
            try: os.kill(pid, signal.SIGKILL)
            except OSError: pass
sys.exit(1 if FAILED else 0)
EOF

"$PY" "$T/smtpd_test.py" main || TESTS_FAILED=$((TESTS_FAILED + 1))

# RBL, rbltags and RETURNMXCHECK against a fake DNS server: only inside a
# private network and mount namespace, so the host's resolver is untouched.
echo "nameserver 127.0.0.1" > "$T/resolv.conf"
if unshare -mn true 2>/dev/null; then
  unshare -mn sh -c 'ip link set lo up && mount --bind "$1/resolv.conf" /etc/resolv.conf && exec "$2" "$1/smtpd_test.py" dns' \
    x "$T" "$PY" || TESTS_FAILED=$((TESTS_FAILED + 1))
else
  ok "DNS tests skipped: no network namespaces here"
fi

# The real queue: a client that disconnects mid-DATA leaves nothing, then
# swaks and smtplib deliver into a Maildir through qmail-send.
"$PY" "$T/smtpd_test.py" cut || TESTS_FAILED=$((TESTS_FAILED + 1))
check "qmail-start comes up" qstart
port=$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
tcpserver -R -H -l "$D" -u "$(id -u qmaild)" -g "$(id -g qmaild)" 127.0.0.1 "$port" "$QH/bin/qmail-smtpd" \
  > "$T/tcpserver-real.log" 2>&1 < /dev/null &
TCPS=$!
wait_until 10 "$PY" -c "import socket; socket.create_connection(('127.0.0.1', $port), 1)"
if swaks --server "127.0.0.1:$port" --from sw@remote.example --to "joe@$D" \
     --header 'Subject: via swaks' --body 'swaks body' > "$T/swaks.out" 2>&1; then
  ok "swaks: message accepted"
else
  notok "swaks: message accepted" "$(tail -n 3 "$T/swaks.out" | tr '\n' ' ')"
fi
check "swaks: final reply is 250 ok ... qp ... by $D" grep -q "<-  250 ok [0-9]* qp [0-9]* by $D" "$T/swaks.out"
check "swaks message delivered" wait_for_mail "$(home_of joe)/Maildir" '^Subject: via swaks'
check "delivered message carries our Received line" \
  test "$(maildir_grep "$(home_of joe)/Maildir" '^Received: from unknown \(HELO ')" -ge 1
swaks --server "127.0.0.1:$port" --from sw@remote.example --to x@elsewhere.example --quit-after RCPT \
  > "$T/swaks2.out" 2>&1
check "swaks: relaying refused with 553" grep -q '<\*\* 553 sorry, relaying denied' "$T/swaks2.out"
kill "$TCPS"; wait "$TCPS" 2>/dev/null
"$PY" "$T/smtpd_test.py" smtplib || TESTS_FAILED=$((TESTS_FAILED + 1))
check "smtplib message delivered" wait_for_mail "$(home_of joe)/Maildir" '^Subject: via smtplib'
check "queue empty afterwards" wait_queue_empty 30
check "SIGTERM: every process exits" qstop
done_testing
