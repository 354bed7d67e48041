#include "gate/syscall_classes.h"

#include <asm/unistd.h>
#include <linux/fcntl.h>
#include <linux/futex.h>

namespace sysgate::gate {
namespace {

#include "gate_syscall_table.inc"

uint64_t spec(long nr) {
  if (nr < 0 || nr > kGateMaxNr) return 0;
  return kGateArgSpecs[nr];
}

constexpr uint64_t kWnohang = 1;  // WNOHANG
constexpr uint64_t kLockNb = 4;   // LOCK_NB

}  // namespace

uint32_t arg_payload_kind(long nr, int i) { return static_cast<uint32_t>((spec(nr) >> (4 * i)) & 0xf); }

bool has_arg_payloads(long nr) { return (spec(nr) & 0xffffff) != 0; }

int arg_length_index(long nr, int i) {
  const uint32_t v = static_cast<uint32_t>((spec(nr) >> (24 + 4 * i)) & 0xf);
  return v < 6 ? static_cast<int>(v) : -1;
}

bool syscall_known(long nr) { return (spec(nr) >> 63) != 0; }

bool signal_prone(long nr, const uint64_t args[6]) {
  switch (nr) {
    case __NR_kill:
    case __NR_tkill:
    case __NR_tgkill:
    case __NR_rt_sigqueueinfo:
    case __NR_rt_tgsigqueueinfo:
      return true;
    default:
      return may_block(nr, args);
  }
}

bool signal_prone_for_some_args(long nr) {
  const uint64_t none[6] = {};
  const uint64_t lock_and_wait[6] = {0, F_SETLKW};  // fcntl blocks for this command only
  return signal_prone(nr, none) || signal_prone(nr, lock_and_wait);
}

bool interrupted_despite_restart(long nr, const uint64_t args[6]) {
  switch (nr) {
    case __NR_poll:
    case __NR_ppoll:
    case __NR_select:
    case __NR_pselect6:
    case __NR_epoll_wait:
    case __NR_epoll_pwait:
    case __NR_epoll_pwait2:
    case __NR_pause:
    case __NR_rt_sigsuspend:
    case __NR_nanosleep:
    case __NR_clock_nanosleep:
    case __NR_rt_sigtimedwait:
    case __NR_io_getevents:
    case __NR_io_pgetevents:
    case __NR_msgrcv:
    case __NR_msgsnd:
    case __NR_semop:
    case __NR_semtimedop:
    case __NR_mq_timedsend:
    case __NR_mq_timedreceive:
      return true;
    case __NR_futex_waitv:
      return args[3] != 0;  // with a timeout
    case __NR_futex: {
      // A wait with a timeout ends in EINTR; one without is restarted.
      const uint32_t cmd = static_cast<uint32_t>(args[1]) & FUTEX_CMD_MASK;
      return (cmd == FUTEX_WAIT || cmd == FUTEX_WAIT_BITSET || cmd == FUTEX_WAIT_REQUEUE_PI) && args[3] != 0;
    }
    default:
      return false;
  }
}

bool may_block(long nr, const uint64_t args[6]) {
  switch (nr) {
    // I/O on pipes, sockets, terminals, FIFOs (even open(2) of a FIFO waits).
    case __NR_read:
    case __NR_write:
    case __NR_readv:
    case __NR_writev:
    case __NR_pread64:
    case __NR_pwrite64:
    case __NR_preadv:
    case __NR_pwritev:
    case __NR_preadv2:
    case __NR_pwritev2:
    case __NR_open:
    case __NR_openat:
    case __NR_openat2:
    case __NR_creat:
    case __NR_ioctl:
    case __NR_splice:
    case __NR_tee:
    case __NR_vmsplice:
    case __NR_sendfile:
    case __NR_copy_file_range:
    // Sockets.
    case __NR_accept:
    case __NR_accept4:
    case __NR_connect:
    case __NR_recvfrom:
    case __NR_recvmsg:
    case __NR_recvmmsg:
    case __NR_sendto:
    case __NR_sendmsg:
    case __NR_sendmmsg:
    // Waiting and sleeping.
    case __NR_nanosleep:
    case __NR_clock_nanosleep:
    case __NR_pause:
    case __NR_rt_sigsuspend:
    case __NR_rt_sigtimedwait:
    case __NR_select:
    case __NR_pselect6:
    case __NR_poll:
    case __NR_ppoll:
    case __NR_epoll_wait:
    case __NR_epoll_pwait:
    case __NR_epoll_pwait2:
    case __NR_futex_waitv:
    case __NR_restart_syscall:
    // IPC and asynchronous I/O.
    case __NR_msgrcv:
    case __NR_msgsnd:
    case __NR_semop:
    case __NR_semtimedop:
    case __NR_mq_timedsend:
    case __NR_mq_timedreceive:
    case __NR_io_getevents:
    case __NR_io_pgetevents:
    case __NR_io_uring_enter:
      return true;
    case __NR_wait4:
      return (args[2] & kWnohang) == 0;
    case __NR_waitid:
      return (args[3] & kWnohang) == 0;
    case __NR_flock:
      return (args[1] & kLockNb) == 0;
    case __NR_fcntl: {
      const uint32_t cmd = static_cast<uint32_t>(args[1]);
      return cmd == F_SETLKW || cmd == F_OFD_SETLKW;
    }
    case __NR_futex: {
      const uint32_t cmd = static_cast<uint32_t>(args[1]) & FUTEX_CMD_MASK;
      return cmd == FUTEX_WAIT || cmd == FUTEX_WAIT_BITSET || cmd == FUTEX_LOCK_PI || cmd == FUTEX_LOCK_PI2 ||
             cmd == FUTEX_WAIT_REQUEUE_PI;
    }
    default:
      return !syscall_known(nr);
  }
}

}  // namespace sysgate::gate
