#include "common/metrics.h"

namespace ki {

Metrics& NoMetrics() {
  static Metrics none;
  return none;
}

}  // namespace ki
