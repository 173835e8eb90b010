# The harness of 55-pop3.sh (run by it; prints ok / not ok lines).
# Environment from the shell script: QH T PKI D and the sanitizer
# options. Every server is tcpserver on 127.0.0.1 running, as root,
#   qmail-popup testhost.example $T/stub qmail-pop3d ./Maildir/
# with its own environment; its stderr (qmail-popup's and qmail-pop3d's
# log lines) goes to a log file per server.
import glob, os, poplib, pwd, re, socket, ssl, subprocess, sys, threading, time

QH = os.environ['QH']; T = os.environ['T']; PKI = os.environ['PKI']; D = os.environ['D']
POPUP = QH + '/bin/qmail-popup'
POP3D = QH + '/bin/qmail-pop3d'
STUB = T + '/stub'
STUBLOG = T + '/stub.log'
PASS = 'secret'
FAILED = 0
LOCK = threading.Lock()
QMAILD = pwd.getpwnam('qmaild').pw_uid

def ok(name):
    with LOCK: print('ok - ' + name, flush=True)
def notok(name, why):
    global FAILED
    with LOCK:
        FAILED += 1
        print('not ok - %s # %s' % (name, str(why).replace('\n', ' ')[:500]), flush=True)
def check(name, cond, why=''):
    if cond: ok(name)
    else: notok(name, why or 'failed')

def home(u): return T + '/home/' + u
def maildir(u): return home(u) + '/Maildir'
def uid(u): return os.stat(home(u)).st_uid

BASEENV = {'PATH': '/usr/bin:/bin', 'STUBLOG': STUBLOG, 'STUBHOMES': T + '/home', 'STUBPASS': PASS,
           'POP3_LOGLEVEL': '2'}
for k in ('ASAN_OPTIONS', 'UBSAN_OPTIONS'):
    if k in os.environ: BASEENV[k] = os.environ[k]

def freeport():
    s = socket.socket(); s.bind(('127.0.0.1', 0)); p = s.getsockname()[1]; s.close(); return p

class Server:
    n = 0
    def __init__(self, env):
        Server.n += 1
        self.port = freeport()
        e = dict(BASEENV); e.update(env)
        self.logname = '%s/pop3-%d.log' % (T, Server.n)
        self.log = open(self.logname, 'a')
        self.p = subprocess.Popen(['tcpserver', '-v', '-R', '-H', '-l', D, '127.0.0.1', str(self.port),
                                   POPUP, D, STUB, POP3D, './Maildir/'], env=e, cwd=T,
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
    """a byte-level POP3 session"""
    def __init__(self, port, tls=False):
        self.sock = socket.create_connection(('127.0.0.1', port), 10)
        if tls: self.sock = client_ctx().wrap_socket(self.sock, server_hostname=D)
        self.buf = b''
    def send(self, data):
        if isinstance(data, str): data = data.encode('latin-1')
        try: self.sock.sendall(data); return True
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError): return False
    def _fill(self, timeout):
        self.sock.settimeout(timeout)
        try: d = self.sock.recv(65536)
        except socket.timeout: raise TimeoutError('no reply after %r' % self.buf[-200:])
        except (ConnectionResetError, ssl.SSLError): d = b''
        if not d: raise EOFError('closed')
        self.buf += d
    def line(self, timeout=10):
        try:
            while b'\r\n' not in self.buf: self._fill(timeout)
        except (EOFError, TimeoutError) as e:
            return '<%s>' % e
        l, self.buf = self.buf.split(b'\r\n', 1)
        return l.decode('latin-1')
    def multi(self, timeout=10):
        """the raw bytes of a multi-line answer up to and including .CRLF"""
        try:
            while b'\r\n.\r\n' not in b'\r\n' + self.buf: self._fill(timeout)
        except (EOFError, TimeoutError):
            return None
        i = (b'\r\n' + self.buf).index(b'\r\n.\r\n')
        body, self.buf = self.buf[:i + 3], self.buf[i + 3:]
        return body
    def cmd(self, c, timeout=10):
        self.send(c + '\r\n'); return self.line(timeout)
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

def run(argv, inp=b'', timeout=60):
    try:
        p = subprocess.run(argv, input=inp, capture_output=True, timeout=timeout)
        return p.returncode, p.stdout, p.stderr.decode('utf-8', 'replace')
    except subprocess.TimeoutExpired as e:
        return -1, b'', 'timeout: %r' % e

def parallel(*fns):
    th = [threading.Thread(target=guarded, args=(f,)) for f in fns]
    for t in th: t.start()
    for t in th: t.join()

def guarded(f, *a):
    try: f(*a)
    except Exception as e:
        import traceback
        notok(getattr(f, '__name__', 'test'), 'exception %r at %s' % (e, traceback.format_exc().strip().splitlines()[-3:]))

# ------------------------------------------------------------ mailboxes

def wire(data):
    """what RETR must send for a message file: CRLF line ends, dot-stuffed, .CRLF"""
    out = b''
    lines = data.split(b'\n')
    if lines and lines[-1] == b'': lines.pop()
    for l in lines:
        if l.endswith(b'\r'): l = l[:-1]
        if l.startswith(b'.'): l = b'.' + l
        out += l + b'\r\n'
    return out + b'.\r\n'

MSGS = [   # (subdir, seconds, flags, body)
    ('cur', 1700000001, ':2,S', b'From: a@example\nSubject: one\n\nHello\n.leading dot\n..two dots\n.\nend\n'),
    ('new', 1700000002, '', b'Subject: crlf\r\n\r\nalready crlf\r\nline2\r\n'),
    ('new', 1700000003, '', b'Subject: no newline\n\nlast line without newline'),
    ('cur', 1700000004, ':2,', b'Subject: long\n\n' + b''.join(b'line %05d .x\n' % i for i in range(8000))),
    ('new', 1700000005, '', b'Subject: five\n\nfive\n'),
]

def fill(user, msgs, quota=True, unnamed=None):
    md = maildir(user)
    for sub in ('new', 'cur', 'tmp'):
        for f in glob.glob(md + '/' + sub + '/*'): os.unlink(f)
    names = []
    for i, (sub, sec, flags, body) in enumerate(msgs):
        n = '%d.M%dP%d.%s,S=%d%s' % (sec, i, 4000 + i, D, len(body), flags)
        with open('%s/%s/%s' % (md, sub, n), 'wb') as f: f.write(body)
        names.append('%s/%s' % (sub, n))
    if unnamed is not None:   # a message whose name has no S=: qmail-pop3d stat()s it
        n = '1600000000.M9P9.%s:2,' % D
        with open('%s/cur/%s' % (md, n), 'wb') as f: f.write(unnamed)
        names.insert(0, 'cur/' + n)
    total = sum(len(m[3]) for m in msgs) + (len(unnamed) if unnamed is not None else 0)
    if quota:
        with open(md + '/maildirsize', 'w') as f: f.write('10000000S,1000C\n%d %d\n' % (total, len(names)))
    elif os.path.exists(md + '/maildirsize'): os.unlink(md + '/maildirsize')
    for dp, dn, fn in os.walk(md):
        for x in dn + fn: os.chown(os.path.join(dp, x), uid(user), uid(user))
    return names

def files(user):
    md = maildir(user)
    return sorted(os.path.relpath(p, md) for p in glob.glob(md + '/new/*') + glob.glob(md + '/cur/*'))

def maildirsize_sum(user):
    lines = open(maildir(user) + '/maildirsize').read().splitlines()
    s = c = 0
    for l in lines[1:]:
        a, b = l.split(); s += int(a); c += int(b)
    return s, c

def recount(user):
    s = c = 0
    for f in files(user):
        m = re.search(r',S=(\d+)', f)
        s += int(m.group(1)) if m else os.path.getsize(maildir(user) + '/' + f); c += 1
    return s, c

def login(c, user='joe', pw=PASS):
    r1 = c.cmd('USER ' + user)
    r2 = c.cmd('PASS ' + pw)
    return r1, r2

# ------------------------------------------------------------ tests

def t_greeting_capa(s):
    c = Raw(s.port)
    g = c.line()
    check('greeting +OK <pid.time@%s>' % D, re.fullmatch(r'\+OK <\d+\.\d+@' + re.escape(D) + '>', g), g)
    c.send('CAPA\r\n')
    capa = c.multi()
    capa = capa.decode() if capa else ''
    want = ['+OK', 'TOP', 'UIDL', 'RESP-CODES', 'AUTH-RESP-CODE', 'PIPELINING', 'USER', 'SASL PLAIN', 'STLS',
            'IMPLEMENTATION qmail-ldap', '.']
    got = [l.split(' ')[0] if l.startswith('+OK') else l for l in capa.split('\r\n') if l]
    check('CAPA before login (loopback, certificate): %s' % ' '.join(want[1:-1]),
          sorted(got) == sorted(want), repr(capa))
    r = c.cmd('STAT')
    check('STAT before login: -ERR', r.startswith('-ERR'), r)
    r = c.cmd('APOP joe 0123456789abcdef0123456789abcdef')
    check('APOP: -ERR, not supported', r.startswith('-ERR') and 'APOP' in r, r)
    r = c.cmd('NOOP')
    check('NOOP before login: +OK', r.startswith('+OK'), r)
    r = c.cmd('QUIT')
    check('QUIT before login: +OK and the connection closes', r.startswith('+OK') and c.closed(), r)
    c.close()

def t_session(s):
    names = fill('joe', MSGS)
    c = Raw(s.port)
    c.line()
    r1, r2 = login(c)
    check('USER/PASS: +OK, +OK from qmail-pop3d', r1.startswith('+OK') and r2.startswith('+OK 5 messages'), (r1, r2))
    r = c.cmd('STAT')
    total = sum(len(m[3]) for m in MSGS)
    check('STAT: 5 messages, %d octets' % total, r == '+OK 5 %d' % total, r)
    c.send('LIST\r\n')
    lst = c.multi()
    want = '+OK scan listing follows\r\n' + ''.join('%d %d\r\n' % (i + 1, len(m[3])) for i, m in enumerate(MSGS)) + '.\r\n'
    check('LIST: every size from the names, in delivery order', lst == want.encode(), repr(lst)[:300])
    r = c.cmd('LIST 2')
    check('LIST 2', r == '+OK 2 %d' % len(MSGS[1][3]), r)
    c.send('UIDL\r\n')
    u = c.multi()
    wantu = '+OK unique-id listing follows\r\n' + ''.join(
        '%d %s\r\n' % (i + 1, n.split('/', 1)[1].split(':')[0]) for i, n in enumerate(names)) + '.\r\n'
    check('UIDL: the names without flags', u == wantu.encode(), repr(u)[:300])
    for i, m in enumerate(MSGS):
        c.send('RETR %d\r\n' % (i + 1))
        first = c.line()
        body = c.multi(30)
        check('RETR %d: "+OK %d octets" and the message byte-exact (CRLF, dot-stuffed)' % (i + 1, len(m[3])),
              first == '+OK %d octets' % len(m[3]) and body == wire(m[3]),
              '%r %r' % (first, (body or b'')[:200]))
    c.send('TOP 1 2\r\n')
    first = c.line()
    top = c.multi()
    check('TOP 1 2: the header, the blank line, two body lines',
          first.startswith('+OK') and top == b'From: a@example\r\nSubject: one\r\n\r\nHello\r\n..leading dot\r\n.\r\n', repr(top))
    c.send('TOP 4 0\r\n')
    c.line()
    top = c.multi()
    check('TOP 4 0: the header only', top == b'Subject: long\r\n\r\n.\r\n', repr(top))
    r = c.cmd('TOP 1')
    check('TOP without a line count: -ERR', r.startswith('-ERR'), r)
    r = c.cmd('RETR 6')
    check('RETR 6 of 5: -ERR', r.startswith('-ERR'), r)
    r = c.cmd('RETR 0')
    check('RETR 0: -ERR', r.startswith('-ERR'), r)
    r = c.cmd('DELE 1')
    r2 = c.cmd('DELE 1')
    r3 = c.cmd('RETR 1')
    check('DELE 1: +OK, again: -ERR, RETR of it: -ERR', r.startswith('+OK') and r2.startswith('-ERR') and r3.startswith('-ERR'),
          (r, r2, r3))
    r = c.cmd('STAT')
    check('STAT counts undeleted messages only', r == '+OK 4 %d' % (total - len(MSGS[0][3])), r)
    c.send('LIST\r\n')
    lst = c.multi() or b''
    check('LIST leaves the deleted one out', not lst.startswith(b'+OK scan listing follows\r\n1 ') and b'\r\n2 ' in lst, repr(lst)[:100])
    r = c.cmd('LAST')
    check('LAST: the highest message touched', r == '+OK 5', r)
    r = c.cmd('RSET')
    r2 = c.cmd('STAT')
    check('RSET undeletes', r.startswith('+OK') and r2 == '+OK 5 %d' % total, (r, r2))
    r = c.cmd('USER joe')
    check('USER after login: -ERR', r.startswith('-ERR'), r)
    r = c.cmd('XYZZY')
    check('unknown command: -ERR', r.startswith('-ERR'), r)
    c.cmd('DELE 2')
    c.cmd('DELE 4')
    r = c.cmd('QUIT')
    check('QUIT: +OK', r.startswith('+OK'), r)
    check('the connection closes after QUIT', c.closed())
    c.close()
    f = files('joe')
    gone = [names[1], names[3]]
    check('DELE+QUIT removes exactly the deleted files', not any(os.path.basename(g) in ' '.join(f) for g in gone) and len(f) == 3, f)
    check('maildirsize after QUIT agrees with the files (sum of lines = recount)',
          maildirsize_sum('joe') == recount('joe'), '%r vs %r' % (maildirsize_sum('joe'), recount('joe')))
    lines = open(maildir('joe') + '/maildirsize').read().splitlines()
    check('one "-<bytes> -1" line per deleted message', lines[2:] == ['-%d -1' % len(MSGS[1][3]), '-%d -1' % len(MSGS[3][3])], lines)
    check('kept messages from new/ moved to cur/, retrieved ones flagged S',
          f == sorted(['cur/' + os.path.basename(names[0]), 'cur/' + os.path.basename(names[2]) + ':2,S',
                       'cur/' + os.path.basename(names[4]) + ':2,S']), f)

def t_rset_abort(s):
    names = fill('joe', MSGS[:3], quota=False, unnamed=b'Subject: no size in the name\n\nx\n')
    c = Raw(s.port)
    c.line()
    login(c)
    r = c.cmd('LIST 1')
    check('a name without S=: its size from stat()', r == '+OK 1 %d' % len(b'Subject: no size in the name\n\nx\n'), r)
    c.cmd('DELE 1'); c.cmd('DELE 2')
    r = c.cmd('RSET')
    c.cmd('DELE 3')
    c.cmd('QUIT')
    c.closed()
    f = files('joe')
    check('DELE, RSET, DELE, QUIT: only the message deleted after RSET is gone', len(f) == 3 and
          not any(os.path.basename(names[2]).split(':')[0] in x for x in f), f)
    check('no maildirsize: none is made', not os.path.exists(maildir('joe') + '/maildirsize'))
    fill('joe', MSGS[:2])
    before = files('joe')
    c = Raw(s.port)
    c.line()
    login(c)
    c.cmd('DELE 1')
    c.cmd('RETR 2'); c.multi()
    c.close()                              # no QUIT: nothing happens
    time.sleep(0.3)
    check('a dropped session changes nothing (no UPDATE state)', files('joe') == before, files('joe'))

def t_pipelining(s):
    fill('joe', MSGS[:2])
    for tls in (False, True):
        c = Raw(POP3S.port, tls=True) if tls else Raw(s.port)
        c.line()
        c.send('USER joe\r\nPASS %s\r\nSTAT\r\nLIST 1\r\nNOOP\r\nQUIT\r\n' % PASS)
        got = [c.line() for _ in range(6)]
        want = ['+OK', '+OK 2 messages', '+OK 2 ', '+OK 1 %d' % len(MSGS[0][3]), '+OK', '+OK']
        check('%s: USER, PASS, STAT, LIST, NOOP, QUIT in one write: every answer' % ('POP3S' if tls else 'plaintext'),
              all(g.startswith(w) for g, w in zip(got, want)), got)
        c.close()

def t_stls(s):
    fill('joe', MSGS[:2])
    p = poplib.POP3('127.0.0.1', s.port, timeout=10)
    p.stls(client_ctx())
    caps = p.capa()
    check('poplib stls(): CAPA inside TLS has no STLS', 'STLS' not in caps and 'USER' in caps, caps)
    p.user('joe'); p.pass_(PASS)
    st = p.stat()
    check('poplib over STLS: login and STAT', st == (2, len(MSGS[0][3]) + len(MSGS[1][3])), st)
    resp, lines, octets = p.retr(1)
    check('poplib over STLS: RETR 1', b'\r\n'.join(lines) + b'\r\n' == MSGS[0][3].replace(b'\n', b'\r\n'), lines[:4])
    p.quit()
    log = s.logtext()
    check('log: TLS established with the version and cipher', re.search(r'qmail-popup: 127\.0\.0\.1: TLS established: TLSv1\.[23] ', log), log[-300:])

def t_stls_injection(s):
    c = Raw(s.port)
    c.line()
    # a man in the middle's commands behind STLS: they must never run
    c.send('STLS\r\nUSER joe\r\nPASS %s\r\n' % PASS)
    r = c.line()
    extra = c.buf
    try:
        c.sock.settimeout(10)
        c.sock = client_ctx().wrap_socket(c.sock, server_hostname=D)
        hs = None
    except (ssl.SSLError, OSError) as e:
        hs = e
    check('STLS: +OK, nothing after it, the handshake works', r.startswith('+OK') and not extra and hs is None, (r, extra, hs))
    if hs is None:
        r = c.cmd('STAT')
        check('plaintext pipelined behind STLS was not executed (STAT: not logged in)', r.startswith('-ERR'), r)
        r = c.cmd('PASS ' + PASS)
        check('... and USER before the handshake is forgotten (PASS: USER first)', r.startswith('-ERR'), r)
    c.close()
    time.sleep(0.2)
    check('log: the discarded plaintext is counted', re.search(r'discarded \d+ bytes sent in plaintext after STLS', s.logtext()),
          s.logtext()[-300:])
    c = Raw(s.port)
    c.line()
    r = c.cmd('STLS x')
    check('STLS with an argument: -ERR', r.startswith('-ERR'), r)
    c.close()

def t_pop3s(s):
    fill('joe', MSGS[:2])
    p = poplib.POP3_SSL('127.0.0.1', s.port, context=client_ctx(), timeout=10)
    g = p.getwelcome()
    caps = p.capa()
    check('POP3_SSL (implicit TLS): greeting, CAPA without STLS', g.startswith(b'+OK <') and 'STLS' not in caps, (g, caps))
    p.user('joe'); p.pass_(PASS)
    st = p.stat()
    resp, lines, octets = p.retr(2)
    check('POP3_SSL: STAT and RETR 2', st[0] == 2 and b'\r\n'.join(lines) + b'\r\n' == MSGS[1][3], (st, lines))
    resp, lines, octets = p.top(1, 0)
    check('POP3_SSL: TOP 1 0', lines == [b'From: a@example', b'Subject: one', b''], lines)
    p.dele(1)
    p.quit()
    f = files('joe')
    check('POP3_SSL: DELE+QUIT removes the file', len(f) == 1, f)
    check('maildirsize agrees after the POP3S session', maildirsize_sum('joe') == recount('joe'),
          (maildirsize_sum('joe'), recount('joe')))

def t_curl(s):
    fill('joe', MSGS[:2])
    u = 'joe:' + PASS
    rc, out, err = run(['curl', '-s', '-S', '--max-time', '20', '-u', u, 'pop3://127.0.0.1:%d/1' % s.port])
    check('curl pop3:// (AUTH PLAIN on loopback): RETR 1', rc == 0 and out == MSGS[0][3].replace(b'\n', b'\r\n'),
          (rc, out[:100], err))
    rc, out, err = run(['curl', '-s', '-S', '--max-time', '20', '-u', u, 'pop3://127.0.0.1:%d/' % s.port])
    check('curl pop3:// LIST', rc == 0 and out == b'1 %d\r\n2 %d\r\n' % (len(MSGS[0][3]), len(MSGS[1][3])), (rc, out, err))
    rc, out, err = run(['curl', '-s', '-S', '--max-time', '20', '--ssl-reqd', '-k', '-u', u,
                        'pop3://127.0.0.1:%d/2' % s.port])
    check('curl --ssl-reqd pop3:// (STLS): RETR 2', rc == 0 and out == MSGS[1][3], (rc, out[:100], err))
    rc, out, err = run(['curl', '-s', '-S', '--max-time', '20', '-k', '-u', u, 'pop3s://127.0.0.1:%d/2' % POP3S.port])
    check('curl -k pop3s://: RETR 2', rc == 0 and out == MSGS[1][3], (rc, out[:100], err))
    rc, out, err = run(['curl', '-s', '-S', '--max-time', '20', '-u', 'joe:wrong', 'pop3://127.0.0.1:%d/1' % s.port])
    check('curl with a wrong password fails', rc != 0, (rc, out, err))

def t_openssl(s):
    fill('joe', MSGS[:2])
    inp = ('USER joe\r\nPASS %s\r\nSTAT\r\nQUIT\r\n' % PASS).encode()
    rc, out, err = run(['openssl', 's_client', '-quiet', '-starttls', 'pop3', '-connect', '127.0.0.1:%d' % s.port,
                        '-CAfile', PKI + '/srv.crt', '-verify_return_error'], inp, 30)
    lines = out.decode('latin-1').split('\r\n')
    check('openssl s_client -starttls pop3: login and STAT inside TLS',
          '+OK 2 %d' % (len(MSGS[0][3]) + len(MSGS[1][3])) in lines, (rc, out[-200:], err[-200:]))

def t_cleartext_policy(strict, allowed):
    # strict: POP3LOOPBACKPLAIN=0 takes the loopback exception away
    c = Raw(strict.port)
    c.line()
    c.send('CAPA\r\n')
    capa = (c.multi() or b'').decode()
    check('no loopback exception: CAPA offers STLS but neither USER nor SASL',
          'STLS' in capa and '\r\nUSER\r\n' not in capa and 'SASL' not in capa, repr(capa))
    r = c.cmd('USER joe')
    check('no loopback exception: USER before TLS: -ERR [AUTH]', r.startswith('-ERR [AUTH]'), r)
    r = c.cmd('AUTH PLAIN AGpvZQBzZWNyZXQ=')
    check('no loopback exception: AUTH before TLS: -ERR [AUTH]', r.startswith('-ERR [AUTH]'), r)
    r = c.cmd('PASS ' + PASS)
    check('no loopback exception: PASS before TLS: -ERR', r.startswith('-ERR'), r)
    r = c.cmd('STLS')
    c.sock = client_ctx().wrap_socket(c.sock, server_hostname=D)
    c.send('CAPA\r\n')
    capa = (c.multi() or b'').decode()
    check('... inside TLS: CAPA offers USER and SASL PLAIN', '\r\nUSER\r\n' in capa and 'SASL PLAIN' in capa, repr(capa))
    fill('joe', MSGS[:1])
    r1, r2 = login(c)
    check('... inside TLS: USER/PASS log in', r2.startswith('+OK 1 messages'), (r1, r2))
    c.cmd('QUIT')
    c.close()
    c = Raw(allowed.port)
    c.line()
    r1, r2 = login(c)
    check('POP3CLEARTEXT: USER/PASS outside TLS even without the loopback exception', r2.startswith('+OK'), (r1, r2))
    c.cmd('QUIT')
    c.close()

def t_bad_input(s):
    c = Raw(s.port)
    c.line()
    r = c.cmd('USER ' + 'u' * 1000)
    check('a 1000-byte user name: -ERR line too long', r.startswith('-ERR') and 'too long' in r, r)
    r = c.cmd('US\0ER joe')
    check('NUL in a command: -ERR', r.startswith('-ERR'), r)
    r = c.cmd('USER jo\0e')
    check('NUL in an argument: -ERR', r.startswith('-ERR'), r)
    r = c.cmd('AUTH PLAIN ' + 'QUFB' * 1250)
    check('AUTH PLAIN with 5000 bytes of base64: -ERR line too long', r.startswith('-ERR') and 'too long' in r, r)
    r = c.cmd('AUTH PLAIN')
    r2 = c.cmd('QUFB' * 1250)
    check('AUTH PLAIN continuation of 5000 bytes: "+ ", then -ERR', r == '+ ' and r2.startswith('-ERR [AUTH]'), (r, r2))
    r = c.cmd('AUTH PLAIN')
    r2 = c.cmd('*')
    check('AUTH PLAIN cancelled with *: -ERR', r == '+ ' and r2.startswith('-ERR'), (r, r2))
    r = c.cmd('AUTH PLAIN not-base64!')
    check('AUTH PLAIN with bad base64: -ERR', r.startswith('-ERR'), r)
    c.send('AUTH\r\n')
    lst = c.multi()
    check('AUTH without a mechanism lists PLAIN', lst == b'+OK\r\nPLAIN\r\n.\r\n', lst)
    r = c.cmd('AUTH CRAM-MD5')
    check('AUTH CRAM-MD5: -ERR', r.startswith('-ERR'), r)
    import base64
    t0 = time.time()
    r = c.cmd('AUTH PLAIN ' + base64.b64encode(b'\0' + b'u' * 1000 + b'\0pw').decode())
    check('AUTH PLAIN with a 1000-byte user name: -ERR [AUTH] after the failure delay',
          r.startswith('-ERR [AUTH]') and time.time() - t0 >= 1.9, (r, time.time() - t0))
    r = c.cmd('NOOP')
    check('the session survives all that', r.startswith('+OK'), r)
    c.close()
    c = Raw(s.port)
    c.line()
    c.send('USER ' + 'x' * 100000 + '\r\nNOOP\r\n')
    r = c.line(); r2 = c.line()
    check('100 kB without a line end: -ERR line too long, then the next command', 'too long' in r and r2.startswith('+OK'), (r, r2))
    c.close()
    # too many errors: the connection is closed
    c = Raw(s.port)
    c.line()
    c.send('BOGUS\r\n' * 20)        # no more: unread input would turn the close into a reset
    got = []
    while True:
        l = c.line(5)
        if l.startswith('<'): break
        got.append(l)
    check('20 bad commands: "-ERR too many errors" and the end', got and got[-1] == '-ERR too many errors' and len(got) == 21, got[-3:])
    c.close()

CODES = [(1, '-ERR [SYS/PERM] error in server configuration'), (2, '-ERR [SYS/TEMP] unable to contact authorization server'),
         (3, '-ERR [AUTH] authorization failed'), (4, '-ERR [SYS/PERM] account disabled'),
         (5, '-ERR [SYS/TEMP] mailhost is unreachable'), (6, '-ERR [SYS/PERM] mailbox is corrupted'),
         (7, '-ERR [SYS/TEMP] unable to start subprogram'), (8, '-ERR [SYS/TEMP] out of memory'),
         (25, '-ERR [SYS/PERM] user record incorrect'), (61, '-ERR [SYS/TEMP] mailbox could not be created'),
         (62, '-ERR [SYS/PERM] the users mailbox does not exist'), (111, '-ERR [SYS/TEMP] temporary error'),
         (99, '-ERR [SYS/TEMP] temporary error')]

def t_exitcode(s, code, text):
    c = Raw(s.port)
    c.line()
    t0 = time.time()
    r1, r2 = login(c, 'joe', 'exit%d' % code)
    dt = time.time() - t0
    check('chain exit %d: "%s" after >= 2 s, then the end' % (code, text), r2 == text and dt >= 1.9 and c.closed(),
          (r2, dt))
    c.close()

def t_failures(s):
    res = {}
    def attempt(key, user, pw):
        c = Raw(s.port)
        c.line()
        t0 = time.time()
        res[key] = (login(c, user, pw)[1], time.time() - t0)
        c.close()
    parallel(*[lambda k=k, u=u, p=p: attempt(k, u, p) for k, u, p in
               (('unknown', 'nobody-here', PASS), ('wrong', 'joe', 'wrong'), ('crash', 'joe', 'crash'))])
    (ru, tu), (rw, tw) = res['unknown'], res['wrong']
    check('unknown user and wrong password: the same answer, the same delay (no oracle)',
          ru == rw == '-ERR [AUTH] authorization failed' and abs(tu - tw) < 1.0 and tu >= 1.9 and tw >= 1.9, res)
    check('the chain killed by a signal: -ERR [SYS/TEMP] aack, child crashed', res['crash'][0] == '-ERR [SYS/TEMP] aack, child crashed',
          res['crash'])
    log = s.logtext()
    check('log: the failure with address, user and reason',
          re.search(r'qmail-popup: 127\.0\.0\.1: joe: \[AUTH\] authorization failed \(exit 3\)', log) and
          re.search(r'qmail-popup: 127\.0\.0\.1: nobody-here: \[AUTH\] authorization failed \(exit 3\)', log), log[-400:])
    recs = [l for l in open(STUBLOG).read().splitlines() if l.startswith('joe|wrong|')]
    check('fd 3 carries user\\0password\\0timestamp\\0, the chain starts as root',
          recs and re.fullmatch(r'joe\|wrong\|<\d+\.\d+@' + re.escape(D) + r'>\|0\|3', recs[-1]), recs)

def t_privileges(s):
    fill('joe', MSGS[:1])
    def procs(exe):
        out = []
        for p in glob.glob('/proc/[0-9]*'):
            try:
                if os.readlink(p + '/exe') == exe:
                    st = open(p + '/status').read()
                    out.append(int(re.search(r'^Uid:\s+(\d+)\s+(\d+)', st, re.M).group(2)))
            except (OSError, AttributeError): pass
        return sorted(out)
    c = Raw(s.port)
    c.line()
    before = procs(POPUP)
    check('before login: qmail-popup as root (the root half) and as qmaild (the network half)',
          before == sorted([0, QMAILD]), before)
    login(c)
    after, pop3d = procs(POPUP), procs(POP3D)
    check('after login: no qmail-popup runs as root any more', after == [QMAILD, QMAILD], after)
    check('qmail-pop3d runs as the mailbox owner', pop3d == [uid('joe')], pop3d)
    c.cmd('QUIT')
    c.close()
    t = Raw(POP3S.port, tls=True)
    t.line()
    login(t)
    after = procs(POPUP)
    check('TLS session: the relay runs as qmaild, nothing as root', after == [QMAILD, QMAILD], after)
    t.cmd('QUIT')
    t.close()

def t_big(s):
    md = maildir('big')
    n = 10000
    total = 0
    for i in range(n):
        size = 1000 + i
        total += size
        sub = 'cur' if i % 2 else 'new'
        p = '%s/%s/%d.M%dP1.%s,S=%d%s' % (md, sub, 1700000000 + i, i, D, size, ':2,' if sub == 'cur' else '')
        fd = os.open(p, os.O_WRONLY | os.O_CREAT, 0)
        os.write(fd, b'x' * 10)                     # the body: not what the name says, and unreadable
        os.close(fd)
        os.chown(p, uid('big'), uid('big'))
    c = Raw(s.port)
    c.line()
    c.cmd('USER big')
    t0 = time.time()
    r = c.cmd('PASS ' + PASS, 30)
    r2 = c.cmd('STAT', 30)
    dt = time.time() - t0
    check('10000 messages: login and STAT within 2 s (%.2f s)' % dt, r2 == '+OK %d %d' % (n, total) and dt < 2, (r, r2, dt))
    t0 = time.time()
    c.send('LIST\r\n')
    lst = c.multi(30) or b''
    c.send('UIDL\r\n')
    ul = c.multi(30) or b''
    dt = time.time() - t0
    check('10000 messages: LIST and UIDL complete (%.2f s)' % dt, lst.count(b'\r\n') == n + 2 and ul.count(b'\r\n') == n + 2
          and lst.split(b'\r\n')[1] == b'1 1000', (lst[:80], dt))
    r = c.cmd('RETR 1')
    check('the bodies are unreadable (mode 000): RETR says so, so STAT and LIST never read them',
          r == '-ERR unable to open that message', r)
    c.cmd('QUIT')
    c.closed()
    c.close()
    check('... and they are all still there', len(glob.glob(md + '/cur/*')) == n, len(glob.glob(md + '/cur/*')))

def t_timeout(s):
    c = Raw(s.port)
    c.line()
    t0 = time.time()
    r = c.line(15)
    dt = time.time() - t0
    check('POP3TIMEOUT=2: "-ERR disconnected for inactivity" after about 2 s', r.startswith('-ERR') and 1.5 < dt < 6 and c.closed(),
          (r, dt))
    c.close()
    fill('joe', MSGS[:1])
    c = Raw(POP3S_T.port, tls=True)
    c.line()
    login(c)
    t0 = time.time()
    r = c.line(15)
    dt = time.time() - t0
    check('POP3S, logged in, POP3TIMEOUT=2: qmail-pop3d or the relay ends the session', 1.5 < dt < 8, (r, dt))
    c.close()

# ------------------------------------------------------------ main
PLAIN = Server({})
POP3S = Server({'POP3S': '1'})
STRICT = Server({'POP3LOOPBACKPLAIN': '0'})
CLEAR = Server({'POP3LOOPBACKPLAIN': '0', 'POP3CLEARTEXT': '1'})
SHORT = Server({'POP3TIMEOUT': '2'})
POP3S_T = Server({'POP3S': '1', 'POP3TIMEOUT': '2'})
try:
    for f, a in ((t_greeting_capa, PLAIN), (t_session, PLAIN), (t_rset_abort, PLAIN), (t_pipelining, PLAIN),
                 (t_stls, PLAIN), (t_stls_injection, PLAIN), (t_pop3s, POP3S), (t_curl, PLAIN), (t_openssl, PLAIN),
                 (t_bad_input, PLAIN), (t_privileges, PLAIN), (t_big, PLAIN)):
        guarded(f, a)
    guarded(t_cleartext_policy, STRICT, CLEAR)
    parallel(lambda: t_failures(PLAIN), lambda: t_timeout(SHORT),
             *[lambda c=c, t=t: t_exitcode(PLAIN, c, t) for c, t in CODES])
finally:
    for x in (PLAIN, POP3S, STRICT, CLEAR, SHORT, POP3S_T): x.stop()
sys.exit(1 if FAILED else 0)
