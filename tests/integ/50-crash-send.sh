#!/bin/sh
# Crash safety: SIGKILL qmail-send twice during a burst of 500 messages.
. "$(dirname "$0")/../lib.sh"
crash_burst qmail-send 500 100 300
done_testing
