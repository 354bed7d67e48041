#include "monitor/caller_credentials.h"

#include <linux/capability.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <thread>

#include "monitor/proc_file.h"

namespace sysgate::monitor {
namespace {

// The rest of the line that starts with key ("Uid:"), or nullptr.
const char* field(const std::string& status, const char* key) {
  const size_t k = strlen(key);
  for (size_t at = 0; at < status.size();) {
    if (status.compare(at, k, key) == 0) return status.c_str() + at + k;
    const size_t nl = status.find('\n', at);
    if (nl == std::string::npos) break;
    at = nl + 1;
  }
  return nullptr;
}

// Uid:/Gid: lines hold real, effective, saved and file-system ids: the fourth.
bool fourth_id(const char* p, unsigned long* out) {
  char* end = nullptr;
  for (int i = 0; i < 4; ++i) {
    errno = 0;
    *out = strtoul(p, &end, 10);
    if (end == p || errno != 0) return false;
    p = end;
  }
  return true;
}

std::optional<Credentials> parse(const std::string& status) {
  const char* uid = field(status, "Uid:");
  const char* gid = field(status, "Gid:");
  const char* groups = field(status, "Groups:");
  const char* caps = field(status, "CapEff:");
  unsigned long fsuid = 0, fsgid = 0;
  if (!uid || !gid || !groups || !caps || !fourth_id(uid, &fsuid) || !fourth_id(gid, &fsgid)) return std::nullopt;
  Credentials c;
  c.fsuid = static_cast<uid_t>(fsuid);
  c.fsgid = static_cast<gid_t>(fsgid);
  for (const char* p = groups;;) {
    while (*p == ' ' || *p == '\t') ++p;
    if (*p < '0' || *p > '9') break;
    char* end = nullptr;
    c.groups.push_back(static_cast<gid_t>(strtoul(p, &end, 10)));
    p = end;
  }
  char* end = nullptr;
  errno = 0;
  c.effective_capabilities = strtoull(caps, &end, 16);
  if (end == caps || errno != 0) return std::nullopt;
  return c;
}

}  // namespace

std::optional<Credentials> credentials_of(pid_t tid) {
  const std::optional<std::string> status = read_proc_file("/proc/" + std::to_string(tid) + "/status");
  if (!status) return std::nullopt;
  return parse(*status);
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

const std::optional<Credentials>& own_credentials() {
  // The monitor's threads never change their credentials after they read
  // them here (as_caller's threads take the caller's before anything else
  // and ask nothing of this): one read per thread.
  thread_local const std::optional<Credentials> own = [] {
    const std::optional<std::string> status = read_proc_file("/proc/thread-self/status");
    return status ? parse(*status) : std::nullopt;
  }();
  return own;
}

Caller caller_of(pid_t tid) {
  Caller c;
  const std::optional<std::string> status = read_proc_file("/proc/" + std::to_string(tid) + "/status");
  if (status) {
    c.credentials = parse(*status);
    if (const char* tgid = field(*status, "Tgid:")) c.tgid = static_cast<pid_t>(std::strtol(tgid, nullptr, 10));
  }
  const std::optional<Credentials>& own = own_credentials();
  c.same_as_monitor = c.credentials && own && *c.credentials == *own;
  return c;
}

}  // namespace sysgate::monitor
