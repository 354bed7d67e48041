// Terminal ioctls' structs as strace prints them (with -v, a termios whole:
// "..., c_line=N_TTY, c_cc=[[VINTR]=0x3, ..., [18]=0]}"):
//
//   ioctl(1, TCGETS, {c_iflag=ICRNL|IXON, c_oflag=NL0|CR0|TAB0|BS0|VT0|FF0|OPOST|ONLCR,
//                     c_cflag=B38400|CS8|CREAD, c_lflag=ISIG|ICANON|ECHO|..., ...}) = 0
//   ioctl(1, TIOCGWINSZ, {ws_row=24, ws_col=80, ws_xpixel=0, ws_ypixel=0}) = 0
//
// TCGETS and TCSETS, TCSETSW, TCSETSF take the kernel's struct termios (36
// bytes), TIOCGWINSZ and TIOCSWINSZ a struct winsize. Also the ioctls that
// pass one int by pointer: FIONREAD and the like as [N], and an inode's flags
// (FS_IOC_GETFLAGS, FS_IOC_SETFLAGS) as [FS_EXTENT_FL]. Pure.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace sysgate::trace {

// False, appending nothing, for another request or a struct of the wrong size.
bool append_terminal_ioctl_arg(std::string& out, uint64_t request, std::string_view bytes, bool verbose = false);

}  // namespace sysgate::trace
