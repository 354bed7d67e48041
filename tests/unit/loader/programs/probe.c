// A target program for the loader's tests, built as static non-PIE, static PIE,
// dynamic non-PIE and dynamic PIE. Its output depends only on what the loader
// must reproduce, so a native run and a run through sysgate-exec must print
// the same bytes.
//
//   probe info [ARGS...]  argv, environment count, and auxv values checked
//                         against the program's real ones (AT_ENTRY == _start...)
//   probe malloc          256 MiB in 1 KiB pieces through malloc (brk)
//   probe thread          four threads, joined
//   probe stack           the [stack] mapping's permissions
//   probe comm            the task name (/proc/self/comm)
//   probe align N         whether the image's base is N-byte aligned
//   probe exit N          exits with status N
#define _GNU_SOURCE
#include <elf.h>
#include <link.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>

extern char _start[];
extern const ElfW(Ehdr) __ehdr_start;
extern char** environ;

static int find_interp(struct dl_phdr_info* info, size_t size, void* data) {
  (void)size;
  if (info->dlpi_name != NULL && strstr(info->dlpi_name, "ld-linux") != NULL) {
    *(uintptr_t*)data = info->dlpi_addr;
    return 1;
  }
  return 0;
}

static int info(int argc, char** argv) {
  printf("argc=%d\n", argc);
  for (int i = 0; i < argc; ++i) printf("argv[%d]=%s\n", i, argv[i]);
  int envc = 0;
  while (environ[envc] != NULL) ++envc;
  printf("envc=%d\n", envc);
  if (envc > 0) printf("env[0]=%s\n", environ[0]);

  const uintptr_t phdr = (uintptr_t)&__ehdr_start + __ehdr_start.e_phoff;
  printf("entry_ok=%d\n", getauxval(AT_ENTRY) == (uintptr_t)_start);
  printf("phdr_ok=%d\n", getauxval(AT_PHDR) == phdr);
  printf("phent=%lu\n", getauxval(AT_PHENT));
  printf("phnum_ok=%d\n", getauxval(AT_PHNUM) == __ehdr_start.e_phnum);
  uintptr_t interp = 0;
  dl_iterate_phdr(find_interp, &interp);
  printf("base_ok=%d\n", getauxval(AT_BASE) == interp);
  printf("dynamic=%d\n", interp != 0);
  const char* execfn = (const char*)getauxval(AT_EXECFN);
  printf("execfn=%s\n", execfn ? execfn : "(null)");
  printf("random_ok=%d\n", getauxval(AT_RANDOM) != 0);
  const unsigned char* vdso = (const unsigned char*)getauxval(AT_SYSINFO_EHDR);
  printf("vdso_ok=%d\n", vdso != NULL && memcmp(vdso, ELFMAG, SELFMAG) == 0);
  printf("pagesz=%lu clktck=%lu secure=%lu\n", getauxval(AT_PAGESZ), getauxval(AT_CLKTCK), getauxval(AT_SECURE));
  printf("hwcap=%lx hwcap2=%lx minsigstksz_set=%d\n", getauxval(AT_HWCAP), getauxval(AT_HWCAP2),
         getauxval(AT_MINSIGSTKSZ) != 0);
  const char* platform = (const char*)getauxval(AT_PLATFORM);
  printf("platform=%s uid=%lu\n", platform ? platform : "(null)", getauxval(AT_UID));
  return 0;
}

static int do_malloc(void) {
  const size_t piece = 1024, total = (size_t)256 << 20;
  void* brk_before = sbrk(0);
  unsigned long sum = 0;
  char** pieces = malloc(sizeof(char*) * (total / piece));
  if (pieces == NULL) return 2;
  for (size_t i = 0; i < total / piece; ++i) {
    pieces[i] = malloc(piece);
    if (pieces[i] == NULL) {
      printf("malloc failed at %zu\n", i);
      return 3;
    }
    memset(pieces[i], (int)(i & 0x7f), piece);
  }
  for (size_t i = 0; i < total / piece; ++i) sum += (unsigned char)pieces[i][piece - 1];
  const int brk_grew = (uintptr_t)sbrk(0) - (uintptr_t)brk_before >= total;
  for (size_t i = 0; i < total / piece; ++i) free(pieces[i]);
  free(pieces);
  printf("pieces=%zu sum=%lu brk_grew=%d\n", total / piece, sum, brk_grew);
  return 0;
}

static void* worker(void* arg) {
  uintptr_t n = (uintptr_t)arg, acc = 0;
  for (uintptr_t i = 0; i <= n * 1000; ++i) acc += i;
  return (void*)acc;
}

static int do_thread(void) {
  pthread_t t[4];
  for (uintptr_t i = 0; i < 4; ++i) {
    if (pthread_create(&t[i], NULL, worker, (void*)(i + 1)) != 0) return 2;
  }
  for (int i = 0; i < 4; ++i) {
    void* r;
    pthread_join(t[i], &r);
    printf("thread %d -> %lu\n", i, (unsigned long)(uintptr_t)r);
  }
  return 0;
}

static int do_stack(void) {
  FILE* f = fopen("/proc/self/maps", "r");
  if (f == NULL) return 2;
  char line[512];
  while (fgets(line, sizeof(line), f) != NULL) {
    if (strstr(line, "[stack]") != NULL) {
      char perms[8] = {0};
      sscanf(line, "%*s %7s", perms);
      printf("stack=%s\n", perms);
    }
  }
  fclose(f);
  return 0;
}

int main(int argc, char** argv) {
  const char* mode = argc > 1 ? argv[1] : "info";
  int rc;
  if (strcmp(mode, "info") == 0) {
    rc = info(argc, argv);
  } else if (strcmp(mode, "malloc") == 0) {
    rc = do_malloc();
  } else if (strcmp(mode, "thread") == 0) {
    rc = do_thread();
  } else if (strcmp(mode, "stack") == 0) {
    rc = do_stack();
  } else if (strcmp(mode, "comm") == 0) {
    char name[64] = {0};
    FILE* f = fopen("/proc/self/comm", "r");
    if (f == NULL || fgets(name, sizeof(name), f) == NULL) return 2;
    fclose(f);
    printf("comm=%s", name);
    rc = 0;
  } else if (strcmp(mode, "align") == 0 && argc > 2) {
    const uintptr_t n = strtoul(argv[2], NULL, 0);
    printf("aligned=%d\n", n != 0 && (uintptr_t)&__ehdr_start % n == 0);
    rc = 0;
  } else if (strcmp(mode, "exit") == 0 && argc > 2) {
    rc = atoi(argv[2]);
  } else {
    fprintf(stderr, "probe: unknown mode %s\n", mode);
    rc = 64;
  }
  fflush(stdout);
  return rc;
}
