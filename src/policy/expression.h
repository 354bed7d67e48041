// The condition language of policy rules: parses `when = "..."` strings.
//
// Grammar (whitespace between tokens is free):
//   expr    := and ( "||" and )*
//   and     := unary ( "&&" unary )*
//   unary   := "!" unary | "(" expr ")" | compare
//   compare := operand ( "==" | "!=" | "<" | "<=" | ">" | ">=" ) value
//            | operand "in" "[" value ( "," value )* "]"
//            | "ip" "in" "[" value "," value ")"          -- instruction pointer range [begin, end)
//   operand := arg | "(" arg "&" value ")"                 -- masked compare: only == and !=
//   arg     := argument name from the syscall's signature ("flags") | "arg0" .. "arg5"
//   value   := term ( "|" term )*
//   term    := number (decimal, 0x hex, 0 octal, optional leading "-") | ABI constant (O_RDONLY, AF_INET, ...)
//
//   (flags & O_ACCMODE) == O_RDONLY && dirfd == AT_FDCWD
//   request in [TCGETS, TIOCGWINSZ]
//   !(prot & PROT_EXEC == PROT_EXEC)        -- error: masks need parentheses: (prot & PROT_EXEC)
//
// Comparisons are unsigned on the argument's real width (see condition.h); a
// constant that does not fit a 32-bit argument is an error, not a silent truncation
// (negative constants such as AT_FDCWD are accepted as their 32-bit two's complement).
#pragma once

#include <string_view>

#include "base/result.h"
#include "policy/condition.h"

namespace sysgate::policy {

// Parses `text` as the condition of a rule for syscall `nr`. Errors carry a
// column relative to the start of text (1-based) in where.column; the caller
// shifts it to the position in the file.
Result<Condition> parse_condition(std::string_view text, int nr);

}  // namespace sysgate::policy
