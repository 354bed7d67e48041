#!/usr/bin/env bash
# `make demo`: confine real programs with the embedded profiles and show the reports.
set -u
sysgate=${1:-build/bin/sysgate}
step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; "$@"; echo "[exit status $?]"; }

echo "sysgate demo: every refusal is reported with the promise, rule or flag that would allow it."
step "$sysgate" run -- /bin/echo hello
step "$sysgate" run --profile stdio -- /bin/cat /etc/hostname
step "$sysgate" run --profile stdio --allow-read /etc/hostname -- /bin/cat /etc/hostname
step "$sysgate" run -- sh -c 'ls / | head -n 3; python3 -c "import socket; socket.socket()" 2>&1 | tail -n 1'
step "$sysgate" run -- cat /etc/shadow
step "$sysgate" run --json --profile stdio -- /bin/cat /etc/hostname
step "$sysgate" check --profile default
step "$sysgate" explain --profile default socket AF_INET SOCK_STREAM 0
exit 0
