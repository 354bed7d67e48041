// Where sysgate's options end and the command begins, as strace and env
// decide it: at the first argument that is neither an option nor an option's
// value. CLI11 would otherwise take options from anywhere on the line, and
// `sysgate trace -f bash -c 'echo hi'` would hand bash's -c to sysgate.
//
//   std::vector<std::string> args = with_command_boundary(*trace_cmd, argc, argv, 2);
//   // "sysgate trace -f bash -c x" -> "sysgate trace -f -- bash -c x"
//
// Lines that already have "--" before the command are left as they are.
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

namespace sysgate::cli {

// argv[0..argc) with "--" inserted before sub's command, scanning from
// argv[first] (the argument after the subcommand's name).
std::vector<std::string> with_command_boundary(const CLI::App& sub, int argc, char** argv, int first);

}  // namespace sysgate::cli
