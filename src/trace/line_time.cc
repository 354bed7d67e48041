#include "trace/line_time.h"

#include <time.h>

#include <cstdio>
#include <string>

#include "trace/time_order.h"

namespace sysgate::trace {
namespace {

int64_t clock_ns(clockid_t id) {
  struct timespec ts {};
  clock_gettime(id, &ts);
  return int64_t{ts.tv_sec} * 1000000000 + ts.tv_nsec;
}

// CLOCK_MONOTONIC and the TSC at one moment: the TSC read on both sides of
// the clock, the tightest of a few tries, at its middle. Read one after the
// other, a preemption between the two (milliseconds, on a loaded machine)
// skewed the rate by as much over the run's first tens of milliseconds: a 50
// ms sleep once read as 45.
void read_pair(int64_t* mono, uint64_t* tsc) {
  constexpr uint64_t kCloseEnough = 4000;  // ticks: ~2 µs at 2 GHz
  uint64_t best_gap = UINT64_MAX;
  for (int i = 0; i < 8 && best_gap > kCloseEnough; ++i) {
    const uint64_t before = TimeOrder::now();
    const int64_t ns = clock_ns(CLOCK_MONOTONIC);
    const uint64_t after = TimeOrder::now();
    if (after < before || after - before >= best_gap) continue;
    best_gap = after - before;
    *mono = ns;
    *tsc = before + best_gap / 2;
  }
}

}  // namespace

TscClock::TscClock() {
  first_real_ = clock_ns(CLOCK_REALTIME);
  read_pair(&first_mono_, &first_tsc_);
  last_tsc_ = first_tsc_;
  last_mono_ = first_mono_;
}

void TscClock::sample() { read_pair(&last_mono_, &last_tsc_); }

int64_t TscClock::now_ns() {
  sample();
  return first_real_ + (last_mono_ - first_mono_);
}

int64_t TscClock::realtime_ns(uint64_t tsc) {
  if (tsc == 0 || tsc < first_tsc_) return now_ns();
  if (tsc > last_tsc_) sample();
  int64_t ns = first_real_ + (last_mono_ - first_mono_);
  if (tsc <= last_tsc_ && last_tsc_ != first_tsc_) {
    const auto elapsed = static_cast<unsigned __int128>(tsc - first_tsc_) *
                         static_cast<uint64_t>(last_mono_ - first_mono_) / (last_tsc_ - first_tsc_);
    ns = first_real_ + static_cast<int64_t>(elapsed);
  }
  // Each new pair changes the rate a little: a later stamp must not read as
  // earlier than one already converted.
  if (tsc >= returned_tsc_ && ns < returned_ns_) ns = returned_ns_;
  if (tsc >= returned_tsc_) {
    returned_tsc_ = tsc;
    returned_ns_ = ns;
  }
  return ns;
}

int64_t TscClock::elapsed_ns(uint64_t from, uint64_t to) {
  if (to <= from) return 0;
  if (to > last_tsc_ || last_tsc_ == first_tsc_) sample();
  if (last_tsc_ == first_tsc_) return 0;
  return static_cast<int64_t>(static_cast<unsigned __int128>(to - from) *
                              static_cast<uint64_t>(last_mono_ - first_mono_) / (last_tsc_ - first_tsc_));
}

namespace {

constexpr int64_t kPowersOfTen[] = {1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000, 1000000000};

// ".123456" for 6 digits of the nanoseconds within a second; "" for 0.
void append_fraction(std::string& out, int64_t ns_in_second, int digits) {
  if (digits <= 0) return;
  char buf[16];
  std::snprintf(buf, sizeof buf, ".%0*lld", digits, static_cast<long long>(ns_in_second / kPowersOfTen[9 - digits]));
  out += buf;
}

}  // namespace

std::string format_duration(int64_t ns, int digits) {
  std::string out = " <" + std::to_string(ns / 1000000000);
  append_fraction(out, ns % 1000000000, digits);
  return out + ">";
}

std::string format_stamp(const Stamps& stamps, int64_t realtime_ns, int64_t previous_ns) {
  char buf[48];
  const time_t seconds = static_cast<time_t>(realtime_ns / 1000000000);
  std::string out;
  switch (stamps.style) {
    case StampStyle::kNone:
      return {};
    case StampStyle::kTimeOfDay: {
      struct tm local {};
      localtime_r(&seconds, &local);
      out.assign(buf, strftime(buf, sizeof buf, "%H:%M:%S", &local));
      append_fraction(out, realtime_ns % 1000000000, stamps.digits);
      break;
    }
    case StampStyle::kUnix:
      out = std::to_string(static_cast<long long>(seconds));
      append_fraction(out, realtime_ns % 1000000000, stamps.digits);
      break;
    case StampStyle::kRelative: {
      const int64_t delta = previous_ns == 0 || realtime_ns < previous_ns ? 0 : realtime_ns - previous_ns;
      std::snprintf(buf, sizeof buf, "%6lld", static_cast<long long>(delta / 1000000000));
      out = buf;
      append_fraction(out, delta % 1000000000, stamps.digits);
      break;
    }
  }
  return out + " ";
}

std::optional<int> parse_precision(std::string_view spec) {
  if (spec == "s") return 0;
  if (spec == "ms") return 3;
  if (spec == "us") return 6;
  if (spec == "ns") return 9;
  return std::nullopt;
}

std::optional<Stamps> parse_absolute_timestamps(std::string_view spec) {
  Stamps stamps{StampStyle::kTimeOfDay, 0};
  while (!spec.empty()) {
    const size_t comma = spec.find(',');
    std::string_view item = spec.substr(0, comma);
    spec = comma == std::string_view::npos ? std::string_view{} : spec.substr(comma + 1);
    if (comma != std::string_view::npos && spec.empty()) return std::nullopt;  // "time,"
    const bool format = item.starts_with("format:");
    const bool precision = item.starts_with("precision:");
    if (format) item.remove_prefix(7);
    if (precision) item.remove_prefix(10);
    if (precision) {
      const std::optional<int> digits = parse_precision(item);
      if (!digits) return std::nullopt;
      stamps.digits = *digits;
    } else if (item == "time") {
      stamps.style = StampStyle::kTimeOfDay;
    } else if (item == "unix") {
      stamps.style = StampStyle::kUnix;
    } else if (item == "none") {
      stamps.style = StampStyle::kNone;
    } else if (std::optional<int> digits = format ? std::nullopt : parse_precision(item)) {
      stamps.digits = *digits;
    } else {
      return std::nullopt;
    }
  }
  return stamps;
}

}  // namespace sysgate::trace
