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

std::string Status::ToString() const {
  if (ok()) return "ok";
  std::string s(ErrorCodeName(code_));
  s += ": ";
  s += message_;
  return s;
}

}  // namespace attrib
