#include "syscalls/ipc_format.h"

#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/syscall.h>

#include "syscalls/constant_tables.h"
#include "syscalls/number_text.h"

namespace sysgate::syscalls {
namespace {

using constants::detail::Named;

// The get calls' flags above the permission bits, in strace's order.
constexpr Named kGetFlagBits[] = {
    SYSGATE_NAMED(IPC_CREAT), SYSGATE_NAMED(IPC_EXCL), SYSGATE_NAMED(IPC_NOWAIT),
    SYSGATE_NAMED(SHM_HUGETLB), SYSGATE_NAMED(SHM_NORESERVE),
};
constexpr Named kShmatFlagBits[] = {SYSGATE_NAMED(SHM_RDONLY), SYSGATE_NAMED(SHM_RND), SYSGATE_NAMED(SHM_REMAP),
                                    SYSGATE_NAMED(SHM_EXEC)};
constexpr constants::detail::FlagSet kShmatFlags{0, {}, kShmatFlagBits, {}};

constexpr Named kIpcCmds[] = {SYSGATE_NAMED(IPC_RMID), SYSGATE_NAMED(IPC_SET), SYSGATE_NAMED(IPC_STAT),
                              SYSGATE_NAMED(IPC_INFO)};
constexpr Named kShmCmds[] = {SYSGATE_NAMED(SHM_LOCK), SYSGATE_NAMED(SHM_UNLOCK), SYSGATE_NAMED(SHM_STAT),
                              SYSGATE_NAMED(SHM_INFO), Named{"SHM_STAT_ANY", 15}};
constexpr Named kSemCmds[] = {SYSGATE_NAMED(GETPID), SYSGATE_NAMED(GETVAL),  SYSGATE_NAMED(GETALL),
                              SYSGATE_NAMED(GETNCNT), SYSGATE_NAMED(GETZCNT), SYSGATE_NAMED(SETVAL),
                              SYSGATE_NAMED(SETALL), SYSGATE_NAMED(SEM_STAT), SYSGATE_NAMED(SEM_INFO),
                              Named{"SEM_STAT_ANY", 20}};
constexpr Named kMsgCmds[] = {SYSGATE_NAMED(MSG_STAT), SYSGATE_NAMED(MSG_INFO), Named{"MSG_STAT_ANY", 13}};
constexpr uint32_t kIpc64 = 0x100;

void append_key(std::string& out, uint64_t key, ConstStyle style) {
  const auto k = static_cast<int32_t>(key);
  if (k == IPC_PRIVATE) return append_named(out, style, 0, NumberForm::kHex, "IPC_PRIVATE");
  append_hex_or_zero(out, static_cast<uint32_t>(k));
}

// "IPC_CREAT|IPC_EXCL|0600", "000": the flags strace knows, then the
// permission bits in octal, always.
void append_get_flags(std::string& out, uint64_t value, ConstStyle style) {
  const auto flags = static_cast<uint32_t>(value);
  append_constant(out, style, flags, NumberForm::kOctal, [&](std::string& o) {
    uint32_t rest = flags & ~0777u;
    for (const Named& n : kGetFlagBits) {
      if ((rest & n.value) == 0) continue;
      o += n.name;
      o += '|';
      rest &= ~static_cast<uint32_t>(n.value);
    }
    if (rest != 0) {
      append_hex_or_zero(o, rest);
      o += '|';
    }
    append_octal_mode(o, flags & 0777);
  });
}

// "IPC_STAT", "IPC_64|IPC_STAT", "0x4d /* SEM_??? */".
void append_cmd(std::string& out, uint64_t value, std::span<const Named> own, std::string_view unknown,
                ConstStyle style) {
  const auto cmd = static_cast<uint32_t>(value);
  append_constant(out, style, cmd, NumberForm::kHex, [&](std::string& o) {
    if ((cmd & kIpc64) != 0) o += "IPC_64|";
    const uint32_t base = cmd & ~kIpc64;
    for (const Named& n : kIpcCmds) {
      if (static_cast<uint32_t>(n.value) == base) {
        o += n.name;
        return;
      }
    }
    constants::detail::append_named_or_unknown(o, own, base, unknown, ConstStyle::kAbbrev);
  });
}

}  // namespace

bool append_ipc_arg(std::string& out, int nr, int index, const uint64_t args[6], ConstStyle style) {
  switch (nr) {
    case SYS_shmget:
    case SYS_semget:
    case SYS_msgget: {
      const int flags_at = nr == SYS_msgget ? 1 : 2;
      if (index == 0) {
        append_key(out, args[0], style);
        return true;
      }
      if (index != flags_at) return false;
      append_get_flags(out, args[index], style);
      return true;
    }
    case SYS_shmat:
      if (index != 2) return false;
      constants::detail::append_flags(out, kShmatFlags, static_cast<uint32_t>(args[2]), style);
      return true;
    case SYS_shmctl:
      if (index != 1) return false;
      append_cmd(out, args[1], kShmCmds, "SHM_???", style);
      return true;
    case SYS_msgctl:
      if (index != 1) return false;
      append_cmd(out, args[1], kMsgCmds, "MSG_???", style);
      return true;
    case SYS_semctl: {
      if (index == 2) {
        append_cmd(out, args[2], kSemCmds, "SEM_???", style);
        return true;
      }
      if (index != 3) return false;
      // The union, as strace shows it whatever the command: as a pointer.
      if (args[3] == 0) {
        out += "NULL";
      } else {
        append_hex_or_zero(out, args[3]);
      }
      return true;
    }
    default:
      return false;
  }
}

}  // namespace sysgate::syscalls
