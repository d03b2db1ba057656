// Reclassification: every stored visit classified again from its raw URL, referrer and campaign
// tags when the rules change; the blocks that changed are rewritten and their people derived
// again, which restates the conversions whose credits moved.
#include <fmt/format.h>

#include "storage/sqlite/sqlite_store_impl.h"
#include "storage/sqlite/statements.h"
#include "storage/visit.h"

namespace attrib::sqlite {
namespace {

constexpr int64_t kBlocksPerTransaction = 20'000;

}  // namespace

Result<ReclassifyCounts> SqliteStore::Reclassify(
    const std::function<void(uint64_t, uint64_t)>& progress) {
  ATTRIB_RETURN_IF_ERROR(LockForWriting());
  ReclassifyCounts counts;
  ATTRIB_ASSIGN_OR_RETURN(Stmt range, db_.Prepare("SELECT coalesce(max(block_id), 0), count(*) "
                                                  "FROM events WHERE project_id = ?"));
  ATTRIB_RETURN_IF_ERROR(range.Bind(1, project_).Step().status());
  const int64_t last = range.Int(0);
  const auto blocks = static_cast<uint64_t>(range.Int(1));
  range.Reset();
  ATTRIB_ASSIGN_OR_RETURN(
      Stmt read, db_.Prepare("SELECT block_id, visitor, data FROM events WHERE project_id = ? "
                             "AND block_id > ? AND block_id <= ? ORDER BY block_id"));
  ATTRIB_ASSIGN_OR_RETURN(
      Stmt write,
      db_.Prepare("UPDATE events SET data = ?, rules_version_id = ? WHERE block_id = ?"));
  ATTRIB_ASSIGN_OR_RETURN(
      Stmt confirm, db_.Prepare("UPDATE events SET rules_version_id = ? WHERE project_id = ? AND "
                                "block_id > ? AND block_id <= ? AND rules_version_id != ?1"));
  ATTRIB_ASSIGN_OR_RETURN(Stmt rule_of, db_.Prepare("SELECT rule_id FROM classes WHERE hash = ?"));
  const sessionize::ReferralExclusions exclusions(
      options_.settings.person.sessions.referral_exclusions);
  storage::BlockEncoder encoder;
  Classification c;
  std::string scratch, rewritten;
  uint64_t done = 0;
  const auto rule = [&](uint64_t hash, uint8_t flags) -> std::string {
    if (!(flags & sessionize::kHasUrl)) return "(none)";
    rule_of.Bind(1, static_cast<int64_t>(hash));
    const Result<bool> row = rule_of.Step();
    std::string id = row.ok() && *row ? std::string(rule_of.Text(0)) : "(unknown)";
    rule_of.Reset();
    return id;
  };
  for (int64_t from = 0; from < last; from += kBlocksPerTransaction) {
    if (progress) progress(done, blocks);
    ATTRIB_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(db_));
    ATTRIB_ASSIGN_OR_RETURN(const int64_t version, InternRulesVersion(classifier_.rules_version()));
    read.Bind(1, project_).Bind(2, from).Bind(3, from + kBlocksPerTransaction);
    std::vector<std::pair<int64_t, std::string>> changed;  // block → new data
    U64Map<uint8_t> dirty;
    Status failed;
    for (;;) {
      ATTRIB_ASSIGN_OR_RETURN(bool row, read.Step());
      if (!row) break;
      ++done;
      const int64_t block = read.Int(0);
      const int64_t visitor = read.Int(1);
      bool moved = false;
      Status decoded = decoder_.Decode(read.Blob(2), [&](const storage::BlockEvent& e) {
        storage::BlockEvent now = e;
        const bool activity = e.type == ingest::MessageType::kTrack ||
                              e.type == ingest::MessageType::kPage ||
                              e.type == ingest::MessageType::kScreen;
        if (activity) {
          ++counts.events;
          bool unreadable;
          now.flags = storage::ClassifyVisit(classifier_, exclusions, e.url, e.referrer, e.campaign,
                                             &scratch, &c, &unreadable);
          now.class_hash = 0;
          if (now.flags & sessionize::kHasUrl) {
            now.class_hash = storage::ClassHash(c);
            if (class_ids_.Find(now.class_hash) == nullptr && failed.ok()) {
              failed = InternClass(c).status();
            }
          }
          if (now.flags != e.flags || now.class_hash != e.class_hash) {
            moved = true;
            ++counts.moved;
            ++counts.moved_by_rule[{rule(e.class_hash, e.flags), rule(now.class_hash, now.flags)}];
          }
        }
        encoder.Add(now);
      });
      rewritten = encoder.Finish();
      ATTRIB_RETURN_IF_ERROR(decoded);
      ATTRIB_RETURN_IF_ERROR(failed);
      if (!moved) continue;
      changed.emplace_back(block, std::move(rewritten));
      dirty[static_cast<uint64_t>(visitor)] = 1;
    }
    for (const auto& [block, data] : changed) {
      ATTRIB_RETURN_IF_ERROR(write.BindBlob(1, data).Bind(2, version).Bind(3, block).Run());
    }
    // Blocks that kept their classifications were confirmed by these rules too.
    ATTRIB_RETURN_IF_ERROR(confirm.Bind(1, version)
                               .Bind(2, project_)
                               .Bind(3, from)
                               .Bind(4, from + kBlocksPerTransaction)
                               .Run());
    Status marked;
    dirty.ForEach([&](uint64_t id, uint8_t) {
      if (marked.ok()) {
        marked = st_->insert_dirty.Bind(1, project_).Bind(2, static_cast<int64_t>(id)).Run();
      }
    });
    ATTRIB_RETURN_IF_ERROR(marked);
    ATTRIB_RETURN_IF_ERROR(tx.Commit());
  }
  if (progress) progress(blocks, blocks);
  ATTRIB_ASSIGN_OR_RETURN(counts.derived, Derive(nullptr));
  return counts;
}

}  // namespace attrib::sqlite
