# The harness of 57-imap.sh (run by it with "stub" or "real"; prints ok /
# not ok lines). Environment from the shell script: QH T PKI D (and for
# "real" LPORT H RPASS) and the sanitizer options. Every server is
# tcpserver on 127.0.0.1 running, as root, as boot/qmail-imapd/run does,
#   qmail-imaplogin MODULE doveconf -c control/dovecot-imap.conf -e /usr/lib/dovecot/imap ./Maildir/
# with MODULE the stub (57-imap.sh) or bin/auth_imap; its stderr goes to
# a log file per server.
import base64, glob, imaplib, os, pwd, re, socket, ssl, subprocess, sys, threading, time

PART = sys.argv[1]
QH = os.environ['QH']; T = os.environ['T']; PKI = os.environ['PKI']; D = os.environ['D']
LOGIN = QH + '/bin/qmail-imaplogin'
CONF = QH + '/control/dovecot-imap.conf'
ENGINE = ['doveconf', '-c', CONF, '-e', '/usr/lib/dovecot/imap', './Maildir/']
STUB = T + '/stub'
STUBLOG = T + '/stub.log'
PASS = 'secret'
FAILED = 0
LOCK = threading.Lock()
QMAILD = pwd.getpwnam('qmaild').pw_uid
GREETCAPS = 'IMAP4rev1 SASL-IR ID STARTTLS AUTH=PLAIN'

def ok(name):
    with LOCK: print('ok - ' + name, flush=True)
def notok(name, why):
    global FAILED
    with LOCK:
        FAILED += 1
        print('not ok - %s # %s' % (name, str(why).replace('\n', ' ')[:600]), flush=True)
def check(name, cond, why=''):
    if cond: ok(name)
    else: notok(name, why or 'failed')

BASEENV = {'PATH': '/usr/bin:/bin:/usr/sbin:/sbin', 'STUBLOG': STUBLOG, 'STUBHOMES': T + '/home', 'STUBPASS': PASS}
for k in ('ASAN_OPTIONS', 'UBSAN_OPTIONS'):
    if k in os.environ: BASEENV[k] = os.environ[k]

def freeport():
    s = socket.socket(); s.bind(('127.0.0.1', 0)); p = s.getsockname()[1]; s.close(); return p

class Server:
    n = 0
    def __init__(self, env, module=STUB):
        Server.n += 1
        self.port = freeport()
        e = dict(BASEENV); e.update(env)
        self.logname = '%s/imap-%s-%d.log' % (T, PART, Server.n)
        self.log = open(self.logname, 'a')
        self.p = subprocess.Popen(['tcpserver', '-v', '-R', '-H', '-l', D, '127.0.0.1', str(self.port),
                                   LOGIN, module] + ENGINE, env=e, cwd='/',
                                  stdout=self.log, stderr=self.log, stdin=subprocess.DEVNULL)
        end = time.time() + 10
        while time.time() < end:
            try:
                socket.create_connection(('127.0.0.1', self.port), 1).close(); return
            except OSError: time.sleep(0.05)
        raise RuntimeError('tcpserver did not start')
    def logtext(self):
        return open(self.logname, errors='replace').read()
    def stop(self):
        self.p.terminate(); self.p.wait()

def client_ctx():
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(PKI + '/srv.crt')
    ctx.check_hostname = True
    return ctx

class Raw:
    """a byte-level IMAP session"""
    def __init__(self, port, tls=False):
        self.sock = socket.create_connection(('127.0.0.1', port), 10)
        if tls: self.sock = client_ctx().wrap_socket(self.sock, server_hostname=D)
        self.buf = b''
    def send(self, data):
        if isinstance(data, str): data = data.encode('latin-1')
        try: self.sock.sendall(data); return True
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError, OSError): return False
    def _fill(self, timeout):
        self.sock.settimeout(timeout)
        try: d = self.sock.recv(65536)
        except socket.timeout: raise TimeoutError('no reply after %r' % self.buf[-200:])
        except (ConnectionResetError, ssl.SSLError, OSError): d = b''
        if not d: raise EOFError('closed')
        self.buf += d
    def line(self, timeout=10):
        try:
            while b'\r\n' not in self.buf: self._fill(timeout)
        except (EOFError, TimeoutError) as e:
            return '<%s>' % e
        l, self.buf = self.buf.split(b'\r\n', 1)
        return l.decode('latin-1')
    def upto(self, tag, timeout=10):
        """lines up to and including the one tagged tag (or an error marker)"""
        out = []
        while True:
            l = self.line(timeout)
            out.append(l)
            if l.startswith(tag + ' ') or l.startswith('<'): return out
    def cmd(self, tag, text, timeout=10):
        self.send('%s %s\r\n' % (tag, text)); return self.upto(tag, timeout)
    def starttls(self):
        self.sock = client_ctx().wrap_socket(self.sock, server_hostname=D)
    def closed(self, timeout=5):
        end = time.time() + timeout
        try:
            while time.time() < end:
                self._fill(max(0.01, end - time.time())); self.buf = b''
        except EOFError: return True
        except TimeoutError: return False
        return False
    def close(self):
        try: self.sock.close()
        except OSError: pass

def parallel(*fns):
    th = [threading.Thread(target=guarded, args=(f,)) for f in fns]
    for t in th: t.start()
    for t in th: t.join()

def guarded(f, *a):
    try: f(*a)
    except Exception as e:
        import traceback
        notok(getattr(f, '__name__', 'test'), 'exception %r at %s' % (e, traceback.format_exc().strip().splitlines()[-3:]))

def run(argv, inp=b'', timeout=30):
    try:
        p = subprocess.run(argv, input=inp, capture_output=True, timeout=timeout)
        return p.returncode, p.stdout, p.stderr.decode('utf-8', 'replace')
    except subprocess.TimeoutExpired as e:
        return -1, b'', 'timeout: %r' % e

# ------------------------------------------------------------ mailboxes

def fill(md, n, owner):
    for sub in ('new', 'cur', 'tmp'):
        os.makedirs(md + '/' + sub, exist_ok=True)
    bodies = []
    for i in range(n):
        b = b'From: a@example\nSubject: message %d\n\nbody of message %d\n' % (i + 1, i + 1)
        with open('%s/new/%d.M%dP%d.%s,S=%d' % (md, 1700000000 + i, i, 100 + i, D, len(b)), 'wb') as f: f.write(b)
        bodies.append(b)
    for dp, dn, fn in os.walk(md):
        os.chown(dp, owner, owner)
        for x in fn: os.chown(os.path.join(dp, x), owner, owner)
    return bodies

def home(u): return T + '/home/' + u
def uid(u): return os.stat(home(u)).st_uid
def maildir(u): return home(u) + '/Maildir'

def stublines():
    try: return open(STUBLOG).read().splitlines()
    except FileNotFoundError: return []

def stub_entries(user):
    return [l for l in stublines() if l.split('|')[2:3] == [user]]

def tagged_ok(lines, tag):
    return bool(lines) and lines[-1].startswith(tag + ' OK')

# ------------------------------------------------------------ the stub part

def t_basics(s):
    c = Raw(s.port)
    g = c.line()
    check('greeting: * OK [CAPABILITY %s] %s ready.' % (GREETCAPS, D),
          g == '* OK [CAPABILITY %s] %s ready.' % (GREETCAPS, D), g)
    r = c.cmd('a1', 'CAPABILITY')
    check('CAPABILITY before login (loopback, certificate)',
          r == ['* CAPABILITY ' + GREETCAPS, 'a1 OK Capability completed.'], r)
    r = c.cmd('a2', 'noop')
    check('NOOP (any case): OK', r == ['a2 OK NOOP completed.'], r)
    r = c.cmd('a3', 'ID ("name" "test" "version" NIL)')
    check('ID: * ID ("name" "qmail-ldap")', r == ['* ID ("name" "qmail-ldap")', 'a3 OK ID completed.'], r)
    r = c.cmd('a3b', 'ID NIL')
    check('ID NIL: OK', tagged_ok(r, 'a3b'), r)
    r = c.cmd('a4', 'SELECT INBOX')
    check('SELECT before login: BAD', r[-1].startswith('a4 BAD'), r)
    r = c.cmd('a5', 'ID foo')
    check('ID with a bad argument: BAD', r[-1].startswith('a5 BAD'), r)
    r = c.cmd('a6', 'CAPABILITY extra')
    check('CAPABILITY with an argument: BAD', r[-1].startswith('a6 BAD'), r)
    c.send('+x NOOP\r\n')
    r = c.line()
    check('an invalid tag: untagged * BAD', r == '* BAD Invalid or missing tag.', r)
    c.send('\r\n')
    r = c.cmd('a7', 'NOOP')
    check('an empty line is skipped', r == ['a7 OK NOOP completed.'], r)
    r = c.cmd('a8', 'LOGIN joe')
    check('LOGIN with one argument: BAD', r[-1].startswith('a8 BAD'), r)
    r = c.cmd('a9', 'LOGOUT')
    check('LOGOUT: * BYE, OK, closed', r == ['* BYE Logging out.', 'a9 OK Logout completed.'] and c.closed(), r)
    c.close()

def t_session(s):
    bodies = fill(maildir('joe'), 2, uid('joe'))
    before = len(stub_entries('joe'))
    m = imaplib.IMAP4('127.0.0.1', s.port, timeout=20)
    typ, d = m.login('joe', PASS)
    check('imaplib LOGIN: OK (one tagged OK, from the engine)', typ == 'OK' and b'Logged in' in d[0], (typ, d))
    typ, d = m.capability()
    check('after login the engine\'s capabilities (IDLE)', typ == 'OK' and b' IDLE' in d[0], d)
    typ, d = m.select('INBOX')
    check('SELECT INBOX: 2 messages', typ == 'OK' and d == [b'2'], (typ, d))
    typ, d = m.fetch('2', '(BODY.PEEK[])')
    got = d[0][1] if typ == 'OK' and d and isinstance(d[0], tuple) else None
    check('FETCH 2 BODY[]: the message (CRLF)', got == bodies[1].replace(b'\n', b'\r\n'), (typ, d))
    typ, d = m.store('1', '+FLAGS', '\\Flagged')
    check('STORE +FLAGS \\Flagged: OK', typ == 'OK' and b'\\Flagged' in d[0], (typ, d))
    m.noop()
    flagged = [f for f in glob.glob(maildir('joe') + '/cur/*') if re.search(r':2,[A-Z]*F', f)]
    check('... the Maildir file carries the F flag', len(flagged) == 1, glob.glob(maildir('joe') + '/*/*'))
    typ, d = m.create('Archive')
    check('CREATE Archive: OK', typ == 'OK', (typ, d))
    typ, d = m.list()
    check('LIST: INBOX and Archive', typ == 'OK' and any(b'Archive' in x for x in d) and any(b'INBOX' in x for x in d), d)
    check('... Archive is a Maildir++ folder (.Archive)', os.path.isdir(maildir('joe') + '/.Archive/cur'),
          os.listdir(maildir('joe')))
    typ, d = m.logout()
    check('LOGOUT: BYE', typ == 'BYE', (typ, d))
    e = stub_entries('joe')[before:]
    f = e[0].split('|') if e else []
    check('the module got fd 3 "imap\\nlogin\\njoe\\nsecret\\n" exactly, as root',
          f[:6] == ['imap', 'login', 'joe', PASS, 'exact=1', 'uid=0'], e)
    check('... with IMAPLOGINTAG, IMAPLOGINFAILED=1, AUTHARGC=8, no AUTHENTICATED, IP',
          f[7:] == ['failed=1', 'tls=', 'argc=8', 'auth=', 'ip=127.0.0.1'] and re.fullmatch(r'tag=\S+', f[6]), e)
    files = [p for p in glob.glob(maildir('joe') + '/**', recursive=True)]
    check('every file the engine made is joe\'s', all(os.stat(p).st_uid == uid('joe') for p in files),
          [p for p in files if os.stat(p).st_uid != uid('joe')][:3])

def t_failure_then_ok(s):
    fill(maildir('bob'), 3, uid('bob'))
    c = Raw(s.port)
    c.line()
    t0 = time.time()
    r = c.cmd('a1', 'LOGIN bob wrong')
    dt = time.time() - t0
    check('wrong password: a1 NO [AUTHENTICATIONFAILED] after 2 s',
          r == ['a1 NO [AUTHENTICATIONFAILED] Authentication failed.'] and 1.9 <= dt < 6, (r, dt))
    r = c.cmd('a2', 'CAPABILITY')
    check('... the session goes on (re-run by the module): CAPABILITY', r == ['* CAPABILITY ' + GREETCAPS,
                                                                             'a2 OK Capability completed.'], r)
    r = c.cmd('a3', 'LOGIN bob ' + PASS)
    check('... then the right password on the same connection: a3 OK Logged in', r[-1].startswith('a3 OK') and
          'Logged in' in r[-1], r)
    r = c.cmd('a4', 'SELECT INBOX')
    check('... SELECT INBOX: 3 EXISTS', '* 3 EXISTS' in r and tagged_ok(r, 'a4'), r)
    c.cmd('a5', 'LOGOUT')
    c.close()
    e = stub_entries('bob')
    check('the module saw IMAPLOGINFAILED=1, then 2', [x.split('|')[7] for x in e[-2:]] == ['failed=1', 'failed=2'], e)

def t_three(s):
    c = Raw(s.port)
    c.line()
    t0 = time.time()
    r1 = c.cmd('a1', 'LOGIN three wrong1')
    r2 = c.cmd('a2', 'LOGIN three wrong2')
    r3 = c.cmd('a3', 'LOGIN three wrong3')
    bye = c.line()
    dt = time.time() - t0
    check('3 failed logins: NO, NO, NO, * BYE, closed (6 s of delays)',
          [r1[-1][:5], r2[-1][:5], r3[-1][:5]] == ['a1 NO', 'a2 NO', 'a3 NO'] and
          bye == '* BYE Too many failed logins.' and c.closed() and dt >= 5.8, (r1, r2, r3, bye, dt))
    c.close()

def t_codes(s):
    c = Raw(s.port)
    c.line()
    r1 = c.cmd('a1', 'LOGIN joe code4')
    r2 = c.cmd('a2', 'AUTHENTICATE PLAIN ' + base64.b64encode(b'\0joe\0code2').decode())
    r3 = c.cmd('a3', 'LOGIN joe nocode')
    check('AUTHFAILCODE 4: NO [CONTACTADMIN] Account disabled.', r1 == ['a1 NO [CONTACTADMIN] Account disabled.'], r1)
    check('AUTHFAILCODE 2: NO [UNAVAILABLE] ...', r2[-1].startswith('a2 NO [UNAVAILABLE] '), r2)
    check('no AUTHFAILCODE (a plain Courier module): NO [AUTHENTICATIONFAILED]',
          r3 == ['a3 NO [AUTHENTICATIONFAILED] Authentication failed.'], r3)
    check('... the third failure of any kind: BYE', c.line() == '* BYE Too many failed logins.' and c.closed())
    c.close()
    c = Raw(s.port)
    c.line()
    c.send('a1 LOGIN joe die\r\n')
    check('a chain that dies without coming back: the connection closes', c.closed(10))
    c.close()

def t_pipelining(s):
    fill(maildir('ann'), 4, uid('ann'))
    c = Raw(s.port)
    c.line()
    c.send('a1 LOGIN ann %s\r\na2 SELECT INBOX\r\na3 LOGOUT\r\n' % PASS)
    r = c.upto('a3', 20)
    check('LOGIN, SELECT, LOGOUT pipelined in plaintext: the engine gets what followed LOGIN',
          any(l.startswith('a1 OK') for l in r) and '* 4 EXISTS' in r and any(l.startswith('a2 OK') for l in r)
          and r[-1].startswith('a3 OK'), r)
    c.close()
    c = Raw(s.port)
    c.line()
    c.send('b1 LOGIN ann wrong\r\nb2 LOGIN ann %s\r\nb3 SELECT INBOX\r\nb4 LOGOUT\r\n' % PASS)
    r = c.upto('b4', 20)
    check('a failed LOGIN pipelined with the next: NO, then OK, SELECT, LOGOUT',
          'b1 NO [AUTHENTICATIONFAILED] Authentication failed.' in r and any(l.startswith('b2 OK') for l in r)
          and '* 4 EXISTS' in r and r[-1].startswith('b4 OK'), r)
    c.close()

def t_literals(s):
    c = Raw(s.port)
    c.line()
    c.send('a1 LOGIN {3}\r\n')
    r1 = c.line()
    c.send('ann {6}\r\n')
    r2 = c.line()
    c.send(PASS + '\r\n')
    r3 = c.upto('a1')
    check('LOGIN with synchronizing literals: "+", "+", OK', r1.startswith('+ ') and r2.startswith('+ ') and
          r3[-1].startswith('a1 OK'), (r1, r2, r3))
    c.close()
    c = Raw(s.port)
    c.line()
    c.send('a1 LOGIN {3+}\r\nann "%s"\r\n' % PASS)
    r = c.upto('a1')
    check('LOGIN with a non-synchronizing literal {3+}', r[-1].startswith('a1 OK'), r)
    c.close()
    c = Raw(s.port)
    c.line()
    c.send('a1 LOGIN "ann" {6}\r\n')
    c.line()
    c.send(PASS + '\r\na2 SELECT INBOX\r\n')
    r = c.upto('a2', 20)
    check('... a literal password, SELECT pipelined behind it', '* 4 EXISTS' in r, r)
    c.close()

def t_authenticate(s):
    c = Raw(s.port)
    c.line()
    r = c.cmd('a1', 'AUTHENTICATE PLAIN ' + base64.b64encode(b'\0ann\0' + PASS.encode()).decode())
    check('AUTHENTICATE PLAIN with an initial response (SASL-IR): OK', r[-1].startswith('a1 OK') and
          'Logged in' in r[-1], r)
    c.close()
    m = imaplib.IMAP4('127.0.0.1', s.port, timeout=20)
    typ, d = m.authenticate('PLAIN', lambda _: b'ann\0ann\0' + PASS.encode())
    check('imaplib AUTHENTICATE PLAIN (continuation "+ ", authzid = login): OK', typ == 'OK', (typ, d))
    m.logout()
    c = Raw(s.port)
    c.line()
    c.send('a1 AUTHENTICATE PLAIN\r\n')
    r1 = c.line()
    c.send('*\r\n')
    r2 = c.line()
    check('AUTHENTICATE cancelled with "*": BAD', r1 == '+ ' and r2 == 'a1 BAD Authentication cancelled.', (r1, r2))
    r = c.cmd('a2', 'AUTHENTICATE PLAIN !!!!')
    check('bad base64: BAD', r == ['a2 BAD Invalid base64 data.'], r)
    r = c.cmd('a3', 'AUTHENTICATE CRAM-MD5')
    check('another mechanism: NO', r == ['a3 NO Unsupported authentication mechanism.'], r)
    r = c.cmd('a4', 'AUTHENTICATE PLAIN ' + base64.b64encode(b'bob\0ann\0' + PASS.encode()).decode())
    check('an authzid other than the login: NO [AUTHORIZATIONFAILED]', r[-1].startswith('a4 NO [AUTHORIZATIONFAILED]'), r)
    r = c.cmd('a5', 'AUTHENTICATE PLAIN ' + base64.b64encode(b'joe\0secret').decode())
    check('a PLAIN response without two NULs: BAD', r[-1].startswith('a5 BAD'), r)
    c.close()

def t_starttls(s):
    fill(maildir('tls'), 2, uid('tls'))
    m = imaplib.IMAP4('127.0.0.1', s.port, timeout=20)
    m.starttls(ssl_context=client_ctx())
    typ, d = m.capability()
    check('after STARTTLS: CAPABILITY without STARTTLS', typ == 'OK' and d == [b'IMAP4rev1 SASL-IR ID AUTH=PLAIN'], d)
    try:
        m.login('tls', 'wrong'); notok('STARTTLS: wrong password: NO', 'accepted')
    except imaplib.IMAP4.error as e:
        check('STARTTLS, wrong password: NO (and the TLS session goes on)', 'AUTHENTICATIONFAILED' in str(e), e)
    typ, d = m.login('tls', PASS)
    check('... then LOGIN inside the same TLS session: OK', typ == 'OK', (typ, d))
    typ, d = m.select('INBOX')
    check('... SELECT INBOX: 2', d == [b'2'], d)
    m.logout()
    e = stub_entries('tls')
    check('the module saw IMAPLOGINTLS=1 both times', len(e) >= 2 and all('|tls=1|' in x for x in e[-2:]), e)
    check('the log names the TLS session', 'TLS established: TLSv1.' in s.logtext())
    r = Raw(s.port)
    r.line()
    r.cmd('a', 'STARTTLS')
    r.starttls()
    lines = r.cmd('b', 'STARTTLS')
    check('STARTTLS inside TLS: BAD', lines[-1].startswith('b BAD'), lines)
    r.close()

def t_injection(s):
    c = Raw(s.port)
    c.line()
    c.send('a STARTTLS\r\nb LOGIN inj %s\r\n' % PASS)
    r = c.line()
    c.starttls()
    r2 = c.cmd('c', 'NOOP')
    check('STARTTLS with a LOGIN pipelined behind it: OK, then TLS, and the LOGIN is never run',
          r == 'a OK Begin TLS negotiation now.' and r2 == ['c OK NOOP completed.'] and not stub_entries('inj'),
          (r, r2, stub_entries('inj')))
    check('... and logged as discarded', re.search(r'discarded 2\d bytes sent in plaintext after STARTTLS', s.logtext()))
    c.close()

def t_idle_tls(s):
    fill(maildir('idle'), 2, uid('idle'))
    c = Raw(s.port, tls=True)
    g = c.line()
    check('IMAPS: greeting inside TLS, no STARTTLS offered',
          g == '* OK [CAPABILITY IMAP4rev1 SASL-IR ID AUTH=PLAIN] %s ready.' % D, g)
    r = c.cmd('a1', 'LOGIN idle wrong')
    r2 = c.cmd('a2', 'STARTTLS')
    check('IMAPS: after a failed login (run again behind the relay), STARTTLS is still refused',
          r[-1].startswith('a1 NO') and r2[-1].startswith('a2 BAD'), (r, r2))
    r = c.cmd('a3', 'LOGIN idle ' + PASS)
    r2 = c.cmd('a4', 'SELECT INBOX')
    check('IMAPS: then LOGIN, SELECT (2) through the relay', r[-1].startswith('a3 OK') and '* 2 EXISTS' in r2, (r, r2))
    c.send('a5 IDLE\r\n')
    r = c.line()
    check('IDLE: + idling', r.startswith('+ idling'), r)
    b = b'Subject: while idling\n\nnew\n'
    fn = '%s/new/1800000000.M9P9.%s,S=%d' % (maildir('idle'), D, len(b))
    with open(fn, 'wb') as f: f.write(b)
    os.chown(fn, uid('idle'), uid('idle'))
    got = []
    end = time.time() + 15
    while time.time() < end:
        l = c.line(15)
        got.append(l)
        if l == '* 3 EXISTS' or l.startswith('<'): break
    check('... a new message arrives: * 3 EXISTS while idling', '* 3 EXISTS' in got, got)
    c.send('DONE\r\n')
    r = c.upto('a5')
    check('... DONE: OK', r[-1].startswith('a5 OK'), r)
    r = c.cmd('a6', 'LOGOUT')
    check('... LOGOUT through the relay, the connection closes', r[-1].startswith('a6 OK') and c.closed(), r)
    c.close()
    m = imaplib.IMAP4_SSL('127.0.0.1', s.port, ssl_context=client_ctx(), timeout=20)
    typ, d = m.login('idle', PASS)
    typ2, d2 = m.select('INBOX')
    check('imaplib IMAP4_SSL: LOGIN, SELECT (3)', typ == 'OK' and d2 == [b'3'], (typ, d, d2))
    m.logout()

def t_policy(strict, clear):
    c = Raw(strict.port)
    g = c.line()
    check('IMAPLOOPBACKPLAIN=0 (a remote client\'s view): LOGINDISABLED, no AUTH=PLAIN before TLS',
          g == '* OK [CAPABILITY IMAP4rev1 SASL-IR ID STARTTLS LOGINDISABLED] %s ready.' % D, g)
    r = c.cmd('a1', 'LOGIN pol ' + PASS)
    check('... LOGIN: NO [PRIVACYREQUIRED], the module never runs',
          r[-1].startswith('a1 NO [PRIVACYREQUIRED]') and not stub_entries('pol'), r)
    r = c.cmd('a2', 'AUTHENTICATE PLAIN ' + base64.b64encode(b'\0pol\0' + PASS.encode()).decode())
    check('... AUTHENTICATE PLAIN: NO [PRIVACYREQUIRED]', r[-1].startswith('a2 NO [PRIVACYREQUIRED]'), r)
    c.send('a3 LOGIN {3}\r\n')
    r = c.line()
    r2 = c.cmd('a4', 'NOOP')
    check('... a LOGIN literal gets NO instead of "+" (the password is never sent)',
          r.startswith('a3 NO [PRIVACYREQUIRED]') and r2 == ['a4 OK NOOP completed.'], (r, r2))
    c.cmd('a5', 'STARTTLS')
    c.starttls()
    r = c.cmd('a6', 'CAPABILITY')
    check('... after STARTTLS: AUTH=PLAIN, no LOGINDISABLED', r[0] == '* CAPABILITY IMAP4rev1 SASL-IR ID AUTH=PLAIN', r)
    r = c.cmd('a7', 'LOGIN ann ' + PASS)
    check('... and LOGIN works', r[-1].startswith('a7 OK'), r)
    c.close()
    c = Raw(clear.port)
    g = c.line()
    r = c.cmd('a1', 'LOGIN ann ' + PASS)
    check('IMAPCLEARTEXT: AUTH=PLAIN and a cleartext LOGIN even for a remote client',
          'AUTH=PLAIN' in g and r[-1].startswith('a1 OK'), (g, r))
    c.close()

def t_hostile(s):
    c = Raw(s.port)
    c.line()
    t0 = time.time()
    r = c.cmd('a1', 'LOGIN %s %s' % ('u' * 1000, PASS))
    dt = time.time() - t0
    check('a 1000-byte login: NO after 2 s, not handed to the module',
          r == ['a1 NO [AUTHENTICATIONFAILED] Authentication failed.'] and dt >= 1.9 and
          not stub_entries('u' * 1000), (r, dt))
    r = c.cmd('a2', 'LOGIN jo\0e x')
    check('a NUL: BAD', r == ['a2 BAD NUL byte in command.'], r)
    r = c.cmd('a3', 'LOGIN "ann" "se\ncret"')
    r2 = c.line()
    check('a LF inside a quoted string ends the line: BAD, and its rest is a line with a bad tag',
          r[0].startswith('a3 BAD') and r2 == '* BAD Invalid or missing tag.', (r, r2))
    c.send('a4 LOGIN {100000}\r\n')
    r = c.line()
    r2 = c.cmd('a5', 'NOOP')
    check('a huge synchronizing literal: BAD, the session goes on', r == 'a4 BAD Literal too big.' and
          r2 == ['a5 OK NOOP completed.'], (r, r2))
    c.send('a6 LOGIN {100000+}\r\n' + 'x' * 2000)
    r = c.line()
    check('a huge non-synchronizing literal: * BYE, closed', r == '* BYE Literal too big.' and c.closed(), r)
    c.close()
    c = Raw(s.port)
    c.line()
    c.send('a1 LOGIN ' + 'x' * 9000 + '\r\n')
    r = c.line()
    check('a line over 8 KiB: * BYE Line too long., closed', r == '* BYE Line too long.' and c.closed(), r)
    c.close()
    c = Raw(s.port)
    c.line()
    for i in range(19): c.send('a%d BOGUS\r\n' % i)
    c.send('z BOGUS\r\n')
    lines = [c.line() for _ in range(21)]
    check('20 invalid commands: * BYE, closed', lines[19].startswith('z BAD') and
          lines[20] == '* BYE Too many invalid commands.' and c.closed(), lines[-3:])
    c.close()
    import random
    rnd = random.Random(57)
    for k in range(6):
        c = Raw(s.port)
        c.line()
        junk = bytes(rnd.randrange(256) for _ in range(3000)) if k % 2 else \
            b''.join(rnd.choice([b'a ', b'LOGIN ', b'{', b'}', b'5', b'+', b'"', b'\\', b'(', b')', b'\r\n', b'\0', b'x'])
                     for _ in range(800))
        c.send(junk)
        c.closed(3)
        c.close()
    c = Raw(s.port)
    g = c.line()
    check('after garbage sessions the server still greets', g.startswith('* OK [CAPABILITY'), g)
    c.close()

def t_privileges(s):
    c = Raw(s.port)
    c.line()
    procs = []
    for p in glob.glob('/proc/[0-9]*'):
        try:
            if os.readlink(p + '/exe') == LOGIN:
                st = open(p + '/status').read()
                u = int(re.search(r'^Uid:\s+(\d+)\s+(\d+)', st, re.M).group(2))
                pp = int(re.search(r'^PPid:\s+(\d+)', st, re.M).group(1))
                procs.append((int(p[6:]), pp, u))
        except OSError: pass
    roots = [x for x in procs if x[2] == 0]
    nets = [x for x in procs if x[2] == QMAILD]
    check('before login: a root half and, its child, a qmaild network half',
          len(roots) == 1 and len(nets) == 1 and nets[0][1] == roots[0][0], procs)
    c.close()

def t_timeout(s):
    c = Raw(s.port)
    c.line()
    t0 = time.time()
    r = c.line(15)
    dt = time.time() - t0
    check('IMAPTIMEOUT=2: * BYE Autologout after about 2 s', r == '* BYE Autologout; idle for too long.' and
          1.5 < dt < 6 and c.closed(), (r, dt))
    c.close()

def t_curl(s, ssls):
    fill(maildir('cu'), 2, uid('cu'))
    rc, out, err = run(['curl', '-sS', '--max-time', '20', '-u', 'cu:' + PASS, 'imap://127.0.0.1:%d/INBOX;UID=2' % s.port])
    check('curl imap:// (cleartext from loopback): the message with UID 2', rc == 0 and b'body of message 2' in out,
          (rc, out[:200], err))
    rc, out, err = run(['curl', '-sS', '--max-time', '20', '--ssl-reqd', '--cacert', PKI + '/srv.crt', '-u',
                        'cu:' + PASS, 'imap://%s:%d/INBOX;UID=1' % (D, s.port), '--resolve', '%s:%d:127.0.0.1' % (D, s.port)])
    check('curl imap:// --ssl-reqd (STARTTLS, verified): UID 1', rc == 0 and b'body of message 1' in out, (rc, out[:200], err))
    rc, out, err = run(['curl', '-sS', '-k', '--max-time', '20', '-u', 'cu:' + PASS, 'imaps://127.0.0.1:%d/INBOX;UID=2' % ssls.port])
    check('curl imaps:// -k: UID 2', rc == 0 and b'body of message 2' in out, (rc, out[:200], err))
    rc, out, err = run(['curl', '-sS', '-k', '--max-time', '20', '-u', 'cu:wrong', 'imaps://127.0.0.1:%d/INBOX' % ssls.port])
    check('curl imaps:// with a wrong password: login denied (67)', rc == 67, (rc, err))

def t_openssl(s):
    fill(maildir('ssl'), 3, uid('ssl'))
    inp = ('a LOGIN ssl %s\nb SELECT INBOX\nc LOGOUT\n' % PASS).encode()
    rc, out, err = run(['openssl', 's_client', '-starttls', 'imap', '-connect', '127.0.0.1:%d' % s.port, '-quiet', '-crlf',
                        '-CAfile', PKI + '/srv.crt', '-verify_return_error', '-servername', D], inp)
    text = out.decode('latin-1')
    check('openssl s_client -starttls imap: LOGIN, SELECT (3 EXISTS), LOGOUT',
          re.search(r'^a OK .*Logged in', text, re.M) and '* 3 EXISTS' in text and re.search(r'^c OK', text, re.M),
          (rc, text[-300:], err[-300:]))

def stub_part():
    plain = Server({})
    ssls = Server({'IMAPS': '1'})
    strict = Server({'IMAPLOOPBACKPLAIN': '0'})
    clear = Server({'IMAPLOOPBACKPLAIN': '0', 'IMAPCLEARTEXT': ''})
    short = Server({'IMAPTIMEOUT': '2'})
    servers = (plain, ssls, strict, clear, short)
    try:
        for f, a in ((t_basics, plain), (t_session, plain), (t_privileges, plain)):
            guarded(f, a)
        parallel(lambda: t_failure_then_ok(plain), lambda: t_three(plain), lambda: t_codes(plain),
                 lambda: t_pipelining(plain), lambda: t_hostile(plain), lambda: t_timeout(short),
                 lambda: t_starttls(plain), lambda: t_idle_tls(ssls), lambda: t_policy(strict, clear))
        parallel(lambda: t_literals(plain), lambda: t_authenticate(plain), lambda: t_injection(plain),
                 lambda: t_curl(plain, ssls), lambda: t_openssl(plain))
    finally:
        for x in servers: x.stop()
    for x in servers:
        bad = [l for l in x.logtext().splitlines() if re.search(r'Fatal|Panic|AddressSanitizer|runtime error', l)]
        check('no engine or sanitizer failure in %s' % os.path.basename(x.logname), not bad, bad[:3])

# ------------------------------------------------------------ the real chain

def real_part():
    H = os.environ['H']; RPASS = os.environ['RPASS']
    ids = dict(l.split() for l in open(T + '/luids'))
    def mkhome(u):
        i = int(ids[u])
        os.makedirs(H + '/' + u, exist_ok=True)
        os.chown(H + '/' + u, i, i)
        os.chmod(H + '/' + u, 0o700)
        return fill(H + '/' + u + '/Maildir', 2, i)
    for u in ('rann', 'rbob', 'rdis', 'rstore'): mkhome(u)
    os.makedirs(T + '/store', exist_ok=True)
    fill(T + '/store/rstore', 5, int(ids['rstore']))
    s = Server({}, QH + '/bin/auth_imap')
    t = Server({'IMAPS': '1'}, QH + '/bin/auth_imap')
    try:
        def t_real_ok():
            m = imaplib.IMAP4('127.0.0.1', s.port, timeout=20)
            typ, d = m.login('rann', RPASS)
            check('auth_imap: LOGIN with the directory\'s password: OK', typ == 'OK', (typ, d))
            typ, d = m.select('INBOX')
            check('auth_imap: SELECT INBOX: 2', d == [b'2'], d)
            typ, d = m.getquotaroot('INBOX')
            q = b' '.join(x for x in d[1] if isinstance(x, bytes)) if typ == 'OK' and len(d) > 1 else b''
            check('auth_imap: the quota from mailQuotaSize/Count (2000 KiB, 50 messages)',
                  re.search(rb'STORAGE \d+ 2000 MESSAGE \d+ 50', q), d)
            m.logout()
        def t_real_retry():
            c = Raw(s.port)
            c.line()
            r1 = c.cmd('a1', 'LOGIN rbob wrong')
            r2 = c.cmd('a2', 'LOGIN rbob ' + RPASS)
            r3 = c.cmd('a3', 'SELECT INBOX')
            check('auth_imap: wrong password -> NO, then the right one on the same connection -> OK, SELECT',
                  r1 == ['a1 NO [AUTHENTICATIONFAILED] Authentication failed.'] and r2[-1].startswith('a2 OK') and
                  '* 2 EXISTS' in r3, (r1, r2, r3))
            c.close()
            check('auth_imap logged the reason with the client address',
                  re.search(r'auth_imap: rbob: wrong password from 127\.0\.0\.1', s.logtext()), s.logtext()[-500:])
        def t_real_three():
            c = Raw(s.port)
            c.line()
            rs = [c.cmd('a%d' % i, 'LOGIN nosuchuser x%d' % i)[-1] for i in range(3)]
            check('auth_imap: 3 unknown-user logins: NO NO NO, BYE',
                  all(r.endswith('NO [AUTHENTICATIONFAILED] Authentication failed.') for r in rs) and
                  c.line() == '* BYE Too many failed logins.' and c.closed(), rs)
            c.close()
        def t_real_disabled():
            c = Raw(s.port)
            c.line()
            r = c.cmd('a1', 'LOGIN rdis ' + RPASS)
            r2 = c.cmd('a2', 'LOGIN rdis wrong')
            check('auth_imap: disabled account, right password: NO [CONTACTADMIN]; wrong password: AUTHENTICATIONFAILED',
                  r == ['a1 NO [CONTACTADMIN] Account disabled.'] and
                  r2 == ['a2 NO [AUTHENTICATIONFAILED] Authentication failed.'], (r, r2))
            c.close()
        def t_real_tls():
            c = Raw(t.port, tls=True)
            c.line()
            r1 = c.cmd('a1', 'AUTHENTICATE PLAIN ' + base64.b64encode(b'\0rstore\0wrong').decode())
            r2 = c.cmd('a2', 'AUTHENTICATE PLAIN ' + base64.b64encode(b'\0rstore\0' + RPASS.encode()).decode())
            r3 = c.cmd('a3', 'SELECT INBOX')
            check('auth_imap over IMAPS: PLAIN wrong, then right through the relay; INBOX is mailMessageStore (5)',
                  r1[-1].startswith('a1 NO') and r2[-1].startswith('a2 OK') and '* 5 EXISTS' in r3, (r1, r2, r3))
            c.cmd('a4', 'LOGOUT')
            c.close()
            m = imaplib.IMAP4('127.0.0.1', s.port, timeout=20)
            m.starttls(ssl_context=client_ctx())
            typ, d = m.login('rann', RPASS)
            check('auth_imap after STARTTLS: OK', typ == 'OK', (typ, d))
            m.logout()
        parallel(t_real_ok, t_real_retry, t_real_three, t_real_disabled, t_real_tls)
    finally:
        s.stop(); t.stop()
    for x in (s, t):
        bad = [l for l in x.logtext().splitlines() if re.search(r'Fatal|Panic|AddressSanitizer|runtime error', l)]
        check('no engine or sanitizer failure in %s' % os.path.basename(x.logname), not bad, bad[:3])

if PART == 'stub': stub_part()
else: real_part()
sys.exit(1 if FAILED else 0)
