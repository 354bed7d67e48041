// The files the kernel executes to start a program: the program, its "#!"
// interpreter (recursively, bounded), and each ELF's PT_INTERP. Landlock wants
// the execute right on every one of them, and a script must also be readable.
//
//   exec_chain("/usr/bin/python3") == {{"/usr/bin/python3.11", exec}, {"/lib64/ld-linux-x86-64.so.2", exec}}
//
// Reads at most the first 4 KiB of a script and the program headers of an ELF,
// bounds-checked against the file's length. Malformed files yield a shorter
// chain, never an error: the kernel will refuse them at execve.
//
// exec_target() is what execve(program, argv) runs in the end, for the monitor's
// first image (the gate does the same for later execs, exec_via_loader.h):
//
//   exec_target("/tmp/s.sh", "./s.sh", {"s.sh", "x"}, "/tmp")   // s.sh starts with "#!/bin/sh -e"
//     == {"/bin/sh", {"/bin/sh", "-e", "./s.sh", "x"}}
#pragma once

#include <string>
#include <vector>

#include "base/result.h"

namespace sysgate::monitor {

struct ChainEntry {
  std::string path;
  bool needs_read = false;  // a script: its interpreter reads it
};

std::vector<ChainEntry> exec_chain(const std::string& program);

struct ExecTarget {
  std::string path;               // the image: program, or its final interpreter
  std::vector<std::string> argv;  // the argv the image gets
};

// Follows "#!" lines as the kernel does: the first line of at most 255 bytes
// after "#!", the interpreter (relative to cwd unless absolute) and at most one
// argument (the rest of the line, trimmed); argv becomes [interpreter,
// argument?, script, argv[1], ...], the script as execve was given it (name)
// and an interpreter as its "#!" line names it; 4 levels at most. program is
// name made absolute.
// Errors: kNotFound (a missing interpreter, named with the script), kInvalidArgument
// (a "#!" line without interpreter or longer than the kernel reads, more than 4 levels).
Result<ExecTarget> exec_target(const std::string& program, const std::string& name,
                               const std::vector<std::string>& argv, const std::string& cwd);

}  // namespace sysgate::monitor
