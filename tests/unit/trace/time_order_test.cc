// trace::TimeOrder: records of several rings come out oldest first, each
// thread's in its own order, only once two polls have passed, and all at flush.
#include "trace/time_order.h"

#include <string>
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

}  // namespace
}  // namespace sysgate::trace
