// Which program each traced process runs, for `/proc/self/exe` and friends.
//
// Every image starts in sysgate's loader, so the kernel's /proc/PID/exe names
// the loader, and exec of "/proc/self/exe" (how programs re-exec themselves)
// would run the loader -- or, since the monitor resolves paths without magic
// links, fail with ELOOP. The monitor knows better: it opened every image
// itself (the first one, and each brokered exec). This remembers the real path
// per process and answers for any process, walking up to the nearest ancestor
// it knows (a forked child that has not exec'd runs its parent's image).
//
//   ProcessImages images;
//   images.set(pid, "/usr/bin/bash");                 // after a successful exec broker
//   if (auto p = exe_link_target("/proc/self/exe", caller, images)) path = *p;
//
// Entries are keyed by thread-group id and checked against the process's start
// time, so a reused pid is not taken for an old process. Files replaced on
// disk since the exec are not noticed (the path is reopened).
// Not thread-safe (the monitor is single-threaded).
#pragma once

#include <sys/types.h>

#include <map>
#include <optional>
#include <string>

namespace sysgate::monitor {

class ProcessImages {
 public:
  // pid: any thread of the process.
  void set(pid_t pid, const std::string& path);
  // The same, for a process whose thread-group id the caller read already
  // (one /proc file read instead of two: this runs on every brokered exec).
  void set_for_process(pid_t tgid, const std::string& path);
  std::optional<std::string> image_of(pid_t pid) const;

 private:
  struct Image {
    unsigned long long start_time;
    std::string path;
  };
  std::map<pid_t, Image> images_;  // by thread-group id
};

// The path an exec of `path` by thread `caller` means when `path` is the
// process's own exe link: "/proc/self/exe", "/proc/thread-self/exe" or
// "/proc/<caller's pid>/exe". nullopt for every other path, or when the image
// is not known.
std::optional<std::string> exe_link_target(const std::string& path, pid_t caller, const ProcessImages& images);

}  // namespace sysgate::monitor
