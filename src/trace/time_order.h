// Puts records drained ring by ring (one ring per thread) back into the order
// they were written, by their rdtsc stamp, so a multi-threaded or multi-process
// trace reads as it happened (strace -f prints in the order it sees events).
//
//   trace::TimeOrder order;
//   for (;;) {
//     const uint64_t tsc = trace::TimeOrder::now();
//     const int64_t ns = monotonic_ns();
//     reader.poll([&](Record& r) { order.add(std::move(r)); });
//     order.release(tsc, ns, print);   // what is surely complete, oldest first
//   }
//   order.flush(print);                // the rest, once the writers are gone
//
// A record is released once it is stamped before a poll that started at least
// `margin` (2 ms) ago: every record stamped before then was committed long
// before the current poll, unless its writer was preempted mid-record for longer
// than the margin; such a straggler is released late, never lost. Records of one
// thread keep their order (their stamps only grow). A record without a stamp
// (the program turned rdtsc off) sorts as the newest stamp seen. Polls may come
// as often as the caller likes: the margin is time, not a number of polls.
// Thread-compatible.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <vector>

#include "trace/record.h"

namespace sysgate::trace {

class TimeOrder {
 public:
  using Sink = std::function<void(const Record&)>;

  static uint64_t now();  // the TSC, as the gate reads it

  explicit TimeOrder(int64_t margin_ns = 2000000) : margin_ns_(margin_ns) {}

  void add(Record&& record);
  // A poll started at TSC now_tsc, monotonic time now_ns: emits, oldest first,
  // the records stamped before the last poll that started margin_ns or more ago.
  void release(uint64_t now_tsc, int64_t now_ns, const Sink& sink);
  void flush(const Sink& sink);
  size_t pending() const { return heap_.size(); }

 private:
  void emit_before(uint64_t limit, const Sink& sink);

  // Records wait in a slab (their indices stay put) and are ordered by a
  // min-heap of small slots: each record is pushed and popped once, whatever
  // the number of polls.
  struct Slot {
    uint64_t key;
    uint64_t arrival;
    size_t index;  // into store_
  };
  std::vector<Record> store_;
  std::vector<size_t> free_;  // unused indices of store_
  std::vector<Slot> heap_;    // std::push_heap/pop_heap, oldest on top
  uint64_t arrivals_ = 0;
  uint64_t newest_ = 0;
  struct Poll {
    uint64_t tsc;
    int64_t ns;
  };
  int64_t margin_ns_;
  std::deque<Poll> polls_;  // polls younger than the margin, and the newest older one
};

}  // namespace sysgate::trace
