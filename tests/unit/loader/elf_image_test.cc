// elf_image: valid plans for synthetic and real images, and one expected
// error for each kind of malformed header.
#include "loader/elf_image.h"

#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "elf_builder.h"

namespace sysgate::loader {
namespace {

using testing::ElfBuilder;
using testing::kPfR;
using testing::kPfW;
using testing::kPfX;
using testing::kPtGnuStack;
using testing::kPtInterp;
using testing::kPtLoad;
using testing::TestPhdr;

ElfStatus parse(const std::vector<uint8_t>& bytes, LoadPlan* plan, uint64_t file_size = 0) {
  return parse_elf_image(bytes.data(), bytes.size(), file_size ? file_size : bytes.size(), plan);
}

TEST(ElfImageTest, DynamicPieGivesPlan) {
  LoadPlan plan;
  ElfStatus s = parse(ElfBuilder::dynamic_pie().bytes(), &plan);
  ASSERT_TRUE(s.ok()) << elf_error_message(s.error);
  EXPECT_EQ(plan.header.kind, ElfKind::kDyn);
  EXPECT_EQ(plan.header.entry, 0x1000u);
  EXPECT_EQ(plan.header.phnum, 6);
  ASSERT_EQ(plan.segment_count, 3u);
  EXPECT_EQ(plan.segments[0].prot, kProtRead);
  EXPECT_EQ(plan.segments[1].prot, kProtRead | kProtExec);
  EXPECT_EQ(plan.segments[2].prot, kProtRead | kProtWrite);
  EXPECT_EQ(plan.segments[2].vaddr, 0x3000u);
  EXPECT_EQ(plan.segments[2].offset, 0x2000u);
  EXPECT_EQ(plan.segments[2].filesz, 0x100u);
  EXPECT_EQ(plan.segments[2].memsz, 0x2000u);
  EXPECT_EQ(plan.first_page, 0u);
  EXPECT_EQ(plan.end_page, 0x5000u);
  EXPECT_EQ(plan.align, kPageSize);
  EXPECT_TRUE(plan.phdrs_in_image);
  EXPECT_EQ(plan.phdr_vaddr, 64u);
  ASSERT_TRUE(plan.has_interp);
  EXPECT_EQ(plan.interp_offset, 0x200u);
  EXPECT_EQ(plan.interp_size, sizeof(ElfBuilder::kInterp));
  EXPECT_FALSE(plan.executable_stack);
}

TEST(ElfImageTest, StaticExecGivesPlan) {
  LoadPlan plan;
  ElfStatus s = parse(ElfBuilder::static_exec().bytes(), &plan);
  ASSERT_TRUE(s.ok()) << elf_error_message(s.error);
  EXPECT_EQ(plan.header.kind, ElfKind::kExec);
  EXPECT_EQ(plan.segment_count, 3u);
  EXPECT_EQ(plan.first_page, 0x400000u);
  EXPECT_EQ(plan.end_page, 0x412000u);
  EXPECT_FALSE(plan.has_interp);
  EXPECT_TRUE(plan.phdrs_in_image);
  EXPECT_EQ(plan.phdr_vaddr, 0x400040u);
}

TEST(ElfImageTest, FixedAddressAt64KiBIsAccepted) {
  ElfBuilder b = ElfBuilder::dynamic_pie();
  b.type = 2;
  for (auto& p : b.phdrs) p.vaddr += 0x10000;
  b.entry += 0x10000;
  LoadPlan plan;
  ElfStatus s = parse(b.bytes(), &plan);
  ASSERT_TRUE(s.ok()) << elf_error_message(s.error);
  EXPECT_EQ(plan.first_page, 0x10000u);
}

TEST(ElfImageTest, ExecutableStackIsReported) {
  ElfBuilder b = ElfBuilder::static_exec();
  b.phdrs[3].flags = kPfR | kPfW | kPfX;
  LoadPlan plan;
  ASSERT_TRUE(parse(b.bytes(), &plan).ok());
  EXPECT_TRUE(plan.executable_stack);
}

TEST(ElfImageTest, EmptyLoadSegmentsAreSkipped) {
  ElfBuilder b = ElfBuilder::static_exec();
  b.phdrs.insert(b.phdrs.begin() + 1, TestPhdr{kPtLoad, kPfR, 0, 0x400800, 0, 0});
  LoadPlan plan;
  ASSERT_TRUE(parse(b.bytes(), &plan).ok());
  EXPECT_EQ(plan.segment_count, 3u);
}

TEST(ElfImageTest, PhdrsOutsideSegmentsNeedACopy) {
  ElfBuilder b = ElfBuilder::static_exec();
  b.phoff = 0x2800;  // after every segment's file bytes
  LoadPlan plan;
  ASSERT_TRUE(parse(b.bytes(), &plan).ok());
  EXPECT_FALSE(plan.phdrs_in_image);
}

TEST(ElfImageTest, LargePowerOfTwoAlignIsHonoured) {
  ElfBuilder b = ElfBuilder::dynamic_pie();
  b.phdrs[3].align = 0x200000;
  b.phdrs[4].align = 0x3000;  // not a power of two: ignored
  LoadPlan plan;
  ASSERT_TRUE(parse(b.bytes(), &plan).ok());
  EXPECT_EQ(plan.align, 0x200000u);
}

TEST(ElfImageTest, StagesAgreeWithWholeImageParse) {
  const std::vector<uint8_t> bytes = ElfBuilder::dynamic_pie().bytes();
  ElfHeader h;
  ASSERT_TRUE(parse_elf_header(bytes.data(), 64, bytes.size(), &h).ok());
  EXPECT_EQ(h.phdr_bytes, 6u * 56);
  LoadPlan plan;
  ASSERT_TRUE(build_load_plan(h, bytes.data() + h.phoff, h.phdr_bytes, bytes.size(), &plan).ok());
  EXPECT_TRUE(check_interp_path(bytes.data() + plan.interp_offset, plan.interp_size).ok());
  // The table buffer must have exactly the announced size.
  EXPECT_EQ(build_load_plan(h, bytes.data() + h.phoff, h.phdr_bytes - 1, bytes.size(), &plan).error,
            ElfError::kBadPhdrBuffer);
}

TEST(ElfImageTest, InterpPathChecks) {
  const uint8_t ok[] = "/lib/ld.so";
  EXPECT_TRUE(check_interp_path(ok, sizeof(ok)).ok());
  EXPECT_EQ(check_interp_path(ok, sizeof(ok) - 1).error, ElfError::kInterpUnterminated);
  const uint8_t empty[] = "\0x";
  EXPECT_EQ(check_interp_path(empty, sizeof(empty)).error, ElfError::kInterpEmpty);
  EXPECT_EQ(check_interp_path(ok, 1).error, ElfError::kBadInterpSize);
  EXPECT_EQ(check_interp_path(nullptr, 4).error, ElfError::kBadInterpSize);
}

// One malformation per row, applied to a valid dynamic PIE.
struct BadCase {
  const char* name;
  std::function<void(ElfBuilder&)> bend;
  ElfError expected;
  int index = -1;          // expected phdr_index (-1: not checked)
  uint64_t file_size = 0;  // 0: the buffer's size
};

void PrintTo(const BadCase& c, std::ostream* os) { *os << c.name; }

class MalformedElfTest : public ::testing::TestWithParam<BadCase> {};

TEST_P(MalformedElfTest, IsRejectedWithTheExpectedError) {
  const BadCase& c = GetParam();
  ElfBuilder b = ElfBuilder::dynamic_pie();
  c.bend(b);
  std::vector<uint8_t> bytes = b.bytes();
  LoadPlan plan;
  ElfStatus s = parse(bytes, &plan, c.file_size);
  EXPECT_EQ(s.error, c.expected) << "got: " << elf_error_message(s.error);
  if (c.index >= 0) {
    EXPECT_EQ(s.phdr_index, c.index);
  }
  EXPECT_STRNE(elf_error_message(s.error), "");
}

const BadCase kBadCases[] = {
    {"truncated_header", [](ElfBuilder& b) { b.file_size = 63; }, ElfError::kTruncatedHeader},
    {"empty_file", [](ElfBuilder& b) { b.file_size = 0; }, ElfError::kTruncatedHeader},
    {"bad_magic",
     [](ElfBuilder& b) {
       b.blobs.push_back({1, "ELG"});
     },
     ElfError::kBadMagic},
    {"script",
     [](ElfBuilder& b) {
       b.blobs.push_back({0, "#!/bin/sh\n"});
     },
     ElfError::kBadMagic},
    {"elfclass32", [](ElfBuilder& b) { b.ident_class = 1; }, ElfError::kBadClass},
    {"big_endian", [](ElfBuilder& b) { b.ident_data = 2; }, ElfError::kBadEndian},
    {"ident_version", [](ElfBuilder& b) { b.ident_version = 0; }, ElfError::kBadVersion},
    {"e_version", [](ElfBuilder& b) { b.version = 2; }, ElfError::kBadVersion},
    {"relocatable", [](ElfBuilder& b) { b.type = 1; }, ElfError::kBadType},
    {"core", [](ElfBuilder& b) { b.type = 4; }, ElfError::kBadType},
    {"aarch64", [](ElfBuilder& b) { b.machine = 183; }, ElfError::kBadMachine},
    {"i386", [](ElfBuilder& b) { b.machine = 3; }, ElfError::kBadMachine},
    {"phentsize", [](ElfBuilder& b) { b.phentsize = 32; }, ElfError::kBadPhentsize},
    {"zero_phnum", [](ElfBuilder& b) { b.phnum = 0; }, ElfError::kBadPhnum},
    {"huge_phnum", [](ElfBuilder& b) { b.phnum = 0xffff; }, ElfError::kBadPhnum},
    {"phnum_74", [](ElfBuilder& b) { b.phnum = 74; }, ElfError::kBadPhnum},
    {"phoff_past_end", [](ElfBuilder& b) { b.phoff = 0x2fff; }, ElfError::kPhdrsOutOfFile},
    {"phoff_wraps", [](ElfBuilder& b) { b.phoff = ~uint64_t{0} - 8; }, ElfError::kPhdrsOutOfFile},
    {"phdrs_beyond_buffer", [](ElfBuilder& b) { b.phoff = 0x2f00; }, ElfError::kNotInBuffer, -1, 0x10000},
    {"no_load",
     [](ElfBuilder& b) {
       for (auto& p : b.phdrs)
         if (p.type == kPtLoad) p.type = 0;
     },
     ElfError::kNoLoadSegment},
    {"only_empty_loads",
     [](ElfBuilder& b) {
       for (auto& p : b.phdrs)
         if (p.type == kPtLoad) p.filesz = p.memsz = 0;
     },
     ElfError::kNoLoadSegment},
    {"filesz_gt_memsz", [](ElfBuilder& b) { b.phdrs[4].filesz = b.phdrs[4].memsz + 1; }, ElfError::kFileszExceedsMemsz,
     4},
    {"segment_past_eof", [](ElfBuilder& b) { b.phdrs[4].filesz = 0x1001; }, ElfError::kSegmentOutOfFile, 4},
    {"segment_offset_wraps",
     [](ElfBuilder& b) {
       b.phdrs[3].offset = ~uint64_t{0} - 0xfff;
       b.phdrs[3].vaddr = 0x1000;
     },
     ElfError::kSegmentOutOfFile, 3},
    {"misaligned_offset", [](ElfBuilder& b) { b.phdrs[3].offset = 0x1010; }, ElfError::kMisalignedSegment, 3},
    {"misaligned_vaddr", [](ElfBuilder& b) { b.phdrs[4].vaddr = 0x3008; }, ElfError::kMisalignedSegment, 4},
    {"vaddr_wraps",
     [](ElfBuilder& b) {
       b.phdrs[4].vaddr = 0xfffffffffffff000;
       b.phdrs[4].offset = 0x2000;
     },
     ElfError::kAddressWrap, 4},
    {"memsz_wraps", [](ElfBuilder& b) { b.phdrs[4].memsz = ~uint64_t{0} - 0x1000; }, ElfError::kAddressWrap, 4},
    {"above_user_space",
     [](ElfBuilder& b) {
       b.phdrs[4].vaddr = 0x7ffffffff000;
       b.phdrs[4].offset = 0x2000;
     },
     ElfError::kAddressWrap, 4},
    {"unsorted", [](ElfBuilder& b) { std::swap(b.phdrs[3], b.phdrs[4]); }, ElfError::kUnsortedSegments, 4},
    {"overlapping",
     [](ElfBuilder& b) {
       b.phdrs[4].vaddr = 0x1900;
       b.phdrs[4].offset = 0x2900;
       b.phdrs[4].filesz = 0x10;
     },
     ElfError::kOverlappingSegments, 4},
    {"same_page",  // distinct bytes, but the rw segment starts in the rx segment's last page
     [](ElfBuilder& b) {
       b.phdrs[4].vaddr = 0x1a00;
       b.phdrs[4].offset = 0x2a00;
       b.phdrs[4].filesz = 0x10;
     },
     ElfError::kOverlappingSegments, 4},
    {"duplicate_segment", [](ElfBuilder& b) { b.phdrs[3] = b.phdrs[2]; }, ElfError::kOverlappingSegments, 3},
    {"exec_at_page_zero", [](ElfBuilder& b) { b.type = 2; }, ElfError::kLowAddress},
    {"exec_below_64k",
     [](ElfBuilder& b) {
       b.type = 2;
       for (auto& p : b.phdrs) p.vaddr += 0xf000;
       b.entry += 0xf000;
     },
     ElfError::kLowAddress},
    {"short_script",
     [](ElfBuilder& b) {
       b.file_size = 10;
       b.blobs = {{0, "#!/bin/sh\n"}};
     },
     ElfError::kBadMagic},
    {"span_too_large", [](ElfBuilder& b) { b.phdrs[4].memsz = kMaxSpan; }, ElfError::kSpanTooLarge},
    {"align_too_large", [](ElfBuilder& b) { b.phdrs[3].align = uint64_t{1} << 40; }, ElfError::kBadAlign, 3},
    {"entry_outside", [](ElfBuilder& b) { b.entry = 0x2500; }, ElfError::kEntryOutsideImage},
    {"entry_past_end", [](ElfBuilder& b) { b.entry = 0x5000; }, ElfError::kEntryOutsideImage},
    {"two_interps", [](ElfBuilder& b) { b.phdrs[5] = b.phdrs[1]; }, ElfError::kMultipleInterp, 5},
    {"interp_too_small", [](ElfBuilder& b) { b.phdrs[1].filesz = 1; }, ElfError::kBadInterpSize, 1},
    {"interp_too_large", [](ElfBuilder& b) { b.phdrs[1].filesz = 4097; }, ElfError::kBadInterpSize, 1},
    {"interp_past_eof", [](ElfBuilder& b) { b.phdrs[1].offset = 0x2ff0; }, ElfError::kInterpOutOfFile, 1},
    {"interp_offset_wraps", [](ElfBuilder& b) { b.phdrs[1].offset = ~uint64_t{0} - 4; }, ElfError::kInterpOutOfFile, 1},
    {"interp_unterminated", [](ElfBuilder& b) { b.phdrs[1].filesz -= 1; }, ElfError::kInterpUnterminated},
    {"interp_empty",
     [](ElfBuilder& b) {
       b.blobs.push_back({0x200, std::string(1, '\0')});
     },
     ElfError::kInterpEmpty},
    {"interp_beyond_buffer", [](ElfBuilder& b) { b.phdrs[1].offset = 0x2ff0; }, ElfError::kNotInBuffer, -1, 0x10000},
};

INSTANTIATE_TEST_SUITE_P(Table, MalformedElfTest, ::testing::ValuesIn(kBadCases),
                         [](const ::testing::TestParamInfo<BadCase>& info) { return std::string(info.param.name); });

// Every truncation of a valid image is an error, never a crash or a plan
// that reaches past the bytes.
TEST(ElfImageTest, EveryTruncationIsRejected) {
  const std::vector<uint8_t> bytes = ElfBuilder::dynamic_pie().bytes();
  for (size_t len = 0; len < 0x2100; ++len) {
    LoadPlan plan;
    ElfStatus s = parse_elf_image(bytes.data(), len, len, &plan);
    EXPECT_FALSE(s.ok()) << "len " << len;
  }
}

std::vector<uint8_t> read_file(const std::string& path) {
  std::vector<uint8_t> out;
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return out;
  struct stat st {};
  if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
    out.resize(st.st_size);
    size_t done = 0;
    while (done < out.size()) {
      ssize_t r = pread(fd, out.data() + done, out.size() - done, done);
      if (r <= 0) break;
      done += r;
    }
    out.resize(done);
  }
  close(fd);
  return out;
}

TEST(ElfImageTest, RealProgramsParse) {
  struct Want {
    const char* path;
    ElfKind kind;
    bool interp;
  };
  const Want wants[] = {
      {"/bin/ls", ElfKind::kDyn, true},
      {"/bin/busybox", ElfKind::kExec, false},
      {"/lib64/ld-linux-x86-64.so.2", ElfKind::kDyn, false},
      {"/usr/bin/python3", ElfKind::kExec, true},  // Debian builds it non-PIE
  };
  for (const Want& w : wants) {
    std::vector<uint8_t> bytes = read_file(w.path);
    if (bytes.empty()) {
      ADD_FAILURE() << "cannot read " << w.path;
      continue;
    }
    LoadPlan plan;
    ElfStatus s = parse(bytes, &plan);
    ASSERT_TRUE(s.ok()) << w.path << ": " << elf_error_message(s.error) << " at " << s.phdr_index;
    EXPECT_EQ(plan.header.kind, w.kind) << w.path;
    EXPECT_EQ(plan.has_interp, w.interp) << w.path;
    EXPECT_TRUE(plan.phdrs_in_image) << w.path;
    if (plan.has_interp) {
      EXPECT_STREQ(reinterpret_cast<const char*>(bytes.data() + plan.interp_offset), "/lib64/ld-linux-x86-64.so.2");
    }
  }
}

// No false rejections: every x86-64 executable and shared object on the
// system that the kernel would load (by the same headers) gives a plan.
TEST(ElfImageTest, EverySystemExecutableAndLibraryParses) {
  int checked = 0;
  for (const char* dir : {"/usr/bin", "/usr/sbin", "/usr/lib/x86_64-linux-gnu", "/usr/libexec"}) {
    DIR* d = opendir(dir);
    if (d == nullptr) continue;
    while (dirent* e = readdir(d)) {
      const std::string path = std::string(dir) + "/" + e->d_name;
      struct stat st {};
      if (lstat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
      int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0) continue;
      uint8_t head[64];
      const bool elf = pread(fd, head, sizeof(head), 0) == 64 && memcmp(head, "\177ELF", 4) == 0 && head[4] == 2 &&
                       head[18] == 62 && (head[16] == 2 || head[16] == 3);
      close(fd);
      if (!elf) continue;
      std::vector<uint8_t> bytes = read_file(path);
      LoadPlan plan;
      ElfStatus s = parse(bytes, &plan);
      EXPECT_TRUE(s.ok()) << path << ": " << elf_error_message(s.error) << " (program header " << s.phdr_index << ")";
      ++checked;
    }
    closedir(d);
  }
  EXPECT_GT(checked, 100);
}

}  // namespace
}  // namespace sysgate::loader
