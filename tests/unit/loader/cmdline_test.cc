// hide_loader_arguments on an argv area laid out as the kernel lays it out.
#include "loader/cmdline.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace sysgate::loader {
namespace {

// Strings back to back, as execve copies them; argv points into `area`.
struct ArgvArea {
  std::string area;
  std::vector<char*> argv;
  explicit ArgvArea(const std::vector<std::string>& args) {
    for (const std::string& a : args) area += a + std::string(1, '\0');
    size_t at = 0;
    for (const std::string& a : args) {
      argv.push_back(area.data() + at);
      at += a.size() + 1;
    }
  }
};

TEST(Cmdline, TheProgramsArgvMovesToTheStartAndTheRestIsZeroed) {
  ArgvArea a({"sysgate-exec", "--fd", "3", "--gate", "ring=900", "--", "/bin/echo", "hi there"});
  const size_t size = a.area.size();
  char** program = a.argv.data() + 6;
  ASSERT_TRUE(hide_loader_arguments(a.argv.data(), a.argv.size(), program, 2));
  EXPECT_EQ(a.area.size(), size);
  const std::string shown = std::string("/bin/echo\0hi there\0", 19) + std::string(size - 19, '\0');
  EXPECT_EQ(a.area, shown);
  EXPECT_EQ(program[0], a.area.data());
  EXPECT_STREQ(program[0], "/bin/echo");
  EXPECT_STREQ(program[1], "hi there");
}

TEST(Cmdline, AnUnusualLayoutIsLeftAlone) {
  ArgvArea a({"sysgate-exec", "--", "prog"});
  std::string elsewhere("prog", 5);
  a.argv[1] = elsewhere.data();  // not right after argv[0]'s NUL
  const std::string before = a.area;
  EXPECT_FALSE(hide_loader_arguments(a.argv.data(), 3, a.argv.data() + 2, 1));
  EXPECT_EQ(a.area, before);
  ArgvArea b({"sysgate-exec", "--", "prog", "extra"});
  EXPECT_FALSE(hide_loader_arguments(b.argv.data(), 4, b.argv.data() + 2, 1));  // not the tail
}

}  // namespace
}  // namespace sysgate::loader
