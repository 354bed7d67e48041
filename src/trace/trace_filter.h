// strace's `-e trace=SET`: which syscalls a trace shows.
//
//   Result<TraceFilter> f = parse_trace_filter("%file,close");
//   if (!f) return error(f.error().describe());   // invalid system call 'opne'
//   if (f->matches(record.nr)) print(record);
//
// Grammar (strace 6's):
//   set     := ["!"] token ("," token)*     "!" inverts the whole set; empty tokens are skipped
//   token   := ["?"] item                   "?": an unknown item selects nothing instead of failing
//   item    := name ["@64" | "@32" | "@x32"] a syscall name (only @64, x86-64's own calls, selects anything)
//            | number                       a syscall number in the table's range
//            | "/" regex                    POSIX extended regex searched in every name
//            | "%" class                    file process network net signal ipc desc memory
//                                           creds clock pure stat lstat fstat %stat statfs fstatfs %statfs
//            | class-without-%              the legacy spellings: file process network signal ipc desc memory
//            | "all" | "none"
//
// Classes have strace's members. %file is derived from the syscall table: every
// call with a path argument (ArgType::kPath), plus getcwd and fsconfig, which
// strace files there too. %desc is every call with an fd or dirfd argument
// except the socket calls (strace puts those in %network only; sendfile is in
// both), plus the calls that create fds or wait on fd sets (open, pipe, poll,
// eventfd, ...). The other classes are lists (trace_filter.cc). A call the table
// gains later joins %file and %desc by its signature.
//
// Numbers outside the table (holes, newer calls) are selected by "all" and by an
// inverted set, as strace traces them.
//
// Pure functions; a TraceFilter is an immutable value, safe to share.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace sysgate::trace {

class TraceFilter {
 public:
  // Selects everything (strace's default).
  TraceFilter();

  bool matches(int nr) const;
  bool operator()(int nr) const { return matches(nr); }

  // The numbers in [0, syscalls::max_known_number()] it selects, ascending.
  std::vector<int> selected() const;

 private:
  friend Result<TraceFilter> parse_trace_filter(std::string_view set);
  std::vector<bool> in_table_;  // by number, 0..max_known_number()
  bool outside_table_ = true;   // numbers beyond the table
};

// Errors (ErrorCode::kUnknownName / kParse) name the offending token as strace
// does: "invalid system call 'opne'", "invalid system call '%nosuch'".
Result<TraceFilter> parse_trace_filter(std::string_view set);

// The members of a class by its name without "%" ("file", "net", "%stat"),
// ascending; nullopt for an unknown class.
std::optional<std::vector<int>> syscall_class(std::string_view name);

}  // namespace sysgate::trace
