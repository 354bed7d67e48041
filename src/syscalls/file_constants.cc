// File-system constants: O_*, AT_*, F_*, SEEK_*, access modes, file types, mount flags.
//
// The values come from the kernel's uapi headers, which define the syscall ABI.
// glibc's <fcntl.h> cannot be used for O_*: on x86-64 it defines O_LARGEFILE as 0,
// while the kernel's value is 0100000 (the kernel sets it on every open of a 64-bit
// process, and strace prints it). The two headers cannot share a translation unit,
// which is why this file includes no glibc header but <unistd.h> (for F_OK..X_OK).
#include <linux/close_range.h>
#include <linux/fcntl.h>
#include <linux/fs.h>
#include <linux/openat2.h>
#include <linux/pidfd.h>
#include <linux/stat.h>
#include <linux/xattr.h>
#include <unistd.h>

#include "syscalls/constant_tables.h"

namespace sysgate::syscalls::constants::detail {
namespace {

constexpr Named kAccessModeField[] = {
    SYSGATE_NAMED(O_RDONLY),
    SYSGATE_NAMED(O_WRONLY),
    SYSGATE_NAMED(O_RDWR),
    SYSGATE_NAMED(O_ACCMODE),  // 3 is invalid for open but is what strace prints
};

// Composites (O_SYNC = __O_SYNC|O_DSYNC, O_TMPFILE = __O_TMPFILE|O_DIRECTORY) precede
// their parts. The order otherwise follows strace's: O_RDONLY|O_CLOEXEC|O_DIRECTORY.
constexpr Named kOpenFlagBits[] = {
    SYSGATE_NAMED(O_CREAT),     SYSGATE_NAMED(O_EXCL),     SYSGATE_NAMED(O_NOCTTY),
    SYSGATE_NAMED(O_TRUNC),     SYSGATE_NAMED(O_APPEND),   SYSGATE_NAMED(O_NONBLOCK),
    SYSGATE_NAMED(O_SYNC),      SYSGATE_NAMED(O_DSYNC),    Named{"O_ASYNC", FASYNC},
    SYSGATE_NAMED(O_DIRECT),    SYSGATE_NAMED(O_LARGEFILE), SYSGATE_NAMED(O_NOFOLLOW),
    SYSGATE_NAMED(O_NOATIME),   SYSGATE_NAMED(O_CLOEXEC),  SYSGATE_NAMED(O_PATH),
    SYSGATE_NAMED(O_TMPFILE),   SYSGATE_NAMED(O_DIRECTORY),
};
static_assert(O_LARGEFILE == 0100000, "need the kernel's O_LARGEFILE, not glibc's 0");

// AT_EACCESS (faccessat2) shares 0x200 with AT_REMOVEDIR (unlinkat); shown as the
// latter except in faccessat2's flags (kAccessAtFlags).
constexpr Named kAtFlagBits[] = {
    SYSGATE_NAMED(AT_SYMLINK_NOFOLLOW), SYSGATE_NAMED(AT_REMOVEDIR),
    SYSGATE_NAMED(AT_SYMLINK_FOLLOW),   SYSGATE_NAMED(AT_NO_AUTOMOUNT),
    SYSGATE_NAMED(AT_EMPTY_PATH),       SYSGATE_NAMED(AT_STATX_FORCE_SYNC),
    SYSGATE_NAMED(AT_STATX_DONT_SYNC),  SYSGATE_NAMED(AT_RECURSIVE),
};

// faccessat2's flags, where 0x200 is AT_EACCESS (strace's order).
constexpr Named kAccessAtFlagBits[] = {
    SYSGATE_NAMED(AT_SYMLINK_NOFOLLOW),
    SYSGATE_NAMED(AT_EACCESS),
    SYSGATE_NAMED(AT_EMPTY_PATH),
};

// renameat2's flags (<linux/fs.h>).
// statx's stx_attributes (display only: not looked up by name), ascending as
// strace prints them. Literal values: <linux/stat.h> and glibc's <sys/stat.h>
// would both define struct statx here.
constexpr Named kStatxAttributeBits[] = {
    {"STATX_ATTR_COMPRESSED", 0x4},      {"STATX_ATTR_IMMUTABLE", 0x10},   {"STATX_ATTR_APPEND", 0x20},
    {"STATX_ATTR_NODUMP", 0x40},         {"STATX_ATTR_ENCRYPTED", 0x800},  {"STATX_ATTR_AUTOMOUNT", 0x1000},
    {"STATX_ATTR_MOUNT_ROOT", 0x2000},   {"STATX_ATTR_VERITY", 0x100000},  {"STATX_ATTR_DAX", 0x200000},
    {"STATX_ATTR_WRITE_ATOMIC", 0x400000},
};

// flock's operation: strace's order.
constexpr Named kFlockOpBits[] = {
    SYSGATE_NAMED(LOCK_SH), SYSGATE_NAMED(LOCK_EX), SYSGATE_NAMED(LOCK_NB), SYSGATE_NAMED(LOCK_UN),
};

constexpr Named kRenameFlagBits[] = {
    Named{"RENAME_NOREPLACE", 1},
    Named{"RENAME_EXCHANGE", 2},
    Named{"RENAME_WHITEOUT", 4},
};

constexpr Named kAccessModeBits[] = {
    SYSGATE_NAMED(R_OK),
    SYSGATE_NAMED(W_OK),
    SYSGATE_NAMED(X_OK),
};

constexpr Named kFdFlagBits[] = {
    SYSGATE_NAMED(FD_CLOEXEC),
};

constexpr Named kFileTypeField[] = {
    SYSGATE_NAMED(S_IFREG), SYSGATE_NAMED(S_IFDIR),  SYSGATE_NAMED(S_IFCHR), SYSGATE_NAMED(S_IFBLK),
    SYSGATE_NAMED(S_IFIFO), SYSGATE_NAMED(S_IFLNK),  SYSGATE_NAMED(S_IFSOCK),
};

constexpr Named kFcntlCmdTable[] = {
    SYSGATE_NAMED(F_DUPFD),         SYSGATE_NAMED(F_GETFD),        SYSGATE_NAMED(F_SETFD),
    SYSGATE_NAMED(F_GETFL),         SYSGATE_NAMED(F_SETFL),        SYSGATE_NAMED(F_GETLK),
    SYSGATE_NAMED(F_SETLK),         SYSGATE_NAMED(F_SETLKW),       SYSGATE_NAMED(F_SETOWN),
    SYSGATE_NAMED(F_GETOWN),        SYSGATE_NAMED(F_SETSIG),       SYSGATE_NAMED(F_GETSIG),
    SYSGATE_NAMED(F_SETOWN_EX),     SYSGATE_NAMED(F_GETOWN_EX),    SYSGATE_NAMED(F_GETOWNER_UIDS),
    SYSGATE_NAMED(F_OFD_GETLK),     SYSGATE_NAMED(F_OFD_SETLK),    SYSGATE_NAMED(F_OFD_SETLKW),
    SYSGATE_NAMED(F_SETLEASE),      SYSGATE_NAMED(F_GETLEASE),     SYSGATE_NAMED(F_NOTIFY),
    SYSGATE_NAMED(F_CANCELLK),      SYSGATE_NAMED(F_DUPFD_CLOEXEC), SYSGATE_NAMED(F_SETPIPE_SZ),
    SYSGATE_NAMED(F_GETPIPE_SZ),    SYSGATE_NAMED(F_ADD_SEALS),    SYSGATE_NAMED(F_GET_SEALS),
    SYSGATE_NAMED(F_GET_RW_HINT),   SYSGATE_NAMED(F_SET_RW_HINT),  SYSGATE_NAMED(F_GET_FILE_RW_HINT),
    SYSGATE_NAMED(F_SET_FILE_RW_HINT),
};

constexpr Named kWhenceTable[] = {
    SYSGATE_NAMED(SEEK_SET),  SYSGATE_NAMED(SEEK_CUR),  SYSGATE_NAMED(SEEK_END),
    SYSGATE_NAMED(SEEK_DATA), SYSGATE_NAMED(SEEK_HOLE),
};

// Names a policy may use that no argument type decodes on its own.
// fadvise64's advice: the kernel's values on x86-64 (include/uapi/linux/fadvise.h;
// glibc's <fcntl.h> would clash with <linux/fcntl.h> here).
constexpr Named kFadviceTable[] = {
    Named{"POSIX_FADV_NORMAL", 0},   Named{"POSIX_FADV_RANDOM", 1},   Named{"POSIX_FADV_SEQUENTIAL", 2},
    Named{"POSIX_FADV_WILLNEED", 3}, Named{"POSIX_FADV_DONTNEED", 4}, Named{"POSIX_FADV_NOREUSE", 5},
};

constexpr Named kFileOtherTable[] = {
    SYSGATE_NAMED(AT_FDCWD),
    SYSGATE_NAMED(AT_EACCESS),
    SYSGATE_NAMED(AT_STATX_SYNC_AS_STAT),
    SYSGATE_NAMED(O_NDELAY),
    SYSGATE_NAMED(FASYNC),
    SYSGATE_NAMED(S_IFMT),
    SYSGATE_NAMED(S_ISUID),
    SYSGATE_NAMED(S_ISGID),
    SYSGATE_NAMED(S_ISVTX),
    SYSGATE_NAMED(F_RDLCK),
    SYSGATE_NAMED(F_WRLCK),
    SYSGATE_NAMED(F_UNLCK),
    SYSGATE_NAMED(F_SEAL_SEAL),
    SYSGATE_NAMED(F_SEAL_SHRINK),
    SYSGATE_NAMED(F_SEAL_GROW),
    SYSGATE_NAMED(F_SEAL_WRITE),
    SYSGATE_NAMED(F_SEAL_FUTURE_WRITE),
    SYSGATE_NAMED(RENAME_NOREPLACE),
    SYSGATE_NAMED(RENAME_EXCHANGE),
    SYSGATE_NAMED(RENAME_WHITEOUT),
    SYSGATE_NAMED(RESOLVE_NO_XDEV),
    SYSGATE_NAMED(RESOLVE_NO_MAGICLINKS),
    SYSGATE_NAMED(RESOLVE_NO_SYMLINKS),
    SYSGATE_NAMED(RESOLVE_BENEATH),
    SYSGATE_NAMED(RESOLVE_IN_ROOT),
    SYSGATE_NAMED(RESOLVE_CACHED),
    SYSGATE_NAMED(CLOSE_RANGE_UNSHARE),
    SYSGATE_NAMED(CLOSE_RANGE_CLOEXEC),
    SYSGATE_NAMED(PIDFD_NONBLOCK),
    SYSGATE_NAMED(XATTR_CREATE),
    SYSGATE_NAMED(XATTR_REPLACE),
    SYSGATE_NAMED(MS_RDONLY),
    SYSGATE_NAMED(MS_NOSUID),
    SYSGATE_NAMED(MS_NODEV),
    SYSGATE_NAMED(MS_NOEXEC),
    SYSGATE_NAMED(MS_SYNCHRONOUS),
    SYSGATE_NAMED(MS_REMOUNT),
    SYSGATE_NAMED(MS_MANDLOCK),
    SYSGATE_NAMED(MS_DIRSYNC),
    SYSGATE_NAMED(MS_NOSYMFOLLOW),
    SYSGATE_NAMED(MS_NOATIME),
    SYSGATE_NAMED(MS_NODIRATIME),
    SYSGATE_NAMED(MS_BIND),
    SYSGATE_NAMED(MS_MOVE),
    SYSGATE_NAMED(MS_REC),
    SYSGATE_NAMED(MS_SILENT),
    SYSGATE_NAMED(MS_UNBINDABLE),
    SYSGATE_NAMED(MS_PRIVATE),
    SYSGATE_NAMED(MS_SLAVE),
    SYSGATE_NAMED(MS_SHARED),
    SYSGATE_NAMED(MS_RELATIME),
    SYSGATE_NAMED(MS_STRICTATIME),
    SYSGATE_NAMED(MS_LAZYTIME),
    SYSGATE_NAMED(OPEN_TREE_CLONE),
    SYSGATE_NAMED(OPEN_TREE_CLOEXEC),
};

}  // namespace

constinit const FlagSet kOpenFlags{O_ACCMODE, kAccessModeField, kOpenFlagBits, {}};
constinit const FlagSet kAtFlags{0, {}, kAtFlagBits, {}, "AT_???"};
constinit const FlagSet kAccessAtFlags{0, {}, kAccessAtFlagBits, {}, "AT_???"};
static_assert(F_OK == 0, "F_OK is the zero value of the access-mode set");
constinit const FlagSet kAccessModes{0, {}, kAccessModeBits, "F_OK"};
constinit const FlagSet kRenameFlags{0, {}, kRenameFlagBits, {}, "RENAME_??"};
constinit const FlagSet kFlockOps{0, {}, kFlockOpBits, {}, "LOCK_???"};
constinit const FlagSet kStatxAttributes{0, {}, kStatxAttributeBits, {}};
constinit const FlagSet kFdFlags{0, {}, kFdFlagBits, {}};
constinit const FlagSet kFileType{S_IFMT, kFileTypeField, {}, {}};
constinit const int kAtFdcwd = AT_FDCWD;
constinit const std::span<const Named> kFcntlCmds{kFcntlCmdTable};
constinit const std::span<const Named> kWhence{kWhenceTable};
constinit const std::span<const Named> kFileOther{kFileOtherTable};
constinit const std::span<const Named> kFadvice{kFadviceTable};

}  // namespace sysgate::syscalls::constants::detail
