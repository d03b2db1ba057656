#include "cli/config.h"

#include <fmt/format.h>
#include <toml++/toml.h>

#include <cmath>
#include <cstdlib>
#include <limits>

#include "cli/io.h"

namespace attrib::cli {

const std::vector<ConfigKey> kConfigKeys = {
    {"sessions.timeout_minutes", "integer",
     "Inactivity, in minutes, after which the next event starts a new session (1-1440)."},
    {"sessions.split_on_campaign", "boolean",
     "Start a new session when an event brings different click ids or utm tags than the "
     "session's entry."},
    {"sessions.referral_exclusions", "list of hosts",
     "Referrers (with their subdomains) that neither start nor classify a session: payment "
     "providers sending the buyer back."},
    {"conversions.events", "list of strings", "Track events that are conversions."},
    {"conversions.revenue_properties", "list of strings",
     "Properties holding a conversion's revenue, tried in order."},
    {"conversions.currency_property", "string", "The property holding the currency code."},
    {"conversions.default_currency", "string", "The currency of conversions that name none."},
    {"conversions.counting", "string",
     "once_per_user (a person's first conversion of each event), once_per_session or "
     "every_event."},
    {"conversions.counting_by_event", "table",
     "Counting per event name, overriding conversions.counting: { \"Order Completed\" = "
     "\"every_event\" }."},
    {"conversions.lookback_days", "integer",
     "Sessions this many days before a conversion make its journey (1-365)."},
    {"attribution.half_life_days", "number",
     "time_decay: a touchpoint this many days older weighs half as much."},
    {"attribution.markov_order", "integer",
     "markov: a state of the chain is the last this many channels (1-4)."},
    {"attribution.markov_keep_repeats", "boolean",
     "markov: keep a channel's consecutive repeats (A > A > B) as steps of the chain instead of "
     "reading them once, as ChannelAttribution does."},
    {"attribution.shapley_max_exact_channels", "integer",
     "shapley: journeys over at most this many distinct channels get exact values; larger ones "
     "are estimated from sampled orderings (1-24)."},
    {"attribution.shapley_samples", "integer",
     "shapley: orderings sampled per channel set over the exact limit (1-10000000)."},
    {"attribution.shapley_seed", "integer",
     "shapley: seed of the sampling (same seed, same estimate)."},
    {"classifier.rules", "list of paths",
     "Rules files of your own, evaluated before the built-in cascade (like --rules)."},
    {"analysis.threads", "integer", "Worker threads for batch analysis; 0: one per core."},
};

namespace {

std::string Quoted(std::string_view s) {
  std::string out = "\"";
  for (const char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

std::string QuotedList(const std::vector<std::string>& items) {
  std::string out = "[";
  for (size_t i = 0; i < items.size(); ++i) out += (i ? ", " : "") + Quoted(items[i]);
  return out + "]";
}

// Reads the file's values into `config`, naming the key of any problem.
class Reader {
 public:
  Reader(const toml::table& root, std::string file) : root_(root), file_(std::move(file)) {}

  Status Error(std::string_view key, std::string_view problem) const {
    return Status::InvalidArgument(fmt::format("{}: {}: {}", file_, key, problem));
  }

  const toml::node* Node(std::string_view key) const {
    return root_.at_path(toml::path(key)).node();
  }

  Status Int(std::string_view key, int64_t lo, int64_t hi, int64_t* out) const {
    const toml::node* n = Node(key);
    if (n == nullptr) return Status::Ok();
    const auto v = n->value_exact<int64_t>();
    if (!v) return Error(key, "expected an integer");
    if (*v < lo || *v > hi) return Error(key, fmt::format("must be between {} and {}", lo, hi));
    *out = *v;
    return Status::Ok();
  }

  Status Number(std::string_view key, double* out) const {
    const toml::node* n = Node(key);
    if (n == nullptr) return Status::Ok();
    const auto v = n->value<double>();
    if (!v || !std::isfinite(*v)) return Error(key, "expected a number");
    *out = *v;
    return Status::Ok();
  }

  Status Bool(std::string_view key, bool* out) const {
    const toml::node* n = Node(key);
    if (n == nullptr) return Status::Ok();
    const auto v = n->value_exact<bool>();
    if (!v) return Error(key, "expected true or false");
    *out = *v;
    return Status::Ok();
  }

  Status String(std::string_view key, std::string* out) const {
    const toml::node* n = Node(key);
    if (n == nullptr) return Status::Ok();
    const auto v = n->value_exact<std::string>();
    if (!v) return Error(key, "expected a string");
    *out = *v;
    return Status::Ok();
  }

  Status Strings(std::string_view key, std::vector<std::string>* out) const {
    const toml::node* n = Node(key);
    if (n == nullptr) return Status::Ok();
    const toml::array* a = n->as_array();
    if (a == nullptr) return Error(key, "expected a list of strings");
    out->clear();
    for (const toml::node& item : *a) {
      const auto v = item.value_exact<std::string>();
      if (!v) return Error(key, "expected a list of strings");
      out->push_back(*v);
    }
    return Status::Ok();
  }

  // Every key in the file must be a known one.
  Status CheckKeys() const {
    for (const auto& [section, node] : root_) {
      const toml::table* t = node.as_table();
      if (t == nullptr) {
        return Error(section.str(), "unknown key (see `attrib config` for the keys)");
      }
      for (const auto& [name, value] : *t) {
        const std::string key = fmt::format("{}.{}", section.str(), name.str());
        bool known = false;
        for (const ConfigKey& k : kConfigKeys) known = known || k.key == key;
        if (!known) return Error(key, "unknown key (see `attrib config` for the keys)");
      }
    }
    return Status::Ok();
  }

 private:
  const toml::table& root_;
  std::string file_;
};

Status Apply(const Reader& r, Config* config) {
  ATTRIB_RETURN_IF_ERROR(r.CheckKeys());
  query::AnalysisOptions& a = config->analysis;
  int64_t minutes = a.sessions.timeout / sessionize::kMinute;
  ATTRIB_RETURN_IF_ERROR(r.Int("sessions.timeout_minutes", 1, 1440, &minutes));
  a.sessions.timeout = minutes * sessionize::kMinute;
  ATTRIB_RETURN_IF_ERROR(r.Bool("sessions.split_on_campaign", &a.sessions.split_on_campaign));
  ATTRIB_RETURN_IF_ERROR(
      r.Strings("sessions.referral_exclusions", &a.sessions.referral_exclusions));
  journey::ConversionOptions& c = a.conversions;
  ATTRIB_RETURN_IF_ERROR(r.Strings("conversions.events", &c.events));
  ATTRIB_RETURN_IF_ERROR(r.Strings("conversions.revenue_properties", &c.revenue_properties));
  ATTRIB_RETURN_IF_ERROR(r.String("conversions.currency_property", &c.currency_property));
  ATTRIB_RETURN_IF_ERROR(r.String("conversions.default_currency", &c.default_currency));
  std::string counting(journey::ToString(c.counting));
  ATTRIB_RETURN_IF_ERROR(r.String("conversions.counting", &counting));
  const auto parsed = journey::ParseCounting(counting);
  if (!parsed) {
    return r.Error("conversions.counting",
                   "expected once_per_user, once_per_session or every_event");
  }
  c.counting = *parsed;
  if (const toml::node* n = r.Node("conversions.counting_by_event")) {
    const toml::table* t = n->as_table();
    if (t == nullptr) return r.Error("conversions.counting_by_event", "expected a table");
    for (const auto& [event, value] : *t) {
      const auto text = value.value_exact<std::string>();
      const auto mode = text ? journey::ParseCounting(*text) : std::nullopt;
      if (!mode) {
        return r.Error(fmt::format("conversions.counting_by_event.\"{}\"", event.str()),
                       "expected once_per_user, once_per_session or every_event");
      }
      c.counting_by_event[std::string(event.str())] = *mode;
    }
  }
  int64_t days = c.lookback / journey::kDay;
  ATTRIB_RETURN_IF_ERROR(r.Int("conversions.lookback_days", 1, 365, &days));
  c.lookback = days * journey::kDay;
  ATTRIB_RETURN_IF_ERROR(r.Number("attribution.half_life_days", &a.heuristics.half_life_days));
  if (!(a.heuristics.half_life_days > 0)) {
    return r.Error("attribution.half_life_days", "must be a positive number of days");
  }
  int64_t order = a.markov.order;
  ATTRIB_RETURN_IF_ERROR(r.Int("attribution.markov_order", 1, kMaxMarkovOrder, &order));
  a.markov.order = static_cast<int>(order);
  ATTRIB_RETURN_IF_ERROR(r.Bool("attribution.markov_keep_repeats", &a.markov.keep_repeats));
  int64_t exact = a.shapley.max_exact_channels;
  ATTRIB_RETURN_IF_ERROR(
      r.Int("attribution.shapley_max_exact_channels", 1, kMaxExactShapleyChannels, &exact));
  a.shapley.max_exact_channels = static_cast<int>(exact);
  int64_t samples = a.shapley.samples;
  ATTRIB_RETURN_IF_ERROR(r.Int("attribution.shapley_samples", 1, 10'000'000, &samples));
  a.shapley.samples = static_cast<uint32_t>(samples);
  int64_t seed = static_cast<int64_t>(a.shapley.seed);
  ATTRIB_RETURN_IF_ERROR(
      r.Int("attribution.shapley_seed", 0, std::numeric_limits<int64_t>::max(), &seed));
  a.shapley.seed = static_cast<uint64_t>(seed);
  ATTRIB_RETURN_IF_ERROR(r.Strings("classifier.rules", &config->rules_files));
  int64_t threads = config->threads;
  ATTRIB_RETURN_IF_ERROR(r.Int("analysis.threads", 0, 256, &threads));
  config->threads = static_cast<int>(threads);
  return Status::Ok();
}

}  // namespace

Result<Config> LoadConfig(std::string path) {
  if (path.empty()) {
    if (const char* env = std::getenv(std::string(kConfigEnv).c_str())) path = env;
  }
  Config config;
  config.file = path;
  if (path.empty()) return config;
  std::string text;
  ATTRIB_RETURN_IF_ERROR(ReadFile(path, 1 << 20, &text));
  toml::table root;
  try {
    root = toml::parse(text, path);
  } catch (const toml::parse_error& e) {
    return Status::InvalidArgument(fmt::format("{}:{}:{}: {}", path, e.source().begin.line,
                                               e.source().begin.column, e.description()));
  }
  ATTRIB_RETURN_IF_ERROR(Apply(Reader(root, path), &config));
  ATTRIB_RETURN_IF_ERROR(config.analysis.sessions.Validate());
  ATTRIB_RETURN_IF_ERROR(config.analysis.conversions.Validate());
  return config;
}

std::string ConfigValue(const Config& config, std::string_view key) {
  const query::AnalysisOptions& a = config.analysis;
  const journey::ConversionOptions& c = a.conversions;
  if (key == "sessions.timeout_minutes") {
    return fmt::format("{}", a.sessions.timeout / sessionize::kMinute);
  }
  if (key == "sessions.split_on_campaign") return a.sessions.split_on_campaign ? "true" : "false";
  if (key == "sessions.referral_exclusions") return QuotedList(a.sessions.referral_exclusions);
  if (key == "conversions.events") return QuotedList(c.events);
  if (key == "conversions.revenue_properties") return QuotedList(c.revenue_properties);
  if (key == "conversions.currency_property") return Quoted(c.currency_property);
  if (key == "conversions.default_currency") return Quoted(c.default_currency);
  if (key == "conversions.counting") return Quoted(journey::ToString(c.counting));
  if (key == "conversions.counting_by_event") {
    std::string out = "{";
    for (const auto& [event, mode] : c.counting_by_event) {
      out += fmt::format("{}{} = {}", out.size() > 1 ? ", " : " ", Quoted(event),
                         Quoted(journey::ToString(mode)));
    }
    return out + (out.size() > 1 ? " }" : "}");
  }
  if (key == "conversions.lookback_days") return fmt::format("{}", c.lookback / journey::kDay);
  if (key == "attribution.half_life_days") return fmt::format("{}", a.heuristics.half_life_days);
  if (key == "attribution.markov_order") return fmt::format("{}", a.markov.order);
  if (key == "attribution.markov_keep_repeats") return a.markov.keep_repeats ? "true" : "false";
  if (key == "attribution.shapley_max_exact_channels") {
    return fmt::format("{}", a.shapley.max_exact_channels);
  }
  if (key == "attribution.shapley_samples") return fmt::format("{}", a.shapley.samples);
  if (key == "attribution.shapley_seed") return fmt::format("{}", a.shapley.seed);
  if (key == "classifier.rules") return QuotedList(config.rules_files);
  if (key == "analysis.threads") return fmt::format("{}", config.threads);
  return "";
}

}  // namespace attrib::cli
