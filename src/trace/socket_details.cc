#include "trace/socket_details.h"

#include <arpa/inet.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

namespace sysgate::trace {

namespace {

// Sends one exact sock_diag lookup and hands its answer to take. False if
// the exchange failed or the kernel knows no such socket (NLMSG_ERROR: ENOENT).
bool lookup(int fd, const void* request, size_t request_bytes, const std::function<void(const nlmsghdr&)>& take) {
  struct {
    nlmsghdr header;
    std::array<uint8_t, 64> body;
  } message{};
  if (request_bytes > message.body.size()) return false;
  message.header.nlmsg_len = static_cast<uint32_t>(NLMSG_LENGTH(request_bytes));
  message.header.nlmsg_type = SOCK_DIAG_BY_FAMILY;
  message.header.nlmsg_flags = NLM_F_REQUEST;
  std::memcpy(message.body.data(), request, request_bytes);
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  if (sendto(fd, &message, message.header.nlmsg_len, 0, reinterpret_cast<sockaddr*>(&kernel), sizeof kernel) < 0) {
    return false;
  }
  alignas(nlmsghdr) std::array<uint8_t, 8192> buffer;
  const ssize_t n = recv(fd, buffer.data(), buffer.size(), 0);
  if (n <= 0) return false;
  auto left = static_cast<uint32_t>(n);
  const auto* h = reinterpret_cast<const nlmsghdr*>(buffer.data());
  if (!NLMSG_OK(h, left) || h->nlmsg_type == NLMSG_ERROR || h->nlmsg_type == NLMSG_DONE) return false;
  take(*h);
  return true;
}

// "127.0.0.1:80", "[::1]:80".
std::string endpoint(int family, const uint32_t address[4], uint16_t port_be) {
  char text[INET6_ADDRSTRLEN] = "";
  inet_ntop(family, address, text, sizeof text);
  const std::string port = std::to_string(ntohs(port_be));
  return family == AF_INET6 ? "[" + std::string(text) + "]:" + port : std::string(text) + ":" + port;
}

bool all_zero(const uint32_t address[4], int family) {
  const int words = family == AF_INET6 ? 4 : 1;
  for (int i = 0; i < words; ++i) {
    if (address[i] != 0) return false;
  }
  return true;
}

std::optional<std::string> unix_socket(int fd, uint64_t inode, uint64_t* peer_inode) {
  unix_diag_req request{};
  request.sdiag_family = AF_UNIX;
  request.udiag_states = ~0u;
  request.udiag_ino = static_cast<uint32_t>(inode);
  request.udiag_show = UDIAG_SHOW_NAME | UDIAG_SHOW_PEER;
  request.udiag_cookie[0] = request.udiag_cookie[1] = INET_DIAG_NOCOOKIE;
  std::optional<std::string> text;
  lookup(fd, &request, sizeof request, [&](const nlmsghdr& h) {
    if (h.nlmsg_len < NLMSG_LENGTH(sizeof(unix_diag_msg))) return;
    const auto* msg = static_cast<const unix_diag_msg*>(NLMSG_DATA(&h));
    if (msg->udiag_ino != inode) return;
    uint32_t peer = 0;
    std::string name;
    bool named = false;
    int left = static_cast<int>(h.nlmsg_len - NLMSG_LENGTH(sizeof *msg));
    for (auto* a = reinterpret_cast<const rtattr*>(msg + 1); RTA_OK(a, left); a = RTA_NEXT(a, left)) {
      const auto* data = static_cast<const char*>(RTA_DATA(a));
      const size_t bytes = RTA_PAYLOAD(a);
      if (a->rta_type == UNIX_DIAG_PEER && bytes >= 4) std::memcpy(&peer, data, 4);
      if (a->rta_type == UNIX_DIAG_NAME && bytes > 0) {
        named = true;
        // An abstract name starts with a NUL: "@" and the rest, as strace.
        name = data[0] == '\0' ? "@\"" + std::string(data + 1, bytes - 1) + "\""
                               : "\"" + std::string(data, strnlen(data, bytes)) + "\"";
      }
    }
    // The kernel's protocol names: "UNIX-STREAM" for stream sockets, "UNIX" for the others.
    std::string out = msg->udiag_type == SOCK_STREAM ? "UNIX-STREAM:[" : "UNIX:[";
    out += std::to_string(inode);
    if (peer != 0) out += "->" + std::to_string(peer);
    if (named) out += "," + name;
    text = out + "]";
    if (peer_inode != nullptr) *peer_inode = peer;
  });
  return text;
}

// strace's names of netlink protocols (NETLINK_ROUTE is "ROUTE").
std::string netlink_protocol(int protocol) {
  static constexpr std::array<const char*, 23> kNames = {
      "ROUTE",   "UNUSED",     "USERSOCK",  "FIREWALL",  "SOCK_DIAG",     "NFLOG",  "XFRM",     "SELINUX",
      "ISCSI",   "AUDIT",      "FIB_LOOKUP", "CONNECTOR", "NETFILTER",    "IP6_FW", "DNRTMSG",  "KOBJECT_UEVENT",
      "GENERIC", nullptr,      "SCSITRANSPORT", "ECRYPTFS", "RDMA",       "CRYPTO", "SMC"};
  if (protocol >= 0 && protocol < static_cast<int>(kNames.size()) && kNames[static_cast<size_t>(protocol)] != nullptr) {
    return kNames[static_cast<size_t>(protocol)];
  }
  return std::to_string(protocol);
}

int int_option(int fd, int name) {
  int value = -1;
  socklen_t size = sizeof value;
  return getsockopt(fd, SOL_SOCKET, name, &value, &size) == 0 ? value : -1;
}

// An IPv4 or IPv6 socket through its descriptor: "TCP:[src->dst]", "UDPv6:[[::1]:53]",
// "TCP:[ino]" while it has no address.
std::optional<std::string> inet_socket(int fd, int family, uint64_t inode) {
  const int protocol = int_option(fd, SO_PROTOCOL);
  std::string out = protocol == IPPROTO_TCP ? "TCP" : protocol == IPPROTO_UDP ? "UDP" : "";
  if (out.empty()) return std::nullopt;
  if (family == AF_INET6) out += "v6";
  out += ":[";
  sockaddr_storage local{}, remote{};
  socklen_t local_size = sizeof local, remote_size = sizeof remote;
  uint32_t src[4] = {}, dst[4] = {};
  uint16_t sport = 0, dport = 0;
  auto take = [&](const sockaddr_storage& a, uint32_t* address, uint16_t* port) {
    if (family == AF_INET6) {
      const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&a);
      std::memcpy(address, &in6->sin6_addr, 16);
      *port = in6->sin6_port;
    } else {
      const auto* in4 = reinterpret_cast<const sockaddr_in*>(&a);
      std::memcpy(address, &in4->sin_addr, 4);
      *port = in4->sin_port;
    }
  };
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&local), &local_size) == 0) take(local, src, &sport);
  const bool connected = getpeername(fd, reinterpret_cast<sockaddr*>(&remote), &remote_size) == 0;
  if (connected) take(remote, dst, &dport);
  if (sport == 0 && all_zero(src, family) && !connected) {
    out += std::to_string(inode);  // neither bound nor connected
  } else {
    out += endpoint(family, src, sport);
    if (connected) out += "->" + endpoint(family, dst, dport);
  }
  return out + "]";
}

// A bound netlink socket through its descriptor: "NETLINK:[ROUTE:4242]".
std::optional<std::string> netlink_socket(int fd) {
  sockaddr_nl local{};
  socklen_t size = sizeof local;
  // Not bound yet (port id 0): sock_diag does not list it; the caller shows "NETLINK:[ino]", as strace.
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&local), &size) != 0 || local.nl_pid == 0) return std::nullopt;
  return "NETLINK:[" + netlink_protocol(int_option(fd, SO_PROTOCOL)) + ":" + std::to_string(local.nl_pid) + "]";
}

}  // namespace

SocketDetails::~SocketDetails() {
  if (fd_ >= 0) close(fd_);
}

int SocketDetails::socket_fd() {
  if (fd_ < 0) fd_ = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
  return fd_;
}

std::optional<std::string> SocketDetails::describe_unix(uint64_t inode, uint64_t* peer) {
  if (peer != nullptr) *peer = 0;
  const int fd = socket_fd();
  if (fd < 0 || inode == 0 || inode > UINT32_MAX) return std::nullopt;  // sock_diag's inodes are 32-bit
  return unix_socket(fd, inode, peer);
}

std::optional<std::string> SocketDetails::describe_descriptor(int pidfd, int fd, uint64_t* inode, uint64_t* peer) {
  *inode = 0;
  if (peer != nullptr) *peer = 0;
  const int copy = static_cast<int>(syscall(SYS_pidfd_getfd, pidfd, fd, 0));
  if (copy < 0) return std::nullopt;
  std::optional<std::string> text;
  struct stat st {};
  if (fstat(copy, &st) == 0 && S_ISSOCK(st.st_mode)) {
    *inode = st.st_ino;
    const int family = int_option(copy, SO_DOMAIN);
    if (family == AF_UNIX) {
      text = describe_unix(st.st_ino, peer);
    } else if (family == AF_INET || family == AF_INET6) {
      text = inet_socket(copy, family, st.st_ino);
    } else if (family == AF_NETLINK) {
      text = netlink_socket(copy);
    }
    if (!text) {
      // Other families: the kernel's name for the protocol ("PACKET:[ino]"), as strace falls back to.
      char name[64];
      const ssize_t n = fgetxattr(copy, "system.sockprotoname", name, sizeof name - 1);
      if (n > 0) text = std::string(name, strnlen(name, static_cast<size_t>(n))) + ":[" + std::to_string(st.st_ino) + "]";
    }
  }
  close(copy);
  return text;
}

std::string device_suffix(const std::string& path) {
  struct stat st {};
  if (path.empty() || path[0] != '/' || stat(path.c_str(), &st) != 0) return "";
  if (!S_ISCHR(st.st_mode) && !S_ISBLK(st.st_mode)) return "";
  return std::string(S_ISCHR(st.st_mode) ? "<char " : "<block ") + std::to_string(major(st.st_rdev)) + ":" +
         std::to_string(minor(st.st_rdev)) + ">";
}

}  // namespace sysgate::trace
