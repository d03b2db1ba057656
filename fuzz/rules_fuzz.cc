// Fuzzes the rules-file loader: input is a user's rules file. Loading must end in a classifier
// or an error naming the problem; a loaded classifier must classify without failing.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "attrib/classify.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  attrib::ClassifierOptions options;
  options.extra_rules.push_back(
      {"fuzz.tsv", std::string(reinterpret_cast<const char*>(data), size)});
  attrib::Result<attrib::Classifier> c = attrib::Classifier::Create(options);
  if (!c.ok()) {
    if (c.status().message().empty()) std::abort();
    return 0;
  }
  static const attrib::ClassifyInput kInputs[] = {
      {"https://shop.example/?utm_source=partner&utm_medium=cpc&via=x", "https://www.google.com/",
       ""},
      {"https://shop.example/lp/a?fbclid=1&ref=abc", "https://l.facebook.com/", "shop.example"},
      {"https://shop.example/", "android-app://com.google.android.gm/", ""},
      {"", "", ""},
  };
  attrib::Classification out;
  for (const auto& input : kInputs) {
    if (!c->Classify(input, &out).ok()) std::abort();
  }
  if (c->RulesMarkdown().empty()) std::abort();
  return 0;
}
