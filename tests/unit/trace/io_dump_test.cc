// -e read=/write=: descriptor sets as strace 6.1 parses them, and its hex dump
// lines (copied from `strace -e read=3 cat` on a file of 43 bytes).
#include "trace/io_dump.h"

#include <sys/syscall.h>

#include <gtest/gtest.h>

namespace sysgate::trace {
namespace {

TEST(IoDump, ParsesDescriptorSets) {
  Result<FdSet> some = parse_fd_set("1,3");
  ASSERT_TRUE(some);
  EXPECT_TRUE(fd_in_set(*some, 1));
  EXPECT_TRUE(fd_in_set(*some, 3));
  EXPECT_FALSE(fd_in_set(*some, 2));
  EXPECT_FALSE(fd_in_set(*some, 1024));
  Result<FdSet> all_but = parse_fd_set("!0");
  ASSERT_TRUE(all_but);
  EXPECT_FALSE(fd_in_set(*all_but, 0));
  EXPECT_TRUE(fd_in_set(*all_but, 1023));
  EXPECT_TRUE(fd_in_set(*parse_fd_set("all"), 77));
  EXPECT_FALSE(fd_in_set(*parse_fd_set("none"), 0));
  // The kernel reads the descriptor as an int: 0x100000003 is 3.
  EXPECT_TRUE(fd_in_set(*some, 0x100000003ull));
  EXPECT_EQ(parse_fd_set("x").error().message, "invalid descriptor 'x'");
  EXPECT_EQ(parse_fd_set("3,-1").error().message, "invalid descriptor '-1'");
  EXPECT_EQ(parse_fd_set("4096").error().message, "descriptor 4096: only 0..1023 can be dumped");
}

TEST(IoDump, LinesAsStracePrintsThem) {
  const std::vector<std::string> lines = hex_dump_lines("hello world, this is a test of the dump\x01\x02\xff\n");
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0], " | 00000  68 65 6c 6c 6f 20 77 6f  72 6c 64 2c 20 74 68 69  hello world, thi |");
  EXPECT_EQ(lines[1], " | 00010  73 20 69 73 20 61 20 74  65 73 74 20 6f 66 20 74  s is a test of t |");
  EXPECT_EQ(lines[2], " | 00020  68 65 20 64 75 6d 70 01  02 ff 0a                 he dump....      |");
  EXPECT_EQ(hex_dump_lines("hi\n")[0], " | 00000  68 69 0a                                          hi.              |");
  EXPECT_TRUE(hex_dump_lines("").empty());
}

TEST(IoDump, DumpsWhatTheCallReadOrWasGiven) {
  FdSet reads = *parse_fd_set("3"), writes = *parse_fd_set("1");
  Record read;
  read.nr = SYS_read;
  read.args[0] = 3;
  read.args[1] = 0x1000;
  read.args[2] = 4096;
  read.ret = 5;
  read.payloads.push_back(Payload{.arg = 1, .kind = kPayloadDataOut, .truncated = false, .addr = 0x1000, .bytes = "hello"});
  ASSERT_TRUE(dumped_bytes(read, reads, writes));
  EXPECT_EQ(*dumped_bytes(read, reads, writes), "hello");
  EXPECT_FALSE(dumped_bytes(read, writes, reads));  // fd 3 is not in the read set there
  read.ret = -11;
  EXPECT_FALSE(dumped_bytes(read, reads, writes));  // failed: nothing read
  Record write;
  write.nr = SYS_write;
  write.args[0] = 1;
  write.args[1] = 0x2000;
  write.args[2] = 3;
  write.ret = 1;  // a short write still dumps the whole request, as strace
  write.payloads.push_back(Payload{.arg = 1, .kind = kPayloadDataIn, .truncated = false, .addr = 0x2000, .bytes = "abc"});
  EXPECT_EQ(*dumped_bytes(write, reads, writes), "abc");
  write.nr = SYS_close;
  EXPECT_FALSE(dumped_bytes(write, reads, writes));
}

}  // namespace
}  // namespace sysgate::trace
