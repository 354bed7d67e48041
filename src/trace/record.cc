#include "trace/record.h"

#include <cstring>

namespace sysgate::trace {
namespace {

Error corrupt(const std::string& what) { return make_error(ErrorCode::kInvalidArgument, "corrupt record: " + what); }

// Payloads are added and dropped keeping their strings' memory: a record with
// fewer payloads than the last one must not free what the next one needs.
void resize_payloads(std::vector<Payload>& payloads, size_t count, std::vector<std::string>* spare) {
  constexpr size_t kMaxSpare = 64;
  while (payloads.size() > count) {
    if (spare != nullptr && spare->size() < kMaxSpare) spare->push_back(std::move(payloads.back().bytes));
    payloads.pop_back();
  }
  while (payloads.size() < count) {
    payloads.emplace_back();
    if (spare == nullptr || spare->empty()) continue;
    payloads.back().bytes = std::move(spare->back());
    spare->pop_back();
  }
}

bool is_record_kind(uint16_t kind) {
  return kind == kRecordSyscall || kind == kRecordSyscallEnter || kind == kRecordExit || kind == kRecordSignal ||
         kind == kRecordRewriteCounts || kind == kRecordImageStarted;
}

}  // namespace

const Payload* Record::payload(int arg) const {
  for (const Payload& p : payloads) {
    if (p.arg == arg) return &p;
  }
  return nullptr;
}

Result<void> decode_record_into(std::span<const uint8_t> bytes, const DecodeLimits& limits, Record& r,
                                std::vector<std::string>* spare) {
  RecordHeader h;
  if (bytes.size() < sizeof h) return corrupt("shorter than a header");
  std::memcpy(&h, bytes.data(), sizeof h);
  if (h.size < sizeof h || h.size % kRecordAlign != 0 || h.size > bytes.size()) {
    return corrupt("size " + std::to_string(h.size) + " out of range");
  }
  if (!is_record_kind(h.kind)) return corrupt("unknown kind " + std::to_string(h.kind));
  if (h.payload_count > kMaxPayloads) return corrupt("payload count " + std::to_string(h.payload_count));

  r.kind = static_cast<RecordKind>(h.kind);
  r.flags = h.flags;
  r.tid = h.tid;
  r.pid = h.pid;
  r.nr = h.nr;
  std::memcpy(r.args, h.args, sizeof r.args);
  r.ret = h.ret;
  r.tsc = h.tsc;
  r.enter_tsc = 0;
  r.ip = 0;
  r.fd_inodes[0] = r.fd_inodes[1] = 0;
  r.before_arg = -1;
  r.before_value = 0;
  r.extras.reset();

  size_t at = sizeof h;
  resize_payloads(r.payloads, h.payload_count, spare);
  uint32_t kept = 0;  // payloads of arguments (kPayloadFdInodes, kPayloadEnterTsc and kPayloadIp are not)
  bool inodes_seen = false;
  for (uint32_t i = 0; i < h.payload_count; ++i) {
    PayloadHeader ph;
    if (h.size - at < sizeof ph) return corrupt("payload header past the end");
    std::memcpy(&ph, bytes.data() + at, sizeof ph);
    at += sizeof ph;
    if (ph.arg >= 6) return corrupt("payload argument " + std::to_string(ph.arg));
    if (ph.kind < kPayloadPath || ph.kind > kPayloadStack) return corrupt("payload kind " + std::to_string(ph.kind));
    uint32_t limit = limits.max_data;
    switch (ph.kind) {
      case kPayloadDataIn:
      case kPayloadDataOut: limit = limits.max_dump > limit ? limits.max_dump : limit; break;
      case kPayloadPath: limit = limits.max_path; break;
      case kPayloadStructIn:
      case kPayloadStructOut: limit = kMaxStructBytes; break;
      case kPayloadStringArray: limit = kMaxPathBytes; break;
      case kPayloadInOut: limit = kMaxInOutBytes; break;
      case kPayloadIovec:
      case kPayloadMsghdr:  // the same array after a msghdr and an address
        // Element headers and their padding, and the data (iovec_format.h checks the inside).
        limit = 8 + kMaxIovecElements * (kIovecElementHeaderBytes + kRecordAlign) +
                (limits.max_dump > kMaxIovecDataBytes ? limits.max_dump : kMaxIovecDataBytes) +
                (ph.kind == kPayloadMsghdr ? 56 + 8 + 128 + kMaxMsgControlBytes : 0);
        break;
      case kPayloadFdInodes:
        if (ph.length != 8 && ph.length != 16) return corrupt("inodes payload of " + std::to_string(ph.length) + " bytes");
        limit = 16;
        break;
      case kPayloadStack: {
        const uint32_t registers =
            (ph.flags & kPayloadStackOuter) != 0 ? 2 * sizeof(StackRegisters) + 8 : sizeof(StackRegisters);
        if (ph.length < registers) return corrupt("stack payload of " + std::to_string(ph.length) + " bytes");
        limit = registers + limits.max_stack;
        break;
      }
      case kPayloadArrayCount:
      case kPayloadEnterTsc:
      case kPayloadIp:
      case kPayloadBefore:
        if (ph.length != 8) return corrupt("8-byte payload of " + std::to_string(ph.length) + " bytes");
        limit = 8;
        break;
      default: break;
    }
    if (ph.length > limit) return corrupt("payload of " + std::to_string(ph.length) + " bytes");
    const size_t padded = align_record(ph.length);
    if (h.size - at < padded) return corrupt("payload past the end");
    if (ph.kind == kPayloadStack) {
      // Once, of a call, enter, exit or signal record, before the 8-byte values.
      const bool has_stack = r.kind == kRecordSyscall || r.kind == kRecordSyscallEnter || r.kind == kRecordExit ||
                             r.kind == kRecordSignal;
      if (r.extras || !has_stack || r.before_arg >= 0 || inodes_seen || r.enter_tsc != 0 || r.ip != 0) {
        return corrupt("misplaced stack");
      }
      RecordExtras& extras = r.extra();
      extras.stack.assign(reinterpret_cast<const char*>(bytes.data() + at), ph.length);
      extras.stack_has_outer = (ph.flags & kPayloadStackOuter) != 0;
      at += padded;
      continue;
    }
    if (ph.kind == kPayloadBefore) {
      // Once, of a completed call, before the inodes, the enter time and the instruction pointer.
      if (r.before_arg >= 0 || inodes_seen || r.enter_tsc != 0 || r.ip != 0 || r.kind != kRecordSyscall) {
        return corrupt("misplaced before-value");
      }
      uint64_t value;
      std::memcpy(&value, bytes.data() + at, 8);
      r.before_arg = ph.arg;
      r.before_value = static_cast<uint32_t>(value);
      at += padded;
      continue;
    }
    if (ph.kind == kPayloadFdInodes) {
      // Before the enter time and the instruction pointer, once, of a completed call.
      if (inodes_seen || r.enter_tsc != 0 || r.ip != 0 || r.kind != kRecordSyscall) return corrupt("misplaced inodes");
      inodes_seen = true;
      std::memcpy(r.fd_inodes, bytes.data() + at, ph.length);
      at += padded;
      continue;
    }
    if (ph.kind == kPayloadEnterTsc) {
      if (r.enter_tsc != 0 || r.ip != 0 || r.kind != kRecordSyscall) return corrupt("misplaced enter time");
      std::memcpy(&r.enter_tsc, bytes.data() + at, 8);
      at += padded;
      continue;
    }
    if (ph.kind == kPayloadIp) {
      uint64_t ip;
      std::memcpy(&ip, bytes.data() + at, 8);
      const bool has_ip = r.kind == kRecordSyscall || r.kind == kRecordSyscallEnter || r.kind == kRecordExit ||
                          r.kind == kRecordSignal;
      if (r.ip != 0 || ip == 0 || !has_ip) return corrupt("misplaced instruction pointer");
      r.ip = ip;
      at += padded;
      continue;
    }
    Payload& p = r.payloads[kept++];
    p.arg = ph.arg;
    p.kind = static_cast<PayloadKind>(ph.kind);
    p.truncated = (ph.flags & kPayloadTruncated) != 0;
    p.addr = ph.addr;
    p.bytes.assign(reinterpret_cast<const char*>(bytes.data() + at), ph.length);
    at += padded;
  }
  if (at != h.size) return corrupt("size " + std::to_string(h.size) + " but payloads end at " + std::to_string(at));
  resize_payloads(r.payloads, kept, spare);
  return {};
}

Result<Record> decode_record(std::span<const uint8_t> bytes, const DecodeLimits& limits) {
  Record r;
  if (Result<void> decoded = decode_record_into(bytes, limits, r); !decoded) return decoded.error();
  return r;
}

std::optional<std::string_view> RecordMemory::view_string(uint64_t addr, size_t max_len, bool* truncated) {
  for (const Payload& p : record_.payloads) {
    if (p.addr != addr || (p.kind != kPayloadPath && p.kind != kPayloadString)) continue;
    const std::string_view bytes = p.bytes;
    if (bytes.size() > max_len) {
      *truncated = true;
      return bytes.substr(0, max_len);
    }
    *truncated = p.truncated;
    return bytes;
  }
  return std::nullopt;
}

std::optional<std::string> RecordMemory::read_string(uint64_t addr, size_t max_len, bool* truncated) {
  for (const Payload& p : record_.payloads) {
    if (p.addr != addr || (p.kind != kPayloadPath && p.kind != kPayloadString)) continue;
    if (p.bytes.size() > max_len) {
      *truncated = true;
      return p.bytes.substr(0, max_len);
    }
    *truncated = p.truncated;
    return p.bytes;
  }
  return std::nullopt;
}

std::optional<std::string_view> RecordMemory::view_bytes(uint64_t addr, size_t len) {
  for (const Payload& p : record_.payloads) {
    if (p.addr != addr || (p.kind != kPayloadDataIn && p.kind != kPayloadDataOut)) continue;
    if (p.bytes.size() >= len) return std::string_view(p.bytes).substr(0, len);
  }
  return std::nullopt;
}

std::optional<std::string> RecordMemory::read_bytes(uint64_t addr, size_t len) {
  std::optional<std::string_view> bytes = view_bytes(addr, len);
  if (!bytes) return std::nullopt;
  return std::string(*bytes);
}

}  // namespace sysgate::trace
