#include "trace/summary.h"

#include <algorithm>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstdlib>

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
  if (text == "time" || text == "total-time") return SummarySort::kTime;
  if (text == "min-time") return SummarySort::kMinTime;
  if (text == "max-time") return SummarySort::kMaxTime;
  if (text == "avg-time") return SummarySort::kAvgTime;
  if (text == "calls") return SummarySort::kCalls;
  if (text == "errors") return SummarySort::kErrors;
  if (text == "name") return SummarySort::kName;
  if (text == "nothing") return SummarySort::kNothing;
  return make_error(ErrorCode::kUnknownName,
                    "invalid sortby: '" + std::string(text) + "' (time, min-time, max-time, avg-time, calls, errors, name, nothing)");
}

Result<std::vector<SummaryColumn>> parse_summary_columns(std::string_view text) {
  static constexpr struct {
    std::string_view word;
    SummaryColumn column;
  } kWords[] = {{"time-percent", SummaryColumn::kTimePercent}, {"time_percent", SummaryColumn::kTimePercent},
                {"time", SummaryColumn::kTimePercent},         {"total-time", SummaryColumn::kTotalTime},
                {"total_time", SummaryColumn::kTotalTime},     {"min-time", SummaryColumn::kMinTime},
                {"shortest", SummaryColumn::kMinTime},         {"max-time", SummaryColumn::kMaxTime},
                {"longest", SummaryColumn::kMaxTime},          {"avg-time", SummaryColumn::kAvgTime},
                {"avg_time", SummaryColumn::kAvgTime},         {"calls", SummaryColumn::kCalls},
                {"count", SummaryColumn::kCalls},              {"errors", SummaryColumn::kErrors},
                {"error", SummaryColumn::kErrors},             {"name", SummaryColumn::kName},
                {"syscall", SummaryColumn::kName},             {"syscall-name", SummaryColumn::kName}};
  std::vector<SummaryColumn> columns;
  size_t at = 0;
  while (at <= text.size()) {
    const size_t comma = std::min(text.find(',', at), text.size());
    const std::string_view word = text.substr(at, comma - at);
    const auto known = std::find_if(std::begin(kWords), std::end(kWords), [&](const auto& w) { return w.word == word; });
    if (known == std::end(kWords)) {
      return make_error(ErrorCode::kUnknownName,
                        "unknown column name: '" + std::string(word) +
                            "' (time-percent, total-time, min-time, max-time, avg-time, calls, errors, name)");
    }
    if (std::find(columns.begin(), columns.end(), known->column) != columns.end()) {
      return make_error(ErrorCode::kInvalidArgument, "column given more than once: '" + std::string(word) + "'");
    }
    columns.push_back(known->column);
    at = comma + 1;
  }
  if (std::find(columns.begin(), columns.end(), SummaryColumn::kName) == columns.end()) {
    columns.push_back(SummaryColumn::kName);
  }
  return columns;
}

Result<int64_t> parse_summary_overhead(std::string_view text) {
  static constexpr struct {
    std::string_view unit;
    double ns;
  } kUnits[] = {{"ns", 1}, {"us", 1e3}, {"ms", 1e6}, {"s", 1e9}};
  double scale = 1e3;  // microseconds, as strace's default
  std::string_view number = text;
  for (const auto& u : kUnits) {
    if (number.size() > u.unit.size() && number.ends_with(u.unit)) {
      number.remove_suffix(u.unit.size());
      scale = u.ns;
      break;
    }
  }
  const std::string digits(number);
  char* end = nullptr;
  const double value = digits.empty() || digits[0] == '-' || digits[0] == '+' ? -1 : std::strtod(digits.c_str(), &end);
  if (value < 0 || end != digits.c_str() + digits.size() || !std::isfinite(value) || value * scale > 1e18) {
    return make_error(ErrorCode::kInvalidArgument, "invalid overhead '" + std::string(text) +
                                                    "' (a non-negative number, microseconds or with s, ms, us, ns)");
  }
  return static_cast<int64_t>(value * scale);
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
    const auto ns = static_cast<uint64_t>(std::max<int64_t>(duration_ns - overhead_ns_, 0));  // -O
    row.min_ns = row.timed == 0 ? ns : std::min(row.min_ns, ns);
    row.max_ns = std::max(row.max_ns, ns);
    row.ns += ns;
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
    case SummarySort::kMinTime:
    case SummarySort::kMaxTime:
    case SummarySort::kAvgTime: {
      if (!measured()) {
        std::stable_sort(out.begin(), out.end(),
                         [](const SummaryRow& a, const SummaryRow& b) { return a.calls > b.calls; });
        break;
      }
      const auto key = [sort](const SummaryRow& r) {
        return sort == SummarySort::kMinTime ? r.min_ns : sort == SummarySort::kMaxTime ? r.max_ns
                                                                                         : r.calls == 0 ? 0 : r.ns / r.calls;
      };
      std::stable_sort(out.begin(), out.end(), [&](const SummaryRow& a, const SummaryRow& b) { return key(a) > key(b); });
      break;
    }
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
    if (row.timed != 0) {
      total.min_ns = total.timed == 0 ? row.min_ns : std::min(total.min_ns, row.min_ns);
      total.max_ns = std::max(total.max_ns, row.max_ns);
    }
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
  if (!options.columns.empty()) {  // -U: as asked, the times as zeros
    out += "time columns are not measured (shown as 0): trace records carry no per-call durations\n";
    return out + render_measured(options, sum);
  }
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

// strace's table (count.c): by default "%6.2f %11.6f %11lu %9u %9s %s" (%
// time, seconds, usecs/call, calls, errors, syscall), errors blank when zero,
// usecs/call the truncated mean, and 100.00 in the total row; -U's columns
// in its order, shortest and longest as "%8.6f" seconds, the name padded to 16
// unless it is last.
std::string Summary::render_measured(const SummaryOptions& options, const SummaryRow& sum) const {
  static const std::vector<SummaryColumn> kDefault = {SummaryColumn::kTimePercent, SummaryColumn::kTotalTime,
                                                       SummaryColumn::kAvgTime,     SummaryColumn::kCalls,
                                                       SummaryColumn::kErrors,      SummaryColumn::kName};
  const std::vector<SummaryColumn>& columns = options.columns.empty() ? kDefault : options.columns;
  std::string out;
  if (sum.timed < sum.calls && measured()) {
    out += std::to_string(sum.calls - sum.timed) + " of " + std::to_string(sum.calls) +
           " calls have no duration (the program turned rdtsc off) and count 0 in the time columns\n";
  }
  std::string header, dashes;
  for (size_t i = 0; i < columns.size(); ++i) {
    const bool last = i + 1 == columns.size();
    const char* space = last ? "" : " ";
    switch (columns[i]) {
      case SummaryColumn::kTimePercent: header += "% time"; dashes += "------"; break;
      case SummaryColumn::kTotalTime: header += "    seconds"; dashes += "-----------"; break;
      case SummaryColumn::kMinTime: header += "shortest"; dashes += "--------"; break;
      case SummaryColumn::kMaxTime: header += " longest"; dashes += "--------"; break;
      case SummaryColumn::kAvgTime: header += " usecs/call"; dashes += "-----------"; break;
      case SummaryColumn::kCalls: header += "    calls"; dashes += "---------"; break;
      case SummaryColumn::kErrors: header += "   errors"; dashes += "---------"; break;
      case SummaryColumn::kName: header += last ? "syscall" : "syscall         "; dashes += kNameDashes; break;
    }
    header += space;
    dashes += space;
  }
  out += header + "\n";
  dashes += "\n";
  const auto line = [&](const SummaryRow& row, bool is_total) {
    std::string text;
    char cell[64];
    for (size_t i = 0; i < columns.size(); ++i) {
      const bool last = i + 1 == columns.size();
      switch (columns[i]) {
        case SummaryColumn::kTimePercent: {
          const double percent =
              is_total ? 100.0 : sum.ns == 0 ? 0.0 : 100.0 * static_cast<double>(row.ns) / static_cast<double>(sum.ns);
          std::snprintf(cell, sizeof cell, "%6.2f", percent);
          break;
        }
        case SummaryColumn::kTotalTime:
          std::snprintf(cell, sizeof cell, "%4" PRIu64 ".%06" PRIu64, row.ns / 1000000000, row.ns % 1000000000 / 1000);
          break;
        case SummaryColumn::kMinTime:
        case SummaryColumn::kMaxTime: {
          const uint64_t ns = columns[i] == SummaryColumn::kMinTime ? row.min_ns : row.max_ns;
          std::snprintf(cell, sizeof cell, "%8.6f", static_cast<double>(ns) / 1e9);
          break;
        }
        case SummaryColumn::kAvgTime:
          std::snprintf(cell, sizeof cell, "%11" PRIu64, row.calls == 0 ? 0 : row.ns / 1000 / row.calls);
          break;
        case SummaryColumn::kCalls: std::snprintf(cell, sizeof cell, "%9" PRIu64, row.calls); break;
        case SummaryColumn::kErrors:
          if (row.errors == 0) {
            std::snprintf(cell, sizeof cell, "%9s", "");
          } else {
            std::snprintf(cell, sizeof cell, "%9" PRIu64, row.errors);
          }
          break;
        case SummaryColumn::kName:
          text += row.name;
          if (!last && row.name.size() < kNameDashes.size()) text.append(kNameDashes.size() - row.name.size(), ' ');
          if (!last) text += ' ';
          continue;
      }
      text += cell;
      if (!last) text += ' ';
    }
    return text + "\n";
  };
  append_table(out, dashes, rows(options.sort), sum, line);
  return out;
}

}  // namespace sysgate::trace
