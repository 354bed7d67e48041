#include "trace/time_order.h"

#include <x86intrin.h>

#include <algorithm>

namespace sysgate::trace {

uint64_t TimeOrder::now() { return __rdtsc(); }

namespace {

// The heap keeps the oldest slot on top: "greater" is std::push_heap's "less".
template <typename Slot>
bool newer(const Slot& a, const Slot& b) {
  return a.key != b.key ? a.key > b.key : a.arrival > b.arrival;
}

}  // namespace

void TimeOrder::add(Record&& record) {
  if (record.tsc > newest_) newest_ = record.tsc;
  const uint64_t key = record.tsc != 0 ? record.tsc : newest_;
  size_t index;
  if (!free_.empty()) {
    index = free_.back();
    free_.pop_back();
    store_[index] = std::move(record);
  } else {
    index = store_.size();
    store_.push_back(std::move(record));
  }
  heap_.push_back(Slot{key, arrivals_++, index});
  std::push_heap(heap_.begin(), heap_.end(), newer<Slot>);
}

void TimeOrder::release(uint64_t now_tsc, int64_t now_ns, const Sink& sink) {
  polls_.push_back(Poll{now_tsc, now_ns});
  // Keep one poll at least margin old (the front), and everything younger.
  while (polls_.size() >= 2 && now_ns - polls_[1].ns >= margin_ns_) polls_.pop_front();
  if (now_ns - polls_.front().ns >= margin_ns_) emit_before(polls_.front().tsc, sink);
}

void TimeOrder::flush(const Sink& sink) { emit_before(UINT64_MAX, sink); }

void TimeOrder::emit_before(uint64_t limit, const Sink& sink) {
  while (!heap_.empty() && (limit == UINT64_MAX || heap_.front().key < limit)) {
    std::pop_heap(heap_.begin(), heap_.end(), newer<Slot>);
    const size_t index = heap_.back().index;
    heap_.pop_back();
    sink(store_[index]);
    store_[index] = Record();  // its payloads' memory goes now
    free_.push_back(index);
  }
}

}  // namespace sysgate::trace
