#pragma once
// User dependencies for Depends<T>: a shared instance or a per-message factory, keyed by type.
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <typeindex>
#include <typeinfo>

#include "faststream/exceptions.hpp"

namespace faststream::detail {

std::string demangle(const char* mangled);

class DependencyRegistry {
 public:
  template <class T>
  void provide(std::shared_ptr<T> instance) {
    std::lock_guard lock(mutex_);
    providers_[typeid(T)] = [instance]() -> std::shared_ptr<void> { return instance; };
  }
  template <class T, class Factory>
  void provide_factory(Factory factory) {
    std::lock_guard lock(mutex_);
    providers_[typeid(T)] = [factory = std::move(factory)]() -> std::shared_ptr<void> {
      return std::shared_ptr<T>(factory());
    };
  }
  bool contains(std::type_index type) const {
    std::lock_guard lock(mutex_);
    return providers_.count(type) != 0;
  }
  template <class T>
  std::shared_ptr<T> resolve() const {
    std::function<std::shared_ptr<void>()> provider;
    {
      std::lock_guard lock(mutex_);
      auto it = providers_.find(typeid(T));
      if (it == providers_.end())
        throw ConfigError("no dependency of type " + demangle(typeid(T).name()) +
                          " was provided: call app.provide(...) or broker.provide(...)");
      provider = it->second;
    }
    return std::static_pointer_cast<T>(provider());
  }

 private:
  mutable std::mutex mutex_;
  std::map<std::type_index, std::function<std::shared_ptr<void>()>> providers_;
};

}  // namespace faststream::detail
