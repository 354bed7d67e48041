// Is a syscall site safe to patch, judged from its whole function (rewrite.h,
// "verified instruction boundaries"): the patched instruction must start on an
// instruction boundary with the expected length, and no direct branch of the
// function may land inside the bytes the patch changes.
//
//   FunctionScan scan;  // static storage: 16 KiB of bitmaps
//   RewriteRefusal why = function_check(&scan, start, end, site, length, changed_end);
//
// Answering means decoding the function from its start. A page's sweep checks
// every site on it, and a function often holds several (ld.so's and libc's
// bigger functions inline their syscalls), so the scan keeps the last function
// it decoded as two bitmaps -- where instructions start, where direct branches
// land -- and answers the next site of that function without decoding again.
// Functions over kScanMaxBytes are decoded per site, as before. The caller
// forgets the scan (function_scan_forget) whenever the function's bytes may
// have changed in between: rewrite.cc does at each acquisition of its lock.
//
// Freestanding; not thread-safe (the rewriter's lock guards it).
#pragma once

#include <stdint.h>

#include "gate/rewrite_stats.h"

namespace sysgate::gate {

constexpr uint64_t kScanMaxBytes = 64 * 1024;
// Branch targets are kept a little past the function's end: a patch at its
// last instruction may change bytes there.
constexpr uint64_t kScanTargetSlack = 64;

struct FunctionScan {
  uint64_t start;
  uint64_t end;     // [start, end) decoded; start == end: nothing held
  bool complete;    // the decoder reached end exactly, on a boundary
  uint64_t starts[kScanMaxBytes / 64 + 1];                       // bit o: an instruction starts at start + o
  uint64_t targets[(kScanMaxBytes + kScanTargetSlack) / 64];  // bit o: a direct branch lands at start + o
};

void function_scan_forget(FunctionScan* scan);

// kRefuseCount when the site [site, site + site_length) is one instruction of
// the function [start, end) and no direct branch of it lands in
// (site, changed_end); else kRefuseDecode or kRefuseBranchTarget. Uses and
// refills *scan.
RewriteRefusal function_check(FunctionScan* scan, uint64_t start, uint64_t end, uint64_t site, uint32_t site_length,
                              uint64_t changed_end);

// The same answer by one linear decode, keeping nothing: the reference the
// scan is tested against, and the path for functions too big to scan.
RewriteRefusal function_check_linear(uint64_t start, uint64_t end, uint64_t site, uint32_t site_length,
                                     uint64_t changed_end);

}  // namespace sysgate::gate
