// strace -yy's names for descriptors, as the trace shows them: a socket's
// endpoints learned as its records arrive, a device file's numbers.
//
//   trace::SocketNames names;
//   names.note(record);                  // as the record arrives (TraceOptions::on_arrival)
//   ...
//   const std::string* shown = names.shown(name, &record);  // "socket:[123]" -> "TCP:[...->...]"
//
// After a call that makes a socket or sets its addresses (socket, socketpair,
// accept, accept4, bind, connect, listen) the gate waits for the monitor, so
// the program is as that call left it when note() runs: the record keeps its
// descriptor arguments' sockets as they were before the call (what was
// learned last) and the ones it made as they are now, and what is learned
// then serves the lines of later calls (socket_details.h asks the kernel).
// Not thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "trace/record.h"
#include "trace/socket_details.h"
#include "trace/traced_processes.h"

namespace sysgate::trace {

class SocketNames {
 public:
  // Looks into traced processes only (null: none).
  explicit SocketNames(TracedProcesses* traced) : traced_(traced) {}

  // Learns what record's sockets are (see above); fills record.socket_names.
  void note(Record& record);

  // What -yy shows for a descriptor FdPaths names `name`: a socket
  // ("socket:[ino]") as line's record saw it, else as learned last, else
  // name; a device file with its numbers ("/dev/null<char 1:3>"); name
  // itself otherwise. line may be null.
  const std::string* shown(const std::string& name, const Record* line);

 private:
  void learn_descriptor(int32_t pid, int32_t fd);
  void learn_unix(uint64_t inode);

  TracedProcesses* traced_;
  SocketDetails sockets_;
  std::map<uint64_t, std::string> sockets_by_inode_;  // as last learned
  std::map<std::string, std::string> devices_;        // a path, and it with its device numbers if any
};

}  // namespace sysgate::trace
