#include "policy/profiles.h"

#include <array>
#include <string>

#include "policy/builder.h"
#include "policy/parser.h"

namespace sysgate::policy {

namespace {

struct Profile {
  std::string_view name;
  std::string_view text;
};

constexpr std::string_view kDefault = R"toml(
# default: run ordinary programs. Read the system and the working directory,
# write the working directory and a private temp dir, run system binaries,
# no network. Every refusal is explained.
default = "explain"
promises = ["stdio", "rpath", "wpath", "cpath", "tmppath", "fattr", "flock",
            "proc", "thread", "exec", "prot_exec", "tty", "signal"]

[files]
read = ["/usr", "/bin", "/sbin", "/lib", "/lib64", "/etc", "/opt",
        "/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom", "/dev/tty",
        "/proc/cpuinfo", "/proc/meminfo", "/proc/stat", "/proc/filesystems",
        "/sys/devices/system/cpu", "$CWD"]
write = ["/dev/null", "/dev/zero", "/dev/full", "/dev/tty", "$CWD"]
create = ["$CWD"]
exec = ["/usr/bin", "/bin", "/usr/sbin", "/sbin", "/usr/local/bin", "/usr/lib", "/usr/libexec", "/lib", "/lib64"]
# Secrets inside the trees above stay out of reach.
except = ["/etc/shadow", "/etc/shadow-", "/etc/gshadow", "/etc/gshadow-", "/etc/sudoers", "/etc/sudoers.d",
          "/etc/ssh", "/etc/ssl/private", "/etc/security/opasswd"]

# glibc's NSS asks nscd over a unix socket on every user or group lookup (ls -l,
# id, sqlite3, ...) and reads /etc/passwd when it cannot. Refuse exactly that
# probe quietly; any other unix socket is still refused with a report.
[[rule]]
syscall = "socket"
when = "domain == AF_UNIX && type == SOCK_STREAM|SOCK_NONBLOCK|SOCK_CLOEXEC && protocol == 0"
action = "errno(EACCES)"
)toml";

constexpr std::string_view kStdio = R"toml(
# stdio: the seed's strict mode. Read and write descriptors the program already
# has, manage memory, exit. The file rules below are only what the dynamic
# loader needs to start the program; stdio grants no open(), so these opens are
# performed by the monitor on the program's behalf (brokered).
default = "explain"
promises = ["stdio", "prot_exec"]

[files]
read = ["/etc/ld.so.cache", "/etc/ld.so.preload", "/lib", "/lib64", "/usr/lib", "/usr/lib64",
        # libc's locale and message catalogues, read at start by most programs
        "/usr/share/locale", "/etc/locale.alias", "/etc/localtime", "/usr/share/zoneinfo"]
)toml";

constexpr std::string_view kAll = R"toml(
# all: allow everything. A baseline for tracing and benchmarks; confines nothing.
default = "allow"
)toml";

constexpr std::array<Profile, 3> kProfiles = {{{"default", kDefault}, {"stdio", kStdio}, {"all", kAll}}};

}  // namespace

std::vector<std::string_view> profile_names() {
  std::vector<std::string_view> names;
  for (const Profile& p : kProfiles) names.push_back(p.name);
  return names;
}

std::optional<std::string_view> profile_text(std::string_view name) {
  for (const Profile& p : kProfiles) {
    if (p.name == name) return p.text;
  }
  return std::nullopt;
}

Result<Policy> load_profile(std::string_view name) {
  std::optional<std::string_view> text = profile_text(name);
  if (!text) {
    std::string known;
    for (const Profile& p : kProfiles) known += (known.empty() ? "" : ", ") + std::string(p.name);
    return make_error(ErrorCode::kUnknownName, "unknown profile \"" + std::string(name) + "\" (known: " + known + ")");
  }
  PolicyBuilder builder("profile " + std::string(name));
  Result<void> r = parse_policy_into(builder, *text, "profile " + std::string(name));
  if (!r) return r.error();
  return builder.build();
}

}  // namespace sysgate::policy
