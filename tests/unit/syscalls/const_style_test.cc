// const_style.h: strace -X's three ways to show a named constant, and the
// number forms strace uses for them.
#include "syscalls/const_style.h"

#include <string>

#include <gtest/gtest.h>

namespace sysgate::syscalls {
namespace {

std::string shown(ConstStyle style, uint64_t value, NumberForm form, std::string_view abbreviated) {
  std::string out = "(";
  append_constant(out, style, value, form, [abbreviated](std::string& o) { o += abbreviated; });
  return out + ")";
}

TEST(ConstStyle, NamesOfTheStyles) {
  EXPECT_EQ(const_style_by_name("abbrev"), ConstStyle::kAbbrev);
  EXPECT_EQ(const_style_by_name("raw"), ConstStyle::kRaw);
  EXPECT_EQ(const_style_by_name("verbose"), ConstStyle::kVerbose);
  EXPECT_EQ(const_style_by_name("Raw"), std::nullopt);
  EXPECT_EQ(const_style_by_name(""), std::nullopt);
}

TEST(ConstStyle, NumberForms) {
  auto number = [](uint64_t v, NumberForm form) {
    std::string out;
    append_number(out, v, form);
    return out;
  };
  EXPECT_EQ(number(0x80000, NumberForm::kHex), "0x80000");
  EXPECT_EQ(number(0, NumberForm::kHex), "0");  // printf's "%#x"
  EXPECT_EQ(number(static_cast<uint64_t>(-100), NumberForm::kDecimal), "-100");
  EXPECT_EQ(number(~uint64_t{0}, NumberForm::kUnsigned), "18446744073709551615");
  EXPECT_EQ(number(0100644, NumberForm::kOctal), "0100644");
  EXPECT_EQ(number(0, NumberForm::kOctal), "0");  // printf's "%#o"
}

// As strace 6.1 prints them (openat's flags, access's F_OK, newfstatat's 0).
TEST(ConstStyle, EachStyle) {
  EXPECT_EQ(shown(ConstStyle::kAbbrev, 0x80000, NumberForm::kHex, "O_RDONLY|O_CLOEXEC"), "(O_RDONLY|O_CLOEXEC)");
  EXPECT_EQ(shown(ConstStyle::kRaw, 0x80000, NumberForm::kHex, "O_RDONLY|O_CLOEXEC"), "(0x80000)");
  EXPECT_EQ(shown(ConstStyle::kVerbose, 0x80000, NumberForm::kHex, "O_RDONLY|O_CLOEXEC"),
            "(0x80000 /* O_RDONLY|O_CLOEXEC */)");
  EXPECT_EQ(shown(ConstStyle::kVerbose, 0, NumberForm::kHex, "F_OK"), "(0 /* F_OK */)");
  EXPECT_EQ(shown(ConstStyle::kRaw, 0, NumberForm::kHex, "F_OK"), "(0)");
  EXPECT_EQ(shown(ConstStyle::kVerbose, static_cast<uint64_t>(-100), NumberForm::kDecimal, "AT_FDCWD"),
            "(-100 /* AT_FDCWD */)");
}

// A text that names nothing gets no comment; one that already is strace's
// "number /* X_??? */" stays as it is; rlimit's "8192*1024" is a name.
TEST(ConstStyle, VerboseCommentsOnlyWhatTheNumberDoesNotSay) {
  EXPECT_EQ(shown(ConstStyle::kVerbose, 0, NumberForm::kHex, "0"), "(0)");
  EXPECT_EQ(shown(ConstStyle::kVerbose, 42, NumberForm::kHex, "42"), "(0x2a)");
  EXPECT_EQ(shown(ConstStyle::kVerbose, 0x12345678, NumberForm::kHex, "0x12345678 /* PR_??? */"),
            "(0x12345678 /* PR_??? */)");
  EXPECT_EQ(shown(ConstStyle::kRaw, 0x12345678, NumberForm::kHex, "0x12345678 /* PR_??? */"), "(0x12345678)");
  EXPECT_EQ(shown(ConstStyle::kVerbose, 8388608, NumberForm::kUnsigned, "8192*1024"), "(8388608 /* 8192*1024 */)");
}

}  // namespace
}  // namespace sysgate::syscalls
