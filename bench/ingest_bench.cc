// Parsing demo Segment messages, one core: simdjson's DOM parse alone (the floor of any batch
// analysis that validates every document) and SegmentParser::Parse (the parse, reading and
// validating every field the pipeline uses). Items are JSON lines, one per iteration.
#include <benchmark/benchmark.h>

#include <string>
#include <string_view>
#include <vector>

#include "demo/shop.h"
#include "ingest/segment.h"

namespace attrib {
namespace {

struct DemoLines {
  std::string text;                     // every line, then simdjson's padding
  std::vector<std::string_view> lines;  // into text
};

// A month of 20,000 demo shop visitors, as `attrib demo --visitors 20000 --seed 1` writes it.
const DemoLines& Lines() {
  static const DemoLines* demo = [] {
    auto* d = new DemoLines;
    demo::ShopOptions options;
    options.visitors = 20'000;
    demo::ShopGenerator generator(1, options);
    while (generator.NextVisitor(&d->text)) {
    }
    const size_t size = d->text.size();
    d->text.append(simdjson::SIMDJSON_PADDING, ' ');
    for (size_t at = 0; at < size;) {
      const size_t nl = d->text.find('\n', at);
      d->lines.emplace_back(d->text.data() + at, nl - at);
      at = nl + 1;
    }
    return d;
  }();
  return *demo;
}

// One line per iteration, round the demo: times are per line.
void Count(benchmark::State& state, const DemoLines& d) {
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(d.text.size()) /
                          static_cast<int64_t>(d.lines.size()));
}

void BM_SimdjsonDomParseDemoLines(benchmark::State& state) {
  const DemoLines& d = Lines();
  simdjson::dom::parser parser;
  size_t i = 0;
  for (auto _ : state) {
    const std::string_view line = d.lines[i];
    i = i + 1 == d.lines.size() ? 0 : i + 1;
    simdjson::dom::element root;
    benchmark::DoNotOptimize(parser.parse(line.data(), line.size(), false).get(root));
  }
  Count(state, d);
}
BENCHMARK(BM_SimdjsonDomParseDemoLines);

class CountingSink : public ingest::MessageSink {
 public:
  void Accept(const ingest::Message& m) override { accepted += m.timestamp != 0; }
  void Reject(const ingest::Rejection&) override { ++rejected; }
  int64_t accepted = 0, rejected = 0;
};

void BM_SegmentParserDemoLines(benchmark::State& state) {
  const DemoLines& d = Lines();
  ingest::SegmentParser parser;
  ingest::ParseContext context;
  context.now = demo::kDemoEnd;
  CountingSink sink;
  size_t i = 0;
  for (auto _ : state) {
    parser.Parse(d.lines[i], context, sink, true);
    i = i + 1 == d.lines.size() ? 0 : i + 1;
  }
  if (sink.rejected != 0) state.SkipWithError("a demo message was rejected");
  Count(state, d);
}
BENCHMARK(BM_SegmentParserDemoLines);

}  // namespace
}  // namespace attrib
