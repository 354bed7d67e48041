// Lookups into the generated syscall table (see gen_syscall_table.py).
//
// syscall_table.inc, written into the build tree, defines:
//   kSyscalls[]       every syscall, sorted by number;
//   kIndexByNumber[]  number -> index into kSyscalls, -1 for holes (O(1) lookup);
//   kIndexByName[]    indices into kSyscalls sorted by name (binary search);
//   kMaxNumber        the highest number in the table.
// All of it is constant-initialised, so lookups are safe from any thread, from a
// signal handler, and during static initialisation of other files.
#include "syscalls/syscall_table.h"

#include <algorithm>
#include <cstdint>

namespace sysgate::syscalls {
namespace {

#include "syscall_table.inc"

static_assert(sizeof(kIndexByNumber) / sizeof(kIndexByNumber[0]) == kMaxNumber + 1);
static_assert(sizeof(kIndexByName) / sizeof(kIndexByName[0]) ==
              sizeof(kSyscalls) / sizeof(kSyscalls[0]));

}  // namespace

std::span<const SyscallInfo> all() { return kSyscalls; }

const SyscallInfo* by_number(int nr) {
  if (nr < 0 || nr > kMaxNumber) return nullptr;
  const int index = kIndexByNumber[nr];
  return index < 0 ? nullptr : &kSyscalls[index];
}

const SyscallInfo* by_name(std::string_view name) {
  const auto* begin = std::begin(kIndexByName);
  const auto* end = std::end(kIndexByName);
  const auto* it = std::lower_bound(begin, end, name, [](int16_t index, std::string_view key) {
    return kSyscalls[index].name < key;
  });
  if (it == end || kSyscalls[*it].name != name) return nullptr;
  return &kSyscalls[*it];
}

std::string display_name(int nr) {
  if (const SyscallInfo* info = by_number(nr)) return std::string(info->name);
  return "syscall_" + std::to_string(nr);
}

int max_known_number() { return kMaxNumber; }

}  // namespace sysgate::syscalls
