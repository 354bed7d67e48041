#include "trace/time_order.h"

#include <x86intrin.h>

#include <algorithm>

namespace sysgate::trace {

uint64_t TimeOrder::now() { return __rdtsc(); }

void TimeOrder::add(const Record& record) {
  if (record.tsc > newest_) newest_ = record.tsc;
  const uint64_t key = record.tsc != 0 ? record.tsc : newest_;
  pending_.push_back(Entry{key, arrivals_++, record});
}

void TimeOrder::release(uint64_t now, const Sink& sink) {
  const uint64_t limit = polls_[0];
  polls_[0] = polls_[1];
  polls_[1] = now;
  if (limit != 0) emit_before(limit, sink);
}

void TimeOrder::flush(const Sink& sink) { emit_before(UINT64_MAX, sink); }

void TimeOrder::emit_before(uint64_t limit, const Sink& sink) {
  if (pending_.empty()) return;
  std::stable_sort(pending_.begin(), pending_.end(), [](const Entry& a, const Entry& b) {
    return a.key != b.key ? a.key < b.key : a.arrival < b.arrival;
  });
  size_t n = 0;
  while (n < pending_.size() && (limit == UINT64_MAX || pending_[n].key < limit)) ++n;
  for (size_t i = 0; i < n; ++i) sink(pending_[i].record);
  pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(n));
}

}  // namespace sysgate::trace
