#!/usr/bin/env bash
# `make demo`: confine real programs with the embedded profiles and show the reports.
set -u
sysgate=${1:-build/bin/sysgate}
show() {  # print a command the way one would type it
  printf '\n\033[1m$'
  for a in "$@"; do
    case "$a" in *[[:space:]\|\;\&\$\"]*) printf " '%s'" "$a" ;; *) printf ' %s' "$a" ;; esac
  done
  printf '\033[0m\n'
}
step() { show "$@"; "$@"; echo "[exit status $?]"; }

echo "sysgate demo: every refusal is reported with the promise, rule or flag that would allow it."
step "$sysgate" run -- /bin/echo hello
step "$sysgate" run --profile stdio -- /bin/cat /etc/hostname
step "$sysgate" run --profile stdio --allow-read /etc/hostname -- /bin/cat /etc/hostname
step "$sysgate" run -- sh -c 'ls /usr | head -n 3; /usr/bin/python3 -c "import socket; socket.socket()" 2>&1 | tail -n 1'
# Secrets inside readable trees are refused by Landlock in the kernel: no report yet (docs/policy.md).
step "$sysgate" run -- cat /etc/shadow
step "$sysgate" run --json --profile stdio -- /bin/cat /etc/hostname
step "$sysgate" trace -e trace=%file,write -- /bin/sh -c 'echo traced > /dev/null; exec /bin/true'
step "$sysgate" trace -f -e trace=pipe2,wait4,uname,execve -- /bin/bash -c 'uname -n | cat > /dev/null; true'
step "$sysgate" trace -c -- /bin/ls /usr
step "$sysgate" trace --rewrite-stats -o /dev/null -- /usr/bin/find /usr/include -name '*.h'
step "$sysgate" check --profile default
step "$sysgate" explain --profile default socket AF_INET SOCK_STREAM 0
exit 0
