#include "key_counters.h"

#include <sstream>
#include <vector>

namespace ki::test {

std::string CheckKeyCounters(const std::string& csv, int64_t rounds, int64_t* total) {
  std::istringstream in(csv);
  std::string line;
  int64_t sum = 0;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    std::vector<std::string> f;
    std::stringstream ls(line);
    std::string x;
    while (std::getline(ls, x, ',')) f.push_back(x);
    if (f.size() != 5) return "unexpected row: " + line;
    const int64_t count = std::stoll(f[1]), distinct = std::stoll(f[2]), min = std::stoll(f[3]),
                  max = std::stoll(f[4]);
    sum += count;
    if (count != distinct) return "key " + f[0] + " has a counter twice (a duplicate): " + line;
    if (min != 1 || max != count) return "key " + f[0] + " has a gap (lost, or a child read before its parent): " + line;
    if (rounds > 0 && max > rounds) return "key " + f[0] + " beyond the rounds put: " + line;
  }
  if (total) *total = sum;
  return "";
}

}  // namespace ki::test
