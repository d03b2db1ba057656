#include "storage/sqlite/sqlite_catalog.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "storage/keys.h"
#include "storage/sqlite/schema.h"
#include "storage/sqlite/sqlite.h"
#include "storage/sqlite/sqlite_store.h"

namespace attrib {
namespace {

constexpr Micros kT0 = 1'780'000'000'000'000;

class CatalogTest : public ::testing::Test {
 protected:
  CatalogTest() : clock_(kT0) {
    std::string dir = (std::filesystem::temp_directory_path() / "attrib_catalog_XXXXXX").string();
    EXPECT_NE(mkdtemp(dir.data()), nullptr);
    dir_ = dir;
    path_ = dir_ + "/store.db";
  }
  ~CatalogTest() override { std::filesystem::remove_all(dir_); }

  std::unique_ptr<Catalog> Open(bool create = true) {
    Result<std::unique_ptr<Catalog>> catalog = OpenSqliteCatalog(path_, clock_, create);
    EXPECT_TRUE(catalog.ok()) << catalog.status().ToString();
    return catalog.ok() ? std::move(catalog).value() : nullptr;
  }

  // Every byte the store keeps: the file, its write-ahead log and shared memory.
  std::string FileBytes() const {
    std::string all;
    for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
      std::ifstream in(path_ + suffix, std::ios::binary);
      all.append(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
    return all;
  }

  Result<std::unique_ptr<Store>> OpenStore(const std::string& project,
                                           const DeriveSettings& settings) {
    StoreOptions options;
    options.project = project;
    options.settings = settings;
    options.create = false;
    return OpenSqliteStore(path_, options, classifier_, clock_);
  }

  static DeriveSettings Settings(Micros session_timeout = 30 * sessionize::kMinute) {
    DeriveSettings s;
    s.person.sessions.timeout = session_timeout;
    return s;
  }

  FakeClock clock_;
  Classifier classifier_ = Classifier::Create().value();
  std::string dir_, path_;
};

TEST_F(CatalogTest, CreateProjectListsItsKeys) {
  auto catalog = Open();
  ASSERT_NE(catalog, nullptr);
  Result<NewKeys> keys = catalog->CreateProject("shop", Settings());
  ASSERT_TRUE(keys.ok()) << keys.status().ToString();
  EXPECT_EQ(keys->project, "shop");
  EXPECT_EQ(keys->write_key.size(), storage::kWriteKeyLength);
  ASSERT_TRUE(storage::ReadKeyId(keys->read_key).has_value()) << keys->read_key;

  Result<std::vector<ApiKey>> listed = catalog->Keys();
  ASSERT_TRUE(listed.ok()) << listed.status().ToString();
  ASSERT_EQ(listed->size(), 2u);
  const ApiKey& write = (*listed)[0];
  EXPECT_EQ(write.key_id, keys->write_key);
  EXPECT_EQ(write.project, "shop");
  EXPECT_EQ(write.kind, KeyKind::kWrite);
  EXPECT_EQ(write.secret_hash, "");
  EXPECT_EQ(write.created_at, kT0);
  EXPECT_FALSE(write.revoked_at.has_value());
  const ApiKey& read = (*listed)[1];
  EXPECT_EQ(read.key_id, *storage::ReadKeyId(keys->read_key));
  EXPECT_EQ(read.project, "shop");
  EXPECT_EQ(read.kind, KeyKind::kRead);
  EXPECT_EQ(read.created_at, kT0);
  EXPECT_FALSE(read.revoked_at.has_value());
  EXPECT_TRUE(storage::ReadKeyMatches(keys->read_key, read.secret_hash));
  EXPECT_FALSE(storage::ReadKeyMatches(storage::NewReadKey(), read.secret_hash));

  Result<std::vector<std::string>> projects = catalog->Projects();
  ASSERT_TRUE(projects.ok());
  EXPECT_EQ(*projects, std::vector<std::string>{"shop"});
}

TEST_F(CatalogTest, TheReadKeysSecretIsNowhereInTheFile) {
  std::string write_key, read_key;
  {
    auto catalog = Open();
    ASSERT_NE(catalog, nullptr);
    Result<NewKeys> keys = catalog->CreateProject("shop", Settings());
    ASSERT_TRUE(keys.ok());
    write_key = keys->write_key;
    read_key = keys->read_key;
    // While the catalog is open (the log holds the commit) …
    const std::string bytes = FileBytes();
    EXPECT_NE(bytes.find(write_key), std::string::npos);  // the bytes are readable
    EXPECT_NE(bytes.find(*storage::ReadKeyId(read_key)), std::string::npos);
    EXPECT_EQ(bytes.find(read_key.substr(11)), std::string::npos);
  }
  // … and after it closed (checkpointed into the file).
  const std::string bytes = FileBytes();
  EXPECT_NE(bytes.find(write_key), std::string::npos);
  EXPECT_EQ(bytes.find(read_key.substr(11)), std::string::npos);
  EXPECT_EQ(bytes.find(read_key.substr(11, 16)), std::string::npos);
}

TEST_F(CatalogTest, DuplicateNameIsAlreadyExists) {
  auto catalog = Open();
  ASSERT_TRUE(catalog->CreateProject("shop", Settings()).ok());
  Result<NewKeys> again = catalog->CreateProject("shop", Settings());
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().code(), ErrorCode::kAlreadyExists);
  EXPECT_NE(again.status().message().find("\"shop\""), std::string::npos)
      << again.status().message();
  EXPECT_EQ(catalog->Keys()->size(), 2u);  // nothing added
}

TEST_F(CatalogTest, AddKeysKeepsTheOldOnes) {
  auto catalog = Open();
  Result<NewKeys> first = catalog->CreateProject("shop", Settings());
  ASSERT_TRUE(first.ok());
  clock_.Advance(1000);
  Result<NewKeys> second = catalog->AddKeys("shop");
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_NE(second->write_key, first->write_key);
  EXPECT_NE(second->read_key, first->read_key);
  Result<std::vector<ApiKey>> keys = catalog->Keys();
  ASSERT_EQ(keys->size(), 4u);
  EXPECT_EQ((*keys)[0].key_id, first->write_key);
  EXPECT_EQ((*keys)[2].key_id, second->write_key);
  EXPECT_EQ((*keys)[3].created_at, kT0 + 1000);
  for (const ApiKey& k : *keys) EXPECT_FALSE(k.revoked_at.has_value());
}

TEST_F(CatalogTest, AddKeysToAMissingProjectIsNotFound) {
  auto catalog = Open();
  Result<NewKeys> keys = catalog->AddKeys("nowhere");
  ASSERT_FALSE(keys.ok());
  EXPECT_EQ(keys.status().code(), ErrorCode::kNotFound);
  EXPECT_NE(keys.status().message().find("\"nowhere\""), std::string::npos)
      << keys.status().message();
}

TEST_F(CatalogTest, RevokeByWholeKeyAndById) {
  auto catalog = Open();
  Result<NewKeys> a = catalog->CreateProject("a", Settings());
  Result<NewKeys> b = catalog->CreateProject("b", Settings());
  ASSERT_TRUE(a.ok() && b.ok());
  const auto revoked_at = [&](std::string_view id) -> std::optional<Micros> {
    const std::vector<ApiKey> keys = catalog->Keys().value();
    for (const ApiKey& k : keys) {
      if (k.key_id == id) return k.revoked_at;
    }
    ADD_FAILURE() << "no key " << id;
    return std::nullopt;
  };

  clock_.Set(kT0 + 10);
  ASSERT_TRUE(catalog->RevokeKey(a->write_key).ok());  // a write key: whole is its id
  clock_.Set(kT0 + 20);
  ASSERT_TRUE(catalog->RevokeKey(a->read_key).ok());  // a read key whole
  clock_.Set(kT0 + 30);
  const std::string b_read_id(*storage::ReadKeyId(b->read_key));
  ASSERT_TRUE(catalog->RevokeKey(b_read_id).ok());  // … or by its id
  EXPECT_EQ(revoked_at(a->write_key), kT0 + 10);
  EXPECT_EQ(revoked_at(*storage::ReadKeyId(a->read_key)), kT0 + 20);
  EXPECT_EQ(revoked_at(b_read_id), kT0 + 30);
  EXPECT_EQ(revoked_at(b->write_key), std::nullopt);

  // Twice is fine and keeps the first time.
  clock_.Set(kT0 + 40);
  EXPECT_TRUE(catalog->RevokeKey(a->write_key).ok());
  EXPECT_TRUE(catalog->RevokeKey(b->read_key).ok());
  EXPECT_EQ(revoked_at(a->write_key), kT0 + 10);
  EXPECT_EQ(revoked_at(b_read_id), kT0 + 30);
  EXPECT_EQ(catalog->Keys()->size(), 4u);  // revoked keys are still listed
}

TEST_F(CatalogTest, RevokeUnknownKeyIsNotFound) {
  auto catalog = Open();
  Result<NewKeys> keys = catalog->CreateProject("shop", Settings());
  ASSERT_TRUE(keys.ok());
  const Status unknown = catalog->RevokeKey("nosuchkey");
  EXPECT_EQ(unknown.code(), ErrorCode::kNotFound);
  EXPECT_NE(unknown.message().find("\"nosuchkey\""), std::string::npos) << unknown.message();
  EXPECT_EQ(catalog->RevokeKey("").code(), ErrorCode::kNotFound);
  // The read key's id with another secret is not the key; the message never shows a secret.
  std::string forged = keys->read_key;
  forged.back() = forged.back() == 'a' ? 'b' : 'a';
  const Status wrong = catalog->RevokeKey(forged);
  EXPECT_EQ(wrong.code(), ErrorCode::kNotFound);
  EXPECT_EQ(wrong.message().find(forged.substr(11)), std::string::npos) << wrong.message();
  EXPECT_NE(wrong.message().find(*storage::ReadKeyId(forged)), std::string::npos);
  const std::vector<ApiKey> listed = catalog->Keys().value();
  for (const ApiKey& k : listed) EXPECT_FALSE(k.revoked_at.has_value()) << k.key_id;
}

TEST_F(CatalogTest, ProjectsAndKeysSorted) {
  auto catalog = Open();
  for (const char* name : {"zeta", "alpha", "Mid", "alphabet"}) {
    ASSERT_TRUE(catalog->CreateProject(name, Settings()).ok()) << name;
    clock_.Advance(-5);  // later projects made "earlier": the order is by name first
  }
  ASSERT_TRUE(catalog->AddKeys("alpha").ok());
  EXPECT_EQ(*catalog->Projects(), (std::vector<std::string>{"Mid", "alpha", "alphabet", "zeta"}));
  std::vector<std::string> order;
  const std::vector<ApiKey> keys = catalog->Keys().value();
  for (const ApiKey& k : keys) {
    order.push_back(k.project + (k.kind == KeyKind::kRead ? ":read" : ":write"));
  }
  EXPECT_EQ(order, (std::vector<std::string>{"Mid:write", "Mid:read", "alpha:write", "alpha:read",
                                             "alpha:write", "alpha:read", "alphabet:write",
                                             "alphabet:read", "zeta:write", "zeta:read"}));
}

TEST_F(CatalogTest, ProjectNames) {
  auto catalog = Open();
  const auto code = [&](std::string_view name) {
    return catalog->CreateProject(name, Settings()).status().code();
  };
  EXPECT_EQ(code(""), ErrorCode::kInvalidArgument);
  EXPECT_EQ(code(std::string(kMaxProjectNameBytes, 'p')), ErrorCode::kOk);
  EXPECT_EQ(code(std::string(kMaxProjectNameBytes + 1, 'q')), ErrorCode::kInvalidArgument);
  EXPECT_EQ(code("a\nb"), ErrorCode::kInvalidArgument);
  EXPECT_EQ(code(std::string("a\0b", 3)), ErrorCode::kInvalidArgument);
  EXPECT_EQ(code("tab\there"), ErrorCode::kInvalidArgument);
  EXPECT_EQ(code("del\x7f"), ErrorCode::kInvalidArgument);
  EXPECT_EQ(code("café shop — EU"), ErrorCode::kOk);
  EXPECT_EQ(catalog->AddKeys("").status().code(), ErrorCode::kInvalidArgument);
  const Status too_long = ValidateProjectName(std::string(201, 'x'));
  EXPECT_NE(too_long.message().find("201 bytes"), std::string::npos) << too_long.message();
  EXPECT_NE(ValidateProjectName("a\nb").message().find("control character"), std::string::npos);
  EXPECT_EQ(catalog->Projects()->size(), 2u);
}

TEST_F(CatalogTest, TheStoreOpensACreatedProject) {
  {
    auto catalog = Open();
    ASSERT_TRUE(catalog->CreateProject("shop", Settings(45 * sessionize::kMinute)).ok());
  }
  Result<std::unique_ptr<Store>> store = OpenStore("shop", Settings(45 * sessionize::kMinute));
  EXPECT_TRUE(store.ok()) << store.status().ToString();
  store = Status::NotFound("closed");
  Result<std::unique_ptr<Store>> other = OpenStore("shop", Settings(30 * sessionize::kMinute));
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.status().code(), ErrorCode::kFailedPrecondition);
  EXPECT_NE(other.status().message().find("was derived with other settings"), std::string::npos)
      << other.status().message();
  EXPECT_NE(
      other.status().message().find("sessions.timeout_minutes (stored 45.0, configured 30.0)"),
      std::string::npos)
      << other.status().message();
}

TEST_F(CatalogTest, AProjectMadeByTheStoreGetsKeys) {
  {
    StoreOptions options;
    options.project = "imported";
    Result<std::unique_ptr<Store>> store = OpenSqliteStore(path_, options, classifier_, clock_);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
  }
  auto catalog = Open(/*create=*/false);
  ASSERT_NE(catalog, nullptr);
  EXPECT_EQ(*catalog->Projects(), std::vector<std::string>{"imported"});
  EXPECT_EQ(catalog->CreateProject("imported", Settings()).status().code(),
            ErrorCode::kAlreadyExists);
  Result<NewKeys> keys = catalog->AddKeys("imported");
  ASSERT_TRUE(keys.ok()) << keys.status().ToString();
  EXPECT_EQ(catalog->Keys()->size(), 2u);
}

TEST_F(CatalogTest, OpeningAMissingFileWithoutCreateIsNotFound) {
  Result<std::unique_ptr<Catalog>> catalog = OpenSqliteCatalog(path_, clock_, /*create=*/false);
  ASSERT_FALSE(catalog.ok());
  EXPECT_EQ(catalog.status().code(), ErrorCode::kNotFound);
  EXPECT_FALSE(std::filesystem::exists(path_));
}

// A file of schema version 1 (before the catalog): the project row as version 1 made it.
void MakeVersionOneStore(const std::string& path) {
  Result<sqlite::Db> db = sqlite::Db::Open(path);
  ASSERT_TRUE(db.ok());
  ASSERT_TRUE(db->Exec(sqlite::Migrations()[0]).ok());
  ASSERT_TRUE(db->Exec("CREATE TABLE schema_migrations(version INTEGER PRIMARY KEY, "
                       "applied_at INTEGER NOT NULL); "
                       "INSERT INTO schema_migrations VALUES(1, 5); "
                       "INSERT INTO projects(name, created_at, settings) VALUES('old', 5, '{}')")
                  .ok());
}

int64_t SchemaVersion(const std::string& path) {
  Result<sqlite::Db> db = sqlite::Db::Open(path, false);
  Result<sqlite::Stmt> q = db->Prepare("SELECT max(version) FROM schema_migrations");
  EXPECT_TRUE(q.ok() && q->Step().ok());
  return q->Int(0);
}

TEST_F(CatalogTest, AVersionOneStoreIsMigratedOnOpen) {
  MakeVersionOneStore(path_);
  ASSERT_EQ(SchemaVersion(path_), 1);
  auto catalog = Open(/*create=*/false);
  ASSERT_NE(catalog, nullptr);
  EXPECT_EQ(SchemaVersion(path_), static_cast<int64_t>(sqlite::Migrations().size()));
  EXPECT_EQ(*catalog->Projects(), std::vector<std::string>{"old"});
  EXPECT_TRUE(catalog->AddKeys("old").ok());
}

TEST_F(CatalogTest, TheStoreMigratesAVersionOneStoreToo) {
  MakeVersionOneStore(path_);
  Result<std::unique_ptr<Store>> store = OpenStore("new", Settings());
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  EXPECT_EQ(SchemaVersion(path_), static_cast<int64_t>(sqlite::Migrations().size()));
}

TEST_F(CatalogTest, AFileFromANewerAttribIsRefused) {
  ASSERT_NE(Open(), nullptr);
  {
    Result<sqlite::Db> db = sqlite::Db::Open(path_, false);
    ASSERT_TRUE(db->Exec("INSERT INTO schema_migrations VALUES(99, 5)").ok());
  }
  Result<std::unique_ptr<Catalog>> catalog = OpenSqliteCatalog(path_, clock_, false);
  ASSERT_FALSE(catalog.ok());
  EXPECT_EQ(catalog.status().code(), ErrorCode::kFailedPrecondition);
  EXPECT_NE(catalog.status().message().find("newer than this attrib"), std::string::npos);
}

}  // namespace
}  // namespace attrib
