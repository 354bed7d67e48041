// strace -yy: what a socket is connected to, and which device a device file is.
//
//   trace::SocketDetails sockets;
//   sockets.describe(2818620);   // "TCP:[127.0.0.1:41234->127.0.0.1:80]"
//   trace::device_suffix("/dev/null");  // "<char 1:3>"
//
// Sockets are looked up by inode in the kernel's sock_diag (NETLINK_SOCK_DIAG),
// as strace does: a UNIX socket by its inode ("UNIX-STREAM:[ino->peer,"path"]"),
// TCP and UDP over IPv4 and IPv6 by dumping each table ("TCP:[src->dst]",
// "TCPv6:[[::1]:80]", "UDP:[ino]" while unbound), netlink sockets
// ("NETLINK:[ROUTE:portid]"). What is shown is the socket's state when it is
// asked, which the monitor does as it reads the record, a little after the
// call (docs/tracing.md); a socket closed by then is not found (nullopt).
// Not thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace sysgate::trace {

class SocketDetails {
 public:
  SocketDetails() = default;
  ~SocketDetails();
  SocketDetails(const SocketDetails&) = delete;
  SocketDetails& operator=(const SocketDetails&) = delete;

  // strace -yy's text for the socket with this inode; nullopt if the kernel
  // knows none (closed, or a family sock_diag does not cover). descriptor, a
  // /proc/PID/fd/N naming it: for a socket sock_diag does not list (a TCP
  // socket neither bound nor connected), its protocol's name from the
  // descriptor ("TCP:[ino]"), as strace falls back to.
  // *peer (if given): a connected UNIX socket's peer's inode, else 0.
  std::optional<std::string> describe(uint64_t inode, const std::string& descriptor = "", uint64_t* peer = nullptr);

 private:
  int socket_fd();  // the NETLINK_SOCK_DIAG socket, opened on first use; -1 if it cannot be
  int fd_ = -1;
};

// "<char 1:3>" or "<block 8:0>" after a device file's path, as strace -yy
// shows it; "" for anything else (or a path that no longer exists).
std::string device_suffix(const std::string& path);

}  // namespace sysgate::trace
