// Microbenchmarks of the pure BPF layers: compiling the `default` profile (what
// every `sysgate run` pays once at start-up) and interpreting the result (what
// `sysgate explain` pays per question). Neither is on the confined program's
// path; the kernel runs the installed filter, not this interpreter.
#include <benchmark/benchmark.h>
#include <sys/syscall.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <utility>

#include "bpf/compiler.h"
#include "bpf/interpreter.h"
#include "policy/profiles.h"

namespace {

using sysgate::bpf::CompileOptions;
using sysgate::bpf::Program;
using sysgate::bpf::SeccompData;
using sysgate::policy::Policy;

// Benchmarks must measure a working compiler: any failure aborts the run.
const Policy& default_policy() {
  static const Policy policy = [] {
    auto p = sysgate::policy::load_profile("default");
    if (!p) {
      std::fprintf(stderr, "load_profile(default): %s\n", p.error().describe().c_str());
      std::abort();
    }
    return std::move(p).value();
  }();
  return policy;
}

Program compile_or_die(bool optimize) {
  auto program = sysgate::bpf::compile(default_policy(), CompileOptions{.optimize = optimize});
  if (!program) {
    std::fprintf(stderr, "compile(default): %s\n", program.error().describe().c_str());
    std::abort();
  }
  return std::move(program).value();
}

void BM_LoadDefaultProfile(benchmark::State& state) {
  for (auto _ : state) {
    auto p = sysgate::policy::load_profile("default");
    benchmark::DoNotOptimize(p);
  }
}
BENCHMARK(BM_LoadDefaultProfile);

// Arg(1): with the optimiser, as `sysgate run` compiles; Arg(0): the plain program.
void BM_CompileDefault(benchmark::State& state) {
  const bool optimize = state.range(0) != 0;
  size_t instructions = 0;
  for (auto _ : state) {
    Program program = compile_or_die(optimize);
    instructions = program.size();
    benchmark::DoNotOptimize(program);
  }
  // A label, not a counter: Google Benchmark's CSV reporter (which bench/run.sh
  // reads) prints nothing after a benchmark whose counters differ from the first's.
  state.SetLabel(std::to_string(instructions) + " instructions");
}
BENCHMARK(BM_CompileDefault)->Arg(1)->Arg(0);

// One verdict from the interpreter. getppid hits a constant leaf; socket walks
// the argument checks of the AF_UNIX rule; 1000 is unknown (default action).
void BM_InterpretDefault(benchmark::State& state) {
  static const Program program = compile_or_die(true);
  SeccompData data;
  data.arch = sysgate::bpf::kArchX86_64;
  data.nr = static_cast<int32_t>(state.range(0));
  data.args[0] = 1;  // AF_UNIX
  data.args[1] = 1;  // SOCK_STREAM
  for (auto _ : state) {
    benchmark::DoNotOptimize(sysgate::bpf::run(program, data));
  }
  state.SetLabel(data.nr == SYS_getppid ? "getppid: constant leaf"
                 : data.nr == SYS_socket ? "socket AF_UNIX SOCK_STREAM: argument checks"
                                         : "unknown number: default action");
}
BENCHMARK(BM_InterpretDefault)->Arg(SYS_getppid)->Arg(SYS_socket)->Arg(1000);

}  // namespace

BENCHMARK_MAIN();
