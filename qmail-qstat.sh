#!/bin/sh
# qmail-qstat: how many messages are in the queue. qmail-qstat(8).
cd QMAIL_HOME/queue || exit 111
count() {
  _files=$(find "$1" -type f -print) || exit 111
  if [ -n "$_files" ]; then printf '%s\n' "$_files" | wc -l | tr -d ' '; else echo 0; fi
}
mess=$(count mess) || exit 111
todo=$(count todo) || exit 111
echo "messages in queue: $mess"
echo "messages in queue but not yet preprocessed: $todo"
