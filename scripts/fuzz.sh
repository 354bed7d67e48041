#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan+UBSan) and runs each for a while.
# Every library is compiled with fuzzer-no-link so coverage reaches into it.
#   scripts/fuzz.sh [SECONDS]      default 20 s per target
# New interesting inputs land in fuzz/corpus-new/ (not committed); copy the
# ones worth keeping into fuzz/corpus/<target>/.
# SYSGATE_FUZZ_BUILD overrides the build directory (default build-fuzz/).
set -euo pipefail
seconds=${1:-20}
root=$(cd "$(dirname "$0")/.." && pwd)
build="${SYSGATE_FUZZ_BUILD:-$root/build-fuzz}"
cmake -S "$root" -B "$build" -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
      -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSYSGATE_FUZZ=ON -DSYSGATE_BUILD_BENCH=OFF \
      -DCMAKE_CXX_FLAGS="-fsanitize=address,undefined,fuzzer-no-link -fno-sanitize-recover=undefined" >/dev/null
cmake --build "$build" --target policy_parser_fuzzer elf_image_fuzzer trace_record_fuzzer -j"$(nproc)"

mkdir -p "$root/fuzz/corpus-new/policy_parser"
"$build/bin/policy_parser_fuzzer" -max_total_time="$seconds" -max_len=4096 -timeout=10 \
    -dict="$root/fuzz/policy.dict" \
    "$root/fuzz/corpus-new/policy_parser" "$root/fuzz/corpus/policy_parser" "$root/examples"

# ELF headers as the loader reads them (src/loader/elf_image.cc).
mkdir -p "$root/fuzz/corpus-new/elf_image"
"$build/bin/elf_image_fuzzer" -max_total_time="$seconds" -max_len=16384 -timeout=10 \
    "$root/fuzz/corpus-new/elf_image" "$root/fuzz/corpus/elf_image"

# Trace ring records as the monitor decodes them (src/trace/record.cc): written
# by the traced, untrusted process.
mkdir -p "$root/fuzz/corpus-new/trace_record"
"$build/bin/trace_record_fuzzer" -max_total_time="$seconds" -max_len=16384 -timeout=10 \
    "$root/fuzz/corpus-new/trace_record" "$root/fuzz/corpus/trace_record"
