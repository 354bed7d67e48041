#!/usr/bin/env bash
# bench/run.sh BUILD_DIR — measures sysgate against native, strace, bubblewrap
# and a bare seccomp user-notification supervisor, and prints a markdown report
# (also written to BUILD_DIR/bench-results.md). `make bench` runs it on `build`.
#
# Every number is measured here and now; nothing is cached or hard-coded.
# Runs of different configurations are interleaved (run 1 of each, then run 2
# of each, ...) so that a burst of load on the machine spreads over all of them
# instead of landing on one. Each figure is the median of $RUNS runs.
#
# Environment: RUNS (default 5), BENCH_OPEN_PATH (default /usr/include/stdio.h).
# Takes 1–1.5 minutes on a 2-vCPU VM; about half of it is strace on `find`.
set -euo pipefail

if [ $# -ne 1 ]; then
  echo "usage: $0 BUILD_DIR" >&2
  exit 2
fi
build=$(realpath "$1")
sysgate=$build/bin/sysgate
benchdir=$build/bench
for f in "$sysgate" "$benchdir/getppid_loop" "$benchdir/open_loop" "$benchdir/unotify_baseline"; do
  if [ ! -x "$f" ]; then
    echo "bench: $f is missing; build it: cmake --build $1 --target sysgate getppid_loop open_loop unotify_baseline" >&2
    exit 1
  fi
done

RUNS=${RUNS:-5}
open_path=${BENCH_OPEN_PATH:-/usr/include/stdio.h}
report=$build/bench-results.md
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
started=$(date +%s)
load_before=$(cut -d' ' -f1-3 /proc/loadavg)

log() { echo "bench: $*" >&2; }

# --- configurations -----------------------------------------------------------
# wrap CONFIG CMD...: run CMD under one configuration. CMD is an absolute path:
# sysgate makes the command's own exec chain executable whatever the profile.
# --allow-read comes before --profile on purpose: when a repeatable option is
# the last one before `--`, the CLI (CLI11) goes on parsing options after `--`,
# and a command argument such as `find -name` is refused.
wrap() {
  local config=$1
  shift
  case $config in
    native) "$@" ;;
    sg_all) "$sysgate" run --profile all -- "$@" ;;
    sg_default) "$sysgate" run --profile default -- "$@" ;;
    sg_stdio) "$sysgate" run --allow-read "$open_path" --profile stdio -- "$@" ;;
    strace) strace -f -o /dev/null "$@" ;;
    # Tracing to a file, as the issue's numbers compare them.
    sg_trace) "$sysgate" trace -o "$tmp/sysgate-trace.out" -- "$@" ;;
    strace_file) strace -f -o "$tmp/strace.out" "$@" ;;
    bwrap) bwrap --bind / / --dev /dev --proc /proc "$@" ;;
    *) echo "bench: unknown configuration $config" >&2; return 2 ;;
  esac
}

declare -A label=(
  [native]="native"
  [sg_all]="sysgate run --profile all"
  [sg_default]="sysgate run --profile default"
  [sg_stdio]="sysgate run --profile stdio --allow-read PATH (brokered)"
  [strace]="strace -f -o /dev/null"
  [sg_trace]="sysgate trace -o FILE"
  [strace_file]="strace -f -o FILE"
  [bwrap]="bwrap --bind / / --dev /dev --proc /proc"
  [unotify]="unotify baseline (bare user-notif supervisor, CONTINUE)"
)

# A tool that is absent or cannot work here (ptrace or user namespaces refused
# in a container, say) is skipped with the reason, not counted as a failure.
declare -A skip=()
if ! command -v strace >/dev/null; then
  skip[strace]="strace is not installed"
elif ! strace -f -o /dev/null true 2>"$tmp/err"; then
  skip[strace]="strace does not work here: $(head -c 200 "$tmp/err" | tr '\n' ' ')"
fi
if [ -n "${skip[strace]:-}" ]; then skip[strace_file]=${skip[strace]}; fi
if ! command -v bwrap >/dev/null; then
  skip[bwrap]="bwrap is not installed"
elif ! bwrap --bind / / --dev /dev --proc /proc true 2>"$tmp/err"; then
  skip[bwrap]="bwrap does not work here: $(head -c 200 "$tmp/err" | tr '\n' ' ')"
fi
for config in "${!skip[@]}"; do log "skipping ${label[$config]}: ${skip[$config]}"; done

# --- measuring ------------------------------------------------------------------
declare -A samples=()  # "bench/config" -> space-separated values
declare -A failed=()   # "bench/config" -> why it did not produce a number

sorted() { tr ' ' '\n' | grep -v '^$' | sort -g; }
median() { sorted | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }

# check_run KEY RC STDERR_FILE: records a failure for KEY (exit status, or a
# sysgate refusal: a benchmark that was refused something measured the wrong
# thing). Returns 1 when the run does not count.
check_run() {
  local key=$1 rc=$2 err=$3
  if [ "$rc" -ne 0 ]; then
    failed[$key]="exit $rc: $(head -c 160 "$err" | tr '\n' ' ')"
    return 1
  fi
  if grep -q 'sysgate: denied' "$err"; then
    failed[$key]="$(grep -c 'sysgate: denied' "$err") refusals, first: $(grep -m1 'sysgate: denied' "$err" | head -c 160)"
    return 1
  fi
}

# loop_bench NAME CONFIGS -- PROGRAM ARGS...: runs a loop program (which prints
# ns per operation) under each configuration. The iteration count comes from
# iterations NAME CONFIG and is appended to ARGS.
loop_bench() {
  local name=$1 configs=$2
  shift 3
  local run config key rc out
  for ((run = 1; run <= RUNS; run++)); do
    for config in $configs; do
      key=$name/$config
      if [ -n "${skip[$config]:-}" ] || [ -n "${failed[$key]:-}" ]; then continue; fi
      rc=0
      if [ "$config" = unotify ]; then
        out=$("$benchdir/unotify_baseline" "$(iterations "$name" "$config")" 2>"$tmp/err") || rc=$?
      else
        out=$(wrap "$config" "$@" "$(iterations "$name" "$config")" 2>"$tmp/err") || rc=$?
      fi
      check_run "$key" "$rc" "$tmp/err" || continue
      samples[$key]+=" $out"
    done
  done
}

# Iteration counts: about 0.1–0.6 s per run, whatever the per-call cost.
iterations() {
  case $1/$2 in
    getppid/strace) echo 5000 ;;
    getppid/sg_trace) echo 100000 ;;
    getppid/unotify) echo 50000 ;;
    getppid/*) echo 1000000 ;;
    open/strace) echo 5000 ;;
    open/sg_stdio) echo 20000 ;;
    open/*) echo 100000 ;;
  esac
}

# whole_bench NAME CONFIGS -- CMD...: wall time of CMD (stdout discarded), in µs.
whole_bench() {
  local name=$1 configs=$2
  shift 3
  "$@" >/dev/null 2>&1 || true  # warm the page cache so run 1 is not a cold-cache outlier
  local run config key rc t0 t1
  for ((run = 1; run <= RUNS; run++)); do
    for config in $configs; do
      key=$name/$config
      if [ -n "${skip[$config]:-}" ] || [ -n "${failed[$key]:-}" ]; then continue; fi
      rc=0
      t0=$(date +%s%N)
      wrap "$config" "$@" >/dev/null 2>"$tmp/err" || rc=$?
      t1=$(date +%s%N)
      check_run "$key" "$rc" "$tmp/err" || continue
      samples[$key]+=" $(( (t1 - t0) / 1000 ))"  # µs, printed as ms below
    done
  done
}

loop_configs="native sg_all sg_default sg_trace strace bwrap unotify"
log "getppid loop: $loop_configs"
loop_bench getppid "$loop_configs" -- "$benchdir/getppid_loop"

open_configs="native sg_all sg_default sg_stdio strace"
log "open+close loop on $open_path: $open_configs"
loop_bench open "$open_configs" -- "$benchdir/open_loop" "$open_path"

whole_configs="native sg_default sg_trace strace_file strace bwrap"
declare -a programs=(true spawn tar find python)
declare -A program_text=(
  [true]="/bin/true (start-up cost)"
  [spawn]="sh: 100 x fork+exec of /bin/true (per-exec cost)"
  [tar]="tar cf /dev/null /usr/include"
  [find]="find /usr -name '*.h'"
  [python]="python3 -c 'import json, email, http.client, decimal, asyncio'"
)
log "whole programs: $whole_configs"
whole_bench true "$whole_configs" -- /bin/true
whole_bench spawn "$whole_configs" -- /bin/sh -c 'i=0; while [ $i -lt 100 ]; do /bin/true; i=$((i + 1)); done'
whole_bench tar "$whole_configs" -- /bin/tar cf /dev/null /usr/include
whole_bench find "$whole_configs" -- /usr/bin/find /usr -name '*.h'
whole_bench python "$whole_configs" -- /usr/bin/python3 -c 'import json, email, http.client, decimal, asyncio'

# How many of each workload's calls went through rewritten sites under
# `sysgate trace` (its --rewrite-stats line), from one extra run each.
declare -A coverage=()
for program in tar find python; do
  case $program in
    tar) cmd=(/bin/tar cf /dev/null /usr/include) ;;
    find) cmd=(/usr/bin/find /usr -name '*.h') ;;
    python) cmd=(/usr/bin/python3 -c 'import json, email, http.client, decimal, asyncio') ;;
  esac
  coverage[$program]=$("$sysgate" trace --rewrite-stats -o /dev/null -- "${cmd[@]}" 2>&1 >/dev/null |
    sed -n 's/^sysgate trace: //p' | tail -1)
done

# The gate's own microbenchmarks: the trap path against rewritten sites, and the
# interposer's hooks (each prints its own table).
gate_micro=""
[ -x "$benchdir/gate_rewrite_bench" ] && { log "gate_rewrite_bench"; gate_micro=$("$benchdir/gate_rewrite_bench" 2>&1); }
floor_micro=""
[ -x "$benchdir/kernel_floor_bench" ] && { log "kernel_floor_bench"; floor_micro=$("$benchdir/kernel_floor_bench" 2>&1); }
hook_micro=""
[ -x "$benchdir/interposer_bench" ] && { log "interposer_bench"; hook_micro=$("$benchdir/interposer_bench" 2>&1); }

micro=""
if [ -x "$benchdir/compiler_bench" ]; then
  log "compiler microbenchmarks"
  micro=$("$benchdir/compiler_bench" --benchmark_min_time=0.2 --benchmark_format=csv 2>/dev/null |
    awk -F, '/^"BM_/ {gsub(/"/, ""); printf "| %s | %.0f %s | %s |\n", $1, $3, $5, $8}') || micro=""
fi

# --- report ---------------------------------------------------------------------
value() { echo "${samples[$1]:-}" | median; }
spread() { echo "${samples[$1]:-}" | sorted | awk 'NR == 1 {lo = $1} {hi = $1} END {printf "%s–%s", lo, hi}'; }

# cell_reason KEY: why KEY has no figure (skipped or failed), or nothing.
cell_reason() {
  local key=$1 config=${1#*/}
  # A `|` in an error message would break the markdown table.
  if [ -n "${skip[$config]:-}" ]; then echo "skipped: ${skip[$config]//|//}"
  elif [ -n "${failed[$key]:-}" ]; then echo "FAILED: ${failed[$key]//|//}"
  fi
}

per_op_table() {
  local name=$1 configs=$2 unit=$3 base config key v reason
  base=$(value "$name/native")
  echo "| configuration | iterations | $unit (median) | min–max | overhead vs native |"
  echo "|---|---:|---:|---:|---:|"
  for config in $configs; do
    key=$name/$config
    reason=$(cell_reason "$key")
    if [ -n "$reason" ]; then
      echo "| ${label[$config]} | | $reason | | |"
      continue
    fi
    v=$(value "$key")
    if [ "$config" = native ]; then
      echo "| ${label[$config]} | $(iterations "$name" "$config") | $v | $(spread "$key") | — |"
    else
      awk -v l="${label[$config]}" -v n="$(iterations "$name" "$config")" -v v="$v" -v b="$base" \
        -v r="$(spread "$key")" 'BEGIN {
          d = v - b; if (d >= -0.5 && d <= 0.5) d = 0  # what would print as "-0 ns"
          printf "| %s | %s | %s | %s | %+.0f ns (%.2f×) |\n", l, n, v, r, d, v / b}'
    fi
  done
}

whole_table() {
  local configs=$1 program config key header="| program |" rule="|---|" row v base reason
  for config in $configs; do header+=" ${label[$config]} |"; rule+="---:|"; done
  echo "$header"
  echo "$rule"
  for program in "${programs[@]}"; do
    row="| \`${program_text[$program]}\` |"
    base=$(value "$program/native")
    for config in $configs; do
      key=$program/$config
      reason=$(cell_reason "$key")
      if [ -n "$reason" ]; then row+=" $reason |"; continue; fi
      v=$(value "$key")
      row+=$(awk -v v="$v" -v b="$base" -v r="$(spread "$key")" 'BEGIN {
        split(r, m, "–"); printf " %.1f ms (%.2f×) <br>%.1f–%.1f |", v / 1000, v / b, m[1] / 1000, m[2] / 1000}')
    done
    echo "$row"
  done
}

{
  echo "# sysgate benchmark results"
  echo
  echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "- machine: $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')), kernel $(uname -r)"
  # Other work on the machine shows in every wall-clock figure: say how much there was.
  echo "- load average (1, 5, 15 min) before: $load_before; after: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "- each figure: median of $RUNS runs, configurations interleaved; build: \`$build\`"
  echo
  echo "## getppid, ns per call"
  echo
  per_op_table getppid "$loop_configs" "ns/call"
  echo
  echo "## openat(O_RDONLY) + close of \`$open_path\`, ns per pair"
  echo
  per_op_table open "$open_configs" "ns/pair"
  echo
  echo "## whole programs, wall time: median (ratio to native), min–max ms"
  echo
  whole_table "$whole_configs"
  echo
  echo "## calls through rewritten sites under \`sysgate trace\` (--rewrite-stats, one run)"
  echo
  for program in tar find python; do
    echo "- \`${program_text[$program]}\`: ${coverage[$program]:-not measured}"
  done
  if [ -n "$gate_micro" ]; then
    echo
    echo "## the gate: trap path and rewritten sites (build/bench/gate_rewrite_bench, getppid through glibc)"
    echo
    echo '```'
    echo "$gate_micro"
    echo '```'
  fi
  if [ -n "$floor_micro" ]; then
    echo
    echo "## the kernel's floor under the gate's own calls (build/bench/kernel_floor_bench, raw getppid)"
    echo
    echo '```'
    echo "$floor_micro"
    echo '```'
  fi
  if [ -n "$hook_micro" ]; then
    echo
    echo "## interposer hooks (build/bench/interposer_bench, getppid through glibc)"
    echo
    echo '```'
    echo "$hook_micro"
    echo '```'
  fi
  if [ -n "$micro" ]; then
    echo
    echo "## policy compiler and BPF interpreter (Google Benchmark, wall time per iteration)"
    echo
    echo "| benchmark | time | note |"
    echo "|---|---:|---|"
    echo "$micro"
  fi
  echo
  echo "Total benchmark time: $(( $(date +%s) - started )) s."
} | tee "$report"

# The raw samples behind every median, for whoever doubts one.
for key in $(printf '%s\n' "${!samples[@]}" | sort); do
  echo "$key:${samples[$key]}"
done >"$build/bench-samples.txt"
log "report written to $report; raw samples (loops: ns, programs: µs) in $build/bench-samples.txt"
