// The query API's answers: every /v1/ route read with a read key.
#include <fmt/format.h>

#include <boost/beast/http.hpp>
#include <charconv>
#include <iterator>
#include <nlohmann/json.hpp>
#include <set>

#include "common/strings.h"
#include "common/time.h"
#include "query/journey_json.h"
#include "query/report_rows.h"
#include "query/rules_json.h"
#include "query/store_report.h"
#include "server/api.h"
#include "server/limits.h"

namespace attrib::server {
namespace {

using Params = std::map<std::string, std::string>;

// InvalidArgument naming the first parameter `allowed` does not list.
Status CheckParams(const Params& params, std::initializer_list<std::string_view> allowed) {
  for (const auto& [name, value] : params) {
    if (std::find(allowed.begin(), allowed.end(), name) == allowed.end()) {
      return Status::InvalidArgument(
          fmt::format("unknown query parameter \"{}\"; this endpoint takes {}", name.substr(0, 64),
                      fmt::join(allowed, ", ")));
    }
  }
  return Status::Ok();
}

std::string_view Param(const Params& params, const std::string& name) {
  auto it = params.find(name);
  return it == params.end() ? std::string_view() : std::string_view(it->second);
}

Result<std::optional<Micros>> TimeOf(const Params& params, const std::string& name) {
  std::string text(Param(params, name));
  if (text.empty()) return std::optional<Micros>();
  if (text.size() == 10) text += "T00:00:00Z";  // a date: its midnight, UTC
  Result<Micros> t = ParseIsoTime(text);
  if (!t.ok()) return Status::InvalidArgument(fmt::format("{}: {}", name, t.status().message()));
  return std::optional<Micros>(*t);
}

// The dimension `by` names, else `otherwise`.
Result<query::GroupBy> GroupByOf(const Params& params, query::GroupBy otherwise) {
  const std::string_view by = Param(params, "by");
  if (by.empty()) return otherwise;
  const std::optional<query::GroupBy> g = query::ParseGroupBy(by);
  if (!g) {
    return Status::InvalidArgument(fmt::format(
        "by: \"{}\" is not a dimension; use channel, source, medium, source_medium, campaign, "
        "rule or confidence",
        by.substr(0, 64)));
  }
  return *g;
}

// lookback_days, when given: a whole number of days from 1 to 365.
Result<std::optional<int64_t>> LookbackDaysOf(const Params& params) {
  const std::string_view text = Param(params, "lookback_days");
  if (text.empty()) return std::optional<int64_t>();
  int64_t days = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), days);
  if (error != std::errc() || end != text.data() + text.size() || days < 1 || days > 365) {
    return Status::InvalidArgument(fmt::format(
        "lookback_days: \"{}\" is not a number of days from 1 to 365", text.substr(0, 64)));
  }
  return std::optional<int64_t>(days);
}

// `interval`, when given (else kNone): day, week or month, for a rule-based model.
Result<Interval> IntervalOf(const Params& params, Model model) {
  const std::string_view name = Param(params, "interval");
  if (name.empty()) return Interval::kNone;
  Interval interval = Interval::kNone;
  if (name == "day") interval = Interval::kDay;
  if (name == "week") interval = Interval::kWeek;
  if (name == "month") interval = Interval::kMonth;
  if (interval == Interval::kNone) {
    return Status::InvalidArgument(fmt::format(
        "interval: \"{}\" is not one; use day, week (from Monday) or month", name.substr(0, 64)));
  }
  if (IsDataDriven(model)) {
    return Status::InvalidArgument(fmt::format(
        "interval: {} learns its credits from the whole window at once, so it has none per {}; "
        "leave the interval out, or use a rule-based model",
        ToString(model), name));
  }
  return interval;
}

std::string_view IntervalName(Interval interval) {
  return interval == Interval::kDay ? "day" : interval == Interval::kWeek ? "week" : "month";
}

}  // namespace

Result<Api::Aggregates> Api::AggregatesFor(Store& store, const std::shared_ptr<Call>& call,
                                           Answered* answered) {
  ATTRIB_ASSIGN_OR_RETURN(const std::optional<int64_t> days, LookbackDaysOf(call->params));
  if (!days || *days * journey::kDay == options_.analysis.conversions.lookback) {
    return Aggregates{&store, &PathsOf(call->project), nullptr};
  }
  std::lock_guard lock(mu_);
  auto it = std::find_if(lookbacks_.begin(), lookbacks_.end(), [&](const auto& s) {
    return s->project == call->project && s->days == *days;
  });
  if (it != lookbacks_.end()) {
    lookbacks_.splice(lookbacks_.begin(), lookbacks_, it);
  } else {
    // Room for one more: the least recently used view not being made goes.
    if (lookbacks_.size() >= kMaxLookbackViews) {
      const auto idle = std::find_if(lookbacks_.rbegin(), lookbacks_.rend(),
                                     [](const auto& s) { return !s->making; });
      if (idle == lookbacks_.rend()) {
        return Status::Unavailable(
            fmt::format("lookback_days: {} other lookbacks are being made; ask again in a moment",
                        lookbacks_.size()));
      }
      lookbacks_.erase(std::next(idle).base());
    }
    auto slot = std::make_shared<LookbackSlot>();
    slot->project = call->project;
    slot->days = *days;
    lookbacks_.push_front(std::move(slot));
  }
  const std::shared_ptr<LookbackSlot>& slot = lookbacks_.front();
  if (const std::shared_ptr<LookbackView>& view = slot->view) {
    const auto now = std::chrono::steady_clock::now();
    if (view->version < answered->version && !slot->making &&
        now - view->made_at >= std::max<std::chrono::steady_clock::duration>(
                                   kLookbackRemakeInterval, kLookbackRemakeShare * view->took)) {
      StartMaking(slot);
    }
    answered->version = std::min(answered->version, view->version);
    return Aggregates{view->aggregates.get(), &view->paths, view};
  }
  slot->waiting.push_back(call);
  if (!slot->making) StartMaking(slot);
  answered->parked = true;
  return Status::Unavailable("lookback_days: the view is being made");  // (not answered)
}

void Api::StartMaking(const std::shared_ptr<LookbackSlot>& slot) {
  slot->making = true;
  if (making_) {
    to_make_.push_back(slot);
    return;
  }
  making_ = true;
  boost::asio::post(queries_, [this, slot] { MakeView(slot); });
}

void Api::MakeView(const std::shared_ptr<LookbackSlot>& slot) {
  // Read before the view is made: it is never taken as newer than the data it holds.
  const uint64_t version = writer_.store_changes(slot->project);
  const auto started = std::chrono::steady_clock::now();
  Result<std::unique_ptr<AggregateReader>> made = Status::Internal("no store");
  {
    Result<std::unique_ptr<Store>> store = TakeReader(slot->project);
    if (store.ok()) {
      made = (*store)->AtLookback(slot->days * journey::kDay);
      GiveReader(slot->project, std::move(store).value());
    } else {
      made = store.status();
    }
  }
  std::vector<std::shared_ptr<Call>> waiting;
  {
    std::lock_guard lock(mu_);
    if (made.ok()) {
      auto view = std::make_shared<LookbackView>();
      view->aggregates = std::move(made).value();
      view->version = version;
      view->made_at = started;
      view->took = std::chrono::steady_clock::now() - started;
      slot->view = std::move(view);
      ++metrics_.lookback_views_made;
    } else if (slot->view == nullptr) {
      lookbacks_.remove(slot);  // the next query tries again
    }
    slot->making = false;
    waiting.swap(slot->waiting);
    making_ = !to_make_.empty();
    if (making_) {
      boost::asio::post(queries_, [this, next = to_make_.front()] { MakeView(next); });
      to_make_.pop_front();
    }
  }
  for (std::shared_ptr<Call>& call : waiting) {
    if (made.ok()) {
      boost::asio::post(queries_, [this, call] { RunCall(call); });
    } else {
      call->respond(Answer(*call, made.status()));
    }
  }
}

// A person's trail; at another lookback, each conversion's touchpoints and credits are those of
// that lookback.
Result<std::string> Api::Journeys(Store& store, const Call& call) const {
  const Params& p = call.params;
  ATTRIB_RETURN_IF_ERROR(CheckParams(p, {"user_id", "anonymous_id", "lookback_days"}));
  const std::string_view user = Param(p, "user_id"), anonymous = Param(p, "anonymous_id");
  if (user.empty() == anonymous.empty()) {
    return Status::InvalidArgument("give user_id or anonymous_id (one of them)");
  }
  ATTRIB_ASSIGN_OR_RETURN(const std::optional<int64_t> days, LookbackDaysOf(p));
  ATTRIB_ASSIGN_OR_RETURN(PersonJourney journey,
                          store.ReadJourney(user.empty() ? anonymous : user, !user.empty()));
  if (days && *days * journey::kDay != options_.analysis.conversions.lookback) {
    query::CreditAtLookback(*days * journey::kDay, options_.analysis.heuristics, &journey);
  }
  return query::JourneyJson(journey).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// Seed 000's shape: [{"source":…,"medium":…,"events":…,"uniques":…,"paid_share":…}, …].
Result<std::string> Api::Sources(AggregateReader& store, const Call& call) const {
  const Params& p = call.params;
  ATTRIB_RETURN_IF_ERROR(CheckParams(p, {"from", "to", "breakdown", "min_confidence"}));
  query::SourcesOptions options;
  if (const std::string_view b = Param(p, "breakdown"); !b.empty()) {
    const std::optional<query::GroupBy> g = query::ParseGroupBy(b);
    if (!g || *g == query::GroupBy::kConfidence) {
      return Status::InvalidArgument(fmt::format(
          "breakdown: \"{}\" is not one; use source, medium, source_medium, channel, campaign or "
          "rule",
          b.substr(0, 64)));
    }
    options.by = *g;
  }
  ATTRIB_ASSIGN_OR_RETURN(options.from, TimeOf(p, "from"));
  ATTRIB_ASSIGN_OR_RETURN(options.to, TimeOf(p, "to"));
  if (const std::string_view c = Param(p, "min_confidence"); !c.empty()) {
    const std::optional<Confidence> parsed = ParseConfidence(c);
    if (!parsed) {
      return Status::InvalidArgument(fmt::format(
          "min_confidence: \"{}\" is not a confidence; use low, medium or high", c.substr(0, 64)));
    }
    options.min_confidence = *parsed;
  }
  ATTRIB_ASSIGN_OR_RETURN(std::vector<query::SourceRow> rows, query::StoreSources(store, options));
  const std::vector<std::string_view> fields = query::GroupFields(options.by);
  if (call.csv) {
    std::string out = fmt::format("{},events,uniques,paid_share\n", fmt::join(fields, ","));
    for (const query::SourceRow& r : rows) {
      for (const std::string& k : r.key) out += CsvField(k) + ",";
      out += fmt::format("{},{},{}\n", r.events, r.uniques, r.paid_share);
    }
    return out;
  }
  std::string out = "[";
  for (const query::SourceRow& r : rows) {
    if (out.size() > 1) out += ',';
    for (size_t i = 0; i < fields.size(); ++i) {
      fmt::format_to(std::back_inserter(out), "{}\"{}\":", i == 0 ? "{" : ",", fields[i]);
      AppendJsonString(&out, r.key[i]);
    }
    fmt::format_to(std::back_inserter(out),
                   ",\"events\":{},\"uniques\":{},\"paid_share\":", r.events, r.uniques);
    AppendJsonNumber(&out, r.paid_share);
    out += '}';
  }
  out += ']';
  return out;
}

// /v1/attribution?interval=: the report per day, week or month.
Result<std::string> Api::ByPeriod(AggregateReader& store, const Call& call,
                                  const query::AnalysisOptions& options, Model model,
                                  Interval interval) const {
  const std::string_view interval_name = IntervalName(interval);
  ATTRIB_ASSIGN_OR_RETURN(std::vector<query::PeriodRows> periods,
                          query::AnalyzeStoreByPeriod(store, options, interval));
  if (periods.size() > kMaxPeriods) {
    return Status::InvalidArgument(fmt::format(
        "interval: the window has {} {}s with data, more than {} in one answer; narrow it with "
        "from and to, or give a longer interval",
        periods.size(), interval_name, kMaxPeriods));
  }
  const Model models[] = {model};
  if (call.csv) return query::PeriodRowsCsv(periods, models, options.group_by);
  return query::PeriodRowsJson(periods, models, options.group_by);
}

// The most common paths of groups: {"journeys","conversions","revenue","distinct_paths",
// "paths":[{"steps":[…],"journeys","conversions","revenue","conversion_rate"},…]}.
Result<std::string> Api::Paths(Store& store, const std::shared_ptr<Call>& shared,
                               Answered* answered) {
  const Call& call = *shared;
  const Params& p = call.params;
  ATTRIB_RETURN_IF_ERROR(
      CheckParams(p, {"by", "from", "to", "conversion", "limit", "lookback_days"}));
  query::PathsOptions options;
  ATTRIB_ASSIGN_OR_RETURN(options.by, GroupByOf(p, options.by));
  ATTRIB_ASSIGN_OR_RETURN(options.from, TimeOf(p, "from"));
  ATTRIB_ASSIGN_OR_RETURN(options.to, TimeOf(p, "to"));
  if (const std::string_view c = Param(p, "conversion"); !c.empty()) options.conversion = c;
  if (const std::string_view l = Param(p, "limit"); !l.empty()) {
    size_t limit = 0;
    const auto [end, error] = std::from_chars(l.data(), l.data() + l.size(), limit);
    if (error != std::errc() || end != l.data() + l.size() || limit < 1 || limit > kMaxPaths) {
      return Status::InvalidArgument(fmt::format(
          "limit: \"{}\" is not a number of paths from 1 to {}", l.substr(0, 64), kMaxPaths));
    }
    options.limit = limit;
  }
  ATTRIB_ASSIGN_OR_RETURN(const Aggregates aggregates, AggregatesFor(store, shared, answered));
  ATTRIB_ASSIGN_OR_RETURN(query::PathsResult result,
                          query::StorePaths(*aggregates.reader, options,
                                            options_.analysis.conversions, aggregates.paths));
  const auto rate = [](const query::PathRow& r) {
    return r.journeys == 0 ? 0.0
                           : static_cast<double>(r.conversions) / static_cast<double>(r.journeys);
  };
  if (call.csv) {
    std::string out = "path,journeys,conversions,revenue,conversion_rate\n";
    for (const query::PathRow& r : result.paths) {
      fmt::format_to(std::back_inserter(out), "{},{},{},{},{}\n",
                     CsvField(fmt::format("{}", fmt::join(r.steps, " > "))), r.journeys,
                     r.conversions, r.revenue, rate(r));
    }
    return out;
  }
  nlohmann::ordered_json paths = nlohmann::ordered_json::array();
  for (const query::PathRow& r : result.paths) {
    paths.push_back({{"steps", r.steps},
                     {"journeys", r.journeys},
                     {"conversions", r.conversions},
                     {"revenue", r.revenue},
                     {"conversion_rate", rate(r)}});
  }
  nlohmann::ordered_json j = {{"journeys", result.journeys},
                              {"conversions", result.conversions},
                              {"revenue", result.revenue},
                              {"distinct_paths", result.distinct_paths},
                              {"paths", std::move(paths)}};
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Result<std::string> Api::RunQuery(Store& store, const std::shared_ptr<Call>& shared,
                                  Answered* answered) {
  const Call& call = *shared;
  const Params& p = call.params;
  if (call.path == "/v1/journeys") return Journeys(store, call);
  if (call.path == "/v1/sources") return Sources(store, call);
  if (call.path == "/v1/paths") return Paths(store, shared, answered);
  if (call.path == "/v1/stats") {
    ATTRIB_RETURN_IF_ERROR(CheckParams(p, {"from", "to", "conversion"}));
    ATTRIB_ASSIGN_OR_RETURN(const std::optional<Micros> from, TimeOf(p, "from"));
    ATTRIB_ASSIGN_OR_RETURN(const std::optional<Micros> to, TimeOf(p, "to"));
    std::optional<std::string> conversion;
    if (const std::string_view c = Param(p, "conversion"); !c.empty()) conversion = c;
    ATTRIB_ASSIGN_OR_RETURN(
        query::StoreStatsResult s,
        query::StoreStats(store, from, to, options_.analysis.conversions, conversion));
    nlohmann::ordered_json j = {
        {"from", from ? nlohmann::ordered_json(FormatIsoTime(*from)) : nullptr},
        {"to", to ? nlohmann::ordered_json(FormatIsoTime(*to)) : nullptr},
        {"sessions", s.sessions},
        {"paid_sessions", s.paid_sessions},
        {"paid_share",
         s.sessions == 0 ? 0.0
                         : static_cast<double>(s.paid_sessions) / static_cast<double>(s.sessions)},
        {"conversions", s.conversions},
        {"revenue", s.revenue},
        {"currencies", s.currencies},
        // The configuration the numbers come from, for a dashboard's controls.
        {"conversion_events", options_.analysis.conversions.events},
        {"lookback_days", options_.analysis.conversions.lookback / journey::kDay}};
    return j.dump();
  }
  if (call.path == "/v1/rules") {
    ATTRIB_RETURN_IF_ERROR(CheckParams(p, {"from", "to"}));
    ATTRIB_ASSIGN_OR_RETURN(const std::optional<Micros> from, TimeOf(p, "from"));
    ATTRIB_ASSIGN_OR_RETURN(const std::optional<Micros> to, TimeOf(p, "to"));
    ATTRIB_ASSIGN_OR_RETURN(auto counts, query::StoreRuleCounts(store, from, to));
    nlohmann::ordered_json rules = nlohmann::ordered_json::array();
    // The cascade in order, each rule with the sessions it classified; then rules of stored
    // sessions that the cascade no longer has (classified by earlier rules).
    for (const RuleInfo& r : classifier_.rules()) {
      nlohmann::ordered_json j = query::RuleJson(r);
      j["in_cascade"] = true;
      auto it = counts.find(r.id);
      j["sessions"] = it == counts.end() ? 0 : it->second.events;
      j["uniques"] = it == counts.end() ? 0 : it->second.uniques;
      if (it != counts.end()) counts.erase(it);
      rules.push_back(std::move(j));
    }
    for (const auto& [id, row] : counts) {
      rules.push_back(
          {{"id", id}, {"in_cascade", false}, {"sessions", row.events}, {"uniques", row.uniques}});
    }
    nlohmann::ordered_json j = {{"rules_version", classifier_.rules_version()},
                                {"rules", std::move(rules)}};
    return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
  const bool compare = call.path == "/v1/attribution/compare";
  ATTRIB_RETURN_IF_ERROR(
      compare ? CheckParams(p, {"from", "to", "by", "conversion", "order", "lookback_days"})
              : CheckParams(p, {"model", "from", "to", "by", "conversion", "order", "interval",
                                "lookback_days"}));
  query::AnalysisOptions options = options_.analysis;
  ATTRIB_ASSIGN_OR_RETURN(options.group_by, GroupByOf(p, options.group_by));
  ATTRIB_ASSIGN_OR_RETURN(options.from, TimeOf(p, "from"));
  ATTRIB_ASSIGN_OR_RETURN(options.to, TimeOf(p, "to"));
  if (const std::string_view c = Param(p, "conversion"); !c.empty()) {
    options.only_conversions = {std::string(c)};
  }
  if (const std::string_view order = Param(p, "order"); !order.empty()) {
    if (order.size() != 1 || order[0] < '1' || order[0] > '0' + kMaxMarkovOrder) {
      return Status::InvalidArgument(
          fmt::format("order: give the Markov chain's order, 1 to {}", kMaxMarkovOrder));
    }
    options.markov.order = order[0] - '0';
  }
  Model model = Model::kLinear;
  if (const std::string_view m = Param(p, "model"); !m.empty()) {
    const std::optional<Model> parsed = ParseModel(m);
    if (!parsed) {
      std::vector<std::string_view> names;
      for (int i = 0; i < kModelCount; ++i) names.push_back(ToString(static_cast<Model>(i)));
      return Status::InvalidArgument(fmt::format("model: \"{}\" is not a model; use one of {}",
                                                 m.substr(0, 64), fmt::join(names, ", ")));
    }
    model = *parsed;
  }
  ATTRIB_ASSIGN_OR_RETURN(const Interval interval, IntervalOf(p, model));
  ATTRIB_ASSIGN_OR_RETURN(const Aggregates aggregates, AggregatesFor(store, shared, answered));
  if (interval != Interval::kNone) {
    return ByPeriod(*aggregates.reader, call, options, model, interval);
  }
  options.data_driven = compare || IsDataDriven(model);
  ATTRIB_ASSIGN_OR_RETURN(query::AnalysisResult result,
                          query::AnalyzeStore(*aggregates.reader, options, aggregates.paths));
  std::vector<Model> models;
  if (compare) {
    const bool learnt = result.data_driven.error.empty();
    for (int m = 0; m < kModelCount; ++m) {
      if (learnt || !IsDataDriven(static_cast<Model>(m))) models.push_back(static_cast<Model>(m));
    }
  } else {
    if (IsDataDriven(model) && !result.data_driven.error.empty()) {
      return Status::FailedPrecondition(
          fmt::format("{} could not run: {}", ToString(model), result.data_driven.error));
    }
    models.push_back(model);
  }
  if (call.csv) return query::ReportRowsCsv(result, models, options.group_by);
  return query::ReportRowsJson(result, models, options.group_by);
}

}  // namespace attrib::server
