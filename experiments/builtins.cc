#include "experiments/builtins.h"

#include <utility>

namespace attnsweep {

void RegisterBuiltins() {
  static const bool registered = [] {
    for (auto& task : BuiltinTasks()) RegisterTask(std::move(task));
    for (auto& variant : BuiltinVariants()) RegisterVariant(std::move(variant));
    return true;
  }();
  (void)registered;
}

}  // namespace attnsweep
