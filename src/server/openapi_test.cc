// docs/openapi.json held to the server: it is what GET /openapi.json serves, it describes every
// route and no other, and — driven by its operations and their declared security, so that a
// new endpoint is covered as soon as it is documented — every operation answers each kind of
// key as documented, with a declared status, content type and body shape. Projects never see
// each other's data.
#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>

#include "common/strings.h"
#include "server/api.h"
#include "server/server_fixture.h"

namespace attrib::server {
namespace {

using namespace test_support;  // NOLINT(build/namespaces): the fixture and its client
using nlohmann::json;

json ReadDocument() {
  std::ifstream in(ATTRIB_SOURCE_DIR "/docs/openapi.json");
  std::stringstream text;
  text << in.rdbuf();
  return json::parse(text.str(), nullptr, false);
}

// `node` with its local $ref followed ("#/components/…").
const json& Resolve(const json& doc, const json& node) {
  const json* n = &node;
  while (n->is_object() && n->contains("$ref")) {
    const std::string ref = (*n)["$ref"];
    EXPECT_TRUE(ref.starts_with("#/")) << ref;
    n = &doc.at(json::json_pointer(ref.substr(1)));
  }
  return *n;
}

// The JSON type names of JSON Schema that `value` has.
bool HasType(const json& value, std::string_view type) {
  if (type == "null") return value.is_null();
  if (type == "boolean") return value.is_boolean();
  if (type == "integer") return value.is_number_integer();
  if (type == "number") return value.is_number();
  if (type == "string") return value.is_string();
  if (type == "array") return value.is_array();
  if (type == "object") return value.is_object();
  ADD_FAILURE() << "unknown type " << type;
  return false;
}

// What of `value` does not fit `schema`, in `errors`, for the keywords the document uses:
// $ref, allOf, anyOf/oneOf (some branch fits), type, const, enum, required, properties,
// additionalProperties, items. `strict`: an object may only have declared properties (answers,
// so that a field the server adds cannot go undocumented).
void CheckShape(const json& doc, const json& schema_node, const json& value, bool strict,
                const std::string& where, std::vector<std::string>* errors) {
  const json& schema = Resolve(doc, schema_node);
  if (schema.contains("allOf")) {
    for (const json& s : schema["allOf"]) CheckShape(doc, s, value, strict, where, errors);
  }
  for (const char* any : {"anyOf", "oneOf"}) {
    if (!schema.contains(any)) continue;
    bool fits = false;
    for (const json& s : schema[any]) {
      std::vector<std::string> branch;
      CheckShape(doc, s, value, strict, where, &branch);
      fits = fits || branch.empty();
    }
    if (!fits) errors->push_back(where + ": fits none of " + any);
  }
  if (schema.contains("type")) {
    const json& t = schema["type"];
    bool ok = false;
    for (const json& name : t.is_array() ? t : json::array({t})) {
      ok = ok || HasType(value, name.get<std::string>());
    }
    if (!ok) errors->push_back(where + ": " + value.dump() + " is not of type " + t.dump());
  }
  if (schema.contains("const") && value != schema["const"]) {
    errors->push_back(where + ": " + value.dump() + " is not " + schema["const"].dump());
  }
  if (schema.contains("enum") &&
      std::find(schema["enum"].begin(), schema["enum"].end(), value) == schema["enum"].end()) {
    errors->push_back(where + ": " + value.dump() + " is none of " + schema["enum"].dump());
  }
  if (value.is_object()) {
    for (const json& name : schema.value("required", json::array())) {
      if (!value.contains(name)) errors->push_back(where + ": no " + name.dump());
    }
    const json properties = schema.value("properties", json::object());
    for (const auto& [name, v] : value.items()) {
      const std::string at = where + "." + name;
      if (properties.contains(name)) {
        CheckShape(doc, properties[name], v, strict, at, errors);
      } else if (schema.contains("additionalProperties")) {
        CheckShape(doc, schema["additionalProperties"], v, strict, at, errors);
      } else if (strict && schema.contains("properties")) {
        errors->push_back(at + ": not in the document");
      }
    }
  }
  if (value.is_array() && schema.contains("items")) {
    for (size_t i = 0; i < value.size(); ++i) {
      CheckShape(doc, schema["items"], value[i], strict, where + "[" + std::to_string(i) + "]",
                 errors);
    }
  }
}

// Whether `schema` (with its allOf) declares the property `name`.
bool Declares(const json& doc, const json& schema_node, const std::string& name) {
  const json& schema = Resolve(doc, schema_node);
  if (schema.contains("properties") && schema["properties"].contains(name)) return true;
  for (const json& s : schema.value("allOf", json::array())) {
    if (Declares(doc, s, name)) return true;
  }
  return false;
}

// Who may call an operation, from its declared security.
enum class Kind { kPublic, kWrite, kRead };

struct Operation {
  std::string method;  // "GET", "POST"
  std::string path;    // as in the document: "/v1/projects/{writeKey}/settings"
  json op;
  Kind kind = Kind::kPublic;
};

std::vector<Operation> Operations(const json& doc) {
  std::vector<Operation> out;
  for (const auto& [path, item] : doc["paths"].items()) {
    for (const auto& [method, op] : Resolve(doc, item).items()) {
      if (method == "parameters" || method == "summary" || method == "description" ||
          method == "servers") {
        continue;
      }
      std::string m = method;
      AsciiUpperInPlace(&m);
      Operation o{m, path, op};
      const json security = op.value("security", doc.value("security", json::array()));
      for (const json& requirement : security) {
        for (const auto& [name, scopes] : requirement.items()) {
          const json& scheme = doc["components"]["securitySchemes"][name];
          const std::string type = scheme.value("type", ""), s = scheme.value("scheme", "");
          if (type == "http" && s == "basic") {
            o.kind = Kind::kWrite;
          } else if (type == "http" && s == "bearer") {
            o.kind = Kind::kRead;
          } else {
            ADD_FAILURE() << path << ": a security scheme this test does not know: " << name;
          }
        }
      }
      out.push_back(std::move(o));
    }
  }
  return out;
}

// The operation's minimal valid request: its path with `path_value` for each path parameter,
// the query parameters that carry an example (a required one must), and its request body's
// example.
struct Example {
  std::string target;
  std::string body;
  bool body_takes_key = false;  // the body's schema declares "writeKey"
};

Example ExampleOf(const json& doc, const Operation& o, const std::string& path_value) {
  Example c;
  c.target = o.path;
  std::string query;
  for (const json& p_node : o.op.value("parameters", json::array())) {
    const json& p = Resolve(doc, p_node);
    const std::string name = p["name"];
    if (p["in"] == "path") {
      const size_t at = c.target.find("{" + name + "}");
      EXPECT_NE(at, std::string::npos) << o.path << ": no {" << name << "}";
      if (at != std::string::npos) c.target.replace(at, name.size() + 2, path_value);
    } else if (!p.contains("example")) {
      EXPECT_FALSE(p.value("required", false))
          << o.path << ": the required parameter " << name << " has no example";
    } else if (p["in"] == "query") {
      const json& example = p["example"];
      query += (query.empty() ? "?" : "&") + name + "=" +
               (example.is_string() ? example.get<std::string>() : example.dump());
    }
  }
  c.target += query;
  if (o.op.contains("requestBody")) {
    const json& media = Resolve(doc, o.op["requestBody"])["content"]["application/json"];
    EXPECT_TRUE(media.contains("example")) << o.method << " " << o.path << ": no example body";
    c.body = media.value("example", json::object()).dump();
    c.body_takes_key = Declares(doc, media["schema"], "writeKey");
  }
  return c;
}

class OpenApiTest : public ServerTest {
 protected:
  OpenApiTest() : doc_(ReadDocument()) {}

  // Sends `c` for `o` and checks that the answer's status is declared for the operation, with
  // its headers, its content type and (for JSON) a body of the declared shape.
  Reply Check(const Operation& o, const Example& c, const Headers& headers,
              const std::string& body) {
    Reply r = Send(http::string_to_verb(o.method), c.target, body, headers);
    const std::string what = o.method + " " + c.target + " → " + std::to_string(r.status);
    const json& responses = o.op["responses"];
    const std::string status = std::to_string(r.status);
    if (!responses.contains(status)) {
      ADD_FAILURE() << what << ": the status is not declared: " << r.body.substr(0, 300);
      return r;
    }
    const json& declared = Resolve(doc_, responses[status]);
    const json headers_declared = declared.value("headers", json::object());
    for (const auto& [name, header] : headers_declared.items()) {
      EXPECT_FALSE(r.headers[name].empty()) << what << ": no " << name;
    }
    std::string type(r.headers[http::field::content_type]);
    type = type.substr(0, type.find(';'));
    const json content = declared.value("content", json::object());
    if (!content.contains(type)) {
      ADD_FAILURE() << what << ": content type " << type << " is not declared";
      return r;
    }
    if (type == "application/json") {
      std::vector<std::string> errors;
      CheckShape(doc_, content[type].value("schema", json::object()), r.json(), /*strict=*/true,
                 "answer", &errors);
      for (const std::string& e : errors) ADD_FAILURE() << what << ": " << e;
    }
    return r;
  }

  // Waits (up to 5 s) for `target` to answer `status` with `read_key`.
  void WaitFor(const std::string& target, const std::string& read_key, unsigned status) {
    EXPECT_EQ(
        GetUntil(target, read_key, [status](const Reply& r) { return r.status == status; }).status,
        status)
        << target;
  }

  json doc_;
};

TEST_F(OpenApiTest, ServedDocumentIsDocsOpenapiJson) {
  ASSERT_FALSE(doc_.is_discarded()) << "docs/openapi.json is not JSON";
  StartServer();
  const Reply r = Send(http::verb::get, "/openapi.json", "");
  ASSERT_EQ(r.status, 200u);
  EXPECT_EQ(r.headers[http::field::content_type], "application/json");
  EXPECT_EQ(r.json(), doc_) << "the binary embeds another docs/openapi.json: rebuild";
  EXPECT_EQ(doc_["openapi"], "3.1.0");
}

TEST_F(OpenApiTest, DocumentsEveryRouteAndNoOther) {
  std::set<std::pair<std::string, std::string>> routes, documented;
  for (const RouteInfo& r : Routes()) routes.emplace(r.method, r.path);
  for (const Operation& o : Operations(doc_)) documented.emplace(o.method, o.path);
  EXPECT_EQ(documented, routes);
}

TEST_F(OpenApiTest, ExamplesFitTheirSchemas) {
  for (const Operation& o : Operations(doc_)) {
    if (!o.op.contains("requestBody")) continue;
    for (const auto& [type, media] : Resolve(doc_, o.op["requestBody"])["content"].items()) {
      if (!media.contains("example")) continue;
      std::vector<std::string> errors;
      CheckShape(doc_, media["schema"], media["example"], /*strict=*/false, o.path, &errors);
      for (const std::string& e : errors) ADD_FAILURE() << o.method << " " << o.path << ": " << e;
    }
  }
}

TEST_F(OpenApiTest, EveryOperationIsAnswered) {
  StartServer();
  for (const Operation& o : Operations(doc_)) {
    const Example c = ExampleOf(doc_, o, a_.write_key);
    const Reply r = Check(o, c, {}, c.body);
    EXPECT_NE(r.status, 404u) << o.method << " " << c.target;
    EXPECT_NE(r.status, 405u) << o.method << " " << c.target;
  }
}

// Queries answering a table give CSV on request, and only those; the rest stay JSON.
TEST_F(OpenApiTest, AnswersCsvWhereTheDocumentSaysSo) {
  StartServer();
  ASSERT_EQ(
      Post("/v1/page", Page("p1", "visitor-1", "https://shop.example/", "", "2026-11-17T10:00:00Z"),
           {{"Authorization", Basic(a_.write_key)}})
          .status,
      200u);
  WaitFor("/v1/journeys?anonymous_id=visitor-1", a_.read_key, 200);
  for (const Operation& o : Operations(doc_)) {
    if (o.kind != Kind::kRead) continue;
    const Example c = ExampleOf(doc_, o, "");
    const bool table = o.op["responses"]["200"]["content"].contains("text/csv");
    const Reply r =
        Check(o, c, {{"Authorization", "Bearer " + a_.read_key}, {"Accept", "text/csv"}}, "");
    ASSERT_EQ(r.status, 200u) << c.target << ": " << r.body;
    EXPECT_EQ(std::string(r.headers[http::field::content_type]).starts_with("text/csv"), table)
        << c.target;
  }
}

// Over its key's rate, every operation taking a key answers as documented (429, Retry-After).
TEST_F(OpenApiTest, RateLimitedAsDocumented) {
  StartServer(/*rate_limit=*/1);
  int limited = 0;
  for (const Operation& o : Operations(doc_)) {
    if (o.kind == Kind::kPublic) continue;
    const Example c = ExampleOf(doc_, o, "");
    const Headers headers = {
        {"Authorization", o.kind == Kind::kWrite ? Basic(a_.write_key) : "Bearer " + a_.read_key}};
    // A bucket of two seconds' worth: the third request of a key is turned away at the latest.
    Reply r;
    for (int i = 0; i < 3 && r.status != 429; ++i) r = Check(o, c, headers, c.body);
    EXPECT_EQ(r.status, 429u) << o.method << " " << c.target;
    EXPECT_GE(std::stoi(std::string(r.headers[http::field::retry_after])), 1);
    ++limited;
  }
  EXPECT_GT(limited, 0);
}

// The kinds of credentials every operation is tried with.
enum class Key {
  kNone,
  kUnknown,
  kWriteA,
  kWriteAInBody,
  kReadA,
  kForgedReadA,  // A's read key id with a wrong secret
  kWriteB,
  kReadB,
  kRevokedWrite,
  kRevokedRead
};
constexpr std::pair<Key, std::string_view> kKeys[] = {
    {Key::kNone, "no key"},
    {Key::kUnknown, "an unknown key"},
    {Key::kWriteA, "A's write key"},
    {Key::kWriteAInBody, "A's write key in the body"},
    {Key::kReadA, "A's read key"},
    {Key::kForgedReadA, "A's read key with a wrong secret"},
    {Key::kWriteB, "B's write key"},
    {Key::kReadB, "B's read key"},
    {Key::kRevokedWrite, "a revoked write key"},
    {Key::kRevokedRead, "a revoked read key"},
};

// The status an operation of `kind` answers `key` with (the minimal request being valid).
unsigned Expected(Kind kind, Key key) {
  switch (kind) {
    case Kind::kPublic:
      return 200;
    case Kind::kWrite:
      switch (key) {
        case Key::kWriteA:
        case Key::kWriteAInBody:
        case Key::kWriteB:
          return 200;
        case Key::kReadA:
        case Key::kReadB:
          return 403;
        default:
          return 401;
      }
    case Kind::kRead:
      switch (key) {
        case Key::kReadA:
        case Key::kReadB:
          return 200;
        case Key::kWriteA:
        case Key::kWriteB:
          return 403;
        default:
          return 401;
      }
  }
  return 0;
}

class AuthMatrixTest : public OpenApiTest {
 protected:
  // Project C, its keys revoked while the server runs; revocation takes effect within the
  // key refresh.
  void StartWithRevokedProject() {
    c_ = Create("revoked");
    StartServer();
    const std::string page =
        Page("c1", "anon-c", "https://shop.example/", "", "2026-11-17T10:00:00Z");
    ASSERT_EQ(Post("/v1/page", page, {{"Authorization", Basic(c_.write_key)}}).status, 200u);
    ASSERT_TRUE(catalog_->RevokeKey(c_.write_key).ok());
    ASSERT_TRUE(catalog_->RevokeKey(c_.read_key).ok());
    Reply r;
    for (int i = 0; i < 100; ++i) {
      r = Post("/v1/page", page, {{"Authorization", Basic(c_.write_key)}});
      if (r.status == 401) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ASSERT_EQ(r.status, 401u);
    EXPECT_NE(r.json()["message"].get<std::string>().find("revoked"), std::string::npos);
    WaitFor("/v1/stats", c_.read_key, 401);
  }

  std::string Value(Key key) const {
    switch (key) {
      case Key::kNone:
        return "";
      case Key::kUnknown:
        return "not-a-key";
      case Key::kWriteA:
      case Key::kWriteAInBody:
        return a_.write_key;
      case Key::kReadA:
        return a_.read_key;
      case Key::kForgedReadA: {
        std::string forged = a_.read_key;
        forged.back() = forged.back() == 'a' ? 'b' : 'a';
        return forged;
      }
      case Key::kWriteB:
        return b_.write_key;
      case Key::kReadB:
        return b_.read_key;
      case Key::kRevokedWrite:
        return c_.write_key;
      case Key::kRevokedRead:
        return c_.read_key;
    }
    return "";
  }

  // The headers and body sending `key` to an operation of `kind`: write keys as HTTP Basic (or
  // in the body), read keys as Bearer tokens, as each kind of operation reads them.
  std::pair<Headers, std::string> With(Key key, Kind kind, const Example& c) const {
    const std::string k = Value(key);
    Headers headers = {{"Content-Type", "application/json"}};
    std::string body = c.body;
    if (key == Key::kWriteAInBody) {
      json j = json::parse(c.body);
      j["writeKey"] = k;
      body = j.dump();
    } else if (key != Key::kNone) {
      const bool basic = kind == Kind::kWrite || (kind == Kind::kPublic && !k.starts_with("rk_"));
      headers.emplace_back("Authorization", basic ? Basic(k) : "Bearer " + k);
    }
    return {headers, body};
  }

  NewKeys c_;
};

TEST_F(AuthMatrixTest, EveryOperationAnswersEachKindOfKey) {
  StartWithRevokedProject();
  std::vector<Operation> ops = Operations(doc_);
  // Ingest first: the queries' examples ask for what it stored (in A and in B).
  std::stable_sort(ops.begin(), ops.end(), [](const Operation& x, const Operation& y) {
    return (x.kind == Kind::kWrite) > (y.kind == Kind::kWrite);
  });
  bool waited = false;
  std::map<Kind, int> covered;
  for (const Operation& o : ops) {
    const Example c = ExampleOf(doc_, o, a_.write_key);
    if (o.kind != Kind::kWrite && !waited) {
      // The people the ingest made, derived.
      const std::string journey = "/v1/journeys?anonymous_id=visitor-1";
      WaitFor(journey, a_.read_key, 200);
      WaitFor(journey, b_.read_key, 200);
      waited = true;
    }
    ++covered[o.kind];
    for (const auto& [key, name] : kKeys) {
      if (key == Key::kWriteAInBody && !c.body_takes_key) continue;
      const auto [headers, body] = With(key, o.kind, c);
      const Reply r = Check(o, c, headers, body);
      EXPECT_EQ(r.status, Expected(o.kind, key))
          << o.method << " " << c.target << " with " << name << ": " << r.body.substr(0, 300);
      if (o.kind == Kind::kWrite && r.status == 200) {
        EXPECT_EQ(r.json()["rejected"], 0) << o.path << ": the example is refused: " << r.body;
      }
    }
  }
  for (const Kind kind : {Kind::kPublic, Kind::kWrite, Kind::kRead}) EXPECT_GT(covered[kind], 0);
}

// The same anonymous id in both projects, each with its own campaign and order; B has one more
// visitor. Every query answers each project from its own data only.
TEST_F(AuthMatrixTest, ProjectsSeeOnlyTheirOwnData) {
  StartServer();
  const std::string at = "2026-11-17T10:00:00Z", later = "2026-11-17T10:05:00Z";
  const auto url = [](const std::string& name) {
    return "https://shop.example/?utm_source=" + name +
           "-news&utm_medium=email&utm_campaign=" + name + "-launch";
  };
  const std::string to_a = R"({"batch":[)" + Page("a1", "visitor-1", url("amberwave"), "", at) +
                           "," + Order("a2", "visitor-1", 11, later) + "]}";
  const std::string to_b = R"({"batch":[)" + Page("b1", "visitor-1", url("bluefjord"), "", at) +
                           "," + Page("b2", "only-b", url("bluefjord"), "", at) + "," +
                           Order("b3", "visitor-1", 77, later) + "]}";
  ASSERT_EQ(Post("/v1/batch", to_a, {{"Authorization", Basic(a_.write_key)}}).status, 200u);
  ASSERT_EQ(Post("/v1/batch", to_b, {{"Authorization", Basic(b_.write_key)}}).status, 200u);
  for (const std::string* key : {&a_.read_key, &b_.read_key}) {
    GetUntil("/v1/stats", *key, [](const Reply& r) { return r.json()["conversions"] == 1; });
  }

  struct Side {
    const std::string& read_key;
    std::string mine, theirs;  // campaign and source names
    int sessions;
    double revenue;
  };
  const Side sides[] = {{a_.read_key, "amberwave", "bluefjord", 1, 11},
                        {b_.read_key, "bluefjord", "amberwave", 2, 77}};
  for (const Side& side : sides) {
    SCOPED_TRACE(side.mine);
    // Every query of the document: nothing of the other project, grouped by campaign where it
    // can be.
    for (const Operation& o : Operations(doc_)) {
      if (o.kind != Kind::kRead) continue;
      Example c = ExampleOf(doc_, o, "");
      for (const json& p : o.op["parameters"]) {
        const std::string name = Resolve(doc_, p)["name"];
        if (name == "by" || name == "breakdown") {
          c.target += (c.target.find('?') == std::string::npos ? "?" : "&") + name + "=campaign";
        }
      }
      const Reply r = Check(o, c, {{"Authorization", "Bearer " + side.read_key}}, "");
      ASSERT_EQ(r.status, 200u) << c.target << ": " << r.body;
      EXPECT_EQ(r.body.find(side.theirs), std::string::npos) << c.target << ": " << r.body;
    }

    Reply r = Get("/v1/stats", side.read_key);
    EXPECT_EQ(r.json()["sessions"], side.sessions) << r.body;
    EXPECT_EQ(r.json()["conversions"], 1);
    EXPECT_DOUBLE_EQ(r.json()["revenue"].get<double>(), side.revenue);

    r = Get("/v1/sources?breakdown=campaign", side.read_key);
    ASSERT_EQ(r.json().size(), 1u) << r.body;
    EXPECT_EQ(r.json()[0]["campaign"], side.mine + "-launch");
    EXPECT_EQ(r.json()[0]["events"], side.sessions);

    for (const char* target : {"/v1/attribution?by=source", "/v1/attribution/compare?by=source"}) {
      r = Get(target, side.read_key);
      ASSERT_FALSE(r.json().empty()) << target;
      for (const json& row : r.json()) {
        EXPECT_EQ(row["source"], side.mine + "-news") << target << ": " << r.body;
        EXPECT_DOUBLE_EQ(row["revenue"].get<double>(), side.revenue) << target << ": " << r.body;
      }
    }

    r = Get("/v1/rules", side.read_key);
    int64_t sessions = 0;
    const json audit = r.json();
    for (const json& rule : audit["rules"]) sessions += rule["sessions"].get<int64_t>();
    EXPECT_EQ(sessions, side.sessions);

    r = Get("/v1/journeys?anonymous_id=visitor-1", side.read_key);
    ASSERT_EQ(r.status, 200u) << r.body;
    ASSERT_EQ(r.json()["sessions"].size(), 1u) << r.body;
    EXPECT_EQ(r.json()["sessions"][0]["campaign"], side.mine + "-launch");
    EXPECT_DOUBLE_EQ(r.json()["conversions"][0]["revenue"].get<double>(), side.revenue);
  }
  EXPECT_EQ(Get("/v1/journeys?anonymous_id=only-b", a_.read_key).status, 404u);
  EXPECT_EQ(Get("/v1/journeys?anonymous_id=only-b", b_.read_key).status, 200u);
}

}  // namespace
}  // namespace attrib::server
