#include "attrib/status.h"

namespace attrib {

std::string_view ErrorCodeName(ErrorCode code) {
  switch (code) {
    case ErrorCode::kOk:
      return "ok";
#define ATTRIB_X(name, wire, http) \
  case ErrorCode::name:            \
    return wire;
      ATTRIB_ERROR_CODES(ATTRIB_X)
#undef ATTRIB_X
  }
  return "internal";
}

int ErrorCodeHttpStatus(ErrorCode code) {
  switch (code) {
    case ErrorCode::kOk:
      return 200;
#define ATTRIB_X(name, wire, http) \
  case ErrorCode::name:            \
    return http;
      ATTRIB_ERROR_CODES(ATTRIB_X)
#undef ATTRIB_X
  }
  return 500;
}

const std::string& Status::message() const {
  static const std::string kEmpty;
  return rep_ ? rep_->message : kEmpty;
}

std::string Status::ToString() const {
  if (ok()) return "ok";
  std::string s(ErrorCodeName(code()));
  s += ": ";
  s += message();
  return s;
}

}  // namespace attrib
