#include <iostream>
#include <map>

#include "bpf/compiler.h"
#include "bpf/disassembler.h"
#include "cli/commands.h"
#include "policy/promise.h"
#include "policy/promise_docs.h"
#include "sandbox/landlock.h"
#include "syscalls/syscall_table.h"

namespace sysgate::cli {

namespace {

const char* right_letters(uint8_t r) {
  static char buf[5];
  buf[0] = (r & policy::kRead) ? 'r' : '-';
  buf[1] = (r & policy::kWrite) ? 'w' : '-';
  buf[2] = (r & policy::kCreate) ? 'c' : '-';
  buf[3] = (r & policy::kExecute) ? 'x' : '-';
  buf[4] = 0;
  return buf;
}

}  // namespace

int check_command(const policy::PolicySource& source, bool dump) {
  Result<policy::Policy> p = policy::load_policy(source);
  if (!p) return report_error(p.error());
  Result<bpf::Program> program = bpf::compile(*p);
  if (!program) return report_error(program.error());

  // Classify every syscall of the table by what the policy does with it.
  int allowed = 0, checked = 0, explained = 0, errno_ = 0, killed = 0, other = 0;
  for (const syscalls::SyscallInfo& info : syscalls::all()) {
    std::span<const policy::Rule> rules = p->rules_for(info.nr);
    if (!rules.empty() && !rules.front().when.is_true()) {
      ++checked;
      continue;
    }
    const policy::Action& a = rules.empty() ? p->default_action() : rules.front().action;
    switch (a.kind) {
      case policy::ActionKind::kAllow: ++allowed; break;
      case policy::ActionKind::kExplain: ++explained; break;
      case policy::ActionKind::kErrno: ++errno_; break;
      case policy::ActionKind::kKill: ++killed; break;
      default: ++other; break;
    }
  }

  std::cout << "policy " << p->name() << ": OK\n";
  std::cout << "  default action:   " << policy::to_string(p->default_action()) << "\n";
  std::string promises;
  for (policy::Promise pr : p->promises()) promises += (promises.empty() ? "" : ", ") + std::string(policy::promise_name(pr));
  std::cout << "  promises:         " << (promises.empty() ? "(none)" : promises) << "\n";
  std::cout << "  syscalls (" << syscalls::all().size() << " known): " << allowed << " allowed, " << checked
            << " argument-checked, " << explained << " explained (trapped to the monitor), " << errno_
            << " errno, " << killed << " killed";
  if (other) std::cout << ", " << other << " other";
  std::cout << "\n";
  std::cout << "  BPF program:      " << program->size() << " instructions (limit " << bpf::kMaxInstructions << ")\n";
  std::cout << "  file rules:       " << p->file_rules().size() << "\n";
  for (const policy::FileRule& f : p->file_rules()) {
    std::cout << "    " << right_letters(f.rights) << " " << f.path;
    if (!f.except.empty()) {
      std::cout << " except";
      for (const std::string& e : f.except) std::cout << " " << e;
    }
    std::cout << "\n";
  }
  if (!p->file_rules().empty()) {
    int abi = sandbox::landlock::abi_version();
    if (abi == 0) {
      std::cout << "  Landlock:         unavailable on this kernel: `run` refuses policies with file rules\n";
    } else {
      std::cout << "  Landlock:         ABI " << abi << " (file rules enforced by the kernel)\n";
    }
  }
  if (dump) std::cout << "\n" << bpf::disassemble(*program);
  return 0;
}

int promises_command(bool markdown) {
  if (markdown) {
    std::cout << policy::promises_markdown();
    return 0;
  }
  for (policy::Promise p : policy::all_promises()) {
    std::cout << policy::promise_name(p) << "\t" << policy::promise_summary(p) << "\n";
  }
  return 0;
}

}  // namespace sysgate::cli
