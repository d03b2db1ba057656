// The inbox: what is acknowledged reaches the store, whether it waited in memory, was read
// back from the inbox, or was left there by a process that died.
#include "server/inbox.h"

#include <fmt/format.h>

#include <future>

#include "server/ingest_writer.h"
#include "server/server_fixture.h"

namespace attrib::server {
namespace {

using namespace test_support;  // NOLINT(build/namespaces): the fixture and its client

std::string Journey(const std::string& visitor) {
  return "{\"batch\":[" +
         Page("p-" + visitor, visitor, "https://shop.example/?gclid=abc", "https://www.google.com/",
              "2026-11-17T10:00:00Z") +
         "," + Order("o-" + visitor, visitor, 42.5, "2026-11-17T10:05:00Z") +
         R"(,{"type":"page"}]})";
}

TEST_F(ServerTest, WhatADeadServerLeftInTheInboxIsStoredOnStart) {
  {
    Result<Inbox> inbox = Inbox::Open(InboxPath(db_));
    ASSERT_TRUE(inbox.ok()) << inbox.status().ToString();
    InboxEntry entry{0, "shop", "/v1/batch", clock_.Now(), Journey("anon-9")};
    InboxEntry* entries[] = {&entry};
    ASSERT_TRUE(inbox->Append(entries, 0).ok());
  }
  StartServer();
  const Reply r = GetUntil("/v1/journeys?anonymous_id=anon-9", a_.read_key,
                           [](const Reply& x) { return x.status == 200; });
  ASSERT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(r.json()["sessions"][0]["rule_id"], "gclid");
  EXPECT_EQ(r.json()["conversions"][0]["message_id"], "o-anon-9");
  const std::vector<std::string> stored = {"attrib_events_accepted_total 2"};
  EXPECT_NE(MetricsWith(stored).body.find(stored[0]), std::string::npos);

  // Folded, the entry is forgotten.
  server_->Stop();
  Result<Inbox> inbox = Inbox::Open(InboxPath(db_));
  ASSERT_TRUE(inbox.ok());
  const auto span = inbox->Span();
  ASSERT_TRUE(span.ok());
  EXPECT_GT(span->first, span->second) << "the inbox still holds entries";
  EXPECT_EQ(span->second, 1);
}

TEST_F(ServerTest, BatchesBeyondTheMemoryBudgetAreReadBackFromTheInbox) {
  StartServer(5000, [](ServerOptions& o) { o.writer.max_parsed_bytes = 0; });
  const Headers auth = {{"Authorization", Basic(a_.write_key)}};
  Reply r = Post("/v1/batch", Journey("anon-1"), auth);
  ASSERT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(r.json()["accepted"], 2);
  EXPECT_EQ(r.json()["rejected"], 1);
  r = Post("/v1/batch", Journey("anon-1"), auth);  // a retry: stored once
  ASSERT_EQ(r.status, 200u) << r.body;

  r = GetUntil("/v1/attribution?model=last_touch&by=channel", a_.read_key,
               [](const Reply& x) { return x.status == 200 && x.json().size() == 1; });
  ASSERT_EQ(r.json().size(), 1u) << r.body;
  EXPECT_EQ(r.json()[0]["channel"], "paid_search");
  EXPECT_DOUBLE_EQ(r.json()[0]["conversions"].get<double>(), 1.0);
  const std::vector<std::string> once = {"attrib_events_accepted_total 2",
                                         "attrib_events_duplicate_total 2",
                                         "attrib_events_rejected_total{reason=\"missing_id\"} 2"};
  r = MetricsWith(once);
  for (const std::string& line : once) EXPECT_NE(r.body.find(line), std::string::npos) << line;
}

// A store that cannot keep up: acknowledged bodies pile up to the backlog limit, and then
// requests are turned away (the server answers 503 with Retry-After) instead of piling up
// more; what could not be folded stays in the inbox for the next start.
TEST(IngestWriter, TurnsRequestsAwayWhenTheStoreIsBehind) {
  const std::string dir = TempDir();
  const std::string path = dir + "/store.db.inbox";
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  WriterOptions options;
  options.max_backlog_bytes = 100;
  std::vector<std::string> failures;  // what the server logs
  WriterObserver observer;
  observer.failed = [&failures](std::string_view what, const Status& s) {
    failures.push_back(fmt::format("{}: {}", what, s.message()));
  };
  Result<std::unique_ptr<IngestWriter>> writer = IngestWriter::Start(
      path,
      [released](const std::string&) -> Result<std::unique_ptr<Store>> {
        released.wait();
        return Status::Unavailable("the store is away");
      },
      [](const InboxEntry&) { return IngestBatch{}; }, options, observer);
  ASSERT_TRUE(writer.ok()) << writer.status().ToString();

  const auto entry = [](char fill) {
    return InboxEntry{0, "shop", "/v1/track", 1, std::string(60, fill)};
  };
  std::promise<Status> first;
  ASSERT_TRUE((*writer)->Submit(entry('a'), {}, [&first](Status s) { first.set_value(s); }).ok());
  EXPECT_TRUE(first.get_future().get().ok());  // acknowledged: 60 bytes wait for the store

  const Status turned_away = (*writer)->Submit(entry('b'), {}, [](Status) {});
  EXPECT_EQ(turned_away.code(), ErrorCode::kUnavailable);
  EXPECT_NE(turned_away.message().find("behind"), std::string::npos) << turned_away.message();

  release.set_value();
  (*writer)->Stop();
  EXPECT_FALSE((*writer)->healthy());
  ASSERT_EQ(failures.size(), 1u);
  EXPECT_EQ(failures[0],
            "storing acknowledged requests (they wait in the inbox): the store is away");
  writer->reset();
  Result<Inbox> inbox = Inbox::Open(path);
  ASSERT_TRUE(inbox.ok());
  Result<std::vector<InboxEntry>> kept = inbox->Read(1, 100);
  ASSERT_TRUE(kept.ok());
  ASSERT_EQ(kept->size(), 1u);
  EXPECT_EQ((*kept)[0].body, std::string(60, 'a'));
  EXPECT_EQ((*kept)[0].route, "/v1/track");
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace attrib::server
