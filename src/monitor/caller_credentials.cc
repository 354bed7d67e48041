#include "monitor/caller_credentials.h"

#include <fstream>
#include <optional>
#include <sstream>
#include <string>

namespace sysgate::monitor {
namespace {

// The lines of a status file that make up what the broker acts with: the
// fourth (file-system) id of Uid: and Gid:, Groups:, CapEff:.
std::optional<std::string> credentials_in(const std::string& status_path) {
  std::ifstream in(status_path);
  if (!in) return std::nullopt;
  std::string out;
  int found = 0;
  for (std::string line; std::getline(in, line);) {
    const bool ids = line.rfind("Uid:", 0) == 0 || line.rfind("Gid:", 0) == 0;
    if (ids) {
      std::istringstream fields(line.substr(4));
      std::string real, effective, saved, fs;
      if (!(fields >> real >> effective >> saved >> fs)) return std::nullopt;
      out += line.substr(0, 4) + fs + "\n";
      ++found;
    } else if (line.rfind("Groups:", 0) == 0 || line.rfind("CapEff:", 0) == 0) {
      out += line + "\n";
      ++found;
    }
  }
  if (found != 4) return std::nullopt;
  return out;
}

}  // namespace

bool acts_with_monitor_credentials(pid_t tid) {
  const std::optional<std::string> caller = credentials_in("/proc/" + std::to_string(tid) + "/status");
  const std::optional<std::string> own = credentials_in("/proc/thread-self/status");
  return caller && own && *caller == *own;
}

}  // namespace sysgate::monitor
