// `sysgate run`: start a command under a policy and explain every refusal.
//
//   RunOptions options;
//   options.command = {"cat", "/etc/hostname"};
//   options.on_violation = [](const Violation& v) { std::cerr << format_text(v) << "\n"; };
//   Result<RunResult> r = run_confined(policy, options);
//   exit(r ? r->exit_status : 2);
//
// What it does: resolves the policy's file rules for this run ($CWD, a private
// $TMP exported as TMPDIR, $HOME), builds a Landlock ruleset from them (the
// command's own exec chain is always executable), compiles the filter with the
// first exec routed to the monitor, starts the command (sandbox::launch), and
// serves the filter's notifications until the command exits: refusals are
// explained, brokerable path calls covered by a file rule are performed
// (monitor/broker.h). Library code: never prints, never exits.
#pragma once

#include <array>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "sandbox/user_credentials.h"
#include "monitor/violation.h"
#include "policy/policy.h"
#include "trace/record.h"

namespace sysgate::monitor {

// Trace mode: the command starts in the loader (sysgate-exec) with the gate
// armed; every syscall of every thread and process, across execs, reaches
// on_record, in per-thread order (threads interleave as the monitor drains them).
struct TraceOptions {
  std::function<void(const trace::Record&)> on_record;  // called on the monitor's thread
  // Called on the monitor's thread when a look at the rings found nothing new,
  // before the monitor waits for more, and once all records were delivered: the
  // moment to write out what on_record buffered, so that a trace read as it is
  // made keeps up with the program. May be unset.
  std::function<void()> on_idle;
  uint32_t max_data = 32;  // bytes of data buffers copied per call (strace -s)
  bool payloads = true;    // copy path and data arguments at all
  // Rewrite syscall sites onto trampolines after their first trap (the fast
  // path, docs/gate.md); off: every call takes the SIGSYS trap path.
  bool rewrite = true;
  // With rewrite: a page's first trapped site also rewrites the other sites of
  // its page and the pages beside it (docs/gate.md, "Sweeping a page").
  bool sweep = true;
  // strace -b execve: the images the command's processes exec are not traced
  // (each writes one record, which tells that its exec worked).
  bool detach_on_exec = false;
  // Which completed calls are recorded at all (trace -e trace=SET): nullopt for
  // every one. Bit nr % 64 of word nr / 64 (trace::RegionHeader::call_mask).
  std::optional<std::array<uint64_t, 8>> call_mask;
  // Records also carry the TSC from before each call (trace -T;
  // trace::Record::enter_tsc).
  bool time_calls = false;
  // Records carry where the program resumes after each call (trace::Record::ip).
  bool record_ip = false;
  // Socket and pipe records carry their descriptors' inodes (trace::Record::fd_inodes).
  bool record_fd_inodes = false;
  // Whole stat structs and exec environments (trace -v; trace::RegionHeader::verbose).
  bool verbose = false;
  // Call records carry the program's registers and up to this many bytes of
  // its stack (trace -k; trace::Record::stack); 0: none.
  uint32_t stack_bytes = 0;
  // The gate waits for the monitor after each call that makes a socket or
  // sets its addresses (trace -yy), so on_arrival sees the socket as the call left it.
  bool wait_after_socket_calls = false;
  // Called on the monitor's thread for each record as soon as it is read from
  // its ring, before records are put back in time order (on_record): with
  // stack_bytes, the moment the record's process still has the mappings its
  // stack refers to. May be unset.
  std::function<void(trace::Record&)> on_arrival;
  // Called once the trace region exists, before the command starts: the
  // monitor's descriptor of it and the number every image holds it at, which
  // tell the processes of this trace (trace/traced_processes.h). May be unset.
  std::function<void(int monitor_fd, int program_fd)> on_region;
  // Calls the gate tampers with (trace -e inject=; trace::RegionHeader::inject).
  trace::InjectTable inject{};
  // Calls whose whole buffer is copied (trace -e read=/write=; trace::RegionOptions).
  uint32_t dump_bytes = 0;
  std::array<uint64_t, trace::kDumpFdNumbers / 64> dump_read_fds{};
  std::array<uint64_t, trace::kDumpFdNumbers / 64> dump_write_fds{};
};

struct RunOptions {
  std::vector<std::string> command;  // argv; argv[0] is searched in PATH
  // The command's whole environment ("NAME=value" each); nullopt: sysgate's own.
  std::optional<std::vector<std::string>> environment;
  std::optional<TraceOptions> trace;
  // Descriptors >= 3 the command inherits as they are (trace: those sysgate
  // itself inherited, as strace's child keeps them; sandbox/inherited_fds.h).
  // Every other descriptor is closed at the command's exec.
  std::vector<int> pass_fds;
  // Of 0, 1, 2: those sysgate was started without (closed for the command too,
  // sandbox/inherited_fds.h).
  std::array<bool, 3> closed_stdio = {false, false, false};
  // A hook library (include/sysgate/hook_library.h) the loader maps into every
  // image and the gate runs; "" for none. Opened here: a missing file is an error.
  std::string hooks;
  bool kill_on_violation = false;    // kill the process instead of returning the errno (still reported)
  std::function<void(const Violation&)> on_violation;
  std::function<void(const std::string&)> on_note;  // degradations and other facts worth a line
  // The command's process exists and waits at its first exec: work the caller
  // can overlap with the command's start. The monitor's descriptors are all
  // open by then (a second thread started earlier would make growing the
  // descriptor table wait for an RCU grace period, ~15 ms here). Given the
  // command's pid and the address of the envp array its first exec was given.
  std::function<void(int pid, uint64_t envp_address)> on_launched;
  // sysgate trace -u: the command runs as this user (the launcher's child
  // takes its ids first), and the monitor takes them too once it holds the
  // child's listener, before the command's first instruction: nothing it
  // opens or execs for the command (the exec broker, the path broker) can
  // then go beyond the user's own rights. nullopt: sysgate's own ids.
  std::optional<sandbox::UserIds> user;
};

struct RunResult {
  int exit_status = 0;  // the command's exit code, or 128+N when signal N killed it
  int violations = 0;
  int pid = 0;             // the command's process
  int killed_by = 0;       // the signal that killed it, 0 if it exited
  bool core_dumped = false;
  // Tracing, killed_by: the calls its threads were waiting in (trace::OpenCall).
  std::vector<trace::OpenCall> open_calls;
};

Result<RunResult> run_confined(const policy::Policy& policy, const RunOptions& options);

}  // namespace sysgate::monitor
