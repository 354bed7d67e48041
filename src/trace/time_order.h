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
// than the margin; such a straggler is released late, never lost. Once a
// single ring has been in use for a margin, a record goes as soon as it is
// stamped before the current poll (release's sole_writer). Records of one
// thread keep their order (their stamps only grow). A record without a stamp
// (the program turned rdtsc off) sorts as the newest stamp seen, and one
// stamped after it arrived (written by the program) as arriving then. Polls may come
// as often as the caller likes: the margin is time, not a number of polls.
// Ties between equal stamps go to the record added first.
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

  // Takes the record's contents. record is left valid but unspecified: it may
  // hold the memory of a record already emitted, for the caller to decode the
  // next one into (RingReader does).
  void add(Record&& record);
  // A poll started at TSC now_tsc, monotonic time now_ns: emits, oldest first,
  // the records stamped before the last poll that started margin_ns or more ago.
  // sole_writer: that poll found at most one ring in use
  // (RingReader::last_poll_saw_one_writer). Once every poll for a margin has
  // said so, everything stamped before now_tsc goes at once: another ring's
  // record stamped before then was committed before that margin began, unless
  // its writer was held mid-record for longer (the margin rule's straggler;
  // a stamp is read before the record is filled and committed). A
  // single-threaded program's lines then wait for no margin, and its last
  // lines are not formatted in one batch after it ended.
  void release(uint64_t now_tsc, int64_t now_ns, const Sink& sink, bool sole_writer = false);
  void flush(const Sink& sink);
  size_t pending() const { return pending_; }

 private:
  // A record waiting in store_, ordered by (key, arrival).
  struct Entry {
    uint64_t key;      // its stamp, or the newest stamp seen for an unstamped record
    uint64_t arrival;  // how many records were added before it: ties keep arrival order
    size_t index;      // into store_
  };
  // The records of one ring (Record::ring), oldest first from `first` on. A
  // ring is one thread's, whose stamps only grow: records are appended in
  // order, and the oldest of all is at the front of one of the queues.
  struct Queue {
    std::vector<Entry> entries;
    size_t first = 0;
    bool empty() const { return first == entries.size(); }
    const Entry& front() const { return entries[first]; }
  };

  // heads_'s order for std::push_heap and friends, which keep the "greatest"
  // on top: a ring whose front entry is newer is the lesser.
  struct FrontIsNewer {
    const std::vector<Queue>* queues;
    bool operator()(uint32_t a, uint32_t b) const;
  };

  size_t stash(Record&& record);
  void insert_out_of_order(uint32_t ring, const Entry& entry);
  void emit_before(uint64_t limit, const Sink& sink);

  // Records wait in a slab (their indices stay put). An emitted record stays
  // in its slot until add() swaps the next one in: the slab's payload memory
  // is reused, not freed and allocated again for every record.
  std::vector<Record> store_;
  std::vector<size_t> free_;   // unused indices of store_
  std::vector<Queue> queues_;  // by ring
  // The rings whose queue is not empty, a min-heap by their front entry: a
  // trace of one thread pays nothing for the ordering, one of n threads log n
  // per record.
  std::vector<uint32_t> heads_;
  size_t pending_ = 0;
  uint64_t arrivals_ = 0;
  uint64_t newest_ = 0;
  uint64_t last_now_ = 0;  // the TSC when add() last read it
  struct Poll {
    uint64_t tsc;
    int64_t ns;
  };
  int64_t margin_ns_;
  int64_t single_since_ns_ = -1;  // the first of the polls since which one ring alone is in use
  std::deque<Poll> polls_;  // polls younger than the margin, and the newest older one
};

}  // namespace sysgate::trace
