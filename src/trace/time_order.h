// Puts records drained ring by ring (one ring per thread) back into the order
// they were written, by their rdtsc stamp, so a multi-threaded or multi-process
// trace reads as it happened (strace -f prints in the order it sees events).
//
//   trace::TimeOrder order;
//   for (;;) {
//     const uint64_t now = trace::TimeOrder::now();
//     reader.poll([&](const Record& r) { order.add(r); });
//     order.release(now, print);   // what is surely complete, oldest first
//   }
//   order.flush(print);            // the rest, once the writers are gone
//
// A record is released once it is older than the start of the poll two polls
// ago: every record stamped before then was committed long before the current
// poll, unless its writer was preempted mid-record for more than a poll interval;
// such a straggler is released late, never lost. Records of one thread keep
// their order (their stamps only grow; the sort is stable). A record without a
// stamp (the program turned rdtsc off) sorts as the newest stamp seen.
// Thread-compatible.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "trace/record.h"

namespace sysgate::trace {

class TimeOrder {
 public:
  using Sink = std::function<void(const Record&)>;

  static uint64_t now();  // the TSC, as the gate reads it

  void add(const Record& record);
  // Emits, oldest first, the records stamped before the `now` given two calls ago.
  void release(uint64_t now, const Sink& sink);
  void flush(const Sink& sink);
  size_t pending() const { return pending_.size(); }

 private:
  void emit_before(uint64_t limit, const Sink& sink);

  struct Entry {
    uint64_t key;
    uint64_t arrival;
    Record record;
  };
  std::vector<Entry> pending_;
  uint64_t arrivals_ = 0;
  uint64_t newest_ = 0;
  uint64_t polls_[2] = {0, 0};  // the `now` of the last two release calls
};

}  // namespace sysgate::trace
