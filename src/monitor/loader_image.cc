#include "monitor/loader_image.h"

#include <elf.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "sandbox/unique_fd.h"

namespace sysgate::monitor {

namespace {

Error bad(const std::string& path, const std::string& why) {
  return make_error(ErrorCode::kInvalidArgument, path + " is not a sysgate loader image: " + why);
}

}  // namespace

Result<LoaderImage> read_loader_image(const std::string& path) {
  sandbox::UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) {
    return make_error(errno == ENOENT ? ErrorCode::kNotFound : ErrorCode::kSystem,
                      "cannot open the loader " + path + ": " + std::strerror(errno));
  }
  Elf64_Ehdr eh{};
  if (pread(fd.get(), &eh, sizeof eh, 0) != static_cast<ssize_t>(sizeof eh)) return bad(path, "short file");
  if (std::memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 || eh.e_ident[EI_CLASS] != ELFCLASS64 ||
      eh.e_machine != EM_X86_64) {
    return bad(path, "not an x86-64 ELF64 file");
  }
  if (eh.e_type != ET_EXEC) return bad(path, "not linked at a fixed address (ET_EXEC)");
  if (eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phnum == 0 || eh.e_phnum > 64) {
    return bad(path, "odd program header table");
  }
  std::vector<Elf64_Phdr> ph(eh.e_phnum);
  const ssize_t want = static_cast<ssize_t>(ph.size() * sizeof(Elf64_Phdr));
  if (pread(fd.get(), ph.data(), static_cast<size_t>(want), static_cast<off_t>(eh.e_phoff)) != want) {
    return bad(path, "truncated program headers");
  }
  LoaderImage image;
  image.path = path;
  int executable = 0;
  for (const Elf64_Phdr& p : ph) {
    if (p.p_type != PT_LOAD || (p.p_flags & PF_X) == 0) continue;
    if (p.p_memsz == 0 || p.p_vaddr + p.p_memsz < p.p_vaddr) return bad(path, "bad executable segment");
    image.code_begin = p.p_vaddr;
    image.code_end = p.p_vaddr + p.p_memsz;
    ++executable;
  }
  // One range is what the filter names; a second executable segment would be
  // code the filter does not know about.
  if (executable != 1) return bad(path, "expected exactly one executable segment");
  return image;
}

Result<LoaderImage> find_loader_image() {
  if (const char* env = std::getenv("SYSGATE_LOADER"); env != nullptr && *env != '\0') {
    return read_loader_image(env);
  }
  char self[4096];
  ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  if (n <= 0) return make_error(ErrorCode::kSystem, std::string("readlink /proc/self/exe: ") + std::strerror(errno));
  std::string dir(self, static_cast<size_t>(n));
  dir.erase(dir.rfind('/') + 1);
  Result<LoaderImage> image = read_loader_image(dir + "sysgate-exec");
  if (!image && image.error().code == ErrorCode::kNotFound) {
    return make_error(ErrorCode::kNotFound, "the loader sysgate-exec is not next to sysgate in " + dir +
                                                " (build it, or set SYSGATE_LOADER)");
  }
  return image;
}

}  // namespace sysgate::monitor
