# The harness of 54-smtpd-tls-auth.sh (run by it; prints ok / not ok lines).
# usage: python3 54-smtpd-tls-auth.py PART   (tls, auth, relay, verify, utf8, real)
# Environment from the shell script: QH T PKI LPORT LD SLOG H and the
# sanitizer options. qmail-smtpd runs as qmaild under tcpserver on
# loopback (or on pipes where the client address must not be 127.0.0.1).
import base64, glob, os, pwd, re, select, signal, socket, ssl, subprocess, sys, threading, time, warnings

QH = os.environ['QH']; T = os.environ['T']; PKI = os.environ['PKI']
LD = os.environ['LD']; SLOG = os.environ['SLOG']; LPORT = os.environ['LPORT']
SMTPD = QH + '/bin/qmail-smtpd'
QQDIR = T + '/qq'
PW = pwd.getpwnam('qmaild')
UID, GID = PW.pw_uid, PW.pw_gid
D = 'testhost.example'
PASS = 'same-Secret-7'          # every directory user's password (so a filter
                                # injection matching any entry would log in)
FAILED = 0
LOCK = threading.Lock()

def ok(name):
    with LOCK: print('ok - ' + name, flush=True)
def notok(name, why):
    global FAILED
    with LOCK:
        FAILED += 1
        print('not ok - %s # %s' % (name, str(why).replace('\n', ' ')[:400]), flush=True)
def check(name, cond, why=''):
    if cond: ok(name)
    else: notok(name, why or 'failed')
def expect(name, got, code, contains=None):
    c, text = got
    if c == code and (contains is None or contains in text): ok(name)
    else: notok(name, 'got %r, want %d%s' % (text, code, ' with %r' % contains if contains else ''))

def ctl(name, *lines):
    p = QH + '/control/' + name
    if not lines:
        try: os.unlink(p)
        except FileNotFoundError: pass
        return
    with open(p, 'w') as f: f.write(''.join(l + '\n' for l in lines))
    os.chmod(p, 0o644)

def b64(s):
    if isinstance(s, str): s = s.encode('utf-8')
    return base64.b64encode(s).decode()
def plain(user, pw, authz=''):
    return b64('%s\0%s\0%s' % (authz, user, pw))

BASEENV = {'PATH': '/usr/bin:/bin', 'QMAILQUEUE': T + '/fakeqq', 'FAKEQQ_DIR': QQDIR}
for k in ('ASAN_OPTIONS', 'UBSAN_OPTIONS'):
    if k in os.environ: BASEENV[k] = os.environ[k]

def drop():
    os.setgroups([]); os.setgid(GID); os.setuid(UID)

def freeport():
    s = socket.socket(); s.bind(('127.0.0.1', 0)); p = s.getsockname()[1]; s.close(); return p

class Server:
    """tcpserver running qmail-smtpd as qmaild with the given environment;
    its stderr (qmail-smtpd's LOGLEVEL lines, tcpserver's pid/end lines)
    goes to a log file of its own."""
    n = 0
    def __init__(self, env):
        Server.n += 1
        self.port = freeport()
        e = dict(BASEENV); e.update(env)
        self.logname = '%s/tcpserver-%d.log' % (T, Server.n)
        self.log = open(self.logname, 'a')
        self.p = subprocess.Popen(['tcpserver', '-v', '-R', '-H', '-l', D, '-u', str(UID), '-g', str(GID),
                                   '127.0.0.1', str(self.port), SMTPD], env=e, cwd=T + '/cores',
                                  stdout=self.log, stderr=self.log, stdin=subprocess.DEVNULL)
        end = time.time() + 10
        while time.time() < end:
            try:
                socket.create_connection(('127.0.0.1', self.port), 1).close(); return
            except OSError: time.sleep(0.05)
        raise RuntimeError('tcpserver did not start')
    def logtext(self):
        return open(self.logname, errors='replace').read()
    def children(self):
        """pids of the qmail-smtpd sessions of this server"""
        out = []
        for p in glob.glob('/proc/[0-9]*'):
            try:
                st = open(p + '/stat').read()
                if os.readlink(p + '/exe') == SMTPD and int(st.rsplit(')', 1)[1].split()[1]) == self.p.pid:
                    out.append(int(p[6:]))
            except (OSError, ValueError, IndexError): pass
        return out
    def stop(self):
        self.p.terminate(); self.p.wait()

SERVERS = {}
SLOCK = threading.Lock()
def server(env):
    key = tuple(sorted(env.items()))
    with SLOCK:
        if key not in SERVERS: SERVERS[key] = Server(env)
        return SERVERS[key]

def client_ctx(maxv=None):
    """A verifying client context: our self-signed certificate is the CA."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(PKI + '/srv.crt')
    ctx.check_hostname = True
    return ctx

class Client:
    """One SMTP session over TCP (plain or TLS) or over pipes (pipe=True:
    qmail-smtpd run directly, so TCPREMOTEIP can be any address)."""
    def __init__(self, env=None, pipe=False, tls=None):
        env = env or {}
        self.buf = b''
        self.proc = None
        self.sock = None
        if pipe:
            e = dict(BASEENV); e.update(env)
            self.proc = subprocess.Popen([SMTPD], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                         stderr=open(T + '/smtpd-pipe.log', 'a'), env=e, preexec_fn=drop,
                                         cwd=T + '/cores')
        else:
            self.server = server(env)
            self.sock = socket.create_connection(('127.0.0.1', self.server.port), 10)
            if tls: self.sock = tls.wrap_socket(self.sock, server_hostname=D)
    def send(self, data):
        if isinstance(data, str): data = data.encode('utf-8', 'surrogateescape')
        try:
            if self.sock: self.sock.sendall(data)
            else:
                self.proc.stdin.write(data); self.proc.stdin.flush()
            return True
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError): return False
    def _fill(self, timeout):
        if self.sock:
            self.sock.settimeout(timeout)
            try: d = self.sock.recv(65536)
            except socket.timeout: raise TimeoutError('no reply')
            except (ConnectionResetError, ssl.SSLError): d = b''
        else:
            fd = self.proc.stdout.fileno()
            r, _, _ = select.select([fd], [], [], timeout)
            if not r: raise TimeoutError('no reply')
            d = os.read(fd, 65536)
        if not d: raise EOFError('closed')
        self.buf += d
    def line(self, timeout=10):
        while b'\n' not in self.buf: self._fill(timeout)
        l, self.buf = self.buf.split(b'\n', 1)
        return l.decode('utf-8', 'replace')
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
    def starttls(self, ctx=None):
        """STARTTLS and the handshake: (reply, error or None)"""
        r = self.cmd('STARTTLS')
        if r[0] != 220: return r, 'no 220'
        if self.buf: return r, 'bytes after the 220: %r' % self.buf
        try:
            self.sock.settimeout(10)
            self.sock = (ctx or client_ctx()).wrap_socket(self.sock, server_hostname=D)
        except (ssl.SSLError, OSError) as e:
            return r, 'handshake: %r' % e
        return r, None
    def closed(self, timeout=5):
        end = time.time() + timeout
        try:
            while time.time() < end:
                self._fill(max(0.01, end - time.time())); self.buf = b''
        except EOFError: return True
        except TimeoutError: return False
        return False
    def close(self):
        if self.sock:
            try: self.sock.close()
            except OSError: pass
        if self.proc:
            try: self.proc.stdin.close()
            except OSError: pass
            self.proc.wait()

def session(env=None, helo='client.example', tls=None, pipe=False):
    c = Client(env, pipe=pipe, tls=tls)
    g = c.reply()
    if helo: c.ehlo = c.cmd('EHLO ' + helo)
    return c, g

def qq_msgs(sender=None):
    """[(message bytes, [sender, rcpts...])] recorded by the fake qmail-queue"""
    out = []
    for e in sorted(glob.glob(QQDIR + '/*.env'), key=os.path.getmtime):
        m = e[:-4] + '.msg'
        if not os.path.exists(m): continue
        env = [x.decode('utf-8', 'replace') for x in open(e, 'rb').read().split(b'\0') if x]
        if sender is None or (env and env[0] == 'F' + sender):
            out.append((open(m, 'rb').read(), env))
    return out

def transaction(c, sender, rcpts, body='Subject: t\r\n\r\nhi\r\n', mailarg=''):
    """MAIL, RCPTs, DATA; the final reply (or the first refusal)"""
    r = c.cmd('MAIL FROM:<%s>%s' % (sender, mailarg))
    if r[0] != 250: return r
    for x in rcpts:
        r = c.cmd('RCPT TO:<%s>' % x)
        if r[0] != 250: return r
    r = c.cmd('DATA')
    if r[0] != 354: return r
    c.send(body + '.\r\n')
    return c.reply()

def received_of(msg):
    """the first Received field, unfolded"""
    text = msg.decode('utf-8', 'replace')
    m = re.match(r'(Received: .*?)\n(?! )', text, re.S)
    return re.sub(r'\n\s+', ' ', m.group(1)) if m else ''

def run(argv, inp=b'', timeout=60):
    try:
        p = subprocess.run(argv, input=inp, capture_output=True, timeout=timeout)
        return p.returncode, (p.stdout + p.stderr).decode('utf-8', 'replace')
    except subprocess.TimeoutExpired as e:
        return -1, 'timeout: %r' % e

def parallel(*fns):
    """run test functions side by side (each waits out its own AUTH delays)"""
    th = [threading.Thread(target=guarded, args=(f,)) for f in fns]
    for t in th: t.start()
    for t in th: t.join()

def guarded(f):
    try: f()
    except Exception as e:
        import traceback
        notok(f.__name__, 'exception %r at %s' % (e, traceback.format_exc().strip().splitlines()[-3:]))

# ------------------------------------------------------------ slapd
def slapd_pid():
    try: return int(open(LD + '/slapd.pid').read().strip())
    except (OSError, ValueError): return None
def slapd_up():
    return subprocess.run(['ldapsearch', '-x', '-H', 'ldap://127.0.0.1:' + LPORT, '-b', 'dc=example,dc=com', '-s', 'base'],
                          capture_output=True).returncode == 0
def slapd_stop():
    p = slapd_pid()
    if p:
        try: os.kill(p, signal.SIGTERM)
        except OSError: pass
        end = time.time() + 10
        while time.time() < end and os.path.exists('/proc/%d' % p): time.sleep(0.05)
    try: os.unlink(LD + '/slapd.pid')
    except OSError: pass
    return not slapd_up()
def slapd_start():
    log = open(SLOG, 'a')
    subprocess.Popen(['/usr/sbin/slapd', '-F', LD + '/slapd.d', '-h', 'ldap://127.0.0.1:%s/' % LPORT, '-d', 'stats'],
                     stdout=subprocess.DEVNULL, stderr=log, stdin=subprocess.DEVNULL, start_new_session=True)
    end = time.time() + 20
    while time.time() < end:
        if slapd_up(): return True
        time.sleep(0.1)
    return False
def slapd_accepts():
    return open(SLOG, errors='replace').read().count(' ACCEPT from ')

# ================================================================ TLS
TLSENV = {'SMTPAUTH': 'TLSREQUIRED', 'LOGLEVEL': '2'}

def t_starttls():
    c, g = session(TLSENV)
    expect('greeting 220 before TLS', g, 220, '220 %s ESMTP' % D)
    e = c.ehlo
    check('EHLO before TLS shows STARTTLS', e[0] == 250 and '\n250-STARTTLS' in e[1], repr(e))
    check('EHLO before TLS (SMTPAUTH=TLSREQUIRED) shows no AUTH', 'AUTH' not in e[1], repr(e))
    check('EHLO shows SMTPUTF8 and ends with 8BITMIME', '250-SMTPUTF8' in e[1] and e[1].endswith('250 8BITMIME'), repr(e))
    expect('AUTH PLAIN before TLS -> 538', c.cmd('AUTH PLAIN ' + plain('alice', PASS)), 538,
           '538 encryption required for requested authentication mechanism (#5.7.11)')
    expect('AUTH LOGIN before TLS -> 538', c.cmd('AUTH LOGIN'), 538)
    expect('STARTTLS with an argument -> 501', c.cmd('STARTTLS now'), 501,
           '501 Syntax error (no parameters allowed) (#5.5.4)')
    r, err = c.starttls()
    expect('STARTTLS -> 220 ready for tls', r, 220, '220 ready for tls')
    check('TLS handshake (certificate verified against control/smtpcert)', err is None, err)
    if err: c.close(); return
    v = c.sock.version()
    check('TLS protocol is TLSv1.2 or newer (%s)' % v, v in ('TLSv1.2', 'TLSv1.3'), v)
    e = c.cmd('EHLO client.example')
    check('EHLO in TLS shows AUTH LOGIN PLAIN', e[0] == 250 and '\n250-AUTH LOGIN PLAIN' in e[1], repr(e))
    check('EHLO in TLS shows no STARTTLS', 'STARTTLS' not in e[1], repr(e))
    expect('STARTTLS twice -> 503', c.cmd('STARTTLS'), 503, '503 TLS already active (#5.5.1)')
    expect('session continues in TLS after the 503', c.cmd('NOOP'), 250)
    expect('QUIT in TLS -> 221', c.cmd('QUIT'), 221, '221 %s Goodbye.' % D)
    check('closed after QUIT', c.closed())
    c.close()
    # AUTHCLEARTEXT: AUTH offered before TLS as well
    c, _ = session({'SMTPAUTH': 'TLSREQUIRED', 'AUTHCLEARTEXT': '1'})
    check('SMTPAUTH + AUTHCLEARTEXT: AUTH offered before TLS', '250-AUTH LOGIN PLAIN' in c.ehlo[1], repr(c.ehlo))
    c.close()
    # SMTPAUTH=1: loopback clients get AUTH in cleartext, others do not
    c, _ = session({'SMTPAUTH': '1'})
    check('SMTPAUTH=1: AUTH offered to a loopback client in cleartext', '250-AUTH LOGIN PLAIN' in c.ehlo[1], repr(c.ehlo))
    c.close()
    c, _ = session({'SMTPAUTH': '1', 'TCPREMOTEIP': '192.0.2.9'}, pipe=True)
    check('SMTPAUTH=1: no AUTH for a remote client before TLS', 'AUTH' not in c.ehlo[1] and 'STARTTLS' in c.ehlo[1],
          repr(c.ehlo))
    expect('SMTPAUTH=1: AUTH from a remote client before TLS -> 538', c.cmd('AUTH LOGIN'), 538)
    c.close()
    c, _ = session({})
    check('no SMTPAUTH: no AUTH in EHLO', 'AUTH' not in c.ehlo[1] and 'STARTTLS' in c.ehlo[1], repr(c.ehlo))
    expect('no SMTPAUTH: AUTH -> 502', c.cmd('AUTH PLAIN ' + plain('alice', PASS)), 502)
    r, err = c.starttls()
    c.cmd('EHLO x')
    expect('no SMTPAUTH: AUTH in TLS -> 502 too', c.cmd('AUTH PLAIN ' + plain('alice', PASS)) if not err else (None, err), 502)
    c.close()

def t_cve_2011_0411():
    """plaintext pipelined after STARTTLS must be dropped, not run in TLS"""
    srv = server(TLSENV)
    c, _ = session(TLSENV)
    injected = b'RSET\r\nMAIL FROM:<evil@x.example>\r\n'
    c.sock.sendall(b'STARTTLS\r\n' + injected)          # ONE write
    r = c.reply()
    expect('CVE-2011-0411: STARTTLS answered 220', r, 220, 'ready for tls')
    check('CVE-2011-0411: nothing answered in plaintext after the 220', c.buf == b'', repr(c.buf))
    pid = srv.children()
    try:
        c.sock.settimeout(10)
        c.sock = client_ctx().wrap_socket(c.sock, server_hostname=D)
        ok('CVE-2011-0411: handshake on the same socket')
    except (ssl.SSLError, OSError) as e:
        notok('CVE-2011-0411: handshake on the same socket', repr(e)); c.close(); return
    e = c.cmd('EHLO client.example')
    check('CVE-2011-0411: the first reply in TLS is the EHLO\'s (no injected RSET reply)',
          e[0] == 250 and e[1].startswith('250-%s' % D) and '250 flushed' not in e[1], repr(e))
    expect('CVE-2011-0411: the injected MAIL was not run (RCPT -> 503 MAIL first)',
           c.cmd('RCPT TO:<joe@%s>' % D), 503, 'MAIL first')
    r = transaction(c, 'fresh@remote.example', ['joe@' + D], 'Subject: cve\r\n\r\nx\r\n')
    m = qq_msgs('fresh@remote.example')
    check('CVE-2011-0411: a MAIL in TLS is a fresh transaction, queued with its own sender',
          r[0] == 250 and len(m) == 1 and m[0][1] == ['Ffresh@remote.example', 'Tjoe@' + D], repr((r, m and m[0][1])))
    check('CVE-2011-0411: no message with the injected sender', not qq_msgs('evil@x.example'))
    c.cmd('QUIT'); c.close()
    want = 'discarded %d bytes sent in plaintext after STARTTLS' % len(injected)
    check('CVE-2011-0411: LOGLEVEL log says "%s"' % want,
          wait_for(lambda: any(('qmail-smtpd %d: %s' % (p, want)) in srv.logtext() for p in pid)),
          'pids %r, log %r' % (pid, srv.logtext()[-600:]))

def wait_for(cond, timeout=10):
    def c():
        try: return cond()
        except OSError: return False
    end = time.time() + timeout
    while time.time() < end:
        if c(): return True
        time.sleep(0.05)
    return c()

def t_tls_clients():
    import smtplib
    srv = server({})
    # smtplib starttls()
    try:
        s = smtplib.SMTP('127.0.0.1', srv.port, timeout=20)
        s.ehlo('smtplib.example')
        has = s.has_extn('starttls')
        code, _ = s.starttls(context=client_ctx())
        ver, ciph = s.sock.version(), s.sock.cipher()
        s.ehlo('smtplib.example')
        check('smtplib: STARTTLS offered and 220', has and code == 220, repr((has, code)))
        check('smtplib: no STARTTLS after TLS', not s.has_extn('starttls'))
        refused = s.sendmail('tls-smtplib@remote.example', ['joe@' + D], 'Subject: over tls\r\n\r\nhi\r\n')
        s.quit()
        m = qq_msgs('tls-smtplib@remote.example')
        rec = received_of(m[0][0]) if m else ''
        want = 'with ESMTPS (%s %s %d bits encrypted)' % (ver, ciph[0], ciph[2])
        check('smtplib starttls: message queued', refused == {} and len(m) == 1, repr((refused, len(m))))
        check('Received over STARTTLS says "%s"' % want, want in rec, rec)
        check('Received over STARTTLS: the rest of the field', rec.startswith('Received: from unknown (HELO smtplib.example) ([127.0.0.1])')
              and ' by %s (qmail-ldap-1.03) with ESMTPS' % D in rec and 'for <joe@%s>;' % D in rec, rec)
    except Exception as e:
        notok('smtplib starttls', repr(e))
    # SMTP_SSL against SMTPS=1
    ssrv = server({'SMTPS': '1'})
    try:
        s = smtplib.SMTP_SSL('127.0.0.1', ssrv.port, timeout=20, context=client_ctx(), local_hostname='ssl.example')
        s._host = D
        code, _ = s.ehlo('ssl.example')
        ver, ciph = s.sock.version(), s.sock.cipher()
        check('SMTP_SSL (SMTPS=1): EHLO 250, TLS %s, no STARTTLS offered' % ver,
              code == 250 and ver in ('TLSv1.2', 'TLSv1.3') and not s.has_extn('starttls'), repr((code, ver)))
        refused = s.sendmail('smtps@remote.example', ['joe@' + D], 'Subject: smtps\r\n\r\nhi\r\n')
        s.quit()
        m = qq_msgs('smtps@remote.example')
        rec = received_of(m[0][0]) if m else ''
        want = 'with ESMTPS (%s %s %d bits encrypted)' % (ver, ciph[0], ciph[2])
        check('SMTPS: message queued, Received says "%s"' % want, refused == {} and want in rec, rec)
    except Exception as e:
        notok('SMTP_SSL against SMTPS=1', repr(e))
    # greeting over SMTPS comes only after the handshake
    sk = socket.create_connection(('127.0.0.1', ssrv.port), 10)
    sk.settimeout(1)
    try: early = sk.recv(100)
    except socket.timeout: early = b''
    check('SMTPS: no plaintext greeting before the handshake', early == b'', repr(early))
    sk.close()
    # swaks --tls (STARTTLS) and --tlsc (implicit)
    rc, out = run(['swaks', '--server', '127.0.0.1:%d' % srv.port, '--tls', '--from', 'swaks-tls@remote.example',
                   '--to', 'joe@' + D, '--header', 'Subject: swaks tls', '--body', 'x'])
    check('swaks --tls: 220 ready for tls, then 250 queued in TLS',
          rc == 0 and '<-  220 ready for tls' in out and re.search(r'<~  250 ok \d+ qp \d+ by ' + D, out), out[-500:])
    m = qq_msgs('swaks-tls@remote.example')
    check('swaks --tls: Received says ESMTPS', m and ' with ESMTPS (TLSv1.' in received_of(m[0][0]), repr(m and received_of(m[0][0])))
    rc, out = run(['swaks', '--server', '127.0.0.1:%d' % ssrv.port, '--tlsc', '--from', 'swaks-tlsc@remote.example',
                   '--to', 'joe@' + D, '--header', 'Subject: swaks tlsc', '--body', 'x'])
    check('swaks --tlsc (SMTPS): greeting and 250 inside TLS',
          rc == 0 and re.search(r'<~  220 %s ESMTP' % D, out) and re.search(r'<~  250 ok \d+ qp \d+ by ' + D, out), out[-500:])
    check('swaks --tlsc: message queued', len(qq_msgs('swaks-tlsc@remote.example')) == 1)
    # openssl s_client -starttls smtp
    rc, out = run(['openssl', 's_client', '-starttls', 'smtp', '-connect', '127.0.0.1:%d' % srv.port, '-debug',
                   '-CAfile', PKI + '/srv.crt', '-verify_return_error', '-verify_hostname', D, '-ign_eof', '-crlf'],
                  b'EHLO sclient.example\nQUIT\n')
    greet = first_read(out)
    check('openssl s_client -starttls smtp: the plaintext greeting (-debug) is "220 %s ESMTP"' % D,
          greet == ('220 %s ESMTP\r\n' % D).encode(), repr(greet))
    proto = re.search(r'^New, (TLSv[\d.]+), Cipher is ', out, re.M)
    check('openssl s_client -starttls smtp: TLSv1.2+ (%s), verified' % (proto and proto.group(1)),
          proto and proto.group(1) in ('TLSv1.2', 'TLSv1.3') and 'Verify return code: 0 (ok)' in out, out[-800:])
    check('openssl s_client: EHLO and QUIT answered inside TLS',
          re.search(r'^250-%s' % D, out, re.M) and '221 %s Goodbye.' % D in out and 'STARTTLS' not in out.split('---')[-1],
          out[-600:])
    rc, out = run(['openssl', 's_client', '-connect', '127.0.0.1:%d' % ssrv.port, '-CAfile', PKI + '/srv.crt',
                   '-verify_return_error', '-ign_eof', '-crlf'], b'QUIT\n')
    check('openssl s_client to SMTPS: the greeting arrives inside TLS',
          re.search(r'^220 %s ESMTP' % D, out, re.M) and '221 %s' % D in out, out[-600:])

def first_read(out):
    """the bytes of the first "read from" block of openssl s_client -debug"""
    data, on = b'', False
    for l in out.splitlines():
        if l.startswith('read from '):
            if on: break
            on = True; continue
        m = re.match(r'^[0-9a-f]{4} - ((?:[0-9a-f]{2}[ -]){1,16})', l)
        if on and m: data += bytes.fromhex(m.group(1).replace('-', ' '))
        elif on and data: break
    return data

def t_old_tls():
    """a client that offers at most TLS 1.1 is refused"""
    srv = server(TLSENV)
    ctx = None
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', DeprecationWarning)
        try:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
            ctx.set_ciphers('DEFAULT:@SECLEVEL=0')
            ctx.minimum_version = ssl.TLSVersion.TLSv1
            ctx.maximum_version = ssl.TLSVersion.TLSv1_1
        except (ValueError, ssl.SSLError, AttributeError):
            ctx = None
    if ctx:
        c, _ = session(TLSENV)
        before = srv.logtext()
        pids = srv.children()
        r, err = c.starttls(ctx)
        check('TLSv1.1-only client (python ssl): handshake refused', r[0] == 220 and err is not None,
              'reply %r, err %r, version %r' % (r, err, err is None and c.sock.version()))
        check('TLSv1.1-only client: the server alerts "protocol version"',
              err and ('PROTOCOL_VERSION' in err.upper() or 'UNSUPPORTED_PROTOCOL' in err.upper() or 'VERSION' in err.upper()),
              err)
        check('TLSv1.1-only client: qmail-smtpd logs the failed handshake',
              wait_for(lambda: 'TLS handshake failed' in srv.logtext()[len(before):]), srv.logtext()[-400:])
        check('TLSv1.1-only client: that qmail-smtpd exits', len(pids) == 1 and
              wait_for(lambda: not os.path.exists('/proc/%d' % pids[0])), repr(pids))
    rc, out = run(['openssl', 's_client', '-starttls', 'smtp', '-connect', '127.0.0.1:%d' % srv.port, '-tls1_1',
                   '-cipher', 'DEFAULT:@SECLEVEL=0'], b'QUIT\n')
    check('openssl s_client -tls1_1: refused with a protocol version alert',
          'alert protocol version' in out and 'New, (NONE), Cipher is (NONE)' in out and 'New, TLSv1.1' not in out, out[-500:])
    # garbage instead of a ClientHello: the session ends, nothing else happens
    c, _ = session(TLSENV)
    c.cmd('STARTTLS')
    c.send(b'this is not TLS at all\r\n' * 20)
    check('garbage instead of a handshake: connection closed', c.closed(15))
    c.close()

def t_tls_forgets_helo():
    """RFC 3207 4.2: what the client said before the handshake is forgotten"""
    c, _ = session({}, helo='before-tls.example')
    r, err = c.starttls()
    if err: notok('STARTTLS forgets the HELO', err); c.close(); return
    r = transaction(c, 'forget@remote.example', ['joe@' + D])      # no EHLO again
    m = qq_msgs('forget@remote.example')
    rec = received_of(m[0][0]) if m else ''
    check('STARTTLS forgets the HELO: the Received line does not name it',
          r[0] == 250 and rec.startswith('Received: from unknown ([127.0.0.1])') and 'before-tls' not in rec, repr((r, rec)))
    c.close()

def t_tlsrequired():
    env = {'TLSREQUIRED': '1'}
    c, _ = session(env)
    expect('TLSREQUIRED: MAIL before STARTTLS -> 530', c.cmd('MAIL FROM:<a@remote.example>'), 530,
           '530 Must issue a STARTTLS command first (#5.7.0)')
    expect('TLSREQUIRED: RCPT then -> 503 (no transaction)', c.cmd('RCPT TO:<joe@%s>' % D), 503)
    r, err = c.starttls()
    check('TLSREQUIRED: STARTTLS works', err is None, err)
    if err: c.close(); return
    c.cmd('EHLO client.example')
    expect('TLSREQUIRED: MAIL after STARTTLS -> 250', c.cmd('MAIL FROM:<a@remote.example>'), 250)
    expect('TLSREQUIRED: RCPT after STARTTLS -> 250', c.cmd('RCPT TO:<joe@%s>' % D), 250)
    c.close()
    c, _ = session(dict(env, SMTPS='1'), tls=client_ctx())
    expect('TLSREQUIRED with SMTPS: MAIL -> 250', c.cmd('MAIL FROM:<a@remote.example>'), 250)
    c.close()

def t_nocert():
    """no certificate: no STARTTLS; SMTPS cannot work; cert+key in one file"""
    ctl('smtpcert'); ctl('smtpkey')
    try:
        c, _ = session({'LOGLEVEL': '1'})
        check('no control/smtpcert: no STARTTLS in EHLO', c.ehlo[0] == 250 and 'STARTTLS' not in c.ehlo[1], repr(c.ehlo))
        expect('no control/smtpcert: STARTTLS -> 502', c.cmd('STARTTLS'), 502, '502 unimplemented (#5.5.1)')
        expect('no control/smtpcert: session goes on', c.cmd('MAIL FROM:<a@remote.example>'), 250)
        c.close()
        c = Client({'SMTPS': '1', 'LOGLEVEL': '1'})
        g = c.reply(5)
        check('SMTPS without a certificate: closed, no greeting', g[0] is None and 'closed' in g[1], repr(g))
        c.close()
        ctl('smtpcert', PKI + '/missing.crt')
        c, _ = session({'LOGLEVEL': '1'})
        check('control/smtpcert naming a missing file: no STARTTLS', 'STARTTLS' not in c.ehlo[1], repr(c.ehlo))
        c.close()
        ctl('smtpcert', PKI + '/both.pem')
        c, _ = session({'LOGLEVEL': '1'})
        r, err = c.starttls()
        check('certificate and key in one file (no control/smtpkey): STARTTLS works', err is None, err)
        c.close()
        ctl('smtpcert'); ctl('smtpkey')
        c, _ = session({'SSLCERT': PKI + '/both.pem'})
        r, err = c.starttls()
        check('SSLCERT instead of control/smtpcert: STARTTLS works', err is None, err)
        c.close()
    finally:
        ctl('smtpcert', PKI + '/srv.crt'); ctl('smtpkey', PKI + '/srv.key')

# ================================================================ AUTH
AUTHENV = {'SMTPAUTH': '1', 'AUTHPREPEND': 'auth:', 'LOGLEVEL': '2'}

def timed(c, line, timeout=20):
    t0 = time.time()
    r = c.cmd(line, timeout)
    return r, time.time() - t0

def t_auth_ok():
    # PLAIN with initial response; relaying and the Received line follow
    c, _ = session(AUTHENV)
    check('EHLO (loopback, SMTPAUTH=1) shows AUTH LOGIN PLAIN', '250-AUTH LOGIN PLAIN' in c.ehlo[1], repr(c.ehlo))
    expect('AUTH PLAIN with initial response, right password -> 235', c.cmd('AUTH PLAIN ' + plain('alice', PASS)), 235,
           '235 nice to meet you')
    expect('second AUTH after success -> 503', c.cmd('AUTH PLAIN ' + plain('alice', PASS)), 503,
           "503 you're already authenticated (#5.5.0)")
    r = transaction(c, 'auth-plain@remote.example', ['x@other.example'], 'Subject: relayed\r\n\r\nx\r\n')
    m = qq_msgs('auth-plain@remote.example')
    check('after AUTH: relaying to a foreign domain works', r[0] == 250 and m and m[0][1][1:] == ['Tx@other.example'],
          repr((r, m and m[0][1])))
    rec = received_of(m[0][0]) if m else ''
    check('Received after AUTH (no TLS): ESMTPA and AUTHPREPEND + login',
          '(auth:alice@[127.0.0.1])' in rec and ' with ESMTPA\n' not in rec and ' with ESMTPA ' in rec + ' ', rec)
    c.close()
    # PLAIN without initial response
    c, _ = session(AUTHENV)
    r = c.cmd('AUTH PLAIN')
    check('AUTH PLAIN without initial response -> "334 "', r == (334, '334 '), repr(r))
    expect('... then the response -> 235', c.cmd(plain('alice', PASS)), 235)
    c.close()
    # PLAIN with authzid = authcid
    c, _ = session(AUTHENV)
    expect('AUTH PLAIN with authzid = authcid -> 235', c.cmd('AUTH PLAIN ' + plain('alice', PASS, 'alice')), 235)
    c.close()
    # LOGIN with initial response
    c, _ = session(AUTHENV)
    r = c.cmd('AUTH LOGIN ' + b64('alice'))
    check('AUTH LOGIN with initial response -> 334 UGFzc3dvcmQ6', r == (334, '334 UGFzc3dvcmQ6'), repr(r))
    expect('... password -> 235', c.cmd(b64(PASS)), 235)
    c.close()
    # LOGIN without
    c, _ = session(AUTHENV)
    r1 = c.cmd('AUTH LOGIN')
    r2 = c.cmd(b64('alice'))
    check('AUTH LOGIN without initial response -> 334 VXNlcm5hbWU6, 334 UGFzc3dvcmQ6',
          r1 == (334, '334 VXNlcm5hbWU6') and r2 == (334, '334 UGFzc3dvcmQ6'), repr((r1, r2)))
    expect('... password -> 235', c.cmd(b64(PASS)), 235)
    r = transaction(c, 'auth-login@remote.example', ['y@other.example'])
    check('AUTH LOGIN: relaying works', r[0] == 250, repr(r))
    c.close()
    # lower-case mechanism names
    c, _ = session(AUTHENV)
    expect('auth plain (lower case) -> 235', c.cmd('auth plain ' + plain('alice', PASS)), 235)
    c.close()

def t_auth_tls():
    """AUTH inside TLS (SMTPAUTH=TLSREQUIRED): smtplib, swaks; ESMTPSA"""
    import smtplib
    env = {'SMTPAUTH': 'TLSREQUIRED', 'AUTHPREPEND': 'auth:'}
    srv = server(env)
    try:
        s = smtplib.SMTP('127.0.0.1', srv.port, timeout=30)
        s.ehlo('py.example')
        s.starttls(context=client_ctx())
        s.ehlo('py.example')
        ver, ciph = s.sock.version(), s.sock.cipher()
        code, _ = s.login('alice', PASS)
        check('smtplib login() in TLS -> 235', code == 235, code)
        refused = s.sendmail('smtplib-auth@remote.example', ['far@other.example'], 'Subject: py auth\r\n\r\nx\r\n')
        s.quit()
        m = qq_msgs('smtplib-auth@remote.example')
        rec = received_of(m[0][0]) if m else ''
        want = 'with ESMTPSA (%s %s %d bits encrypted)' % (ver, ciph[0], ciph[2])
        check('smtplib: relayed after login', refused == {} and m and m[0][1][1:] == ['Tfar@other.example'], repr(refused))
        check('Received over TLS + AUTH: "%s" and (auth:alice@[127.0.0.1])' % want,
              want in rec and '(auth:alice@[127.0.0.1])' in rec, rec)
    except Exception as e:
        notok('smtplib login() in TLS', repr(e))
    try:
        s = smtplib.SMTP('127.0.0.1', srv.port, timeout=30)
        s.ehlo('py.example'); s.starttls(context=client_ctx()); s.ehlo('py.example')
        try:
            s.login('alice', 'wrong')
            notok('smtplib login() wrong password -> 535', 'accepted')
        except smtplib.SMTPAuthenticationError as e:
            check('smtplib login() wrong password -> 535', e.smtp_code == 535, repr(e))
        s.close()
    except Exception as e:
        notok('smtplib login() wrong password', repr(e))
    c, _ = session(dict(env, SMTPS='1'), tls=client_ctx())
    check('SMTPS + SMTPAUTH=TLSREQUIRED: AUTH offered', '250-AUTH LOGIN PLAIN' in c.ehlo[1], repr(c.ehlo))
    expect('SMTPS: AUTH PLAIN -> 235', c.cmd('AUTH PLAIN ' + plain('alice', PASS)), 235)
    c.close()
    for mech in ('PLAIN', 'LOGIN'):
        rc, out = run(['swaks', '--server', '127.0.0.1:%d' % srv.port, '--tls', '--auth', mech, '--auth-user', 'alice',
                       '--auth-password', PASS, '--from', 'swaks-%s@remote.example' % mech.lower(),
                       '--to', 'far@other.example', '--header', 'Subject: swaks auth', '--body', 'x'])
        check('swaks --tls --auth %s: 235 then relayed (250)' % mech,
              rc == 0 and '<~  235 nice to meet you' in out and re.search(r'<~  250 ok \d+ qp', out), out[-600:])
    rc, out = run(['swaks', '--server', '127.0.0.1:%d' % srv.port, '--tls', '--auth', 'PLAIN', '--auth-user', 'alice',
                   '--auth-password', 'wrong', '--from', 'swaks-bad@remote.example', '--to', 'far@other.example'])
    check('swaks --auth PLAIN wrong password: 535', '<~* 535 authentication failure (#5.7.8)' in out, out[-400:])
    # a swaks --auth without TLS on this server: AUTH is not offered
    rc, out = run(['swaks', '--server', '127.0.0.1:%d' % srv.port, '--auth', 'PLAIN', '--auth-user', 'alice',
                   '--auth-password', PASS, '--from', 'a@remote.example', '--to', 'far@other.example'])
    check('swaks --auth without TLS (SMTPAUTH=TLSREQUIRED): no AUTH offered, nothing relayed',
          rc != 0 and '235' not in out and not re.search(r'<-  250 ok \d+', out), out[-400:])
    # STARTTLS forgets an AUTH made before it
    c, _ = session(AUTHENV)
    expect('AUTH in cleartext (loopback) -> 235', c.cmd('AUTH PLAIN ' + plain('alice', PASS)), 235)
    r, err = c.starttls()
    c.cmd('EHLO client.example')
    c.cmd('MAIL FROM:<a@remote.example>')
    expect('STARTTLS forgets the AUTH: relaying refused again', c.cmd('RCPT TO:<x@other.example>') if not err else (None, err),
           553)
    c.close()

FAILTEXT = '535 authentication failure (#5.7.8)'

def failcase(name, user, pw):
    """one failed AUTH PLAIN in a fresh session: 535 after >= 1 s"""
    def f():
        c, _ = session(AUTHENV)
        r, dt = timed(c, 'AUTH PLAIN ' + plain(user, pw))
        check('%s -> 535 after >= 1 s (%.1f s)' % (name, dt), r == (535, FAILTEXT) and dt >= 1.0, repr((r, dt)))
        c.cmd('MAIL FROM:<a@remote.example>')
        expect('%s: no relaying afterwards' % name, c.cmd('RCPT TO:<x@other.example>'), 553)
        c.close()
    f.__name__ = name
    return f

def t_auth_misc():
    c, _ = session(AUTHENV)
    expect('malformed base64 -> 501', c.cmd('AUTH PLAIN !!!notbase64!!!'), 501, '501 malformed auth input (#5.5.4)')
    c.cmd('AUTH LOGIN'); c.cmd('a=b=c')
    expect('malformed base64 in a LOGIN response -> 501', c.cmd(b64(PASS)), 501, 'malformed')
    c.cmd('AUTH LOGIN')
    expect('"*" cancels AUTH LOGIN -> 501', c.cmd('*'), 501, '501 auth exchange cancelled (#5.0.0)')
    c.cmd('AUTH LOGIN'); c.cmd(b64('alice'))
    expect('"*" cancels at the password prompt -> 501', c.cmd('*'), 501, 'cancelled')
    c.cmd('AUTH PLAIN')
    expect('"*" cancels AUTH PLAIN -> 501', c.cmd('*'), 501, 'cancelled')
    expect('unknown mechanism -> 504', c.cmd('AUTH CRAM-MD5'), 504, '504 unrecognized authentication type (#5.5.4)')
    expect('AUTH without a mechanism -> 504', c.cmd('AUTH'), 504)
    expect('session still usable (no failure counted): AUTH PLAIN -> 235', c.cmd('AUTH PLAIN ' + plain('alice', PASS)), 235)
    c.close()
    c, _ = session(AUTHENV)
    c.cmd('MAIL FROM:<a@remote.example>')
    expect('AUTH during a transaction (after MAIL) -> 503', c.cmd('AUTH PLAIN ' + plain('alice', PASS)), 503,
           '503 no auth during mail transaction (#5.5.0)')
    c.cmd('RSET')
    expect('AUTH after RSET -> 235', c.cmd('AUTH PLAIN ' + plain('alice', PASS)), 235)
    c.close()
    # oversized AUTH lines (> 4096 bytes)
    c, _ = session(AUTHENV)
    r = c.cmd('AUTH PLAIN ' + 'QUFB' * 1200)
    check('oversized AUTH PLAIN line -> 500/501', r[0] in (500, 501), repr(r)[:200])
    c.cmd('AUTH PLAIN')
    r = c.cmd('QUFB' * 1200)
    check('oversized AUTH response line -> 501/500', r[0] in (500, 501), repr(r)[:200])
    c.cmd('AUTH LOGIN'); c.cmd(b64('alice'))
    r = c.cmd('QUFB' * 1200)
    check('oversized AUTH LOGIN password -> 501/500', r[0] in (500, 501), repr(r)[:200])
    expect('session alive after oversized AUTH lines', c.cmd('NOOP'), 250)
    c.close()
    # below the line limit but above auth_smtp's 2048 bytes: refused, never accepted
    c, _ = session(AUTHENV)
    r = c.cmd('AUTH PLAIN ' + plain('alice', PASS + 'x' * 2500), 20)
    check('AUTH PLAIN of 3400 bytes (over auth_smtp\'s 2048) -> 501 or 535', r[0] in (501, 535), repr(r)[:200])
    c.close()

def t_auth_fails():
    parallel(failcase('wrong password', 'alice', 'wrong-password'),
             failcase('unknown user', 'nosuchuser', PASS),
             failcase('disabled user', 'dis', PASS),
             failcase('noaccess user', 'na', PASS),
             failcase('deleted user', 'del', PASS),
             t_auth_empty, t_auth_meta, t_auth_proxy, t_auth_flood, t_auth_required)

def t_auth_proxy():
    c, _ = session(AUTHENV)
    r = c.cmd('AUTH PLAIN ' + plain('alice', PASS, 'bob'), 20)
    check('PLAIN with an authzid of another user -> 535 (no proxy auth)', r == (535, FAILTEXT), repr(r))
    c.close()

def t_auth_empty():
    c, _ = session(AUTHENV)
    r = c.cmd('AUTH PLAIN ' + plain('alice', ''), 20)
    check('empty password (PLAIN) -> 535 or 501', r[0] in (535, 501), repr(r))
    c.close()
    c, _ = session(AUTHENV)
    c.cmd('AUTH LOGIN'); c.cmd(b64('alice'))
    r = c.cmd('=', 20)
    check('empty password (LOGIN "=") -> 535 or 501', r[0] in (535, 501), repr(r))
    c.close()

def t_auth_meta():
    """LDAP filter metacharacters in the login with a valid password: never 235"""
    names = ['*', ')(uid=*', '\\2a', 'elvis)(|(uid=*', 'al*', '*)(uid=alice', 'alice\0', 'alice)']
    res = {}
    def one(n):
        c, _ = session(AUTHENV)
        if '\0' in n:   # NUL inside the login: PLAIN with four fields
            r = c.cmd('AUTH PLAIN ' + b64('\0' + n + '\0' + PASS), 20)
        else:
            r = c.cmd('AUTH PLAIN ' + plain(n, PASS), 20)
        r2 = None
        if r[0] != 235:
            c.cmd('AUTH LOGIN'); c.cmd(b64(n))
            r2 = c.cmd(b64(PASS), 20)
        res[n] = (r, r2)
        c.close()
    th = [threading.Thread(target=one, args=(n,)) for n in names]
    for t in th: t.start()
    for t in th: t.join()
    for n in names:
        r, r2 = res.get(n, ((None, 'no result'), None))
        want = (535, 501) if '\0' in n else (535,)
        check('login %r with a valid password: PLAIN and LOGIN refused (%s), never 235' % (n, r[0]),
              r[0] in want and r2 and r2[0] in want, repr((r, r2)))

def t_auth_flood():
    """1000 failed AUTHs pipelined: AUTHFAILMAX (3) get 535 with the delays, then 421"""
    env = dict(AUTHENV, FLOOD='1')     # a server of its own: one session
    srv = server(env)
    asan0 = set(os.listdir(os.environ['QI'] + '/asan')) if os.path.isdir(os.environ['QI'] + '/asan') else set()
    c, _ = session(env)
    pids = srv.children()
    t0 = time.time()
    c.send(''.join('AUTH PLAIN %s\r\n' % plain('alice', 'wrong%d' % i) for i in range(1000)) +
           'AUTH PLAIN %s\r\nMAIL FROM:<flood@remote.example>\r\nRCPT TO:<x@other.example>\r\nDATA\r\nx\r\n.\r\n' % plain('alice', PASS))
    codes, times = [], []
    while True:
        r = c.reply(30)
        if r[0] is None: break
        codes.append(r[0]); times.append(time.time() - t0)
        if len(codes) > 10: break
    closed = c.closed(10)
    el = times[3] if len(times) > 3 else -1
    check('1000 pipelined failures: 535 535 535 421 then nothing', codes == [535, 535, 535, 421], repr(codes))
    check('the failure delays are held: 421 after >= 1+4+4 s (%.1f s)' % el, el >= 9.0, repr(times))
    check('the connection closes after the 421', closed)
    check('nothing else accepted (no message)', not qq_msgs('flood@remote.example'))
    log = srv.logtext()
    pid = pids[0] if len(pids) == 1 else None
    check('qmail-smtpd exits normally (tcpserver: end %s status 0)' % pid,
          pid and wait_for(lambda: re.search(r'tcpserver: end %d status 0\b' % pid, srv.logtext())),
          'pids %r log %r' % (pids, log[-500:]))
    check('the log says too many authentication failures',
          pid and 'qmail-smtpd %d: too many authentication failures, closing connection' % pid in srv.logtext(), log[-500:])
    check('no core file', not glob.glob(T + '/cores/core*'), repr(glob.glob(T + '/cores/*')))
    if asan0 is not None and os.path.isdir(os.environ['QI'] + '/asan'):
        new = set(os.listdir(os.environ['QI'] + '/asan')) - asan0
        check('no sanitizer report from the flood', not new, repr(new))
    # AUTHFAILMAX=1
    c, _ = session(dict(AUTHENV, AUTHFAILMAX='1'))
    c.send('AUTH PLAIN %s\r\nNOOP\r\n' % plain('alice', 'x'))
    r1 = c.reply(20); r2 = c.reply(5)
    check('AUTHFAILMAX=1: 535 then 421 at once', r1[0] == 535 and r2[0] == 421 and c.closed(), repr((r1, r2)))
    c.close()

def t_auth_required():
    env = dict(AUTHENV, AUTHREQUIRED='1')
    c, _ = session(env)
    expect('AUTHREQUIRED: MAIL before AUTH -> 530', c.cmd('MAIL FROM:<a@remote.example>'), 530, '530 authentication needed')
    expect('AUTHREQUIRED: AUTH -> 235', c.cmd('AUTH PLAIN ' + plain('alice', PASS)), 235)
    expect('AUTHREQUIRED: MAIL after AUTH -> 250', c.cmd('MAIL FROM:<a@remote.example>'), 250)
    c.close()
    c, _ = session(dict(env, AUTHORIZED='1'))
    expect('AUTHREQUIRED + AUTHORIZED: MAIL without AUTH -> 250', c.cmd('MAIL FROM:<a@remote.example>'), 250)
    expect('AUTHORIZED does not open relaying', c.cmd('RCPT TO:<x@other.example>'), 553)
    c.close()

def t_auth_down():
    """the directory is down: 454, never 235 or 535"""
    c, _ = session(AUTHENV)
    r = c.cmd('AUTH PLAIN ' + plain('alice', PASS), 60)
    expect('directory down: AUTH -> 454', r, 454, '454 temporary authentication failure (#4.3.0)')
    r = c.cmd('AUTH LOGIN ' + b64('alice'))
    r = c.cmd(b64('wrong'), 60)
    expect('directory down: wrong password -> 454 too', r, 454)
    c.close()

# ================================================================ relay probes
PROBES = [('user%%other.example@%s' % D, 'percent hack'),
          ('other.example!user@%s' % D, 'bang path'),
          ('"user@other.example"@%s' % D, 'quoted @'),
          ('@%s:user@other.example' % D, 'source route'),
          ('user@other.example', 'plain foreign'),
          ('user@[1.2.3.4]', 'foreign address literal'),
          ('user@other.example@%s' % D, 'double @'),
          ('@other.example:user@%s' % D, 'foreign source route to a local user')]

def localdom(rcpt):
    return rcpt.rsplit('@', 1)[-1].lower() in (D, 'localhost', 'catch.example')

def t_relay():
    env = {'LOGLEVEL': '3'}
    for addr, what in PROBES:
        sender = 'probe-%d@remote.example' % PROBES.index((addr, what))
        c, _ = session(env)
        r = transaction(c, sender, [addr], 'Subject: probe\r\n\r\nx\r\n')
        m = qq_msgs(sender)
        if r[0] == 553:
            ok('relay probe %s <%s>: refused 553' % (what, addr))
        elif r[0] == 250 and m:
            rc = [x[1:] for x in m[0][1][1:]]
            check('relay probe %s <%s>: accepted only for a local domain (%s)' % (what, addr, rc),
                  rc and all(localdom(x) for x in rc), repr(rc))
        else:
            notok('relay probe %s <%s>' % (what, addr), repr(r))
        c.close()
    c, _ = session(env)
    c.cmd('MAIL FROM:<a@remote.example>')
    expect('source route: <@local:user@other.example> is refused 553', c.cmd('RCPT TO:<@%s:user@other.example>' % D), 553,
           'relaying denied')
    expect('plain foreign recipient refused 553', c.cmd('RCPT TO:<user@other.example>'), 553,
           '553 sorry, relaying denied from your location [127.0.0.1] (#5.7.1)')
    expect('foreign address literal refused 553', c.cmd('RCPT TO:<user@[1.2.3.4]>'), 553)
    expect('local address literal accepted', c.cmd('RCPT TO:<joe@[127.0.0.1]>'), 250)
    c.close()

def t_relay_auth():
    c, _ = session(AUTHENV)
    c.cmd('AUTH PLAIN ' + plain('alice', PASS))
    r = transaction(c, 'relay-auth@remote.example', ['user@other.example', 'user@[1.2.3.4]'])
    m = qq_msgs('relay-auth@remote.example')
    check('with AUTH the plain foreign address relays (250)', r[0] == 250 and m and
          m[0][1][1:] == ['Tuser@other.example', 'Tuser@[1.2.3.4]'], repr((r, m and m[0][1])))
    c.close()

# ================================================================ RCPTCHECK / SENDERCHECK
VENV = {'RCPTCHECK': '1', 'LOGLEVEL': '3'}

def verify_pids():
    out = []
    for p in glob.glob('/proc/[0-9]*'):
        try:
            if os.readlink(p + '/exe') == QH + '/bin/qmail-verify': out.append(int(p[6:]))
        except OSError: pass
    return out

def t_verify():
    c, _ = session(VENV)
    c.cmd('MAIL FROM:<s@remote.example>')
    expect('RCPTCHECK: known user -> 250', c.cmd('RCPT TO:<alice@%s>' % D), 250)
    expect('RCPTCHECK: known user, other case -> 250', c.cmd('RCPT TO:<Alice@%s>' % D.upper()), 250)
    r = c.cmd('RCPT TO:<nobody-here@%s>' % D)
    check('RCPTCHECK: unknown -> 554 "no mailbox"', r[0] == 554 and 'no mailbox' in r[1].lower(), repr(r))
    r = c.cmd('RCPT TO:<dis@%s>' % D)
    check('RCPTCHECK: disabled -> 554', r[0] == 554, repr(r))
    r = c.cmd('RCPT TO:<del@%s>' % D)
    check('RCPTCHECK: deleted -> 554', r[0] == 554, repr(r))
    r = c.cmd('RCPT TO:<qt@%s>' % D)
    check('RCPTCHECK: over quota (maildirsize above mailQuotaSize) -> 552', r[0] == 552, repr(r))
    expect('RCPTCHECK: catch-all entry accepts anything@catch.example', c.cmd('RCPT TO:<whatever-x@catch.example>'), 250)
    expect('RCPTCHECK: local (users/cdb) user -> 250', c.cmd('RCPT TO:<joe@%s>' % D), 250)
    expect('RCPTCHECK: foreign recipient still 553 (relay control first)', c.cmd('RCPT TO:<x@other.example>'), 553)
    expect('RCPTCHECK: the session goes on: DATA', c.cmd('DATA'), 354)
    c.send('Subject: v\r\n\r\nx\r\n.\r\n')
    expect('RCPTCHECK: message queued', c.reply(), 250)
    c.cmd('MAIL FROM:<s@remote.example> SIZE=5000')
    r = c.cmd('RCPT TO:<sm@%s>' % D)
    check('RCPTCHECK: SIZE=5000 > mailSizeMax 1500 -> 552 at RCPT', r[0] == 552, repr(r))
    expect('RCPTCHECK: SIZE=5000 for a user without mailSizeMax -> 250', c.cmd('RCPT TO:<alice@%s>' % D), 250)
    c.cmd('MAIL FROM:<s@remote.example> SIZE=1000')
    expect('RCPTCHECK: SIZE=1000 <= mailSizeMax -> 250', c.cmd('RCPT TO:<sm@%s>' % D), 250)
    c.close()
    # goodmailaddr skips the check
    ctl('goodmailaddr', 'nobody-good@%s' % D)
    c, _ = session(VENV)
    c.cmd('MAIL FROM:<s@remote.example>')
    expect('RCPTCHECK: goodmailaddr is not verified -> 250', c.cmd('RCPT TO:<nobody-good@%s>' % D), 250)
    c.close()
    ctl('goodmailaddr')
    # one qmail-verify and one LDAP connection for 50 RCPTs
    srv = server(VENV)
    a0 = slapd_accepts()
    c, _ = session(VENV)
    pids = srv.children()
    c.send('MAIL FROM:<s@remote.example>\r\n' +
           ''.join('RCPT TO:<%s@%s>\r\n' % ('alice' if i % 2 else 'nobody%d' % i, D) for i in range(50)))
    codes = [c.reply(30)[0] for _ in range(51)]
    v = verify_pids()
    vmine = [p for p in v if pids and open('/proc/%d/stat' % p).read().rsplit(')', 1)[1].split()[1] == str(pids[0])]
    a1 = slapd_accepts()
    check('50 RCPTs: 25 x 250, 25 x 554', codes[1:].count(250) == 25 and codes[1:].count(554) == 25, repr(codes))
    check('50 RCPTs: one qmail-verify process for the session', len(vmine) == 1, repr((pids, v, vmine)))
    check('50 RCPTs: one LDAP connection (slapd accepted %d)' % (a1 - a0), a1 - a0 == 1, '%d' % (a1 - a0))
    c.cmd('QUIT'); c.close()
    check('qmail-verify exits with the session', wait_for(lambda: not [p for p in verify_pids() if p in vmine]), repr(vmine))
    # SENDERCHECK
    c, _ = session({'SENDERCHECK': '1'})
    r = c.cmd('MAIL FROM:<nobody-here@%s>' % D)
    check('SENDERCHECK: local unknown sender -> 554', r[0] == 554, repr(r))
    expect('SENDERCHECK: local known sender -> 250', c.cmd('MAIL FROM:<alice@%s>' % D), 250)
    expect('SENDERCHECK: outside sender -> 250', c.cmd('MAIL FROM:<x@remote.example>'), 250)
    expect('SENDERCHECK: null sender -> 250', c.cmd('MAIL FROM:<>'), 250)
    c.close()
    c, _ = session({'SENDERCHECK': 'STRICT'})
    r = c.cmd('MAIL FROM:<x@remote.example>')
    check('SENDERCHECK=STRICT: outside sender -> 554', r[0] == 554, repr(r))
    c.close()

def t_verify_down():
    """the directory is stopped: RCPTCHECK 451 (LDAPSOFTOK: 250), AUTH 454"""
    c, _ = session(VENV)
    c.cmd('MAIL FROM:<s@remote.example>')
    expect('RCPTCHECK with slapd up (before the stop) -> 250', c.cmd('RCPT TO:<alice@%s>' % D), 250)
    check('slapd stopped', slapd_stop())
    r = c.cmd('RCPT TO:<alice@%s>' % D, 60)
    check('RCPTCHECK: slapd stopped mid-session -> 451', r[0] == 451, repr(r))
    c.close()
    c, _ = session(VENV)
    c.cmd('MAIL FROM:<s@remote.example>')
    r = c.cmd('RCPT TO:<alice@%s>' % D, 60)
    check('RCPTCHECK: slapd stopped -> 451', r[0] == 451, repr(r))
    r = c.cmd('RCPT TO:<nobody-here@%s>' % D, 60)
    check('RCPTCHECK: slapd stopped, unknown user -> 451 (not 554)', r[0] == 451, repr(r))
    c.close()
    c, _ = session(dict(VENV, LDAPSOFTOK='1'))
    c.cmd('MAIL FROM:<s@remote.example>')
    expect('RCPTCHECK + LDAPSOFTOK: slapd stopped -> 250', c.cmd('RCPT TO:<alice@%s>' % D, 60), 250)
    c.close()
    c, _ = session({'SENDERCHECK': '1'})
    r = c.cmd('MAIL FROM:<alice@%s>' % D, 60)
    check('SENDERCHECK: slapd stopped -> 451', r[0] == 451, repr(r))
    c.close()

# ================================================================ SMTPUTF8
def t_utf8():
    c, _ = session({})
    check('EHLO advertises SMTPUTF8', '\n250-SMTPUTF8' in c.ehlo[1], repr(c.ehlo))
    expect('MAIL FROM:<ü@x> without SMTPUTF8 -> 553 (#5.6.7)', c.cmd('MAIL FROM:<ü@x.example>'), 553,
           '553 sorry, a non-ASCII address needs SMTPUTF8 (#5.6.7)')
    expect('MAIL FROM:<ü@x> SMTPUTF8 -> 250', c.cmd('MAIL FROM:<ü@x.example> SMTPUTF8'), 250)
    expect('RCPT of a UTF-8 local address in that transaction -> 250', c.cmd('RCPT TO:<jürgen@%s>' % D), 250)
    expect('invalid UTF-8 (\\xc3\\x28) with SMTPUTF8 -> 553', c.cmd('MAIL FROM:<\udcc3(@x.example> SMTPUTF8'), 553,
           '553 sorry, that address is not valid UTF-8 (#5.6.7)')
    expect('overlong UTF-8 (\\xc0\\xaf) -> 553', c.cmd('MAIL FROM:<\udcc0\udcaf@x.example> SMTPUTF8'), 553, 'not valid UTF-8')
    expect('UTF-16 surrogate (\\xed\\xa0\\x80) -> 553', c.cmd('MAIL FROM:<\udced\udca0\udc80@x.example> SMTPUTF8'), 553)
    expect('ASCII MAIL without SMTPUTF8 -> 250', c.cmd('MAIL FROM:<a@x.example>'), 250)
    expect('then a UTF-8 RCPT -> 553 (#5.6.7)', c.cmd('RCPT TO:<jürgen@%s>' % D), 553, 'needs SMTPUTF8')
    expect('invalid UTF-8 RCPT with SMTPUTF8 -> 553',
           (c.cmd('MAIL FROM:<a@x.example> SMTPUTF8'), c.cmd('RCPT TO:<j\udcc3(@%s>' % D))[1], 553, 'not valid UTF-8')
    c.close()

def t_utf8_verify():
    c, _ = session(VENV)
    c.cmd('MAIL FROM:<ü@x.example> SMTPUTF8')
    expect('RCPTCHECK: UTF-8 mailAlternateAddress of a directory user -> 250', c.cmd('RCPT TO:<jürgen@%s>' % D), 250)
    expect('RCPTCHECK: UTF-8, other case (JÜRGEN) -> 250', c.cmd('RCPT TO:<JÜRGEN@%s>' % D), 250)
    r = c.cmd('RCPT TO:<jürgenx@%s>' % D)
    check('RCPTCHECK: unknown UTF-8 address -> 554', r[0] == 554, repr(r))
    c.close()

# ================================================================ real queue (qmail-send running)
def t_real():
    """into the instance's queue: the UTF-8 recipient and the accepted relay probes"""
    env = {'QMAILQUEUE': '', 'RCPTCHECK': '1'} if os.path.exists(QH + '/bin/qmail-verify') else {'QMAILQUEUE': ''}
    c, _ = session(env)
    r, err = c.starttls()
    c.cmd('EHLO utf8.example')
    r = transaction(c, 'ü@x.example', ['jürgen@' + D], 'Subject: utf8 delivery\r\n\r\nGrüße\r\n', ' SMTPUTF8')
    check('UTF-8 message over TLS queued by the real qmail-queue', r[0] == 250 and err is None, repr((r, err)))
    c.close()
    md = os.environ['H'] + '/jurgen/Maildir'
    check('... and it reaches the directory user\'s Maildir',
          wait_for(lambda: any('Subject: utf8 delivery' in open(f, errors='replace').read()
                               for f in glob.glob(md + '/new/*') + glob.glob(md + '/cur/*')), 30),
          repr(os.listdir(md + '/new') if os.path.isdir(md + '/new') else md))
    fs = glob.glob(md + '/new/*')
    text = open(fs[0], 'rb').read().decode('utf-8', 'replace') if fs else ''
    check('... with Delivered-To and Received "with UTF8SMTPS"',
          'Delivered-To: jürgen@%s' % D in text and ' with UTF8SMTPS (TLSv1.' in re.sub(r'\n\s+', ' ', text), text[:600])
    # the relay probes that are accepted end up local, never remote
    c, _ = session({'QMAILQUEUE': ''})
    c.cmd('MAIL FROM:<joe@%s>' % D)     # bounces stay here
    accepted = [a for a, _ in PROBES if c.cmd('RCPT TO:<%s>' % a)[0] == 250]
    rr = c.cmd('DATA')
    if rr[0] == 354:
        c.send('Subject: probes\r\n\r\nx\r\n.\r\n'); rr = c.reply()
    c.close()
    check('relay probes: some accepted for local domains (%d), queued' % len(accepted), accepted and rr[0] == 250, repr(rr))
    qp = re.search(r' qp (\d+) ', rr[1] or '')
    check('relay probes to local domains queued in one message', rr[0] == 250 and qp, repr(rr))
    if not qp: return
    qlog = T + '/qmail.log'
    def msgid():
        m = re.search(r'info msg (\d+): bytes \d+ from <joe@%s> qp %s uid' % (D, qp.group(1)),
                      open(qlog, errors='replace').read())
        return m and (m.group(1), m.start())
    wait_for(msgid, 30)
    mid, at = msgid() or (None, 0)
    # message ids are inode numbers, reused: only the log after this message's info line
    def ended(): return ('end msg %s' % mid) in open(qlog, errors='replace').read()[at:]
    check('probe message: qmail-send finishes it', mid and wait_for(ended, 60), 'msg %r' % mid)
    text = open(qlog, errors='replace').read()[at:]
    text = text[:text.find('end msg %s' % mid)]
    loc = re.findall(r'starting delivery \d+: msg %s to local (\S+)' % mid, text)
    rem = re.findall(r'starting delivery \d+: msg %s to remote (\S+)' % mid, text)
    check('probe message: every recipient delivered locally (%d), none remotely' % len(loc),
          mid and not rem and len(loc) == len(accepted), repr((loc, rem)))

try:
    os.makedirs(T + '/cores', exist_ok=True); os.chmod(T + '/cores', 0o777)
    part = sys.argv[1]
    have_auth = os.path.exists(QH + '/bin/auth_smtp')
    have_verify = os.path.exists(QH + '/bin/qmail-verify')
    def serial(*fns):
        def f():
            for t in fns: guarded(t)
        f.__name__ = '+'.join(t.__name__ for t in fns)
        return f
    def auth_part():
        if not have_auth: notok('auth_smtp not built yet', 'no %s/bin/auth_smtp' % QH); return
        serial(t_auth_ok, t_auth_tls, t_auth_misc, t_auth_fails, t_relay_auth)()
    if part == 'main':
        # side by side: the AUTH part mostly waits out failure delays;
        # nothing here changes control files
        parallel(serial(t_starttls, t_cve_2011_0411, t_tls_clients, t_old_tls, t_tls_forgets_helo,
                        t_tlsrequired),
                 serial(t_utf8, t_relay), auth_part)
        guarded(t_nocert)        # changes control/smtpcert: alone
        # alone: counts slapd's connections
        if not have_verify: notok('qmail-verify not built yet', 'no %s/bin/qmail-verify' % QH)
        else: serial(t_verify, t_utf8_verify)()
        # the directory goes down and comes back
        if have_verify: guarded(t_verify_down)
        else: check('slapd stopped', slapd_stop())
        if have_auth: guarded(t_auth_down)
        else: notok('auth_smtp not built yet (directory down: 454)', 'no %s/bin/auth_smtp' % QH)
        check('slapd restarted', slapd_start())
    elif part == 'real':
        guarded(t_real)
    else:
        # one test function by name (development)
        guarded(globals()[part])
except Exception as e:
    notok(sys.argv[1], 'exception %r' % e)
finally:
    for s in SERVERS.values(): s.stop()
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
        notok(sys.argv[1] + ': every qmail-smtpd exits', 'still running: %r' % left)
        for pid in left:
            try: os.kill(pid, signal.SIGKILL)
            except OSError: pass
sys.exit(1 if FAILED else 0)
