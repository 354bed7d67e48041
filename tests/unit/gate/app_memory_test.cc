// app_string_length (src/gate/app_memory.h) against strnlen, for strings at
// every alignment, ending right before an unmapped page or running into it,
// with and without bytes the kernel vouched for: the word-at-a-time scan must
// give the byte loop's answers and never touch the unmapped page.
#include <sys/mman.h>
#include <unistd.h>

#include <cstring>

#include <gtest/gtest.h>

#include "gate/app_memory.h"

namespace sysgate::gate {
namespace {

struct TwoPages {
  uint8_t* first = nullptr;  // readable; the page after it is unmapped
  TwoPages() {
    void* m = mmap(nullptr, 2 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    EXPECT_NE(m, MAP_FAILED);
    first = static_cast<uint8_t*>(m);
    EXPECT_EQ(munmap(first + 4096, 4096), 0);
  }
  ~TwoPages() { munmap(first, 4096); }
};

TEST(AppStringLength, MatchesStrnlenUpToAnUnmappedPage) {
  TwoPages pages;
  for (size_t start : {0u, 1u, 3u, 7u, 8u, 9u, 15u, 4000u, 4060u, 4083u, 4088u, 4090u, 4095u}) {
    for (size_t len = 0; len <= 40 && start + len <= 4096; ++len) {
      memset(pages.first, 'a', 4096);
      if (start + len < 4096) pages.first[start + len] = 0;
      const uint64_t p = reinterpret_cast<uint64_t>(pages.first + start);
      const size_t room = 4096 - start;
      for (uint64_t max : {uint64_t{0}, uint64_t{1}, uint64_t{5}, uint64_t{8}, uint64_t{13}, uint64_t{64},
                           uint64_t{4096}}) {
        for (uint64_t trusted : {uint64_t{0}, uint64_t{len}}) {
          bool terminated = true;
          const long n = app_string_length(p, max, trusted, &terminated);
          const bool nul_in_reach = start + len < 4096 && len < max;
          if (nul_in_reach) {
            EXPECT_EQ(n, static_cast<long>(len)) << start << " " << len << " " << max;
            EXPECT_TRUE(terminated);
          } else {
            // No NUL within max, or the page ends first: cut at max or at the page.
            EXPECT_EQ(n, static_cast<long>(max < room ? max : room)) << start << " " << len << " " << max;
            EXPECT_FALSE(terminated) << start << " " << len << " " << max;
          }
        }
      }
    }
  }
}

TEST(AppStringLength, AnUnreadableFirstByteIsAnError) {
  TwoPages pages;
  bool terminated = true;
  EXPECT_EQ(app_string_length(reinterpret_cast<uint64_t>(pages.first + 4096), 100, 0, &terminated), -1);
  EXPECT_EQ(app_string_length(0, 100, 0, &terminated), -1);
  EXPECT_FALSE(terminated);
}

}  // namespace
}  // namespace sysgate::gate
