#include "sandbox/seccomp_install.h"

#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "sandbox/raw_syscall.h"

namespace sysgate::sandbox {
namespace {

Error system_error(const std::string& call, long neg_errno) {
  int err = static_cast<int>(-neg_errno);
  return make_error(ErrorCode::kSystem, call + ": " + std::strerror(err));
}

std::string describe_flags(unsigned flags) {
  if (flags == 0) return "0";
  std::string out;
  auto add = [&](unsigned bit, const char* name) {
    if (!(flags & bit)) return;
    if (!out.empty()) out += "|";
    out += name;
  };
  add(SECCOMP_FILTER_FLAG_TSYNC, "TSYNC");
  add(SECCOMP_FILTER_FLAG_NEW_LISTENER, "NEW_LISTENER");
  add(SECCOMP_FILTER_FLAG_TSYNC_ESRCH, "TSYNC_ESRCH");
  add(SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV, "WAIT_KILLABLE_RECV");
  return out;
}

}  // namespace

unsigned filter_flags(const InstallOptions& options) {
  unsigned flags = 0;
  if (options.tsync) flags |= SECCOMP_FILTER_FLAG_TSYNC | SECCOMP_FILTER_FLAG_TSYNC_ESRCH;
  if (options.new_listener) {
    flags |= SECCOMP_FILTER_FLAG_NEW_LISTENER;
    if (options.wait_killable_recv) flags |= SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV;
  }
  return flags;
}

sock_fprog to_sock_fprog(const bpf::Program& program) {
  sock_fprog prog{};
  prog.len = static_cast<unsigned short>(program.instructions.size());
  // The kernel only reads the instructions; the cast drops const for the uapi type.
  prog.filter = const_cast<sock_filter*>(program.instructions.data());
  return prog;
}

long raw_set_no_new_privs() { return raw_syscall(__NR_prctl, PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); }

Result<void> set_no_new_privs() {
  long r = raw_set_no_new_privs();
  if (r < 0) return system_error("prctl(PR_SET_NO_NEW_PRIVS)", r);
  return {};
}

long raw_install_filter(const sock_fprog* prog, unsigned flags) {
  return raw_syscall(__NR_seccomp, SECCOMP_SET_MODE_FILTER, flags, reinterpret_cast<long>(prog));
}

Result<int> install_filter(const bpf::Program& program, const InstallOptions& options) {
  if (program.instructions.empty()) {
    return make_error(ErrorCode::kInvalidArgument, "seccomp filter is empty");
  }
  if (program.instructions.size() > bpf::kMaxInstructions) {
    return make_error(ErrorCode::kTooLarge, "seccomp filter has " +
                                                std::to_string(program.instructions.size()) +
                                                " instructions; the kernel accepts at most " +
                                                std::to_string(bpf::kMaxInstructions));
  }
  sock_fprog prog = to_sock_fprog(program);
  unsigned flags = filter_flags(options);
  long r = raw_install_filter(&prog, flags);
  if (r < 0) {
    std::string call = "seccomp(SECCOMP_SET_MODE_FILTER, " + describe_flags(flags) + ")";
    if (r == -EACCES) call += " (no_new_privs not set and no CAP_SYS_ADMIN)";
    if (r == -EBUSY) call += " (a filter with a listener is already installed)";
    return system_error(call, r);
  }
  return options.new_listener ? static_cast<int>(r) : -1;
}

Result<bool> action_available(uint32_t action) {
  uint32_t bits = action & SECCOMP_RET_ACTION_FULL;
  long r = raw_syscall(__NR_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, reinterpret_cast<long>(&bits));
  if (r == 0) return true;
  if (r == -EOPNOTSUPP) return false;
  return system_error("seccomp(SECCOMP_GET_ACTION_AVAIL)", r);
}

Result<NotifSizes> notif_sizes() {
  seccomp_notif_sizes sizes{};
  long r = raw_syscall(__NR_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, reinterpret_cast<long>(&sizes));
  if (r == -EINVAL) {
    return make_error(ErrorCode::kUnsupported,
                      "seccomp user notification is not supported by this kernel "
                      "(SECCOMP_GET_NOTIF_SIZES: EINVAL); refusals cannot be explained "
                      "and brokered calls are unavailable");
  }
  if (r < 0) return system_error("seccomp(SECCOMP_GET_NOTIF_SIZES)", r);
  return NotifSizes{sizes.seccomp_notif, sizes.seccomp_notif_resp, sizes.seccomp_data};
}

}  // namespace sysgate::sandbox
