// ResolvedFiles on a real directory tree: a rule covers the object its path
// named at start (as Landlock's does), and for a tree nobody renamed the
// answer is the one the rules' path strings give.
#include "monitor/resolved_files.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "sandbox/unique_fd.h"

namespace sysgate::monitor {
namespace {

class Tree {
 public:
  Tree() {
    char buf[] = "/tmp/sysgate-resolved.XXXXXX";
    path_ = canonical_path(mkdtemp(buf));
  }
  ~Tree() { std::filesystem::remove_all(path_); }
  std::string at(const std::string& name) const { return path_ + "/" + name; }
  void dir(const std::string& name) const { ASSERT_EQ(mkdir(at(name).c_str(), 0755), 0) << name; }
  void file(const std::string& name) const { std::ofstream(at(name)) << "x\n"; }

 private:
  std::string path_;
};

ResolvedFiles resolve(const std::vector<policy::FileRule>& rules) {
  Result<ResolvedFiles> files = resolve_files(rules, {.cwd = "/nonexistent"});
  EXPECT_TRUE(files.ok());
  return std::move(files).value();
}

// What the broker asks of the object `path` names now.
bool object_allowed(const ResolvedFiles& files, const std::string& path, uint8_t rights) {
  sandbox::UniqueFd fd(open(path.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
  EXPECT_TRUE(fd.valid()) << path;
  return files.allows_object(fd.get(), path, rights);
}

bool object_visible(const ResolvedFiles& files, const std::string& path) {
  sandbox::UniqueFd fd(open(path.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
  EXPECT_TRUE(fd.valid()) << path;
  return files.visible_object(fd.get(), path);
}

TEST(ResolvedFiles, AnUnrenamedTreeIsJudgedAsItsPathsAre) {
  Tree t;
  for (const char* d : {"pub", "pub/sub", "private", "tree", "tree/hidden", "tree/open"}) t.dir(d);
  for (const char* f : {"pub/ok.txt", "pub/sub/deep.txt", "private/key.txt", "public.txt", "secret.txt",
                        "tree/hidden/z.txt", "tree/open/y.txt", "tree/top.txt"}) {
    t.file(f);
  }
  ResolvedFiles files = resolve({
      {.path = t.at("pub"), .rights = policy::kRead},
      {.path = t.at("public.txt"), .rights = policy::kRead | policy::kWrite},
      {.path = t.at("tree"), .rights = policy::kRead, .except = {t.at("tree/hidden")}},
      {.path = t.at("pub/sub"), .rights = policy::kWrite},  // rights add up beneath both
  });
  for (const char* name : {"", "pub", "pub/ok.txt", "pub/sub", "pub/sub/deep.txt", "private", "private/key.txt",
                           "public.txt", "secret.txt", "tree", "tree/hidden", "tree/hidden/z.txt", "tree/open",
                           "tree/open/y.txt", "tree/top.txt"}) {
    const std::string path = canonical_path(t.at(name));
    for (int rights : {int(policy::kRead), int(policy::kWrite), policy::kRead | policy::kWrite, int(policy::kCreate)}) {
      const auto r = static_cast<uint8_t>(rights);
      EXPECT_EQ(object_allowed(files, path, r), files.allows_name(path, r)) << name << " " << rights;
    }
  }
  EXPECT_TRUE(object_allowed(files, t.at("pub/sub/deep.txt"), policy::kRead | policy::kWrite));
  EXPECT_FALSE(object_allowed(files, t.at("tree/hidden/z.txt"), policy::kRead));
  // Visible: what a rule covers, and the places on the way to one ("/", the tree's parent).
  EXPECT_TRUE(object_visible(files, "/"));
  EXPECT_TRUE(object_visible(files, canonical_path(t.at(""))));
  EXPECT_TRUE(object_visible(files, t.at("pub/sub")));
  EXPECT_TRUE(object_visible(files, t.at("tree/open")));
  EXPECT_FALSE(object_visible(files, t.at("private")));
  EXPECT_FALSE(object_visible(files, t.at("tree/hidden")));
}

// The finding: the program renames the readable tree aside and its private
// one to the readable one's name (or a secret file over the readable file).
// The path strings would now grant the private files; the objects do not.
// The rule's own object keeps its right under its new name, as in Landlock.
TEST(ResolvedFiles, ARuleCoversItsObjectNotWhatTakesItsName) {
  Tree t;
  for (const char* d : {"pub", "private"}) t.dir(d);
  for (const char* f : {"pub/ok.txt", "private/key.txt", "public.txt", "secret.txt"}) t.file(f);
  ResolvedFiles files = resolve({
      {.path = t.at("pub"), .rights = policy::kRead},
      {.path = t.at("public.txt"), .rights = policy::kRead},
  });
  ASSERT_EQ(rename(t.at("pub").c_str(), t.at("pub.old").c_str()), 0);
  ASSERT_EQ(rename(t.at("private").c_str(), t.at("pub").c_str()), 0);
  ASSERT_EQ(rename(t.at("public.txt").c_str(), t.at("public.txt.old").c_str()), 0);
  ASSERT_EQ(rename(t.at("secret.txt").c_str(), t.at("public.txt").c_str()), 0);

  EXPECT_TRUE(files.allows_name(t.at("pub/key.txt"), policy::kRead));  // what the strings said
  EXPECT_FALSE(object_allowed(files, t.at("pub/key.txt"), policy::kRead));
  EXPECT_FALSE(object_allowed(files, t.at("pub"), policy::kRead));
  EXPECT_FALSE(object_visible(files, t.at("pub")));
  EXPECT_FALSE(object_allowed(files, t.at("public.txt"), policy::kRead));
  EXPECT_TRUE(object_allowed(files, t.at("pub.old/ok.txt"), policy::kRead));
  EXPECT_TRUE(object_allowed(files, t.at("public.txt.old"), policy::kRead));
}

// Landlock skips a rule whose path does not exist at start, and leaves
// whatever appears later in a carve-out's place without a rule: so does the
// broker. The missing name still answers by name (ENOENT for a lookup).
TEST(ResolvedFiles, PlacesMadeAfterStartAreNotTheRulesObjects) {
  Tree t;
  t.dir("tree");
  ResolvedFiles files = resolve({
      {.path = t.at("later.txt"), .rights = policy::kRead},
      {.path = t.at("tree"), .rights = policy::kRead, .except = {t.at("tree/later")}},
  });
  EXPECT_TRUE(files.allows_name(t.at("later.txt"), policy::kRead));
  t.file("later.txt");
  t.dir("tree/later");
  t.file("tree/later/f.txt");
  t.file("tree/f.txt");
  EXPECT_FALSE(object_allowed(files, t.at("later.txt"), policy::kRead));
  EXPECT_FALSE(object_allowed(files, t.at("tree/later/f.txt"), policy::kRead));
  EXPECT_TRUE(object_allowed(files, t.at("tree/f.txt"), policy::kRead));
}

// Objects with no place in the tree have no lineage: never allowed.
TEST(ResolvedFiles, ObjectsWithoutAPlaceAreNotCovered) {
  ResolvedFiles files = resolve({{.path = "/", .rights = policy::kRead}});
  int p[2];
  ASSERT_EQ(pipe(p), 0);
  EXPECT_FALSE(files.allows_object(p[0], "pipe:[1]", policy::kRead));
  close(p[0]);
  close(p[1]);
  Tree t;
  t.file("gone.txt");
  sandbox::UniqueFd fd(open(t.at("gone.txt").c_str(), O_RDONLY | O_CLOEXEC));
  EXPECT_TRUE(files.allows_object(fd.get(), t.at("gone.txt"), policy::kRead));
  ASSERT_EQ(unlink(t.at("gone.txt").c_str()), 0);
  EXPECT_FALSE(files.allows_object(fd.get(), t.at("gone.txt") + " (deleted)", policy::kRead));
}

}  // namespace
}  // namespace sysgate::monitor
