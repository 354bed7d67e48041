#include "monitor/private_tmp.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace sysgate::monitor {
namespace {

// Nesting deeper than this is left in place (each level holds a descriptor).
constexpr int kMaxDepth = 128;

std::vector<std::string> names_in(int dir_fd) {
  std::vector<std::string> names;
  const int copy = dup(dir_fd);  // closedir closes the descriptor it was given
  if (copy < 0) return names;
  DIR* d = fdopendir(copy);
  if (d == nullptr) {
    close(copy);
    return names;
  }
  while (const dirent* e = readdir(d)) {
    if (std::strcmp(e->d_name, ".") != 0 && std::strcmp(e->d_name, "..") != 0) names.emplace_back(e->d_name);
  }
  closedir(d);
  return names;
}

void remove_below(int dir_fd, int depth) {
  for (const std::string& name : names_in(dir_fd)) {
    if (unlinkat(dir_fd, name.c_str(), 0) == 0 || errno == ENOENT) continue;
    if (depth >= kMaxDepth) continue;
    // A directory (EISDIR), entered by its name here and only if it is one now.
    const int sub = openat(dir_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (sub < 0) continue;
    remove_below(sub, depth + 1);
    close(sub);
    unlinkat(dir_fd, name.c_str(), AT_REMOVEDIR);
  }
}

}  // namespace

void remove_tree_below(int dir_fd) { remove_below(dir_fd, 0); }

PrivateTmp::~PrivateTmp() {
  if (path_.empty()) return;
  const int fd = open(path_.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd >= 0) {
    remove_tree_below(fd);
    close(fd);
  }
  rmdir(path_.c_str());
}

Result<void> PrivateTmp::create() {
  const char* base = getenv("TMPDIR");
  std::string templ = std::string(base && *base ? base : "/tmp") + "/sysgate.XXXXXX";
  if (mkdtemp(templ.data()) == nullptr) {
    return make_error(ErrorCode::kSystem, "cannot create the private temp dir " + templ + ": " + strerror(errno));
  }
  path_ = templ;
  return {};
}

}  // namespace sysgate::monitor
