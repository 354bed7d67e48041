#include "trace/time_order.h"

#include <x86intrin.h>

#include <algorithm>

namespace sysgate::trace {

uint64_t TimeOrder::now() { return __rdtsc(); }

void TimeOrder::add(Record&& record) {
  if (record.tsc > newest_) newest_ = record.tsc;
  const uint64_t key = record.tsc != 0 ? record.tsc : newest_;
  pending_.push_back(Entry{key, arrivals_++, std::move(record)});
}

void TimeOrder::release(uint64_t now_tsc, int64_t now_ns, const Sink& sink) {
  polls_.push_back(Poll{now_tsc, now_ns});
  // Keep one poll at least margin old (the front), and everything younger.
  while (polls_.size() >= 2 && now_ns - polls_[1].ns >= margin_ns_) polls_.pop_front();
  if (now_ns - polls_.front().ns >= margin_ns_) emit_before(polls_.front().tsc, sink);
}

void TimeOrder::flush(const Sink& sink) { emit_before(UINT64_MAX, sink); }

void TimeOrder::emit_before(uint64_t limit, const Sink& sink) {
  if (pending_.empty()) return;
  // Sort small slots, not records; emit those before the limit; keep the rest
  // in arrival order.
  order_.clear();
  for (size_t i = 0; i < pending_.size(); ++i) order_.push_back(Slot{pending_[i].key, pending_[i].arrival, i});
  std::sort(order_.begin(), order_.end(), [](const Slot& a, const Slot& b) {
    return a.key != b.key ? a.key < b.key : a.arrival < b.arrival;
  });
  size_t emitted = 0;
  for (const Slot& slot : order_) {
    if (limit != UINT64_MAX && slot.key >= limit) break;
    sink(pending_[slot.index].record);
    pending_[slot.index].arrival = UINT64_MAX;  // gone
    ++emitted;
  }
  if (emitted == 0) return;
  kept_.clear();
  for (Entry& e : pending_) {
    if (e.arrival != UINT64_MAX) kept_.push_back(std::move(e));
  }
  pending_.swap(kept_);
}

}  // namespace sysgate::trace
