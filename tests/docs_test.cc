// Generated documentation must match the data it is generated from.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "attrib/classify.h"

namespace attrib {
namespace {

TEST(Docs, ClassifierRulesAreCurrent) {
  std::ifstream in(ATTRIB_SOURCE_DIR "/docs/classifier-rules.md");
  ASSERT_TRUE(in) << "docs/classifier-rules.md is missing: run scripts/gen-docs";
  std::stringstream checked_in;
  checked_in << in.rdbuf();
  auto classifier = Classifier::Create();
  ASSERT_TRUE(classifier.ok());
  EXPECT_TRUE(checked_in.str() == classifier->RulesMarkdown())
      << "docs/classifier-rules.md is stale: run scripts/gen-docs and commit the result";
}

}  // namespace
}  // namespace attrib
