// attrib report / attrib compare --input FILE…: batch analysis of Segment JSON lines in memory —
// one model's credits per group (report) or every model side by side (compare).
#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <thread>

#include "cli/commands.h"
#include "cli/config.h"
#include "cli/input.h"
#include "cli/io.h"
#include "cli/store_cmd.h"
#include "cli/table.h"
#include "common/time.h"
#include "query/report_rows.h"
#include "query/store_report.h"
#include "storage/sqlite/sqlite_store.h"

namespace attrib::cli {
namespace {

struct ReportArgs {
  std::vector<std::string> inputs;
  std::string db;
  std::string project = "default";
  std::string config;
  std::string model = "linear";
  std::string by = "channel";
  std::string from, to;
  std::vector<std::string> conversions;
  std::vector<std::string> rules;
  std::string format = "table";
  int threads = -1;       // -1: from the configuration
  int order = 0;          // of the Markov chain; 0: from the configuration
  int lookback_days = 0;  // 0: from the configuration
  bool compare = false;
};

double Rate(double conversions, uint64_t visitors) {
  return visitors == 0 ? 0.0 : conversions / static_cast<double>(visitors);
}

std::string Money(double x) { return fmt::format("{:.2f}", x); }

std::string KeyText(const query::GroupRow& row) {
  return fmt::format("{}", fmt::join(row.key, " / "));
}

std::string ReportTable(const query::AnalysisResult& r, Model model, query::GroupBy by) {
  const int m = static_cast<int>(model);
  const std::string header = fmt::format("{}", fmt::join(query::GroupFields(by), " / "));
  TextTable table({{header},
                   {"touchpoints", true},
                   {"visitors", true},
                   {"conversions", true},
                   {"revenue", true},
                   {"conv. rate", true}});
  double conversions = 0, revenue = 0;
  for (const query::GroupRow* row : query::OrderedRows(r.rows, model)) {
    conversions += row->conversions[m];
    revenue += row->revenue[m];
    table.AddRow({KeyText(*row), WithThousands(row->touchpoints), WithThousands(row->visitors),
                  fmt::format("{:.2f}", row->conversions[m]), Money(row->revenue[m]),
                  fmt::format("{:.2f}%", 100 * Rate(row->conversions[m], row->visitors))});
  }
  table.AddRow({"total", "", "", fmt::format("{:.2f}", conversions), Money(revenue), ""});
  return fmt::format("{} attribution by {}\n", ToString(model), ToString(by)) + table.Render();
}

std::string CompareTable(const query::AnalysisResult& r, const std::vector<Model>& models,
                         query::GroupBy by) {
  const std::string header = fmt::format("{}", fmt::join(query::GroupFields(by), " / "));
  std::vector<TextTable::Column> columns = {{header}, {"visitors", true}};
  for (const Model m : models) columns.push_back({std::string(ToString(m)), true});
  TextTable table(std::move(columns));
  std::array<double, kModelCount> total{};
  for (const query::GroupRow* row : query::OrderedRows(r.rows, Model::kLastTouch)) {
    std::vector<std::string> cells = {KeyText(*row), WithThousands(row->visitors)};
    for (const Model model : models) {
      const int m = static_cast<int>(model);
      cells.push_back(fmt::format("{:.1f}", row->conversions[m]));
      total[m] += row->conversions[m];
    }
    table.AddRow(std::move(cells));
  }
  std::vector<std::string> cells = {"total", ""};
  for (const Model m : models) cells.push_back(fmt::format("{:.1f}", total[static_cast<int>(m)]));
  table.AddRow(std::move(cells));
  return fmt::format(
             "Attributed conversions by {}, every model (participation: 1 per channel "
             "in the journey)\n",
             ToString(by)) +
         table.Render();
}

// What the data-driven models learnt from, or why they could not run, on stderr.
void PrintDataDriven(const query::AnalysisResult& r) {
  const query::DataDrivenSummary& d = r.data_driven;
  if (!d.error.empty()) {
    std::fprintf(stderr, "attrib: warning: the data-driven models could not run: %s\n",
                 d.error.c_str());
  } else if (d.distinct_paths != 0) {
    std::fprintf(stderr,
                 "attrib: data-driven models: %s distinct paths; Markov chain of %s states, "
                 "P(conversion) %.6f\n",
                 WithThousands(d.distinct_paths).c_str(), WithThousands(d.markov_states).c_str(),
                 d.conversion_probability);
  }
  if (d.shapley_sampled_sets != 0) {
    std::fprintf(stderr,
                 "attrib: shapley: %s channel sets larger than the exact limit estimated from "
                 "sampled orderings; every estimated value within %.2g of the exact one (95 %%, "
                 "before normalising)\n",
                 WithThousands(d.shapley_sampled_sets).c_str(), d.shapley_max_error);
  }
}

// What was read, on stderr: counts, then the first rejected messages with their positions.
void PrintSummary(const query::AnalysisResult& r, const BlockReader& reader) {
  const query::IngestCounts& in = r.ingest;
  std::string reasons;
  for (int i = 0; i < ingest::kRejectReasonCount; ++i) {
    if (in.rejected_by_reason[i] == 0) continue;
    reasons += fmt::format("{}{} {}", reasons.empty() ? " (" : ", ", in.rejected_by_reason[i],
                           ingest::ToString(static_cast<ingest::RejectReason>(i)));
  }
  if (!reasons.empty()) reasons += ")";
  std::fprintf(stderr,
               "attrib: %s messages: %s accepted, %s duplicates, %s rejected%s\n"
               "attrib: %s people, %s sessions, %s conversions (%s revenue %s), %s journeys "
               "without a conversion\n",
               WithThousands(in.received).c_str(), WithThousands(in.accepted).c_str(),
               WithThousands(in.duplicates).c_str(), WithThousands(in.rejected).c_str(),
               reasons.c_str(), WithThousands(r.people).c_str(), WithThousands(r.sessions).c_str(),
               WithThousands(r.conversions).c_str(), Money(r.revenue).c_str(),
               r.currencies.empty() ? "-" : fmt::format("{}", fmt::join(r.currencies, "+")).c_str(),
               WithThousands(r.non_converting_journeys).c_str());
  // What was corrected or left out along the way, when anything was.
  std::string notes;
  for (const auto& [n, what] :
       {std::pair{in.future_clamped, "future times set to the time of receipt"},
        std::pair{in.unclassified_urls, "unreadable page URLs (their visits count as direct)"},
        std::pair{r.refused_identity_links,
                  "shared-device links not followed (they would have merged two users)"}}) {
    if (n != 0) notes += fmt::format("{}{} {}", notes.empty() ? "" : ", ", WithThousands(n), what);
  }
  if (!notes.empty()) std::fprintf(stderr, "attrib: %s\n", notes.c_str());
  PrintDataDriven(r);
  if (r.currencies.size() > 1) {
    std::fprintf(stderr,
                 "attrib: warning: revenue mixes currencies (%s); amounts are added unconverted\n",
                 fmt::format("{}", fmt::join(r.currencies, ", ")).c_str());
  }
  for (const query::RejectedMessage& rej : r.rejections) {
    const std::string where = rej.in_batch
                                  ? fmt::format("{}:{}: batch message {}",
                                                reader.paths()[rej.source], rej.line, rej.index)
                                  : fmt::format("{}:{}", reader.paths()[rej.source], rej.line);
    std::fprintf(stderr, "attrib: rejected %s: %s: %s\n", where.c_str(),
                 std::string(ingest::ToString(rej.reason)).c_str(), rej.detail.c_str());
  }
  if (in.rejected > r.rejections.size()) {
    std::fprintf(stderr, "attrib: … and %s more rejected\n",
                 WithThousands(in.rejected - r.rejections.size()).c_str());
  }
}

// What the store's report covers, on stderr.
void PrintStoreSummary(const query::AnalysisResult& r) {
  std::fprintf(
      stderr, "attrib: %s conversions (%s revenue %s)\n", WithThousands(r.conversions).c_str(),
      Money(r.revenue).c_str(),
      r.currencies.empty() ? "-" : fmt::format("{}", fmt::join(r.currencies, "+")).c_str());
  PrintDataDriven(r);
  if (r.currencies.size() > 1) {
    std::fprintf(stderr,
                 "attrib: warning: revenue mixes currencies (%s); amounts are added unconverted\n",
                 fmt::format("{}", fmt::join(r.currencies, ", ")).c_str());
  }
}

Result<Micros> TimeArg(const std::string& text, std::string_view name) {
  Result<Micros> t = ParseIsoTime(text);
  if (!t.ok()) return Status::InvalidArgument(fmt::format("{}: {}", name, t.status().message()));
  return t;
}

int Run(const ReportArgs& args) {
  Result<Config> config = LoadConfig(args.config);
  if (!config.ok()) {
    PrintError(config.status());
    return 2;
  }
  query::AnalysisOptions options = config->analysis;
  options.group_by = *query::ParseGroupBy(args.by);
  options.only_conversions = args.conversions;
  int threads = args.threads >= 0 ? args.threads : config->threads;
  if (threads == 0) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  options.threads = threads;
  if (args.order != 0) options.markov.order = args.order;
  // A store's credits are of the configuration's lookback (it is opened with it); another is
  // made from its sessions and conversions (Store::AtLookback).
  const Micros lookback =
      args.lookback_days != 0 ? args.lookback_days * journey::kDay : options.conversions.lookback;
  const Model model = args.compare ? Model::kLinear : *ParseModel(args.model);
  options.data_driven = args.compare || IsDataDriven(model);
  for (const auto& [text, slot, name] :
       {std::tuple{args.from, &options.from, "--from"}, std::tuple{args.to, &options.to, "--to"}}) {
    if (text.empty()) continue;
    Result<Micros> t = TimeArg(text, name);
    if (!t.ok()) {
      PrintError(t.status());
      return 2;
    }
    *slot = *t;
  }
  std::vector<std::string> rules = config->rules_files;
  rules.insert(rules.end(), args.rules.begin(), args.rules.end());
  Result<Classifier> classifier = LoadClassifier(rules);
  if (!classifier.ok()) {
    PrintError(classifier.status());
    return 2;
  }
  Result<query::AnalysisResult> result = Status::Internal("no input");
  if (!args.db.empty()) {
    const SystemClock clock;
    Result<std::unique_ptr<Store>> store = OpenSqliteStore(
        args.db, StoreOptionsFor(*config, args.project, /*create=*/false), *classifier, clock);
    if (!store.ok()) {
      PrintError(store.status());
      return 1;
    }
    std::unique_ptr<AggregateReader> view;
    if (lookback != options.conversions.lookback) {
      Result<std::unique_ptr<AggregateReader>> made = (*store)->AtLookback(lookback);
      if (!made.ok()) {
        PrintError(made.status());
        return 1;
      }
      view = std::move(made).value();
    }
    result = query::AnalyzeStore(view ? *view : static_cast<AggregateReader&>(**store), options);
    if (!result.ok()) {
      PrintError(result.status());
      return 2;
    }
    PrintStoreSummary(*result);
  } else {
    options.conversions.lookback = lookback;
    BlockReader reader(args.inputs);
    if (Status s = reader.CheckInputs(); !s.ok()) {
      PrintError(s);
      return 1;
    }
    result = query::Analyze(*classifier, options, SystemClock().Now(),
                            [&reader](query::InputBlock* block) { return reader.Next(block); });
    if (!reader.status().ok()) {
      PrintError(reader.status());
      return 1;
    }
    if (!result.ok()) {
      PrintError(result.status());
      return 2;
    }
    PrintSummary(*result, reader);
  }
  const bool learnt = options.data_driven && result->data_driven.error.empty();
  if (!args.compare && IsDataDriven(model) && !learnt) {
    PrintError(Status::Internal(fmt::format("{}: {}", ToString(model), result->data_driven.error)));
    return 1;
  }
  std::vector<Model> models;
  if (args.compare) {
    for (int m = 0; m < kModelCount; ++m) {
      if (learnt || !IsDataDriven(static_cast<Model>(m))) models.push_back(static_cast<Model>(m));
    }
  } else {
    models.push_back(model);
  }
  std::string out;
  if (args.format == "table") {
    out = args.compare ? CompareTable(*result, models, options.group_by)
                       : ReportTable(*result, models[0], options.group_by);
  } else {
    if (args.format == "csv") {
      out += query::ReportRowsCsv(*result, models, options.group_by);
    } else {
      out += nlohmann::ordered_json::parse(query::ReportRowsJson(*result, models, options.group_by))
                 .dump(2) +
             "\n";
    }
  }
  Output output(stdout);
  *output.buffer() = std::move(out);
  if (Status s = output.Close(); !s.ok()) {
    PrintError(s);
    return 1;
  }
  return 0;
}

void AddCommand(CLI::App* app, int* exit_code, bool compare) {
  auto args = std::make_shared<ReportArgs>();
  args->compare = compare;
  CLI::App* cmd = app->add_subcommand(
      compare ? "compare" : "report",
      compare ? "Every model's attributed conversions per channel (or source, …), side by side"
              : "One model's attributed conversions, revenue and reach per channel (or source, …)");
  CLI::Option* input =
      cmd->add_option("--input", args->inputs,
                      "Segment messages as JSON lines (or {\"batch\":[…]} lines); .gz too; '-' "
                      "for stdin: analysed in memory");
  CLI::Option* db = cmd->add_option("--db", args->db, "The store (see `attrib import`)");
  input->excludes(db);
  cmd->add_option("--project", args->project, "The store's project")->capture_default_str();
  if (!compare) {
    std::vector<std::string> names;
    for (int m = 0; m < kModelCount; ++m) {
      names.emplace_back(ToString(static_cast<Model>(m)));
    }
    cmd->add_option("--model", args->model, "The attribution model")
        ->check(CLI::IsMember(names))
        ->capture_default_str();
  }
  cmd->add_option("--by", args->by, "Group touchpoints by")
      ->check(CLI::IsMember(
          {"channel", "source", "medium", "source_medium", "campaign", "rule", "confidence"}))
      ->capture_default_str();
  cmd->add_option("--from", args->from,
                  "Report conversions (and count touchpoints) from this time; journeys may reach "
                  "back before it");
  cmd->add_option("--to", args->to, "Report conversions (and count touchpoints) before this time");
  cmd->add_option("--order", args->order,
                  "Order of the Markov chain: a state is the last K channels (default: "
                  "attribution.markov_order, 1)")
      ->check(CLI::Range(1, kMaxMarkovOrder));
  cmd->add_option("--conversion", args->conversions,
                  "Only these conversion events (default: conversions.events)");
  cmd->add_option("--lookback-days", args->lookback_days,
                  "A conversion's journey is the sessions this many days before it (default: "
                  "conversions.lookback_days, 30)")
      ->check(CLI::Range(1, 365));
  cmd->add_option("--config", args->config, "Configuration file (TOML; see `attrib config`)");
  cmd->add_option("--rules", args->rules, "Extra classifier rules file (repeatable)");
  cmd->add_option("--threads", args->threads, "Worker threads (0: one per core)")
      ->check(CLI::Range(0, 256));
  cmd->add_option("--format", args->format, "Output format")
      ->check(CLI::IsMember({"table", "json", "csv"}))
      ->capture_default_str();
  cmd->callback([args, exit_code] {
    if (args->inputs.empty() && args->db.empty()) {
      PrintError(Status::InvalidArgument("give --input FILE… or --db DB"));
      *exit_code = 2;
      return;
    }
    *exit_code = Run(*args);
  });
}

}  // namespace

void AddReportCommands(CLI::App* app, int* exit_code) {
  AddCommand(app, exit_code, false);
  AddCommand(app, exit_code, true);
}

}  // namespace attrib::cli
