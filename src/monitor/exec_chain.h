// The files the kernel executes to start a program: the program, its "#!"
// interpreter (recursively, bounded), and each ELF's PT_INTERP. Landlock wants
// the execute right on every one of them, and a script must also be readable.
//
//   exec_chain("/usr/bin/python3") == {{"/usr/bin/python3.11", exec}, {"/lib64/ld-linux-x86-64.so.2", exec}}
//
// Reads at most the first 4 KiB of a script and the program headers of an ELF,
// bounds-checked against the file's length. Malformed files yield a shorter
// chain, never an error: the kernel will refuse them at execve.
#pragma once

#include <string>
#include <vector>

namespace sysgate::monitor {

struct ChainEntry {
  std::string path;
  bool needs_read = false;  // a script: its interpreter reads it
};

std::vector<ChainEntry> exec_chain(const std::string& program);

}  // namespace sysgate::monitor
