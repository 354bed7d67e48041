// trace::Summary: strace -c's counts over hand-built records. The table's
// layout is strace 6.1's: its default columns when calls have durations, as
// `strace -c -w` measures them; `strace -c -U calls,errors,name` when none
// has, or the default columns as zeros for zero_time_columns.
#include "trace/summary.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "syscalls/syscall_table.h"

namespace sysgate::trace {
namespace {

Record rec(const char* name, int64_t ret, RecordKind kind = kRecordSyscall, int32_t tid = 10) {
  Record r;
  r.kind = kind;
  r.tid = tid;
  r.pid = tid;
  r.nr = syscalls::by_name(name)->nr;
  r.ret = ret;
  return r;
}

// A small program's trace: 5 reads, 4 openat (2 failed), 3 mmap, 3 close (1 failed),
// a failed execve then a successful one, exit_group.
std::vector<Record> sample() {
  std::vector<Record> v;
  v.push_back(rec("execve", 0, kRecordSyscallEnter));
  v.push_back(rec("execve", -2));  // the failure of the enter above
  v.push_back(rec("execve", 0, kRecordSyscallEnter));
  for (int i = 0; i < 3; ++i) v.push_back(rec("mmap", 0x7f0000000000));
  v.push_back(rec("openat", 3));
  v.push_back(rec("openat", -2));
  v.push_back(rec("openat", -13));
  v.push_back(rec("openat", 4));
  for (int i = 0; i < 5; ++i) v.push_back(rec("read", i == 4 ? 0 : 100));
  v.push_back(rec("close", 0));
  v.push_back(rec("close", 0));
  v.push_back(rec("close", -9));
  v.push_back(rec("exit_group", 0, kRecordExit));
  return v;
}

TEST(TraceSummary, CountsCallsAndErrorsAsStraceDoes) {
  Summary s;
  for (const Record& r : sample()) s.add(r);
  const std::vector<SummaryRow> rows = s.rows(SummarySort::kNothing);
  ASSERT_EQ(rows.size(), 5u);  // exit_group is not counted: it never returns
  EXPECT_EQ(rows[0].name, "read");
  EXPECT_EQ(rows[0].calls, 5u);
  EXPECT_EQ(rows[0].errors, 0u);
  EXPECT_EQ(rows[1].name, "close");
  EXPECT_EQ(rows[1].errors, 1u);
  EXPECT_EQ(rows[2].name, "mmap");
  EXPECT_EQ(rows[3].name, "execve");
  EXPECT_EQ(rows[3].calls, 2u);  // two attempts, not three records
  EXPECT_EQ(rows[3].errors, 1u);
  EXPECT_EQ(rows[4].name, "openat");
  EXPECT_EQ(rows[4].calls, 4u);
  EXPECT_EQ(rows[4].errors, 2u);
  EXPECT_EQ(s.total().calls, 17u);
  EXPECT_EQ(s.total().errors, 4u);
}

TEST(TraceSummary, TableWithoutTimeColumns) {
  Summary s;
  for (const Record& r : sample()) s.add(r);
  EXPECT_EQ(s.render(),
            "time columns omitted: trace records carry no per-call durations\n"
            "    calls    errors syscall\n"
            "--------- --------- ----------------\n"
            "        5           read\n"
            "        4         2 openat\n"
            "        3         1 close\n"
            "        3           mmap\n"
            "        2         1 execve\n"
            "--------- --------- ----------------\n"
            "       17         4 total\n");
}

TEST(TraceSummary, TableWithStracesDefaultColumnsAsZeros) {
  Summary s;
  for (const Record& r : sample()) s.add(r);
  EXPECT_EQ(s.render({.sort = SummarySort::kErrors, .zero_time_columns = true}),
            "% time, seconds and usecs/call are not measured (shown as 0): trace records carry no per-call durations\n"
            "% time     seconds  usecs/call     calls    errors syscall\n"
            "------ ----------- ----------- --------- --------- ----------------\n"
            "  0.00    0.000000           0         4         2 openat\n"
            "  0.00    0.000000           0         3         1 close\n"
            "  0.00    0.000000           0         2         1 execve\n"
            "  0.00    0.000000           0         5           read\n"
            "  0.00    0.000000           0         3           mmap\n"
            "------ ----------- ----------- --------- --------- ----------------\n"
            "100.00    0.000000           0        17         4 total\n");
}

// Durations as the trace gives them: each call's, and an exec's on its failure
// record when it failed, on its enter when it did not.
TEST(TraceSummary, MeasuredTimesInStracesColumns) {
  Summary s;
  for (const Record& r : sample()) {
    int64_t ns = -1;
    if (r.kind == kRecordSyscall || r.kind == kRecordSyscallEnter) {
      const std::string name = syscalls::display_name(r.nr);
      ns = name == "read" || name == "close" ? 1000 : name == "openat" ? 2000 : name == "mmap" ? 3000 : -1;
      if (name == "execve") ns = r.kind == kRecordSyscallEnter ? (r.ret == 0 && s.total().calls > 0 ? 10000 : -1) : 5000;
    }
    s.add(r, ns);
  }
  EXPECT_EQ(s.render(),
            "% time     seconds  usecs/call     calls    errors syscall\n"
            "------ ----------- ----------- --------- --------- ----------------\n"
            " 37.50    0.000015           7         2         1 execve\n"
            " 22.50    0.000009           3         3           mmap\n"
            " 20.00    0.000008           2         4         2 openat\n"
            " 12.50    0.000005           1         5           read\n"
            "  7.50    0.000003           1         3         1 close\n"
            "------ ----------- ----------- --------- --------- ----------------\n"
            "100.00    0.000040           2        17         4 total\n");
  // Sorted by calls on request, the time columns stay.
  const std::string by_calls = s.render({.sort = SummarySort::kCalls});
  EXPECT_EQ(by_calls.rfind("% time     seconds  usecs/call     calls    errors syscall\n"
                           "------ ----------- ----------- --------- --------- ----------------\n"
                           " 12.50    0.000005           1         5           read\n",
                           0),
            0u)
      << by_calls;
}

TEST(TraceSummary, CallsWithoutADurationAreSaidToBe) {
  Summary s;
  s.add(rec("read", 1), 4000);
  s.add(rec("read", 1));  // the program turned rdtsc off
  EXPECT_EQ(s.render(),
            "1 of 2 calls have no duration (the program turned rdtsc off) and count 0 in the time columns\n"
            "% time     seconds  usecs/call     calls    errors syscall\n"
            "------ ----------- ----------- --------- --------- ----------------\n"
            "100.00    0.000004           2         2           read\n"
            "------ ----------- ----------- --------- --------- ----------------\n"
            "100.00    0.000004           2         2           total\n");
}

TEST(TraceSummary, SortOrders) {
  Summary s;
  for (const Record& r : sample()) s.add(r);
  auto names = [&](SummarySort sort) {
    std::vector<std::string> out;
    for (const SummaryRow& row : s.rows(sort)) out.push_back(row.name);
    return out;
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(names(SummarySort::kTime), (V{"read", "openat", "close", "mmap", "execve"}));
  EXPECT_EQ(names(SummarySort::kCalls), names(SummarySort::kTime));
  EXPECT_EQ(names(SummarySort::kName), (V{"close", "execve", "mmap", "openat", "read"}));
  EXPECT_EQ(names(SummarySort::kNothing), (V{"read", "close", "mmap", "execve", "openat"}));
}

TEST(TraceSummary, ParsesStracesSortWords) {
  EXPECT_EQ(*parse_summary_sort("time"), SummarySort::kTime);
  EXPECT_EQ(*parse_summary_sort("total-time"), SummarySort::kTime);
  EXPECT_EQ(*parse_summary_sort("avg-time"), SummarySort::kAvgTime);
  EXPECT_EQ(*parse_summary_sort("min-time"), SummarySort::kMinTime);
  EXPECT_EQ(*parse_summary_sort("max-time"), SummarySort::kMaxTime);
  EXPECT_EQ(*parse_summary_sort("calls"), SummarySort::kCalls);
  EXPECT_EQ(*parse_summary_sort("errors"), SummarySort::kErrors);
  EXPECT_EQ(*parse_summary_sort("name"), SummarySort::kName);
  EXPECT_EQ(*parse_summary_sort("nothing"), SummarySort::kNothing);
  const Result<SummarySort> bad = parse_summary_sort("bogus");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("invalid sortby: 'bogus'"), std::string::npos);
}

TEST(TraceSummary, EmptyTraceRendersNothing) {
  Summary s;
  EXPECT_EQ(s.render(), "");
  s.add(rec("exit_group", 0, kRecordExit));
  EXPECT_EQ(s.render(), "");
}

TEST(TraceSummary, ExecEntersOfDifferentThreadsAreTrackedApart) {
  Summary s;
  s.add(rec("execve", 0, kRecordSyscallEnter, 1));
  s.add(rec("execve", 0, kRecordSyscallEnter, 2));
  s.add(rec("execve", -2, kRecordSyscall, 2));  // thread 2's failed; thread 1's succeeded
  s.add(rec("execve", -2, kRecordSyscall, 3));  // an error without its enter still counts as a call
  const SummaryRow row = s.rows().at(0);
  EXPECT_EQ(row.calls, 3u);
  EXPECT_EQ(row.errors, 2u);
  // A record in between resolves the enter: a later error is another call.
  s.add(rec("execve", 0, kRecordSyscallEnter, 4));
  s.add(rec("getpid", 4, kRecordSyscall, 4));
  s.add(rec("execve", -2, kRecordSyscall, 4));
  EXPECT_EQ(s.rows(SummarySort::kName).at(0).calls, 5u);
}

}  // namespace
}  // namespace sysgate::trace

namespace sysgate::trace {
namespace {

// -U's columns in its order, the name padded unless last, shortest and
// longest per row and overall; -S by those times; -O taken from each call.
TEST(TraceSummary, ColumnsSortsAndOverheadAsStraceTakesThem) {
  Summary s(/*overhead_ns=*/1000);
  s.add(rec("read", 1), 3000);     // 2 us after the overhead
  s.add(rec("read", 1), 11000);    // 10 us
  s.add(rec("close", -9), 6000);   // 5 us
  s.add(rec("getpid", 1), 500);    // 0: never below
  SummaryOptions options;
  options.columns = *parse_summary_columns("name,calls,min-time,max-time,avg-time,errors");
  options.sort = *parse_summary_sort("max-time");
  EXPECT_EQ(s.render(options),
            "syscall              calls shortest  longest  usecs/call    errors\n"
            "---------------- --------- -------- -------- ----------- ---------\n"
            "read                     2 0.000002 0.000010           6          \n"
            "close                    1 0.000005 0.000005           5         1\n"
            "getpid                   1 0.000000 0.000000           0          \n"
            "---------------- --------- -------- -------- ----------- ---------\n"
            "total                    4 0.000000 0.000010           4         1\n");
  options.columns = *parse_summary_columns("calls");  // the name comes last
  options.sort = *parse_summary_sort("min-time");
  EXPECT_EQ(s.render(options),
            "    calls syscall\n"
            "--------- ----------------\n"
            "        1 close\n"
            "        2 read\n"
            "        1 getpid\n"
            "--------- ----------------\n"
            "        4 total\n");
  options.columns = *parse_summary_columns("time_percent,total_time,count,error,syscall");
  options.sort = *parse_summary_sort("avg-time");
  EXPECT_EQ(s.render(options),
            "% time     seconds     calls    errors syscall\n"
            "------ ----------- --------- --------- ----------------\n"
            " 70.59    0.000012         2           read\n"
            " 29.41    0.000005         1         1 close\n"
            "  0.00    0.000000         1           getpid\n"
            "------ ----------- --------- --------- ----------------\n"
            "100.00    0.000017         4         1 total\n");
  // The default is strace's table.
  options.columns.clear();
  EXPECT_EQ(s.render(options).substr(0, 59), "% time     seconds  usecs/call     calls    errors syscall\n");
}

TEST(TraceSummary, BadColumnsAndOverheadsAreRefused) {
  EXPECT_FALSE(parse_summary_columns("calls,bogus"));
  EXPECT_NE(parse_summary_columns("calls,bogus").error().message.find("'bogus'"), std::string::npos);
  EXPECT_FALSE(parse_summary_columns(""));
  EXPECT_FALSE(parse_summary_columns("calls,"));
  EXPECT_FALSE(parse_summary_columns("calls,count"));
  EXPECT_EQ(*parse_summary_overhead("5"), 5000);
  EXPECT_EQ(*parse_summary_overhead("5ns"), 5);
  EXPECT_EQ(*parse_summary_overhead("1.5ms"), 1500000);
  EXPECT_EQ(*parse_summary_overhead("0.000001s"), 1000);
  for (const char* bad : {"", "-1", "+1", "5x", "ms", "1e30s", "nan", "1 us"}) {
    EXPECT_FALSE(parse_summary_overhead(bad)) << bad;
  }
}

}  // namespace
}  // namespace sysgate::trace
