// A decoded trace record, and a MemoryReader that serves its payloads to the
// strace-grammar formatter.
//
//   Result<Record> r = decode_record(bytes, limits);
//   RecordMemory memory(*r);
//   std::string text = syscalls::format_call(r->nr, r->args, &memory);
//   // openat(AT_FDCWD, "/etc/hostname", O_RDONLY)
//
// The bytes come from a ring the traced (untrusted) process writes: decoding
// checks every size and count against the record's length and the region's
// limits, and fails with a description instead of reading out of bounds.
// Pure functions; thread-compatible.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "base/result.h"
#include "syscalls/call_format.h"
#include "trace/ring_format.h"

namespace sysgate::trace {

struct Payload {
  int arg = 0;  // argument index 0..5
  PayloadKind kind = kPayloadPath;
  bool truncated = false;  // string without NUL within the bound / longer buffer
  uint64_t addr = 0;       // the argument's value
  std::string bytes;       // copied bytes (strings without their NUL)
};

// A call another thread of a process was waiting in when the process's
// exit_group was recorded (RingControl::open_call_*), which it never returned
// from: strace shows it as "<... call resumed>) = ?".
struct OpenCall {
  int32_t tid = 0;
  int nr = -1;
  uint64_t args[6] = {};
};

struct RecordExtras {
  // trace -k: the program's trace::StackRegisters (two with stack_has_outer)
  // and the stack bytes from its stack pointer up, as the gate copied them (a
  // kPayloadStack; a signal record's: where the signal found it), else
  // empty; and the lines of its stack trace once trace::StackUnwinder
  // resolved them (" > /lib/libc.so.6(read+0x12) [0x11a3f2]\n" each).
  std::string stack;
  bool stack_has_outer = false;  // a second StackRegisters and stack (kPayloadStackOuter's layout)
  std::string backtrace;
  // trace -yy: what the sockets this call named were, by inode, as the
  // monitor learned when the record arrived ("TCP:[127.0.0.1:80]"): its
  // descriptor arguments as they were before the call, the ones it made as
  // they were after.
  std::vector<std::pair<uint64_t, std::string>> socket_names;
  // trace -y: a recvmsg's received descriptors (SCM_RIGHTS) and their names,
  // as the monitor found them when the record arrived (FdPaths::note_received).
  std::vector<std::pair<int32_t, std::string>> received_fd_names;
  // An exit_group record's: the calls its process's other threads were
  // waiting in as it arrived (RingReader::open_calls_of).
  std::vector<OpenCall> open_calls;
};

struct Record {
  RecordKind kind = kRecordSyscall;
  uint16_t flags = 0;  // RecordFlags
  int32_t tid = 0;
  int32_t pid = 0;
  int nr = -1;
  uint64_t args[6] = {};
  int64_t ret = 0;
  uint64_t tsc = 0;
  // The TSC read just before the call was made (trace -T: RegionHeader::
  // time_calls; a kPayloadEnterTsc, not among payloads), else 0.
  uint64_t enter_tsc = 0;
  // Where the program resumes after the call's syscall instruction, or where
  // a signal interrupted it (trace -i: RegionHeader::record_ip; a kPayloadIp),
  // else 0.
  uint64_t ip = 0;
  // The inodes of the descriptors a socket, accept, accept4, pipe or pipe2
  // made (trace -y: RegionHeader::record_fd_inodes; a kPayloadFdInodes), in
  // the order of the descriptors; 0: none.
  uint64_t fd_inodes[2] = {0, 0};
  // The u32 argument before_arg pointed to just before the call (a
  // kPayloadBefore: an in/out length), or before_arg -1.
  int before_arg = -1;
  uint32_t before_value = 0;
  std::vector<Payload> payloads;
  // What only -k and -yy records carry (RecordExtras), or null: apart, so
  // that moving a record, which the monitor does with every one (TimeOrder),
  // moves a pointer for them (a traced getppid loop paid ~30 ns a call when
  // they were members). Copies of a record share them.
  std::shared_ptr<RecordExtras> extras;
  uint32_t ring = 0;  // ring it was read from (set by the reader)

  // The payload copied from argument arg, or nullptr.
  const Payload* payload(int arg) const;
  // extras, made if there are none yet.
  RecordExtras& extra() {
    if (!extras) extras = std::make_shared<RecordExtras>();
    return *extras;
  }
  // -k's resolved stack trace lines, "" if none.
  const std::string& backtrace() const {
    static const std::string kNone;
    return extras ? extras->backtrace : kNone;
  }
};

struct DecodeLimits {
  uint32_t max_path = kMaxPathBytes;
  uint32_t max_data = kMaxDataBytes;
  // A data buffer dumped for -e read=/write= (RegionHeader::dump_bytes, as
  // max_dump_bytes bounds it); 0: none.
  uint32_t max_dump = 0;
  // Stack bytes a record may carry (RegionHeader::stack_bytes, -k); 0: none.
  uint32_t max_stack = 0;
};

// Decodes the record at the start of bytes (which may extend beyond it). Its
// RecordHeader::size must fit in bytes and account exactly for its payloads.
Result<Record> decode_record(std::span<const uint8_t> bytes, const DecodeLimits& limits = {});
// The same checks, decoding into out and reusing the memory it holds (its
// payload vector and their strings): the monitor decodes every record into
// the same few Record objects instead of allocating for each. When out has
// more payloads than the record, the extra ones' strings go to spare (if
// given, up to a few dozen), and a record with more payloads takes them back
// from there. On an error out holds part of the record.
Result<void> decode_record_into(std::span<const uint8_t> bytes, const DecodeLimits& limits, Record& out,
                                std::vector<std::string>* spare = nullptr);

// Serves a record's payloads by address: read_string finds a path/string payload
// copied from addr, read_bytes a data payload holding at least len bytes. Any
// other address is "unreadable" (the formatter then prints it in hex). The
// record must outlive this object.
class RecordMemory final : public syscalls::MemoryReader {
 public:
  explicit RecordMemory(const Record& record) : record_(record) {}
  std::optional<std::string> read_string(uint64_t addr, size_t max_len, bool* truncated) override;
  std::optional<std::string_view> view_string(uint64_t addr, size_t max_len, bool* truncated) override;
  std::optional<std::string> read_bytes(uint64_t addr, size_t len) override;
  std::optional<std::string_view> view_bytes(uint64_t addr, size_t len) override;

 private:
  const Record& record_;
};

}  // namespace sysgate::trace
