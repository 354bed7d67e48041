// strace's `-e signal=SET`: which signal deliveries a trace shows.
//
//   Result<SignalFilter> f = parse_signal_filter("!SIGCHLD,usr1");
//   if (f->matches(record.nr)) print_signal_line(record);
//
// Grammar (strace's): ["!"] item ("," item)*, "!" inverting the whole set;
// an item is a signal's name with or without "SIG", in any case (SIGUSR1,
// usr1, RTMIN, RT_1), its number (1-64), "all" or "none". Empty items are
// skipped; anything else is an error naming it ("invalid signal 'USR3'").
//
// Pure; a SignalFilter is an immutable value.
#pragma once

#include <bitset>
#include <string_view>

#include "base/result.h"

namespace sysgate::trace {

class SignalFilter {
 public:
  SignalFilter() { selected_.set(); }  // every signal: strace's default
  bool matches(int signal) const { return signal >= 1 && signal <= 64 && selected_.test(static_cast<size_t>(signal)); }

 private:
  friend Result<SignalFilter> parse_signal_filter(std::string_view set);
  std::bitset<65> selected_;  // by number; 0 unused
};

Result<SignalFilter> parse_signal_filter(std::string_view set);

// The signal a word names as strace's options spell them ("SIGUSR1", "usr1",
// "10"), or 0.
int signal_of(std::string_view item);

}  // namespace sysgate::trace
