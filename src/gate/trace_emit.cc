// The gate's symbols are in this same library: reach them PC-relative, not
// through a GOT (the freestanding check refuses _GLOBAL_OFFSET_TABLE_). First,
// before another header brings gate.h in without the pragma.
#pragma GCC visibility push(hidden)
#include "gate/gate.h"
#pragma GCC visibility pop
#include "gate/trace_emit.h"

#include <asm/errno.h>
#include <asm/unistd.h>

#include "gate/app_memory.h"
#include "gate/arch/x86_64/kernel_abi.h"
#include "gate/call_before.h"
#include "gate/exec_args_payload.h"
#include "gate/io_dump.h"
#include "gate/iovec_payload.h"
#include "gate/msghdr_payload.h"
#include "gate/raw_syscall.h"
#include "gate/struct_payloads.h"
#include "gate/syscall_classes.h"
#include "gate/util.h"

namespace sysgate::gate {
namespace {

constexpr long kErestartSys = 512;  // the kernel's internal code (include/linux/errno.h)

struct PlannedPayload {
  uint64_t addr;
  uint32_t length;
  uint8_t arg;
  uint8_t kind;
  uint16_t flags;
  uint64_t value;   // kPayloadArrayCount: the count; kPayloadEnterTsc, kPayloadIp, kPayloadFdInodes: the 8 bytes
  uint64_t value2;  // kPayloadFdInodes of two descriptors: the second
  uint32_t value3;  // kPayloadMsghdr: the control messages' bytes
};

// An exec's argv and envp (exec_args_payload.h), in its enter record only.
bool plan_exec_arrays(long nr, int i, uint16_t kind, const uint64_t args[6], const TraceRegion& region,
                      PlannedPayload* out) {
  if (kind != trace::kRecordSyscallEnter) return false;
  const int argv_index = nr == __NR_execveat ? 2 : nr == __NR_execve ? 1 : -1;
  if (argv_index < 0 || (i != argv_index && i != argv_index + 1) || args[i] == 0) return false;
  out->addr = args[i];
  out->arg = static_cast<uint8_t>(i);
  out->flags = 0;
  out->value = 0;
  if (i == argv_index || region.verbose != 0) {  // trace -v: the environment's strings too
    out->kind = trace::kPayloadStringArray;
    out->length = argv_payload_size(args[i], region.max_data, &out->flags);
    return true;  // an empty environment shows as []
  }
  const int64_t n = pointer_array_count(args[i]);
  if (n < 0) return false;
  out->kind = trace::kPayloadArrayCount;
  out->length = 8;
  out->value = static_cast<uint64_t>(n);
  return true;
}

// Errors the kernel returns only after it copied the call's path and string
// arguments in (they come from looking the path up, or from the xattr value).
bool strings_were_read(long ret) {
  if (ret >= 0) return true;
  switch (-ret) {
    case ENOENT:
    case ENOTDIR:
    case EACCES:
    case ELOOP:
    case ENAMETOOLONG:
    case EEXIST:
    case EISDIR:
    case EROFS:
    case ENOTEMPTY:
    case EXDEV:
    case ETXTBSY:
    case ENXIO:
    case ENODEV:
    case EMLINK:
    case ENODATA:
    case ERANGE:
      return true;
    default:
      return false;
  }
}

// Calls whose buf_in return value counts the bytes consumed; for the others
// (setxattr, mq_timedsend, ...) success means the whole buffer was read.
bool returns_bytes_consumed(long nr) { return nr == __NR_write || nr == __NR_pwrite64 || nr == __NR_sendto; }

uint64_t min64(uint64_t a, uint64_t b) { return a < b ? a : b; }

// Entries in the bytes [p, p + n) getdents/getdents64 just wrote: both
// structures keep the record length (u16) at offset 16. -1 when the chain
// does not end exactly at n (another thread rewrote it, or n is 0).
int64_t count_dirents(uint64_t p, uint64_t n) {
  if (n == 0) return -1;
  const uint8_t* b = reinterpret_cast<const uint8_t*>(p);
  uint64_t at = 0;
  int64_t count = 0;
  while (at < n) {
    if (n - at < 18) return -1;
    const uint64_t reclen = uint64_t{b[at + 16]} | uint64_t{b[at + 17]} << 8;
    if (reclen < 18 || reclen > n - at) return -1;
    at += reclen;
    ++count;
  }
  return count;
}

// trace -k: the program's registers and as much of its stack, from its stack
// pointer up, as stack_bytes asks, the memory lets us read, and leaves the
// record (bytes so far) within half a ring with room for the 8-byte values
// that follow it. The registers are copied from value, the stack from addr.
bool plan_stack(const TraceRegion& region, const CallRegisters* registers, uint32_t bytes, PlannedPayload* out) {
  constexpr uint32_t kValuesRoom = 4 * (sizeof(trace::PayloadHeader) + 16);
  // A handler's call inside another call of the gate's: that call's registers
  // and stack too (the handler may run on the gate's stack), where the
  // unwinder goes on once it reaches the gate's code; each stack gets half.
  const bool nested = registers->outer != nullptr;
  const uint32_t head_bytes = nested ? 2 * sizeof(trace::StackRegisters) + 8 : sizeof(trace::StackRegisters);
  const uint32_t fixed = bytes + sizeof(trace::PayloadHeader) + head_bytes + kValuesRoom;
  const uint32_t limit = max_record_bytes(region);
  if (fixed > limit) return false;
  auto readable_from = [](uint64_t sp, uint64_t want) -> uint64_t {
    return want != 0 && could_be_app_pointer(sp) ? app_readable_prefix(sp, want, 0) & ~uint64_t{7} : 0;
  };
  const uint64_t want = min64(region.stack_bytes, limit - fixed) & ~uint64_t{7};
  const uint64_t sp = registers->registers.rsp;
  const uint64_t inner = readable_from(sp, nested ? (want / 2) & ~uint64_t{7} : want);
  const uint64_t outer = nested ? readable_from(registers->outer->registers.rsp, want - inner) : 0;
  out->addr = sp;
  out->length = static_cast<uint32_t>(head_bytes + inner + outer);
  out->arg = 0;
  out->kind = trace::kPayloadStack;
  out->flags = nested ? trace::kPayloadStackOuter : 0;
  out->value = addr(registers);
  out->value2 = inner;
  return true;
}

}  // namespace

void set_call_registers(GateThread* t, CallRegisters* r, const arch::KernelUcontext* uc, uint64_t rip) {
  r->registers.rip = rip;
  r->registers.rsp = uc->mc.rsp;
  r->registers.rbp = uc->mc.rbp;
  r->registers.rbx = uc->mc.rbx;
  r->registers.r12 = uc->mc.r12;
  r->registers.r13 = uc->mc.r13;
  r->registers.r14 = uc->mc.r14;
  r->registers.r15 = uc->mc.r15;
  r->outer = t->call_registers;
  t->call_registers = r;
}

namespace {

// Bytes of a data buffer to copy: -s's, or a dump's (trace -e read=/write=).
uint64_t data_cap(long nr, const uint64_t args[6], const TraceRegion& region) {
  const uint32_t dump = io_dump_bytes(nr, args);
  return dump > region.max_data ? dump : region.max_data;
}

// Decides what to copy for argument i; false when nothing.
bool plan_payload(long nr, int i, uint16_t kind, const uint64_t args[6], long ret, const TraceRegion& region,
                  PlannedPayload* out, uint16_t* record_flags) {
  const uint64_t p = args[i];
  if (p == 0) return false;
  if (plan_exec_arrays(nr, i, kind, args, region, out)) return true;
  if (is_msghdr_call(nr)) {
    MsghdrPlan plan;
    if (i != 1 || kind != trace::kRecordSyscall ||
        !msghdr_plan(nr, args, ret, region.max_data, io_dump_bytes(nr, args), &plan)) {
      return false;
    }
    out->addr = p;
    out->arg = 1;
    out->kind = trace::kPayloadMsghdr;
    out->flags = 0;
    out->length = plan.bytes;
    out->value = uint64_t{plan.name_bytes} << 32 | plan.iov.elements;
    out->value2 = uint64_t{plan.iov.per_element} << 32 | plan.iov.budget;
    out->value3 = plan.control_bytes;
    return true;
  }
  if (is_iovec_call(nr)) {
    IovecPlan plan;
    if (i != 1 || kind != trace::kRecordSyscall ||
        !iovec_plan(nr, args, ret, region.max_data, io_dump_bytes(nr, args), &plan)) {
      return false;
    }
    out->addr = p;
    out->arg = 1;
    out->kind = trace::kPayloadIovec;
    out->flags = 0;
    out->length = plan.bytes;
    out->value = uint64_t{plan.elements} << 32 | plan.per_element;
    out->value2 = plan.budget;
    return true;
  }
  const bool after_call = kind == trace::kRecordSyscall;
  uint32_t payload_kind = arg_payload_kind(nr, i);
  if (payload_kind == 0) {
    StructPayload st;
    if (!struct_payload(nr, i, args, ret, &st)) return false;
    if (region.verbose != 0) st.bytes = verbose_struct_bytes(nr, st.bytes);  // trace -v
    if (st.kind == trace::kPayloadStructOut) {
      // Written by the kernel (or the gate's emulation) only if the call worked;
      // wait4 writes no status when it returns 0 (WNOHANG, nothing to report).
      if (!after_call || ret < 0 || (nr == __NR_wait4 && ret == 0)) return false;
    } else if (!(after_call && ret >= 0) && !app_probe_read(p, st.bytes)) {
      *record_flags |= trace::kRecordPayloadSkipped;
      return false;
    }
    out->addr = p;
    out->arg = static_cast<uint8_t>(i);
    out->kind = st.kind;
    out->flags = 0;
    out->length = st.bytes;
    out->value = 0;
    return true;
  }
  out->addr = p;
  out->arg = static_cast<uint8_t>(i);
  out->kind = static_cast<uint8_t>(payload_kind);
  out->flags = 0;
  switch (payload_kind) {
    case trace::kPayloadPath:
    case trace::kPayloadString: {
      const uint64_t max = payload_kind == trace::kPayloadPath ? region.max_path : region.max_data;
      // mount(2) may ignore its source string: never assume it was read.
      const bool trusted = after_call && nr != __NR_mount && strings_were_read(ret);
      // The kernel reads paths up to PATH_MAX (4096) bytes but some strings only
      // up to 256 (xattr names): trust no more than it surely read.
      const uint64_t trusted_bytes = !trusted ? 0 : payload_kind == trace::kPayloadPath ? max : min64(max, 256);
      bool terminated = false;
      const long n = app_string_length(p, max, trusted_bytes, &terminated);
      if (n < 0) {
        *record_flags |= trace::kRecordPayloadSkipped;
        return false;
      }
      out->length = static_cast<uint32_t>(n);
      if (!terminated) out->flags |= trace::kPayloadTruncated;
      return true;
    }
    case trace::kPayloadDataIn: {
      const int len_arg = arg_length_index(nr, i);
      if (len_arg < 0) return false;
      const uint64_t len = args[len_arg];
      const uint64_t want = min64(len, data_cap(nr, args, region));
      uint64_t trusted = 0;
      if (after_call && ret > 0 && returns_bytes_consumed(nr)) trusted = static_cast<uint64_t>(ret);
      if (after_call && ret >= 0 && !returns_bytes_consumed(nr)) trusted = len;
      const uint64_t n = app_readable_prefix(p, want, trusted);
      if (n < want) *record_flags |= trace::kRecordPayloadSkipped;
      out->length = static_cast<uint32_t>(n);
      if (n < len) out->flags |= trace::kPayloadTruncated;
      return n > 0 || len == 0;
    }
    case trace::kPayloadDataOut: {
      const int len_arg = arg_length_index(nr, i);
      if (!after_call || ret <= 0 || len_arg < 0) return false;
      if (nr == __NR_getdents64 || nr == __NR_getdents) {
        // strace shows how many entries the kernel wrote, not their bytes:
        // counted here, where the whole buffer is (the record would hold -s bytes).
        const int64_t entries = count_dirents(p, static_cast<uint64_t>(ret) <= (args[len_arg] & 0xffffffff) ? ret : 0);
        if (entries < 0) return false;
        out->kind = trace::kPayloadArrayCount;
        out->length = 8;
        out->value = static_cast<uint64_t>(entries);
        return true;
      }
      const uint64_t written = min64(static_cast<uint64_t>(ret), args[len_arg]);
      out->length = static_cast<uint32_t>(min64(written, data_cap(nr, args, region)));
      if (out->length < written) out->flags |= trace::kPayloadTruncated;
      return true;
    }
    default:
      return false;
  }
}

// Argument i's kPayloadInOut (call_snapshot.h): its bytes from before the call,
// then, after a call that worked and overwrote them, what they hold now. The
// kernel wrote fd sets back (readable); a timeout it may fail to write back
// (a read-only one) is probed.
void plan_in_out(long nr, int i, const uint64_t args[6], long ret, const CallSnapshot& snapshot, PlannedPayload* out) {
  const uint32_t n = snapshot.bytes[i];
  const bool timeout = (nr == __NR_select || nr == __NR_pselect6 || nr == __NR_ppoll) && i == (nr == __NR_ppoll ? 2 : 4);
  const bool after = snapshot.overwritten[i] != 0 && ret > 0 && (!timeout || app_probe_read(args[i], n));
  out->addr = args[i];
  out->arg = static_cast<uint8_t>(i);
  out->kind = trace::kPayloadInOut;
  out->flags = 0;
  out->length = after ? 2 * n : n;
  out->value = reinterpret_cast<uint64_t>(snapshot.data[i]);
  out->value2 = n;
}

// The first two descriptors a recvmsg just received (SCM_RIGHTS), from the
// struct msghdr at msg as the kernel left it; how many (0: none).
uint32_t scm_rights_received(uint64_t msg, int32_t fds[2]) {
  uint64_t header[6];  // msg_name, msg_namelen, msg_iov, msg_iovlen, msg_control, msg_controllen
  if (!app_probe_read(msg, sizeof header)) return 0;
  copy_bytes(header, reinterpret_cast<const void*>(msg), sizeof header);
  const uint64_t control = header[4];
  const uint64_t length = header[5] < 1024 ? header[5] : 1024;  // ring_format.h kMaxMsgControlBytes
  constexpr uint64_t kCmsghdr = 16;
  constexpr int32_t kSolSocket = 1, kScmRights = 1;
  uint32_t n = 0;
  for (uint64_t at = 0; at + kCmsghdr <= length && n < 2;) {
    uint64_t cmsg[2];  // cmsg_len; cmsg_level and cmsg_type
    if (!app_probe_read(control + at, sizeof cmsg)) return n;
    copy_bytes(cmsg, reinterpret_cast<const void*>(control + at), sizeof cmsg);
    const uint64_t len = cmsg[0];
    if (len < kCmsghdr || len > length - at) break;
    if (static_cast<int32_t>(cmsg[1]) == kSolSocket && static_cast<int32_t>(cmsg[1] >> 32) == kScmRights) {
      for (uint64_t d = kCmsghdr; d + 4 <= len && n < 2; d += 4) {
        if (!app_probe_read(control + at + d, 4)) return n;
        copy_bytes(&fds[n++], reinterpret_cast<const void*>(control + at + d), 4);
      }
    }
    at += (len + 7) & ~uint64_t{7};  // CMSG_ALIGN
  }
  return n;
}

// trace -y (RegionHeader::record_fd_inodes): the inode numbers of the
// descriptors a socket, accept, accept4, socketpair, pipe or pipe2 just made,
// or the first two a recvmsg received (SCM_RIGHTS), asked now,
// while the numbers surely name them: the monitor may read the record after
// the program closed them (a shell's pipe ends, a probe's socket). For a
// pty's slave opened through its master (ioctl TIOCGPTPEER), the pty's number
// plus one instead (its name is /dev/pts/N). How many descriptors there are
// (0: not such a call).
uint32_t made_fd_inodes(long nr, const uint64_t args[6], long ret, uint64_t out[2]) {
  int32_t fds[2] = {static_cast<int32_t>(ret), -1};
  uint32_t n = 1;
  constexpr uint32_t kTiocgptpeer = 0x5441, kTiocgptn = 0x80045430;
  switch (nr) {
    case __NR_recvmsg:
      n = scm_rights_received(args[1], fds);
      if (n == 0) return 0;
      break;
    case __NR_ioctl: {
      if (static_cast<uint32_t>(args[1]) != kTiocgptpeer) return 0;
      uint32_t index = 0;  // the master's number is its slave's
      out[0] = raw_syscall(__NR_ioctl, args[0], kTiocgptn, addr(&index)) == 0 ? uint64_t{index} + 1 : 0;
      return 1;
    }
    case __NR_socket:
    case __NR_accept:
    case __NR_accept4:
      break;
    case __NR_pipe:
    case __NR_pipe2:
    case __NR_socketpair:
      // The kernel just wrote them there (as the struct payload reads them).
      copy_bytes(fds, reinterpret_cast<const void*>(args[nr == __NR_socketpair ? 3 : 0]), sizeof fds);
      n = 2;
      break;
    default:
      return 0;
  }
  for (uint32_t i = 0; i < n; ++i) {
    uint64_t st[18];  // struct stat (144 bytes); st_ino at 8
    out[i] = raw_syscall(__NR_fstat, static_cast<uint64_t>(static_cast<int64_t>(fds[i])), addr(st)) == 0 ? st[1] : 0;
  }
  return n;
}

// Copies a payload of n bytes into the ring at dst (8-aligned) and zeroes its
// pad up to the next multiple of 8, with 8-byte moves: `rep movsb`/`rep stosb`
// cost tens of cycles to start on this CPU (AMD family 17h, no ERMS), for the
// ~50-byte paths and structs most records carry. Reads only src[0, n).
void copy_payload(uint8_t* dst, const uint8_t* src, uint32_t n) {
  const uint32_t padded = trace::align_record(n);
  if (padded == 0) return;
  const uint64_t zero = 0;
  __builtin_memcpy(dst + padded - 8, &zero, 8);  // the pad; data overwrite the rest of this word
  if (n < 8) {
    for (uint32_t i = 0; i < n; ++i) dst[i] = src[i];
    return;
  }
  uint32_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t w;
    __builtin_memcpy(&w, src + i, 8);
    __builtin_memcpy(dst + i, &w, 8);
  }
  if (i < n) {  // the last 8 data bytes again, overlapping: never past src + n
    uint64_t w;
    __builtin_memcpy(&w, src + n - 8, 8);
    __builtin_memcpy(dst + n - 8, &w, 8);
  }
}

// Ring writers by nesting depth: 0 is the thread's ring; a record started while
// another of the same thread is half written (a program signal handler
// interrupting a trampoline's record, see rewrite.h) goes to a nested ring, so
// each ring keeps exactly one writer in reserve..commit. Deeper nesting than
// two handlers inside records drops the record.
RingWriter* writer_for_depth(GateThread* t, uint32_t depth) {
  if (depth == 0) return &t->ring;
  if (depth > 2) return nullptr;
  if (t->nested_owner_tid != static_cast<uint32_t>(t->tid)) {
    // Fresh, or a forked copy whose nested rings are its parent's.
    zero_bytes(t->nested_rings, sizeof t->nested_rings);
    t->nested_owner_tid = static_cast<uint32_t>(t->tid);
  }
  return &t->nested_rings[depth - 1];
}

bool writer_ready(GateThread* t, RingWriter* w) {
  const TraceRegion& region = g_gate.region;
  if (region.header == nullptr || load_relaxed(&g_gate.detached) != 0) return false;
  if (w->control != nullptr && w->released == 0) return true;
  if (w->control != nullptr) return ring_reacquire(region, t->tid, t->pid, w);
  // More threads than rings: a thread that waited in vain once only looks
  // for a free ring after that; its records meanwhile are dropped and counted
  // (the monitor says how many at the end), where it used to wait forever
  // (63 threads at a barrier never got past it).
  const bool claimed = t->ring_claim_gave_up != 0 ? ring_try_claim(region, t->tid, t->pid, w)
                                                  : ring_claim(region, t->tid, t->pid, w, kClaimPatienceNs);
  if (!claimed && load_relaxed(&region.header->reader_detached) == 0) {
    t->ring_claim_gave_up = 1;
    __atomic_fetch_add(&region.header->dropped_records, uint64_t{1}, __ATOMIC_RELAXED);
  }
  return claimed;
}

void write_record(GateThread* t, RingWriter* w, uint16_t kind, uint16_t flags, long nr, const uint64_t args[6],
                  long ret, uint64_t enter_tsc, uint64_t ip, uint64_t before, const CallSnapshot* snapshot);

}  // namespace

bool trace_ring_ready(GateThread* t) { return writer_ready(t, &t->ring); }

void trace_image_started(GateThread* t, int32_t exec_tid) {
  const uint64_t args[6] = {static_cast<uint64_t>(exec_tid)};
  trace_syscall(t, trace::kRecordImageStarted, 0, -1, args, 0, 0, 0);
}

void trace_release_rings(GateThread* t) {
  // trace -k: the monitor unwinds each record's stack with the process's
  // mappings as it reads the record; after an exit or an exec they are gone.
  if (g_gate.region.stack_bytes != 0 && t->ring.control != nullptr && t->ring.released == 0) {
    ring_wait_drained(g_gate.region, &t->ring);
  }
  ring_release(&t->ring);
  if (t->nested_owner_tid == static_cast<uint32_t>(t->tid)) {
    for (RingWriter& w : t->nested_rings) {
      if (w.control != nullptr) ring_release(&w);
    }
  }
}

// How long a process waits for the monitor to read its records before a
// signal ends it or after a recvmsg's descriptors: a monitor killed without
// detaching never will (review D: the process then ignored SIGTERM).
constexpr uint64_t kReadPatienceNs = 1000ull * 1000 * 1000;

void trace_wait_read(GateThread* t) {
  const TraceRegion& region = g_gate.region;
  if (region.header == nullptr || load_relaxed(&g_gate.detached) != 0) return;
  // One patience for all: a ring not read in time means no reader.
  if (t->ring.control != nullptr && t->ring.released == 0 && !ring_wait_drained(region, &t->ring, kReadPatienceNs)) {
    return;
  }
  if (t->nested_owner_tid != static_cast<uint32_t>(t->tid)) return;
  for (RingWriter& w : t->nested_rings) {
    if (w.control != nullptr && w.released == 0 && !ring_wait_drained(region, &w, kReadPatienceNs)) return;
  }
}

// sysgate trace -e trace=SET: the completed calls outside the set get no record
// (execve and execveat always do: the monitor pairs them with their enter
// records; so do the calls that make tasks: the monitor counts the tasks it
// traces, as strace, for its pid prefixes and exit lines).
static bool call_selected(const TraceRegion& region, long nr) {
  if (region.record_all_calls != 0 || nr == __NR_execve || nr == __NR_execveat || nr == __NR_clone ||
      nr == __NR_fork || nr == __NR_vfork) {
    return true;
  }
  if (nr < 0 || nr >= trace::kCallMaskNumbers) return false;
  return (region.call_mask[nr / 64] >> (nr % 64) & 1) != 0;
}

namespace {

// The pending call has its record now (and a fatal signal's observer may end
// the process next): it no longer shows as a call the thread waits in. A call
// the kernel restarts after a handler is not marked again.
void close_open_call(GateThread* t) { ring_close_call(&t->ring); }

}  // namespace

void trace_pending_call(GateThread* t, const void* context) {
  PendingCall* p = t->pending_call;
  if (p == nullptr || p->recorded != 0 || context == nullptr) return;
  // At the instruction after the gate's syscall: the call is over (a call the
  // kernel restarts after the handler is back at the syscall instruction).
  const arch::KernelUcontext* uc = static_cast<const arch::KernelUcontext*>(context);
  if (p->via_stub != 0 && *reinterpret_cast<const uint64_t*>(uc->mc.rsp) != addr(sysgate_gate_blocking_call_return)) {
    return;
  }
  const long rax = static_cast<long>(uc->mc.rax);
  if (uc->mc.rip == addr(sysgate_gate_syscall_insn)) {
    // Back at the syscall instruction with the number in rax and the rcx the
    // syscall left (the gate zeroes rcx before it): the kernel restarts the
    // call after this handler (SA_RESTART). strace shows "= ? ERESTARTSYS",
    // the signal, then the restarted call, whose record the gate writes as usual.
    if (rax != p->nr || uc->mc.rcx != addr(sysgate_gate_syscall_begin)) return;
    close_open_call(t);
    trace_syscall(t, trace::kRecordSyscall, static_cast<uint16_t>(p->flags | trace::kRecordInterrupted), p->nr,
                  p->args, -kErestartSys, p->enter_tsc, p->ip, p->before, nullptr);
    return;
  }
  if (uc->mc.rip != addr(sysgate_gate_syscall_begin)) return;
  p->recorded = 1;
  close_open_call(t);
  const uint16_t interrupted = rax == -EINTR ? trace::kRecordInterrupted : 0;
  trace_syscall(t, trace::kRecordSyscall, static_cast<uint16_t>(p->flags | interrupted), p->nr, p->args, rax,
                p->enter_tsc, p->ip, p->before, p->snapshot);
}

void open_call_begin(GateThread* t, long nr, const uint64_t args[6], OpenCallMark* mark) {
  mark->control = nullptr;
  const TraceRegion& region = g_gate.region;
  if (region.header == nullptr || load_relaxed(&g_gate.detached) != 0) return;
  RingWriter* w = &t->ring;
  if (w->control == nullptr) {
    // A call -e trace= selects takes a ring for its record anyway: take it
    // now if one is free, never waiting (a wait here could hold the program
    // before a call another thread waits for), with every signal blocked (a
    // handler's record would take it through this same writer), and not
    // while this thread is writing a record.
    if (t->record_depth != 0 || !call_selected(region, nr)) return;
    uint64_t all = arch::kAllSignals;
    uint64_t mask = 0;
    raw_syscall(__NR_rt_sigprocmask, SIG_SETMASK, addr(&all), addr(&mask), 8);
    if (w->control == nullptr) ring_try_claim(region, t->tid, t->pid, w);
    raw_syscall(__NR_rt_sigprocmask, SIG_SETMASK, addr(&mask), 0, 8);
    if (w->control == nullptr) return;
  }
  if (w->released != 0) return;
  mark->control = w->control;
  ring_open_call(w, t->tid, nr, args);
}

void open_call_end(GateThread* t, const OpenCallMark& mark) {
  // Not once released (a -b execve image's one record, written by a signal
  // handler during the call, gives it back): it may be another thread's now.
  if (mark.control != nullptr && t->ring.control == mark.control && t->ring.released == 0) ring_close_call(&t->ring);
}

uint64_t call_enter_tsc(const GateThread* t) {
  if (g_gate.region.header == nullptr || g_gate.region.time_calls == 0 || t->tsc_disabled != 0) return 0;
  return read_tsc();
}

void trace_syscall(GateThread* t, uint16_t kind, uint16_t flags, long nr, const uint64_t args[6], long ret,
                   uint64_t enter_tsc, uint64_t ip, uint64_t before, const CallSnapshot* snapshot) {
  if (g_gate.region.header == nullptr || load_relaxed(&g_gate.detached) != 0) return;
  // An image a detaching exec made writes its first record whatever -e
  // trace= selects (that record is how the monitor learns the exec worked),
  // and its children none.
  const bool detaching = g_gate.detach_after_record != 0;
  if (detaching && t->pid != g_gate.image_pid) return;
  if (kind == trace::kRecordSyscall && !detaching && !call_selected(g_gate.region, nr)) return;
  // One store each way: a signal handler that interrupts between the load and
  // the store records at the same depth and finishes before we go on.
  volatile uint32_t* depth_word = &t->record_depth;
  uint32_t depth = *depth_word;
  // A handler that interrupts a record runs below it; one that left by
  // siglongjmp abandoned it (and its own records' depths): the next record
  // then starts at or above the abandoned one's frame, on the gate stack.
  // Without this, every later record of the thread went to a nested ring
  // and, past two, nowhere (a longjmp loop kept 61 of 20 000 signal lines).
  const uint64_t here = addr(__builtin_frame_address(0));
  const uint64_t stack_begin = addr(t->stack), stack_end = stack_begin + t->stack_bytes;
  const bool here_on_gate_stack = here >= stack_begin && here < stack_end;
  while (here_on_gate_stack && depth > 0 && depth <= 3 && t->record_frame[depth - 1] >= stack_begin &&
         t->record_frame[depth - 1] <= here) {
    --depth;
  }
  if (depth < 3) t->record_frame[depth] = here;
  *depth_word = depth + 1;
  asm volatile("" ::: "memory");
  RingWriter* w = writer_for_depth(t, depth);
  bool first_of_image = false;
  if (w != nullptr && writer_ready(t, w)) {
    first_of_image = load_relaxed(&g_gate.first_record_pending) != 0 && t->pid == g_gate.image_pid &&
                     __atomic_exchange_n(&g_gate.first_record_pending, 0u, __ATOMIC_RELAXED) != 0;
    const uint16_t f = first_of_image ? static_cast<uint16_t>(flags | trace::kRecordFirstOfImage) : flags;
    write_record(t, w, kind, f, nr, args, ret, enter_tsc, ip, before, snapshot);
  }
  asm volatile("" ::: "memory");
  *depth_word = depth;
  // trace -b execve: the one record is out; its ring goes back to the pool
  // (not from inside another record's writing: depth 0).
  if (first_of_image && detaching) {
    store_release(&g_gate.detached, 1u);
    if (depth == 0) trace_release_rings(t);
  }
}

namespace {

void write_record(GateThread* t, RingWriter* w, uint16_t kind, uint16_t flags, long nr, const uint64_t args[6],
                  long ret, uint64_t enter_tsc, uint64_t ip, uint64_t before, const CallSnapshot* snapshot) {
  const TraceRegion& region = g_gate.region;
  if (kind != trace::kRecordSyscall || (snapshot != nullptr && snapshot->any == 0)) snapshot = nullptr;

  PlannedPayload payloads[trace::kMaxPayloads];
  uint32_t count = 0;
  uint32_t bytes = sizeof(trace::RecordHeader);
  const bool is_call = kind == trace::kRecordSyscall || kind == trace::kRecordSyscallEnter || kind == trace::kRecordExit;
  const bool exec_enter = kind == trace::kRecordSyscallEnter && (nr == __NR_execve || nr == __NR_execveat);
  const bool arg_payloads = has_arg_payloads(nr);
  const bool others =
      has_struct_payloads(nr) || exec_enter || is_iovec_call(nr) || is_msghdr_call(nr) || snapshot != nullptr;
  if ((g_gate.flags & kGateNoPayloads) == 0 && is_call && (arg_payloads || others)) {
    for (int i = 0; i < 6; ++i) {
      // Only arguments that may carry something: a pointer-typed one, or any of
      // a call with structs (asked per argument below).
      if (args[i] == 0 || (!others && arg_payload_kind(nr, i) == 0)) continue;
      if (!could_be_app_pointer(args[i])) {  // AT_FDCWD, flags, lengths; or a bad pointer
        if (arg_payload_kind(nr, i) != 0) flags |= trace::kRecordPayloadSkipped;
        continue;
      }
      if (snapshot != nullptr && snapshot->taken[i] != 0) {
        plan_in_out(nr, i, args, ret, *snapshot, &payloads[count]);
        bytes += sizeof(trace::PayloadHeader) + trace::align_record(payloads[count].length);
        ++count;
        continue;
      }
      if (plan_payload(nr, i, kind, args, ret, region, &payloads[count], &flags)) {
        bytes += sizeof(trace::PayloadHeader) + trace::align_record(payloads[count].length);
        ++count;
      }
    }
  }

  if (region.stack_bytes != 0 && (is_call || kind == trace::kRecordSignal) && t->call_registers != nullptr &&
      plan_stack(region, t->call_registers, bytes, &payloads[count])) {  // trace -k
    bytes += sizeof(trace::PayloadHeader) + payloads[count].length;
    ++count;
  }

  // Payloads of no argument, each 8 bytes a value (two for two inodes), in
  // the order ring_format.h fixes: inodes, enter time, instruction pointer.
  auto add_values = [&](uint8_t payload_kind, uint64_t value, uint64_t value2, uint32_t values) {
    PlannedPayload& e = payloads[count++];
    e.addr = 0;
    e.length = 8 * values;
    e.arg = 0;
    e.kind = payload_kind;
    e.flags = 0;
    e.value = value;
    e.value2 = value2;
    bytes += sizeof(trace::PayloadHeader) + e.length;
  };
  uint64_t inodes[2] = {0, 0};
  const uint32_t made = region.record_fd_inodes != 0 && kind == trace::kRecordSyscall && ret >= 0
                            ? made_fd_inodes(nr, args, ret, inodes)
                            : 0;
  if ((before & kBeforeValid) != 0 && kind == trace::kRecordSyscall) {  // "[128 => 16]"
    add_values(trace::kPayloadBefore, before_value(before), 0, 1);
    payloads[count - 1].arg = static_cast<uint8_t>(before_arg(before));
    payloads[count - 1].addr = args[before_arg(before)];
  }
  if (made != 0) add_values(trace::kPayloadFdInodes, inodes[0], inodes[1], made);  // trace -y
  if (enter_tsc != 0 && kind == trace::kRecordSyscall) add_values(trace::kPayloadEnterTsc, enter_tsc, 0, 1);  // -T
  if (ip != 0 && region.record_ip != 0 && (is_call || kind == trace::kRecordSignal)) {
    add_values(trace::kPayloadIp, ip, 0, 1);  // trace -i
  }

  uint8_t* p = ring_reserve(region, w, bytes);
  if (p == nullptr) return;  // the reader detached
  trace::RecordHeader* h = reinterpret_cast<trace::RecordHeader*>(p);
  h->size = bytes;
  h->kind = kind;
  h->flags = flags;
  h->tid = t->tid;
  h->pid = t->pid;
  h->nr = static_cast<int32_t>(nr);
  h->payload_count = static_cast<uint16_t>(count);
  h->reserved = 0;
  for (int i = 0; i < 6; ++i) h->args[i] = args[i];
  h->ret = ret;
  h->tsc = t->tsc_disabled != 0 ? 0 : read_tsc();
  uint8_t* cursor = p + sizeof(trace::RecordHeader);
  for (uint32_t i = 0; i < count; ++i) {
    trace::PayloadHeader* ph = reinterpret_cast<trace::PayloadHeader*>(cursor);
    ph->length = payloads[i].length;
    ph->arg = payloads[i].arg;
    ph->kind = payloads[i].kind;
    ph->flags = payloads[i].flags;
    ph->addr = payloads[i].addr;
    cursor += sizeof(trace::PayloadHeader);
    const uint32_t padded = trace::align_record(payloads[i].length);
    if (payloads[i].kind == trace::kPayloadStringArray) {
      argv_payload_copy(payloads[i].addr, region.max_data, cursor, payloads[i].length);
      zero_bytes(cursor + payloads[i].length, padded - payloads[i].length);
    } else if (payloads[i].kind == trace::kPayloadMsghdr) {
      MsghdrPlan plan;
      plan.bytes = payloads[i].length;
      plan.name_bytes = static_cast<uint32_t>(payloads[i].value >> 32);
      plan.control_bytes = payloads[i].value3;
      plan.iov.elements = static_cast<uint32_t>(payloads[i].value);
      plan.iov.per_element = static_cast<uint32_t>(payloads[i].value2 >> 32);
      plan.iov.budget = static_cast<uint32_t>(payloads[i].value2);
      plan.iov.bytes =
          plan.bytes - 56 - 8 - trace::align_record(plan.name_bytes) - trace::align_record(plan.control_bytes);
      msghdr_copy(cursor, plan, nr, args, ret);
    } else if (payloads[i].kind == trace::kPayloadIovec) {
      const IovecPlan plan{payloads[i].length, static_cast<uint32_t>(payloads[i].value >> 32),
                           static_cast<uint32_t>(payloads[i].value), static_cast<uint32_t>(payloads[i].value2)};
      iovec_copy(cursor, plan, nr, args, ret);
    } else if (payloads[i].kind == trace::kPayloadInOut) {
      // Before the call (the snapshot), then after it: multiples of 8 bytes.
      const auto before_bytes = static_cast<uint32_t>(payloads[i].value2);
      copy_payload(cursor, reinterpret_cast<const uint8_t*>(payloads[i].value), before_bytes);
      if (payloads[i].length > before_bytes) {
        copy_payload(cursor + before_bytes, reinterpret_cast<const uint8_t*>(payloads[i].addr), before_bytes);
      }
    } else if (payloads[i].kind == trace::kPayloadStack) {
      constexpr uint32_t kRegisterBytes = sizeof(trace::StackRegisters);
      const auto* registers = reinterpret_cast<const CallRegisters*>(payloads[i].value);
      const auto inner = static_cast<uint32_t>(payloads[i].value2);
      copy_payload(cursor, reinterpret_cast<const uint8_t*>(&registers->registers), kRegisterBytes);
      if ((payloads[i].flags & trace::kPayloadStackOuter) == 0) {
        copy_payload(cursor + kRegisterBytes, reinterpret_cast<const uint8_t*>(payloads[i].addr), inner);
      } else {
        const uint64_t inner_bytes = inner;
        const uint32_t head = 2 * kRegisterBytes + 8;
        copy_payload(cursor + kRegisterBytes, reinterpret_cast<const uint8_t*>(&registers->outer->registers),
                     kRegisterBytes);
        copy_payload(cursor + 2 * kRegisterBytes, reinterpret_cast<const uint8_t*>(&inner_bytes), 8);
        copy_payload(cursor + head, reinterpret_cast<const uint8_t*>(payloads[i].addr), inner);
        copy_payload(cursor + head + inner, reinterpret_cast<const uint8_t*>(registers->outer->registers.rsp),
                     payloads[i].length - head - inner);
      }
    } else if (payloads[i].kind == trace::kPayloadArrayCount || payloads[i].kind == trace::kPayloadEnterTsc ||
               payloads[i].kind == trace::kPayloadBefore ||
               payloads[i].kind == trace::kPayloadIp || payloads[i].kind == trace::kPayloadFdInodes) {
      copy_payload(cursor, reinterpret_cast<const uint8_t*>(&payloads[i].value), 8);
      if (payloads[i].length == 16) copy_payload(cursor + 8, reinterpret_cast<const uint8_t*>(&payloads[i].value2), 8);
    } else {
      copy_payload(cursor, reinterpret_cast<const uint8_t*>(payloads[i].addr), payloads[i].length);
    }
    cursor += padded;
  }
  ring_commit(region, w);
  // trace -yy: the monitor looks the socket up as it reads this record; until
  // then the program must not change or close it.
  if (region.wait_after_socket_calls != 0 && kind == trace::kRecordSyscall && trace::sets_up_socket(nr)) {
    ring_wait_drained(region, w);
  } else if (made != 0 && nr == __NR_recvmsg) {
    // trace -y: likewise the descriptors SCM_RIGHTS brought, which the
    // monitor names by asking /proc (a path the gate cannot put in a record).
    ring_wait_drained(region, w, kReadPatienceNs);
  }
}

}  // namespace
}  // namespace sysgate::gate
