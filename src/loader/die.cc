#include "loader/die.h"

#include "loader/raw.h"

namespace sysgate::loader {
namespace {

struct ErrnoEntry {
  int value;
  const char* name;
  const char* text;
};

// The errors the loader's syscalls can plausibly return.
constexpr ErrnoEntry kErrnos[] = {
    {EPERM, "EPERM", "Operation not permitted"},
    {ENOENT, "ENOENT", "No such file or directory"},
    {EINTR, "EINTR", "Interrupted system call"},
    {EIO, "EIO", "Input/output error"},
    {ENXIO, "ENXIO", "No such device or address"},
    {EBADF, "EBADF", "Bad file descriptor"},
    {EAGAIN, "EAGAIN", "Resource temporarily unavailable"},
    {ENOMEM, "ENOMEM", "Cannot allocate memory"},
    {EACCES, "EACCES", "Permission denied"},
    {EFAULT, "EFAULT", "Bad address"},
    {EBUSY, "EBUSY", "Device or resource busy"},
    {EEXIST, "EEXIST", "File exists"},
    {ENODEV, "ENODEV", "No such device"},
    {ENOTDIR, "ENOTDIR", "Not a directory"},
    {EISDIR, "EISDIR", "Is a directory"},
    {EINVAL, "EINVAL", "Invalid argument"},
    {ENFILE, "ENFILE", "Too many open files in system"},
    {EMFILE, "EMFILE", "Too many open files"},
    {ETXTBSY, "ETXTBSY", "Text file busy"},
    {EFBIG, "EFBIG", "File too large"},
    {ESPIPE, "ESPIPE", "Illegal seek"},
    {ENAMETOOLONG, "ENAMETOOLONG", "File name too long"},
    {ENOSYS, "ENOSYS", "Function not implemented"},
    {ELOOP, "ELOOP", "Too many levels of symbolic links"},
    {ENOEXEC, "ENOEXEC", "Exec format error"},
    {EOVERFLOW, "EOVERFLOW", "Value too large for defined data type"},
};

const ErrnoEntry* find_errno(int err) {
  for (const ErrnoEntry& e : kErrnos) {
    if (e.value == err) return &e;
  }
  return nullptr;
}

constexpr char kPrefix[] = "sysgate-exec: ";

}  // namespace

LineBuffer& LineBuffer::add(const char* s) {
  if (s == nullptr) s = "(null)";
  while (*s != 0 && len_ + 1 < cap_) buf_[len_++] = *s++;
  buf_[len_] = 0;
  return *this;
}

LineBuffer& LineBuffer::add_unsigned(unsigned long v) {
  char digits[24];
  int n = 0;
  do {
    digits[n++] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0);
  char out[24];
  for (int i = 0; i < n; ++i) out[i] = digits[n - 1 - i];
  out[n] = 0;
  return add(out);
}

const char* errno_name(int err) {
  const ErrnoEntry* e = find_errno(err);
  return e ? e->name : "errno";
}

const char* errno_text(int err) {
  const ErrnoEntry* e = find_errno(err);
  return e ? e->text : "unknown error";
}

void die(const char* what, const char* why, const char* detail) {
  char buf[1024];
  LineBuffer line(buf, sizeof(buf) - 1);  // keep room for the newline
  line.add(kPrefix).add(what).add(": ").add(why);
  if (detail != nullptr) line.add(": ").add(detail);
  buf[line.size()] = '\n';
  raw::write(2, buf, line.size() + 1);
  raw::exit_group(kLoaderExitStatus);
}

void die_errno(const char* what, const char* why, int err) {
  char detail[128];
  LineBuffer d(detail, sizeof(detail));
  d.add(errno_text(err)).add(" (").add(errno_name(err));
  if (find_errno(err) == nullptr) d.add(" ").add_unsigned(static_cast<unsigned>(err));
  d.add(")");
  die(what, why, detail);
}

}  // namespace sysgate::loader
