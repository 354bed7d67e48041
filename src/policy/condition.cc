#include "policy/condition.h"

#include <cstdio>

#include "syscalls/syscall_table.h"

namespace sysgate::policy {

namespace {

uint64_t truncate(uint64_t value, uint8_t width) {
  return width == 32 ? (value & 0xffffffffull) : value;
}

std::string hex(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, v < 10 ? "%llu" : "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

std::string arg_name(const Condition& c, int nr) {
  if (const syscalls::SyscallInfo* info = syscalls::by_number(nr);
      info != nullptr && c.arg < info->argc && !info->args[c.arg].name.empty()) {
    return std::string(info->args[c.arg].name);
  }
  return "arg" + std::to_string(c.arg);
}

const char* op_text(CmpOp op) {
  switch (op) {
    case CmpOp::kEq: return "==";
    case CmpOp::kNe: return "!=";
    case CmpOp::kLt: return "<";
    case CmpOp::kLe: return "<=";
    case CmpOp::kGt: return ">";
    case CmpOp::kGe: return ">=";
    case CmpOp::kMaskedEq: return "==";
    case CmpOp::kIn: return "in";
  }
  return "?";
}

}  // namespace

Condition Condition::compare(uint8_t arg, uint8_t width, CmpOp op, uint64_t value) {
  Condition c;
  c.kind = Kind::kCompare;
  c.arg = arg;
  c.width = width;
  c.op = op;
  c.value = truncate(value, width);
  return c;
}

Condition Condition::masked_eq(uint8_t arg, uint8_t width, uint64_t mask, uint64_t value) {
  Condition c = compare(arg, width, CmpOp::kMaskedEq, value);
  c.mask = truncate(mask, width);
  return c;
}

Condition Condition::in(uint8_t arg, uint8_t width, std::vector<uint64_t> set) {
  Condition c = compare(arg, width, CmpOp::kIn, 0);
  for (uint64_t& v : set) v = truncate(v, width);
  c.set = std::move(set);
  return c;
}

Condition Condition::ip_range(uint64_t begin, uint64_t end) {
  Condition c;
  c.kind = Kind::kIpRange;
  c.ip_begin = begin;
  c.ip_end = end;
  return c;
}

Condition Condition::all_of(std::vector<Condition> children) {
  if (children.size() == 1) return std::move(children[0]);
  Condition c;
  c.kind = Kind::kAll;
  c.children = std::move(children);
  return c;
}

Condition Condition::any_of(std::vector<Condition> children) {
  if (children.size() == 1) return std::move(children[0]);
  Condition c;
  c.kind = Kind::kAny;
  c.children = std::move(children);
  return c;
}

Condition Condition::negate(Condition child) {
  Condition c;
  c.kind = Kind::kNot;
  c.children.push_back(std::move(child));
  return c;
}

bool matches(const Condition& c, const uint64_t args[6], uint64_t instruction_pointer) {
  switch (c.kind) {
    case Condition::Kind::kTrue:
      return true;
    case Condition::Kind::kIpRange:
      return instruction_pointer >= c.ip_begin && instruction_pointer < c.ip_end;
    case Condition::Kind::kAll:
      for (const Condition& child : c.children) {
        if (!matches(child, args, instruction_pointer)) return false;
      }
      return true;
    case Condition::Kind::kAny:
      for (const Condition& child : c.children) {
        if (matches(child, args, instruction_pointer)) return true;
      }
      return false;
    case Condition::Kind::kNot:
      return c.children.size() == 1 && !matches(c.children[0], args, instruction_pointer);
    case Condition::Kind::kCompare:
      break;
  }
  const uint64_t a = truncate(args[c.arg % 6], c.width);
  switch (c.op) {
    case CmpOp::kEq: return a == c.value;
    case CmpOp::kNe: return a != c.value;
    case CmpOp::kLt: return a < c.value;
    case CmpOp::kLe: return a <= c.value;
    case CmpOp::kGt: return a > c.value;
    case CmpOp::kGe: return a >= c.value;
    case CmpOp::kMaskedEq: return (a & c.mask) == c.value;
    case CmpOp::kIn:
      for (uint64_t v : c.set) {
        if (a == v) return true;
      }
      return false;
  }
  return false;
}

std::string to_string(const Condition& c, int nr) {
  switch (c.kind) {
    case Condition::Kind::kTrue:
      return "true";
    case Condition::Kind::kIpRange:
      return "ip in [" + hex(c.ip_begin) + ", " + hex(c.ip_end) + ")";
    case Condition::Kind::kAll:
    case Condition::Kind::kAny: {
      if (c.children.empty()) return c.kind == Condition::Kind::kAll ? "true" : "false";
      std::string out;
      const char* joiner = c.kind == Condition::Kind::kAll ? " && " : " || ";
      for (size_t i = 0; i < c.children.size(); ++i) {
        if (i) out += joiner;
        const Condition& child = c.children[i];
        bool nested = child.kind == Condition::Kind::kAll || child.kind == Condition::Kind::kAny;
        out += nested ? "(" + to_string(child, nr) + ")" : to_string(child, nr);
      }
      return out;
    }
    case Condition::Kind::kNot:
      return "!(" + (c.children.empty() ? std::string("true") : to_string(c.children[0], nr)) + ")";
    case Condition::Kind::kCompare:
      break;
  }
  std::string name = arg_name(c, nr);
  if (c.op == CmpOp::kMaskedEq) return "(" + name + " & " + hex(c.mask) + ") == " + hex(c.value);
  if (c.op == CmpOp::kIn) {
    std::string out = name + " in [";
    for (size_t i = 0; i < c.set.size(); ++i) out += (i ? ", " : "") + hex(c.set[i]);
    return out + "]";
  }
  return name + " " + op_text(c.op) + " " + hex(c.value);
}

}  // namespace sysgate::policy
