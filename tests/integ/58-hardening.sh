#!/bin/sh
# Hardening: bare CR in the message refused by qmail-smtpd (451, the
# smuggling forms \r.\r, \r\n.\r, \r.\r\n), qmail-qmqpd and qmail-qmtpd
# (D), normalised by qmail-remote (no CR on the wire but in CRLF); the
# SMTP session and command deadlines against slow-drip clients, the QMTP
# session deadline; QMQP: databytes, a zip bomb, CR/LF in an address,
# no recipients; non-canonical base64 in SMTP AUTH (501).
. "$(dirname "$0")/../lib.sh"
D=testhost.example
command -v python3 >/dev/null || { notok "python3 available"; exit 1; }

# A recording qmail-queue: message bytes counted (and kept when small),
# envelope kept; a run that got no envelope leaves only its .bytes file.
mkdir -p "$T/qq" && chmod 777 "$T/qq"
cat > "$T/fakeqq" <<'EOF'
#!/bin/sh
d=$FAKEQQ_DIR n=$$
tee "$d/$n.msg.tmp" | wc -c > "$d/$n.bytes"
cat <&1 > "$d/$n.env.tmp"
[ -s "$d/$n.env.tmp" ] || { rm -f "$d/$n.msg.tmp" "$d/$n.env.tmp"; exit 54; }
mv "$d/$n.msg.tmp" "$d/$n.msg" && mv "$d/$n.env.tmp" "$d/$n.env"
exit 0
EOF
chmod 755 "$T/fakeqq"
ctl locals "$D"
ctl rcpthosts "$D"

cat > "$T/harden.py" <<'EOF'
import os, sys, glob, pwd, select, socket, subprocess, threading, time, zlib

QH = os.environ['QH']; T = os.environ['T']
QQDIR = T + '/qq'
D = 'testhost.example'
PW = pwd.getpwnam('qmaild')
FAILED = 0

def ok(name): print('ok - ' + name, flush=True)
def notok(name, why):
    global FAILED
    FAILED += 1
    print('not ok - %s # %s' % (name, str(why).replace('\n', ' ')[:300]), flush=True)
def check(name, cond, why=''):
    ok(name) if cond else notok(name, why or 'failed')

def ctl(name, *lines):
    p = QH + '/control/' + name
    if not lines:
        if os.path.exists(p): os.unlink(p)
        return
    with open(p, 'w') as f: f.write(''.join(l + '\n' for l in lines))
    os.chmod(p, 0o644)

BASEENV = {'PATH': '/usr/bin:/bin', 'QMAILQUEUE': T + '/fakeqq', 'FAKEQQ_DIR': QQDIR}
for k in ('ASAN_OPTIONS', 'UBSAN_OPTIONS'):
    if k in os.environ: BASEENV[k] = os.environ[k]

def qq_reset():
    for f in glob.glob(QQDIR + '/*'): os.unlink(f)
def qq_queued(): return sorted(glob.glob(QQDIR + '/*.env'))
def qq_maxbytes():
    """largest message any qmail-queue run was fed (-1: none ran)"""
    m = -1
    for f in glob.glob(QQDIR + '/*.bytes'):
        try: m = max(m, int(open(f).read().strip() or 0))
        except ValueError: pass
    return m

def drop():
    os.setgroups([]); os.setgid(PW.pw_gid); os.setuid(PW.pw_uid)

class Proc:
    """A server on pipes: qmail-smtpd as qmaild, qmail-qmqpd/qmtpd as root."""
    def __init__(self, prog, env=None, asqmaild=False):
        e = dict(BASEENV); e.update(env or {})
        self.p = subprocess.Popen([QH + '/bin/' + prog], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=open(T + '/' + prog + '.err', 'ab'), env=e,
                                  preexec_fn=drop if asqmaild else None)
        self.buf = b''
        self.t0 = time.time()
    def send(self, data):
        if isinstance(data, str): data = data.encode('latin-1')
        try:
            self.p.stdin.write(data); self.p.stdin.flush(); return True
        except (BrokenPipeError, OSError, ValueError): return False
    def _fill(self, timeout):
        r, _, _ = select.select([self.p.stdout], [], [], timeout)
        if not r: raise TimeoutError('no answer')
        d = os.read(self.p.stdout.fileno(), 65536)
        if not d: raise EOFError('closed')
        self.buf += d
    def reply(self, timeout=15):
        lines = []
        try:
            while True:
                while b'\n' not in self.buf: self._fill(timeout)
                l, self.buf = self.buf.split(b'\n', 1)
                l = l.decode('latin-1').rstrip('\r'); lines.append(l)
                if len(l) < 4 or l[3] != '-': break
        except (EOFError, TimeoutError) as e:
            return None, '%s after %r' % (e, lines)
        try: return int(lines[-1][:3]), '\n'.join(lines)
        except ValueError: return -1, '\n'.join(lines)
    def cmd(self, c):
        self.send(c + '\r\n'); return self.reply()
    def rest(self, timeout=15):
        """everything until EOF"""
        end = time.time() + timeout
        try:
            while time.time() < end: self._fill(end - time.time())
        except EOFError: pass
        except TimeoutError: return None
        out, self.buf = self.buf, b''
        return out
    def closed(self, timeout=10):
        return self.rest(timeout) is not None
    def wait(self, timeout=15):
        try: return self.p.wait(timeout)
        except subprocess.TimeoutExpired:
            self.p.kill(); self.p.wait(); return None
    def close(self):
        try: self.p.stdin.close()
        except OSError: pass
        self.wait()

def expect(name, got, code, contains=None):
    c, text = got
    if c == code and (contains is None or contains in text): ok(name)
    else: notok(name, 'got %r, want %d%s' % (text, code, ' with %r' % contains if contains else ''))

# ------------------------------------------------------------ SMTP bare CR
SMTPENV = {'TCPREMOTEIP': '192.0.2.9', 'TCPLOCALIP': '127.0.0.1', 'LOGLEVEL': '1'}
def smtp(env=None):
    e = dict(SMTPENV); e.update(env or {})
    c = Proc('qmail-smtpd', e, asqmaild=True)
    g = c.reply()
    return c, g

def data_session(body):
    qq_reset()
    c, g = smtp()
    c.cmd('HELO client.example')
    c.cmd('MAIL FROM:<a@b.example>'); c.cmd('RCPT TO:<joe@%s>' % D)
    r = c.cmd('DATA')
    if r[0] != 354: return c, r
    c.send(body)
    return c, c.reply()

def t_smtp_barecr():
    smuggle = 'MAIL FROM:<evil@x.example>\r\nRCPT TO:<joe@%s>\r\nDATA\r\nsmuggled\r\n.\r\n' % D
    for name, body in (('bare CR in a line', 'Subject: x\r\n\r\na\rb\r\n.\r\n'),
                       ('smuggling \\r.\\r', 'Subject: x\r\n\r\nbody\r.\r' + smuggle),
                       ('smuggling \\r\\n.\\r', 'Subject: x\r\n\r\nbody\r\n.\r' + smuggle),
                       ('smuggling \\r.\\r\\n', 'Subject: x\r\n\r\nbody\r.\r\n' + smuggle),
                       ('CR CR LF', 'Subject: x\r\n\r\nbody\r\r\n.\r\n'),
                       ('bare CR in the header', 'Subject: x\ry\r\n\r\nbody\r\n.\r\n')):
        c, r = data_session(body)
        expect('SMTP %s: 451 like a bare LF' % name, r, 451, 'See http://pobox.com/~djb/docs/smtplf.html.')
        check('SMTP %s: connection closed, nothing queued' % name, c.closed() and not qq_queued(), repr(qq_queued()))
        c.close()
    c, r = data_session('Subject: x\r\n\r\nplain CRLF\r\n.\r\n')
    expect('SMTP: a message with CRLF only is queued', r, 250)
    q = qq_queued()
    check('SMTP: the queued message has no CR', q and b'\r' not in open(q[0][:-4] + '.msg', 'rb').read())
    c.close()

# -------------------------------------------------------- SMTP deadlines
def drip(c, data, every):
    """send data one byte per `every` s in a thread (stops at EOF)"""
    def run():
        for i in range(len(data)):
            if not c.send(data[i:i + 1]): return
            time.sleep(every)
    t = threading.Thread(target=run, daemon=True); t.start(); return t

def t_smtp_deadlines():
    # session deadline: complete commands every 0.4 s never hit a timeout,
    # yet the session ends 3 s after it began
    ctl('timeoutsmtpd', '2'); ctl('timeoutsmtpsession', '3'); ctl('timeoutsmtpcommand')
    c, g = smtp()
    expect('deadlines: greeting', g, 220)
    t0 = time.time(); r = (250, ''); n = 0
    while r[0] == 250 and time.time() - t0 < 10:
        r = c.cmd('NOOP'); n += 1; time.sleep(0.4)
    took = time.time() - t0
    expect('session deadline: 451 timeout', r, 451, 'timeout (#4.4.2)')
    check('session deadline: after about 3 s (%.1f s, %d NOOPs)' % (took, n), 2.5 <= took <= 5.5 and n >= 5)
    check('session deadline: connection closed', c.closed())
    c.close()
    # a client dripping a command one byte per 0.5 s (timeoutsmtpd 2 never
    # fires) is cut off 2 s after the first byte by timeoutsmtpcommand
    ctl('timeoutsmtpsession', '0'); ctl('timeoutsmtpcommand', '2')
    c, g = smtp()
    t0 = time.time()
    drip(c, b'NOOP' + b' ' * 40 + b'\r\n', 0.5)
    r = c.reply(10); took = time.time() - t0
    expect('command deadline: 451 timeout for a dripped command', r, 451, 'timeout (#4.4.2)')
    check('command deadline: after about 2 s (%.1f s)' % took, 1.5 <= took <= 4.5)
    check('command deadline: connection closed', c.closed())
    c.close()
    check('command deadline: logged as such',
          'timeoutsmtpcommand' in open(T + '/qmail-smtpd.err', errors='replace').read())
    # the command clock starts at the first byte: silence shorter than
    # timeoutsmtpd (but longer than timeoutsmtpcommand) is fine
    ctl('timeoutsmtpd', '5')
    c, g = smtp()
    time.sleep(2.5)
    expect('command deadline: not counted while the client is silent', c.cmd('NOOP'), 250)
    expect('command deadline: AUTH-free session goes on', c.cmd('HELO client.example'), 250)
    c.close()
    # the message after DATA has the session deadline only
    ctl('timeoutsmtpd', '2'); ctl('timeoutsmtpsession', '4'); ctl('timeoutsmtpcommand', '1')
    qq_reset()
    c, g = smtp()
    c.cmd('HELO client.example'); c.cmd('MAIL FROM:<a@b.example>'); c.cmd('RCPT TO:<joe@%s>' % D)
    expect('DATA drip: 354', c.cmd('DATA'), 354)
    t0 = time.time()
    drip(c, b'Subject: slow\r\n\r\n' + b'x' * 100 + b'\r\n.\r\n', 0.3)
    r = c.reply(15); took = time.time() - t0
    expect('DATA drip: 451 timeout at the session deadline', r, 451, 'timeout (#4.4.2)')
    check('DATA drip: not cut by the 1 s command deadline (%.1f s)' % took, took >= 2)
    check('DATA drip: nothing queued', c.closed() and not qq_queued())
    c.close()
    check('session deadline: logged as such',
          'timeoutsmtpsession' in open(T + '/qmail-smtpd.err', errors='replace').read())
    # a quick session is not disturbed by the deadlines
    ctl('timeoutsmtpd', '5'); ctl('timeoutsmtpsession', '5'); ctl('timeoutsmtpcommand', '5')
    c, r = data_session('Subject: x\r\n\r\nfast\r\n.\r\n')
    expect('deadlines: a quick session still queues', r, 250)
    c.close()
    for f in ('timeoutsmtpd', 'timeoutsmtpsession', 'timeoutsmtpcommand'): ctl(f)

# ---------------------------------------------------- AUTH base64 strictness
def t_auth_base64():
    env = {'SMTPAUTH': '1', 'AUTHCLEARTEXT': '1'}
    for name, lines in (('PLAIN QR== (QQ== with unused bits set)', ['AUTH PLAIN QR==']),
                        ('PLAIN with a non-canonical tail', ['AUTH PLAIN AGpvZQBzZWNyZXR=']),
                        ('PLAIN challenge answered QUJ=', ['AUTH PLAIN', 'QUJ=']),
                        ('LOGIN user QUJ=', ['AUTH LOGIN', 'QUJ=', 'am9l']),
                        ('LOGIN password QR==', ['AUTH LOGIN', 'am9l', 'QR=='])):
        c, g = smtp(env)
        c.cmd('EHLO client.example')
        for l in lines: r = c.cmd(l)
        expect('AUTH %s: 501' % name, r, 501, 'malformed auth input (#5.5.4)')
        c.close()
    # the canonical forms get past the syntax check (to the checker, which
    # has no directory here: anything but 501 malformed)
    for name, lines in (('PLAIN AGpvZQBzZWNyZXQ=', ['AUTH PLAIN AGpvZQBzZWNyZXQ=']), ('LOGIN QUI=', ['AUTH LOGIN', 'QUI=', 'QUI='])):
        c, g = smtp(env)
        c.cmd('EHLO client.example')
        for l in lines: r = c.cmd(l)
        check('AUTH %s: canonical, not refused as malformed (%s)' % (name, r[1][:40]), r[0] not in (None, 501))
        c.close()

# ------------------------------------------------------------------- QMQP
def ns(b): return str(len(b)).encode() + b':' + b + b','
def qmqp_req(msg, sender=b's@x.example', rcpts=(b'a@b.example',)):
    return ns(ns(msg) + ns(sender) + b''.join(ns(r) for r in rcpts))

def qmqp(req, env=None, compress=False):
    qq_reset()
    p = Proc('qmail-qmqpd', env)
    if compress: req = zlib.compress(req, 9)
    p.send(req)
    try: p.p.stdin.close()
    except OSError: pass
    out = p.rest(30)
    rc = p.wait()
    return (out or b'').decode('latin-1'), rc

def answer(out):
    """the text of a netstring reply"""
    i = out.find(':')
    return out[i + 1:-1] if i > 0 and out.endswith(',') else out

def t_qmqp():
    out, rc = qmqp(qmqp_req(b'Subject: x\n\nhello\n'))
    check('QMQP: a plain request is accepted (K)', answer(out).startswith('Kok') and len(qq_queued()) == 1, out)
    out, rc = qmqp(qmqp_req(b'Subject: x\n\nhello\r\n'))
    check('QMQP: CR LF (a CRLF line end) is accepted', answer(out).startswith('Kok'), out)
    for name, msg in (('a\\rb', b'Subject: x\n\na\rb\n'), ('smuggling \\r.\\r', b'Subject: x\n\nbody\r.\rMAIL FROM:<e@x>\n'),
                      ('a final CR', b'Subject: x\n\nbody\n\r')):
        out, rc = qmqp(qmqp_req(msg))
        check('QMQP: bare CR (%s) refused with D' % name,
              answer(out) == "Dsorry, I can't accept a bare CR in a message (#5.6.0)" and not qq_queued(), out)
    for name, r in (('CR LF inside', b'a@b.example\r\nRCPT TO:<x@y>'), ('LF inside', b'a@b\n.example'),
                    ('CR inside', b'a\r@b.example')):
        out, rc = qmqp(qmqp_req(b'Subject: x\n\nhi\n', rcpts=(b'ok@b.example', r)))
        check('QMQP: recipient with %s refused' % name,
              answer(out) == "Dsorry, I can't accept addresses like that (#5.1.3)" and not qq_queued(), out)
    out, rc = qmqp(qmqp_req(b'Subject: x\n\nhi\n', sender=b's@x\r\n.example'))
    check('QMQP: sender with CR LF refused', answer(out) == "Dsorry, I can't accept addresses like that (#5.1.3)", out)
    out, rc = qmqp(qmqp_req(b'Subject: x\n\nhi\n', rcpts=()))
    check('QMQP: no recipients refused with D (not K)',
          answer(out) == 'Dsorry, that request has no recipients (#5.1.3)' and not qq_queued(), out)
    # databytes: judged by the declared length, so qmail-queue never runs
    ctl('databytes', '100000')
    out, rc = qmqp(qmqp_req(b'Subject: big\n\n' + b'x' * 200000 + b'\n'))
    check('QMQP: over databytes refused with D',
          answer(out) == 'Dsorry, that message size exceeds my databytes limit (#5.3.4)', out)
    check('QMQP: over databytes: qmail-queue never started', qq_maxbytes() == -1, qq_maxbytes())
    out, rc = qmqp(qmqp_req(b'Subject: small\n\n' + b'x' * 1000 + b'\n'))
    check('QMQP: under databytes accepted', answer(out).startswith('Kok'), out)
    out, rc = qmqp(qmqp_req(b'Subject: big\n\n' + b'x' * 200000 + b'\n'), {'DATABYTES': '0'})
    check('QMQP: DATABYTES=0 overrides databytes', answer(out).startswith('Kok'), out)
    ctl('databytes')
    # a zip bomb: 52 MB in about 100 KB of zlib
    bomb = qmqp_req(b'Subject: bomb\n\n' + (b'a' * 999 + b'\n') * 52000)
    z = zlib.compress(bomb, 9)
    t0 = time.time()
    out, rc = qmqp(bomb, compress=True)
    check('QMQP zip bomb (%d -> %d bytes): refused with D' % (len(z), len(bomb)),
          answer(out) == 'Dsorry, that compressed request inflates too much (#5.3.4)' and not qq_queued(), out)
    check('QMQP zip bomb: at most a few MB reached qmail-queue (%d bytes)' % qq_maxbytes(), 0 <= qq_maxbytes() < 8 << 20)
    ctl('qmqpratio', '0')
    out, rc = qmqp(bomb, compress=True)
    check('qmqpratio 0: no limit, the same request is queued (%d bytes)' % qq_maxbytes(),
          answer(out).startswith('Kok') and qq_maxbytes() > len(bomb))
    ctl('qmqpratio')
    ctl('databytes', '1000000')
    out, rc = qmqp(bomb, compress=True)
    check('QMQP zip bomb over databytes: D before anything is queued',
          answer(out) == 'Dsorry, that message size exceeds my databytes limit (#5.3.4)' and qq_maxbytes() == -1, out)
    ctl('databytes')
    # an ordinary compressed message (3 MB of varied text) still goes through
    import random
    random.seed(1)
    words = [bytes(random.choice(b'abcdefghijklmnopqrstuvwxyz') for _ in range(random.randint(2, 9))) for _ in range(5000)]
    text = b'\n'.join(b' '.join(random.choice(words) for _ in range(12)) for _ in range(40000)) + b'\n'
    out, rc = qmqp(qmqp_req(b'Subject: text\n\n' + text), compress=True)
    check('compressed QMQP: a 3 MB text message is accepted', answer(out).startswith('Kok') and qq_queued(), out)

# ------------------------------------------------------------------- QMTP
def qmtp_msg(body, sender=b's@x.example', rcpts=(b'joe@' + D.encode(),)):
    return ns(body) + ns(sender) + ns(b''.join(ns(r) for r in rcpts))

def qmtp(data, env=None, nreplies=1):
    qq_reset()
    p = Proc('qmail-qmtpd', env)
    p.send(data)
    try: p.p.stdin.close()
    except OSError: pass
    out = (p.rest(20) or b'').decode('latin-1')
    p.wait()
    return out

def t_qmtp():
    out = qmtp(qmtp_msg(b'\nSubject: x\n\nhello\n'))
    check('QMTP: LF message accepted', answer(out).startswith('Kok') and len(qq_queued()) == 1, out)
    out = qmtp(qmtp_msg(b'\rSubject: x\r\n\r\nhello\r\n'))
    check('QMTP: CRLF message accepted', answer(out).startswith('Kok') and len(qq_queued()) == 1, out)
    for name, body in (('LF mode a\\rb', b'\nSubject: x\n\na\rb\n'), ('LF mode \\r.\\r', b'\nSubject: x\n\nbody\r.\rMAIL\n'),
                       ('CRLF mode a\\rb', b'\rSubject: x\r\n\r\na\rb\r\n'),
                       ('CRLF mode \\r\\n.\\r', b'\rSubject: x\r\n\r\nbody\r\n.\rMAIL FROM:<e@x>\r\n'),
                       ('CRLF mode final CR', b'\rSubject: x\r\n\r\nbody\r\n\r')):
        out = qmtp(qmtp_msg(body))
        check('QMTP: bare CR (%s) refused with D' % name,
              answer(out) == "Dsorry, I can't accept a bare CR in a message (#5.6.0)" and not qq_queued(), out)
    out = qmtp(qmtp_msg(b'\nSubject: x\n\nhi\n', rcpts=(b'joe@' + D.encode() + b'\r\nRCPT', )))
    check('QMTP: recipient with CR LF refused', answer(out) == "Dsorry, I can't handle that recipient (#5.1.3)", out)
    # session deadline: a client dripping a message one byte per 0.3 s
    ctl('timeoutqmtpsession', '2')
    p = Proc('qmail-qmtpd')
    t0 = time.time()
    drip(p, qmtp_msg(b'\nSubject: slow\n\n' + b'x' * 200 + b'\n'), 0.3)
    rc = p.wait(15); took = time.time() - t0
    check('QMTP session deadline: cut off after about 2 s (%.1f s, exit %s)' % (took, rc), rc == 111 and 1.5 <= took <= 4.5)
    ctl('timeoutqmtpsession')

# ------------------------------------------------------------ qmail-remote
def t_remote():
    l = socket.socket(); l.bind(('127.0.0.1', 0)); l.listen(1)
    port = l.getsockname()[1]
    got = {}
    def serve():
        c, _ = l.accept()
        f = c.makefile('rb')
        c.sendall(b'220 fake ESMTP\r\n')
        while True:
            line = f.readline()
            if not line: break
            cmd = line[:4].upper()
            if cmd == b'EHLO': c.sendall(b'250-fake\r\n250 8BITMIME\r\n')
            elif cmd == b'DATA':
                c.sendall(b'354 go\r\n')
                raw = b''
                while not raw.endswith(b'\r\n.\r\n'):
                    d = f.readline()
                    if not d: break
                    raw += d
                got['data'] = raw
                c.sendall(b'250 ok\r\n')
            elif cmd == b'QUIT': c.sendall(b'221 bye\r\n'); break
            else: c.sendall(b'250 ok\r\n')
        c.close()
    th = threading.Thread(target=serve, daemon=True); th.start()
    ctl('smtproutes', 'fake.example:127.0.0.1:%d' % port)
    msg = b'Subject: cr\r\n\nline one\r\nbody\r.\rMAIL FROM:<evil@x.example>\r\nend\r\r\n'
    with open(T + '/remote.msg', 'wb') as f: f.write(msg)      # qmail-remote seeks its input
    r = subprocess.run([QH + '/bin/qmail-remote', 'fake.example', 's@' + D, 'r@fake.example'],
                       stdin=open(T + '/remote.msg', 'rb'), stdout=subprocess.PIPE, env=BASEENV, timeout=30)
    th.join(10)
    ctl('smtproutes')
    rep = r.stdout.replace(b'\0', b'#').decode('latin-1')
    check('qmail-remote: a message with bare CRs is delivered (normalised)', rep.startswith('K#K127.0.0.1 accepted'), rep)
    w = got.get('data', b'')
    bare = [i for i in range(len(w)) if w[i:i + 1] == b'\r' and w[i + 1:i + 2] != b'\n']
    check('qmail-remote: no bare CR on the wire', w and not bare, repr(w[:200]))
    check('qmail-remote: no bare LF on the wire', w and all(w[i - 1:i] == b'\r' for i in range(len(w)) if w[i:i + 1] == b'\n'))
    want = b'Subject: cr\r\n\r\nline one\r\nbody\r\n..\r\nMAIL FROM:<evil@x.example>\r\nend\r\n.\r\n'
    check('qmail-remote: CR before LF is the line end, a bare CR a line of its own (dot-stuffed)', w == want, repr(w))

for t in (t_smtp_barecr, t_smtp_deadlines, t_auth_base64, t_qmqp, t_qmtp, t_remote):
    try: t()
    except Exception as e:
        import traceback; traceback.print_exc()
        notok(t.__name__ + ' ran to the end', repr(e))
sys.exit(1 if FAILED else 0)
EOF
python3 "$T/harden.py"
rc=$?
[ $rc = 0 ] || TESTS_FAILED=$((TESTS_FAILED + 1))
done_testing
