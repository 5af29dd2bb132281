#include "core/console.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

namespace lakestream {
namespace {

// What the console writes for `steps`, in order.
std::string Written(const std::vector<std::function<void(Console&)>>& steps) {
  char* buffer = nullptr;
  size_t size = 0;
  std::FILE* out = open_memstream(&buffer, &size);
  {
    Console console(out);
    for (const auto& step : steps) step(console);
  }
  std::fclose(out);
  std::string text(buffer, size);
  std::free(buffer);
  return text;
}

TEST(Console, AMessageStartsOnALineOfItsOwn) {
  struct Case {
    std::string name;
    std::vector<std::function<void(Console&)>> steps;
    std::string want;
  };
  auto show = [](std::string t) { return [t](Console& c) { c.ShowProgress(t); }; };
  auto write = [](std::string t) { return [t](Console& c) { c.Write(t); }; };
  const std::vector<Case> cases = {
      {"no progress line: the message as it is", {write("w\n")}, "w\n"},
      {"the progress line is erased before the message",
       {show("[process] 1 rec"), write("lakestream: warning: x\n")},
       "\r\033[K[process] 1 rec\r\033[Klakestream: warning: x\n"},
      {"and drawn again by the next update",
       {show("a"), write("w\n"), show("b")},
       "\r\033[Ka\r\033[Kw\n\r\033[Kb"},
      {"printf too", {show("a"), [](Console& c) { c.Printf("%s/%d\n", "t", 3); }}, "\r\033[Ka\r\033[Kt/3\n"},
      {"erased once", {show("a"), [](Console& c) { c.ClearProgress(); }, write("w\n")}, "\r\033[Ka\r\033[Kw\n"},
      {"nothing to erase after a message", {show("a"), write("w\n"), write("v\n")}, "\r\033[Ka\r\033[Kw\nv\n"},
  };
  for (const Case& c : cases) EXPECT_EQ(Written(c.steps), c.want) << c.name;
}

}  // namespace
}  // namespace lakestream
