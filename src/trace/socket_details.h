// strace -yy: what a socket is connected to, and which device a device file is.
//
//   trace::SocketDetails sockets;
//   sockets.describe_descriptor(pidfd, 4, &inode, &peer);  // "TCP:[127.0.0.1:41234->127.0.0.1:80]"
//   sockets.describe_unix(2818620, &peer);                // "UNIX-STREAM:[2818620->2818621]"
//   trace::device_suffix("/dev/null");                    // "<char 1:3>"
//
// A process's socket is asked through a copy of its descriptor
// (pidfd_getfd): its family, protocol and addresses (getsockopt,
// getsockname, getpeername), as strace -yy prints them ("TCP:[src->dst]",
// "TCPv6:[[::1]:80]", "UDP:[ino]" while unbound, "NETLINK:[ROUTE:portid]");
// a UNIX socket's name and peer come from the kernel's sock_diag
// (NETLINK_SOCK_DIAG) by its inode, as strace asks them. (Dumping sock_diag's
// TCP table instead walks the whole connection hash: milliseconds a lookup
// on a host with a large one.) The process should be stopped at the call
// (trace -yy's gate waits for the monitor after socket calls).
// Not thread-safe.
#pragma once

#include <sys/types.h>

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

  // strace -yy's text for descriptor fd of the process pidfd names (a pidfd
  // the caller checked is a traced process's: trace/traced_processes.h), if it
  // is a socket (nullopt otherwise, or when the process or descriptor is
  // gone). *inode: the socket's; *peer: a connected UNIX socket's peer's
  // inode, else 0.
  std::optional<std::string> describe_descriptor(int pidfd, int fd, uint64_t* inode, uint64_t* peer);
  // A UNIX socket by inode (a socketpair's ends, a peer); nullopt if none.
  std::optional<std::string> describe_unix(uint64_t inode, uint64_t* peer);

 private:
  int socket_fd();  // the NETLINK_SOCK_DIAG socket, opened on first use; -1 if it cannot be
  int fd_ = -1;
};

// "<char 1:3>" or "<block 8:0>" after a device file's path, as strace -yy
// shows it; "" for anything else (or a path that no longer exists).
std::string device_suffix(const std::string& path);

}  // namespace sysgate::trace
