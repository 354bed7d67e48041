// strace's -t/-tt/-ttt/-r stamps, and TSC stamps turned into wall-clock time.
#include "trace/line_time.h"

#include <gtest/gtest.h>
#include <time.h>

#include <cstdlib>

#include "trace/time_order.h"

namespace sysgate::trace {
namespace {

int64_t realtime_now() {
  struct timespec ts {};
  clock_gettime(CLOCK_REALTIME, &ts);
  return int64_t{ts.tv_sec} * 1000000000 + ts.tv_nsec;
}

// 2023-11-14 22:13:20.123456789 UTC.
constexpr int64_t kSample = int64_t{1700000000} * 1000000000 + 123456789;

class StampTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* tz = std::getenv("TZ");
    saved_ = tz != nullptr ? tz : "";
    had_ = tz != nullptr;
    setenv("TZ", "UTC", 1);
    tzset();
  }
  void TearDown() override {
    if (had_) setenv("TZ", saved_.c_str(), 1);
    else unsetenv("TZ");
    tzset();
  }

 private:
  std::string saved_;
  bool had_ = false;
};

TEST_F(StampTest, AsStracePrintsThem) {
  EXPECT_EQ(format_stamp({StampStyle::kNone}, kSample, 0), "");
  EXPECT_EQ(format_stamp({StampStyle::kTimeOfDay, 0}, kSample, 0), "22:13:20 ");
  EXPECT_EQ(format_stamp({StampStyle::kTimeOfDay, 6}, kSample, 0), "22:13:20.123456 ");
  EXPECT_EQ(format_stamp({StampStyle::kUnix, 6}, kSample, 0), "1700000000.123456 ");
}

// strace's precisions (--absolute-timestamps=precision:ms, --relative-timestamps=ns,
// --syscall-times=s), as strace 6 prints them.
TEST_F(StampTest, PrecisionsAsStracePrintsThem) {
  EXPECT_EQ(format_stamp({StampStyle::kTimeOfDay, 3}, kSample, 0), "22:13:20.123 ");
  EXPECT_EQ(format_stamp({StampStyle::kTimeOfDay, 9}, kSample, 0), "22:13:20.123456789 ");
  EXPECT_EQ(format_stamp({StampStyle::kUnix, 0}, kSample, 0), "1700000000 ");
  EXPECT_EQ(format_stamp({StampStyle::kRelative, 0}, kSample, kSample - 2345678000), "     2 ");
  EXPECT_EQ(format_stamp({StampStyle::kRelative, 9}, kSample, kSample - 1500), "     0.000001500 ");
  EXPECT_EQ(format_duration(34414), " <0.000034>");
  EXPECT_EQ(format_duration(34414, 9), " <0.000034414>");
  EXPECT_EQ(format_duration(1034414, 3), " <0.001>");
  EXPECT_EQ(format_duration(2034414000, 0), " <2>");
}

TEST(TimestampSpecs, AsStraceParsesThem) {
  auto spec = [](std::string_view s) {
    const std::optional<Stamps> st = parse_absolute_timestamps(s);
    return st ? std::to_string(static_cast<int>(st->style)) + "/" + std::to_string(st->digits) : "bad";
  };
  EXPECT_EQ(spec(""), "1/0");  // time, s: -t
  EXPECT_EQ(spec("precision:us"), "1/6");  // -tt
  EXPECT_EQ(spec("format:unix,precision:us"), "2/6");  // -ttt
  EXPECT_EQ(spec("unix,ns"), "2/9");
  EXPECT_EQ(spec("ms"), "1/3");
  EXPECT_EQ(spec("none"), "0/0");
  EXPECT_EQ(spec("format:ms"), "bad");
  EXPECT_EQ(spec("time,"), "bad");
  EXPECT_EQ(spec("tim"), "bad");
  EXPECT_EQ(parse_precision("precision:ns"), std::nullopt);  // strace refuses it there too
  EXPECT_EQ(parse_precision("ns"), 9);
  EXPECT_EQ(spec("precision:ns,format:unix"), "2/9");
  EXPECT_EQ(spec("precision:unix"), "bad");
  EXPECT_EQ(parse_precision("s"), 0);
  EXPECT_EQ(parse_precision("sec"), std::nullopt);
}

TEST_F(StampTest, RelativeIsTheTimeSinceThePreviousLine) {
  EXPECT_EQ(format_stamp({StampStyle::kRelative, 6}, kSample, 0), "     0.000000 ");  // the first line
  EXPECT_EQ(format_stamp({StampStyle::kRelative, 6}, kSample, kSample - 1500), "     0.000001 ");
  EXPECT_EQ(format_stamp({StampStyle::kRelative, 6}, kSample, kSample - 2345678000), "     2.345678 ");
  EXPECT_EQ(format_stamp({StampStyle::kRelative, 6}, kSample, kSample - int64_t{1234567} * 1000000000),
            "1234567.000000 ");
  // Records of two threads can come out of order by a few ns: never negative.
  EXPECT_EQ(format_stamp({StampStyle::kRelative, 6}, kSample, kSample + 10), "     0.000000 ");
}

TEST(TscClock, AStampReadsAsTheWallClockOfItsMoment) {
  TscClock clock;
  for (int i = 0; i < 3; ++i) {
    const int64_t before = realtime_now();
    const uint64_t tsc = TimeOrder::now();
    const int64_t after = realtime_now();
    const int64_t at = clock.realtime_ns(tsc);
    // The clock reads CLOCK_REALTIME once and follows CLOCK_MONOTONIC: allow
    // for the two reads of a pair and a slewing NTP, not for a stepped clock.
    EXPECT_GE(at, before - 100000) << i;
    EXPECT_LE(at, after + 100000) << i;
    struct timespec pause = {0, 2000000};
    nanosleep(&pause, nullptr);
  }
}

TEST(TscClock, LaterStampsNeverReadEarlier) {
  TscClock clock;
  int64_t previous = 0;
  for (int i = 0; i < 1000; ++i) {
    const int64_t at = clock.realtime_ns(TimeOrder::now());
    EXPECT_GE(at, previous);
    previous = at;
  }
}

TEST(TscClock, NoStampMeansNow) {
  TscClock clock;
  const int64_t before = realtime_now();
  const int64_t at = clock.realtime_ns(0);  // the program turned rdtsc off
  EXPECT_GE(at, before - 100000);
  EXPECT_LE(at, realtime_now() + 100000);
}

}  // namespace
}  // namespace sysgate::trace
