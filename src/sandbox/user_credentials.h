// sysgate trace -u USER: the command runs as the user (the launcher's child
// takes the user's ids before anything else), and so does the monitor once
// it holds the child's listener, so that the monitor -- which opens every
// program the command execs, and under a policy the files it brokers -- has
// no right the user lacks (monitor/runner.h, RunOptions::user).
//
//   Result<UserIds> user = find_user("nobody");    // from /etc/passwd and /etc/group
//   if (!user) ...;                                 // kNotFound: "no user nobody in /etc/passwd"
//   if (Result<void> r = become_user(*user); !r) ...;  // kSystem: "... -u needs root"
//
// Users come from the files themselves, not from NSS: the sysgate binary is
// static, and glibc's NSS would need dlopen (an LDAP or systemd user is not
// found). Also accepted: "UID:GID" in numbers, with no supplementary groups.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "base/result.h"

namespace sysgate::sandbox {

struct UserIds {
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> groups;  // the primary group first, then every group listing the user
};

// The user's ids as initgroups(3) would set them. passwd and group name the
// files (for tests).
Result<UserIds> find_user(const std::string& spec, const std::string& passwd = "/etc/passwd",
                          const std::string& group = "/etc/group");

// setgroups, setresgid, setresuid, in that order, for the whole process
// (glibc applies them to every thread), then checks that no way back is
// left. The process becomes non-dumpable: the user's other processes cannot
// ptrace it.
Result<void> become_user(const UserIds& user);

// Opens path (O_RDONLY, O_CLOEXEC) as the user would exec it: on a thread of
// its own whose filesystem ids and groups are the user's -- which also takes
// root's file capabilities off that thread -- after checking the user may
// execute it (faccessat X_OK, AT_EACCESS). For the monitor, still root, to
// open the command's program for the loader. An error names the path and the
// kernel's errno.
Result<int> open_executable_as(const UserIds& user, const std::string& path);

}  // namespace sysgate::sandbox
