#include "trace/summary.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>

#include "syscalls/syscall_table.h"

namespace sysgate::trace {
namespace {

constexpr std::string_view kNameDashes = "----------------";

bool is_error(int64_t ret) { return ret >= -4095 && ret <= -1; }

bool is_exec(int nr) {
  const syscalls::SyscallInfo* info = syscalls::by_number(nr);
  return info != nullptr && (info->name == "execve" || info->name == "execveat");
}

// calls and errors columns ("%9" PRIu64 " %9s"), errors blank when zero as strace prints them.
std::string counts(uint64_t calls, uint64_t errors) {
  char buf[64];
  if (errors == 0) {
    std::snprintf(buf, sizeof buf, "%9" PRIu64 " %9s ", calls, "");
  } else {
    std::snprintf(buf, sizeof buf, "%9" PRIu64 " %9" PRIu64 " ", calls, errors);
  }
  return buf;
}

// The rows, then the total, each between strace's dash lines.
template <typename Line>
void append_table(std::string& out, const std::string& dashes, const std::vector<SummaryRow>& rows, const SummaryRow& sum,
                  const Line& line) {
  out += dashes;
  for (const SummaryRow& row : rows) out += line(row, false);
  out += dashes;
  out += line(sum, true);
}

}  // namespace

Result<SummarySort> parse_summary_sort(std::string_view text) {
  // Every time order is by the total time (min/max/avg are not kept apart).
  if (text == "time" || text == "total-time" || text == "min-time" || text == "max-time" || text == "avg-time") {
    return SummarySort::kTime;
  }
  if (text == "calls") return SummarySort::kCalls;
  if (text == "errors") return SummarySort::kErrors;
  if (text == "name") return SummarySort::kName;
  if (text == "nothing") return SummarySort::kNothing;
  return make_error(ErrorCode::kUnknownName,
                    "invalid sortby: '" + std::string(text) + "' (time, min-time, max-time, avg-time, calls, errors, name, nothing)");
}

void Summary::add(const Record& record, int64_t duration_ns) {
  const bool exec_failure_after_enter =
      record.kind == kRecordSyscall && is_exec(record.nr) && exec_pending_.count(record.tid) != 0;
  exec_pending_.erase(record.tid);
  if (record.kind != kRecordSyscall && record.kind != kRecordSyscallEnter) return;  // exit: never returns

  SummaryRow& row = by_nr_[record.nr];
  if (row.nr < 0) {
    row.nr = record.nr;
    row.name = syscalls::display_name(record.nr);
  }
  // An exec enter's failure carries the call's duration (its enter had none).
  if (duration_ns >= 0 && (!exec_failure_after_enter || row.timed < row.calls)) {
    row.ns += static_cast<uint64_t>(duration_ns);
    ++row.timed;
  }
  if (record.kind == kRecordSyscallEnter) {
    ++row.calls;
    exec_pending_.insert(record.tid);
    return;
  }
  if (!exec_failure_after_enter) ++row.calls;
  if (is_error(record.ret)) ++row.errors;
}

std::vector<SummaryRow> Summary::rows(SummarySort sort) const {
  std::vector<SummaryRow> out;
  out.reserve(by_nr_.size());
  for (const auto& [nr, row] : by_nr_) out.push_back(row);  // syscall-number order
  switch (sort) {
    case SummarySort::kTime:
      if (measured()) {
        std::stable_sort(out.begin(), out.end(), [](const SummaryRow& a, const SummaryRow& b) { return a.ns > b.ns; });
        break;
      }
      [[fallthrough]];  // nothing timed: by calls, see the header
    case SummarySort::kCalls:
      std::stable_sort(out.begin(), out.end(),
                       [](const SummaryRow& a, const SummaryRow& b) { return a.calls > b.calls; });
      break;
    case SummarySort::kErrors:
      std::stable_sort(out.begin(), out.end(),
                       [](const SummaryRow& a, const SummaryRow& b) { return a.errors > b.errors; });
      break;
    case SummarySort::kName:
      std::stable_sort(out.begin(), out.end(),
                       [](const SummaryRow& a, const SummaryRow& b) { return a.name < b.name; });
      break;
    case SummarySort::kNothing:
      break;
  }
  return out;
}

SummaryRow Summary::total() const {
  SummaryRow total;
  total.name = "total";
  for (const auto& [nr, row] : by_nr_) {
    total.calls += row.calls;
    total.errors += row.errors;
    total.ns += row.ns;
    total.timed += row.timed;
  }
  return total;
}

bool Summary::measured() const {
  for (const auto& [nr, row] : by_nr_) {
    if (row.timed != 0) return true;
  }
  return false;
}

std::string Summary::render(const SummaryOptions& options) const {
  const SummaryRow sum = total();
  if (sum.calls == 0) return {};
  if (measured()) return render_measured(options, sum);
  std::string out;
  std::string dashes;
  if (options.zero_time_columns) {
    out += "% time, seconds and usecs/call are not measured (shown as 0): trace records carry no per-call durations\n";
    out += "% time     seconds  usecs/call     calls    errors syscall\n";
    dashes = "------ ----------- ----------- --------- --------- " + std::string(kNameDashes) + "\n";
  } else {
    out += "time columns omitted: trace records carry no per-call durations\n";
    out += "    calls    errors syscall\n";
    dashes = "--------- --------- " + std::string(kNameDashes) + "\n";
  }
  // strace prints 100.00 in the total row even when every time is zero.
  const auto line = [&](const SummaryRow& row, bool is_total) {
    std::string text;
    if (options.zero_time_columns) text = is_total ? "100.00    0.000000           0 " : "  0.00    0.000000           0 ";
    return text + counts(row.calls, row.errors) + row.name + "\n";
  };
  append_table(out, dashes, rows(options.sort), sum, line);
  return out;
}

// strace's table (count.c): "%6.2f %11.6f %11lu %9u %9s %s", errors blank
// when zero, usecs/call the truncated mean, and 100.00 in the total row.
std::string Summary::render_measured(const SummaryOptions& options, const SummaryRow& sum) const {
  std::string out;
  if (sum.timed < sum.calls) {
    out += std::to_string(sum.calls - sum.timed) + " of " + std::to_string(sum.calls) +
           " calls have no duration (the program turned rdtsc off) and count 0 in the time columns\n";
  }
  out += "% time     seconds  usecs/call     calls    errors syscall\n";
  const std::string dashes = "------ ----------- ----------- --------- --------- " + std::string(kNameDashes) + "\n";
  const auto line = [&](const SummaryRow& row, bool is_total) {
    char time[64];
    const double percent = is_total ? 100.0 : sum.ns == 0 ? 0.0 : 100.0 * static_cast<double>(row.ns) / static_cast<double>(sum.ns);
    std::snprintf(time, sizeof time, "%6.2f %4" PRIu64 ".%06" PRIu64 " %11" PRIu64 " ", percent, row.ns / 1000000000,
                  row.ns % 1000000000 / 1000, row.calls == 0 ? 0 : row.ns / 1000 / row.calls);
    return time + counts(row.calls, row.errors) + row.name + "\n";
  };
  append_table(out, dashes, rows(options.sort), sum, line);
  return out;
}

}  // namespace sysgate::trace
