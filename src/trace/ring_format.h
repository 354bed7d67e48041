// The trace region: the shared-memory layout between the gate (writer, in the
// untrusted process, freestanding) and the monitor (reader, hosted C++).
//
//   monitor:  auto reader = trace::RingReader::create({.region_bytes = 64 << 20});
//             GateConfig{.ring_fd = reader->fd()} reaches the gate (loader / test);
//   gate:     claims a ring with a CAS the first time a thread traps, then appends
//             records to it; each thread is the only producer of its ring;
//   monitor:  reader->poll(sink) drains every ring in order; reader->wait(timeout).
//
// Layout of the region (one memfd, mapped MAP_SHARED by both sides):
//
//   [0, 4096)                         RegionHeader
//   [controls_offset, +256*ring_count) RingControl[ring_count]
//   [data_offset + i*ring_bytes, ...)  data of ring i (ring_bytes, a power of two)
//
// A ring is a single-producer / single-consumer byte queue addressed by two
// 64-bit absolute byte counters: `head` (bytes published by the writer) and `tail`
// (bytes consumed by the reader); the byte at absolute position p lives at
// data[p & (ring_bytes - 1)]. head - tail <= ring_bytes always. Records are
// 8-byte aligned and never wrap: when a record does not fit before the end of
// the data area the writer first fills the rest with one kRecordPad record.
//
// Full ring: the writer never drops a record. It sets writer_waiting and sleeps
// on the futex word space_seq; the reader, after advancing tail, bumps space_seq
// and wakes it when writer_waiting is set (a Dekker pair: each side stores its
// flag, issues a full fence, then re-reads the other side's counter). Likewise a
// reader going to sleep sets reader_sleeping and waits on data_seq; a writer
// that publishes and sees reader_sleeping clears it, bumps data_seq and wakes it.
// Futexes here are shared (not FUTEX_PRIVATE): the two sides are different
// processes.
//
// Ring ownership (RingControl::state):
//   kRingFree --gate CAS--> kRingClaiming --gate--> kRingOwned --gate--> kRingReleased
//   kRingReleased --reader CAS, once drained--> kRingFree
//   kRingReleased --gate CAS (execve failed)--> kRingOwned
//   kRingOwned --reader, once drained and the owner thread is gone--> kRingFree
// The reader resets nothing else: head == tail when a ring is freed, and the
// counters keep growing across owners (generation tells owners apart).
//
// Everything in the region is written by untrusted code: the reader bounds-checks
// every field before use and treats an inconsistent ring as corrupt (never
// trusts a size, an offset or a counter). The gate trusts nothing it reads here
// either, beyond what could only hurt the process itself.
//
// This header is plain C++ with no library dependency: the freestanding gate
// includes it. All multi-byte fields are little-endian x86-64 native.
#pragma once

#include <asm/unistd.h>
#include <stddef.h>
#include <stdint.h>

namespace sysgate::trace {

inline constexpr uint64_t kRegionMagic = 0x3145434152544753ull;  // "SGTRACE1"
inline constexpr uint32_t kRegionVersion = 3;
inline constexpr uint32_t kRegionHeaderBytes = 4096;
inline constexpr uint32_t kRingControlBytes = 256;
inline constexpr uint32_t kMinRingBytes = 64 * 1024;
inline constexpr uint32_t kMaxRingBytes = 1u << 30;
inline constexpr uint32_t kRecordAlign = 8;
// Bounds the gate honours whatever the header says (so a record always fits in
// half of the smallest ring: 6 payloads of 4096 + headers < 32 KiB).
inline constexpr uint32_t kMaxPathBytes = 4096;
inline constexpr uint32_t kMaxDataBytes = 4096;
// sysgate trace -e read=SET / -e write=SET: a dumped call's whole buffer, up to
// this, and never more than leaves a record within half the region's rings
// (max_dump_bytes).
inline constexpr uint32_t kMaxDumpBytes = 1u << 20;
inline constexpr uint32_t kDumpFdNumbers = 1024;  // descriptors 0..1023 can be dumped

enum RingState : uint32_t {
  kRingFree = 0,
  kRingClaiming = 1,
  kRingOwned = 2,
  kRingReleased = 3,
};

inline constexpr uint32_t kRaiseByTgkill = 1, kRaiseBySigqueue = 2;  // RegionHeader::raise_again

inline constexpr int kCallMaskNumbers = 512;  // calls numbered at or above it are never recorded when masked

// sysgate trace -e inject=SET:...: what the gate does to a call a rule selects
// (strace's syscall tampering). Only calls the trace records are counted and
// tampered with, as strace 6 does.
enum InjectFlags : uint16_t {
  kInjectReturn = 1,  // the call is not made: it returns `ret` (-errno for error=, or retval=)
};

struct InjectRule {
  int64_t ret;              // with kInjectReturn: what the call returns
  // Which invocations, counted per thread and syscall from 1 (strace's when=):
  // first, then every step-th after it up to last.
  uint32_t first;           // >= 1
  uint32_t last;            // 0: no last
  uint32_t step;            // 0: first only
  uint16_t flags;           // InjectFlags
  uint8_t signal;           // sent to the calling thread once the call returned; 0: none
  uint8_t reserved;
  uint64_t delay_enter_ns;  // slept before the call
  uint64_t delay_exit_ns;   // slept after it
};
static_assert(sizeof(InjectRule) == 40);
inline constexpr uint32_t kMaxInjectRules = 16;

struct InjectTable {
  uint32_t rule_count;  // 0: no injection
  uint32_t reserved;
  InjectRule rules[kMaxInjectRules];
  uint8_t rule_of[kCallMaskNumbers];  // per syscall number: its rule's index + 1; 0: none
};
static_assert(sizeof(InjectTable) == 8 + 40 * 16 + 512);

struct RegionHeader {
  // Written once by the monitor before the region is handed to the gate.
  uint64_t magic;            // kRegionMagic
  uint32_t version;          // kRegionVersion
  uint32_t header_bytes;     // kRegionHeaderBytes
  uint64_t region_bytes;     // size of the memfd and of the mapping
  uint32_t ring_count;
  uint32_t ring_bytes;       // data bytes per ring: power of two in [kMinRingBytes, kMaxRingBytes]
  uint64_t controls_offset;  // RingControl[ring_count], 64-byte aligned
  uint64_t data_offset;      // ring i's data at data_offset + i * ring_bytes
  uint32_t max_path;         // bytes of a path argument copied into a record (<= kMaxPathBytes)
  uint32_t max_data;         // bytes of a data buffer or other string copied (<= kMaxDataBytes; strace -s)
  uint8_t reserved0[8];

  // Cache line 1: waking the reader.
  uint32_t reader_sleeping;  // reader: 1 before it sleeps on data_seq; a writer swaps it to 0
  uint32_t data_seq;         // futex word the reader sleeps on
  uint32_t reader_detached;  // reader: 1 when it stops reading; writers then drop instead of waiting
  uint32_t reserved1;
  uint64_t dropped_records;  // writers: records dropped because the reader had detached
  uint8_t reserved2[40];

  // Cache line 2: waiting for a free ring.
  uint32_t free_seq;          // futex word claimers sleep on when no ring is free
  uint32_t claimers_waiting;  // claimer: 1 before it sleeps; the reader wakes free_seq when set
  // A writer that waits until the reader took its records (trace -k at exit
  // and exec, -yy after socket calls) bumps this and wakes it: the monitor,
  // which otherwise only looks now and then, then looks at once.
  uint32_t drain_seq;
  uint8_t reserved3[52];

  // Cache lines 3-4, written once by the monitor: which completed calls get a
  // record (sysgate trace -e trace=SET). Bit nr % 64 of call_mask[nr / 64];
  // record_all_calls = 1 ignores the mask. Whatever the mask says, execve and
  // execveat are recorded (the monitor pairs them with their enter records),
  // and enter, exit, signal and count records are always written.
  uint32_t record_all_calls;
  // 1: a completed call's record also carries the TSC the gate read just before
  // making the call (kPayloadEnterTsc), for sysgate trace -T.
  uint32_t time_calls;
  // 1: call, enter, exit and signal records also carry the address after the
  // syscall instruction (where the program resumes) as kPayloadIp, for
  // sysgate trace -i. 0 in headers of monitors older than the field.
  uint32_t record_ip;
  // 1: a successful socket, accept, accept4, socketpair, pipe or pipe2 record also carries
  // the inode numbers of the descriptors it made (kPayloadFdInodes), for
  // sysgate trace -y: the monitor may read the record after they are closed.
  uint32_t record_fd_inodes;
  // 1: sysgate trace -v: the stat family's whole struct, and an exec's
  // environment strings (kPayloadStringArray) instead of its size.
  uint32_t verbose;
  // sysgate trace -k: bytes of the program's stack a call, enter, exit or
  // signal record also copies (kPayloadStack), from its stack pointer up, with the
  // registers an unwinder starts from; at most kMaxStackBytes. 0: none. The
  // gate then also waits, at exit and exec, until the reader has taken every
  // record of the thread (the monitor reads the process's mappings then).
  uint32_t stack_bytes;
  // 1: sysgate trace -yy: after the record of a call that makes a socket or
  // sets its addresses (socket, socketpair, accept, accept4, bind, connect,
  // listen), the gate waits until the reader has taken it: the monitor asks
  // the kernel about the socket then, while it is as the call left it.
  uint32_t wait_after_socket_calls;  // which calls: sets_up_socket()
  // How the gate may raise again a signal whose default action ends the
  // process, after recording its delivery (signals.h, the observer): 0, it
  // may not (the policy does not allow the call for every argument: the gate
  // then leaves those actions alone); kRaiseByTgkill; kRaiseBySigqueue
  // (rt_tgsigqueueinfo, keeping the siginfo). Set by the monitor from the policy.
  uint32_t raise_again;
  uint8_t reserved4[32];
  uint64_t call_mask[8];

  // Written once by the monitor: sysgate trace -e inject= (zero: none). The gate
  // copies it when it installs.
  InjectTable inject;

  // Written once by the monitor: sysgate trace -e read=SET / -e write=SET.
  // A successful read, pread64 or recvfrom on a descriptor in dump_read_fds
  // (bit fd % 64 of word fd / 64) copies the bytes it read, and a write,
  // pwrite64 or sendto on one in dump_write_fds the bytes it was given, up to
  // dump_bytes (<= kMaxDumpBytes) instead of max_data. 0: no dumps.
  uint32_t dump_bytes;
  uint32_t reserved5;
  uint64_t dump_read_fds[kDumpFdNumbers / 64];
  uint64_t dump_write_fds[kDumpFdNumbers / 64];
};
static_assert(sizeof(RegionHeader) == 320 + sizeof(InjectTable) + 8 + 256);
static_assert(sizeof(RegionHeader) <= kRegionHeaderBytes);
static_assert(offsetof(RegionHeader, max_path) == 48);
static_assert(offsetof(RegionHeader, reader_sleeping) == 64);
static_assert(offsetof(RegionHeader, free_seq) == 128);
static_assert(offsetof(RegionHeader, call_mask) == 256);
static_assert(offsetof(RegionHeader, inject) == 320);

struct RingControl {
  // Cache line 0: ownership (gate claims, reader frees).
  uint32_t state;       // RingState
  uint32_t generation;  // bumped by every claim
  int32_t owner_tid;    // thread id of the owner (as the gate saw it)
  int32_t owner_pid;    // its process id
  uint8_t reserved0[48];

  // Cache line 1: the writer's side.
  uint64_t head;             // bytes published (absolute)
  uint32_t writer_waiting;   // writer: 1 while it sleeps on space_seq
  uint32_t reserved1;
  uint64_t records_written;  // records published, pads excluded (for cross-checks)
  uint8_t reserved2[40];

  // Cache line 2: the reader's side.
  uint64_t tail;       // bytes consumed (absolute)
  uint32_t space_seq;  // futex word a writer sleeps on when the ring is full
  uint8_t reserved3[52];

  // Cache line 3: the call the owner waits in (the gate writes it before a
  // call that may block and clears it as the call returns; the monitor reads
  // it only when the owner's process recorded its exit_group). A thread that
  // exit_group ends in its call leaves it here: strace's "<... resumed>) = ?".
  int32_t open_call_tid;  // written last; 0: in no call
  int32_t open_call_nr;
  uint64_t open_call_args[6];
  uint8_t reserved4[8];
};
static_assert(sizeof(RingControl) == kRingControlBytes);
static_assert(offsetof(RingControl, open_call_tid) == 192);
static_assert(offsetof(RingControl, head) == 64);
static_assert(offsetof(RingControl, tail) == 128);

enum RecordKind : uint16_t {
  kRecordPad = 1,           // filler up to the end of the data area; skip `size` bytes
  kRecordSyscall = 2,       // a completed syscall: args, ret, payloads
  kRecordSyscallEnter = 3,  // a syscall that may not return (execve, execveat); ret is 0.
                            // If it fails, a kRecordSyscall with the error follows.
  kRecordExit = 4,          // exit / exit_group: written just before the call; args[0] = status
  kRecordSignal = 5,        // a signal entering a program handler: nr = the signal,
                            // args = the first 48 bytes of its siginfo; ret 0
  kRecordRewriteCounts = 6,  // what the gate's site rewriter did since the process's
                             // previous one (written at exit_group and before an exec);
                             // nr = -1, args = RewriteCountsArg-indexed counts; ret 0
  kRecordKilled = 7,  // made by the monitor, never read from a ring (record.cc rejects it): a
                      // traced process other than the first was killed by signal nr;
                      // args[0] = 1 if it dumped core (monitor/process_deaths.h)
  kRecordImageStarted = 8,  // the loader armed a gate in a new image, before its first
                            // instruction: the exec that made it worked; nr = -1, ret 0,
                            // args[0] = the tid that exec'd (0: not known)
};

// The calls after which a writer waits with RegionHeader::wait_after_socket_calls
// (trace -yy), and after which the monitor asks about their sockets: those that
// make a socket or set its addresses. One list for both sides.
inline constexpr bool sets_up_socket(long nr) {
  return nr == __NR_socket || nr == __NR_socketpair || nr == __NR_accept || nr == __NR_accept4 ||
         nr == __NR_bind || nr == __NR_connect || nr == __NR_listen;
}

// args of a kRecordRewriteCounts record. Calls are counted per thread and added
// up when the thread exits: at exit_group, threads still running are not in it.
enum RewriteCountsArg {
  kCountSitesRewritten = 0,  // syscall sites moved onto a trampoline
  kCountTrampolineCalls,     // calls that entered the gate through a rewritten site
  kCountTrapCalls,           // calls that came through the SIGSYS trap (first hits included)
  kCountRefusedShape,        // sites left on the trap path: not `mov $nr,%eax; syscall`
  kCountRefusedNumber,       // ... a call the gate must see on the trap path (signals, exec, ...)
  kCountRefusedOther,        // ... any other reason (no function info, decode, patch failed, ...)
};

enum RecordFlags : uint16_t {
  kRecordEmulated = 1,        // the gate answered itself (virtualised signal state, clone3)
  kRecordPayloadSkipped = 2,  // an argument's memory was unreadable, or copying was disabled
  kRecordInjected = 4,        // the call was not made: its result is a rule's (trace -e inject=)
  kRecordDelayed = 8,         // a rule delayed the call (trace -e inject=...:delay_enter= / delay_exit=)
  // A program signal's delivery interrupted the call (the signal wrapper wrote
  // the record, trace_emit.h's PendingCall): ret is -EINTR as the program got
  // it, or -ERESTARTSYS (512) for a call the kernel restarts after the handler
  // (its own record follows). trace/restart_code.h shows strace's code.
  kRecordInterrupted = 16,
  // The first record an image wrote from its own process (the gate's
  // GateProcess::first_record_pending): the sign that the exec which made the
  // image worked, for when its kRecordImageStarted found no free ring. Another
  // thread's record, while a thread's exec is pending, does not carry it.
  kRecordFirstOfImage = 32,
};

struct RecordHeader {
  uint32_t size;           // bytes of the whole record incl. payloads, multiple of 8
  uint16_t kind;           // RecordKind
  uint16_t flags;          // RecordFlags
  int32_t tid;
  int32_t pid;
  int32_t nr;              // syscall number (as trapped)
  uint16_t payload_count;  // PayloadHeaders that follow this header
  uint16_t reserved;
  uint64_t args[6];        // rdi rsi rdx r10 r8 r9 as the program passed them
  int64_t ret;             // rax as returned to the program (-errno on failure)
  uint64_t tsc;            // rdtsc when the record was written; 0 if the program disabled TSC
};
static_assert(sizeof(RecordHeader) == 88);
static_assert(offsetof(RecordHeader, args) == 24);
static_assert(offsetof(RecordHeader, ret) == 72);

enum PayloadKind : uint8_t {
  kPayloadPath = 1,     // NUL-terminated path argument (bytes exclude the NUL)
  kPayloadString = 2,   // other NUL-terminated string argument
  kPayloadDataIn = 3,   // bytes the kernel read (write's buf), up to max_data
  kPayloadDataOut = 4,  // bytes the kernel wrote (read's buf), up to max_data and ret
  kPayloadStructIn = 5,   // a struct the kernel read (rt_sigaction's act, connect's
                          // address), whole, up to kMaxStructBytes
  kPayloadStructOut = 6,  // a struct the kernel wrote (stat's buf, pipe's fds), whole,
                          // only after a successful call
  kPayloadStringArray = 7,  // an exec's argv: per string a flag byte (1: cut), its bytes,
                            // a NUL; at most kMaxPathBytes in all
  kPayloadArrayCount = 8,   // an exec's envp: 8 bytes, its number of entries
  kPayloadEnterTsc = 9,     // no argument's (arg 0, addr 0): 8 bytes, the TSC read just
                            // before the call was made (RegionHeader::time_calls); last
                            // but for kPayloadIp
  kPayloadIp = 10,          // no argument's (arg 0, addr 0): 8 bytes, the address after
                            // the call's syscall instruction, or for a signal where the
                            // program was interrupted (RegionHeader::record_ip); last
  kPayloadFdInodes = 11,    // no argument's (arg 0, addr 0): 8 bytes per descriptor the
                            // call made (its result; pipe's two), st_ino as fstat gave it
                            // then, 0 where fstat failed (RegionHeader::record_fd_inodes)
  kPayloadIovec = 12,       // an iovec array (readv, writev, preadv, pwritev, preadv2,
                            // pwritev2: arg 1): u32 elements described, u32 0, then per
                            // element u64 iov_base, u64 iov_len, u32 bytes copied, u32
                            // IovecFlags, the bytes padded to 8; zero bytes may follow the
                            // last element. See kMaxIovecElements.
  kPayloadBefore = 13,      // (arg: the argument, addr: its value) 8 bytes: the u32 it
                            // pointed to just before the call, for an in/out length that
                            // strace shows as "[128 => 16]" (getsockname's, accept's,
                            // recvfrom's addrlen); after the argument payloads, before
                            // kPayloadFdInodes
  kPayloadMsghdr = 14,      // sendmsg's or recvmsg's struct msghdr (arg 1): the 56-byte
                            // msghdr, u32 address bytes, u32 0, the address padded to 8,
                            // then msg_iov in kPayloadIovec's layout (gate/msghdr_payload.h)
  kPayloadInOut = 15,       // a struct the call reads and then overwrites (select's and
                            // pselect6's fd sets and timeout, ppoll's timeout), copied before
                            // the call, then, once more after a successful call (twice the
                            // bytes); pselect6's sixth argument: its 16 bytes and the 8 of
                            // the set they point to (gate/call_snapshot.h)
  kPayloadStack = 16,       // no argument's (arg 0, addr: the stack pointer): StackRegisters
                            // (the program's registers at its syscall instruction, or where a
                            // signal found it; kPayloadStackOuter: two sets), then the
                            // bytes of its stack from the stack pointer up, up to
                            // RegionHeader::stack_bytes and the first unreadable page;
                            // after the argument payloads, before kPayloadBefore
};
// kPayloadMsghdr's control messages: at most this many bytes are copied.
inline constexpr uint32_t kMaxMsgControlBytes = 1024;
// kPayloadInOut's bound: an fd set of 1024 descriptors, before and after.
inline constexpr uint32_t kMaxInOutBytes = 256;
// A record carries at most one payload per argument, kPayloadStack,
// kPayloadBefore, kPayloadFdInodes, kPayloadEnterTsc and kPayloadIp.
inline constexpr uint32_t kMaxPayloads = 11;

// kPayloadStack: where an unwinder starts, as the program's syscall
// instruction left them (rip: the address after it), then the stack bytes.
struct StackRegisters {
  uint64_t rip, rsp, rbp, rbx, r12, r13, r14, r15;
};
static_assert(sizeof(StackRegisters) == 64);
// The most stack a record copies (sysgate trace -k); less where the record
// would not fit within half a ring with its other payloads.
inline constexpr uint32_t kMaxStackBytes = 32 * 1024;

// kPayloadIovec: a dumped call's (dump_bytes) first kMaxIovecElements elements
// (UIO_MAXIOV) with up to dump_bytes of data; any other call's first
// kMaxIovecShownElements with up to kMaxIovecDataBytes. Either way the record
// stays within half a ring.
inline constexpr uint32_t kMaxIovecElements = 1024;
inline constexpr uint32_t kMaxIovecShownElements = 256;
inline constexpr uint32_t kMaxIovecDataBytes = 16 * 1024;
inline constexpr uint32_t kIovecElementHeaderBytes = 24;
enum IovecFlags : uint32_t {
  kIovecNoData = 1,  // its data is not known: a readv that failed, or unreadable memory
};
inline constexpr uint32_t kMaxStructBytes = 512;

enum PayloadFlags : uint16_t {
  kPayloadTruncated = 1,  // string: no NUL within the bound; data: the buffer was longer
  // kPayloadStack: a second StackRegisters follows the first, the call of the
  // gate's that a program handler interrupted to make this one (the unwinder
  // goes on from it once it reaches the gate's code), then a u64: the bytes
  // of the first stack, which follow; the second's, from its rsp, after them.
  kPayloadStackOuter = 2,
};

struct PayloadHeader {
  uint32_t length;  // data bytes that follow (the record pads them to 8)
  uint8_t arg;      // argument index 0..5
  uint8_t kind;     // PayloadKind
  uint16_t flags;   // PayloadFlags
  uint64_t addr;    // the argument's value: the address the bytes were copied from
};
static_assert(sizeof(PayloadHeader) == 16);

// The largest data payload a region's records may carry: dump_bytes, within
// half a ring minus room for the record's other payloads.
inline constexpr uint32_t max_dump_bytes(uint32_t dump_bytes, uint32_t ring_bytes) {
  const uint32_t room = ring_bytes / 2 > 48 * 1024 ? ring_bytes / 2 - 48 * 1024 : 0;
  const uint32_t want = dump_bytes < kMaxDumpBytes ? dump_bytes : kMaxDumpBytes;
  return want < room ? want : room;
}

inline constexpr uint32_t align_record(uint32_t n) { return (n + (kRecordAlign - 1)) & ~(kRecordAlign - 1); }

// Conveniences that trust the header's geometry: for tests and tools. The gate
// and the reader use their own checked copies (a program can rewrite the header).
inline RingControl* ring_control(RegionHeader* region, uint32_t index) {
  return reinterpret_cast<RingControl*>(reinterpret_cast<uint8_t*>(region) + region->controls_offset) + index;
}
inline uint8_t* ring_data(RegionHeader* region, uint32_t index) {
  return reinterpret_cast<uint8_t*>(region) + region->data_offset + uint64_t{index} * region->ring_bytes;
}

}  // namespace sysgate::trace
