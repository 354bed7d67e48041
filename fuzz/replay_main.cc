// Replays fuzz inputs (files or directories of files) through the fuzz target
// without libFuzzer: the corpus runs as a unit test in every build.
#include <dirent.h>
#include <sys/stat.h>

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

static int replay_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  std::string bytes = s.str();
  LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  return 1;
}

int main(int argc, char** argv) {
  int count = 0;
  for (int i = 1; i < argc; ++i) {
    struct stat st {};
    if (stat(argv[i], &st) != 0) {
      std::fprintf(stderr, "replay: cannot stat %s\n", argv[i]);
      return 1;
    }
    if (!S_ISDIR(st.st_mode)) {
      count += replay_file(argv[i]);
      continue;
    }
    DIR* d = opendir(argv[i]);
    while (dirent* e = d ? readdir(d) : nullptr) {
      if (e->d_name[0] == '.') continue;
      count += replay_file(std::string(argv[i]) + "/" + e->d_name);
    }
    if (d) closedir(d);
  }
  std::printf("replayed %d inputs\n", count);
  return count > 0 ? 0 : 1;
}
