#!/bin/sh
# Crash safety: SIGKILL qmail-todo twice during a burst of 500 messages.
. "$(dirname "$0")/../lib.sh"
crash_burst qmail-todo 500 100 300
done_testing
