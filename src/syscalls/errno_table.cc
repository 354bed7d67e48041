// errno names and messages, 1..133 (EPERM..EHWPOISON).
//
// Numbers come from <errno.h>. The messages are fixed English texts equal to glibc's
// strerror() in the C locale, so that a report reads the same whatever the locale
// of the process printing it (and without calling strerror, which is not
// async-signal-safe). 41 and 58 are unused on x86-64: EWOULDBLOCK and EDEADLOCK are
// aliases of EAGAIN and EDEADLK, listed with ENOTSUP in kErrnoAliasTable.
#include <errno.h>

#include <iterator>

#include "syscalls/constant_tables.h"

namespace sysgate::syscalls::constants::detail {
namespace {

#define SYSGATE_ERRNO(name, text) ErrnoEntry{name, #name, text}

constexpr ErrnoEntry kErrnoTable[] = {
    SYSGATE_ERRNO(EPERM, "Operation not permitted"),
    SYSGATE_ERRNO(ENOENT, "No such file or directory"),
    SYSGATE_ERRNO(ESRCH, "No such process"),
    SYSGATE_ERRNO(EINTR, "Interrupted system call"),
    SYSGATE_ERRNO(EIO, "Input/output error"),
    SYSGATE_ERRNO(ENXIO, "No such device or address"),
    SYSGATE_ERRNO(E2BIG, "Argument list too long"),
    SYSGATE_ERRNO(ENOEXEC, "Exec format error"),
    SYSGATE_ERRNO(EBADF, "Bad file descriptor"),
    SYSGATE_ERRNO(ECHILD, "No child processes"),
    SYSGATE_ERRNO(EAGAIN, "Resource temporarily unavailable"),
    SYSGATE_ERRNO(ENOMEM, "Cannot allocate memory"),
    SYSGATE_ERRNO(EACCES, "Permission denied"),
    SYSGATE_ERRNO(EFAULT, "Bad address"),
    SYSGATE_ERRNO(ENOTBLK, "Block device required"),
    SYSGATE_ERRNO(EBUSY, "Device or resource busy"),
    SYSGATE_ERRNO(EEXIST, "File exists"),
    SYSGATE_ERRNO(EXDEV, "Invalid cross-device link"),
    SYSGATE_ERRNO(ENODEV, "No such device"),
    SYSGATE_ERRNO(ENOTDIR, "Not a directory"),
    SYSGATE_ERRNO(EISDIR, "Is a directory"),
    SYSGATE_ERRNO(EINVAL, "Invalid argument"),
    SYSGATE_ERRNO(ENFILE, "Too many open files in system"),
    SYSGATE_ERRNO(EMFILE, "Too many open files"),
    SYSGATE_ERRNO(ENOTTY, "Inappropriate ioctl for device"),
    SYSGATE_ERRNO(ETXTBSY, "Text file busy"),
    SYSGATE_ERRNO(EFBIG, "File too large"),
    SYSGATE_ERRNO(ENOSPC, "No space left on device"),
    SYSGATE_ERRNO(ESPIPE, "Illegal seek"),
    SYSGATE_ERRNO(EROFS, "Read-only file system"),
    SYSGATE_ERRNO(EMLINK, "Too many links"),
    SYSGATE_ERRNO(EPIPE, "Broken pipe"),
    SYSGATE_ERRNO(EDOM, "Numerical argument out of domain"),
    SYSGATE_ERRNO(ERANGE, "Numerical result out of range"),
    SYSGATE_ERRNO(EDEADLK, "Resource deadlock avoided"),
    SYSGATE_ERRNO(ENAMETOOLONG, "File name too long"),
    SYSGATE_ERRNO(ENOLCK, "No locks available"),
    SYSGATE_ERRNO(ENOSYS, "Function not implemented"),
    SYSGATE_ERRNO(ENOTEMPTY, "Directory not empty"),
    SYSGATE_ERRNO(ELOOP, "Too many levels of symbolic links"),
    SYSGATE_ERRNO(ENOMSG, "No message of desired type"),
    SYSGATE_ERRNO(EIDRM, "Identifier removed"),
    SYSGATE_ERRNO(ECHRNG, "Channel number out of range"),
    SYSGATE_ERRNO(EL2NSYNC, "Level 2 not synchronized"),
    SYSGATE_ERRNO(EL3HLT, "Level 3 halted"),
    SYSGATE_ERRNO(EL3RST, "Level 3 reset"),
    SYSGATE_ERRNO(ELNRNG, "Link number out of range"),
    SYSGATE_ERRNO(EUNATCH, "Protocol driver not attached"),
    SYSGATE_ERRNO(ENOCSI, "No CSI structure available"),
    SYSGATE_ERRNO(EL2HLT, "Level 2 halted"),
    SYSGATE_ERRNO(EBADE, "Invalid exchange"),
    SYSGATE_ERRNO(EBADR, "Invalid request descriptor"),
    SYSGATE_ERRNO(EXFULL, "Exchange full"),
    SYSGATE_ERRNO(ENOANO, "No anode"),
    SYSGATE_ERRNO(EBADRQC, "Invalid request code"),
    SYSGATE_ERRNO(EBADSLT, "Invalid slot"),
    SYSGATE_ERRNO(EBFONT, "Bad font file format"),
    SYSGATE_ERRNO(ENOSTR, "Device not a stream"),
    SYSGATE_ERRNO(ENODATA, "No data available"),
    SYSGATE_ERRNO(ETIME, "Timer expired"),
    SYSGATE_ERRNO(ENOSR, "Out of streams resources"),
    SYSGATE_ERRNO(ENONET, "Machine is not on the network"),
    SYSGATE_ERRNO(ENOPKG, "Package not installed"),
    SYSGATE_ERRNO(EREMOTE, "Object is remote"),
    SYSGATE_ERRNO(ENOLINK, "Link has been severed"),
    SYSGATE_ERRNO(EADV, "Advertise error"),
    SYSGATE_ERRNO(ESRMNT, "Srmount error"),
    SYSGATE_ERRNO(ECOMM, "Communication error on send"),
    SYSGATE_ERRNO(EPROTO, "Protocol error"),
    SYSGATE_ERRNO(EMULTIHOP, "Multihop attempted"),
    SYSGATE_ERRNO(EDOTDOT, "RFS specific error"),
    SYSGATE_ERRNO(EBADMSG, "Bad message"),
    SYSGATE_ERRNO(EOVERFLOW, "Value too large for defined data type"),
    SYSGATE_ERRNO(ENOTUNIQ, "Name not unique on network"),
    SYSGATE_ERRNO(EBADFD, "File descriptor in bad state"),
    SYSGATE_ERRNO(EREMCHG, "Remote address changed"),
    SYSGATE_ERRNO(ELIBACC, "Can not access a needed shared library"),
    SYSGATE_ERRNO(ELIBBAD, "Accessing a corrupted shared library"),
    SYSGATE_ERRNO(ELIBSCN, ".lib section in a.out corrupted"),
    SYSGATE_ERRNO(ELIBMAX, "Attempting to link in too many shared libraries"),
    SYSGATE_ERRNO(ELIBEXEC, "Cannot exec a shared library directly"),
    SYSGATE_ERRNO(EILSEQ, "Invalid or incomplete multibyte or wide character"),
    SYSGATE_ERRNO(ERESTART, "Interrupted system call should be restarted"),
    SYSGATE_ERRNO(ESTRPIPE, "Streams pipe error"),
    SYSGATE_ERRNO(EUSERS, "Too many users"),
    SYSGATE_ERRNO(ENOTSOCK, "Socket operation on non-socket"),
    SYSGATE_ERRNO(EDESTADDRREQ, "Destination address required"),
    SYSGATE_ERRNO(EMSGSIZE, "Message too long"),
    SYSGATE_ERRNO(EPROTOTYPE, "Protocol wrong type for socket"),
    SYSGATE_ERRNO(ENOPROTOOPT, "Protocol not available"),
    SYSGATE_ERRNO(EPROTONOSUPPORT, "Protocol not supported"),
    SYSGATE_ERRNO(ESOCKTNOSUPPORT, "Socket type not supported"),
    SYSGATE_ERRNO(EOPNOTSUPP, "Operation not supported"),
    SYSGATE_ERRNO(EPFNOSUPPORT, "Protocol family not supported"),
    SYSGATE_ERRNO(EAFNOSUPPORT, "Address family not supported by protocol"),
    SYSGATE_ERRNO(EADDRINUSE, "Address already in use"),
    SYSGATE_ERRNO(EADDRNOTAVAIL, "Cannot assign requested address"),
    SYSGATE_ERRNO(ENETDOWN, "Network is down"),
    SYSGATE_ERRNO(ENETUNREACH, "Network is unreachable"),
    SYSGATE_ERRNO(ENETRESET, "Network dropped connection on reset"),
    SYSGATE_ERRNO(ECONNABORTED, "Software caused connection abort"),
    SYSGATE_ERRNO(ECONNRESET, "Connection reset by peer"),
    SYSGATE_ERRNO(ENOBUFS, "No buffer space available"),
    SYSGATE_ERRNO(EISCONN, "Transport endpoint is already connected"),
    SYSGATE_ERRNO(ENOTCONN, "Transport endpoint is not connected"),
    SYSGATE_ERRNO(ESHUTDOWN, "Cannot send after transport endpoint shutdown"),
    SYSGATE_ERRNO(ETOOMANYREFS, "Too many references: cannot splice"),
    SYSGATE_ERRNO(ETIMEDOUT, "Connection timed out"),
    SYSGATE_ERRNO(ECONNREFUSED, "Connection refused"),
    SYSGATE_ERRNO(EHOSTDOWN, "Host is down"),
    SYSGATE_ERRNO(EHOSTUNREACH, "No route to host"),
    SYSGATE_ERRNO(EALREADY, "Operation already in progress"),
    SYSGATE_ERRNO(EINPROGRESS, "Operation now in progress"),
    SYSGATE_ERRNO(ESTALE, "Stale file handle"),
    SYSGATE_ERRNO(EUCLEAN, "Structure needs cleaning"),
    SYSGATE_ERRNO(ENOTNAM, "Not a XENIX named type file"),
    SYSGATE_ERRNO(ENAVAIL, "No XENIX semaphores available"),
    SYSGATE_ERRNO(EISNAM, "Is a named type file"),
    SYSGATE_ERRNO(EREMOTEIO, "Remote I/O error"),
    SYSGATE_ERRNO(EDQUOT, "Disk quota exceeded"),
    SYSGATE_ERRNO(ENOMEDIUM, "No medium found"),
    SYSGATE_ERRNO(EMEDIUMTYPE, "Wrong medium type"),
    SYSGATE_ERRNO(ECANCELED, "Operation canceled"),
    SYSGATE_ERRNO(ENOKEY, "Required key not available"),
    SYSGATE_ERRNO(EKEYEXPIRED, "Key has expired"),
    SYSGATE_ERRNO(EKEYREVOKED, "Key has been revoked"),
    SYSGATE_ERRNO(EKEYREJECTED, "Key was rejected by service"),
    SYSGATE_ERRNO(EOWNERDEAD, "Owner died"),
    SYSGATE_ERRNO(ENOTRECOVERABLE, "State not recoverable"),
    SYSGATE_ERRNO(ERFKILL, "Operation not possible due to RF-kill"),
    SYSGATE_ERRNO(EHWPOISON, "Memory page has hardware error"),
};

#undef SYSGATE_ERRNO

constexpr bool ascending() {
  for (size_t i = 1; i < std::size(kErrnoTable); ++i) {
    if (kErrnoTable[i - 1].number >= kErrnoTable[i].number) return false;
  }
  return true;
}
static_assert(ascending(), "errno_name/errno_text binary-search kErrnoTable by number");

constexpr Named kErrnoAliasTable[] = {
    SYSGATE_NAMED(EWOULDBLOCK),
    SYSGATE_NAMED(EDEADLOCK),
    SYSGATE_NAMED(ENOTSUP),
};

}  // namespace

constinit const std::span<const ErrnoEntry> kErrnos{kErrnoTable};
constinit const std::span<const Named> kErrnoAliases{kErrnoAliasTable};

}  // namespace sysgate::syscalls::constants::detail
