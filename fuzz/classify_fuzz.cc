// Fuzzes the URL splitter and the classifier: input is "url\nreferrer\nhost". Whatever the
// bytes, Classify() must return a status (never crash, hang or read out of bounds) and, when it
// succeeds, a well-formed classification.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "attrib/classify.h"
#include "common/strings.h"
#include "common/url.h"

namespace {

const attrib::Classifier& TheClassifier() {
  static const attrib::Classifier* c = new attrib::Classifier(attrib::Classifier::Create().value());
  return *c;
}

void Check(bool ok, const char* what) {
  if (ok) return;
  std::fprintf(stderr, "classify_fuzz: invariant broken: %s\n", what);
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  std::string_view parts[3];
  size_t start = 0;
  for (int i = 0; i < 3; ++i) {
    const size_t nl = i < 2 ? input.find('\n', start) : std::string_view::npos;
    parts[i] =
        input.substr(start, nl == std::string_view::npos ? std::string_view::npos : nl - start);
    if (nl == std::string_view::npos) break;
    start = nl + 1;
  }
  attrib::UrlParts url;
  if (attrib::SplitUrl(parts[0], &url).ok()) {
    Check(url.host.size() <= attrib::kMaxHostBytes, "host within its limit");
  }
  attrib::Classification c;
  const attrib::Status s = TheClassifier().Classify({parts[0], parts[1], parts[2]}, &c);
  if (s.ok()) {
    Check(!c.source.empty() && !c.medium.empty() && !c.rule_id.empty(), "source, medium, rule set");
    for (const std::string* text : {&c.source, &c.medium, &c.campaign, &c.term, &c.content}) {
      Check(attrib::IsValidUtf8(*text), "output is valid UTF-8");
    }
  } else {
    Check(!s.message().empty(), "errors have a message");
  }
  return 0;
}
