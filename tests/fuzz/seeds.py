#!/usr/bin/env python3
"""tests/fuzz/seeds.py: (re)write the seed corpora tests/fuzz/corpus/<name>/.

Each seed is a small file of the kind its harness reads (see the comment
at the top of tests/fuzz/fuzz_<name>.c). Files already there that this
script does not make (inputs a fuzzer found, kept as regression seeds)
are left alone. Run from anywhere: python3 tests/fuzz/seeds.py
"""
import os
import struct
import zlib

TOP = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")


def put(name, fname, data):
    d = os.path.join(TOP, name)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogateescape")
    with open(os.path.join(d, fname), "wb") as f:
        f.write(data)


def crlf(lines):
    return "".join(l + "\r\n" for l in lines)


# ---- SMTP command lines ----
put("smtpcmd", "session-plain", crlf([
    "HELO client.example.net", "MAIL FROM:<joe@example.net>", "RCPT TO:<fred@example.org>",
    "RCPT TO:<sue@example.org>", "DATA", "QUIT"]))
put("smtpcmd", "session-esmtp", crlf([
    "EHLO client.example.net", "MAIL FROM:<joe@example.net> SIZE=12345 BODY=8BITMIME",
    "RCPT TO:<fred@example.org> NOTIFY=NEVER", "RSET", "NOOP", "VRFY fred", "HELP", "QUIT"]))
put("smtpcmd", "session-auth-tls", crlf([
    "EHLO c", "STARTTLS", "EHLO c", "AUTH PLAIN AGpvZQBzZWNyZXQ=", "AUTH LOGIN", "am9l", "c2VjcmV0",
    "AUTH LOGIN am9l", "*", "MAIL FROM:<joe@example.net> AUTH=<>", "RCPT TO:<x@example.org>"]))
put("smtpcmd", "addresses", crlf([
    'MAIL FROM:<"john doe"@example.net>', 'RCPT TO:<"a\\"b"@example.org>',
    "RCPT TO:<@relay1.example,@relay2.example:user@example.org>", "MAIL FROM:<>", "MAIL FROM:<#@[]>",
    "RCPT TO:<postmaster>", "RCPT TO:<user@[192.0.2.1]>", "RCPT TO:<user@[IPv6:2001:db8::1]>",
    "RCPT TO:<a%b@example.org>", "RCPT TO:<a!b@example.org>", "RCPT TO:<a@b@example.org>",
    "MAIL FROM:joe@example.net", "MAIL FROM: <joe@example.net>", "RCPT TO:", "RCPT TO:<unterminated",
    "mail from:<JOE@EXAMPLE.NET> size=99999999999999999999999", "RCPT TO:<x@y> SIZE=1 SIZE=2"]))
put("smtpcmd", "utf8", crlf([
    "MAIL FROM:<j\u00f6rg@example.net> SMTPUTF8", "RCPT TO:<\u7528\u6237@\u4f8b\u5b50.\u5e7f\u544a>",
    "RCPT TO:<\U0001F600@example.org>"]).encode()
    + b"RCPT TO:<\xc0\xafbad@x>\r\nRCPT TO:<\xed\xa0\x80surrogate@x>\r\nRCPT TO:<\xf4\x90\x80\x80big@x>\r\n"
    + b"RCPT TO:<\xe2\x82trunc@x>\r\nRCPT TO:<\xf0\x9f\x98\x80ok@x>\r\n")
put("smtpcmd", "controls", b"MAIL FROM:<a\x01b@x>\r\nRCPT TO:<a\x00b@x>\r\nDA\x00TA\r\nRCPT TO:<\x7f@x>\r\n"
    + b"RCPT TO:<" + b"a" * 901 + b"@x>\r\n")
put("smtpcmd", "pipelined-bare-lf", b"EHLO x\nMAIL FROM:<a@b>\nRCPT TO:<c@d>\nDATA\n")

# ---- SMTP DATA ----
put("smtpdata", "message", crlf([
    "Received: from client by mx; Tue, 1 Jan 2030 00:00:00 +0000", "From: joe@example.net",
    "To: fred@example.org", "Subject: hello", "", "Hi Fred,", "..a line starting with a dot", "", "Joe", "."]))
put("smtpdata", "first-line-end", ".\r\n")
put("smtpdata", "empty-body", "Subject: x\r\n\r\n.\r\n")
put("smtpdata", "bare-lf", "Subject: x\r\n\r\nline one\nline two\r\n.\r\n")
put("smtpdata", "bare-cr", "Subject: x\r\n\r\nline\rone\r\n.\r\n")
put("smtpdata", "smuggling-lf", "Subject: x\r\n\r\nbody\n.\nMAIL FROM:<evil@x>\r\n.\r\n")
put("smtpdata", "smuggling-cr", "Subject: x\r\n\r\nbody\r.\rMAIL FROM:<evil@x>\r\n.\r\n")
put("smtpdata", "dot-cr-x", "Subject: x\r\n\r\nbody\r\n.\rx\r\n.\r\n")
put("smtpdata", "hops", crlf(["Received: hop %d" % i for i in range(101)] + ["", "x", "."]))
put("smtpdata", "delivered-to", crlf(["Delivered-To: a@b"] * 60 + ["received: x"] * 40 + ["", "."]))
put("smtpdata", "long-line", "Subject: x\r\n\r\n" + "a" * 10001 + "\r\n.\r\n")
put("smtpdata", "mime-exe", crlf([
    "Subject: x", "MIME-Version: 1.0", 'Content-Type: multipart/mixed; boundary="b1"', "", "preamble",
    "--b1", "Content-Type: text/plain", "", "hello", "--b1", "Content-Type: application/octet-stream",
    "Content-Transfer-Encoding: base64", "", "MZ\x90\x00\x03", "--b1--", "."]))
put("smtpdata", "mime-nested", crlf([
    "Content-Type: multipart/mixed; boundary=outer", "", "--outer",
    "Content-Type: multipart/alternative;", ' boundary="inner"', "", "--inner", "Content-Type: text/plain", "",
    "text", "--inner--", "--outer", "Content-Type: message/rfc822", "", "Content-Type: text/x-sh", "",
    "#!/bin/sh", "--outer--", "."]))
put("smtpdata", "mime-deep", crlf(
    ["Content-Type: multipart/mixed; boundary=b%d" % 0, ""]
    + sum([["--b%d" % i, "Content-Type: multipart/mixed; boundary=b%d" % (i + 1), ""] for i in range(18)], [])
    + ["."]))
put("smtpdata", "eight-bit", "Subject: =?utf-8?q?x?=\r\n\r\n\xe4\xf6\xfc \u00e9\r\n.\r\n")
put("smtpdata", "nul", b"Subject: x\r\n\r\na\x00b\r\n.\r\n")

# ---- netstrings ----
put("netstring", "sequence", b"3:abc,0:,5:hello,")
put("netstring", "leading-zeros", b"003:abc,00:,")
put("netstring", "max-digits", b"00000000000000000001:x,")
put("netstring", "too-many-digits", b"000000000000000000001:x,")
put("netstring", "overflow", b"99999999999999999999:x,")
put("netstring", "no-comma", b"3:abcX")
put("netstring", "truncated", b"10:abc")
put("netstring", "no-digits", b":abc,")
put("netstring", "binary", b"4:\x00\x01\xff,,2:\n\r,")

# ---- QMQP ----
def ns(b):
    return str(len(b)).encode() + b":" + b + b","


def qmqp(msg, sender, rcpts):
    return ns(ns(msg) + ns(sender) + b"".join(ns(r) for r in rcpts))


MSG = b"Received: from x\nFrom: joe@example.net\nTo: fred@example.org\nSubject: hi\n\nbody\n"
p1 = qmqp(MSG, b"joe@example.net", [b"fred@example.org"])
p2 = qmqp(MSG, b"", [b"a@example.org", b"b@example.org", b"c@example.org"])
put("qmqp", "plain", p1)
put("qmqp", "plain-many", p2)
put("qmqp", "zlib", zlib.compress(p1))
put("qmqp", "zlib-many", zlib.compress(p2, 9))
put("qmqp", "zlib-truncated", zlib.compress(p2)[:-7])
put("qmqp", "long-address", qmqp(MSG, b"joe@x", [b"a" * 1001 + b"@x", b"b@x"]))
put("qmqp", "nul-address", qmqp(MSG, b"joe@x", [b"a\x00b@x"]))
put("qmqp", "empty-recipient", qmqp(MSG, b"joe@x", [b""]))
put("qmqp", "no-recipient", qmqp(MSG, b"joe@x", []))
inner = ns(MSG) + ns(b"joe@x") + ns(b"a@x")
put("qmqp", "outer-short", str(len(inner) - 3).encode() + b":" + inner + b",")
put("qmqp", "outer-long", str(len(inner) + 3).encode() + b":" + inner + b"abc,")
put("qmqp", "message-past-outer", b"20:99:" + MSG + b",")

# ---- msgwire ----
put("msgwire", "message", "From: joe@example.net\nSubject: x\n\n.dot line\n..two\nbody\n")
put("msgwire", "partial", "Subject: x\n\nno final newline")
put("msgwire", "dot-only", ".\n")
put("msgwire", "crlf", "Subject: x\r\n\r\nbody\r\n")
put("msgwire", "bare-cr", "Subject: x\n\na\rb\r\r\n\r.\r\nend\n")
put("msgwire", "eight-bit", "Subject: x\n\n\xe4\xf6\xfc\n")
put("msgwire", "empty", "")

# ---- rfc822 ----
for i, h in enumerate([
        'To: "Joe Q. Public" <joe@example.net>, fred, djb (Dan) <djb@cr.yp.to>',
        "Cc: group: a@b.example, c@d;, e@f",
        "From: Joe <@r1.example,@r2.example:joe@example.net>",
        "To: joe@[192.0.2.1], eric@mammoth.cs+, u@h., u@, x@[]",
        "Bcc: <>, (just a comment), undisclosed-recipients: ;",
        'Reply-To: "a\\"b" <x@y>, "Doe, John" <jd@x.org>',
        "To: a@b.org\n\t, c@d.org (folded\n comment)",
        "To: @route.example",
        "Resent-To: r@x, s",
        "X-Other: not an address list",
        'To: "unterminated@x',
        "To: a@b)",
        'To: \xe4\xf6@example.org, "\u00e9" <e@x>']):
    put("rfc822", "field%02d" % i, h)

# ---- injhdr (first byte: QMAILINJECT letters, see the harness) ----
put("injhdr", "plain", "From: Joe <joe@example.net>\nTo: fred, sue@example.org\nCc: a@b\nBcc: secret@x\n"
    "Subject: hello\n there\nMessage-ID: <1@x>\nDate: Tue, 1 Jan 2030 00:00:00 +0000\n\nbody\n")
put("injhdr", "minimal", "Subject: nothing else\n\nbody\n")
put("injhdr", "resent", "Resent-From: r@x\nResent-To: t@y\nResent-Bcc: b@z\nFrom: a@x\nTo: b@y\n\n")
put("injhdr", "return-path", "Return-Path: <bounce@x>\nContent-Length: 99\nTo: a\n\nbody\n")
put("injhdr", "body-start", "To: a@b\nnot a header line\nmore\n")
put("injhdr", "eof-in-header", "To: a@b\nSubject: no end")
put("injhdr", "bad-field", "To: \"unterminated\nSubject: x\n\n")
put("injhdr", "mft", "To: list@example.org, joe@x\nCc: other@lists.example.net\n\n")
put("injhdr", "long-field", "Subject: " + "x" * 9000 + "\n\n")
put("injhdr", "flags", "\x3fTo: a\n\n")

# ---- qlfilter ----
for i, a in enumerate([
        "joe@example.org", "joe-list-foo@example.org", "-leading@example.org", "a-b-c-d-e-f-g@x",
        "star*paren(x)\\back@x", "catchall@example.org", "J\u00f6rg@B\u00fccher.example", "plain-local",
        "sp ace @x", "a+b+c@x", "(|(uid=*))@x"]):
    put("qlfilter", "addr%02d" % i, a)
put("qlfilter", "nul", b"a\x00b@x\x00")

# ---- control files ----
put("ctl", "rcpthosts", "example.org\n.example.org\n# comment\n\n  Example.NET  \r\n")
put("ctl", "me", "mx.example.org  \nsecond line\n")
put("ctl", "databytes", "10485760\n")
put("ctl", "databytes-bad", "10485760x\n")
put("ctl", "number-overflow", "18446744073709551616\n")
put("ctl", "smtproutes", ":smarthost.example.net:25\nexample.org:[192.0.2.1]\n\t#x\n")
put("ctl", "no-newline", "ldapserver.example.org")
put("ctl", "crlf", "a\r\nb\r\n\r\n")
put("ctl", "nul", b"a\x00b\nc\n")

# ---- .qmail (first line: the extension; the rest also names existing files) ----
put("dotqmail", "lines", "list-foo\n./Maildir/\n|preline /usr/bin/procmail\n&fred@example.org\nsue\n"
    "# comment\n+list\n/var/mail/joe\n.qmail-list-default\n   \t\n")
put("dotqmail", "default", "Foo.Bar-baz\n.qmail-foo:bar-default\n.qmail-default\n")
put("dotqmail", "exact-default", "x-default\n.qmail-x-default\n")
put("dotqmail", "owner", "list\n.qmail-list-owner\n.qmail-list-owner-default\n")
put("dotqmail", "no-newline", "\n./Mailbox")
put("dotqmail", "nul", b"a\x00b\n./Maildir/\x00x\n")

# ---- base64 ----
for i, b in enumerate(["", "aGVsbG8gd29ybGQ=", "QQ==", "QR==", "QUI=", "QUJ=", "QUJD", "QUJD====", "Q===",
                       "AGpvZQBzZWNyZXQ=", "a b=", "////", "++++", "QQ=A", "QUJDRA", "=QQQ"]):
    put("base64", "b%02d" % i, b)

# ---- users/assign ----
put("users", "assign", "=joe:joe:1000:1000:/home/joe:-::\n+list-:list:1001:1001:/var/list:-:x:\n"
    "=Fred:fred:1002:100:/home/fred:::\n+:alias:7790:2108:/var/qmail/alias:-::\n.\n")
put("users", "bad", "=a:a:x:1:/h:::\n=b:b:1:1:relative:::\n=c::1:1:/h:::\n+d:d:1:1:/h:-:\n=e:e:1:1:/h:::x\n")
put("users", "record", b"joe\x001000\x001000\x00/home/joe\x00-\x00ext\x00")
put("users", "record-bad", b"joe\x0010x0\x001000\x00/home/joe\x00-\x00\x00")

# ---- qmail-reply.db ----
H = "QRDBv1:0123456789abcdef0123456789abcdef\n"
put("replydb", "db", H + "foo@example.org:6553f100\nbar@example.net:6553f000\n")
put("replydb", "expired", H + "foo@example.org:1\n")
put("replydb", "other-text", "QRDBv1:ffff\nfoo@example.org:6553f100\n")
put("replydb", "garbage", H + "garbage\nx:zz\n:\nno-colon\n")
put("replydb", "future", H + "foo@example.org:ffffffff\n")
put("replydb", "empty", "")

# ---- AUTH tokens (INTERNALS 10) ----
put("authsmtp", "plain", b"plain\x00AGpvZQBzZWNyZXQ=\x00")
put("authsmtp", "plain-authzid", b"plain\x00am9lAGpvZQBzZWNyZXQ=\x00")
put("authsmtp", "plain-proxy", b"plain\x00YWRtaW4Aam9lAHNlY3JldA==\x00")
put("authsmtp", "plain-empty-pass", b"plain\x00AGpvZQA=\x00")
put("authsmtp", "login", b"login\x00am9l\x00c2VjcmV0\x00")
put("authsmtp", "login-empty", b"login\x00\x00\x00")
put("authsmtp", "trailing", b"login\x00am9l\x00c2VjcmV0\x00x")
put("authsmtp", "no-nul", b"plain\x00AGpvZQBzZWNyZXQ=")
put("authsmtp", "too-many", b"login\x00am9l\x00c2VjcmV0\x00\x00")
put("authsmtp", "cram", b"cram-md5\x00eA==\x00")

# ---- qmail-verify requests (INTERNALS 9) and a directory entry ----
ENTRY = ("\n--\nmail: joe@example.org\nmailAlternateAddress: j@example.org\nuid: joe\n"
         "mailMessageStore: /home/joe/Maildir/\nhomeDirectory: /home/joe\nmailQuotaSize: 1000000\n"
         "mailQuotaCount: 100\nmailSizeMax: 50000\naccountStatus: active\nqmailUID: 1000\nqmailGID: 1000\n")
REQ = b"Rjoe@example.org\x0012345\x00Ssender@example.net\x00\x00Rnohost\x00\x00R@x\x0099999999999999999999\x00"
put("qlverify", "requests", REQ)
put("qlverify", "requests-entry", REQ + ENTRY.encode())
put("qlverify", "disabled", b"Rjoe@example.org\x00\x00" + b"\n--\naccountStatus: disabled\nmail: joe@example.org\n")
put("qlverify", "forward", b"Rjoe@example.org\x00\x00" +
    b"\n--\nmail: joe@example.org\ndeliveryMode: forwardonly\nmailForwardingAddress: x@y\n")
put("qlverify", "cluster", b"Rjoe@example.org\x00\x00\n--\nmail: joe@example.org\nmailHost: mx2.example.org\n")
put("qlverify", "bad-kind", b"Xjoe@example.org\x00\x00")
put("qlverify", "bad-size", b"Rjoe@example.org\x0012a\x00")
put("qlverify", "long-address", b"R" + b"a" * 1001 + b"\x00\x00")

# ---- POP3 ----
put("pop3cmd", "session", crlf(["CAPA", "USER joe", "PASS secret", "STAT", "LIST", "LIST 1", "UIDL",
                                "TOP 1 10", "RETR 1", "DELE 1", "RSET", "NOOP", "LAST", "QUIT"]))
put("pop3cmd", "auth", crlf(["AUTH", "AUTH PLAIN", "AGpvZQBzZWNyZXQ=", "AUTH PLAIN AGpvZQBzZWNyZXQ=",
                             "AUTH PLAIN =", "AUTH PLAIN *", "AUTH plain am9lAGpvZQBzZWNyZXQ=",
                             "AUTH CRAM-MD5", "STLS", "APOP joe 0123456789abcdef"]))
put("pop3cmd", "bad", b"LIST 0\r\nTOP 1\r\nRETR 18446744073709551616\r\nUSER\r\n\r\nUSER a\x00b\r\n"
    + b"USER " + b"x" * 300 + b"\r\n")
put("pop3cmd", "record", b"Pjoe\x00secret\x00<1234.5678@mx.example.org>\x00")
put("pop3cmd", "record-tls-empty-pass", b"Tjoe\x00\x00\x00")

# ---- IMAP ----
put("imapcmd", "session", crlf([
    "a1 CAPABILITY", 'a2 LOGIN joe "sec ret"', "a3 ID NIL", 'a4 ID ("name" "client" "version" "1.0")',
    "a5 NOOP", "a6 STARTTLS", "a7 LOGOUT"]))
put("imapcmd", "literals", "a1 LOGIN {3}\r\njoe {6}\r\nsecret\r\na2 LOGIN {3+}\r\njoe {6+}\r\nsecret\r\n")
put("imapcmd", "authenticate", crlf(["a1 AUTHENTICATE PLAIN AGpvZQBzZWNyZXQ=", "a2 AUTHENTICATE PLAIN",
                                     "AGpvZQBzZWNyZXQ=", "a3 AUTHENTICATE PLAIN =", "a4 AUTHENTICATE CRAM-MD5"]))
put("imapcmd", "bad", b"\r\n+ LOGIN a b\r\na1\r\na2 LOGIN a\x00b c\r\na3 LOGIN (((((x)))))\r\n"
    + b"a4 LOGIN {99999}\r\na5 LOGIN \"unterminated\r\n")
put("imapcmd", "record", b"P0a1\x00joe\x00secret\x00")
put("imapcmd", "state", b"2\x00a17\x00")

# ---- extras: maildirsize, server replies, DNS answers, qmail-reply's header, POP3 RETR ----
put("quota", "maildirsize", "1000000S,1000C\n1234 1\n-200 -1\n")
put("quota", "overflow", "1S\n9223372036854775807 1\n1 1\n")
put("quota", "partial", "1000S\n12 1")
put("quota", "bad-def", "1000X,10C\n")
put("smtpreply", "ehlo", crlf(["220 mx.example.org ESMTP", "250-mx.example.org", "250-PIPELINING",
                               "250-SIZE 10485760", "250-STARTTLS", "250-AUTH LOGIN PLAIN", "250 8BITMIME",
                               "550 5.1.1 no such user", "421 bye"]))
put("smtpreply", "weird", b"220-a\r\n220-\x00b\r\nxyz\r\n250\r\n000-x\r\n999 y\r\n")
put("smtpreply", "long", b"250-" + b"x" * 5000 + b"\r\n250 ok\r\n")


def dname(n):
    return b"".join(bytes([len(p)]) + p for p in n.split(b".")) + b"\0"


def answer(qname, qtype, rrs):
    hdr = struct.pack(">HHHHHH", 0x1234, 0x8180, 1, len(rrs), 0, 0)
    q = dname(qname) + struct.pack(">HH", qtype, 1)
    return hdr + q + b"".join(b"\xc0\x0c" + struct.pack(">HHIH", t, 1, 300, len(d)) + d for t, d in rrs)


put("dns", "mx", answer(b"example.org", 15, [(15, struct.pack(">H", 10) + dname(b"mx.example.org")),
                                             (15, struct.pack(">H", 20) + b"\x03mx2\xc0\x0c")]))
put("dns", "a", answer(b"mx.example.org", 1, [(1, bytes([192, 0, 2, 1])), (1, bytes([192, 0, 2, 2]))]))
put("dns", "aaaa", answer(b"mx.example.org", 28, [(28, bytes(range(16)))]))
put("dns", "loop", answer(b"example.org", 15, [(15, struct.pack(">H", 10) + b"\xc0\x2a")]))
put("dns", "literal", b"[IPv6:2001:db8::1]")
put("mailmagic", "bulk", b"From: a@b\nSubject: hi\nPrecedence: bulk\n\nbody\x00%HEADER%\n"
    b"Subject: away: %SUBJECT%\nX-Foo: y\n%HEADER%\nI am away\n")
put("mailmagic", "auto", b"Auto-Submitted: auto-replied\nSubject: x\n folded\n\n\x00MAILER-DAEMON@x\x00-request\x00")
put("pop3box", "message", b"Subject: x\n\n.line\nbody\r\nmore\rcr\n1700000000.M1P2.host,S=1234,W=1260:2,S\n"
    b"1700000001.M2.host:2,FS\nweird name with spaces\n")
put("pop3box", "no-header-end", b"Subject: only a header")
