#include "gate_test_support.h"

#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
#include <sys/auxv.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "gate/gate.h"
#include "gate/gate_trap.h"
#include "syscalls/call_format.h"

namespace sysgate::gate::test {

bool install_test_filter() {
  const uint64_t begin = reinterpret_cast<uint64_t>(sysgate_gate_syscall_begin);
  const uint64_t end = reinterpret_cast<uint64_t>(sysgate_gate_syscall_end);
  if ((begin >> 32) != ((end - 1) >> 32) || end <= begin) return false;  // the compares below need one high word
  const uint32_t lo_begin = static_cast<uint32_t>(begin);
  const uint32_t lo_end = static_cast<uint32_t>(end);
  const uint32_t hi = static_cast<uint32_t>(begin >> 32);
  constexpr uint32_t kIpLo = offsetof(seccomp_data, instruction_pointer);
  constexpr uint32_t kIpHi = kIpLo + 4;
  constexpr uint32_t kArg0Lo = offsetof(seccomp_data, args);
  constexpr uint32_t kArg0Hi = kArg0Lo + 4;
  // Indices of the three return instructions, counted from the program's end.
  std::vector<sock_filter> p = {
      /* 0 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, arch)),
      /* 1 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 0, 17),  // -> 19 kill
      /* 2 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
      /* 3 */ BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x40000000, 15, 0),  // -> 19 kill
      /* 4 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_rt_sigreturn, 13, 0),  // -> 18 allow
      /* 5 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_exit_group, 0, 4),  // -> 10
      /* 6 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, kArg0Lo),
      /* 7 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 42, 0, 2),  // -> 10
      /* 8 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, kArg0Hi),
      /* 9 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 8, 0),  // -> 18 allow
      /* 10 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, kIpHi),
      /* 11 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, hi, 0, 5),  // -> 17 trap
      /* 12 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, kIpLo),
      /* 13 */ BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, lo_begin, 0, 3),  // -> 17 trap
      /* 14 */ BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, lo_end, 2, 3),    // -> 17 trap : 18 allow
      /* 15 */ BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),  // unreachable
      /* 16 */ BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),  // unreachable
      /* 17 */ BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP | gate::kGateTrapData),
      /* 18 */ BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
      /* 19 */ BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
  };
  sock_fprog prog = {static_cast<unsigned short>(p.size()), p.data()};
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return false;
  return syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) == 0;
}

int exit_code(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 1000 + WTERMSIG(status);
  return -1;
}

TracedRun run_traced(const std::function<int()>& body, const RunOptions& options) {
  TracedRun run;
  Result<trace::RingReader> reader = trace::RingReader::create(options.region);
  if (!reader) {
    std::fprintf(stderr, "RingReader::create: %s\n", reader.error().describe().c_str());
    return run;
  }
  std::fflush(stdout);
  std::fflush(stderr);
  const pid_t pid = fork();
  if (pid == 0) {
    if (options.before_install) options.before_install();
    GateConfig config;
    config.ring_fd = options.trace ? reader->fd() : -1;
    config.flags = options.gate_flags;
    config.program_phdr = getauxval(AT_PHDR);
    config.program_phnum = getauxval(AT_PHNUM);
    config.interp_base = getauxval(AT_BASE);
    if (!gate_install(config)) {
      std::fprintf(stderr, "gate_install failed\n");
      _exit(120);
    }
    if (!install_test_filter()) {
      std::fprintf(stderr, "install_test_filter failed\n");
      _exit(121);
    }
    const int r = body();
    std::fflush(stdout);
    std::fflush(stderr);
    _exit(r);
  }
  auto sink = [&](const trace::Record& r) { run.records.push_back(r); };
  const auto deadline = std::chrono::steady_clock::now() + options.deadline;
  for (;;) {
    reader->poll(sink, options.poll_batch);
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == pid) {
      run.status = status;
      break;
    }
    if (std::chrono::steady_clock::now() > deadline) {
      std::fprintf(stderr, "traced child timed out; killing it\n");
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      run.status = status;
      break;
    }
    if (options.pause_between_polls.count() > 0) {
      std::this_thread::sleep_for(options.pause_between_polls);
    } else {
      reader->wait(std::chrono::milliseconds(20));
    }
  }
  while (reader->poll(sink) > 0) {
  }
  run.errors = reader->take_errors();
  run.dropped = reader->dropped_after_detach();
  return run;
}

size_t count(const std::vector<trace::Record>& records, long nr) {
  size_t n = 0;
  for (const trace::Record& r : records) n += r.nr == nr ? 1 : 0;
  return n;
}

std::vector<const trace::Record*> with_nr(const std::vector<trace::Record>& records, long nr) {
  std::vector<const trace::Record*> out;
  for (const trace::Record& r : records) {
    if (r.nr == nr) out.push_back(&r);
  }
  return out;
}

const trace::Record* find_with_payload(const std::vector<trace::Record>& records, long nr, int arg,
                                       const std::string& bytes) {
  for (const trace::Record& r : records) {
    if (r.nr != nr) continue;
    const trace::Payload* p = r.payload(arg);
    if (p != nullptr && p->bytes == bytes) return &r;
  }
  return nullptr;
}

std::string format(const trace::Record& record) {
  trace::RecordMemory memory(record);
  std::string out = syscalls::format_call(record.nr, record.args, &memory);
  return out + " = " + std::to_string(record.ret);
}

std::string temp_file(const std::string& content) {
  static const std::filesystem::path dir = [] {
    char tmpl[] = "/tmp/sysgate-gate-test-XXXXXX";
    const char* made = mkdtemp(tmpl);
    std::filesystem::path p = made != nullptr ? made : "/tmp";
    static const std::filesystem::path keep = p;
    std::atexit([] {
      std::error_code ec;
      std::filesystem::remove_all(keep, ec);
    });
    return p;
  }();
  static int n = 0;
  const std::filesystem::path file = dir / ("file" + std::to_string(n++));
  std::ofstream(file) << content;
  return file.string();
}

}  // namespace sysgate::gate::test
