#include <cerrno>
#include <cstdlib>
#include <iostream>

#include "bpf/compiler.h"
#include "bpf/interpreter.h"
#include "cli/commands.h"
#include "monitor/broker.h"
#include "monitor/explanation.h"
#include "policy/evaluate.h"
#include "syscalls/call_format.h"
#include "syscalls/constants.h"
#include "syscalls/syscall_table.h"

namespace sysgate::cli {

namespace {

// "42", "0x2a", "-100", "O_RDONLY|O_CLOEXEC"
Result<uint64_t> parse_arg(const std::string& text) {
  uint64_t value = 0;
  size_t start = 0;
  while (start <= text.size()) {
    size_t bar = text.find('|', start);
    std::string part = text.substr(start, bar == std::string::npos ? std::string::npos : bar - start);
    if (std::optional<uint64_t> c = syscalls::constants::lookup(part)) {
      value |= *c;
    } else {
      errno = 0;
      char* end = nullptr;
      long long v = std::strtoll(part.c_str(), &end, 0);
      if (part.empty() || *end != '\0' || errno == ERANGE) {
        unsigned long long u = std::strtoull(part.c_str(), &end, 0);
        if (part.empty() || *end != '\0' || errno == ERANGE) {
          return make_error(ErrorCode::kUnknownName, "\"" + part + "\" is neither a number nor a known constant");
        }
        value |= u;
      } else {
        value |= static_cast<uint64_t>(v);
      }
    }
    if (bar == std::string::npos) break;
    start = bar + 1;
  }
  return value;
}

}  // namespace

int explain_command(const policy::PolicySource& source, const std::string& syscall,
                    const std::vector<std::string>& args) {
  Result<policy::Policy> p = policy::load_policy(source);
  if (!p) return report_error(p.error());
  const syscalls::SyscallInfo* info = syscalls::by_name(syscall);
  if (info == nullptr) {
    char* end = nullptr;
    long nr = std::strtol(syscall.c_str(), &end, 0);
    if (syscall.empty() || *end != '\0') {
      return report_error(make_error(ErrorCode::kUnknownName, "unknown syscall \"" + syscall + "\""));
    }
    info = syscalls::by_number(static_cast<int>(nr));
    if (info == nullptr) {
      return report_error(make_error(ErrorCode::kUnknownName, "syscall number " + syscall + " is not in the table"));
    }
  }
  if (args.size() > 6) return report_error(make_error(ErrorCode::kInvalidArgument, "a syscall has at most 6 arguments"));

  policy::SyscallInput input;
  input.nr = info->nr;
  for (size_t i = 0; i < args.size(); ++i) {
    Result<uint64_t> v = parse_arg(args[i]);
    if (!v) return report_error(v.error());
    input.args[i] = *v;
  }
  policy::Decision d = policy::evaluate(*p, input);

  std::cout << syscalls::format_call(input.nr, input.args, nullptr) << ": " << policy::to_string(d.action) << "\n";
  switch (d.reason) {
    case policy::Decision::Reason::kRule:
      std::cout << "  decided by " << d.rule->origin.where;
      if (!d.rule->when.is_true()) std::cout << " (when " << to_string(d.rule->when, input.nr) << ")";
      std::cout << "\n";
      break;
    case policy::Decision::Reason::kDefault:
      std::cout << "  decided by the default action (no rule for " << info->name << " matched)\n";
      break;
    default:
      break;
  }
  // What `run` does with an explain verdict (monitor::may_broker): the same question, the same answer.
  const bool brokered = !p->file_rules().empty() && monitor::may_broker(d, input.nr) && monitor::is_brokerable_call(input.nr);
  if (d.action.kind != policy::ActionKind::kAllow) {
    std::cout << "  " << monitor::explain_refusal(*p, input, d).summary() << "\n";
  }
  if (brokered) {
    std::cout << "  under run, the monitor performs the call when a file rule grants the right it needs on the "
                 "file its path names (brokered), and refuses it otherwise\n";
  }
  // The compiled filter must agree with the policy; say so, and fail loudly if not.
  Result<bpf::Program> program = bpf::compile(*p);
  if (!program) return report_error(program.error());
  bpf::SeccompData data;
  data.nr = input.nr;
  data.arch = input.arch;
  for (int i = 0; i < 6; ++i) data.args[i] = input.args[i];
  uint32_t ret = bpf::run(*program, data);
  bool agree = ret == policy::to_seccomp_ret(d.action);
  std::cout << "  compiled filter returns 0x" << std::hex << ret << std::dec << (agree ? " (agrees)" : " (DISAGREES)")
            << "\n";
  return agree ? 0 : 1;
}

}  // namespace sysgate::cli
