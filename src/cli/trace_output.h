// Where `sysgate trace` writes its lines: one buffered output, or (strace
// -ff -o FILE) one file per thread.
//
//   TraceOutput out(fd);
//   out.text() += "read(3, ...) = 5";
//   out.end_line();            // written out once 64 KiB have gathered
//   out.flush();               // and whenever the monitor runs out of records
//
//   TaskFiles files("trace");  // -ff -o trace
//   if (TraceOutput* o = files.output(tid)) ...;   // trace.<tid>
//   files.close(tid);          // the thread exited
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <utility>

namespace sysgate::cli {

// Writes all of bytes, waiting while a non-blocking fd is full (a terminal
// shared with a program that made it non-blocking): a piece of trace lost would
// be many lines. Any other error (a full disk, a closed pipe) loses the rest,
// as it did with stdio.
void write_all(int fd, std::string_view bytes);

// The trace's destination. Lines are appended to one buffer, which is written
// out in large pieces: a traced program can make a million calls a second, and
// a write per line would cost the monitor more than formatting it. flush() is
// what makes the trace appear: the printer's owner calls it whenever the
// monitor runs out of records to print, and before anything else goes to stderr.
class TraceOutput {
 public:
  explicit TraceOutput(int fd) : fd_(fd) { text_.reserve(kFlushBytes + kFlushBytes / 4); }
  ~TraceOutput() { wait_for_truncation(); }
  TraceOutput(TraceOutput&&) = default;
  TraceOutput& operator=(TraceOutput&&) = default;

  // For -o FILE opened without O_TRUNC: empties the file (named path in an
  // error) on a thread of its own; the first write waits for it.
  void truncate_first(const std::string& path);

  // The buffer a line is appended to; end_line() once it is complete.
  std::string& text() { return text_; }
  void end_line() {
    text_ += '\n';
    if (text_.size() >= kFlushBytes) flush();
  }

  void flush() {
    if (text_.empty()) return;  // and the monitor never waits for a truncation for nothing
    wait_for_truncation();
    write_all(fd_, text_);
    text_.clear();
  }

 private:
  void wait_for_truncation() {
    if (truncation_.joinable()) truncation_.join();
  }

  // Big enough that the write's cost vanishes per line, small enough to stay in cache.
  static constexpr size_t kFlushBytes = 64 << 10;
  int fd_;
  std::string text_;
  std::thread truncation_;
};

// strace -ff -o FILE: each thread's lines in FILE.TID. A file is opened at
// the thread's first line (truncated), closed after its exit, and reopened for
// appending if lines of it still come; at most kMaxOpen are open at once (the
// least recently written is closed first), so a build's thousands of
// processes do not run the monitor out of descriptors.
class TaskFiles {
 public:
  // append: -A, each file is appended to rather than emptied when first opened.
  explicit TaskFiles(std::string base, bool append = false) : base_(std::move(base)), append_(append) {}
  ~TaskFiles() { close_all(); }
  TaskFiles(const TaskFiles&) = delete;
  TaskFiles& operator=(const TaskFiles&) = delete;

  // The output of thread tid's lines; nullptr if its file cannot be opened
  // (said once on stderr).
  TraceOutput* output(int32_t tid);
  // The thread is gone: write its lines out and close its file.
  void close(int32_t tid);
  void flush();
  void close_all();

 private:
  static constexpr size_t kMaxOpen = 256;
  struct File {
    int fd;
    TraceOutput out;
    uint64_t last_use;
  };

  void close_least_recent();

  std::string base_;
  bool append_ = false;
  std::map<int32_t, File> files_;
  std::set<int32_t> started_;  // threads whose file was created in this run
  uint64_t uses_ = 0;
  bool failed_ = false;
};

}  // namespace sysgate::cli
