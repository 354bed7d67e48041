// Static Go programs under `sysgate trace` and `sysgate run`. Go's signal
// trampoline runs only on the gsignal stack it registered with sigaltstack (or on
// g0); a handler delivered anywhere else made it spin in needm() forever. The
// programs are built here with /usr/bin/go (skipped without it) and compared with
// a native run; every run has a timeout, so a hang fails instead of blocking.
#include <gtest/gtest.h>
#include <unistd.h>

#include <memory>
#include <string>

#include "support/subprocess.h"

namespace sysgate::testing {
namespace {

const std::string kSysgate = SYSGATE_BIN;
const std::string kGo = "/usr/bin/go";
constexpr int kRunTimeoutS = 60;

// Signals to itself, goroutines making syscalls, a file read.
const char* const kSignalProgram = R"(package main
import ("fmt"; "os"; "os/signal"; "syscall"; "sync")
func main() {
	c := make(chan os.Signal, 1)
	signal.Notify(c, syscall.SIGUSR1)
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ { wg.Add(1); go func() { defer wg.Done(); for j := 0; j < 1000; j++ { syscall.Getppid() } }() }
	wg.Wait()
	syscall.Kill(os.Getpid(), syscall.SIGUSR1)
	<-c
	data, _ := os.ReadFile("/etc/hostname")
	fmt.Println("ok", len(data) > 0)
}
)";

// os/exec: Go's vfork-style clone, the child's signal reset, exec.
const char* const kExecProgram = R"(package main
import ("fmt"; "os"; "os/exec"; "os/signal"; "syscall")
func main() {
	c := make(chan os.Signal, 1)
	signal.Notify(c, syscall.SIGUSR1)
	out, err := exec.Command("/bin/echo", "child").Output()
	if err != nil { fmt.Println("error", err); os.Exit(1) }
	syscall.Kill(os.Getpid(), syscall.SIGUSR1)
	<-c
	fmt.Printf("parent got %q\n", string(out))
}
)";

// Timers and many goroutines: sysmon's preemption signals (SIGURG) land anywhere.
const char* const kSleepProgram = R"(package main
import ("fmt"; "sync"; "sync/atomic"; "time")
func main() {
	var wg sync.WaitGroup
	var n int64
	for i := 0; i < 200; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			for j := 0; j < 5; j++ { time.Sleep(time.Duration(1+i%3) * time.Millisecond); atomic.AddInt64(&n, 1) }
			x := 0
			for k := 0; k < 2000000; k++ { x += k ^ i }
			if x == 42 { fmt.Println("unlikely") }
		}(i)
	}
	wg.Wait()
	fmt.Println("slept", atomic.LoadInt64(&n))
}
)";

class GoPrograms : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (access(kGo.c_str(), X_OK) != 0) return;
    dir_ = new TempDir();
    const std::string& d = dir_->path();
    const char* const sources[] = {kSignalProgram, kExecProgram, kSleepProgram};
    const char* const names[] = {"signal", "exec", "sleep"};
    for (int i = 0; i < 3; ++i) {
      const std::string src_dir = d + "/" + names[i];
      ASSERT_EQ(run({"/bin/mkdir", "-p", src_dir}).status, 0);
      dir_->write(std::string(names[i]) + "/main.go", sources[i]);
      Output o = run({"/usr/bin/env", "HOME=" + d, "GOCACHE=" + d + "/gocache", "GOPATH=" + d + "/gopath",
                      "CGO_ENABLED=0", kGo, "build", "-o", d + "/" + names[i] + ".bin",
                      "main.go"},
                     src_dir, "", 600);
      built_ok_ = o.status == 0;
      ASSERT_EQ(o.status, 0) << "go build failed: " << o.out << o.err;
    }
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  void SetUp() override {
    if (access(kGo.c_str(), X_OK) != 0) GTEST_SKIP() << kGo << " is not installed (scripts/install-deps.sh: golang-go)";
    ASSERT_TRUE(built_ok_) << "the Go test programs did not build";
  }

  // Native, `sysgate trace` and `sysgate run`: same output, status 0, no hang.
  void compare(const std::string& name, const std::string& expected_out) {
    const std::string program = dir_->path() + "/" + name + ".bin";
    Output native = run({program}, dir_->path(), "", kRunTimeoutS);
    ASSERT_EQ(native.status, 0) << native.err;
    EXPECT_EQ(native.out, expected_out);
    const std::string trace_file = dir_->path() + "/" + name + ".trace";
    Output traced =
        run({kSysgate, "trace", "-f", "-o", trace_file, "--", program}, dir_->path(), "", kRunTimeoutS);
    EXPECT_EQ(traced.status, 0) << "trace: " << traced.err;
    EXPECT_EQ(traced.out, native.out);
    Output ran = run({kSysgate, "run", "--", program}, dir_->path(), "", kRunTimeoutS);
    EXPECT_EQ(ran.status, 0) << "run: " << ran.err;
    EXPECT_EQ(ran.out, native.out);
  }

  static TempDir* dir_;
  static bool built_ok_;
};

TempDir* GoPrograms::dir_ = nullptr;
bool GoPrograms::built_ok_ = false;

TEST_F(GoPrograms, SignalsGoroutinesAndAFileRead) { compare("signal", "ok true\n"); }

TEST_F(GoPrograms, ExecOfAChild) { compare("exec", "parent got \"child\\n\"\n"); }

TEST_F(GoPrograms, SleepsAndManyGoroutines) { compare("sleep", "slept 1000\n"); }

}  // namespace
}  // namespace sysgate::testing
