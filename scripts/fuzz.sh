#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan+UBSan) and runs each for a while.
#   scripts/fuzz.sh [SECONDS]      default 20 s per target
# New interesting inputs land in fuzz/corpus-new/ (not committed); copy the
# ones worth keeping into fuzz/corpus/<target>/.
set -euo pipefail
seconds=${1:-20}
root=$(cd "$(dirname "$0")/.." && pwd)
build="$root/build-fuzz"
cmake -S "$root" -B "$build" -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
      -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSYSGATE_FUZZ=ON -DSYSGATE_BUILD_BENCH=OFF \
      -DCMAKE_CXX_FLAGS="-fsanitize=address,undefined -fno-sanitize-recover=undefined" >/dev/null
cmake --build "$build" --target policy_parser_fuzzer -j"$(nproc)"
mkdir -p "$root/fuzz/corpus-new/policy_parser"
"$build/bin/policy_parser_fuzzer" -max_total_time="$seconds" -max_len=4096 -timeout=10 \
    -dict="$root/fuzz/policy.dict" \
    "$root/fuzz/corpus-new/policy_parser" "$root/fuzz/corpus/policy_parser" "$root/examples"
