// Name <-> value lookups over the tables of constant_tables.h: lookup(), errno and
// signal names. Linear scans over a few hundred constant entries: these serve the
// policy parser and reports, not a hot path, and need no initialisation.
#include "syscalls/constants.h"

#include <algorithm>
#include <iterator>

#include "syscalls/constant_tables.h"

namespace sysgate::syscalls::constants {
namespace {

using detail::ErrnoEntry;
using detail::FlagSet;
using detail::Named;

std::optional<uint64_t> find_value(std::span<const Named> table, std::string_view name) {
  for (const Named& entry : table) {
    if (entry.name == name) return entry.value;
  }
  return std::nullopt;
}

std::optional<uint64_t> find_value(const FlagSet& set, std::string_view name) {
  if (!set.zero_name.empty() && set.zero_name == name) return 0;
  if (auto value = find_value(set.field_values, name)) return value;
  return find_value(set.bits, name);
}

// Real-time signals by kernel number, as strace names them. Index = sig - SIGRTMIN.
constexpr std::string_view kRealtimeNames[] = {
    "SIGRTMIN", "SIGRT_1",  "SIGRT_2",  "SIGRT_3",  "SIGRT_4",  "SIGRT_5",  "SIGRT_6",
    "SIGRT_7",  "SIGRT_8",  "SIGRT_9",  "SIGRT_10", "SIGRT_11", "SIGRT_12", "SIGRT_13",
    "SIGRT_14", "SIGRT_15", "SIGRT_16", "SIGRT_17", "SIGRT_18", "SIGRT_19", "SIGRT_20",
    "SIGRT_21", "SIGRT_22", "SIGRT_23", "SIGRT_24", "SIGRT_25", "SIGRT_26", "SIGRT_27",
    "SIGRT_28", "SIGRT_29", "SIGRT_30", "SIGRT_31", "SIGRT_32",
};

const ErrnoEntry* find_errno(int err) {
  auto it = std::lower_bound(detail::kErrnos.begin(), detail::kErrnos.end(), err,
                             [](const ErrnoEntry& e, int n) { return e.number < n; });
  if (it == detail::kErrnos.end() || it->number != err) return nullptr;
  return &*it;
}

}  // namespace

std::optional<uint64_t> lookup(std::string_view name) {
  for (const FlagSet* set : detail::kLookupFlagSets) {
    if (auto value = find_value(*set, name)) return value;
  }
  for (const std::span<const Named>* table : detail::kLookupTables) {
    if (auto value = find_value(*table, name)) return value;
  }
  if (auto sig = signal_by_name(name)) return static_cast<uint64_t>(*sig);
  return std::nullopt;
}

std::optional<int> errno_by_name(std::string_view name) {
  for (const ErrnoEntry& entry : detail::kErrnos) {
    if (entry.name == name) return entry.number;
  }
  if (auto value = find_value(detail::kErrnoAliases, name)) return static_cast<int>(*value);
  return std::nullopt;
}

std::string_view errno_name(int err) {
  const ErrnoEntry* entry = find_errno(err);
  return entry ? entry->name : std::string_view{};
}

std::string_view errno_text(int err) {
  const ErrnoEntry* entry = find_errno(err);
  return entry ? entry->text : std::string_view{};
}

std::optional<int> signal_by_name(std::string_view name) {
  if (auto value = find_value(detail::kSignals, name)) return static_cast<int>(*value);
  if (name == "SIGIOT" || name == "SIGPOLL") {
    return static_cast<int>(*find_value(detail::kSignalOther, name));
  }
  if (name == "SIGRTMAX") return detail::kLastRealtimeSignal;
  for (size_t i = 0; i < std::size(kRealtimeNames); ++i) {
    if (kRealtimeNames[i] == name) return detail::kFirstRealtimeSignal + static_cast<int>(i);
  }
  return std::nullopt;
}

std::string_view signal_name(int sig) {
  if (sig >= 1 && static_cast<size_t>(sig) <= detail::kSignals.size()) {
    return detail::kSignals[sig - 1].name;
  }
  if (sig >= detail::kFirstRealtimeSignal && sig <= detail::kLastRealtimeSignal) {
    const size_t index = static_cast<size_t>(sig - detail::kFirstRealtimeSignal);
    if (index < std::size(kRealtimeNames)) return kRealtimeNames[index];
  }
  return {};
}

}  // namespace sysgate::syscalls::constants
