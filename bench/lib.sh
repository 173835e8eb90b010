# bench/lib.sh: shared by the directory benches (sourced, after
# tests/slapd.sh). POSIX sh.

# a free loopback TCP port
bench_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# The bench directory: USERS entries under ou=people of $SLAPD_SUFFIX,
# mail userK@DOMAIN, mailAlternateAddress uK@DOMAIN, relative
# mailMessageStore userK/ (K = 1..USERS). LDIF on stdout.
# CREDS (optional): line K is "userK<TAB>password<TAB>userPassword value"
# and gives userK that userPassword (bench/smtp-auth).
bench_users_ldif() {   # USERS DOMAIN [CREDS]
  awk -v n="$1" -v d="$2" -v creds="${3:-}" 'BEGIN {
  print "dn: ou=people,dc=example,dc=com\nobjectClass: organizationalUnit\nou: people\n"
  for (k = 1; k <= n; k++) {
    printf "dn: uid=user%d,ou=people,dc=example,dc=com\nobjectClass: top\nobjectClass: person\nobjectClass: qmailUser\ncn: User %d\nsn: %d\nuid: user%d\nmail: user%d@%s\nmailAlternateAddress: u%d@%s\nmailMessageStore: user%d/\n", k, k, k, k, k, d, k, d, k
    if (creds != "") {
      if ((getline line < creds) <= 0) { print "bench_users_ldif: " creds " ends before user" k > "/dev/stderr"; exit 1 }
      split(line, f, "\t")
      if (f[1] != "user" k || f[3] == "") { print "bench_users_ldif: " creds ": line " k " is not user" k > "/dev/stderr"; exit 1 }
      printf "userPassword: %s\n", f[3]
    }
    print ""
  }
}'
}

# A private slapd on a free loopback port with "-d stats" (its log,
# DIR/slapd.log, shows every connection and search), up and answering.
# Sets bench_slapd (pid) and bench_slapd_port. 0 ok, 1 failure.
bench_slapd() {   # DIR TOP
  bench_slapd_port=$(bench_port) || return 1
  slapd_setup "$1/ldap" "$2" || return 1
  /usr/sbin/slapd -F "$1/ldap/slapd.d" -h "ldap://127.0.0.1:$bench_slapd_port/" -d stats > "$1/slapd.log" 2>&1 &
  bench_slapd=$!
  _i=0
  until ldapsearch -x -H "ldap://127.0.0.1:$bench_slapd_port" -b "$SLAPD_SUFFIX" -s base dn >/dev/null 2>&1; do
    _i=$((_i + 1)); [ $_i -gt 100 ] && return 1
    kill -0 "$bench_slapd" 2>/dev/null || return 1
    sleep 0.1
  done
}

# slapd's log: searches, accepted connections and binds so far (a bind
# has two BIND lines; the first says method=)
bench_searches() { grep -c ' SRCH base=' "$1"; }
bench_accepts() { grep -c ' ACCEPT from' "$1"; }
bench_binds() { grep -c ' BIND dn=.* method=' "$1"; }

# CPU of the whole machine (user+nice+system+irq+softirq), in jiffies
bench_busy() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 }' /proc/stat; }

# a process's own CPU (utime+stime) and its reaped children's, in
# jiffies; 0 when it is gone (the command name may hold spaces)
bench_pcpu() { sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | awk '{ print $12 + $13; n++ } END { if (!n) print 0 }'; }
bench_ccpu() { sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | awk '{ print $14 + $15; n++ } END { if (!n) print 0 }'; }

# one rcptblast or slapd-search-rate output field (key=value)
bench_field() {   # KEY LINE
  echo "$2" | tr ' ' '\n' | sed -n "s/^$1=//p"
}

# "pid name own-CPU" of each child of a process
bench_children_cpu() {   # PID
  for _p in $(pgrep -P "$1"); do
    printf '%s %s %s\n' "$_p" "$(cat "/proc/$_p/comm" 2>/dev/null || echo gone)" "$(bench_pcpu "$_p")"
  done
}

# Per name, the CPU spent between two bench_children_cpu lists (files);
# a process only in the second list counts in full. "name jiffies" lines.
bench_cpu_delta() {   # BEFORE AFTER
  awk 'NR == FNR { b[$1] = $3; next } { d[$2] += $3 - ($1 in b ? b[$1] : 0) } END { for (k in d) print k, d[k] }' "$1" "$2"
}
