// strace -c: time, calls and errors per syscall over a trace, as strace's table.
//
//   trace::Summary summary;
//   reader->poll([&](const trace::Record& r) { summary.add(r, duration_ns); });
//   std::string table = summary.render();
//   // % time     seconds  usecs/call     calls    errors syscall
//   // ------ ----------- ----------- --------- --------- ----------------
//   //  62.50    0.000005           1         5           read
//   //  37.50    0.000003           1         3         2 openat
//   // ------ ----------- ----------- --------- --------- ----------------
//   // 100.00    0.000008           1         8         2 total
//
// The time of a call is what the caller passes: the wall-clock time inside it
// (sysgate trace -c asks the gate for the TSC before each call, Record::
// enter_tsc), as `strace -c -w` measures it; strace -c without -w counts system
// CPU time instead. Calls added without a duration count 0 in the time columns,
// and the table's first line says how many there were. When no call has one,
// the table leaves out strace's "% time", "seconds" and "usecs/call" columns
// (the shape of `strace -c -U calls,errors,name`) and says so on its first
// line; SummaryOptions::zero_time_columns keeps strace's default columns then,
// printed as zeros, for tools that parse that layout, with the same note.
//
// What counts, as strace -c counts: every completed call, failed or not (an
// error is any return in -4095..-1, ERESTART* included). exit and exit_group
// never return and are not counted. An execve/execveat counts once: its
// kRecordSyscallEnter is the call, and the kRecordSyscall that follows from the
// same thread when it fails adds the error, not a second call. Feed the records
// as read, not exec_result() copies.
//
// strace -U picks and orders the columns (SummaryOptions::columns; the syscall
// name always comes last if not picked), among them the shortest and longest
// call; strace -O subtracts a tracing overhead from every call's time (at
// least 0 remains: Summary's constructor).
//
// Not thread-safe; add() and render() are pure apart from the object's state.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "trace/record.h"

namespace sysgate::trace {

// strace -S: the order of the rows. Ties keep syscall-number order, as strace's
// (stable) sort leaves them. kTime (the total), strace's default, orders by
// calls when no call has a duration; the times order from the largest.
enum class SummarySort { kTime, kMinTime, kMaxTime, kAvgTime, kCalls, kErrors, kName, kNothing };

// strace -S's words: "time" (or "total-time"), "min-time", "max-time",
// "avg-time", "calls", "errors", "name", "nothing"; an error for anything else.
Result<SummarySort> parse_summary_sort(std::string_view text);

// strace -U's columns.
enum class SummaryColumn { kTimePercent, kTotalTime, kMinTime, kMaxTime, kAvgTime, kCalls, kErrors, kName };

// strace -U's list, "name,calls,min-time" (its words and their synonyms:
// time-percent/time_percent/time, total-time/total_time, min-time/shortest,
// max-time/longest, avg-time/avg_time, calls/count, errors/error,
// name/syscall/syscall-name), with kName added last when not named; an error
// naming the first unknown or repeated word.
Result<std::vector<SummaryColumn>> parse_summary_columns(std::string_view text);

// strace -O's overhead, "OVERHEAD[UNIT]": a non-negative number, microseconds
// unless UNIT (s, ms, us, ns) says otherwise; in ns.
Result<int64_t> parse_summary_overhead(std::string_view text);

struct SummaryOptions {
  SummarySort sort = SummarySort::kTime;
  // -U: empty for strace's default, % time, seconds, usecs/call, calls, errors, syscall.
  std::vector<SummaryColumn> columns;
  // When no call has a duration: print strace's default columns with "% time",
  // "seconds" and "usecs/call" as zeros instead of leaving them out.
  bool zero_time_columns = false;
};

struct SummaryRow {
  int nr = -1;
  std::string name;  // syscalls::display_name(nr)
  uint64_t calls = 0;
  uint64_t errors = 0;
  uint64_t ns = 0;     // time inside the calls that have a duration
  uint64_t timed = 0;  // calls that have one
  uint64_t min_ns = 0;  // the shortest and longest of those (0 when none)
  uint64_t max_ns = 0;
};

class Summary {
 public:
  // overhead_ns: strace -O's, taken from every call's duration.
  explicit Summary(int64_t overhead_ns = 0) : overhead_ns_(overhead_ns) {}

  // duration_ns: the time inside the call, or negative if not known.
  void add(const Record& record, int64_t duration_ns = -1);

  // One row per syscall seen, in the given order.
  std::vector<SummaryRow> rows(SummarySort sort = SummarySort::kTime) const;
  // Sums over all rows (nr -1, name "total").
  SummaryRow total() const;

  // The table, each line ending in "\n"; "" when no call was counted (as strace
  // prints nothing then).
  std::string render(const SummaryOptions& options = {}) const;

 private:
  bool measured() const;  // some call has a duration
  std::string render_measured(const SummaryOptions& options, const SummaryRow& sum) const;
  int64_t overhead_ns_;
  std::map<int, SummaryRow> by_nr_;
  std::set<int32_t> exec_pending_;  // tids whose last record was an exec enter
};

}  // namespace sysgate::trace
