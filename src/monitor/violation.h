// A refused syscall as the monitor saw it, and its two renderings:
//   text: sysgate: denied openat(AT_FDCWD, "/etc/hostname", O_RDONLY) = -EPERM — needs promise "rpath" or --allow-read /etc/hostname
//   json: {"event":"denied","pid":123,"syscall":"openat","nr":257,"call":"openat(...)","args":[...],
//          "result":"-EPERM","errno":1,"action":"explain(EPERM)","cause":"...","fixes":["promise \"rpath\"",...]}
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>

#include "monitor/explanation.h"
#include "policy/action.h"

namespace sysgate::monitor {

struct Violation {
  pid_t pid = 0;
  bool main_process = true;  // the command sysgate started (no [pid N] prefix)
  int nr = 0;
  uint64_t args[6] = {};
  std::string call;          // strace grammar, without the result
  policy::Action action;     // what the policy said
  bool killed = false;       // the process was killed (kill action or --kill-on-violation)
  int error = 0;             // errno returned when not killed
  Explanation why;
};

std::string format_text(const Violation& v);
std::string format_json(const Violation& v);

}  // namespace sysgate::monitor
