#include "gate/rewrite_function_scan.h"

#include "gate/rewrite_decoder.h"

namespace sysgate::gate {
namespace {

void set_bit(uint64_t* bits, uint64_t i) { bits[i / 64] |= uint64_t{1} << (i % 64); }
bool bit(const uint64_t* bits, uint64_t i) { return (bits[i / 64] >> (i % 64) & 1) != 0; }

bool any_bit(const uint64_t* bits, uint64_t from, uint64_t to) {  // in [from, to): a patch's few bytes
  for (uint64_t i = from; i < to; ++i) {
    if (bit(bits, i)) return true;
  }
  return false;
}

uint32_t decode_at(uint64_t p, uint64_t end, DecodedInsn* d) {
  const uint64_t avail = end - p;
  return decode_length(reinterpret_cast<const uint8_t*>(p), avail < 15 ? avail : 15, d);
}

void scan(FunctionScan* s, uint64_t start, uint64_t end) {
  const uint64_t size = end - start;
  for (uint64_t w = 0; w <= size / 64; ++w) s->starts[w] = 0;
  for (uint64_t w = 0; w < (size + kScanTargetSlack + 63) / 64; ++w) s->targets[w] = 0;
  s->start = start;
  s->end = end;
  s->complete = false;
  uint64_t p = start;
  while (p < end) {
    DecodedInsn d;
    const uint32_t n = decode_at(p, end, &d);
    if (n == 0) return;
    set_bit(s->starts, p - start);
    if (d.has_target) {
      const uint64_t target = p + n + static_cast<uint64_t>(d.rel);
      if (target >= start && target - start < size + kScanTargetSlack) set_bit(s->targets, target - start);
    }
    p += n;
  }
  set_bit(s->starts, size);  // p == end: the last instruction ends exactly there
  s->complete = true;
}

}  // namespace

void function_scan_forget(FunctionScan* scan) {
  scan->start = 0;
  scan->end = 0;
}

RewriteRefusal function_check_linear(uint64_t start, uint64_t end, uint64_t site, uint32_t site_length,
                                     uint64_t changed_end) {
  uint64_t p = start;
  bool landed = false;
  while (p < end) {
    DecodedInsn d;
    const uint32_t n = decode_at(p, end, &d);
    if (n == 0) return kRefuseDecode;
    if (p == site) {
      if (n != site_length) return kRefuseDecode;
      landed = true;
    }
    if (p < site && p + n > site) return kRefuseDecode;  // site is inside an instruction
    if (d.has_target) {
      const uint64_t target = p + n + static_cast<uint64_t>(d.rel);
      if (target > site && target < changed_end) return kRefuseBranchTarget;
    }
    p += n;
  }
  return landed ? kRefuseCount : kRefuseDecode;
}

RewriteRefusal function_check(FunctionScan* s, uint64_t start, uint64_t end, uint64_t site, uint32_t site_length,
                              uint64_t changed_end) {
  if (end <= start || end - start > kScanMaxBytes || changed_end > end + kScanTargetSlack) {
    return function_check_linear(start, end, site, site_length, changed_end);
  }
  if (s->start != start || s->end != end) scan(s, start, end);
  if (!s->complete || site < start || site >= end || site_length == 0 || site_length > end - site) {
    return kRefuseDecode;
  }
  const uint64_t at = site - start;
  if (!bit(s->starts, at) || any_bit(s->starts, at + 1, at + site_length) || !bit(s->starts, at + site_length)) {
    return kRefuseDecode;
  }
  if (changed_end > site + 1 && any_bit(s->targets, at + 1, changed_end - start)) return kRefuseBranchTarget;
  return kRefuseCount;
}

}  // namespace sysgate::gate
