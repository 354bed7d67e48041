// trace::TimeOrder: records of several rings come out oldest first, each
// thread's in its own order, only once two polls have passed (at once while a
// single writer is at work), and all at flush.
#include "trace/time_order.h"

#include <algorithm>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>

namespace sysgate::trace {
namespace {

Record stamped(int32_t tid, uint64_t tsc) {
  Record r;
  r.tid = tid;
  r.tsc = tsc;
  return r;
}

std::string seen(const std::vector<Record>& records) {
  std::string out;
  for (const Record& r : records) out += std::to_string(r.tid) + "@" + std::to_string(r.tsc) + " ";
  return out;
}

TEST(TimeOrder, ReleasesOnlyWhatIsStampedBeforeAPollOlderThanTheMargin) {
  TimeOrder order(/*margin_ns=*/1000);
  std::vector<Record> out;
  const TimeOrder::Sink sink = [&](const Record& r) { out.push_back(r); };
  // A poll at tsc 100 (time 0 ns) drained ring 1 then ring 2.
  order.add(stamped(1, 10));
  order.add(stamped(1, 30));
  order.add(stamped(2, 20));
  order.release(100, 0, sink);
  EXPECT_EQ(seen(out), "");  // no poll is a margin old yet
  order.add(stamped(2, 90));  // written before the first poll, drained by the second
  order.add(stamped(1, 150));
  order.release(200, 500, sink);
  EXPECT_EQ(seen(out), "");
  order.release(300, 1000, sink);  // the first poll is a margin old: all stamped before 100
  EXPECT_EQ(seen(out), "1@10 2@20 1@30 2@90 ");
  order.release(310, 1200, sink);  // polls may come often: nothing new is old enough
  EXPECT_EQ(seen(out), "1@10 2@20 1@30 2@90 ");
  order.flush(sink);
  EXPECT_EQ(seen(out), "1@10 2@20 1@30 2@90 1@150 ");
  EXPECT_EQ(order.pending(), 0u);
}

TEST(TimeOrder, ASoleWriterForAMarginReleasesWhatIsStampedBeforeThePollAtOnce) {
  TimeOrder order(/*margin_ns=*/1000);
  std::vector<Record> out;
  const TimeOrder::Sink sink = [&](const Record& r) { out.push_back(r); };
  order.add(stamped(1, 10));
  order.add(stamped(1, 30));
  order.release(100, 0, sink, /*sole_writer=*/true);  // one writer, not yet for a margin
  EXPECT_EQ(seen(out), "");
  order.add(stamped(1, 120));
  order.add(stamped(1, 230));  // written after the poll began
  order.release(200, 1000, sink, /*sole_writer=*/true);
  EXPECT_EQ(seen(out), "1@10 1@30 1@120 ");
  order.add(stamped(2, 250));  // a second writer: the margin rule again
  order.release(300, 1100, sink, /*sole_writer=*/false);
  EXPECT_EQ(seen(out), "1@10 1@30 1@120 ");
  order.release(400, 1200, sink, /*sole_writer=*/true);  // alone again, not yet for a margin
  EXPECT_EQ(seen(out), "1@10 1@30 1@120 ");
  order.release(500, 2200, sink, /*sole_writer=*/true);
  EXPECT_EQ(seen(out), "1@10 1@30 1@120 1@230 2@250 ");
  EXPECT_EQ(order.pending(), 0u);
}

// A stamp later than the record's arrival can only have been written by the
// program: it sorts as arriving then, so it holds nothing back. Ring 1 forged
// one far in the future, then turned rdtsc off; its records still go out a
// margin after they came, each with the stamp it carries.
TEST(TimeOrder, AStampFromTheFutureHoldsNothingBack) {
  TimeOrder order(/*margin_ns=*/1000);
  std::vector<Record> out;
  const TimeOrder::Sink sink = [&](const Record& r) { out.push_back(r); };
  const uint64_t start = TimeOrder::now();
  order.add(stamped(1, UINT64_MAX - 1));
  for (int i = 0; i < 1000; ++i) order.add(stamped(1, 0));
  order.add(stamped(2, start));
  const uint64_t later = TimeOrder::now();
  order.release(later, 0, sink);
  order.release(later + 1, 1000, sink);
  EXPECT_EQ(out.size(), 1002u);
  EXPECT_EQ(order.pending(), 0u);
  ASSERT_FALSE(out.empty());
  EXPECT_EQ(out.front().tsc, start);  // ring 2's honest record first: the forged one arrived after it was stamped
  EXPECT_EQ(out[1].tsc, UINT64_MAX - 1);
}

TEST(TimeOrder, KeepsEachThreadsOrderAndPlacesUnstampedRecordsAsNewest) {
  TimeOrder order;
  std::vector<Record> out;
  const TimeOrder::Sink sink = [&](const Record& r) { out.push_back(r); };
  order.add(stamped(1, 50));
  order.add(stamped(1, 50));  // same stamp: arrival order
  order.add(stamped(3, 0));   // rdtsc off in that program: as the newest stamp seen (50)
  order.add(stamped(2, 40));
  order.flush(sink);
  EXPECT_EQ(seen(out), "2@40 1@50 1@50 3@0 ");
}

// Whatever the rings and stamps, the order is the one a global sort by
// (stamp, arrival) gives: rings whose stamps go backwards, unstamped records,
// several threads' records under one ring number, releases at any point.
TEST(TimeOrder, EmitsInTheOrderOfAGlobalSortByStampThenArrival) {
  std::mt19937_64 random(7);
  for (int round = 0; round < 200; ++round) {
    TimeOrder order(/*margin_ns=*/0);  // then release(tsc, ..) emits what is stamped before tsc
    std::vector<std::tuple<uint64_t, uint64_t, int64_t>> waiting;  // key, arrival, id
    std::vector<int64_t> expected, seen;
    const TimeOrder::Sink sink = [&](const Record& r) { seen.push_back(r.ret); };
    uint64_t newest = 0, arrival = 0, clock = 0;
    int64_t ns = 0;
    for (int64_t id = 0; id < 300; ++id) {
      Record r;
      r.ring = static_cast<uint32_t>(random() % 4);
      r.ret = id;
      clock += random() % 5;
      r.tsc = random() % 10 == 0 ? 0 : random() % 8 == 0 ? clock - std::min<uint64_t>(clock, random() % 20) : clock;
      newest = std::max(newest, r.tsc);
      waiting.emplace_back(r.tsc != 0 ? r.tsc : newest, arrival++, id);
      order.add(std::move(r));
      if (random() % 16 != 0) continue;
      const uint64_t limit = clock - std::min<uint64_t>(clock, random() % 30);
      std::sort(waiting.begin(), waiting.end());
      auto cut = std::find_if(waiting.begin(), waiting.end(), [&](const auto& w) { return std::get<0>(w) >= limit; });
      for (auto it = waiting.begin(); it != cut; ++it) expected.push_back(std::get<2>(*it));
      waiting.erase(waiting.begin(), cut);
      order.release(limit, ns += 10, sink);
      ASSERT_EQ(seen, expected) << "round " << round;
      ASSERT_EQ(order.pending(), waiting.size());
    }
    std::sort(waiting.begin(), waiting.end());
    for (const auto& w : waiting) expected.push_back(std::get<2>(w));
    order.flush(sink);
    ASSERT_EQ(seen, expected) << "round " << round;
    EXPECT_EQ(order.pending(), 0u);
  }
}

// The slab lends an emitted record's memory back to the caller of add(), so a
// reader can decode into it: what comes back is a record, never a dangling one.
TEST(TimeOrder, AddHandsBackTheMemoryOfAnEmittedRecord) {
  TimeOrder order;
  std::vector<Record> out;
  const TimeOrder::Sink sink = [&](const Record& r) { out.push_back(r); };
  Record r = stamped(1, 10);
  r.payloads.push_back(Payload{.arg = 0, .kind = kPayloadPath, .truncated = false, .addr = 1, .bytes = "/etc"});
  order.add(std::move(r));
  order.flush(sink);
  Record next = stamped(1, 20);
  order.add(std::move(next));
  EXPECT_EQ(next.tsc, 10u);  // the emitted record, to be decoded over
  order.flush(sink);
  EXPECT_EQ(seen(out), "1@10 1@20 ");
  EXPECT_EQ(out[0].payloads.size(), 1u);
  EXPECT_TRUE(out[1].payloads.empty());
}

}  // namespace
}  // namespace sysgate::trace
