#include "aws/environment.h"

#include <cstdlib>

namespace ki {
namespace {

class RealProcessEnvironment : public Environment {
 public:
  std::optional<std::string> Get(const std::string& name) const override {
    const char* value = std::getenv(name.c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  }
};

}  // namespace

const Environment& ProcessEnvironment() {
  static const RealProcessEnvironment kEnvironment;
  return kEnvironment;
}

std::optional<std::string> MapEnvironment::Get(const std::string& name) const {
  auto it = vars_.find(name);
  if (it == vars_.end()) return std::nullopt;
  return it->second;
}

std::optional<std::string> GetNonEmpty(const Environment& env, const std::string& name) {
  std::optional<std::string> value = env.Get(name);
  if (!value || value->empty()) return std::nullopt;
  return value;
}

std::optional<std::string> HomeDirectory(const Environment& env) { return GetNonEmpty(env, "HOME"); }

std::optional<std::string> ExpandHome(const std::string& path, const Environment& env) {
  if (path.empty() || path[0] != '~') return path;
  // "~user/..." is not expanded (we would need getpwnam); it is taken literally.
  if (path.size() > 1 && path[1] != '/') return path;
  std::optional<std::string> home = HomeDirectory(env);
  if (!home) return std::nullopt;
  return *home + path.substr(1);
}

}  // namespace ki
