#include "monitor/gate_routing.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "bpf/compiler.h"
#include "loader/exec_path.h"

namespace sysgate::monitor {

using policy::Action;
using policy::CmpOp;
using policy::Condition;
using policy::Rule;

constexpr int kSysMseal = 462;  // (not in older headers)

policy::Policy with_loader_fd_rules(const policy::Policy& policy, int loader_fd, const std::vector<int>& more) {
  if (loader_fd < 0) return policy;
  const policy::Origin origin{policy::Origin::Source::kBuiltin, "protected fd of the gate"};
  auto arg_is = [](uint8_t arg, uint64_t v) { return Condition::compare(arg, 32, CmpOp::kEq, v); };
  std::vector<int> fds = more;
  fds.insert(fds.begin(), loader_fd);
  std::vector<Rule> rules;
  for (int fd : fds) {
    const uint64_t v = static_cast<uint64_t>(fd);
    rules.push_back({SYS_close, arg_is(0, v), Action::error(EBADF), origin});
    rules.push_back({SYS_dup2, arg_is(1, v), Action::error(EBADF), origin});
    rules.push_back({SYS_dup3, arg_is(1, v), Action::error(EBADF), origin});
    rules.push_back({SYS_close_range,
                     Condition::all_of({Condition::compare(0, 32, CmpOp::kLe, v), Condition::compare(1, 32, CmpOp::kGe, v)}),
                     Action::error(ENOSYS), origin});
    // Close-on-exec would let the next exec close it, and the program put a
    // file of its own at its number, which the exec rule below names.
    rules.push_back({SYS_fcntl, Condition::all_of({arg_is(0, v), arg_is(1, F_SETFD)}), Action::error(EBADF), origin});
    rules.push_back({SYS_ioctl, Condition::all_of({arg_is(0, v), arg_is(1, FIOCLEX)}), Action::error(EBADF), origin});
  }
  // The exec of the loader: its descriptor, and a path that can only be ""
  // (the kernel ignores the descriptor for an absolute path): the one in the
  // page each image maps and seals, by its address (loader/exec_path.h).
  auto arg_is64 = [](uint8_t arg, uint64_t v) { return Condition::compare(arg, 64, CmpOp::kEq, v); };
  rules.push_back({SYS_execveat,
                   Condition::all_of({arg_is(0, static_cast<uint64_t>(loader_fd)),
                                      arg_is64(1, loader::kLoaderExecPath),
                                      Condition::compare(4, 32, CmpOp::kEq, AT_EMPTY_PATH)}),
                   Action::allow(), origin});
  // The loader maps and seals that page, whatever the promises: shared,
  // anonymous and read-only, which then cannot be changed or moved.
  rules.push_back({SYS_mmap,
                   Condition::all_of({arg_is64(0, loader::kLoaderExecPathPage),
                                      arg_is64(1, loader::kLoaderExecPathBytes), arg_is64(2, PROT_READ),
                                      arg_is64(3, MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE),
                                      arg_is(4, 0xffffffffu), arg_is64(5, 0)}),
                   Action::allow(), origin});
  rules.push_back({kSysMseal,
                   Condition::all_of({arg_is64(0, loader::kLoaderExecPathPage),
                                      arg_is64(1, loader::kLoaderExecPathBytes), arg_is64(2, 0)}),
                   Action::allow(), origin});
  return policy::with_leading_rules(policy, rules);
}

Result<bpf::Program> compile_gated(const policy::Policy& policy, const GateRouting& routing) {
  bpf::CompileOptions options;
  options.trap_outside = {routing.trusted_code.begin, routing.trusted_code.end};
  return bpf::compile(with_loader_fd_rules(policy, routing.loader_fd, {}), options);
}

}  // namespace sysgate::monitor
