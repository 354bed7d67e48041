#include "monitor/resolved_files.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <memory>

namespace sysgate::monitor {

namespace {

bool is_under(const std::string& path, const std::string& root) {
  if (root == "/") return true;
  return path.size() >= root.size() && path.compare(0, root.size(), root) == 0 &&
         (path.size() == root.size() || path[root.size()] == '/');
}

uint32_t landlock_access(uint8_t rights) {
  uint32_t a = 0;
  if (rights & policy::kRead) a |= sandbox::landlock::kRead;
  if (rights & policy::kWrite) a |= sandbox::landlock::kWrite;
  if (rights & policy::kCreate) a |= sandbox::landlock::kCreate;
  if (rights & policy::kExecute) a |= sandbox::landlock::kExecute;
  return a;
}

std::string lexically_normal(const std::string& path) {
  std::vector<std::string> parts;
  size_t i = 0;
  while (i < path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string::npos) j = path.size();
    std::string part = path.substr(i, j - i);
    if (part == "..") {
      if (!parts.empty()) parts.pop_back();
    } else if (!part.empty() && part != ".") {
      parts.push_back(part);
    }
    i = j + 1;
  }
  std::string out;
  for (const std::string& p : parts) out += "/" + p;
  return out.empty() ? "/" : out;
}

void expand(const std::string& dir, uint32_t access, const std::vector<std::string>& except,
            std::vector<sandbox::landlock::Rule>& out, int depth) {
  if (depth > 32) return;
  std::unique_ptr<DIR, int (*)(DIR*)> d(opendir(dir.c_str()), closedir);
  if (!d) return;
  while (dirent* e = readdir(d.get())) {
    std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    std::string child = (dir == "/" ? "" : dir) + "/" + name;
    // The directory entry's type saves an lstat per entry (these trees hold
    // hundreds); only file systems that do not fill it in need the call.
    bool is_directory = e->d_type == DT_DIR;
    if (e->d_type == DT_LNK) continue;
    if (e->d_type == DT_UNKNOWN) {
      struct stat st {};
      if (lstat(child.c_str(), &st) != 0 || S_ISLNK(st.st_mode)) continue;
      is_directory = S_ISDIR(st.st_mode);
    }
    bool excluded = false, contains_exception = false;
    for (const std::string& x : except) {
      if (x == child) excluded = true;
      else if (is_under(x, child)) contains_exception = true;
    }
    if (excluded) continue;
    if (contains_exception && is_directory) {
      expand(child, access, except, out, depth + 1);
    } else {
      out.push_back({child, access});
    }
  }
}

}  // namespace

std::string canonical_path(const std::string& path) {
  std::string normal = lexically_normal(path);
  char buf[PATH_MAX];
  if (realpath(normal.c_str(), buf) != nullptr) return buf;
  size_t slash = normal.rfind('/');
  if (slash == std::string::npos || normal == "/") return normal;
  std::string parent = slash == 0 ? "/" : normal.substr(0, slash);
  std::string base = normal.substr(slash + 1);
  std::string canonical_parent = canonical_path(parent);
  return (canonical_parent == "/" ? "" : canonical_parent) + "/" + base;
}

bool ResolvedFiles::covers(const ResolvedRule& r, const std::vector<FileId>& lineage, const std::string& real) const {
  auto in_lineage = [&](const std::optional<FileId>& id) {
    return id && std::find(lineage.begin(), lineage.end(), *id) != lineage.end();
  };
  if (!in_lineage(r.object)) return false;
  for (size_t i = 0; i < r.except.size(); ++i) {
    // A carve-out that did not exist at start still carves out its name, as
    // Landlock's expansion leaves whatever appears there later without a rule.
    if (r.except_objects[i] ? in_lineage(r.except_objects[i]) : is_under(real, r.except[i])) return false;
  }
  return true;
}

bool ResolvedFiles::allows(const std::vector<FileId>& lineage, const std::string& real, uint8_t rights) const {
  uint8_t granted = 0;
  for (const ResolvedRule& r : rules_) {
    if (covers(r, lineage, real)) granted |= r.rights;
  }
  return (granted & rights) == rights;
}

bool ResolvedFiles::allows_object(int fd, const std::string& real, uint8_t rights) const {
  std::optional<std::vector<FileId>> up = lineage(fd);
  return up && allows(*up, real, rights);
}

bool ResolvedFiles::allows_name(const std::string& path, uint8_t rights) const {
  uint8_t granted = 0;
  for (const ResolvedRule& r : rules_) {
    if (!is_under(path, r.path)) continue;
    bool carved = false;
    for (const std::string& x : r.except) carved = carved || is_under(path, x);
    if (!carved) granted |= r.rights;
  }
  return (granted & rights) == rights;
}

bool ResolvedFiles::visible(const std::vector<FileId>& lineage, const std::string& real) const {
  if (lineage.empty()) return false;
  if (std::find(on_the_way_.begin(), on_the_way_.end(), lineage.front()) != on_the_way_.end()) return true;
  return std::any_of(rules_.begin(), rules_.end(), [&](const ResolvedRule& r) { return covers(r, lineage, real); });
}

bool ResolvedFiles::visible_object(int fd, const std::string& real) const {
  std::optional<std::vector<FileId>> up = lineage(fd);
  return up && visible(*up, real);
}

std::optional<FileId> ResolvedFiles::pin(const std::string& path) {
  sandbox::UniqueFd fd(open(path.c_str(), O_PATH | O_CLOEXEC));
  std::optional<FileId> id = fd.valid() ? file_id(fd.get()) : std::nullopt;
  if (id) pinned_.push_back(std::move(fd));
  return id;
}

void ResolvedFiles::add(ResolvedRule rule) {
  rule.object = pin(rule.path);
  rule.except_objects.clear();
  for (const std::string& x : rule.except) rule.except_objects.push_back(pin(x));
  // The places on the way to the rule's, as they were at start: the nearest
  // that exists (a missing rule's parent, say) and every directory above it.
  std::string place = rule.path;
  sandbox::UniqueFd fd(open(place.c_str(), O_PATH | O_CLOEXEC));
  while (!fd.valid() && place != "/") {
    const size_t slash = place.rfind('/');
    place = slash == 0 || slash == std::string::npos ? "/" : place.substr(0, slash);
    fd.reset(open(place.c_str(), O_PATH | O_CLOEXEC));
  }
  if (std::optional<std::vector<FileId>> up = fd.valid() ? lineage(fd.get()) : std::nullopt) {
    for (const FileId& id : *up) {
      if (std::find(on_the_way_.begin(), on_the_way_.end(), id) == on_the_way_.end()) on_the_way_.push_back(id);
    }
  }
  rules_.push_back(std::move(rule));
}

std::vector<sandbox::landlock::Rule> ResolvedFiles::landlock_rules(std::vector<std::string>* notes) const {
  std::vector<sandbox::landlock::Rule> out;
  for (const ResolvedRule& r : rules_) {
    if (!r.exists) {
      if (notes) notes->push_back(r.path + " does not exist (rule from " + r.origin + ")");
      continue;
    }
    uint32_t access = landlock_access(r.rights);
    std::vector<std::string> inside;
    for (const std::string& x : r.except) {
      if (is_under(x, r.path)) inside.push_back(x);
    }
    if (inside.empty() || !r.directory) {
      out.push_back({r.path, access});
    } else {
      expand(r.path, access, inside, out, 0);
    }
  }
  return out;
}

Result<ResolvedFiles> resolve_files(const std::vector<policy::FileRule>& rules, const Placeholders& places) {
  auto substitute = [&](const std::string& path, const std::string& origin) -> Result<std::string> {
    static const std::pair<const char*, const std::string Placeholders::*> kNames[] = {
        {"$CWD", &Placeholders::cwd}, {"$TMP", &Placeholders::tmp}, {"$HOME", &Placeholders::home}};
    for (const auto& [name, member] : kNames) {
      std::string_view n(name);
      if (path.compare(0, n.size(), n) == 0 && (path.size() == n.size() || path[n.size()] == '/')) {
        const std::string& value = places.*member;
        if (value.empty()) {
          return make_error(ErrorCode::kInvalidArgument,
                            std::string(name) + " is not available in this run (rule from " + origin + ")");
        }
        return value + path.substr(n.size());
      }
    }
    return path;
  };

  ResolvedFiles files;
  for (const policy::FileRule& f : rules) {
    Result<std::string> path = substitute(f.path, f.origin.where);
    if (!path) return path.error();
    ResolvedRule r;
    r.path = canonical_path(*path);
    r.rights = f.rights;
    r.origin = f.origin.where;
    struct stat st {};
    r.exists = stat(r.path.c_str(), &st) == 0;
    r.directory = r.exists && S_ISDIR(st.st_mode);
    for (const std::string& x : f.except) {
      Result<std::string> e = substitute(x, f.origin.where);
      if (!e) return e.error();
      r.except.push_back(canonical_path(*e));
    }
    files.add(std::move(r));
  }
  return files;
}

}  // namespace sysgate::monitor
