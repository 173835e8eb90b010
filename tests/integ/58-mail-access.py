# The harness of 58-mail-access.sh (run by it; prints ok / not ok lines).
# Environment from the shell script: QH T PKI D H LD LPORT top
# PW_SCHEME_USERS and the sanitizer options. The qmail instance runs
# (qmail-start); here: qmail-smtpd as qmaild under tcpserver (mail comes
# in over SMTP), and as root under tcpserver, as the run scripts start
# them (boot/qmail-pop3d, qmail-pop3sd, qmail-imapd, qmail-imapsd):
#   qmail-popup D QH/bin/auth_pop QH/bin/qmail-pop3d ./Maildir/
#   qmail-imaplogin QH/bin/auth_imap doveconf -c control/dovecot-imap.conf -e /usr/lib/dovecot/imap ./Maildir/
# each server's stderr (qmail-popup, auth_pop, qmail-pop3d; qmail-imaplogin,
# auth_imap, Dovecot) going to its own log file, as multilog would get it.
import base64, glob, imaplib, os, poplib, pwd, re, smtplib, socket, ssl, subprocess, sys, threading, time

QH = os.environ['QH']; T = os.environ['T']; PKI = os.environ['PKI']; D = os.environ['D']
H = os.environ['H']; LD = os.environ['LD']; LPORT = os.environ['LPORT']; TOP = os.environ['top']
SCHEMES = os.environ['PW_SCHEME_USERS'].split()
BIN = QH + '/bin/'
CONF = QH + '/control/dovecot-imap.conf'
FAILED = 0
LOCK = threading.Lock()
QMAILD = pwd.getpwnam('qmaild').pw_uid
IDS = dict((l.split()[0], int(l.split()[1])) for l in open(T + '/luids'))
PWIDS = [int(x) for x in open(T + '/pwuids').read().split()]
IDS['pwuser'], IDS['pwnobox'] = PWIDS
HOMES = dict((u, H + '/' + u) for u in IDS)
HOMES['pwuser'] = T + '/pw/pwuser'
HOMES['pwnobox'] = T + '/pw/pwnobox'
CRASH = re.compile(r'AddressSanitizer|runtime error|crashed|Segmentation|Fatal|Panic|signal \d+\)')

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

def pw(u):
    """the password 58-mail-access.sh gave u (its pw function)"""
    ck = subprocess.run(['cksum'], input=u.encode(), capture_output=True).stdout.split()[0].decode()
    return 'Pw %s-%s"x' % (u, ck)

def maildir(u): return HOMES[u] + '/Maildir'

BASEENV = {'PATH': QH + '/bin:/usr/local/bin:/usr/bin:/bin', 'POP3_LOGLEVEL': '2'}
for k in ('ASAN_OPTIONS', 'UBSAN_OPTIONS'):
    if k in os.environ: BASEENV[k] = os.environ[k]

def freeport():
    s = socket.socket(); s.bind(('127.0.0.1', 0)); p = s.getsockname()[1]; s.close(); return p

class Server:
    def __init__(self, name, argv, env=None, user=None):
        self.port = freeport()
        e = dict(BASEENV); e.update(env or {})
        self.logname = '%s/%s.log' % (T, name)
        self.log = open(self.logname, 'a')
        ids = ['-u', str(user[0]), '-g', str(user[1])] if user else []
        self.p = subprocess.Popen(['tcpserver', '-v', '-R', '-H', '-l', D, '-c', '40'] + ids +
                                  ['127.0.0.1', str(self.port)] + argv, env=e, cwd='/',
                                  stdout=self.log, stderr=self.log, stdin=subprocess.DEVNULL)
        end = time.time() + 10
        while time.time() < end:
            try:
                socket.create_connection(('127.0.0.1', self.port), 1).close(); return
            except OSError: time.sleep(0.05)
        raise RuntimeError('tcpserver did not start for ' + name)
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
    """a byte-level POP3 or IMAP session"""
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
    def line(self, timeout=15):
        try:
            while b'\r\n' not in self.buf: self._fill(timeout)
        except (EOFError, TimeoutError) as e:
            return '<%s>' % e
        l, self.buf = self.buf.split(b'\r\n', 1)
        return l.decode('latin-1')
    def multi(self, timeout=15):
        """the raw bytes of a POP3 multi-line answer up to and including .CRLF"""
        try:
            while b'\r\n.\r\n' not in b'\r\n' + self.buf: self._fill(timeout)
        except (EOFError, TimeoutError):
            return None
        i = (b'\r\n' + self.buf).index(b'\r\n.\r\n')
        body, self.buf = self.buf[:i + 3], self.buf[i + 3:]
        return body
    def cmd(self, c, timeout=15):
        self.send(c + '\r\n'); return self.line(timeout)
    def upto(self, tag, timeout=15):
        """IMAP: lines up to and including the one tagged tag (or an error marker)"""
        out = []
        while True:
            l = self.line(timeout)
            out.append(l)
            if l.startswith(tag + ' ') or l.startswith('<'): return out
    def icmd(self, tag, text, timeout=15):
        self.send('%s %s\r\n' % (tag, text)); return self.upto(tag, timeout)
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

def q(s):
    """an IMAP quoted string"""
    return '"' + s.replace('\\', '\\\\').replace('"', '\\"') + '"'

def run(argv, inp=b'', timeout=60):
    try:
        p = subprocess.run(argv, input=inp, capture_output=True, timeout=timeout)
        return p.returncode, p.stdout, p.stderr.decode('utf-8', 'replace')
    except subprocess.TimeoutExpired as e:
        return -1, b'', 'timeout: %r' % e

def guarded(f, *a):
    try: f(*a)
    except Exception as e:
        import traceback
        notok(getattr(f, '__name__', 'test'), 'exception %r at %s' % (e, traceback.format_exc().strip().splitlines()[-3:]))

def parallel(*fns):
    th = [threading.Thread(target=guarded, args=(f,)) for f in fns]
    for t in th: t.start()
    for t in th: t.join()

def wait_for(cond, timeout=30):
    end = time.time() + timeout
    while time.time() < end:
        if cond(): return True
        time.sleep(0.05)
    return cond()

# ------------------------------------------------------------ mailboxes

def files(u):
    md = maildir(u)
    return sorted(os.path.relpath(p, md) for p in glob.glob(md + '/new/*') + glob.glob(md + '/cur/*'))

def content(u, rel): return open(maildir(u) + '/' + rel, 'rb').read()

def maildirsize_sum(u):
    lines = open(maildir(u) + '/maildirsize').read().splitlines()
    s = c = 0
    for l in lines[1:]:
        a, b = l.split(); s += int(a); c += int(b)
    return s, c

def recount(u):
    s = c = 0
    for f in files(u):
        m = re.search(r',S=(\d+)', f)
        s += int(m.group(1)) if m else os.path.getsize(maildir(u) + '/' + f); c += 1
    return s, c

def real_sizes_match(u):
    """every S= in a name is the file's size (what the quota is made of)"""
    for f in files(u):
        m = re.search(r',S=(\d+)', f)
        if m and int(m.group(1)) != os.path.getsize(maildir(u) + '/' + f): return False
    return True

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

def crlf(data):
    return data.replace(b'\r\n', b'\n').replace(b'\n', b'\r\n')

# ------------------------------------------------------------ processes

def ppids():
    m = {}
    for p in glob.glob('/proc/[0-9]*/stat'):
        try:
            st = open(p).read()
            m[int(p.split('/')[2])] = int(st[st.rindex(')') + 2:].split()[1])
        except (OSError, ValueError): pass
    return m

def descendants(root):
    m = ppids()
    out, todo = [], [root]
    while todo:
        x = todo.pop()
        for pid, pp in m.items():
            if pp == x: out.append(pid); todo.append(pid)
    return out

def pinfo(pid):
    """(exe, [uids], [gids], [groups]) of a process, or None"""
    try:
        exe = os.readlink('/proc/%d/exe' % pid)
        st = open('/proc/%d/status' % pid).read()
    except OSError: return None
    g = lambda k: [int(x) for x in re.search(r'^%s:\s*(.*)$' % k, st, re.M).group(1).split()]
    return exe, g('Uid'), g('Gid'), g('Groups')

# ------------------------------------------------------------ the servers
POPCHAIN = [BIN + 'qmail-popup', D, BIN + 'auth_pop', BIN + 'qmail-pop3d', './Maildir/']
IMAPCHAIN = [BIN + 'qmail-imaplogin', BIN + 'auth_imap', 'doveconf', '-c', CONF, '-e', '/usr/lib/dovecot/imap', './Maildir/']
QD = pwd.getpwnam('qmaild')
SMTP = Server('smtpd', [BIN + 'qmail-smtpd'], user=(QD.pw_uid, QD.pw_gid))
POP = Server('pop3d', POPCHAIN)
POPS = Server('pop3sd', POPCHAIN, {'POP3S': '1'})
IMAP = Server('imapd', IMAPCHAIN)
IMAPS = Server('imapsd', IMAPCHAIN, {'IMAPS': '1'})
SERVERS = (SMTP, POP, POPS, IMAP, IMAPS)

# ------------------------------------------------------------ delivery over SMTP
def message(u, n):
    body = (b'From: Sender <sender@example.org>\r\nTo: %s@%s\r\nSubject: access %s %d\r\n'
            b'Message-ID: <%d.%s@example.org>\r\n\r\n' % (u.encode(), D.encode(), u.encode(), n, n, u.encode()))
    body += b'Hello %s,\r\n.a line that starts with a dot\r\n..two dots\r\n.\r\n' % u.encode()
    body += b'trailing blanks   \r\n\tand a tab\r\ncaf\xc3\xa9 (8 bits)\r\n' + b'x' * 900 + b'\r\n'
    body += b''.join(b'line %04d of message %d\r\n' % (i, n) for i in range(300)) + b'-- \r\nthe end\r\n'
    return body

SENT = {}   # (user, n) -> the message as sent
PLAN = [(u, 1) for u in SCHEMES] + [('popdel', n) for n in (1, 2, 3)] + [('imapdel', n) for n in (1, 2, 3)] + \
       [('tools', 1), ('tools', 2), ('privs', 1), ('pwuser', 1), ('downuser', 1)]

def delivered(u, n):
    want = b'Subject: access %s %d\n' % (u.encode(), n)
    for f in files(u):
        if want in content(u, f): return f
    return None

def t_deliver():
    s = smtplib.SMTP('127.0.0.1', SMTP.port, timeout=30, local_hostname='client.example.org')
    refused = []
    for u, n in PLAN:
        SENT[(u, n)] = message(u, n)
        try: s.sendmail('sender@example.org', ['%s@%s' % (u, D)], SENT[(u, n)])
        except smtplib.SMTPException as e: refused.append((u, n, repr(e)))
    s.quit()
    check('SMTP: qmail-smtpd accepts %d messages for %d users' % (len(PLAN), len(set(u for u, n in PLAN))), not refused, refused)
    missing = [k for k in PLAN if not wait_for(lambda k=k: delivered(*k), 60)]
    check('every message is delivered through the directory into its user\'s Maildir/new', not missing, missing)
    f = delivered('ssha', 1)
    data = content('ssha', f) if f else b''
    check('the delivered file is the message as sent (LF line ends, dots unstuffed) behind the fields delivery adds',
          data.endswith(SENT[('ssha', 1)].replace(b'\r\n', b'\n')) and data.startswith(b'Return-Path: <sender@example.org>\n'),
          data[:300])
    check('maildirsize written by delivery agrees with the files (popdel: quota from the directory)',
          os.path.exists(maildir('popdel') + '/maildirsize') and maildirsize_sum('popdel') == recount('popdel'),
          open(maildir('popdel') + '/maildirsize').read() if os.path.exists(maildir('popdel') + '/maildirsize') else 'none')

# ------------------------------------------------------------ POP3: reading and deleting

def t_pop_read():
    f = delivered('ssha', 1)
    data = content('ssha', f)
    p = poplib.POP3('127.0.0.1', POP.port, timeout=20)
    p.stls(client_ctx())
    caps = p.capa()
    check('POP3 110: STLS (poplib stls(), certificate verified); CAPA inside TLS: USER, no STLS',
          'USER' in caps and 'STLS' not in caps, caps)
    p.user('ssha')
    r = p.pass_(pw('ssha'))
    check('POP3 STLS: USER/PASS as ssha ({SSHA}): +OK from qmail-pop3d', r.startswith(b'+OK 1 messages'), r)
    st = p.stat()
    check('POP3: STAT counts the delivered message and its size', st == (1, len(data)), (st, len(data)))
    c = p._shortcmd('RETR 1')   # the raw multi-line answer, for a byte-exact comparison
    raw = b''
    while not raw.endswith(b'\r\n.\r\n'):
        chunk = p.file.readline()
        if not chunk: break
        raw += chunk
    check('POP3 RETR 1: "+OK %d octets", the delivered file byte-exact (CRLF, dot-stuffed)' % len(data),
          c == b'+OK %d octets' % len(data) and raw == wire(data), (c, raw[:200], len(raw), len(wire(data))))
    resp, lines, octets = p.top(1, 2)
    hdr = data.split(b'\n\n', 1)[0].split(b'\n')
    check('POP3 TOP 1 2: the header, the blank line, two body lines (poplib unstuffs the dot)',
          lines == hdr + [b'', b'Hello ssha,', b'.a line that starts with a dot'], lines[-4:])
    uidl = p.uidl(1)
    check('POP3 UIDL 1: the file name up to its flags', uidl.split()[-1].decode() == os.path.basename(f).split(':')[0], (uidl, f))
    p.quit()
    after = files('ssha')
    check('QUIT without DELE: the message stays, moved to cur/ and flagged seen',
          len(after) == 1 and after[0].startswith('cur/') and after[0].endswith(':2,S'), after)

def t_pop_dele():
    before = files('popdel')
    sizes = maildirsize_sum('popdel')
    p = poplib.POP3_SSL('127.0.0.1', POPS.port, context=client_ctx(), timeout=20)
    g = p.getwelcome()
    check('POP3S 995: TLS first (POP3_SSL, verified), then the greeting', g.startswith(b'+OK <') and D.encode() in g, g)
    p.user('popdel')
    p.pass_(pw('popdel'))
    st = p.stat()
    check('POP3S: 3 messages', st[0] == 3, st)
    resp, lines, octets = p.retr(2)
    subj = [l for l in lines if l.startswith(b'Subject: access popdel ')]
    check('POP3S RETR 2: one of the three', len(subj) == 1, lines[:8])
    p.dele(1)
    p.dele(3)
    p.quit()
    after = files('popdel')
    check('DELE 1, DELE 3, QUIT: two files gone, the one retrieved kept (in cur/, seen)',
          len(before) == 3 and len(after) == 1 and subj and subj[0] + b'\n' in content('popdel', after[0]) and
          after[0].startswith('cur/') and after[0].endswith(':2,S'), (before, after))
    check('maildirsize after QUIT agrees with the files (sum of its lines = recount)',
          maildirsize_sum('popdel') == recount('popdel') and maildirsize_sum('popdel') != sizes,
          (open(maildir('popdel') + '/maildirsize').read(), recount('popdel')))
    check('the S= of every name is the file\'s size', real_sizes_match('popdel'), files('popdel'))

# ------------------------------------------------------------ IMAP: reading and expunging

def t_imap_read():
    fs = files('imapdel')
    first = [f for f in fs if b'Subject: access imapdel 1\n' in content('imapdel', f)][0]
    data = content('imapdel', first)
    m = imaplib.IMAP4('127.0.0.1', IMAP.port, timeout=20)
    m.starttls(ssl_context=client_ctx())
    typ, caps = m.capability()
    check('IMAP 143: STARTTLS (imaplib starttls(), verified); CAPABILITY inside TLS without STARTTLS, with AUTH=PLAIN',
          typ == 'OK' and b'STARTTLS' not in caps[0] and b'AUTH=PLAIN' in caps[0], caps)
    typ, d = m.login('imapdel', pw('imapdel'))
    check('IMAP STARTTLS: LOGIN as imapdel: OK ... Logged in (from Dovecot)', typ == 'OK' and b'Logged in' in d[0], (typ, d))
    typ, d = m.select('INBOX')
    check('IMAP SELECT INBOX: the 3 delivered messages', typ == 'OK' and d == [b'3'], (typ, d))
    typ, d = m.uid('SEARCH', None, 'HEADER', 'Subject', '"access imapdel 1"')
    u1 = d[0].split()[0] if typ == 'OK' and d[0] else b'0'
    typ, d = m.uid('FETCH', u1, '(BODY.PEEK[] RFC822.SIZE)')
    got = d[0][1] if typ == 'OK' and d and isinstance(d[0], tuple) else b''
    check('IMAP FETCH BODY.PEEK[]: the delivered file byte-exact (CRLF line ends)', got == crlf(data),
          (typ, got[:200], len(got), len(crlf(data))))
    typ, d = m.uid('FETCH', u1, '(BODY.PEEK[HEADER.FIELDS (SUBJECT)])')
    subj = d[0][1] if typ == 'OK' and d and isinstance(d[0], tuple) else b''
    check('IMAP FETCH the subject', subj.strip() == b'Subject: access imapdel 1', subj)
    typ, d = m.uid('STORE', u1, '+FLAGS', r'(\Deleted)')
    typ2, d2 = m.expunge()
    check('IMAP STORE \\Deleted, EXPUNGE', typ == 'OK' and typ2 == 'OK', (typ, d, typ2, d2))
    m.logout()
    after = files('imapdel')
    check('after EXPUNGE: the file is gone, the other two are kept',
          len(after) == 2 and not any(first.split('/')[1].split(':')[0] in a for a in after), (fs, after))
    check('maildirsize after EXPUNGE (Dovecot\'s Maildir++ quota) agrees with the files',
          os.path.exists(maildir('imapdel') + '/maildirsize') and maildirsize_sum('imapdel') == recount('imapdel'),
          (open(maildir('imapdel') + '/maildirsize').read() if os.path.exists(maildir('imapdel') + '/maildirsize') else None,
           recount('imapdel')))
    m = imaplib.IMAP4_SSL('127.0.0.1', IMAPS.port, ssl_context=client_ctx(), timeout=20)
    typ, d = m.login('imapdel', pw('imapdel'))
    typ2, d2 = m.select('INBOX', readonly=True)
    check('IMAPS 993 (IMAP4_SSL, verified): LOGIN, EXAMINE INBOX: 2 left', typ == 'OK' and d2 == [b'2'], (typ, d, typ2, d2))
    m.logout()
    check('files in the Maildir all belong to the user (Dovecot ran as imapdel)',
          all(os.stat(os.path.join(dp, x)).st_uid == IDS['imapdel'] for dp, dn, fn in os.walk(maildir('imapdel')) for x in dn + fn),
          [(os.path.join(dp, x), os.stat(os.path.join(dp, x)).st_uid) for dp, dn, fn in os.walk(maildir('imapdel')) for x in fn][:5])

# ------------------------------------------------------------ every scheme, right and wrong

def pop_login(port, user, password, tls=False):
    """(USER reply, PASS reply, seconds the PASS took) on a fresh connection"""
    c = Raw(port, tls)
    c.line()
    r1 = c.cmd('USER ' + user)
    t0 = time.time()
    r2 = c.cmd('PASS ' + password)
    dt = time.time() - t0
    if r2.startswith('+OK'): c.cmd('QUIT')
    c.close()
    return r1, r2, dt

def imap_login(port, user, password, tls=False, tag='a1'):
    """(the tagged answer, seconds) of LOGIN on a fresh connection"""
    c = Raw(port, tls)
    c.line()
    t0 = time.time()
    r = c.icmd(tag, 'LOGIN %s %s' % (q(user), q(password)), 20)
    dt = time.time() - t0
    if r[-1].startswith(tag + ' OK'): c.icmd('z', 'LOGOUT')
    c.close()
    return r[-1], dt

def scheme_tests(mode):
    def one(u):
        r1, r2, dt = pop_login(POP.port, u, pw(u))
        check('%s: POP3 %s with the right password: +OK 1 messages' % (mode, u), r2.startswith('+OK 1 messages'), (r1, r2))
        r1, r2, dt = pop_login(POP.port, u, pw(u) + 'x')
        check('%s: POP3 %s with a wrong password: -ERR [AUTH] authorization failed, after >= 2 s' % (mode, u),
              r2 == '-ERR [AUTH] authorization failed' and dt >= 1.9, (r2, dt))
        r, dt = imap_login(IMAP.port, u, pw(u))
        check('%s: IMAP %s with the right password: OK Logged in' % (mode, u), r.startswith('a1 OK') and 'Logged in' in r, r)
        r, dt = imap_login(IMAP.port, u, 'X' + pw(u))
        check('%s: IMAP %s with a wrong password: NO [AUTHENTICATIONFAILED], after >= 2 s' % (mode, u),
              r == 'a1 NO [AUTHENTICATIONFAILED] Authentication failed.' and dt >= 1.9, (r, dt))
    return [lambda u=u: one(u) for u in (SCHEMES if mode == 'compare' else [u for u in SCHEMES if u != 'ssha512'])]

def t_passwd_user():
    r1, r2, dt = pop_login(POP.port, 'pwuser', pw('pwuser'))
    check('passwd user (shadow $6$, ldaplocaldelivery 1): POP3 login, its delivered message', r2.startswith('+OK 1 messages'), r2)
    r1, r2, dt = pop_login(POP.port, 'pwuser', pw('pwuser') + 'x')
    check('passwd user, wrong password: -ERR [AUTH] authorization failed', r2 == '-ERR [AUTH] authorization failed', r2)
    r, dt = imap_login(IMAPS.port, 'pwuser', pw('pwuser'), tls=True)
    check('passwd user: IMAPS login', r.startswith('a1 OK'), r)

# ------------------------------------------------------------ every exit code a client can provoke

POPCODES = [   # (name, user, password, the reply)
    ('wrong password (3)', 'yescrypt', 'wrong', '-ERR [AUTH] authorization failed'),
    ('unknown user (3)', 'nosuchuser58', 'wrong', '-ERR [AUTH] authorization failed'),
    ('accountStatus disabled, right password (4)', 'dis', None, '-ERR [SYS/PERM] account disabled'),
    ('accountStatus disabled, wrong password (3: nothing told)', 'dis', 'wrong', '-ERR [AUTH] authorization failed'),
    ('accountStatus nopop, right password (4)', 'nopop', None, '-ERR [SYS/PERM] account disabled'),
    ('two uid values: broken entry (25)', 'multiuid', None, '-ERR [SYS/PERM] user record incorrect'),
    ('home cannot be made (61)', 'rohome', None, '-ERR [SYS/TEMP] mailbox could not be created'),
    ('passwd user without a Maildir (62)', 'pwnobox', None, '-ERR [SYS/PERM] the users mailbox does not exist'),
    ('home is a file (6)', 'homefile', None, '-ERR [SYS/PERM] mailbox is corrupted'),
    ('mailHost elsewhere, ldapcluster 1 (5)', 'away', None, '-ERR [SYS/TEMP] mailhost is unreachable'),
    ('two entries with one uid (111)', 'dup', None, '-ERR [SYS/TEMP] temporary error'),
]
IMAPCODES = {
    '-ERR [AUTH] authorization failed': 'NO [AUTHENTICATIONFAILED] Authentication failed.',
    '-ERR [SYS/PERM] account disabled': 'NO [CONTACTADMIN] Account disabled.',
    '-ERR [SYS/PERM] user record incorrect': 'NO [CONTACTADMIN] User record incorrect.',
    '-ERR [SYS/TEMP] mailbox could not be created': 'NO [UNAVAILABLE] The mailbox could not be created, try again later.',
    '-ERR [SYS/PERM] the users mailbox does not exist': 'NO [CONTACTADMIN] The mailbox does not exist.',
    '-ERR [SYS/PERM] mailbox is corrupted': 'NO [CONTACTADMIN] The mailbox is corrupted.',
    '-ERR [SYS/TEMP] mailhost is unreachable': 'NO [UNAVAILABLE] The mailhost is unreachable, try again later.',
    '-ERR [SYS/TEMP] temporary error': 'NO [UNAVAILABLE] Temporary failure, try again later.',
}

def code_tests():
    def popone(name, user, password, want):
        c = Raw(POP.port)
        c.line()
        c.cmd('USER ' + user)
        t0 = time.time()
        r = c.cmd('PASS ' + (password or pw(user)))
        dt = time.time() - t0
        check('POP3 %s: "%s" after >= 2 s, then the end' % (name, want), r == want and dt >= 1.9 and c.closed(), (r, dt))
        c.close()
    def imapone(name, user, password, want):
        w = IMAPCODES[want]
        r, dt = imap_login(IMAP.port, user, password or pw(user))
        check('IMAP %s: "%s" after >= 2 s' % (name, w), r == 'a1 ' + w and dt >= 1.9, (r, dt))
    return [lambda a=a: popone(*a) for a in POPCODES] + [lambda a=a: imapone(*a) for a in POPCODES]

def t_oracle():
    """unknown user and wrong password: the same text, answered at the same
    time (an unknown user costs a dummy yescrypt, a wrong {SSHA} password one
    SHA-1: the front ends answer 2 s after the hand-over, not after the check)"""
    got = {'pop': [], 'imap': []}
    for rnd in range(3):
        res = {}
        def pop(k, u, p): res['pop ' + k] = pop_login(POP.port, u, p)[1:]
        def imap(k, u, p): res['imap ' + k] = imap_login(IMAP.port, u, p)
        parallel(lambda: pop('unknown', 'nosuchuser58', 'x' + pw('ssha')), lambda: pop('wrong', 'ssha', 'x' + pw('ssha')),
                 lambda: imap('unknown', 'nosuchuser58', 'x' + pw('ssha')), lambda: imap('wrong', 'ssha', 'x' + pw('ssha')))
        for k in ('pop', 'imap'):
            got[k].append((res[k + ' unknown'], res[k + ' wrong']))
    for k, want in (('pop', '-ERR [AUTH] authorization failed'), ('imap', 'a1 NO [AUTHENTICATIONFAILED] Authentication failed.')):
        texts = set(r[0] for pair in got[k] for r in pair)
        diffs = sorted(u[1] - w[1] for u, w in got[k])
        times = [round(r[1], 2) for pair in got[k] for r in pair]
        check('%s: unknown user and wrong password ({SSHA}): the same answer, at the same time '
              '(median difference %.3f s of 3 rounds, all >= 2 s)' % ({'pop': 'POP3', 'imap': 'IMAP'}[k], diffs[1]),
              texts == {want} and abs(diffs[1]) < 0.25 and min(times) >= 1.9, (texts, diffs, times))

# ------------------------------------------------------------ hostile logins

HOSTILE = ['*', 'ss*', '*)(uid=*', 'ssha)(uid=*', 'ssha)(|(uid=*', '\\2a', '\\', '(uid=ssha)', 'ssha*', '*ssha', 'ss\\68a']

def hostile_tests():
    good = pw('ssha')
    def pophostile(login):
        r1, r2, dt = pop_login(POP.port, login, good)
        check('POP3 login %r with ssha\'s password: -ERR [AUTH] authorization failed (matches nothing)' % login,
              r1 == '+OK' and r2 == '-ERR [AUTH] authorization failed' and dt >= 1.9, (r1, r2, dt))
    def imaphostile(login):
        r, dt = imap_login(IMAP.port, login, good)
        check('IMAP LOGIN %r with ssha\'s password: NO [AUTHENTICATIONFAILED] (matches nothing)' % login,
              r == 'a1 NO [AUTHENTICATIONFAILED] Authentication failed.', (r, dt))
    def popraw():
        c = Raw(POP.port)
        c.line()
        r = c.cmd('USER ' + 'u' * 1000)
        check('POP3 USER with a 1000-byte name: -ERR line too long, nothing looked up', r.startswith('-ERR') and 'too long' in r, r)
        r = c.cmd('USER ss\0ha')
        check('POP3 USER with a NUL: -ERR', r.startswith('-ERR'), r)
        t0 = time.time()
        r = c.cmd('AUTH PLAIN ' + base64.b64encode(b'\0' + b'u' * 1000 + b'\0' + good.encode()).decode())
        check('POP3 AUTH PLAIN with a 1000-byte name: -ERR [AUTH] authorization failed after the delay',
              r == '-ERR [AUTH] authorization failed' and time.time() - t0 >= 1.9, r)
        r = c.cmd('AUTH PLAIN ' + base64.b64encode(b'\0ss\0ha\0' + good.encode()).decode())
        check('POP3 AUTH PLAIN with a NUL inside the name: -ERR [AUTH]', r.startswith('-ERR [AUTH]'), r)
        r = c.cmd('NOOP')
        check('POP3: the session survives all that', r == '+OK', r)
        c.close()
        # a 250-byte login and a 500-byte password pass qmail-popup's limits
        # and make more than the 512 bytes auth_pop reads from fd 3
        c = Raw(POP.port)
        c.line()
        r = c.cmd('AUTH PLAIN ' + base64.b64encode(b'\0' + b'a' * 250 + b'\0' + b'p' * 500).decode())
        check('POP3 AUTH PLAIN making 800 bytes of fd 3 data: -ERR [AUTH] authorization failed', r == '-ERR [AUTH] authorization failed', r)
        c.close()
        c = Raw(POP.port)
        c.line()
        r = c.cmd('AUTH PLAIN ' + base64.b64encode(b'\0ssha\0' + good.encode() + b'p' * 490).decode())
        check('POP3 AUTH PLAIN as ssha with a 500-byte password (fd 3 over 512 bytes): -ERR [AUTH] authorization failed',
              r == '-ERR [AUTH] authorization failed', r)
        c.close()
    def imapraw():
        c = Raw(IMAP.port)
        c.line()
        c.send('a1 LOGIN {1000}\r\n')
        r = c.line()
        if r.startswith('+'):
            c.send('u' * 1000 + ' ' + q(good) + '\r\n')
            r = c.upto('a1')[-1]
        check('IMAP LOGIN with a 1000-byte literal name: NO [AUTHENTICATIONFAILED] (not handed on)',
              r == 'a1 NO [AUTHENTICATIONFAILED] Authentication failed.', r)
        c.send('a2 LOGIN {5}\r\n')
        r = c.line()
        if r.startswith('+'):
            c.send('ss\0ha ' + q(good) + '\r\n')
            r = c.upto('a2')[-1]
        check('IMAP LOGIN with a NUL in a literal: BAD', r.startswith('a2 BAD'), r)
        r = c.icmd('a3', 'AUTHENTICATE PLAIN ' + base64.b64encode(b'\0' + b'a' * 256 + b'\0' + b'p' * 512).decode(), 20)
        check('IMAP AUTHENTICATE PLAIN with 256 + 512 bytes: NO [AUTHENTICATIONFAILED]',
              r[-1] == 'a3 NO [AUTHENTICATIONFAILED] Authentication failed.', r)
        r = c.icmd('a4', 'NOOP')
        check('IMAP: the session survives all that', r[-1].startswith('a4 OK'), r)
        r = c.icmd('a5', 'LOGIN ssha ' + q(good + 'p' * 600), 20)
        check('IMAP LOGIN with a 600-byte password: NO [AUTHENTICATIONFAILED], the third failure ends the session',
              r[-1] == 'a5 NO [AUTHENTICATIONFAILED] Authentication failed.' and c.line() == '* BYE Too many failed logins.', r)
        c.close()
    return [lambda l=l: pophostile(l) for l in HOSTILE] + [lambda l=l: imaphostile(l) for l in HOSTILE] + [popraw, imapraw]

# ------------------------------------------------------------ logs

def t_logs():
    pl, il = POP.logtext() + POPS.logtext(), IMAP.logtext() + IMAPS.logtext()
    want = [
        (pl, r'qmail-popup: 127\.0\.0\.1: yescrypt: \[AUTH\] authorization failed \(exit 3\)', 'qmail-popup: a failure with address, login, text and code'),
        (pl, r'auth_pop: yescrypt: wrong password from 127\.0\.0\.1', 'auth_pop: wrong password, with the client address'),
        (pl, r'auth_pop: nosuchuser58: no such user from 127\.0\.0\.1', 'auth_pop: no such user (the reason the client is not told)'),
        (pl, r'auth_pop: dis: accountStatus disabled from 127\.0\.0\.1', 'auth_pop: accountStatus disabled'),
        (pl, r'qmail-popup: 127\.0\.0\.1: dis: \[SYS/PERM\] account disabled \(exit 4\)', 'qmail-popup: exit 4'),
        (pl, r'auth_pop: multiuid: user record incorrect: .* from 127\.0\.0\.1', 'auth_pop: user record incorrect'),
        (pl, r'auth_pop: aaaa.*: more than 512 bytes on fd 3 from 127\.0\.0\.1', 'auth_pop: oversized fd 3 data'),
        (pl, r'auth_pop: \*\)\(uid=\*: no such user from 127\.0\.0\.1', 'auth_pop: a filter metacharacter login is no such user'),
        (pl, r'auth_pop: ssha: login ok from 127\.0\.0\.1', 'auth_pop: login ok'),
        (pl, r'qmail-popup: 127\.0\.0\.1: TLS established: TLSv1\.[23] ', 'qmail-popup: TLS established'),
        (pl, r'qmail-pop3d: popdel from 127\.0\.0\.1: logout: retrieved 1 .*deleted 2 ', 'qmail-pop3d: the logout accounting'),
        (il, r'auth_imap: yescrypt: wrong password from 127\.0\.0\.1', 'auth_imap: wrong password, with the client address'),
        (il, r'auth_imap: nosuchuser58: no such user from 127\.0\.0\.1', 'auth_imap: no such user'),
        (il, r'qmail-imaplogin \d+: 127\.0\.0\.1: login failed \(1 of 3\): AUTHFAILCODE 3', 'qmail-imaplogin: the failure with the address and code'),
        (il, r'qmail-imaplogin \d+: 127\.0\.0\.1: login failed \(1 of 3\): AUTHFAILCODE 4', 'qmail-imaplogin: AUTHFAILCODE 4'),
        (il, r'auth_imap: \*\)\(uid=\*: no such user from 127\.0\.0\.1', 'auth_imap: a filter metacharacter login is no such user'),
    ]
    for text, rx, name in want:
        check('log: ' + name, re.search(rx, text), rx)
    check('logs: no password ever', not any(pw(u) in pl + il for u in SCHEMES + ['popdel', 'imapdel', 'dis']), 'a password in a log')
    bad = [l for l in (pl + il).splitlines() if CRASH.search(l)]
    check('logs: nothing crashed (no signal, sanitizer report, Fatal or Panic)', not bad, bad[:3])

# ------------------------------------------------------------ privileges

def t_privileges():
    uid = IDS['privs']
    for name, srv, tls, engine in (('POP3', POP, False, BIN + 'qmail-pop3d'), ('POP3S', POPS, True, BIN + 'qmail-pop3d'),
                                   ('IMAP', IMAP, False, '/usr/lib/dovecot/imap'), ('IMAPS', IMAPS, True, '/usr/lib/dovecot/imap')):
        c = Raw(srv.port, tls)
        c.line()
        if name.startswith('POP'):
            c.cmd('USER privs')
            r = c.cmd('PASS ' + pw('privs'))
            r2 = c.cmd('STAT')
        else:
            r = c.icmd('a1', 'LOGIN privs ' + q(pw('privs')))[-1]
            r2 = c.icmd('a2', 'SELECT INBOX')[-1]
        procs = [x for x in (pinfo(p) for p in descendants(srv.p.pid)) if x]
        eng = [x for x in procs if x[0] == engine]
        check('%s: privs logged in' % name, r.startswith('+OK') or r.startswith('a1 OK'), (r, r2))
        check('%s: %s runs as privs: every uid and gid its, no other group' % (name, os.path.basename(engine)),
              len(eng) == 1 and eng[0][1] == [uid] * 4 and eng[0][2] == [uid] * 4 and eng[0][3] in ([uid], []), procs)
        root = [x for x in procs if 0 in x[1] or 0 in x[2]]
        check('%s: nothing of the session runs as root after the login' % name, not root and procs, procs)
        others = [x for x in procs if x[0] != engine]
        check('%s: the rest (%s) runs as qmaild' % (name, ' '.join(sorted(set(os.path.basename(x[0]) for x in others))) or 'nothing'),
              all(x[1] == [QMAILD] * 4 for x in others) and (others or not tls), others)
        c.close()

# ------------------------------------------------------------ the tools

def t_tools():
    u, p = 'tools', pw('tools')
    both = [crlf(content(u, f)) for f in files(u)]
    rc, out, err = run(['curl', '-sS', '--max-time', '30', '-u', '%s:%s' % (u, p), 'pop3://127.0.0.1:%d/1' % POP.port])
    check('curl pop3:// RETR 1 (cleartext from loopback): a delivered message', rc == 0 and len(both) == 2 and out in both, (rc, out[:100], err))
    rc, out, err = run(['curl', '-sS', '--max-time', '30', '--ssl-reqd', '--cacert', PKI + '/srv.crt', '-u', '%s:%s' % (u, p),
                        '--resolve', '%s:%d:127.0.0.1' % (D, POP.port), 'pop3://%s:%d/' % (D, POP.port)])
    check('curl pop3:// --ssl-reqd (STLS, verified): LIST of 2', rc == 0 and len(out.splitlines()) == 2, (rc, out, err))
    rc, out, err = run(['curl', '-sS', '--max-time', '30', '--cacert', PKI + '/srv.crt', '-u', '%s:%s' % (u, p),
                        '--resolve', '%s:%d:127.0.0.1' % (D, POPS.port), 'pop3s://%s:%d/1' % (D, POPS.port)])
    check('curl pop3s:// (verified): RETR 1', rc == 0 and out in both, (rc, out[:100], err))
    rc, out, err = run(['curl', '-sS', '--max-time', '30', '-u', '%s:wrong' % u, 'pop3s://127.0.0.1:%d/1' % POPS.port, '-k'])
    check('curl pop3s:// with a wrong password fails', rc != 0, (rc, err))
    rc, out, err = run(['curl', '-sS', '--max-time', '30', '-u', '%s:%s' % (u, p), 'imap://127.0.0.1:%d/INBOX;UID=1' % IMAP.port])
    check('curl imap:// (cleartext from loopback): UID 1', rc == 0 and b'Subject: access tools ' in out, (rc, out[:100], err))
    rc, out, err = run(['curl', '-sS', '--max-time', '30', '--ssl-reqd', '--cacert', PKI + '/srv.crt', '-u', '%s:%s' % (u, p),
                        '--resolve', '%s:%d:127.0.0.1' % (D, IMAP.port), 'imap://%s:%d/INBOX;UID=2' % (D, IMAP.port)])
    check('curl imap:// --ssl-reqd (STARTTLS, verified): UID 2', rc == 0 and b'Subject: access tools ' in out, (rc, out[:100], err))
    rc, out, err = run(['curl', '-sS', '--max-time', '30', '--cacert', PKI + '/srv.crt', '-u', '%s:%s' % (u, p),
                        '--resolve', '%s:%d:127.0.0.1' % (D, IMAPS.port), 'imaps://%s:%d/INBOX;UID=1' % (D, IMAPS.port)])
    check('curl imaps:// (verified): UID 1', rc == 0 and b'Subject: access tools ' in out, (rc, out[:100], err))
    rc, out, err = run(['curl', '-sS', '--max-time', '30', '-k', '-u', '%s:wrong' % u, 'imaps://127.0.0.1:%d/INBOX' % IMAPS.port])
    check('curl imaps:// with a wrong password: login denied (67)', rc == 67, (rc, err))
    inp = ('USER %s\r\nPASS %s\r\nSTAT\r\nQUIT\r\n' % (u, p)).encode()
    rc, out, err = run(['openssl', 's_client', '-quiet', '-starttls', 'pop3', '-connect', '127.0.0.1:%d' % POP.port,
                        '-CAfile', PKI + '/srv.crt', '-verify_return_error', '-servername', D], inp)
    check('openssl s_client -starttls pop3: USER/PASS and STAT inside TLS', re.search(rb'^\+OK 2 \d+\r$', out, re.M),
          (rc, out[-200:], err[-200:]))
    inp = ('a LOGIN %s %s\nb SELECT INBOX\nc LOGOUT\n' % (u, q(p))).encode()
    rc, out, err = run(['openssl', 's_client', '-starttls', 'imap', '-connect', '127.0.0.1:%d' % IMAP.port, '-quiet', '-crlf',
                        '-CAfile', PKI + '/srv.crt', '-verify_return_error', '-servername', D], inp)
    text = out.decode('latin-1')
    check('openssl s_client -starttls imap: LOGIN, SELECT (2 EXISTS), LOGOUT',
          re.search(r'^a OK .*Logged in', text, re.M) and '* 2 EXISTS' in text and re.search(r'^c OK', text, re.M),
          (rc, text[-300:], err[-300:]))

# ------------------------------------------------------------ the directory down

def slapd(what):
    # slapd_start's slapd daemonizes: no pipe of ours may stay with it
    return subprocess.run(['sh', '-c', '. "$1/tests/slapd.sh" && slapd_%s "$2" "$3"' % what, 'x', TOP, LD, LPORT],
                          stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                          timeout=60).returncode == 0

def t_down():
    check('slapd stopped', slapd('stop'))
    res = {}
    def p(): res['pop'] = pop_login(POP.port, 'downuser', pw('downuser'))
    def ps(): res['pops'] = pop_login(POPS.port, 'pwuser', pw('pwuser'), tls=True)
    def i(): res['imap'] = imap_login(IMAP.port, 'downuser', pw('downuser'))
    def i2(): res['imaps'] = imap_login(IMAPS.port, 'nosuchuser58', 'x', tls=True)
    parallel(p, ps, i, i2)
    check('directory down: POP3 -ERR [SYS/TEMP] unable to contact authorization server (2)',
          res['pop'][1] == '-ERR [SYS/TEMP] unable to contact authorization server', res['pop'])
    check('directory down: POP3S, even a passwd user: the same temporary error (no passwd fallback)',
          res['pops'][1] == '-ERR [SYS/TEMP] unable to contact authorization server', res['pops'])
    w = 'NO [UNAVAILABLE] Unable to contact the authentication server, try again later.'
    check('directory down: IMAP NO [UNAVAILABLE] (code 2)', res['imap'][0] == 'a1 ' + w, res['imap'])
    check('directory down: IMAPS, an unknown user: NO [UNAVAILABLE] too (never "failed" from a dead directory)',
          res['imaps'][0] == 'a1 ' + w, res['imaps'])
    check('log: auth_pop says why, with the address', re.search(r'auth_pop: downuser: temporary directory failure.* from 127\.0\.0\.1', POP.logtext()),
          POP.logtext()[-300:])
    check('slapd started again', slapd('start'))
    r1, r2, dt = pop_login(POP.port, 'downuser', pw('downuser'))
    check('directory back: POP3 login works again, the message is there', r2.startswith('+OK 1 messages'), r2)
    r, dt = imap_login(IMAP.port, 'downuser', pw('downuser'))
    check('directory back: IMAP login works again', r.startswith('a1 OK'), r)

# ------------------------------------------------------------ main
try:
    guarded(t_deliver)
    parallel(t_pop_read, t_pop_dele, t_imap_read)
    guarded(t_privileges)     # alone: every process under the servers is this session's
    parallel(t_tools, t_passwd_user, *scheme_tests('compare'))
    parallel(*code_tests())
    parallel(*hostile_tests())
    guarded(t_oracle)
    # rebind mode: slapd checks the password ({SSHA} and {CRYPT} via crypt(3))
    with open(QH + '/control/ldaprebind', 'w') as f: f.write('1\n')
    parallel(*scheme_tests('rebind'))
    with open(QH + '/control/ldaprebind', 'w') as f: f.write('0\n')
    guarded(t_logs)
    guarded(t_down)
finally:
    for s in SERVERS: s.stop()
bad = [l for s in SERVERS for l in s.logtext().splitlines() if CRASH.search(l)]
check('no crash in any server log at the end', not bad, bad[:3])
sys.exit(1 if FAILED else 0)
