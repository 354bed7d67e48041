#include "monitor/caller_credentials.h"

#include <linux/capability.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <thread>

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

std::optional<Credentials> credentials_of(pid_t tid) {
  std::ifstream in("/proc/" + std::to_string(tid) + "/status");
  if (!in) return std::nullopt;
  Credentials c;
  int found = 0;
  for (std::string line; std::getline(in, line);) {
    std::istringstream fields(line);
    std::string key;
    fields >> key;
    if (key == "Uid:" || key == "Gid:") {
      unsigned long real, effective, saved, fs;
      if (!(fields >> real >> effective >> saved >> fs)) return std::nullopt;
      (key == "Uid:" ? c.fsuid : c.fsgid) = static_cast<uid_t>(fs);
      ++found;
    } else if (key == "Groups:") {
      for (unsigned long g; fields >> g;) c.groups.push_back(static_cast<gid_t>(g));
      ++found;
    } else if (key == "CapEff:") {
      std::string hex;
      fields >> hex;
      c.effective_capabilities = std::stoull(hex, nullptr, 16);
      ++found;
    }
  }
  if (found != 4) return std::nullopt;
  return c;
}

bool as_caller(const Credentials& c, const std::function<void()>& fn) {
  bool took = false;
  // Raw syscalls, on a thread of its own: glibc would apply setgroups and
  // the set*id calls to every thread of the monitor.
  std::thread worker([&] {
    if (syscall(SYS_setgroups, c.groups.size(), c.groups.data()) != 0) return;
    syscall(SYS_setfsgid, c.fsgid);
    syscall(SYS_setfsuid, c.fsuid);
    // setfsuid answers with the previous id: asking again with -1 tells whether it took.
    if (syscall(SYS_setfsuid, -1) != static_cast<long>(c.fsuid) || syscall(SYS_setfsgid, -1) != static_cast<long>(c.fsgid)) {
      return;
    }
    __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct data[2] = {};
    if (syscall(SYS_capget, &header, data) != 0) return;
    data[0].effective = static_cast<uint32_t>(c.effective_capabilities) & data[0].permitted;
    data[1].effective = static_cast<uint32_t>(c.effective_capabilities >> 32) & data[1].permitted;
    if (syscall(SYS_capset, &header, data) != 0) return;
    took = true;
    fn();
  });
  worker.join();
  return took;
}

bool acts_with_monitor_credentials(pid_t tid) {
  const std::optional<std::string> caller = credentials_in("/proc/" + std::to_string(tid) + "/status");
  const std::optional<std::string> own = credentials_in("/proc/thread-self/status");
  return caller && own && *caller == *own;
}

}  // namespace sysgate::monitor
