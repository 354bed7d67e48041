// -e read=/write=: descriptor sets as strace 6.1 parses them, and its hex dump
// lines (copied from `strace -e read=3 cat` on a file of 43 bytes).
#include "trace/io_dump.h"

#include <sys/syscall.h>

#include <cstring>

#include <gtest/gtest.h>

#include "trace/formatter.h"
#include "trace/iovec_format.h"

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

// An iovec payload as the gate lays it out (ring_format.h, kPayloadIovec).
Payload iovec_payload(uint64_t addr, const std::vector<std::pair<uint64_t, std::string>>& elements,
                      bool unknown_data = false) {
  std::string bytes(8, '\0');
  const uint32_t count = static_cast<uint32_t>(elements.size());
  std::memcpy(bytes.data(), &count, 4);
  uint64_t base = 0x5000;
  for (const auto& [len, data] : elements) {
    char header[24];
    const uint32_t copied = static_cast<uint32_t>(data.size()), flags = unknown_data ? uint32_t{kIovecNoData} : 0u;
    std::memcpy(header, &base, 8);
    std::memcpy(header + 8, &len, 8);
    std::memcpy(header + 16, &copied, 4);
    std::memcpy(header + 20, &flags, 4);
    bytes.append(header, 24);
    bytes += data;
    bytes.append(align_record(copied) - copied, '\0');
    base += 0x100;
  }
  return Payload{.arg = 1, .kind = kPayloadIovec, .truncated = false, .addr = addr, .bytes = bytes};
}

Record vectored(int nr, std::vector<uint64_t> args, int64_t ret, Payload payload) {
  Record r;
  r.nr = nr;
  for (size_t i = 0; i < args.size(); ++i) r.args[i] = args[i];
  r.ret = ret;
  r.payloads.push_back(std::move(payload));
  return r;
}

// strace 6.1's lines for the same calls (python's os.writev / os.readv).
TEST(IoDump, IovecsAsStracePrintsThem) {
  const Record w = vectored(SYS_writev, {1, 0x7000, 4}, 52,
                            iovec_payload(0x7000, {{5, "hello"}, {7, " world\n"}, {0, ""}, {40, std::string(32, 'x')}}));
  EXPECT_EQ(format_call_text(w),
            "writev(1, [{iov_base=\"hello\", iov_len=5}, {iov_base=\" world\\n\", iov_len=7}, {iov_base=\"\", "
            "iov_len=0}, {iov_base=\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"..., iov_len=40}], 4)");
  FormatOptions four;
  four.max_string = 4;
  EXPECT_EQ(format_call_text(w, four),
            "writev(1, [{iov_base=\"hell\"..., iov_len=5}, {iov_base=\" wor\"..., iov_len=7}, {iov_base=\"\", "
            "iov_len=0}, {iov_base=\"xxxx\"..., iov_len=40}], 4)");
  FormatOptions two;
  two.max_string = 2;
  EXPECT_EQ(format_call_text(w, two), "writev(1, [{iov_base=\"he\"..., iov_len=5}, {iov_base=\" w\"..., iov_len=7}, ...], 4)");
  const Record r = vectored(SYS_readv, {3, 0x7000, 3}, 10, iovec_payload(0x7000, {{3, "abc"}, {20, "defghij"}, {5, ""}}));
  EXPECT_EQ(format_call_text(r),
            "readv(3, [{iov_base=\"abc\", iov_len=3}, {iov_base=\"defghij\", iov_len=20}, {iov_base=\"\", iov_len=5}], 3)");
  const Record failed = vectored(SYS_readv, {99, 0x7000, 1}, -9, iovec_payload(0x7000, {{3, ""}}, true));
  EXPECT_EQ(format_call_text(failed), "readv(99, [{iov_base=0x5000, iov_len=3}], 1)");
  const Record empty = vectored(SYS_writev, {4, 0x7000, 0}, 0, iovec_payload(0x7000, {}));
  EXPECT_EQ(format_call_text(empty), "writev(4, [], 0)");

  // Dumps: per buffer up to the result, stopping at an empty buffer as strace does.
  const FdSet all = *parse_fd_set("all");
  EXPECT_EQ(dump_lines(w, all, all),
            (std::vector<std::string>{" * 5 bytes in buffer 0",
                                      " | 00000  68 65 6c 6c 6f                                    hello            |",
                                      " * 7 bytes in buffer 1",
                                      " | 00000  20 77 6f 72 6c 64 0a                               world.          |"}));
  EXPECT_EQ(dump_lines(r, all, all).size(), 4u);
  EXPECT_TRUE(dump_lines(r, all, *parse_fd_set("none")).size() == 4u);
  EXPECT_TRUE(dump_lines(r, *parse_fd_set("none"), all).empty());
  EXPECT_TRUE(dump_lines(failed, all, all).empty());

  // Malformed payloads from the ring are refused, not read past their end.
  Payload bad = iovec_payload(0x7000, {{5, "hello"}});
  bad.bytes.resize(bad.bytes.size() - 8);
  EXPECT_FALSE(iovec_elements(bad));
  const uint32_t huge = kMaxIovecElements + 1;
  std::memcpy(bad.bytes.data(), &huge, 4);
  EXPECT_FALSE(iovec_elements(bad));
}

}  // namespace
}  // namespace sysgate::trace
