// attrib export --db DB --what events|sessions|credits --format csv|jsonl: the store's rows, for
// other tools and for audits.
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/io.h"
#include "cli/store_cmd.h"
#include "cli/table.h"

namespace attrib::cli {
namespace {

// Rows to stdout, flushed as the buffer fills.
class RowWriter : public ExportSink {
 public:
  RowWriter(bool csv, Output* out) : csv_(csv), out_(*out) {}

  void Columns(std::span<const std::string_view> names) override {
    names_.assign(names.begin(), names.end());
    if (!csv_) return;
    for (size_t i = 0; i < names.size(); ++i) {
      *out_.buffer() += i == 0 ? "" : ",";
      *out_.buffer() += names[i];
    }
    *out_.buffer() += '\n';
  }

  Status Row(std::span<const ExportValue> values) override {
    std::string& b = *out_.buffer();
    if (csv_) {
      for (size_t i = 0; i < values.size(); ++i) {
        if (i != 0) b += ',';
        const ExportValue& v = values[i];
        switch (v.type) {
          case ExportValue::Type::kNull:
            break;
          case ExportValue::Type::kInt:
            b += fmt::format("{}", v.i);
            break;
          case ExportValue::Type::kReal:
            b += fmt::format("{}", v.d);
            break;
          case ExportValue::Type::kText:
            b += CsvField(v.text, /*defuse=*/false);  // the data as stored, to load elsewhere
        }
      }
    } else {
      nlohmann::ordered_json j = nlohmann::ordered_json::object();
      for (size_t i = 0; i < values.size(); ++i) {
        const ExportValue& v = values[i];
        nlohmann::ordered_json& field = j[std::string(names_[i])];
        switch (v.type) {
          case ExportValue::Type::kNull:
            break;
          case ExportValue::Type::kInt:
            field = v.i;
            break;
          case ExportValue::Type::kReal:
            field = v.d;
            break;
          case ExportValue::Type::kText:
            field = std::string(v.text);
        }
      }
      // Invalid UTF-8 in stored text is written escaped rather than failing the export.
      b += j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    }
    b += '\n';
    out_.MaybeFlush();
    return Status::Ok();
  }

 private:
  bool csv_;
  Output& out_;
  std::vector<std::string_view> names_;
};

int Run(const StoreArgs& args, const std::string& what, const std::string& format) {
  StoreContext ctx;
  if (int rc = LoadSetup(args, &ctx); rc != 0) return rc;
  if (int rc = OpenStore(args, /*create=*/false, &ctx); rc != 0) return rc;
  const ExportKind kind = what == "events"     ? ExportKind::kEvents
                          : what == "sessions" ? ExportKind::kSessions
                                               : ExportKind::kCredits;
  Output output(stdout);
  RowWriter writer(format == "csv", &output);
  Status s = ctx.store->Export(kind, writer);
  if (s.ok()) s = output.Close();
  if (!s.ok()) {
    PrintError(s);
    return 1;
  }
  return 0;
}

}  // namespace

void AddExportCommand(CLI::App* app, int* exit_code) {
  auto args = std::make_shared<StoreArgs>();
  auto what = std::make_shared<std::string>("events");
  auto format = std::make_shared<std::string>("jsonl");
  CLI::App* cmd = app->add_subcommand(
      "export", "Write the store's events, sessions or credits as CSV or JSON lines");
  AddStoreOptions(cmd, args.get(), /*rules=*/false);
  cmd->add_option("--what", *what, "What to export")
      ->check(CLI::IsMember({"events", "sessions", "credits"}))
      ->capture_default_str();
  cmd->add_option("--format", *format, "Output format")
      ->check(CLI::IsMember({"csv", "jsonl"}))
      ->capture_default_str();
  cmd->callback([args, what, format, exit_code] { *exit_code = Run(*args, *what, *format); });
}

}  // namespace attrib::cli
