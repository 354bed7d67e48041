#include "policy/expression.h"

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "syscalls/constants.h"
#include "syscalls/syscall_table.h"

namespace sysgate::policy {

namespace {

enum class Tok { kEnd, kIdent, kNumber, kOp, kLParen, kRParen, kLBracket, kRBracket, kComma };

struct Token {
  Tok kind = Tok::kEnd;
  std::string text;
  size_t column = 0;  // 1-based
};

// Expressions are tiny; a recursion and size bound keeps hostile input harmless.
constexpr size_t kMaxLength = 4096;
constexpr int kMaxDepth = 64;

class Parser {
 public:
  Parser(std::string_view text, int nr) : text_(text), nr_(nr) {}

  Result<Condition> parse() {
    if (text_.size() > kMaxLength) return fail(1, "condition is longer than 4096 characters");
    if (!tokenize()) return *error_;
    Condition c = parse_or(0);
    if (error_) return *error_;
    if (peek().kind != Tok::kEnd) return fail(peek().column, "unexpected \"" + peek().text + "\"");
    return c;
  }

 private:
  Error fail(size_t column, std::string message) {
    if (!error_) error_ = make_error(ErrorCode::kParse, std::move(message), {"", 0, static_cast<uint32_t>(column)});
    return *error_;
  }

  bool tokenize() {
    size_t i = 0;
    while (i < text_.size()) {
      char c = text_[i];
      size_t col = i + 1;
      if (std::isspace(static_cast<unsigned char>(c))) { ++i; continue; }
      if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
        size_t j = i;
        while (j < text_.size() && (std::isalnum(static_cast<unsigned char>(text_[j])) || text_[j] == '_')) ++j;
        tokens_.push_back({Tok::kIdent, std::string(text_.substr(i, j - i)), col});
        i = j;
        continue;
      }
      if (std::isdigit(static_cast<unsigned char>(c))) {
        size_t j = i;
        while (j < text_.size() && std::isalnum(static_cast<unsigned char>(text_[j]))) ++j;
        tokens_.push_back({Tok::kNumber, std::string(text_.substr(i, j - i)), col});
        i = j;
        continue;
      }
      static constexpr std::string_view kTwo[] = {"==", "!=", "<=", ">=", "&&", "||"};
      bool two = false;
      for (std::string_view op : kTwo) {
        if (text_.substr(i, 2) == op) {
          tokens_.push_back({Tok::kOp, std::string(op), col});
          i += 2;
          two = true;
          break;
        }
      }
      if (two) continue;
      switch (c) {
        case '(': tokens_.push_back({Tok::kLParen, "(", col}); break;
        case ')': tokens_.push_back({Tok::kRParen, ")", col}); break;
        case '[': tokens_.push_back({Tok::kLBracket, "[", col}); break;
        case ']': tokens_.push_back({Tok::kRBracket, "]", col}); break;
        case ',': tokens_.push_back({Tok::kComma, ",", col}); break;
        case '<': case '>': case '!': case '&': case '|': case '-':
          tokens_.push_back({Tok::kOp, std::string(1, c), col});
          break;
        default:
          fail(col, std::string("unexpected character '") + c + "'");
          return false;
      }
      ++i;
    }
    tokens_.push_back({Tok::kEnd, "end of condition", text_.size() + 1});
    return true;
  }

  const Token& peek(size_t ahead = 0) const {
    size_t i = pos_ + ahead;
    return tokens_[i < tokens_.size() ? i : tokens_.size() - 1];
  }
  Token next() { Token t = peek(); if (pos_ < tokens_.size() - 1) ++pos_; return t; }
  bool accept_op(std::string_view op) {
    if (peek().kind == Tok::kOp && peek().text == op) { next(); return true; }
    return false;
  }
  bool expect(Tok kind, std::string_view what) {
    if (peek().kind == kind) { next(); return true; }
    fail(peek().column, "expected " + std::string(what) + " but found \"" + peek().text + "\"");
    return false;
  }

  Condition parse_or(int depth) {
    std::vector<Condition> parts{parse_and(depth)};
    while (!error_ && accept_op("||")) parts.push_back(parse_and(depth));
    return Condition::any_of(std::move(parts));
  }

  Condition parse_and(int depth) {
    std::vector<Condition> parts{parse_unary(depth)};
    while (!error_ && accept_op("&&")) parts.push_back(parse_unary(depth));
    return Condition::all_of(std::move(parts));
  }

  Condition parse_unary(int depth) {
    if (depth > kMaxDepth) { fail(peek().column, "condition nests too deeply"); return {}; }
    if (error_) return {};
    if (accept_op("!")) return Condition::negate(parse_unary(depth + 1));
    // "(" starts either a group or a masked operand "(arg & mask)".
    if (peek().kind == Tok::kLParen && !(peek(1).kind == Tok::kIdent && peek(2).kind == Tok::kOp &&
                                          peek(2).text == "&")) {
      next();
      Condition inner = parse_or(depth + 1);
      expect(Tok::kRParen, "\")\"");
      return inner;
    }
    return parse_compare();
  }

  struct ArgRef {
    uint8_t index = 0;
    uint8_t width = 64;
    bool mode = false;  // a file mode: the kernel reads only its low 16 bits (umode_t)
  };

  std::optional<ArgRef> parse_arg() {
    Token t = peek();
    if (t.kind != Tok::kIdent) {
      fail(t.column, "expected an argument name but found \"" + t.text + "\"");
      return std::nullopt;
    }
    next();
    const syscalls::SyscallInfo* info = syscalls::by_number(nr_);
    for (uint8_t i = 0; info != nullptr && i < info->argc; ++i) {
      if (info->args[i].name == t.text) {
        return ArgRef{i, syscalls::arg_width_bits(info->args[i].type), info->args[i].type == syscalls::ArgType::kMode};
      }
    }
    if (t.text.size() == 4 && t.text.compare(0, 3, "arg") == 0 && t.text[3] >= '0' && t.text[3] <= '5') {
      uint8_t i = static_cast<uint8_t>(t.text[3] - '0');
      bool known = info != nullptr && i < info->argc;
      uint8_t width = known ? syscalls::arg_width_bits(info->args[i].type) : 64;
      return ArgRef{i, width, known && info->args[i].type == syscalls::ArgType::kMode};
    }
    std::string known;
    for (uint8_t i = 0; info != nullptr && i < info->argc; ++i) {
      known += (i ? ", " : "") + std::string(info->args[i].name);
    }
    fail(t.column, "\"" + t.text + "\" is not an argument of " + syscalls::display_name(nr_) +
                       (known.empty() ? " (use arg0..arg5)" : " (arguments: " + known + ", or arg0..arg5)"));
    return std::nullopt;
  }

  std::optional<uint64_t> parse_term(uint8_t width) {
    bool negative = accept_op("-");
    Token t = next();
    uint64_t v = 0;
    if (t.kind == Tok::kNumber) {
      errno = 0;
      char* end = nullptr;
      const char* s = t.text.c_str();
      int base = 10;
      if (t.text.size() > 1 && t.text[0] == '0') {
        if (t.text[1] == 'x' || t.text[1] == 'X') { base = 16; s += 2; }
        else if (t.text[1] == 'o' || t.text[1] == 'O') { base = 8; s += 2; }
        else if (t.text[1] == 'b' || t.text[1] == 'B') { base = 2; s += 2; }
        else base = 8;
      }
      v = std::strtoull(s, &end, base);
      if (errno == ERANGE || end == s || *end != '\0') {
        fail(t.column, "\"" + t.text + "\" is not a valid number");
        return std::nullopt;
      }
    } else if (t.kind == Tok::kIdent) {
      std::optional<uint64_t> c = syscalls::constants::lookup(t.text);
      if (!c) {
        fail(t.column, "unknown constant \"" + t.text + "\"");
        return std::nullopt;
      }
      v = *c;
    } else {
      fail(t.column, "expected a number or constant but found \"" + t.text + "\"");
      return std::nullopt;
    }
    if (negative) v = ~v + 1;
    if (width == 32) {
      // Accept values that fit 32 bits unsigned, or as sign-extended negatives (AT_FDCWD).
      bool fits = v <= 0xffffffffull || (v >> 31) == 0x1ffffffffull;
      if (!fits) {
        fail(t.column, "value " + t.text + " does not fit this 32-bit argument");
        return std::nullopt;
      }
      v &= 0xffffffffull;
    }
    return v;
  }

  std::optional<uint64_t> parse_value(uint8_t width) {
    std::optional<uint64_t> v = parse_term(width);
    while (v && !error_ && accept_op("|")) {
      std::optional<uint64_t> more = parse_term(width);
      if (!more) return std::nullopt;
      *v |= *more;
    }
    return v;
  }

  std::optional<std::vector<uint64_t>> parse_list(uint8_t width, Tok close, std::string_view close_text) {
    if (!expect(Tok::kLBracket, "\"[\"")) return std::nullopt;
    std::vector<uint64_t> values;
    do {
      std::optional<uint64_t> v = parse_value(width);
      if (!v) return std::nullopt;
      values.push_back(*v);
    } while (peek().kind == Tok::kComma && (next(), true));
    if (!expect(close, close_text)) return std::nullopt;
    return values;
  }

  Condition parse_compare() {
    // Instruction-pointer range.
    if (peek().kind == Tok::kIdent && peek().text == "ip") {
      size_t col = next().column;
      if (!(peek().kind == Tok::kIdent && peek().text == "in")) {
        fail(peek().column, "the instruction pointer supports only \"ip in [begin, end)\"");
        return {};
      }
      next();
      std::optional<std::vector<uint64_t>> range = parse_list(64, Tok::kRParen, "\")\" (ranges are [begin, end))");
      if (!range) return {};
      if (range->size() != 2 || (*range)[0] >= (*range)[1]) {
        fail(col, "ip range must be [begin, end) with begin < end");
        return {};
      }
      return Condition::ip_range((*range)[0], (*range)[1]);
    }

    bool masked = false;
    uint64_t mask = 0;
    std::optional<ArgRef> arg;
    if (peek().kind == Tok::kLParen) {
      next();
      arg = parse_arg();
      if (!arg || !accept_op("&")) return {};
      std::optional<uint64_t> m = parse_value(arg->width);
      if (!m || !expect(Tok::kRParen, "\")\" after the mask")) return {};
      masked = true;
      mask = *m;
    } else {
      arg = parse_arg();
      if (!arg) return {};
    }

    Token op = peek();
    // A mode is a umode_t: bits 16..31 of the register never reach the kernel, so a plain
    // compare on them could be steered by an attacker. Compare modes on their 16 bits only.
    if (arg->mode && !masked) {
      if (!(op.kind == Tok::kOp && (op.text == "==" || op.text == "!="))) {
        fail(op.column, "a file mode can only be compared with == or != (or masked: (mode & S_IFMT) == S_IFIFO)");
        return {};
      }
      masked = true;
      mask = 0xffff;
    }
    if (op.kind == Tok::kIdent && op.text == "in") {
      next();
      if (masked) { fail(op.column, "\"in\" does not take a masked operand"); return {}; }
      std::optional<std::vector<uint64_t>> set = parse_list(arg->width, Tok::kRBracket, "\"]\"");
      if (!set) return {};
      return Condition::in(arg->index, arg->width, std::move(*set));
    }
    if (op.kind == Tok::kOp && op.text == "&") {
      fail(op.column, "put a mask in parentheses: (" + std::string("arg") + " & MASK) == VALUE");
      return {};
    }
    static const std::pair<std::string_view, CmpOp> kOps[] = {
        {"==", CmpOp::kEq}, {"!=", CmpOp::kNe}, {"<", CmpOp::kLt},
        {"<=", CmpOp::kLe}, {">", CmpOp::kGt},  {">=", CmpOp::kGe}};
    for (const auto& [text, cmp] : kOps) {
      if (op.kind == Tok::kOp && op.text == text) {
        next();
        std::optional<uint64_t> v = parse_value(arg->width);
        if (!v) return {};
        if (!masked) return Condition::compare(arg->index, arg->width, cmp, *v);
        if (cmp != CmpOp::kEq && cmp != CmpOp::kNe) {
          fail(op.column, "a masked operand can only be compared with == or !=");
          return {};
        }
        if ((*v & ~mask) != 0) {
          fail(op.column, "masked compare can never be true: value has bits outside the mask");
          return {};
        }
        Condition c = Condition::masked_eq(arg->index, arg->width, mask, *v);
        return cmp == CmpOp::kEq ? c : Condition::negate(std::move(c));
      }
    }
    fail(op.column, "expected a comparison (==, !=, <, <=, >, >=, in) but found \"" + op.text + "\"");
    return {};
  }

  std::string_view text_;
  int nr_;
  std::vector<Token> tokens_;
  size_t pos_ = 0;
  std::optional<Error> error_;
};

}  // namespace

Result<Condition> parse_condition(std::string_view text, int nr) { return Parser(text, nr).parse(); }

}  // namespace sysgate::policy
