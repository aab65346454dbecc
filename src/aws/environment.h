// The process environment as an injectable seam. Everything that reads AWS_* variables or HOME
// takes an Environment, so tests substitute a MapEnvironment instead of mutating the real one.
#pragma once

#include <map>
#include <optional>
#include <string>

namespace ki {

class Environment {
 public:
  virtual ~Environment() = default;
  // The variable's value, or nullopt when it is not set. An empty value is returned as "".
  virtual std::optional<std::string> Get(const std::string& name) const = 0;
};

// The real environment (getenv). Valid for the whole program; safe to read from any thread as
// long as nobody calls setenv concurrently.
const Environment& ProcessEnvironment();

// A fixed set of variables, for tests.
class MapEnvironment : public Environment {
 public:
  MapEnvironment() = default;
  explicit MapEnvironment(std::map<std::string, std::string> vars) : vars_(std::move(vars)) {}

  std::optional<std::string> Get(const std::string& name) const override;
  void Set(const std::string& name, const std::string& value) { vars_[name] = value; }
  void Unset(const std::string& name) { vars_.erase(name); }

 private:
  std::map<std::string, std::string> vars_;
};

// The value of `name` if it is set and not empty. AWS tools treat `AWS_REGION=` like an unset
// variable; so do we, everywhere.
std::optional<std::string> GetNonEmpty(const Environment& env, const std::string& name);

// The home directory: $HOME, or nullopt when it is unset or empty.
std::optional<std::string> HomeDirectory(const Environment& env);

// Expands a leading "~" or "~/" with HomeDirectory(); other paths are returned unchanged.
// Returns nullopt only when the path starts with "~" and there is no home directory.
std::optional<std::string> ExpandHome(const std::string& path, const Environment& env);

}  // namespace ki
