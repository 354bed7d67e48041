// Which file an object is, and which directories it lies beneath: what a
// Landlock rule is bound to, as opposed to a path string, which a rename can
// point at another object.
//
//   std::optional<FileId> dir = file_id(rule_fd);        // at start: what the rule names
//   std::optional<std::vector<FileId>> up = lineage(fd);  // when judging: the object and its ancestors
//   bool beneath = up && std::ranges::find(*up, *dir) != up->end();
//
// Both only read the file system (statx, O_PATH opens); thread-safe; not
// async-signal-safe (they allocate).
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

namespace sysgate::monitor {

// A file's identity: its device and inode number (stable while someone holds
// the file open, which is why ResolvedFiles keeps its rules' objects open).
struct FileId {
  uint64_t dev = 0;
  uint64_t ino = 0;
  bool operator==(const FileId&) const = default;
};

// The identity of the file `fd` refers to (any descriptor, O_PATH too).
std::optional<FileId> file_id(int fd);

// The object `fd` holds, then every directory above it up to the root,
// nearest first, as the kernel's ".." walk finds them now. A non-directory's
// parent is the directory its current name is in (/proc/self/fd), taken only
// if that name there still is this very object. ".." at a mount's root
// crosses to the directory above its mount point, as Landlock's walk does (the
// mount point itself, hidden by the mount, is skipped by both). nullopt when no
// honest answer is possible (the object has no name: deleted, anonymous; the
// name changed under us; deeper than kMaxLineage): the caller refuses.
inline constexpr int kMaxLineage = 4096;
std::optional<std::vector<FileId>> lineage(int fd);

}  // namespace sysgate::monitor
