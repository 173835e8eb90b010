# tests/lib.sh: helpers for the integration tests (sourced by tests/integ/*.sh).
#
# Environment set by tests/run (or by hand):
#   QI   the instance directory made by tests/mkinstance (QH = $QI/qmail)
#   T    a scratch directory for this script (created if unset)
#   SAN  "asan" for a sanitizer instance (ASAN/UBSAN options are exported)
# Each script prints TAP-like lines: "ok - name" / "not ok - name # reason".
# Waits poll for a condition with a timeout; there are no fixed sleeps.

: "${QI:?QI must name an instance made by tests/mkinstance}"
QH=$QI/qmail
[ -n "${T:-}" ] || T=$(mktemp -d "$QI/t.XXXXXX")
mkdir -p "$T" && chmod 755 "$T"
QLOG=$T/qmail.log            # qmail-send's log (qmail-start's stdout+stderr)
TESTS_FAILED=0
export QI QH T

if [ -d "$QI/asan" ]; then
  # Every sanitizer report lands in $QI/asan; tests/run fails if any exists.
  export ASAN_OPTIONS="detect_leaks=0:abort_on_error=1:log_path=$QI/asan/asan"
  export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:log_path=$QI/asan/ubsan"
fi

ok() { echo "ok - $1"; }
notok() { echo "not ok - $1 # ${2:-failed}"; TESTS_FAILED=$((TESTS_FAILED + 1)); }
# check NAME COMMAND...: ok if the command succeeds.
check() { _ck_n=$1; shift; if "$@"; then ok "$_ck_n"; else notok "$_ck_n" "$*"; fi; }
# Exit status of a script: non-zero if any check failed.
done_testing() { [ "$TESTS_FAILED" = 0 ]; }

# wait_until TIMEOUT COMMAND...: poll every 0.05 s until the command succeeds.
wait_until() {
  _t=$1; shift
  _end=$(( $(date +%s) + _t ))
  while :; do
    "$@" && return 0
    [ "$(date +%s)" -ge "$_end" ] && return 1
    sleep 0.05
  done
}
_exists() { for _f in "$@"; do [ -e "$_f" ] && return 0; done; return 1; }
wait_for_file() { wait_until "${2:-20}" _exists "$1"; }
wait_for_log() { wait_until "${2:-20}" grep -s -q -E -e "$1" "${3:-$QLOG}"; }

# maildir_count MAILDIR: messages in new/ and cur/.
maildir_count() {
  find "$1/new" "$1/cur" -maxdepth 1 -type f 2>/dev/null | wc -l | tr -d ' '
}
_count_ge() { [ "$(maildir_count "$1")" -ge "$2" ]; }
wait_for_count() { wait_until "${3:-30}" _count_ge "$1" "$2"; }
# maildir_grep MAILDIR REGEX: number of messages matching.
maildir_grep() {
  find "$1/new" "$1/cur" -maxdepth 1 -type f -exec grep -l -E -e "$2" {} + 2>/dev/null | wc -l | tr -d ' '
}
_grep_ge() { [ "$(maildir_grep "$1" "$2")" -ge "$3" ]; }
wait_for_mail() { wait_until "${4:-30}" _grep_ge "$1" "$2" "${3:-1}"; }

# Files still in the queue (everything except the lock directory).
queue_files() {
  find "$QH/queue/mess" "$QH/queue/intd" "$QH/queue/todo" "$QH/queue/info" \
       "$QH/queue/local" "$QH/queue/remote" "$QH/queue/bounce" -type f 2>/dev/null | wc -l | tr -d ' '
}
_queue_empty() { [ "$(queue_files)" = 0 ]; }
wait_queue_empty() { wait_until "${1:-30}" _queue_empty; }

# qpids [NAME]: pids of this instance's programs (by executable path), so
# only our own processes are ever signalled. Without NAME: the running
# instance, not the injectors a test may have running in the background
# (qmail-inject, sendmail and the qmail-queue they start).
# One pass over /proc (a single find printing every exe link, filtered
# by one awk), not a readlink per process: on a busy host the shell loop
# took seconds, too slow to catch a short-lived qmail-local.
_qscan() { find /proc/[0-9]* -maxdepth 1 -name exe -printf '%h\t%l\n' 2>/dev/null; }
# _qfilter MODE [NAME]: MODE pid prints pids, MODE proc "pid:name ".
_qfilter() {
  QP_BIN="$QH/bin/" QP_NAME="${2:-}" QP_MODE=$1 awk -F '\t' '
    BEGIN { bin = ENVIRON["QP_BIN"]; name = ENVIRON["QP_NAME"]; mode = ENVIRON["QP_MODE"] }
    index($2, bin name) != 1 { next }
    name == "" && ($2 == bin "qmail-inject" || $2 == bin "sendmail" || $2 == bin "qmail-queue") { next }
    { pid = substr($1, 7)
      if (mode == "pid") print pid
      else { n = substr($2, length(bin) + 1); printf "%s:%s ", pid, n } }'
}
qpids() { _qscan | _qfilter pid "${1:-}"; }
_no_qpids() { [ -z "$(qpids)" ]; }
# qprocs: "pid:name" of every running program of the instance (diagnostics).
qprocs() { _qscan | _qfilter proc; }

# qstart [DEFAULTDELIVERY]: start qmail-start (as root), log to $QLOG and
# wait until qmail-send reports its status line.
qstart() {
  [ -z "$(qpids)" ] || { echo "qstart: instance already running" >&2; return 1; }
  _before=$(_nstatus)
  (cd "$QH" && exec env - PATH="$QH/bin:/usr/bin:/bin" \
     ${ASAN_OPTIONS:+ASAN_OPTIONS="$ASAN_OPTIONS"} ${UBSAN_OPTIONS:+UBSAN_OPTIONS="$UBSAN_OPTIONS"} \
     "$QH/bin/qmail-start" "${1:-./Maildir/}" >> "$QLOG" 2>&1 < /dev/null) &
  QSTART_PID=$!
  wait_until 20 _status_after "$_before"
}
_nstatus() { cat "$QLOG" 2>/dev/null | grep -c 'status:'; }
_status_after() { [ "$(_nstatus)" -gt "$1" ]; }

# qsend_pid: qmail-send's pid (empty if not running).
qsend_pid() { qpids qmail-send | head -n 1; }
# qsignal SIG [NAME]: signal this instance's NAME (default qmail-send).
qsignal() { for _p in $(qpids "${2:-qmail-send}"); do kill -s "$1" "$_p" 2>/dev/null; done; }

# qstop: SIGTERM qmail-send and wait for every process of the instance to
# exit. Returns 1 (after SIGKILLing the rest) if they did not in time.
qstop() {
  _pid=$(qsend_pid)
  [ -n "$_pid" ] && kill -TERM "$_pid"
  if wait_until "${1:-30}" _no_qpids; then
    [ -n "${QSTART_PID:-}" ] && wait "$QSTART_PID" 2>/dev/null
    return 0
  fi
  for _p in $(qpids); do kill -KILL "$_p" 2>/dev/null; done
  wait_until 10 _no_qpids
  return 1
}
# qkill NAME: SIGKILL the instance's NAME and wait until everything is gone
# (children see EOF and exit, as INTERNALS 2 says).
# On a timeout the leftovers are named on stderr, SIGKILLed, and 1 returned.
qkill() {
  for _p in $(qpids "$1"); do kill -KILL "$_p" 2>/dev/null; done
  wait_until "${2:-30}" _no_qpids && return 0
  echo "qkill $1: still running after ${2:-30} s: $(qprocs)" >&2
  QKILL_LEFT=$(qprocs)
  for _p in $(qpids); do kill -KILL "$_p" 2>/dev/null; done
  wait_until 10 _no_qpids
  return 1
}

# Test users: users/assign entries + qmail-newu, uids from 7001 on, home
# $T/home/NAME (per script) owned by the user, with a Maildir.
add_user() {
  _u=$1
  _n=$(cat "$QI/uidnext" 2>/dev/null || echo 7001)
  echo $((_n + 1)) > "$QI/uidnext"
  _h=$T/home/$_u
  mkdir -p "$_h/Maildir/new" "$_h/Maildir/cur" "$_h/Maildir/tmp"
  chmod 755 "$T/home" "$_h"
  chmod 700 "$_h/Maildir" "$_h/Maildir/new" "$_h/Maildir/cur" "$_h/Maildir/tmp"
  chown -R "$_n:$_n" "$_h"
  touch "$QI/assign.list"
  printf '=%s:%s:%s:%s:%s:::\n+%s-:%s:%s:%s:%s:-::\n' \
    "$_u" "$_u" "$_n" "$_n" "$_h" "$_u" "$_u" "$_n" "$_n" "$_h" >> "$QI/assign.list"
  { cat "$QI/assign.list"; echo .; } > "$QH/users/assign"
  "$QH/bin/qmail-newu" || { echo "add_user: qmail-newu failed" >&2; return 1; }
  eval "UID_$(echo "$_u" | tr -c 'A-Za-z0-9\n' _)=$_n"
}
home_of() { echo "$T/home/$1"; }
uid_of() { eval "echo \$UID_$(echo "$1" | tr -c 'A-Za-z0-9\n' _)"; }

# dotqmail USER [EXT] < lines: write ~USER/.qmail[-EXT], owned by the user, 0644.
dotqmail() {
  _f=$(home_of "$1")/.qmail${2:+-$2}
  cat > "$_f" && chown "$(uid_of "$1"):$(uid_of "$1")" "$_f" && chmod 644 "$_f"
}

# as_user USER CMD...: run a command with the user's uid/gid.
as_user() {
  _u=$(uid_of "$1"); shift
  setpriv --reuid="$_u" --regid="$_u" --clear-groups -- "$@"
}

# ctl NAME VALUE...: write control/NAME (one line per argument; none: remove).
ctl() {
  _c=$1; shift
  if [ $# = 0 ]; then rm -f "$QH/control/$_c"; return; fi
  printf '%s\n' "$@" > "$QH/control/$_c" && chmod 644 "$QH/control/$_c"
}

# msg TO SUBJECT [BODY]: a small message on stdout.
msg() {
  printf 'To: %s\nSubject: %s\n\n%s\n' "$1" "$2" "${3:-hello}"
}
# inject ARGS... < message: qmail-inject (as root unless INJECT_AS is a test user).
inject() {
  if [ -n "${INJECT_AS:-}" ]; then as_user "$INJECT_AS" "$QH/bin/qmail-inject" "$@"
  else "$QH/bin/qmail-inject" "$@"; fi
}
# send_to RCPT SUBJECT [BODY]: inject a message from a fixed sender.
send_to() {
  msg "$1" "$2" "${3:-hello}" | inject -f "${SENDER:-sender@testhost.example}" "$1"
}

# burst_inject USER N: inject N messages (X-Seq: 1..N) to USER@testhost.example
# in the background ($BURST_PID); failures are listed in $T/injfail.
burst_inject() {
  rm -f "$T/injected" "$T/injfail"
  (
    _bi_i=1
    while [ $_bi_i -le "$2" ]; do
      printf 'To: %s@testhost.example\nSubject: burst %s\nX-Seq: %s\n\n.\n' "$1" $_bi_i $_bi_i |
        "$QH/bin/qmail-inject" -f sender@testhost.example "$1@testhost.example" ||
        echo "$_bi_i" >> "$T/injfail"
      _bi_i=$((_bi_i + 1))
    done
    touch "$T/injected"
  ) &
  BURST_PID=$!
}

# crash_burst PROG N KILLS...: inject N messages to user "burst" (or
# $CB_USER) in the background; whenever the Maildir holds KILL_i messages,
# SIGKILL the instance's PROG and restart. Then every message must arrive
# (at least once) and the queue must be empty.
crash_burst() {
  _cb_prog=$1 _cb_n=$2; shift 2
  _cb_user=${CB_USER:-burst}
  add_user "$_cb_user"
  _cb_md=$(home_of "$_cb_user")/Maildir
  qstart || { notok "qmail-start comes up"; return; }
  burst_inject "$_cb_user" "$_cb_n"
  _cb_inj=$BURST_PID
  for _cb_k in "$@"; do
    if ! wait_for_count "$_cb_md" "$_cb_k" 120; then
      notok "$_cb_k messages delivered before killing $_cb_prog" "only $(maildir_count "$_cb_md")"
      continue
    fi
    if [ -z "$(qpids "$_cb_prog")" ]; then notok "$_cb_prog running at $_cb_k" "no such process"; continue; fi
    qkill "$_cb_prog" || notok "instance exits after SIGKILL of $_cb_prog" "still running: $QKILL_LEFT"
    ok "SIGKILL $_cb_prog with $(maildir_count "$_cb_md") delivered"
    qstart || notok "qmail-start comes up after SIGKILL of $_cb_prog"
  done
  wait "$_cb_inj"
  check "all $_cb_n messages injected" test ! -s "$T/injfail"
  wait_until 300 _all_seqs "$_cb_md" "$_cb_n"
  _cb_got=$(_seqs "$_cb_md" | sort -un | wc -l | tr -d ' ')
  _cb_tot=$(maildir_count "$_cb_md")
  if [ "$_cb_got" = "$_cb_n" ]; then ok "every message delivered ($_cb_got unique, $_cb_tot files)"
  else notok "every message delivered" "$_cb_got of $_cb_n unique"; fi
  check "queue empty after the burst" wait_queue_empty 60
  check "SIGTERM: every process exits" qstop
}
_seqs() { find "$1/new" "$1/cur" -type f -exec sed -n 's/^X-Seq: //p' {} + 2>/dev/null; }
# seq_dups MAILDIR: how many X-Seq values arrived more than once.
seq_dups() { _seqs "$1" | sort -n | uniq -d | wc -l | tr -d ' '; }
_all_seqs() { [ "$(_seqs "$1" | sort -un | wc -l)" -ge "$2" ]; }
