#include "monitor/exec_chain.h"

#include <elf.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "sandbox/unique_fd.h"

namespace sysgate::monitor {

namespace {

constexpr int kMaxDepth = 4;  // the kernel allows 4 levels of interpreters too

std::string read_prefix(int fd, size_t max) {
  std::string buf(max, '\0');
  ssize_t n = pread(fd, buf.data(), max, 0);
  buf.resize(n > 0 ? static_cast<size_t>(n) : 0);
  return buf;
}

std::string elf_interpreter(int fd, off_t file_size) {
  Elf64_Ehdr eh;
  if (pread(fd, &eh, sizeof eh, 0) != static_cast<ssize_t>(sizeof eh)) return "";
  if (std::memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 || eh.e_ident[EI_CLASS] != ELFCLASS64) return "";
  if (eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phnum > 512) return "";
  for (uint16_t i = 0; i < eh.e_phnum; ++i) {
    Elf64_Phdr ph;
    off_t at = static_cast<off_t>(eh.e_phoff + uint64_t{i} * sizeof ph);
    if (at < 0 || at + static_cast<off_t>(sizeof ph) > file_size) return "";
    if (pread(fd, &ph, sizeof ph, at) != static_cast<ssize_t>(sizeof ph)) return "";
    if (ph.p_type != PT_INTERP) continue;
    if (ph.p_filesz < 2 || ph.p_filesz > 4096 || ph.p_offset + ph.p_filesz > static_cast<uint64_t>(file_size)) return "";
    std::string path(ph.p_filesz, '\0');
    if (pread(fd, path.data(), ph.p_filesz, static_cast<off_t>(ph.p_offset)) != static_cast<ssize_t>(ph.p_filesz)) {
      return "";
    }
    path.resize(strnlen(path.c_str(), path.size()));
    return path;
  }
  return "";
}

void walk(const std::string& program, int depth, std::vector<ChainEntry>& out) {
  if (depth > kMaxDepth || program.empty() || program[0] != '/') return;
  sandbox::UniqueFd fd(open(program.c_str(), O_RDONLY | O_CLOEXEC));
  struct stat st {};
  if (!fd.valid() || fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) return;
  std::string head = read_prefix(fd.get(), 256);
  if (head.size() > 2 && head[0] == '#' && head[1] == '!') {
    if (!out.empty()) out.back().needs_read = true;
    size_t end = head.find('\n');
    std::string line = head.substr(2, end == std::string::npos ? std::string::npos : end - 2);
    size_t start = line.find_first_not_of(" \t");
    if (start == std::string::npos) return;
    size_t stop = line.find_first_of(" \t", start);
    std::string interpreter = line.substr(start, stop == std::string::npos ? std::string::npos : stop - start);
    out.push_back({interpreter, false});
    walk(interpreter, depth + 1, out);
    return;
  }
  std::string interp = elf_interpreter(fd.get(), st.st_size);
  if (!interp.empty()) out.push_back({interp, false});
}

}  // namespace

std::vector<ChainEntry> exec_chain(const std::string& program) {
  std::vector<ChainEntry> out{{program, false}};
  walk(program, 0, out);
  return out;
}

namespace {

constexpr size_t kShebangBytes = 256;  // BINPRM_BUF_SIZE: what the kernel reads

struct Shebang {
  bool is_script = false;
  std::string interpreter, argument;
};

// The "#!" line of a file's first kShebangBytes, parsed like the gate's
// parse_shebang (exec_via_loader.cc) and the kernel's binfmt_script.
Result<Shebang> read_shebang(const std::string& path) {
  sandbox::UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) {
    return make_error(errno == ENOENT ? ErrorCode::kNotFound : ErrorCode::kSystem,
                      "cannot open " + path + ": " + strerror(errno));
  }
  const std::string head = read_prefix(fd.get(), kShebangBytes);
  Shebang s;
  if (head.size() < 3 || head[0] != '#' || head[1] != '!') return s;
  const size_t newline = head.find('\n');
  if (newline == std::string::npos && head.size() == kShebangBytes) {
    return make_error(ErrorCode::kInvalidArgument, path + ": its \"#!\" line is longer than the kernel reads (" +
                                                       std::to_string(kShebangBytes) + " bytes)");
  }
  const std::string line = head.substr(2, newline == std::string::npos ? std::string::npos : newline - 2);
  const size_t start = line.find_first_not_of(" \t");
  if (start == std::string::npos) {
    return make_error(ErrorCode::kInvalidArgument, path + ": its \"#!\" line names no interpreter");
  }
  const size_t stop = line.find_first_of(" \t", start);
  s.is_script = true;
  s.interpreter = line.substr(start, stop == std::string::npos ? std::string::npos : stop - start);
  if (stop != std::string::npos) {
    const size_t a = line.find_first_not_of(" \t", stop);
    const size_t b = line.find_last_not_of(" \t");
    if (a != std::string::npos) s.argument = line.substr(a, b + 1 - a);
  }
  return s;
}

}  // namespace

Result<ExecTarget> exec_target(const std::string& program, const std::string& name,
                               const std::vector<std::string>& argv, const std::string& cwd) {
  ExecTarget t{program, argv};
  std::string as_named = name;  // the file as execve was given it: what a script's interpreter gets
  for (int depth = 0;; ++depth) {
    Result<Shebang> s = read_shebang(t.path);
    if (!s) return s.error();
    if (!s->is_script) return t;
    if (depth + 1 >= kMaxDepth) {
      return make_error(ErrorCode::kInvalidArgument, program + ": more than " + std::to_string(kMaxDepth - 1) +
                                                         " levels of \"#!\" interpreters (the kernel says ELOOP)");
    }
    std::string interpreter = s->interpreter;
    if (interpreter[0] != '/') interpreter = cwd + "/" + interpreter;
    if (access(interpreter.c_str(), F_OK) != 0) {
      return make_error(ErrorCode::kNotFound, t.path + ": its interpreter " + s->interpreter + " (\"#!\" line): " +
                                                  strerror(errno));
    }
    // The kernel drops the script's argv[0] and puts the script's path instead.
    std::vector<std::string> next = {s->interpreter};
    if (!s->argument.empty()) next.push_back(s->argument);
    next.push_back(as_named);
    if (t.argv.size() > 1) next.insert(next.end(), t.argv.begin() + 1, t.argv.end());
    t.path = interpreter;
    t.argv = std::move(next);
    as_named = s->interpreter;
  }
}

}  // namespace sysgate::monitor
