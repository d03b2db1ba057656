// The traffic-source classifier: a pure function (url, referrer, page host) → Classification.
// An ordered, first-match-wins cascade of rules decides source, medium and confidence and names
// the rule that fired; a channel table then groups the result into one of fifteen channels.
// Rules and every list they use are data (data/classifier/, compiled into the binary); users
// add rules of their own, evaluated before the built-in cascade.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "attrib/status.h"

namespace attrib {

enum class Confidence : uint8_t { kLow, kMedium, kHigh };
std::string_view ToString(Confidence c);                        // "low" | "medium" | "high"
std::optional<Confidence> ParseConfidence(std::string_view s);  // the inverse

// X(enumerator, stable name). The names are stored and served: never rename one.
#define ATTRIB_CHANNELS(X)            \
  X(kDirect, "direct")                \
  X(kOrganicSearch, "organic_search") \
  X(kPaidSearch, "paid_search")       \
  X(kOrganicSocial, "organic_social") \
  X(kPaidSocial, "paid_social")       \
  X(kEmail, "email")                  \
  X(kDisplay, "display")              \
  X(kAffiliate, "affiliate")          \
  X(kReferral, "referral")            \
  X(kOrganicVideo, "organic_video")   \
  X(kPaidVideo, "paid_video")         \
  X(kSms, "sms")                      \
  X(kAiAssistant, "ai_assistant")     \
  X(kPaidOther, "paid_other")         \
  X(kInternal, "internal")

enum class Channel : uint8_t {
#define ATTRIB_X(name, text) name,
  ATTRIB_CHANNELS(ATTRIB_X)
#undef ATTRIB_X
};
inline constexpr int kChannelCount = 15;
std::string_view ToString(Channel c);
std::optional<Channel> ParseChannel(std::string_view s);

struct ClassifyInput {
  std::string_view url;        // the page's URL; may be empty (a server-side event)
  std::string_view referrer;   // document.referrer; empty, "null" or "about:…" mean none
  std::string_view page_host;  // the site's host; empty means the URL's host
};

struct Classification {
  std::string source;    // "google", "facebook", "direct", "internal", a utm_source, …
  std::string medium;    // "paid", "organic", "social", "email", "referral", "direct", a utm_medium
  std::string campaign;  // utm_campaign, percent-decoded, case kept; empty when absent
  std::string term;      // utm_term, likewise
  std::string content;   // utm_content, likewise
  Confidence confidence = Confidence::kLow;
  Channel channel = Channel::kDirect;
  // The rule that fired read the URL's campaign parameters (a click id or a utm tag): such a
  // visit starts a new session when it differs from the session's entry.
  bool campaign_signal = false;
  std::string_view rule_id;        // the rule that fired; owned by the Classifier
  std::string_view rules_version;  // identifies the rule set; owned by the Classifier
};

// A rules file of the user's, in the format of data/classifier/rules.tsv.
struct RulesText {
  std::string name;  // shown in error messages ("my_rules.tsv:3: …")
  std::string text;
};

struct ClassifierOptions {
  // Extra rules, evaluated before the built-in cascade, in this order. Default: none.
  std::vector<RulesText> extra_rules;
};

// One rule of the cascade as loaded, for listings and documentation.
struct RuleInfo {
  std::string id;
  std::string when;    // the condition as written
  std::string source;  // the source as written ("google", "$utm_source", …)
  std::string medium;
  Confidence confidence;
  std::optional<Channel> channel;  // set when the rule fixes the channel itself
  bool campaign_signal = false;    // fires on the URL's click ids or utm tags
  std::string note;
  std::string origin;  // "builtin" or the rules file's name
};

class Classifier {
 public:
  // Loads the built-in rules plus `options.extra_rules`. Errors name the file, line and problem.
  static Result<Classifier> Create(const ClassifierOptions& options = {});

  Classifier(Classifier&&) noexcept;
  Classifier& operator=(Classifier&&) noexcept;
  ~Classifier();

  // Classifies one visit into `out`, reusing its strings' memory. Thread-safe. Errors:
  // kInvalidUrl or kLimitExceeded, with a message naming the input ("url: …", "referrer: …").
  Status Classify(const ClassifyInput& input, Classification* out) const;
  Result<Classification> Classify(const ClassifyInput& input) const;

  // Changes whenever any rule or list changes, built-in or extra.
  std::string_view rules_version() const;
  // The cascade in evaluation order (extra rules first).
  const std::vector<RuleInfo>& rules() const;
  // docs/classifier-rules.md: the cascade, the channel table and every list, from the data.
  std::string RulesMarkdown() const;

  class Impl;

 private:
  explicit Classifier(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace attrib
