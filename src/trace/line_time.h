// Times for the lines of a trace, as strace's -t, -tt, -ttt and -r print them.
//
//   trace::TscClock clock;                        // at start, before any record
//   const int64_t ns = clock.realtime_ns(record.tsc);
//   std::string stamp = trace::format_stamp({trace::StampStyle::kTimeOfDay, 6}, ns, previous_ns);
//   // "14:03:27.123456 "
//
// Records carry the TSC the gate read when it wrote them, which is after the
// call returned (strace stamps a call when it is entered). TscClock turns a TSC
// into CLOCK_REALTIME nanoseconds without knowing the TSC's frequency: it keeps
// the pair (TSC, CLOCK_MONOTONIC) read at construction and the newest such pair,
// and interpolates between them. A record is always older than a pair read
// after it was drained, so this never extrapolates, and the error stays at the
// few tens of nanoseconds between the two reads of a pair; a later stamp never
// reads as earlier than one converted before it. The wall clock is
// read once, at construction: a clock step during the trace does not show.
// Assumes a TSC that runs at a constant rate on every CPU (constant_tsc,
// nonstop_tsc), as TimeOrder already does.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sysgate::trace {

class TscClock {
 public:
  TscClock();
  // CLOCK_REALTIME, in ns, when the TSC read `tsc`. tsc 0 (the program turned
  // rdtsc off, ring_format.h) or a TSC from before construction: now.
  int64_t realtime_ns(uint64_t tsc);
  int64_t now_ns();
  // Nanoseconds between two stamps, from <= to (strace -T's time in a call).
  int64_t elapsed_ns(uint64_t from, uint64_t to);

 private:
  void sample();
  uint64_t first_tsc_;
  int64_t first_mono_;
  int64_t first_real_;
  uint64_t last_tsc_;
  int64_t last_mono_;
  uint64_t returned_tsc_ = 0;  // the newest stamp converted, and what it read as
  int64_t returned_ns_ = 0;
};

enum class StampStyle {
  kNone,
  kTimeOfDay,  // -t    "14:03:27 " (local time); -tt "14:03:27.123456 "
  kUnix,       // -ttt  "1700000000.123456 "
  kRelative,   // -r    "     0.000123 ": since the previous line's stamp
};

// A stamp's or a duration's digits after the point, as strace's precisions
// name them: s 0, ms 3, us 6, ns 9.
struct Stamps {
  StampStyle style = StampStyle::kNone;
  int digits = 6;
};

// strace -T: " <0.000123>", seconds with `digits` decimals (none: " <0>").
std::string format_duration(int64_t ns, int digits = 6);

// The stamp and its trailing space; empty for kNone. previous_ns is the last
// stamped line's time (for kRelative; 0 before the first line: shown as 0).
std::string format_stamp(const Stamps& stamps, int64_t realtime_ns, int64_t previous_ns);

// strace's long forms: --absolute-timestamps=[[format:]time|unix|none][,[precision:]s|ms|us|ns]
// (no value: time, s) and the precision of --relative-timestamps=, --syscall-times=
// (s|ms|us|ns; no value: us). nullopt for anything else.
std::optional<Stamps> parse_absolute_timestamps(std::string_view spec);
std::optional<int> parse_precision(std::string_view spec);

}  // namespace sysgate::trace
