// How many bits of an argument register the kernel reads, per ArgType.
//
// On x86-64 every syscall argument arrives in a 64-bit register. The kernel's
// SYSCALL_DEFINE wrappers cast each register to the C type of the parameter, so for
// an int or unsigned int parameter the upper 32 bits are discarded before any code
// looks at them. seccomp-BPF, however, sees the full register. A filter comparing 64
// bits of a 32-bit argument could therefore be steered by garbage in the upper half
// that has no effect on what the kernel does; a filter comparing only 32 bits of a
// 64-bit argument would miss bits the kernel does use. Both are filter bypasses, so
// the width must be exactly the kernel's: signatures.txt only gives an argument a
// 32-bit type when its kernel parameter is a 32-bit type (or, as for mmap's and
// readv's fd, the kernel narrows it to 32 bits before use).
#include "syscalls/syscall_table.h"

namespace sysgate::syscalls {

uint8_t arg_width_bits(ArgType type) {
  switch (type) {
    // int / unsigned int / pid_t / uid_t / clockid_t parameters.
    case ArgType::kInt:
    case ArgType::kUInt:
    case ArgType::kFd:            // int or unsigned int fd
    case ArgType::kDirFd:         // int dfd
    case ArgType::kOpenFlags:     // int flags
    case ArgType::kAtFlags:       // int or unsigned int flags
    case ArgType::kSignal:        // int sig
    case ArgType::kFcntlCmd:      // fcntl(unsigned int fd, unsigned int cmd, unsigned long arg)
    case ArgType::kIoctlCmd:      // ioctl(unsigned int fd, unsigned int cmd, unsigned long arg)
    case ArgType::kSocketDomain:  // socket(int family, int type, int protocol)
    case ArgType::kSocketType:
    case ArgType::kPid:           // pid_t
    case ArgType::kUid:           // uid_t, gid_t (no 16-bit uid syscalls on x86-64)
    case ArgType::kPrctlOption:   // prctl(int option, unsigned long arg2, ...)
    case ArgType::kMadvice:       // madvise(..., int behavior)
    case ArgType::kAccessMode:    // access(..., int mode)
    case ArgType::kWaitOptions:   // wait4(..., int options, ...)
    case ArgType::kWhence:        // lseek(..., unsigned int whence)
    case ArgType::kSigHow:        // rt_sigprocmask(int how, ...)
    case ArgType::kFutexOp:       // futex(u32 *uaddr, int op, ...)
    case ArgType::kArchPrctl:     // arch_prctl(int option, unsigned long arg2)
    case ArgType::kRlimit:        // getrlimit/setrlimit/prlimit64(..., unsigned int resource, ...)
    case ArgType::kClockId:       // clockid_t is int
    case ArgType::kEpollOp:       // epoll_ctl(..., int op, ...)
    case ArgType::kMsgFlags:      // sendto(..., unsigned int flags, ...)
    case ArgType::kRenameFlags:   // renameat2(..., unsigned int flags)
    case ArgType::kTimerFlags:    // clock_nanosleep(..., int flags, ...)
    case ArgType::kItimerWhich:   // setitimer(int which, ...)
    case ArgType::kPrioWhich:     // getpriority(int which, int who)
    case ArgType::kFlockOp:       // flock(unsigned int fd, unsigned int cmd)
    case ArgType::kRusageWho:     // getrusage(int who, ...)
    case ArgType::kIdType:        // waitid(int which, ...)
    case ArgType::kMempolicyMode: // set_mempolicy(int mode, ...); mbind's unsigned long mode: kernel_mbind's int lmode
    case ArgType::kMbindFlags:    // mbind(..., unsigned int flags)
      return 32;
    // umode_t is an unsigned short: the kernel reads only 16 bits, then masks with
    // S_IALLUGO (07777) or S_IFMT|S_IALLUGO. We report 32, the narrowest width a BPF
    // comparison has, so bits 16..31 still reach the filter but not the kernel: a
    // rule on a mode must test bits (mode & 07000), never deny one exact value.
    case ArgType::kMode:
      return 32;
    // Pointers, sizes, offsets, longs; and flag sets whose parameter is unsigned long:
    // mmap/mprotect/pkey_mprotect prot, mmap flags, clone/unshare flags, pkey_alloc's rights.
    case ArgType::kLong:
    case ArgType::kULong:
    case ArgType::kSize:
    case ArgType::kOffset:
    case ArgType::kPath:
    case ArgType::kString:
    case ArgType::kPtr:
    case ArgType::kBufIn:
    case ArgType::kBufOut:
    case ArgType::kStructPtr:
    case ArgType::kProt:
    case ArgType::kMmapFlags:
    case ArgType::kCloneFlags:
    case ArgType::kPkeyAccess:  // pkey_alloc(unsigned long flags, unsigned long init_val)
    case ArgType::kMempolicyFlags:  // get_mempolicy(..., unsigned long flags): every bit checked
      return 64;
  }
  return 64;  // Not reached: -Wswitch reports an enumerator missing from the cases above.
}

}  // namespace sysgate::syscalls
