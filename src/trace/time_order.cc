#include "trace/time_order.h"

#include <x86intrin.h>

#include <algorithm>

namespace sysgate::trace {

uint64_t TimeOrder::now() {
  const uint64_t tsc = __rdtsc();
  // rdtsc is not ordered with later loads: without the fence, RingReader::poll
  // could read a ring's state before the stamp that is meant to precede it.
  _mm_lfence();
  return tsc;
}

namespace {

// Queues hold at most this many emitted entries before their front is cut off.
constexpr size_t kCompactAfter = 4096;

}  // namespace

bool TimeOrder::FrontIsNewer::operator()(uint32_t a, uint32_t b) const {
  const Entry& x = (*queues)[a].front();
  const Entry& y = (*queues)[b].front();
  return x.key != y.key ? x.key > y.key : x.arrival > y.arrival;
}

// Puts the record in a free slot of store_, or a new one; returns its index.
size_t TimeOrder::stash(Record&& record) {
  if (free_.empty()) {
    store_.push_back(std::move(record));
    return store_.size() - 1;
  }
  const size_t index = free_.back();
  free_.pop_back();
  // The slot's previous record was emitted: the caller gets its memory back to
  // decode the next record into.
  std::swap(store_[index], record);
  return index;
}

void TimeOrder::add(Record&& record) {
  // A record is stamped before it is committed, so before it arrives here: a
  // stamp later than its arrival is one the program wrote. It sorts as
  // arriving now, or it (and every record after it) would wait for that time
  // to come, all held here meanwhile (a reviewer's far-future stamp held
  // 1 GB within 9 s). The record keeps its stamp for its line.
  // The clock is read again only for a stamp newer than its last reading: a
  // stamp no newer than a past reading is no later than now either. Records
  // drained in one batch were all stamped before the batch's first reading,
  // so that is about one reading a batch, not an rdtsc and a fence a record.
  if (record.tsc > last_now_) last_now_ = now();
  const uint64_t stamp = record.tsc > last_now_ ? last_now_ : record.tsc;
  if (stamp > newest_) newest_ = stamp;
  const uint64_t key = stamp != 0 ? stamp : newest_;
  const uint32_t ring = record.ring;
  const Entry entry{key, arrivals_++, stash(std::move(record))};
  ++pending_;
  if (ring >= queues_.size()) queues_.resize(size_t{ring} + 1);
  Queue& q = queues_[ring];
  if (q.empty()) {
    q.entries.clear();
    q.first = 0;
    q.entries.push_back(entry);
    heads_.push_back(ring);
    std::push_heap(heads_.begin(), heads_.end(), FrontIsNewer{&queues_});
    return;
  }
  if (q.first >= kCompactAfter && q.first * 2 >= q.entries.size()) {
    q.entries.erase(q.entries.begin(), q.entries.begin() + static_cast<ptrdiff_t>(q.first));
    q.first = 0;
  }
  if (key >= q.entries.back().key) {
    q.entries.push_back(entry);
  } else {
    insert_out_of_order(ring, entry);
  }
}

// A stamp older than its ring's newest: a TSC that went backwards, or records
// of several threads under one ring number (tests). It goes after every entry
// with a stamp no newer, as the global order wants.
void TimeOrder::insert_out_of_order(uint32_t ring, const Entry& entry) {
  Queue& q = queues_[ring];
  const auto begin = q.entries.begin() + static_cast<ptrdiff_t>(q.first);
  const auto at = std::upper_bound(begin, q.entries.end(), entry.key,
                                   [](uint64_t key, const Entry& e) { return key < e.key; });
  const bool new_front = at == begin;
  q.entries.insert(at, entry);
  if (new_front) std::make_heap(heads_.begin(), heads_.end(), FrontIsNewer{&queues_});
}

void TimeOrder::release(uint64_t now_tsc, int64_t now_ns, const Sink& sink, bool sole_writer) {
  polls_.push_back(Poll{now_tsc, now_ns});
  // Keep one poll at least margin old (the front), and everything younger.
  while (polls_.size() >= 2 && now_ns - polls_[1].ns >= margin_ns_) polls_.pop_front();
  if (!sole_writer) {
    single_since_ns_ = -1;
  } else if (single_since_ns_ < 0) {
    single_since_ns_ = now_ns;
  }
  if (sole_writer && now_ns - single_since_ns_ >= margin_ns_) {
    emit_before(now_tsc, sink);
  } else if (now_ns - polls_.front().ns >= margin_ns_) {
    emit_before(polls_.front().tsc, sink);
  }
}

void TimeOrder::flush(const Sink& sink) { emit_before(UINT64_MAX, sink); }

// A k-way merge of the rings' queues: the oldest entry overall is the front of
// the queue on top of heads_.
void TimeOrder::emit_before(uint64_t limit, const Sink& sink) {
  const FrontIsNewer later{&queues_};
  while (!heads_.empty()) {
    Queue& q = queues_[heads_.front()];
    const Entry entry = q.front();
    if (limit != UINT64_MAX && entry.key >= limit) break;
    std::pop_heap(heads_.begin(), heads_.end(), later);
    ++q.first;
    if (q.empty()) {
      heads_.pop_back();
    } else {
      std::push_heap(heads_.begin(), heads_.end(), later);
    }
    --pending_;
    sink(store_[entry.index]);
    free_.push_back(entry.index);  // the record stays, its memory to be reused by add()
  }
}

}  // namespace sysgate::trace
