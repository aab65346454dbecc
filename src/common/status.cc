#include "common/status.h"

namespace ki {

const char* ErrorKindName(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kOk: return "ok";
    case ErrorKind::kRetriable: return "retriable";
    case ErrorKind::kExpiredIterator: return "expired iterator";
    case ErrorKind::kFatal: return "fatal";
    case ErrorKind::kBadRecord: return "bad record";
    case ErrorKind::kInvalidArgument: return "invalid argument";
    case ErrorKind::kNotFound: return "not found";
    case ErrorKind::kIo: return "i/o";
    case ErrorKind::kInternal: return "internal";
  }
  return "unknown";
}

}  // namespace ki
