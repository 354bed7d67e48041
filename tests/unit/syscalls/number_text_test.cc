// number_text.h: numbers appended as strace's printf formats write them.
#include "syscalls/number_text.h"

#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <iterator>
#include <random>
#include <string>

#include <gtest/gtest.h>

namespace sysgate::syscalls {
namespace {

std::string printf_text(const char* format, uint64_t value) {
  char buf[64];
  std::snprintf(buf, sizeof buf, format, value);
  return buf;
}

TEST(NumberText, AppendsAfterWhatIsThere) {
  std::string out = "fd=";
  append_decimal(out, -1);
  out += ' ';
  append_hex(out, 0x7f10);
  out += ' ';
  append_hex_or_zero(out, 0);
  out += ' ';
  append_octal_mode(out, 0644);
  EXPECT_EQ(out, "fd=-1 0x7f10 0 0644");
}

TEST(NumberText, DecimalCoversEveryWidthAndSign) {
  std::string out;
  append_decimal(out, INT32_MIN);
  out += ',';
  append_decimal(out, UINT32_MAX);
  out += ',';
  append_decimal(out, INT64_MIN);
  out += ',';
  append_decimal(out, UINT64_MAX);
  out += ',';
  append_decimal(out, 0);
  EXPECT_EQ(out, "-2147483648,4294967295,-9223372036854775808,18446744073709551615,0");
}

// The formats the formatter used to call snprintf with, on edge and random values.
TEST(NumberText, MatchesThePrintfFormatsItReplaces) {
  constexpr uint64_t kEdges[] = {0, 1, 7, 8, 0100, UINT32_MAX, UINT64_MAX};
  std::mt19937_64 random(1);
  for (size_t i = 0; i < 20000; ++i) {
    const uint64_t v = i < std::size(kEdges) ? kEdges[i] : random() >> (random() % 64);
    std::string hex, hex_or_zero, octal;
    append_hex(hex, v);
    append_hex_or_zero(hex_or_zero, v);
    append_octal_mode(octal, v);
    ASSERT_EQ(hex, printf_text("0x%" PRIx64, v));
    ASSERT_EQ(hex_or_zero, printf_text("%#" PRIx64, v));
    ASSERT_EQ(octal, printf_text("%#03" PRIo64, v));
  }
}

}  // namespace
}  // namespace sysgate::syscalls
