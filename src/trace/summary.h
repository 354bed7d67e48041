// strace -c: calls and errors per syscall over a trace, as strace's table.
//
//   trace::Summary summary;
//   reader->poll([&](const trace::Record& r) { summary.add(r); });
//   std::string table = summary.render();
//   // time columns omitted: trace records carry no per-call durations
//   //     calls    errors syscall
//   // --------- --------- ----------------
//   //         5           read
//   //         3         2 openat
//   // --------- --------- ----------------
//   //         8         2 total
//
// Time is not measured. A record's tsc is read once, when the gate writes the
// record after the call returned (src/gate/trace_emit.cc); there is no
// timestamp at entry, so no per-call duration exists, and the gap between two
// records of a thread includes the program's own work. Rather than present such
// a gap as syscall time, the table leaves out strace's "% time", "seconds" and
// "usecs/call" columns (the shape of `strace -c -U calls,errors,name`) and says
// so on its first line; SummaryOptions::zero_time_columns keeps strace's default
// columns, printed as zeros, for tools that parse that layout, with the same note.
//
// What counts, as strace -c counts: every completed call, failed or not (an
// error is any return in -4095..-1, ERESTART* included). exit and exit_group
// never return and are not counted. An execve/execveat counts once: its
// kRecordSyscallEnter is the call, and the kRecordSyscall that follows from the
// same thread when it fails adds the error, not a second call. Feed the records
// as read, not exec_result() copies.
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
// (stable) sort leaves them. Time is not measured, so kTime, strace's default,
// orders by calls.
enum class SummarySort { kTime, kCalls, kErrors, kName, kNothing };

// strace -S's words: "time", "min-time", "max-time", "avg-time" (all kTime),
// "calls", "errors", "name", "nothing"; an error for anything else.
Result<SummarySort> parse_summary_sort(std::string_view text);

struct SummaryOptions {
  SummarySort sort = SummarySort::kTime;
  // Print strace's default columns with "% time", "seconds" and "usecs/call" as
  // zeros (still not measured) instead of leaving them out.
  bool zero_time_columns = false;
};

struct SummaryRow {
  int nr = -1;
  std::string name;  // syscalls::display_name(nr)
  uint64_t calls = 0;
  uint64_t errors = 0;
};

class Summary {
 public:
  void add(const Record& record);

  // One row per syscall seen, in the given order.
  std::vector<SummaryRow> rows(SummarySort sort = SummarySort::kTime) const;
  // Sums over all rows (nr -1, name "total").
  SummaryRow total() const;

  // The table, each line ending in "\n"; "" when no call was counted (as strace
  // prints nothing then).
  std::string render(const SummaryOptions& options = {}) const;

 private:
  std::map<int, SummaryRow> by_nr_;
  std::set<int32_t> exec_pending_;  // tids whose last record was an exec enter
};

}  // namespace sysgate::trace
