#include "trace/socket_names.h"

#include <asm/unistd.h>
#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cinttypes>
#include <cstdio>
#include <optional>

#include "syscalls/syscall_table.h"
#include "trace/ring_format.h"

namespace sysgate::trace {

namespace {

// The inode of the socket fd names in the process of /proc/PID descriptor
// dir (-1: none) now, or 0.
uint64_t socket_inode(int dir, int32_t fd) {
  if (fd < 0 || dir < 0) return 0;
  char link[64];
  const ssize_t n = readlinkat(dir, ("fd/" + std::to_string(fd)).c_str(), link, sizeof link - 1);
  if (n <= 0) return 0;
  link[n] = '\0';
  uint64_t inode = 0;
  return std::sscanf(link, "socket:[%" SCNu64 "]", &inode) == 1 ? inode : 0;
}

}  // namespace

void SocketNames::note(Record& r) {
  if (r.kind != kRecordSyscall) return;
  const syscalls::SyscallInfo* info = syscalls::by_number(r.nr);
  if (info == nullptr) return;
  const bool sets_up = sets_up_socket(r.nr);
  for (int i = 0; i < info->argc; ++i) {
    if (info->args[static_cast<size_t>(i)].type != syscalls::ArgType::kFd) continue;
    const auto fd = static_cast<int32_t>(r.args[i]);
    const uint64_t inode = socket_inode(traced_ != nullptr ? traced_->proc_dir(r.pid) : -1, fd);
    if (inode == 0) continue;
    if (const auto it = sockets_by_inode_.find(inode); it != sockets_by_inode_.end()) {
      r.extra().socket_names.emplace_back(inode, it->second);
    }
    if (sets_up) learn_descriptor(r.pid, fd);
  }
  if (!sets_up) return;
  // The descriptors it made, as they are now: the one socket and accept
  // return, socketpair's two (UNIX sockets, by the inodes the gate's fstat gave).
  const bool returns_fd = r.nr == __NR_socket || r.nr == __NR_accept || r.nr == __NR_accept4;
  if (returns_fd && r.ret >= 0) learn_descriptor(r.pid, static_cast<int32_t>(r.ret));
  if (r.nr == __NR_socketpair && r.ret == 0) {
    for (uint64_t inode : r.fd_inodes) learn_unix(inode);
  }
  for (uint64_t inode : r.fd_inodes) {
    if (const auto it = sockets_by_inode_.find(inode); inode != 0 && it != sockets_by_inode_.end()) {
      r.extra().socket_names.emplace_back(inode, it->second);
    }
  }
}

const std::string* SocketNames::shown(const std::string& name, const Record* line) {
  uint64_t inode = 0;
  if (std::sscanf(name.c_str(), "socket:[%" SCNu64 "]", &inode) == 1) {
    if (line != nullptr && line->extras) {
      for (const auto& [known, text] : line->extras->socket_names) {
        if (known == inode) return &text;
      }
    }
    const auto it = sockets_by_inode_.find(inode);
    return it != sockets_by_inode_.end() ? &it->second : &name;
  }
  auto [it, fresh] = devices_.try_emplace(name);
  if (fresh) it->second = name + device_suffix(name);
  return &it->second;
}

// What a socket of the process is now; a UNIX socket's peer is asked again
// too (a client's connect came before the accept that gave its peer an inode).
void SocketNames::learn_descriptor(int32_t pid, int32_t fd) {
  if (traced_ == nullptr) return;
  // The pidfd first, then the check: a pid reused after the check could
  // otherwise name another process; while the checked one lives, the pidfd is its.
  const int process = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  if (process < 0) return;
  uint64_t inode = 0, peer = 0;
  std::optional<std::string> text;
  if (traced_->proc_dir(pid) >= 0) text = sockets_.describe_descriptor(process, fd, &inode, &peer);
  close(process);
  if (text) sockets_by_inode_[inode] = std::move(*text);
  if (peer != 0 && peer != inode) learn_unix(peer);
}

void SocketNames::learn_unix(uint64_t inode) {
  if (inode == 0) return;
  if (std::optional<std::string> text = sockets_.describe_unix(inode, nullptr)) sockets_by_inode_[inode] = std::move(*text);
}

}  // namespace sysgate::trace
