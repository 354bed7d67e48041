// docs/promises.md, generated from the promise table so the two never disagree.
// Regenerate with: build/bin/sysgate promises --markdown > docs/promises.md
#pragma once

#include <string>

namespace sysgate::policy {

std::string promises_markdown();

}  // namespace sysgate::policy
