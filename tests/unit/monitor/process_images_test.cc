// ProcessImages and exe_link_target on real processes: this test process and
// a forked child of it.
#include "monitor/process_images.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>

namespace sysgate::monitor {
namespace {

TEST(ProcessImages, AProcessAndItsForkedChildRunTheImageRecorded) {
  ProcessImages images;
  EXPECT_EQ(images.image_of(getpid()), std::nullopt);  // nothing recorded anywhere up the tree
  images.set(getpid(), "/opt/prog");
  EXPECT_EQ(images.image_of(getpid()), "/opt/prog");
  EXPECT_EQ(exe_link_target("/proc/self/exe", getpid(), images), "/opt/prog");
  EXPECT_EQ(exe_link_target("/proc/thread-self/exe", getpid(), images), "/opt/prog");
  EXPECT_EQ(exe_link_target("/proc/" + std::to_string(getpid()) + "/exe", getpid(), images), "/opt/prog");
  EXPECT_EQ(exe_link_target("/proc/1/exe", getpid(), images), std::nullopt);  // another process's link
  EXPECT_EQ(exe_link_target("/usr/bin/true", getpid(), images), std::nullopt);

  int to_parent[2], to_child[2];
  ASSERT_EQ(pipe(to_parent), 0);
  ASSERT_EQ(pipe(to_child), 0);
  const pid_t child = fork();
  if (child == 0) {
    char go;
    (void)write(to_parent[1], "r", 1);
    (void)read(to_child[0], &go, 1);  // stay alive while the parent looks
    _exit(0);
  }
  char ready;
  ASSERT_EQ(read(to_parent[0], &ready, 1), 1);
  EXPECT_EQ(images.image_of(child), "/opt/prog");  // not exec'd: its parent's image
  images.set(child, "/bin/other");                 // as after its own exec
  EXPECT_EQ(images.image_of(child), "/bin/other");
  EXPECT_EQ(images.image_of(getpid()), "/opt/prog");
  ASSERT_EQ(write(to_child[1], "g", 1), 1);
  int status = 0;
  waitpid(child, &status, 0);
  EXPECT_EQ(images.image_of(child), std::nullopt);  // gone: no /proc entry to trust
}

}  // namespace
}  // namespace sysgate::monitor
