// sysgate trace -k: a call's stack trace as strace -k prints it, from the
// registers and stack bytes the gate copied into its record (Record::stack)
// and the process's mappings.
//
//   trace::StackUnwinder unwinder(&traced);
//   unwinder.resolve(record);  // as soon as the record is read: the process still runs
//   ...
//   out += record.backtrace();  // " > /usr/lib/x86_64-linux-gnu/libc.so.6(__read+0x12) [0x1147e2]\n" ...
//
// The unwinding is elfutils' (libdwfl): the call frame information of each
// file the process maps, read from the file; the stack's words from the
// record, never from the live process, so what it shows is the stack at the
// call. Which file an address belongs to comes from /proc/PID/maps, read when
// a process's first stack is resolved and again when an address falls outside
// every file it knew: the gate waits at exit and exec until the monitor has
// read the thread's records (ring_format.h, RegionHeader::stack_bytes), so the
// mappings are those of the record's time, unless the program unmapped a file
// in between (dlclose) -- then its frames show as strace shows an unknown
// address: not at all.
//
// Trust: this parses ELF and DWARF of files the traced program chose to map,
// in the monitor. -k is for debugging programs one trusts that far
// (docs/tracing.md).
//
// Not thread-safe: the monitor's thread only.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "trace/record.h"
#include "trace/traced_processes.h"

namespace sysgate::trace {

class StackUnwinder {
 public:
  // Reads the mappings of traced processes only (a record's pid is the
  // program's to write: traced_processes.h).
  explicit StackUnwinder(TracedProcesses* traced);
  ~StackUnwinder();
  StackUnwinder(const StackUnwinder&) = delete;
  StackUnwinder& operator=(const StackUnwinder&) = delete;

  // Fills record's backtrace from its stack (RecordExtras; nothing when it
  // has none) and frees the stack. An exec's enter record also drops what is known of
  // the process's mappings (the pid's next records are of another image); a
  // process that exited stays known for its other threads' last records, at
  // most kMaxProcesses of them. A pid reused by another process is asked
  // again when a stack starts outside the files known.
  void resolve(Record& record);

  // The gate's code in every process ([begin, end): the loader image's,
  // monitor::LoaderImage): a walk that reaches it ends there, and goes on from
  // the interrupted call's registers when the record has them.
  void set_gate_code(uint64_t begin, uint64_t end) {
    gate_begin_ = begin;
    gate_end_ = end;
  }

  // The most frames shown for one call, as strace -k.
  static constexpr int kMaxFrames = 256;
  // The most processes whose mappings are kept.
  static constexpr size_t kMaxProcesses = 256;

  // What is known of one process's mappings (libdwfl's modules); public only
  // for libdwfl's callbacks in the .cc.
  struct Process;

 private:
  Process* process(int32_t pid, bool reread);

  TracedProcesses* traced_;
  std::map<int32_t, std::unique_ptr<Process>> processes_;
  uint64_t gate_begin_ = 0, gate_end_ = 0;
};

// The stack strace -k shows under the command's first execve, which sysgate's
// launcher makes before any gate exists: the new image's entry point (the
// interpreter's, for a dynamic program), " > /usr/lib/.../ld-linux-x86-64.so.2(
// _dl_catch_error+0x26f0) [0x1ab70]\n"; "" if the file cannot be read.
std::string entry_backtrace(const std::string& program);

}  // namespace sysgate::trace
