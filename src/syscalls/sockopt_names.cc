#include "syscalls/sockopt_names.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <netinet/udp.h>
#include <sys/socket.h>

#include <span>
#include <string_view>

#include "syscalls/constant_tables.h"
#include "syscalls/const_style.h"
#include "syscalls/number_text.h"

namespace sysgate::syscalls {
namespace {

using constants::detail::Named;

// strace's names for the levels (SOL_IP for IPPROTO_IP, ...).
constexpr Named kLevels[] = {
    {"SOL_IP", 0},       {"SOL_SOCKET", SOL_SOCKET}, {"SOL_TCP", 6},        {"SOL_UDP", 17},
    {"SOL_IPV6", 41},    {"SOL_ICMPV6", 58},         {"SOL_SCTP", 132},     {"SOL_UDPLITE", 136},
    {"SOL_RAW", 255},    {"SOL_PACKET", 263},        {"SOL_NETLINK", 270},  {"SOL_TLS", 282},
    {"SOL_XDP", 283},    {"SOL_MPTCP", 284},
};

constexpr Named kSocketOptions[] = {
    SYSGATE_NAMED(SO_DEBUG),        SYSGATE_NAMED(SO_REUSEADDR),   SYSGATE_NAMED(SO_TYPE),
    SYSGATE_NAMED(SO_ERROR),        SYSGATE_NAMED(SO_DONTROUTE),   SYSGATE_NAMED(SO_BROADCAST),
    SYSGATE_NAMED(SO_SNDBUF),       SYSGATE_NAMED(SO_RCVBUF),      SYSGATE_NAMED(SO_KEEPALIVE),
    SYSGATE_NAMED(SO_OOBINLINE),    SYSGATE_NAMED(SO_NO_CHECK),    SYSGATE_NAMED(SO_PRIORITY),
    SYSGATE_NAMED(SO_LINGER),       SYSGATE_NAMED(SO_BSDCOMPAT),   SYSGATE_NAMED(SO_REUSEPORT),
    SYSGATE_NAMED(SO_PASSCRED),     SYSGATE_NAMED(SO_PEERCRED),    SYSGATE_NAMED(SO_RCVLOWAT),
    SYSGATE_NAMED(SO_SNDLOWAT),     {"SO_RCVTIMEO_OLD", 20},       {"SO_SNDTIMEO_OLD", 21},
    SYSGATE_NAMED(SO_SECURITY_AUTHENTICATION), SYSGATE_NAMED(SO_SECURITY_ENCRYPTION_TRANSPORT),
    SYSGATE_NAMED(SO_SECURITY_ENCRYPTION_NETWORK), SYSGATE_NAMED(SO_BINDTODEVICE),
    SYSGATE_NAMED(SO_ATTACH_FILTER), SYSGATE_NAMED(SO_DETACH_FILTER), SYSGATE_NAMED(SO_PEERNAME),
    {"SO_TIMESTAMP_OLD", 29},       SYSGATE_NAMED(SO_ACCEPTCONN),  SYSGATE_NAMED(SO_PEERSEC),
    SYSGATE_NAMED(SO_SNDBUFFORCE),  SYSGATE_NAMED(SO_RCVBUFFORCE), SYSGATE_NAMED(SO_PASSSEC),
    {"SO_TIMESTAMPNS_OLD", 35},     SYSGATE_NAMED(SO_MARK),        {"SO_TIMESTAMPING_OLD", 37},
    SYSGATE_NAMED(SO_PROTOCOL),     SYSGATE_NAMED(SO_DOMAIN),      SYSGATE_NAMED(SO_RXQ_OVFL),
    SYSGATE_NAMED(SO_WIFI_STATUS),  SYSGATE_NAMED(SO_PEEK_OFF),    SYSGATE_NAMED(SO_NOFCS),
    SYSGATE_NAMED(SO_LOCK_FILTER),  SYSGATE_NAMED(SO_SELECT_ERR_QUEUE), SYSGATE_NAMED(SO_BUSY_POLL),
    SYSGATE_NAMED(SO_MAX_PACING_RATE), SYSGATE_NAMED(SO_BPF_EXTENSIONS), SYSGATE_NAMED(SO_INCOMING_CPU),
    SYSGATE_NAMED(SO_ATTACH_BPF),   {"SO_ATTACH_REUSEPORT_CBPF", 51}, {"SO_ATTACH_REUSEPORT_EBPF", 52},
    {"SO_CNX_ADVICE", 53},          {"SO_MEMINFO", 55},            {"SO_INCOMING_NAPI_ID", 56},
    {"SO_COOKIE", 57},              {"SO_PEERGROUPS", 59},         {"SO_ZEROCOPY", 60},
    {"SO_TXTIME", 61},              {"SO_BINDTOIFINDEX", 62},      {"SO_TIMESTAMP_NEW", 63},
    {"SO_TIMESTAMPNS_NEW", 64},     {"SO_TIMESTAMPING_NEW", 65},   {"SO_RCVTIMEO_NEW", 66},
    {"SO_SNDTIMEO_NEW", 67},        {"SO_DETACH_REUSEPORT_BPF", 68}, {"SO_PREFER_BUSY_POLL", 69},
    {"SO_BUSY_POLL_BUDGET", 70},    {"SO_NETNS_COOKIE", 71},       {"SO_BUF_LOCK", 72},
    {"SO_RESERVE_MEM", 73},         {"SO_TXREHASH", 74},           {"SO_RCVMARK", 75},
    {"SO_PASSPIDFD", 76},           {"SO_PEERPIDFD", 77},
};

constexpr Named kTcpOptions[] = {
    {"TCP_NODELAY", 1},        {"TCP_MAXSEG", 2},          {"TCP_CORK", 3},            {"TCP_KEEPIDLE", 4},
    {"TCP_KEEPINTVL", 5},      {"TCP_KEEPCNT", 6},         {"TCP_SYNCNT", 7},          {"TCP_LINGER2", 8},
    {"TCP_DEFER_ACCEPT", 9},   {"TCP_WINDOW_CLAMP", 10},   {"TCP_INFO", 11},           {"TCP_QUICKACK", 12},
    {"TCP_CONGESTION", 13},    {"TCP_MD5SIG", 14},         {"TCP_THIN_LINEAR_TIMEOUTS", 16},
    {"TCP_THIN_DUPACK", 17},   {"TCP_USER_TIMEOUT", 18},   {"TCP_REPAIR", 19},         {"TCP_REPAIR_QUEUE", 20},
    {"TCP_QUEUE_SEQ", 21},     {"TCP_REPAIR_OPTIONS", 22}, {"TCP_FASTOPEN", 23},       {"TCP_TIMESTAMP", 24},
    {"TCP_NOTSENT_LOWAT", 25}, {"TCP_CC_INFO", 26},        {"TCP_SAVE_SYN", 27},       {"TCP_SAVED_SYN", 28},
    {"TCP_REPAIR_WINDOW", 29}, {"TCP_FASTOPEN_CONNECT", 30}, {"TCP_ULP", 31},          {"TCP_MD5SIG_EXT", 32},
    {"TCP_FASTOPEN_KEY", 33},  {"TCP_FASTOPEN_NO_COOKIE", 34}, {"TCP_ZEROCOPY_RECEIVE", 35}, {"TCP_INQ", 36},
    {"TCP_TX_DELAY", 37},
};

constexpr Named kIpOptions[] = {
    {"IP_TOS", 1},              {"IP_TTL", 2},              {"IP_HDRINCL", 3},          {"IP_OPTIONS", 4},
    {"IP_ROUTER_ALERT", 5},     {"IP_RECVOPTS", 6},         {"IP_RETOPTS", 7},          {"IP_PKTINFO", 8},
    {"IP_PKTOPTIONS", 9},       {"IP_MTU_DISCOVER", 10},    {"IP_RECVERR", 11},         {"IP_RECVTTL", 12},
    {"IP_RECVTOS", 13},         {"IP_MTU", 14},             {"IP_FREEBIND", 15},        {"IP_IPSEC_POLICY", 16},
    {"IP_XFRM_POLICY", 17},     {"IP_PASSSEC", 18},         {"IP_TRANSPARENT", 19},     {"IP_ORIGDSTADDR", 20},
    {"IP_MINTTL", 21},          {"IP_NODEFRAG", 22},        {"IP_CHECKSUM", 23},        {"IP_BIND_ADDRESS_NO_PORT", 24},
    {"IP_RECVFRAGSIZE", 25},    {"IP_RECVERR_RFC4884", 26}, {"IP_MULTICAST_IF", 32},    {"IP_MULTICAST_TTL", 33},
    {"IP_MULTICAST_LOOP", 34},  {"IP_ADD_MEMBERSHIP", 35},  {"IP_DROP_MEMBERSHIP", 36}, {"IP_UNBLOCK_SOURCE", 37},
    {"IP_BLOCK_SOURCE", 38},    {"IP_ADD_SOURCE_MEMBERSHIP", 39}, {"IP_DROP_SOURCE_MEMBERSHIP", 40},
    {"IP_MSFILTER", 41},        {"IP_MULTICAST_ALL", 49},   {"IP_UNICAST_IF", 50},
};

constexpr Named kIpv6Options[] = {
    {"IPV6_ADDRFORM", 1},       {"IPV6_2292PKTINFO", 2},    {"IPV6_2292HOPOPTS", 3},    {"IPV6_2292DSTOPTS", 4},
    {"IPV6_2292RTHDR", 5},      {"IPV6_2292PKTOPTIONS", 6}, {"IPV6_CHECKSUM", 7},       {"IPV6_2292HOPLIMIT", 8},
    {"IPV6_NEXTHOP", 9},        {"IPV6_AUTHHDR", 10},       {"IPV6_FLOWINFO", 11},      {"IPV6_UNICAST_HOPS", 16},
    {"IPV6_MULTICAST_IF", 17},  {"IPV6_MULTICAST_HOPS", 18}, {"IPV6_MULTICAST_LOOP", 19}, {"IPV6_ADD_MEMBERSHIP", 20},
    {"IPV6_DROP_MEMBERSHIP", 21}, {"IPV6_ROUTER_ALERT", 22}, {"IPV6_MTU_DISCOVER", 23}, {"IPV6_MTU", 24},
    {"IPV6_RECVERR", 25},       {"IPV6_V6ONLY", 26},        {"IPV6_JOIN_ANYCAST", 27},  {"IPV6_LEAVE_ANYCAST", 28},
    {"IPV6_MULTICAST_ALL", 29}, {"IPV6_ROUTER_ALERT_ISOLATE", 30}, {"IPV6_RECVERR_RFC4884", 31},
    {"IPV6_IPSEC_POLICY", 34},  {"IPV6_XFRM_POLICY", 35},   {"IPV6_HDRINCL", 36},       {"IPV6_RECVPKTINFO", 49},
    {"IPV6_PKTINFO", 50},       {"IPV6_RECVHOPLIMIT", 51},  {"IPV6_HOPLIMIT", 52},      {"IPV6_RECVHOPOPTS", 53},
    {"IPV6_HOPOPTS", 54},       {"IPV6_RTHDRDSTOPTS", 55},  {"IPV6_RECVRTHDR", 56},     {"IPV6_RTHDR", 57},
    {"IPV6_RECVDSTOPTS", 58},   {"IPV6_DSTOPTS", 59},       {"IPV6_RECVPATHMTU", 60},   {"IPV6_PATHMTU", 61},
    {"IPV6_DONTFRAG", 62},      {"IPV6_RECVTCLASS", 66},    {"IPV6_TCLASS", 67},        {"IPV6_AUTOFLOWLABEL", 70},
    {"IPV6_ADDR_PREFERENCES", 72}, {"IPV6_MINHOPCOUNT", 73}, {"IPV6_ORIGDSTADDR", 74},  {"IPV6_TRANSPARENT", 75},
    {"IPV6_UNICAST_IF", 76},    {"IPV6_RECVFRAGSIZE", 77},  {"IPV6_FREEBIND", 78},
};

constexpr Named kUdpOptions[] = {
    {"UDP_CORK", 1}, {"UDP_ENCAP", 100}, {"UDP_NO_CHECK6_TX", 101}, {"UDP_NO_CHECK6_RX", 102},
    {"UDP_SEGMENT", 103}, {"UDP_GRO", 104},
};

std::string_view name_in(std::span<const Named> table, uint64_t value) {
  for (const Named& n : table) {
    if (n.value == value) return n.name;
  }
  return {};
}

// The level's options and the prefix strace puts in "/* SO_??? */".
std::span<const Named> options_of(uint64_t level, std::string_view* prefix) {
  switch (level) {
    case SOL_SOCKET: *prefix = "SO"; return kSocketOptions;
    case 6: *prefix = "TCP"; return kTcpOptions;
    case 0: *prefix = "IP"; return kIpOptions;
    case 41: *prefix = "IPV6"; return kIpv6Options;
    case 17: *prefix = "UDP"; return kUdpOptions;
    default: return {};
  }
}

}  // namespace

void append_sockopt_level(std::string& out, uint64_t level, ConstStyle style) {
  const uint32_t v = static_cast<uint32_t>(level);  // int level
  const std::string_view name = name_in(kLevels, v);
  if (!name.empty()) return append_named(out, style, v, NumberForm::kHex, name);
  append_hex_or_zero(out, v);
  if (style == ConstStyle::kRaw) return;
  out += style == ConstStyle::kVerbose ? " /* SOL_?? */" : " /* SOL_??? */";  // strace 6.1's two texts
}

void append_sockopt_name(std::string& out, uint64_t level, uint64_t optname, ConstStyle style) {
  const uint32_t v = static_cast<uint32_t>(optname);  // int optname
  std::string_view prefix;
  const std::span<const Named> table = options_of(static_cast<uint32_t>(level), &prefix);
  const std::string_view name = name_in(table, v);
  if (!name.empty()) return append_named(out, style, v, NumberForm::kHex, name);
  if (prefix.empty()) {
    append_decimal(out, v);
    return;
  }
  append_hex_or_zero(out, v);
  if (style == ConstStyle::kRaw) return;
  out += " /* ";
  out += prefix;
  out += "_??? */";
}

}  // namespace sysgate::syscalls
