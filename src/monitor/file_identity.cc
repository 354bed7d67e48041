#include "monitor/file_identity.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <climits>
#include <string>

#include "sandbox/unique_fd.h"

namespace sysgate::monitor {

namespace {

using sandbox::UniqueFd;

// Where the walk is: a file's identity, its type and the mount it was reached through.
struct Place {
  FileId id;
  bool directory = false;
  uint64_t mount = 0;  // 0 on kernels without STATX_MNT_ID (before 5.8)
};

std::optional<Place> place_of(int fd) {
  struct statx sx {};
  if (statx(fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW, STATX_TYPE | STATX_INO | STATX_MNT_ID, &sx) != 0) {
    return std::nullopt;
  }
  Place p;
  p.id = {makedev(sx.stx_dev_major, sx.stx_dev_minor), sx.stx_ino};
  p.directory = S_ISDIR(sx.stx_mode);
  p.mount = (sx.stx_mask & STATX_MNT_ID) ? sx.stx_mnt_id : 0;
  return p;
}

// The directory a non-directory's current name is in. The kernel's name for
// the object has no symlinks, so the lookup follows none (a symlink there now
// means a rename raced us), and the entry found must be the object itself.
UniqueFd parent_of_non_directory(int fd, const FileId& object) {
  char buf[PATH_MAX];
  const std::string link = "/proc/self/fd/" + std::to_string(fd);
  const ssize_t n = readlink(link.c_str(), buf, sizeof buf - 1);
  if (n <= 0 || buf[0] != '/') return UniqueFd();  // anonymous (pipe:[..], anon_inode:..): no place in the tree
  const std::string real(buf, static_cast<size_t>(n));
  const size_t slash = real.rfind('/');
  const std::string dir = slash == 0 ? "/" : real.substr(0, slash);
  const std::string name = real.substr(slash + 1);
  if (name.empty()) return UniqueFd();
  open_how how{};
  how.flags = O_PATH | O_DIRECTORY | O_CLOEXEC;
  how.resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
  UniqueFd parent(static_cast<int>(syscall(SYS_openat2, AT_FDCWD, dir.c_str(), &how, sizeof how)));
  struct stat st {};
  // A deleted file's name ("f (deleted)") is found nowhere: refused.
  if (!parent.valid() || fstatat(parent.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0 ||
      st.st_dev != object.dev || st.st_ino != object.ino) {
    return UniqueFd();
  }
  return parent;
}

}  // namespace

std::optional<FileId> file_id(int fd) {
  std::optional<Place> p = place_of(fd);
  if (!p) return std::nullopt;
  return p->id;
}

std::optional<std::vector<FileId>> lineage(int fd) {
  std::optional<Place> here = place_of(fd);
  if (!here) return std::nullopt;
  std::vector<FileId> out{here->id};
  UniqueFd dir;  // the directory the walk has reached (until then `fd` itself, a directory)
  if (!here->directory) {
    dir = parent_of_non_directory(fd, here->id);
    if (!dir.valid() || !(here = place_of(dir.get()))) return std::nullopt;
    out.push_back(here->id);
  }
  // Each step is one lookup of ".." from a directory we hold, as in the
  // kernel's (and Landlock's) walk; no lock spans the steps there either.
  for (int i = 0; i < kMaxLineage; ++i) {
    UniqueFd up(openat(dir.valid() ? dir.get() : fd, "..", O_PATH | O_DIRECTORY | O_CLOEXEC));
    std::optional<Place> above = up.valid() ? place_of(up.get()) : std::nullopt;
    if (!above) return std::nullopt;
    // Only the root is its own parent (the mount id tells a directory bind-mounted
    // below itself from the root).
    if (above->id == here->id && above->mount == here->mount) return out;
    out.push_back(above->id);
    here = above;
    dir = std::move(up);
  }
  return std::nullopt;
}

}  // namespace sysgate::monitor
