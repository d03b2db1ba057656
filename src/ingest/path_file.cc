#include "ingest/path_file.h"

#include <fmt/format.h>
#include <simdjson.h>

#include <algorithm>
#include <charconv>
#include <cmath>

#include "common/strings.h"

namespace attrib::ingest {
namespace {

constexpr std::string_view kColumnNames[] = {"path", "total_conversions", "total_conversion_value",
                                             "total_null"};

// Shows a field in an error message: quoted, cut when long.
std::string Shown(std::string_view s) {
  constexpr size_t kShown = 40;
  return s.size() <= kShown ? fmt::format("\"{}\"", s)
                            : fmt::format("\"{}…\"", s.substr(0, kShown));
}

// Splits a line at `delimiter` outside double quotes. A quoted field loses its quotes and ""
// in it becomes "; a quote inside an unquoted field is kept.
Status SplitFields(std::string_view line, char delimiter, std::vector<std::string>* fields) {
  fields->clear();
  size_t i = 0;
  for (;;) {
    std::string field;
    size_t start = i;
    while (start < line.size() && line[start] == ' ') ++start;
    if (start < line.size() && line[start] == '"') {
      size_t j = start + 1;
      for (;; ++j) {
        if (j >= line.size()) return Status::InvalidArgument("a quoted field is not closed");
        if (line[j] != '"') {
          field += line[j];
        } else if (j + 1 < line.size() && line[j + 1] == '"') {
          field += '"';
          ++j;
        } else {
          break;
        }
      }
      i = j + 1;
      while (i < line.size() && line[i] == ' ') ++i;
      if (i < line.size() && line[i] != delimiter) {
        return Status::InvalidArgument("text follows a quoted field's closing quote");
      }
    } else {
      const size_t end = std::min(line.find(delimiter, i), line.size());
      field.assign(line.substr(i, end - i));
      i = end;
    }
    fields->push_back(std::move(field));
    if (i >= line.size()) return Status::Ok();
    ++i;  // the delimiter
  }
}

// A number; with `decimal_comma`, "1340,5" reads as 1340.5 (R's write.csv2 and spreadsheets
// of many locales write ';'-separated files so).
Status Number(std::string_view column, std::string_view text, double max, bool decimal_comma,
              double* out) {
  const std::string_view s = TrimAscii(text);
  if (s.empty()) return Status::InvalidArgument(fmt::format("{} is empty", column));
  std::string dotted;
  std::string_view digits = s;
  if (decimal_comma && s.find(',') != std::string_view::npos &&
      s.find('.') == std::string_view::npos) {
    dotted.assign(s);
    std::replace(dotted.begin(), dotted.end(), ',', '.');
    digits = dotted;
  }
  double x = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), x);
  if (ec != std::errc() || end != digits.data() + digits.size() || !std::isfinite(x)) {
    return Status::InvalidArgument(fmt::format("{}: {} is not a finite number", column, Shown(s)));
  }
  if (x < 0) {
    return Status::InvalidArgument(fmt::format("{}: {} is negative", column, Shown(s)));
  }
  if (x > max) {
    return Status::LimitExceeded(
        fmt::format("{}: {} is over the limit of {:g}", column, Shown(s), max));
  }
  *out = x;
  return Status::Ok();
}

Status AtLine(uint64_t line, const Status& s) {
  return Status(s.code(), fmt::format("line {}: {}", line, s.message()));
}

}  // namespace

Status PathFileParser::AddLine(std::string_view line, uint64_t line_number) {
  if (line.size() > kMaxPathRowBytes) {
    return AtLine(line_number,
                  Status::LimitExceeded(fmt::format("the line is longer than the limit of {} bytes",
                                                    kMaxPathRowBytes)));
  }
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (!started_ && line.starts_with("\xEF\xBB\xBF")) line.remove_prefix(3);  // a BOM
  if (TrimAscii(line).empty()) return Status::Ok();
  if (!simdjson::validate_utf8(line.data(), line.size())) {
    return AtLine(line_number, Status::InvalidArgument("the line is not valid UTF-8"));
  }
  if (!started_) {
    started_ = true;
    // The delimiter: the first of these found outside quotes.
    std::string outside;
    bool quoted = false;
    for (const char c : line) {
      if (c == '"') quoted = !quoted;
      if (!quoted) outside += c;
    }
    for (const char d : {';', '\t', ','}) {
      if (outside.find(d) != std::string::npos) {
        delimiter_ = d;
        break;
      }
    }
    if (Status s = SplitFields(line, delimiter_, &fields_); !s.ok()) return AtLine(line_number, s);
    for (const std::string& field : fields_) {  // a header names the path column
      if (AsciiLowerCopy(TrimAscii(field)) == kColumnNames[0]) {
        return ReadHeader(fields_, line_number);
      }
    }
  } else if (Status s = SplitFields(line, delimiter_, &fields_); !s.ok()) {
    return AtLine(line_number, s);
  }
  return ReadRow(fields_, line_number);
}

Status PathFileParser::ReadHeader(const std::vector<std::string>& fields, uint64_t line_number) {
  header_ = true;
  columns_ = Columns{-1, -1, -1, -1, fields.size()};
  int* slots[] = {&columns_.path, &columns_.conversions, &columns_.value, &columns_.nulls};
  for (size_t i = 0; i < fields.size(); ++i) {
    const std::string name = AsciiLowerCopy(TrimAscii(fields[i]));
    for (size_t c = 0; c < std::size(kColumnNames); ++c) {
      if (name != kColumnNames[c]) continue;
      if (*slots[c] >= 0) {
        return AtLine(line_number, Status::InvalidArgument(
                                       fmt::format("the header names {} twice", kColumnNames[c])));
      }
      *slots[c] = static_cast<int>(i);
    }
  }
  for (size_t c = 0; c < 2; ++c) {
    if (*slots[c] < 0) {
      return AtLine(line_number, Status::InvalidArgument(fmt::format(
                                     "the header has no {} column (expected {})", kColumnNames[c],
                                     "path;total_conversions;total_conversion_value;total_null")));
    }
  }
  return Status::Ok();
}

Status PathFileParser::ReadRow(const std::vector<std::string>& fields, uint64_t line_number) {
  if (header_ && fields.size() != columns_.count) {
    return AtLine(line_number,
                  Status::InvalidArgument(fmt::format("{} fields, but the header has {}",
                                                      fields.size(), columns_.count)));
  }
  if (!header_ && (fields.size() < 2 || fields.size() > columns_.count)) {
    return AtLine(line_number, Status::InvalidArgument(fmt::format(
                                   "{} field{}; a row has 2 to 4: path;total_conversions"
                                   "[;total_conversion_value[;total_null]]",
                                   fields.size(), fields.size() == 1 ? "" : "s")));
  }
  PathOutcome outcome;
  for (const auto& [column, name, max, out] :
       {std::tuple{columns_.conversions, kColumnNames[1], kMaxPathCount, &outcome.conversions},
        std::tuple{columns_.value, kColumnNames[2], kMaxPathValue, &outcome.value},
        std::tuple{columns_.nulls, kColumnNames[3], kMaxPathCount, &outcome.nulls}}) {
    if (column < 0 || static_cast<size_t>(column) >= fields.size()) continue;
    if (Status s = Number(name, fields[column], max, delimiter_ == ';', out); !s.ok()) {
      return AtLine(line_number, s);
    }
  }
  if (outcome.value > 0 && outcome.conversions == 0) {  // value belongs to conversions
    return AtLine(line_number, Status::InvalidArgument(fmt::format(
                                   "total_conversion_value is {:g} but the row has no conversions",
                                   outcome.value)));
  }
  path_.clear();
  std::string_view rest = fields[columns_.path];
  while (!rest.empty()) {
    const size_t end = std::min(rest.find('>'), rest.size());
    const std::string_view name = TrimAscii(rest.substr(0, end));
    rest.remove_prefix(std::min(end + 1, rest.size()));
    if (name.empty()) continue;
    if (name.size() > kMaxPathChannelBytes) {
      return AtLine(line_number, Status::LimitExceeded(fmt::format(
                                     "a channel name of {} bytes is over the limit of {}",
                                     name.size(), kMaxPathChannelBytes)));
    }
    if (path_.size() == kMaxPathLength) {
      return AtLine(line_number, Status::LimitExceeded(fmt::format(
                                     "the path has more than {} channels", kMaxPathLength)));
    }
    uint32_t& id = ids_[name];
    if (id == 0) {
      if (names_.size() == kMaxPathChannels) {
        return AtLine(line_number, Status::LimitExceeded(fmt::format(
                                       "more than {} distinct channels", kMaxPathChannels)));
      }
      names_.emplace_back(name);
      id = static_cast<uint32_t>(names_.size());
    }
    path_.push_back(id - 1);
  }
  if (path_.empty()) {
    return AtLine(line_number, Status::InvalidArgument("the path has no channels"));
  }
  table_.Add(path_, outcome);
  return Status::Ok();
}

}  // namespace attrib::ingest
