#include "trace/line_time.h"

#include <time.h>

#include <cstdio>

#include "trace/time_order.h"

namespace sysgate::trace {
namespace {

int64_t clock_ns(clockid_t id) {
  struct timespec ts {};
  clock_gettime(id, &ts);
  return int64_t{ts.tv_sec} * 1000000000 + ts.tv_nsec;
}

}  // namespace

TscClock::TscClock() {
  first_real_ = clock_ns(CLOCK_REALTIME);
  first_mono_ = clock_ns(CLOCK_MONOTONIC);
  first_tsc_ = TimeOrder::now();
  last_tsc_ = first_tsc_;
  last_mono_ = first_mono_;
}

void TscClock::sample() {
  last_mono_ = clock_ns(CLOCK_MONOTONIC);
  last_tsc_ = TimeOrder::now();
}

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

std::string format_duration(int64_t ns) {
  char buf[40];
  std::snprintf(buf, sizeof buf, " <%lld.%06lld>", static_cast<long long>(ns / 1000000000),
                static_cast<long long>(ns % 1000000000 / 1000));
  return buf;
}

std::string format_stamp(StampStyle style, int64_t realtime_ns, int64_t previous_ns) {
  char buf[48];
  const time_t seconds = static_cast<time_t>(realtime_ns / 1000000000);
  const long micros = static_cast<long>(realtime_ns % 1000000000 / 1000);
  switch (style) {
    case StampStyle::kNone:
      return {};
    case StampStyle::kSeconds:
    case StampStyle::kMicros: {
      struct tm local {};
      localtime_r(&seconds, &local);
      const size_t n = strftime(buf, sizeof buf, "%H:%M:%S", &local);
      if (style == StampStyle::kMicros) std::snprintf(buf + n, sizeof buf - n, ".%06ld", micros);
      return std::string(buf) + " ";
    }
    case StampStyle::kEpochMicros:
      std::snprintf(buf, sizeof buf, "%lld.%06ld ", static_cast<long long>(seconds), micros);
      return buf;
    case StampStyle::kRelative: {
      const int64_t delta = previous_ns == 0 || realtime_ns < previous_ns ? 0 : realtime_ns - previous_ns;
      std::snprintf(buf, sizeof buf, "%6lld.%06lld ", static_cast<long long>(delta / 1000000000),
                    static_cast<long long>(delta % 1000000000 / 1000));
      return buf;
    }
  }
  return {};
}

}  // namespace sysgate::trace
