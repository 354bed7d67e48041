#include "monitor/violation.h"

#include <nlohmann/json.hpp>

#include "syscalls/constants.h"
#include "syscalls/syscall_table.h"

namespace sysgate::monitor {

namespace {

std::string result_text(const Violation& v) {
  if (v.killed) return "= ? (killed)";
  std::string_view name = syscalls::constants::errno_name(v.error);
  return "= -" + (name.empty() ? std::to_string(v.error) : std::string(name));
}

}  // namespace

std::string format_text(const Violation& v) {
  std::string out = "sysgate: ";
  if (!v.main_process) out += "[pid " + std::to_string(v.pid) + "] ";
  out += v.killed ? "killed on " : "denied ";
  out += v.call + " " + result_text(v) + " \u2014 " + v.why.summary();
  return out;
}

std::string format_json(const Violation& v) {
  nlohmann::json j;
  j["event"] = v.killed ? "killed" : "denied";
  j["pid"] = v.pid;
  j["syscall"] = syscalls::display_name(v.nr);
  j["nr"] = v.nr;
  j["call"] = v.call;
  nlohmann::json args = nlohmann::json::array();
  for (uint64_t a : v.args) args.push_back(a);
  j["args"] = args;
  j["result"] = v.killed ? "killed" : "-" + std::string(syscalls::constants::errno_name(v.error));
  if (!v.killed) j["errno"] = v.error;
  j["action"] = policy::to_string(v.action);
  j["cause"] = v.why.cause;
  j["fixes"] = v.why.fixes;
  // Replace invalid UTF-8 (paths are bytes) rather than throwing.
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace sysgate::monitor
