#include "sandbox/user_credentials.h"

#include <fcntl.h>
#include <grp.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

namespace sysgate::sandbox {

namespace {

// The ':'-separated fields of a line of /etc/passwd or /etc/group.
std::vector<std::string> fields_of(const std::string& line) {
  std::vector<std::string> fields;
  std::stringstream in(line);
  for (std::string field; std::getline(in, field, ':');) fields.push_back(field);
  if (!line.empty() && line.back() == ':') fields.emplace_back();
  return fields;
}

// A whole decimal id, or false.
template <typename Id>
bool parse_id(const std::string& text, Id* out) {
  unsigned long value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || text.empty() || value >= 0xffffffffUL) return false;
  *out = static_cast<Id>(value);
  return true;
}

}  // namespace

Result<UserIds> find_user(const std::string& spec, const std::string& passwd, const std::string& group) {
  UserIds ids;
  if (const size_t colon = spec.find(':'); colon != std::string::npos) {
    if (!parse_id(spec.substr(0, colon), &ids.uid) || !parse_id(spec.substr(colon + 1), &ids.gid)) {
      return make_error(ErrorCode::kInvalidArgument, "expected a user name or UID:GID, got '" + spec + "'");
    }
    ids.groups = {ids.gid};
    return ids;
  }
  std::ifstream users(passwd);
  if (!users) return make_error(ErrorCode::kNotFound, "cannot read " + passwd);
  bool found = false;
  for (std::string line; std::getline(users, line);) {
    const std::vector<std::string> f = fields_of(line);
    if (f.size() < 4 || f[0] != spec) continue;
    if (!parse_id(f[2], &ids.uid) || !parse_id(f[3], &ids.gid)) {
      return make_error(ErrorCode::kInvalidArgument, passwd + ": malformed entry for " + spec);
    }
    found = true;
    break;
  }
  if (!found) return make_error(ErrorCode::kNotFound, "no user " + spec + " in " + passwd);
  ids.groups = {ids.gid};
  std::ifstream groups(group);
  for (std::string line; std::getline(groups, line);) {
    const std::vector<std::string> f = fields_of(line);
    gid_t gid = 0;
    if (f.size() < 4 || !parse_id(f[2], &gid)) continue;
    std::stringstream members(f[3]);
    for (std::string member; std::getline(members, member, ',');) {
      if (member == spec && gid != ids.gid) ids.groups.push_back(gid);
    }
  }
  return ids;
}

Result<void> become_user(const UserIds& user) {
  auto failed = [](const char* call) {
    return make_error(ErrorCode::kSystem,
                      std::string("cannot become the user (") + call + ": " + std::strerror(errno) +
                          (errno == EPERM ? "): -u needs root" : ")"));
  };
  if (setgroups(user.groups.size(), user.groups.data()) != 0) return failed("setgroups");
  if (setresgid(user.gid, user.gid, user.gid) != 0) return failed("setresgid");
  if (setresuid(user.uid, user.uid, user.uid) != 0) return failed("setresuid");
  // No way back: had any id stayed root, setuid(0) would now succeed.
  if (user.uid != 0 && setuid(0) == 0) return make_error(ErrorCode::kSystem, "cannot become the user: root remains");
  return {};
}

Result<int> open_executable_as(const UserIds& user, const std::string& path) {
  int fd = -1;
  int error = 0;
  const char* step = "";
  // Raw syscalls: glibc would apply setgroups to every thread of the process.
  std::thread opener([&] {
    if (syscall(SYS_setgroups, user.groups.size(), user.groups.data()) != 0) {
      error = errno;
      step = "setgroups";
      return;
    }
    syscall(SYS_setfsgid, user.gid);
    syscall(SYS_setfsuid, user.uid);
    // setfsuid answers with the previous id: asking again with -1 tells whether it took.
    if (syscall(SYS_setfsuid, -1) != static_cast<long>(user.uid) || syscall(SYS_setfsgid, -1) != static_cast<long>(user.gid)) {
      error = EPERM;
      step = "setfsuid";
      return;
    }
    if (faccessat(AT_FDCWD, path.c_str(), X_OK, AT_EACCESS) != 0) {
      error = errno;
      step = "access";
      return;
    }
    fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      error = errno;
      step = "open";
    }
  });
  opener.join();
  if (fd < 0) {
    return make_error(ErrorCode::kSystem,
                      std::string("cannot execute ") + path + " as the user (" + step + ": " + std::strerror(error) + ")");
  }
  return fd;
}

}  // namespace sysgate::sandbox
