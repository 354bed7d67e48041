#include "trace/stack_unwinder.h"

#include <asm/unistd.h>
#include <elfutils/libdwfl.h>
#include <fcntl.h>
#include <gelf.h>
#include <limits.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <string_view>
#include <string>
#include <vector>

namespace sysgate::trace {

namespace {

// The gate's patched copies of code pages (gate/code_alias.h) are mappings of
// its memfd over a library's text. libdwfl ends a file's module at the first
// mapping of another file, so the library would be cut in pieces: these lines
// are left out of the maps it reads (the library's own text is what the
// copies hold, but for the patched sites, which no frame returns to).
constexpr std::string_view kGateCodeMapping = "/memfd:sysgate-code";

// /proc/PID/maps, from its directory's descriptor dir, without the gate's
// code copies; empty if the process is gone (or dir is -1).
std::string maps_text(int dir) {
  const int fd = dir < 0 ? -1 : openat(dir, "maps", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return "";
  std::string all;
  char buf[16384];
  for (ssize_t n; (n = read(fd, buf, sizeof buf)) > 0;) all.append(buf, static_cast<size_t>(n));
  close(fd);
  std::string text;
  for (size_t at = 0; at < all.size();) {
    size_t end = all.find('\n', at);
    if (end == std::string::npos) end = all.size();
    const std::string_view line(all.data() + at, end - at);
    if (line.find(kGateCodeMapping) == std::string_view::npos) {
      text += line;
      text += '\n';
    }
    at = end + 1;
  }
  return text;
}

// The stack of the record being unwound: its registers, its bytes from rsp
// up, and those of the interrupted call's stack (a handler's call inside one
// the gate was making), if any.
struct Snapshot {
  StackRegisters registers{};
  uint64_t outer_sp = 0;
  const uint8_t* outer_bytes = nullptr;
  size_t outer_size = 0;
  uint64_t arguments[6] = {};  // the record's args: rdi rsi rdx r10 r8 r9 at the syscall
  bool use_arguments = false;  // a call's record (a signal's args are its siginfo)
  uint64_t stack_sp = 0;       // where bytes were copied from (the first registers' rsp)
  const uint8_t* bytes = nullptr;
  size_t size = 0;
  int32_t tid = 0;
};

}  // namespace

// A module's function symbols by address, as libunwind finds a frame's name.
struct Symbol {
  uint64_t address;
  const char* name;  // libdwfl's: valid while the module is
};

struct StackUnwinder::Process {
  std::string maps;  // the text its modules were reported from
  Dwfl* dwfl = nullptr;
  const Snapshot* current = nullptr;  // set around each unwinding
  bool attached = false;
  std::map<Dwfl_Module*, std::vector<Symbol>> symbols;  // sorted by address, built on first use
  ~Process() {
    if (dwfl != nullptr) dwfl_end(dwfl);
  }
};

namespace {

// Symbols and call frame information come from each mapped file itself
// (.symtab, else .dynsym; .eh_frame), never from separate debug files, as
// strace's libunwind-based -k does: the same names, whatever debug packages
// the machine has, and no more files parsed than the program mapped.
int no_debuginfo(Dwfl_Module*, void**, const char*, Dwarf_Addr, const char*, const char*, GElf_Word, char**) {
  return -1;
}

const Dwfl_Callbacks kCallbacks = {
    .find_elf = dwfl_linux_proc_find_elf,
    .find_debuginfo = no_debuginfo,
    .section_address = nullptr,
    .debuginfo_path = nullptr,
};

// One thread per unwinding: the record's.
pid_t next_thread(Dwfl*, void* dwfl_arg, void** thread_argp) {
  if (*thread_argp != nullptr) return 0;
  *thread_argp = dwfl_arg;
  const auto* process = static_cast<const StackUnwinder::Process*>(dwfl_arg);
  return process->current != nullptr ? process->current->tid : 0;
}

bool get_thread(Dwfl*, pid_t, void* dwfl_arg, void** thread_argp) {
  *thread_argp = dwfl_arg;
  return static_cast<const StackUnwinder::Process*>(dwfl_arg)->current != nullptr;
}

// The stack's words come from the record only: what it held at the call.
bool memory_read(Dwfl*, Dwarf_Addr addr, Dwarf_Word* result, void* dwfl_arg) {
  const Snapshot* s = static_cast<const StackUnwinder::Process*>(dwfl_arg)->current;
  if (s == nullptr) return false;
  auto from = [&](uint64_t sp, const uint8_t* bytes, size_t size) {
    if (bytes == nullptr || addr < sp || addr - sp > size || size - (addr - sp) < sizeof *result) return false;
    std::memcpy(result, bytes + (addr - sp), sizeof *result);
    return true;
  };
  return from(s->stack_sp, s->bytes, s->size) || from(s->outer_sp, s->outer_bytes, s->outer_size);
}

// DWARF's x86-64 numbering: 1 rdx, 3 rbx, 4 rsi, 5 rdi, 6 rbp, 7 rsp, 8-10
// r8-r10, 12-15 r12-r15; the pc apart. rax, rcx and r11 the syscall changed.
// The argument registers matter too: glibc's vfork keeps its return address
// in rdi across the call (its CFI says so).
bool set_initial_registers(Dwfl_Thread* thread, void* thread_arg) {
  const Snapshot* s = static_cast<const StackUnwinder::Process*>(thread_arg)->current;
  if (s == nullptr) return false;
  const StackRegisters& r = s->registers;
  const uint64_t* a = s->arguments;
  const Dwarf_Word rdx = a[2];
  const Dwarf_Word rbx_to_rsp[5] = {r.rbx, a[1], a[0], r.rbp, r.rsp};
  const Dwarf_Word rbp_rsp[2] = {r.rbp, r.rsp};
  const Dwarf_Word r8_r10[3] = {a[4], a[5], a[3]};
  const Dwarf_Word r12_r15[4] = {r.r12, r.r13, r.r14, r.r15};
  const bool set = s->use_arguments
                       ? dwfl_thread_state_registers(thread, 1, 1, &rdx) &&
                             dwfl_thread_state_registers(thread, 3, 5, rbx_to_rsp) &&
                             dwfl_thread_state_registers(thread, 8, 3, r8_r10)
                       : dwfl_thread_state_registers(thread, 3, 1, &r.rbx) &&
                             dwfl_thread_state_registers(thread, 6, 2, rbp_rsp);
  if (!set || !dwfl_thread_state_registers(thread, 12, 4, r12_r15)) return false;
  dwfl_thread_state_register_pc(thread, r.rip);
  return true;
}

const Dwfl_Thread_Callbacks kThreadCallbacks = {
    .next_thread = next_thread,
    .get_thread = get_thread,
    .memory_read = memory_read,
    .set_initial_registers = set_initial_registers,
    .detach = nullptr,
    .thread_detach = nullptr,
};

using SymbolTables = std::map<Dwfl_Module*, std::vector<Symbol>>;

// The function symbol nearest below pc (the first of the file's table among
// several at one address), whether or not its size reaches pc: strace's
// libunwind names a frame so ("__libc_init_first+0x8a" for a static function
// after it), where libdwfl's own lookup gives none. Null when there is none.
const Symbol* nearest_function(SymbolTables& tables, Dwfl_Module* module, uint64_t pc) {
  auto [it, fresh] = tables.try_emplace(module);
  std::vector<Symbol>& table = it->second;
  if (fresh) {
    const int count = dwfl_module_getsymtab(module);
    for (int i = 1; i < count; ++i) {
      GElf_Sym sym;
      GElf_Addr address = 0;
      GElf_Word section = 0;
      const char* name = dwfl_module_getsym_info(module, i, &sym, &address, &section, nullptr, nullptr);
      if (name == nullptr || GELF_ST_TYPE(sym.st_info) != STT_FUNC || sym.st_shndx == SHN_UNDEF) continue;
      table.push_back({address, name});
    }
    std::stable_sort(table.begin(), table.end(), [](const Symbol& a, const Symbol& b) { return a.address < b.address; });
  }
  auto above = std::upper_bound(table.begin(), table.end(), pc, [](uint64_t v, const Symbol& s) { return v < s.address; });
  if (above == table.begin()) return nullptr;
  const uint64_t address = std::prev(above)->address;
  return &*std::lower_bound(table.begin(), above, address, [](const Symbol& s, uint64_t v) { return s.address < v; });
}

// A frame as strace -k prints it: the file, the symbol before the address and
// the distance from it, and the address relative to the file's load address.
// A caller's frame shows its return address as it is (after the call), as
// strace's does. Without a symbol strace prints "()", or "(+0x0)" in a stack
// it took as the call began (an exec's, an exit's: captured_at_entry).
void append_frame(std::string& out, SymbolTables& tables, Dwfl_Module* module, uint64_t pc, bool captured_at_entry) {
  Dwarf_Addr low = 0;
  const char* file = dwfl_module_info(module, nullptr, &low, nullptr, nullptr, nullptr, nullptr, nullptr);
  const Symbol* symbol = nearest_function(tables, module, pc);
  // From where the file's first byte is mapped (libunwind's way, which strace
  // prints): the address in a PIE or library, the distance from 0x400000 in a
  // program linked there.
  const uint64_t relative = pc - low;
  char numbers[64];
  out += " > ";
  out += file != nullptr ? file : "?";
  out += '(';
  if (symbol != nullptr || captured_at_entry) {
    if (symbol != nullptr) out += symbol->name;
    std::snprintf(numbers, sizeof numbers, "+0x%" PRIx64 ") [0x%" PRIx64 "]\n",
                  symbol != nullptr ? pc - symbol->address : uint64_t{0}, static_cast<uint64_t>(relative));
  } else {
    std::snprintf(numbers, sizeof numbers, ") [0x%" PRIx64 "]\n", static_cast<uint64_t>(relative));
  }
  out += numbers;
}

struct Frames {
  StackUnwinder::Process* process;
  std::string* out;
  bool captured_at_entry;
  int left;
  uint64_t gate_begin, gate_end;  // the gate's code
  bool reached_gate;
};

// Frames in files the process maps are printed; others (JIT code, the gate's
// trampolines) are skipped, as strace skips them. The gate's code ends the
// walk: a program handler that interrupted a call the gate was making
// returns into it (the unwinder goes on from that call's registers).
int print_frame(Dwfl_Frame* state, void* arg) {
  auto* frames = static_cast<Frames*>(arg);
  Dwarf_Addr pc;
  bool activation = false;
  if (!dwfl_frame_pc(state, &pc, &activation)) return DWARF_CB_ABORT;
  if (pc >= frames->gate_begin && pc < frames->gate_end) {
    frames->reached_gate = true;
    return DWARF_CB_ABORT;
  }
  Dwfl* dwfl = dwfl_thread_dwfl(dwfl_frame_thread(state));
  if (Dwfl_Module* module = dwfl_addrmodule(dwfl, pc); module != nullptr) {
    append_frame(*frames->out, frames->process->symbols, module, pc, frames->captured_at_entry);
  }
  return --frames->left > 0 ? DWARF_CB_OK : DWARF_CB_ABORT;
}

// Which calls' stacks strace -k takes as they begin (its syscall table's SE flag).
bool captured_at_entry(int nr) {
  return nr == __NR_execve || nr == __NR_execveat || nr == __NR_exit || nr == __NR_exit_group;
}

// The program's interpreter, as its PT_INTERP names it, or "" (a static program).
std::string interpreter_of(Elf* elf) {
  size_t count = 0;
  if (elf_getphdrnum(elf, &count) != 0) return "";
  for (size_t i = 0; i < count; ++i) {
    GElf_Phdr phdr;
    if (gelf_getphdr(elf, static_cast<int>(i), &phdr) == nullptr || phdr.p_type != PT_INTERP) continue;
    size_t size = 0;
    const char* image = elf_rawfile(elf, &size);
    if (image == nullptr || phdr.p_offset >= size || phdr.p_filesz == 0 || phdr.p_filesz > size - phdr.p_offset) {
      return "";
    }
    return std::string(image + phdr.p_offset, strnlen(image + phdr.p_offset, phdr.p_filesz));
  }
  return "";
}

}  // namespace

StackUnwinder::StackUnwinder(TracedProcesses* traced) : traced_(traced) {}
StackUnwinder::~StackUnwinder() = default;

StackUnwinder::Process* StackUnwinder::process(int32_t pid, bool reread) {
  auto it = processes_.find(pid);
  if (it != processes_.end() && !reread) return it->second.get();
  std::string maps = maps_text(traced_ != nullptr ? traced_->proc_dir(pid) : -1);
  // Nothing new, or the process is gone (its other threads' last records come
  // after its exit): what was known still serves.
  if (it != processes_.end() && (maps == it->second->maps || maps.empty())) return it->second.get();
  // A bound on what is kept: processes that exited stay known (see above).
  if (it == processes_.end() && processes_.size() >= kMaxProcesses) processes_.erase(processes_.begin());
  auto fresh = std::make_unique<Process>();
  fresh->maps = std::move(maps);
  fresh->dwfl = dwfl_begin(&kCallbacks);
  if (fresh->dwfl != nullptr) {
    const std::string& maps = fresh->maps;
    dwfl_report_begin(fresh->dwfl);
    if (!maps.empty()) {
      if (FILE* f = fmemopen(const_cast<char*>(maps.data()), maps.size(), "r"); f != nullptr) {
        dwfl_linux_proc_maps_report(fresh->dwfl, f);
        std::fclose(f);
      }
    }
    dwfl_report_end(fresh->dwfl, nullptr, nullptr);
    fresh->attached = dwfl_attach_state(fresh->dwfl, nullptr, pid, &kThreadCallbacks, fresh.get());
  }
  Process* p = fresh.get();
  processes_[pid] = std::move(fresh);
  return p;
}

void StackUnwinder::resolve(Record& record) {
  // After an exec the pid's next records are of another image. (After
  // exit_group, what is known stays: other threads' last records may follow.)
  const bool image_ends = record.kind == kRecordSyscallEnter && (record.nr == __NR_execve || record.nr == __NR_execveat);
  RecordExtras* extras = record.extras.get();
  const size_t head_bytes = extras != nullptr && extras->stack_has_outer ? 2 * sizeof(StackRegisters) + 8
                                                                          : sizeof(StackRegisters);
  if (extras != nullptr && extras->stack.size() >= head_bytes) {
    Snapshot snapshot;
    StackRegisters outer{};
    const auto* data = reinterpret_cast<const uint8_t*>(extras->stack.data());
    std::memcpy(&snapshot.registers, data, sizeof snapshot.registers);
    snapshot.stack_sp = snapshot.registers.rsp;
    snapshot.bytes = data + head_bytes;
    snapshot.size = extras->stack.size() - head_bytes;
    if (extras->stack_has_outer) {
      std::memcpy(&outer, data + sizeof outer, sizeof outer);
      uint64_t inner = 0;
      std::memcpy(&inner, data + 2 * sizeof outer, sizeof inner);
      inner = std::min<uint64_t>(inner, snapshot.size);  // the program wrote it: never past the record
      snapshot.outer_sp = outer.rsp;
      snapshot.outer_bytes = snapshot.bytes + inner;
      snapshot.outer_size = snapshot.size - inner;
      snapshot.size = inner;
    }
    snapshot.tid = record.tid;
    snapshot.use_arguments = record.kind != kRecordSignal;
    std::memcpy(snapshot.arguments, record.args, sizeof snapshot.arguments);
    Process* p = process(record.pid, false);
    // An address in no file it knew: the process mapped one since (dlopen).
    if (p->dwfl == nullptr || dwfl_addrmodule(p->dwfl, snapshot.registers.rip) == nullptr) {
      p = process(record.pid, true);
    }
    if (p->dwfl != nullptr && p->attached) {
      p->current = &snapshot;
      const bool at_entry = record.kind != kRecordSignal && captured_at_entry(record.nr);
      Frames frames{p, &extras->backtrace, at_entry, kMaxFrames, gate_begin_, gate_end_, false};
      dwfl_getthread_frames(p->dwfl, record.tid, print_frame, &frames);  // an error ends the trace where it is
      if (frames.reached_gate && extras->stack_has_outer && frames.left > 0) {
        // On through the call the handler interrupted, as the program made it
        // (its stack is the same one, further up, unless the handler ran on
        // an alternate stack: then its words are not in the record).
        snapshot.registers = outer;
        snapshot.use_arguments = false;
        frames.reached_gate = false;
        dwfl_getthread_frames(p->dwfl, record.tid, print_frame, &frames);
      }
      p->current = nullptr;
    }
    extras->stack.clear();
    extras->stack.shrink_to_fit();
  }
  if (image_ends) processes_.erase(record.pid);
}

std::string entry_backtrace(const std::string& program) {
  // The file that runs first: the interpreter of a dynamic program, else the program.
  std::string file = program;
  if (const int fd = open(program.c_str(), O_RDONLY | O_CLOEXEC); fd >= 0) {
    elf_version(EV_CURRENT);
    if (Elf* elf = elf_begin(fd, ELF_C_READ_MMAP, nullptr); elf != nullptr) {
      if (std::string interpreter = interpreter_of(elf); !interpreter.empty()) file = std::move(interpreter);
      elf_end(elf);
    }
    close(fd);
  }
  char real[PATH_MAX];
  if (realpath(file.c_str(), real) == nullptr) return "";
  static const Dwfl_Callbacks kOffline = {
      .find_elf = nullptr,
      .find_debuginfo = no_debuginfo,
      .section_address = dwfl_offline_section_address,
      .debuginfo_path = nullptr,
  };
  std::string out;
  if (Dwfl* dwfl = dwfl_begin(&kOffline); dwfl != nullptr) {
    Dwfl_Module* module = dwfl_report_offline(dwfl, real, real, -1);
    dwfl_report_end(dwfl, nullptr, nullptr);
    GElf_Addr bias = 0;
    Elf* elf = module != nullptr ? dwfl_module_getelf(module, &bias) : nullptr;
    GElf_Ehdr ehdr;
    if (elf != nullptr && gelf_getehdr(elf, &ehdr) != nullptr) {
      SymbolTables tables;
      append_frame(out, tables, module, ehdr.e_entry + bias, false);
    }
    dwfl_end(dwfl);
  }
  return out;
}

}  // namespace sysgate::trace
