#include "policy/parser.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <toml++/toml.h>

#include "policy/expression.h"
#include "policy/profiles.h"
#include "syscalls/constants.h"
#include "syscalls/syscall_table.h"

namespace sysgate::policy {

namespace {

constexpr int kMaxExtendsDepth = 4;

SourcePosition pos_of(const toml::node& node, std::string_view source) {
  const toml::source_region& r = node.source();
  return {std::string(source), r.begin.line, r.begin.column};
}

std::string where_of(const toml::node& node, std::string_view source) {
  const toml::source_region& r = node.source();
  return std::string(source) + ":" + std::to_string(r.begin.line) + ":" + std::to_string(r.begin.column);
}

// The offset of the first byte outside 7-bit ASCII, or npos.
size_t first_non_ascii(std::string_view text) {
  for (size_t i = 0; i < text.size(); ++i) {
    if (static_cast<unsigned char>(text[i]) >= 0x80) return i;
  }
  return std::string_view::npos;
}

// Line and column (1-based, in bytes) of offset at, as toml++ reports them.
SourcePosition position_in(std::string_view text, size_t at, std::string_view source) {
  uint32_t line = 1, column = 1;
  for (size_t i = 0; i < at; ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
  return {std::string(source), line, column};
}

Error error_at(ErrorCode code, const toml::node& node, std::string_view source, std::string message) {
  return make_error(code, std::move(message), pos_of(node, source));
}

const char* type_name(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::string: return "a string";
    case toml::node_type::integer: return "an integer";
    case toml::node_type::floating_point: return "a number";
    case toml::node_type::boolean: return "a boolean";
    case toml::node_type::array: return "an array";
    case toml::node_type::table: return "a table";
    default: return "a date/time";
  }
}

// A list of strings from `node`, which must be an array of strings.
Result<std::vector<std::pair<std::string, const toml::node*>>> string_list(const toml::node& node,
                                                                            std::string_view source,
                                                                            std::string_view key) {
  const toml::array* array = node.as_array();
  if (array == nullptr) {
    return error_at(ErrorCode::kParse, node, source,
                    "\"" + std::string(key) + "\" must be an array of strings, not " + type_name(node));
  }
  std::vector<std::pair<std::string, const toml::node*>> out;
  for (const toml::node& item : *array) {
    const toml::value<std::string>* s = item.as_string();
    if (s == nullptr) {
      return error_at(ErrorCode::kParse, item, source,
                      "\"" + std::string(key) + "\" must contain strings, not " + type_name(item));
    }
    out.emplace_back(s->get(), &item);
  }
  return out;
}

Result<const std::string*> string_value(const toml::node& node, std::string_view source, std::string_view key) {
  const toml::value<std::string>* s = node.as_string();
  if (s == nullptr) {
    return error_at(ErrorCode::kParse, node, source,
                    "\"" + std::string(key) + "\" must be a string, not " + type_name(node));
  }
  return &s->get();
}

Result<void> parse_files(PolicyBuilder& builder, const toml::table& files, std::string_view source,
                         Origin::Source origin_source) {
  static const std::pair<std::string_view, uint8_t> kRights[] = {
      {"read", kRead}, {"write", kWrite}, {"create", kCreate}, {"exec", kExecute}};
  std::vector<std::string> except;
  if (const toml::node* e = files.get("except")) {
    auto list = string_list(*e, source, "except");
    if (!list) return list.error();
    for (auto& [path, node] : *list) {
      if (path.empty() || (path[0] != '/' && path[0] != '$')) {
        return error_at(ErrorCode::kParse, *node, source, "except path \"" + path + "\" must be absolute");
      }
      except.push_back(path);
    }
  }
  for (auto&& [key, value] : files) {
    std::string_view k = key.str();
    if (k == "except") continue;
    uint8_t right = 0;
    for (const auto& [name, bit] : kRights) {
      if (k == name) right = bit;
    }
    if (right == 0) {
      return error_at(ErrorCode::kParse, value, source,
                      "unknown key \"" + std::string(k) + "\" in [files] (expected read, write, create, exec, except)");
    }
    auto list = string_list(value, source, k);
    if (!list) return list.error();
    for (auto& [path, node] : *list) {
      FileRule rule;
      rule.path = path;
      rule.rights = right;
      rule.origin = {origin_source, where_of(*node, source)};
      for (const std::string& e : except) {
        // (An empty path is refused by the builder, "must be absolute"; it has no back().)
        if (!path.empty() && e.size() > path.size() && e.compare(0, path.size(), path) == 0 &&
            (path.back() == '/' || e[path.size()] == '/')) {
          rule.except.push_back(e);
        }
      }
      builder.file(std::move(rule));
    }
  }
  return {};
}

Result<void> parse_rule(PolicyBuilder& builder, const toml::node& node, std::string_view source,
                        Origin::Source origin_source) {
  const toml::table* rule = node.as_table();
  if (rule == nullptr) {
    return error_at(ErrorCode::kParse, node, source, "[[rule]] entries must be tables");
  }
  std::vector<std::pair<std::string, const toml::node*>> names;
  const toml::node* when_node = nullptr;
  const toml::node* action_node = nullptr;
  for (auto&& [key, value] : *rule) {
    std::string_view k = key.str();
    if (k == "syscall") {
      auto s = string_value(value, source, k);
      if (!s) return s.error();
      names.emplace_back(**s, &value);
    } else if (k == "syscalls") {
      auto list = string_list(value, source, k);
      if (!list) return list.error();
      names.insert(names.end(), list->begin(), list->end());
    } else if (k == "when") {
      when_node = &value;
    } else if (k == "action") {
      action_node = &value;
    } else {
      return error_at(ErrorCode::kParse, value, source,
                      "unknown key \"" + std::string(k) + "\" in [[rule]] (expected syscall, syscalls, when, action)");
    }
  }
  if (names.empty()) return error_at(ErrorCode::kParse, node, source, "[[rule]] needs \"syscall\" or \"syscalls\"");
  if (action_node == nullptr) return error_at(ErrorCode::kParse, node, source, "[[rule]] needs an \"action\"");
  auto action_text = string_value(*action_node, source, "action");
  if (!action_text) return action_text.error();
  Result<Action> action = parse_action(**action_text);
  if (!action) return error_at(action.error().code, *action_node, source, action.error().message);

  for (auto& [name, name_node] : names) {
    const syscalls::SyscallInfo* info = syscalls::by_name(name);
    if (info == nullptr) {
      return error_at(ErrorCode::kUnknownName, *name_node, source, "unknown syscall \"" + name + "\"");
    }
    Condition when = Condition::always();
    if (when_node != nullptr) {
      auto text = string_value(*when_node, source, "when");
      if (!text) return text.error();
      Result<Condition> parsed = parse_condition(**text, info->nr);
      if (!parsed) {
        SourcePosition p = pos_of(*when_node, source);
        // +1 skips the opening quote; exact for strings without escapes.
        p.column = p.column + parsed.error().where.column;
        return make_error(parsed.error().code, parsed.error().message + " (in the condition for " + name + ")", p);
      }
      when = std::move(parsed.value());
    }
    builder.rule(info->nr, std::move(when), *action, Origin{origin_source, where_of(node, source)});
  }
  return {};
}

}  // namespace

Result<Action> parse_action(std::string_view text) {
  auto with_errno = [&](std::string_view head, ActionKind kind, uint16_t fallback) -> std::optional<Result<Action>> {
    if (text == head && kind == ActionKind::kExplain) return Result<Action>(Action{kind, fallback});
    if (text.size() > head.size() + 2 && text.substr(0, head.size()) == head && text[head.size()] == '(' &&
        text.back() == ')') {
      std::string_view inner = text.substr(head.size() + 1, text.size() - head.size() - 2);
      std::optional<int> e = syscalls::constants::errno_by_name(inner);
      if (!e) {
        return Result<Action>(make_error(ErrorCode::kUnknownName,
                                         "unknown errno \"" + std::string(inner) + "\" (expected a name such as EPERM)"));
      }
      return Result<Action>(Action{kind, static_cast<uint16_t>(*e)});
    }
    return std::nullopt;
  };
  if (text == "allow") return Action::allow();
  if (text == "kill") return Action::kill();
  if (text == "log") return Action::log();
  if (auto a = with_errno("errno", ActionKind::kErrno, 0)) return std::move(*a);
  if (auto a = with_errno("explain", ActionKind::kExplain, 1)) return std::move(*a);
  return make_error(ErrorCode::kParse, "unknown action \"" + std::string(text) +
                                           "\" (expected allow, kill, log, errno(E), explain or explain(E))");
}

Result<void> parse_policy_into(PolicyBuilder& builder, std::string_view text, std::string_view source, int depth) {
  if (text.size() > kMaxPolicyBytes) {
    return make_error(ErrorCode::kTooLarge, "policy is larger than 1 MiB (" + std::to_string(text.size()) + " bytes)",
                      {std::string(source), 0, 0});
  }
  if (text.find('\0') != std::string_view::npos) {
    return make_error(ErrorCode::kParse, "policy contains a NUL byte", {std::string(source), 0, 0});
  }
  // toml++ 3.3 (Debian 12) reaches __builtin_unreachable() on some non-ASCII
  // characters where it looks for whitespace (upstream issues #190, #295; fixed
  // after 3.4): undefined behaviour on a crafted policy. Every policy key and
  // value sysgate knows is ASCII, and a string can spell any other character
  // as \uXXXX, so raw non-ASCII bytes are refused before toml++ sees them.
  if (const size_t at = first_non_ascii(text); at != std::string_view::npos) {
    return make_error(ErrorCode::kParse,
                      "non-ASCII byte: policies are ASCII (write other characters in a \"string\" as \\uXXXX)",
                      position_in(text, at, source));
  }
  toml::table root;
  try {
    root = toml::parse(text, source);
  } catch (const toml::parse_error& e) {
    return make_error(ErrorCode::kParse, std::string(e.description()),
                      {std::string(source), e.source().begin.line, e.source().begin.column});
  }

  const Origin::Source origin_source = depth == 0 && source.substr(0, 8) != "profile " ? Origin::Source::kPolicyFile
                                                                                      : Origin::Source::kProfile;
  std::optional<Action> own_default;
  const toml::node* extends = nullptr;
  for (auto&& [key, value] : root) {
    std::string_view k = key.str();
    if (k == "name") {
      auto s = string_value(value, source, k);
      if (!s) return s.error();
    } else if (k == "extends") {
      extends = &value;
    } else if (k == "default") {
      auto s = string_value(value, source, k);
      if (!s) return s.error();
      Result<Action> a = parse_action(**s);
      if (!a) return error_at(a.error().code, value, source, a.error().message);
      own_default = *a;
    } else if (k == "promises") {
      auto list = string_list(value, source, k);
      if (!list) return list.error();
      for (auto& [name, node] : *list) {
        std::optional<Promise> p = promise_by_name(name);
        if (!p) {
          std::string known;
          for (Promise q : all_promises()) known += (known.empty() ? "" : ", ") + std::string(promise_name(q));
          return error_at(ErrorCode::kUnknownName, *node, source,
                          "unknown promise \"" + name + "\" (known: " + known + ")");
        }
        builder.promise(*p);
      }
    } else if (k == "files") {
      const toml::table* files = value.as_table();
      if (files == nullptr) return error_at(ErrorCode::kParse, value, source, "\"files\" must be a table");
      Result<void> r = parse_files(builder, *files, source, origin_source);
      if (!r) return r;
    } else if (k == "rule") {
      const toml::array* rules = value.as_array();
      if (rules == nullptr) {
        return error_at(ErrorCode::kParse, value, source, "write rules as [[rule]] tables");
      }
      for (const toml::node& rule : *rules) {
        Result<void> r = parse_rule(builder, rule, source, origin_source);
        if (!r) return r;
      }
    } else {
      return error_at(ErrorCode::kParse, value, source,
                      "unknown key \"" + std::string(k) +
                          "\" (expected name, extends, default, promises, files, rule)");
    }
  }

  // The base profile's rules come after this file's, so this file's rules win.
  if (extends != nullptr) {
    auto name = string_value(*extends, source, "extends");
    if (!name) return name.error();
    if (depth >= kMaxExtendsDepth) {
      return error_at(ErrorCode::kParse, *extends, source, "\"extends\" chain is too deep");
    }
    std::optional<std::string_view> base = profile_text(**name);
    if (!base) {
      std::string known;
      for (std::string_view n : profile_names()) known += (known.empty() ? "" : ", ") + std::string(n);
      return error_at(ErrorCode::kUnknownName, *extends, source,
                      "unknown profile \"" + **name + "\" (known: " + known + ")");
    }
    Result<void> r = parse_policy_into(builder, *base, "profile " + **name, depth + 1);
    if (!r) return r;
  }
  if (own_default) builder.set_default(*own_default);
  return {};
}

Result<Policy> parse_policy(std::string_view text, std::string_view source_name) {
  PolicyBuilder builder(std::string{source_name});
  Result<void> r = parse_policy_into(builder, text, source_name);
  if (!r) return r.error();
  return builder.build();
}

Result<Policy> parse_policy_file(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    return make_error(ErrorCode::kNotFound, "cannot read policy file " + path + ": " + std::strerror(errno));
  }
  if (S_ISDIR(st.st_mode)) return make_error(ErrorCode::kInvalidArgument, "policy file " + path + " is a directory");
  if (S_ISREG(st.st_mode) && static_cast<size_t>(st.st_size) > kMaxPolicyBytes) {
    return make_error(ErrorCode::kTooLarge, "policy file " + path + " is larger than 1 MiB", {path, 0, 0});
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error(ErrorCode::kNotFound, "cannot open policy file " + path);
  std::string text;
  char buf[65536];
  while (in.read(buf, sizeof buf) || in.gcount() > 0) {
    text.append(buf, static_cast<size_t>(in.gcount()));
    if (text.size() > kMaxPolicyBytes) {
      return make_error(ErrorCode::kTooLarge, "policy file " + path + " is larger than 1 MiB", {path, 0, 0});
    }
  }
  return parse_policy(text, path);
}

Result<Policy> load_policy(const PolicySource& source) {
  if (!source.file.empty() && !source.profile.empty()) {
    return make_error(ErrorCode::kInvalidArgument, "give either a policy file or a profile, not both");
  }
  std::string name = source.file.empty() ? "profile " + (source.profile.empty() ? "default" : source.profile)
                                         : source.file;
  PolicyBuilder builder(name);
  if (source.file.empty()) {
    std::string profile = source.profile.empty() ? "default" : source.profile;
    std::optional<std::string_view> text = profile_text(profile);
    if (!text) return load_profile(profile).error();  // the "unknown profile" error, with the known names
    if (Result<void> r = parse_policy_into(builder, *text, name); !r) return r.error();
  } else {
    // parse_policy_file checks existence and size; parse again into the builder to add the extras.
    Result<Policy> checked = parse_policy_file(source.file);
    if (!checked) return checked.error();
    std::ifstream in(source.file, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    if (Result<void> r = parse_policy_into(builder, text.str(), source.file); !r) return r.error();
  }
  for (const FileRule& f : source.extra_files) builder.file(f);
  return builder.build();
}

}  // namespace sysgate::policy
