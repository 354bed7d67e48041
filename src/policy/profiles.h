// Embedded named profiles: `sysgate run --profile NAME`, `extends = "NAME"`.
//   default  read system directories and $CWD, write $CWD and a private $TMP,
//            exec system binaries, no network; refusals are explained
//   stdio    the seed's strict mode: I/O on inherited fds, memory, exit
//            (plus what the dynamic loader needs to start)
//   all      allow everything: a baseline for tracing
// Profiles are TOML text parsed by the same parser as user files, so `sysgate
// check --profile NAME` and docs show exactly what they contain.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "policy/policy.h"

namespace sysgate::policy {

std::vector<std::string_view> profile_names();
// The TOML text of a profile, or nullopt for an unknown name.
std::optional<std::string_view> profile_text(std::string_view name);
Result<Policy> load_profile(std::string_view name);

}  // namespace sysgate::policy
