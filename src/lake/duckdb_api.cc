#include "lake/duckdb_api.h"

#include <dlfcn.h>
#include <unistd.h>
#include <fmt/format.h>

#include <cstdio>
#include <cstdlib>

namespace lakestream::lake {
namespace {

// LAKESTREAM_DUCKDB_LIBRARY (a path) if set; else the library found at build time (an
// absolute path: under AddressSanitizer dlopen is called from the sanitizer's runtime, so
// the binary's run path would not be searched) if it is there; else the loader's usual
// places (LD_LIBRARY_PATH, the system's folders).
#ifndef LAKESTREAM_DUCKDB_LIBRARY_PATH
#define LAKESTREAM_DUCKDB_LIBRARY_PATH "libduckdb.so"
#endif
constexpr const char* kBuiltWith = LAKESTREAM_DUCKDB_LIBRARY_PATH;
constexpr const char* kDefaultLibrary = "libduckdb.so";

struct Loaded {
  DuckDbApi api;
  Status status;
};

Loaded Load() {
  Loaded out;
  const char* env = std::getenv("LAKESTREAM_DUCKDB_LIBRARY");
  const char* library = env != nullptr && *env != '\0'  ? env
                        : access(kBuiltWith, R_OK) == 0 ? kBuiltWith
                                                         : kDefaultLibrary;
  void* lib = dlopen(library, RTLD_NOW | RTLD_LOCAL);
  if (lib == nullptr) {
    const char* why = dlerror();
    out.status = Status::Unavailable(fmt::format(
        "cannot load DuckDB ({}): {}; run scripts/setup.sh, which installs it (or set "
        "LAKESTREAM_DUCKDB_LIBRARY to a libduckdb.so)",
        library, why != nullptr ? why : "unknown error"));
    return out;
  }
  // Never unloaded: DuckDB's objects may live until the process ends.
#define LS_DUCKDB_RESOLVE(name)                                                                          \
  out.api.name = reinterpret_cast<decltype(&::name)>(dlsym(lib, #name));                                 \
  if (out.api.name == nullptr) {                                                                         \
    out.status = Status::Unavailable(                                                                    \
        fmt::format("cannot load DuckDB ({}): it has no function {} (an older DuckDB?)", library, #name)); \
    return out;                                                                                          \
  }
  LS_DUCKDB_FUNCTIONS(LS_DUCKDB_RESOLVE)
#undef LS_DUCKDB_RESOLVE
  return out;
}

const Loaded& Once() {
  static const Loaded loaded = Load();  // initialised once, thread-safe
  return loaded;
}

}  // namespace

Result<const DuckDbApi*> LoadDuckDb() {
  const Loaded& l = Once();
  if (!l.status.ok()) return l.status;
  return &l.api;
}

const DuckDbApi& Duck() {
  const Loaded& l = Once();
  if (!l.status.ok()) {
    std::fprintf(stderr, "internal error: DuckDB used before it was loaded: %s\n", l.status.ToString().c_str());
    std::abort();
  }
  return l.api;
}

}  // namespace lakestream::lake
