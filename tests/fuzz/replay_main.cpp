// Replays inputs through a fuzz target's LLVMFuzzerTestOneInput without libFuzzer, so that ctest
// runs every committed corpus and regression input in every build (g++, ASan+UBSan, TSan) and a
// crash found once stays fixed. Arguments: files or directories (their regular files, in name
// order). A directory that does not exist is skipped with a note (regressions/<target> appears
// only once a crash was found there); running no input at all fails, so that a wrong path
// cannot make the test pass without testing anything. An invariant failure aborts, naming it.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

namespace fs = std::filesystem;

bool run_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "cannot read %s\n", path.c_str());
    return false;
  }
  const std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::fprintf(stderr, "replay %s (%zu bytes)\n", path.c_str(), bytes.size());
  // A heap copy of exactly `size` bytes, as libFuzzer passes it, so ASan sees reads past the end;
  // never a null pointer, not even for an empty input (libFuzzer does not pass one either).
  auto data = std::make_unique<std::uint8_t[]>(std::max<std::size_t>(bytes.size(), 1));
  std::copy(bytes.begin(), bytes.end(), data.get());
  LLVMFuzzerTestOneInput(data.get(), bytes.size());
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t ran = 0;
  for (int i = 1; i < argc; ++i) {
    const fs::path arg = argv[i];
    std::error_code ec;
    if (fs::is_regular_file(arg, ec)) {
      if (!run_file(arg)) return 1;
      ++ran;
      continue;
    }
    if (!fs::is_directory(arg, ec)) {
      std::fprintf(stderr, "note: %s does not exist, skipped\n", arg.c_str());
      continue;
    }
    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator(arg)) {
      if (entry.is_regular_file()) files.push_back(entry.path());
    }
    std::sort(files.begin(), files.end());
    for (const auto& f : files) {
      if (!run_file(f)) return 1;
      ++ran;
    }
  }
  if (ran == 0) {
    std::fprintf(stderr, "no input replayed\n");
    return 1;
  }
  std::fprintf(stderr, "%zu inputs replayed, no invariant failed\n", ran);
  return 0;
}
