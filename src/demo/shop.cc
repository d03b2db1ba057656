#include "demo/shop.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <iterator>
#include <string_view>
#include <vector>

#include "attrib/classify.h"
#include "common/rng.h"
#include "common/strings.h"
#include "common/time.h"
#include "common/url.h"
#include "demo/traffic.h"

namespace attrib::demo {
namespace {

using std::string_view_literals::operator""sv;

constexpr Micros kMilli = 1'000;
constexpr Micros kSecond = 1'000'000;
constexpr Micros kMinute = 60 * kSecond;
constexpr Micros kHour = 60 * kMinute;
constexpr Micros kDay = 24 * kHour;

struct Product {
  std::string_view id;  // the slug of its page, /products/<id> (TrafficGenerator's products)
  std::string_view name;
  int64_t cents;
};
constexpr Product kCatalog[] = {
    {"linen-shirt", "Linen Shirt", 6950},   {"wool-socks", "Wool Socks", 1800},
    {"rain-jacket", "Rain Jacket", 18900},  {"canvas-tote", "Canvas Tote", 2950},
    {"leather-belt", "Leather Belt", 5500}, {"running-shoes", "Running Shoes", 12900},
    {"denim-jeans", "Denim Jeans", 9800},   {"silk-scarf", "Silk Scarf", 7900},
    {"field-watch", "Field Watch", 24500},  {"sun-hat", "Sun Hat", 3450}};
constexpr int kProductCount = static_cast<int>(std::size(kCatalog));

constexpr std::string_view kPhoneAgents[] = {
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
    "Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
    "Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/129.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Linux; Android 13; SM-S911B) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/128.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
    "Gecko) CriOS/129.0.6668.69 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
    "Gecko) Mobile/15E148 [FBAN/FBIOS;FBAV/480.0.0.40.107;FBDV/iPhone15,3;FBMD/iPhone;FBSN/iOS;"
    "FBSV/17.5;FBSS/3;FBLC/en_US;FBOP/5]",
    "Mozilla/5.0 (Linux; Android 14; SM-A546B Build/UP1A.231005.007; wv) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Version/4.0 Chrome/129.0.6668.81 Mobile Safari/537.36 Instagram "
    "352.0.0.38.100 Android"};
constexpr std::string_view kDesktopAgents[] = {
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/129.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/129.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/18.0 Safari/605.1.15",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/129.0.0.0 Safari/537.36 Edg/129.0.0.0",
    "Mozilla/5.0 (X11; Linux x86_64; rv:131.0) Gecko/20100101 Firefox/131.0",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:131.0) Gecko/20100101 Firefox/131.0"};
constexpr std::string_view kLocales[] = {"en-US", "en-US", "en-US", "en-GB",
                                         "en-CA", "de-DE", "fr-FR", "es-ES"};

// The chance that a session converts, in per mille, by the channel of its entry (in the order of
// Channel), before the factors of the person, the session's ordinal and earlier orders. Email,
// paid search and returning direct visits convert best, organic social worst, so first-touch and
// last-touch models disagree.
constexpr int kConversionPerMille[kChannelCount] = {
    15,  // direct (a first visit)
    22,  // organic_search
    40,  // paid_search
    7,   // organic_social
    16,  // paid_social
    50,  // email
    8,   // display
    35,  // affiliate
    20,  // referral
    10,  // organic_video
    10,  // paid_video
    45,  // sms
    35,  // ai_assistant
    12,  // paid_other
    20,  // internal (the shop's blog)
};
constexpr int kReturningDirectPerMille = 45;

constexpr int kMaxSessions = 20;              // per person
constexpr Micros kSessionGap = 35 * kMinute;  // between a person's session starts, at least
constexpr double kKeenShare = 0.25;           // persons who mean to buy: more sessions, more orders
constexpr double kLoginChance = 0.5;          // a known person logs in on a new device's session
constexpr double kAliasChance = 0.45;         // an identify is followed by an alias
constexpr double kEarlyUserChance = 0.05;     // the userId is stamped before the identify is sent
constexpr double kBatchChance = 0.02;         // a message starts a batch envelope
constexpr Micros kBatchSpan = 30 * kSecond;   // a batch holds messages this close to its first
constexpr double kRetryChance = 0.02;         // a message is retried, so sent and written late

enum class Kind : uint8_t {
  kPage,
  kProductViewed,
  kProductAdded,
  kIdentify,
  kSignedUp,
  kOrder,
  kAlias
};

struct Event {
  Kind kind;
  bool user;       // carries the userId
  uint8_t page;    // the page it happened on (index into the session's pages)
  int8_t product;  // kCatalog index, for product tracks
  Micros t;        // true time
};

struct Page {
  std::string url;
  std::string json;       // {"path":…,"referrer":…,"search":…,"title":…,"url":…}
  std::string campaign;   // ,"campaign":{…} when the URL carries utm_* parameters, else empty
  std::string_view name;  // the page's name for analytics.page(), or empty
  std::string path;       // of `url`
  int product = -1;       // kCatalog index on a product page
};

struct LineItem {
  int product;
  int quantity;
};

struct Device {
  std::string anonymous_id;  // a JSON string, quotes included
  std::string context;       // ,"userAgent":…,"library":{…},"locale":… inside "context"
  Micros skew = 0;           // of the device's clock
  bool logged_in = false;    // its messages carry the userId
};

// The four timestamps of a message.
struct Timing {
  Micros original, timestamp, sent, received;
};

// A line of the current person's, at [begin, end) of the output, to be written in `key` order.
struct Span {
  Micros key;
  size_t begin, end;
};

// splitmix64's finalizer: a bijection, so distinct inputs give distinct outputs.
uint64_t Mix(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

void AppendHex(uint64_t v, int digits, std::string* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  char buf[16];
  for (int i = digits - 1; i >= 0; --i, v >>= 4) buf[i] = kHex[v & 15];
  out->append(buf, static_cast<size_t>(digits));
}

// "12.30" for 1230 cents: a JSON number with two decimals.
void AppendCents(int64_t cents, std::string* out) {
  char buf[24];
  char* p = buf + sizeof buf;
  int64_t v = cents;
  for (int digits = 0; digits < 3 || v > 0; ++digits, v /= 10) {
    if (digits == 2) *--p = '.';
    *--p = static_cast<char>('0' + v % 10);
  }
  out->append(p, static_cast<size_t>(buf + sizeof buf - p));
}

bool IsReturningChannel(Channel c) { return c == Channel::kDirect || c == Channel::kEmail; }

// Milliseconds uniform in [lo, hi), as Micros.
Micros Millis(Rng& rng, Micros lo_ms, Micros hi_ms) {
  return (lo_ms + static_cast<Micros>(rng.Below(static_cast<uint64_t>(hi_ms - lo_ms)))) * kMilli;
}

}  // namespace

class ShopGenerator::Simulator {
 public:
  Simulator(uint64_t seed, ShopOptions options)
      : rng_(seed ^ 0x73686f702d646d6fULL),
        traffic_(seed, TrafficOptions{options.host, /*max_internal_views=*/4}),
        options_(std::move(options)),
        id_salt_(Mix(seed + 0x6d65737361676573ULL)),
        start_(options_.end - options_.days * kDay) {}

  bool NextVisitor(std::string* out);

 private:
  void NewPerson();
  void RunSession(int ordinal, Micros start);
  void DrawSession(int ordinal);
  int AddPage(std::string_view url, std::string referrer);
  Micros VisitPage(int page, Micros t, bool login);
  void Checkout(int page, Micros t);
  void Identify(int page, Micros t);
  void BuildOrder();
  void WriteSession();
  void WriteMessage(const Event& e, const Timing& timing);
  Micros ClientDelay();
  void AppendTime(Micros t, std::string* out);

  Rng rng_;
  TrafficGenerator traffic_;
  ShopOptions options_;
  uint64_t id_salt_;  // keys the message ids of this seed
  Micros start_;      // of the time window
  uint64_t visitor_ = 0;
  uint64_t messages_ = 0;
  uint64_t orders_ = 0;

  // The current person.
  Device devices_[2];
  int device_count_ = 1;
  std::string user_id_;  // "user-<n>", a JSON string
  bool identified_ = false;
  bool bought_ = false;
  bool member_ = false;
  bool keen_ = false;
  std::string* lines_ = nullptr;  // the output; their lines are put in `spans_` key order
  std::vector<Span> spans_;

  // The current session.
  int device_ = 0;
  std::vector<PageView> views_;
  std::vector<Page> pages_;  // the first `page_count_` are this session's; the rest are reused
  int page_count_ = 0;
  std::vector<Event> events_;
  std::vector<LineItem> cart_;
  std::string order_;  // the properties of the session's Order Completed
  std::string scratch_;

  // AppendTime's memo: a day and a second (since the epoch), and the text of the second.
  int64_t memo_day_ = INT64_MIN;
  int64_t memo_second_ = INT64_MIN;
  std::string memo_;
};

bool ShopGenerator::Simulator::NextVisitor(std::string* out) {
  if (visitor_ >= options_.visitors) return false;
  ++visitor_;
  NewPerson();
  lines_ = out;
  const size_t base = out->size();
  spans_.clear();
  int sessions = 1;
  const double more = keen_ ? 0.62 : 0.33;
  while (sessions < kMaxSessions && rng_.Chance(more)) ++sessions;
  // Session starts uniform in [start_, end - 1 h), at least kSessionGap apart: sorted uniform
  // draws in a window shortened by the gaps, then the gaps put back.
  Micros starts[kMaxSessions];
  const Micros span = options_.end - kHour - start_ - (sessions - 1) * kSessionGap;
  for (int i = 0; i < sessions; ++i) {
    starts[i] = static_cast<Micros>(rng_.Below(static_cast<uint64_t>(span / kMilli))) * kMilli;
  }
  std::sort(starts, starts + sessions);
  for (int i = 0; i < sessions; ++i) RunSession(i, start_ + starts[i] + i * kSessionGap);
  // Most persons' lines are in order already; the others are rewritten in order.
  const auto by_key = [](const Span& a, const Span& b) { return a.key < b.key; };
  if (!std::is_sorted(spans_.begin(), spans_.end(), by_key)) {
    std::stable_sort(spans_.begin(), spans_.end(), by_key);
    scratch_.assign(*out, base);
    out->resize(base);
    for (const Span& s : spans_) out->append(scratch_, s.begin - base, s.end - s.begin);
  }
  return true;
}

void ShopGenerator::Simulator::NewPerson() {
  device_count_ = rng_.Chance(0.2) ? 2 : 1;
  const bool phone_only = rng_.Chance(0.62);
  for (int i = 0; i < device_count_; ++i) {
    Device& d = devices_[i];
    // A version 4 UUID.
    uint64_t hi = rng_.Next(), lo = rng_.Next();
    hi = (hi & ~0xF000ULL) | 0x4000ULL;
    lo = (lo & 0x3FFFFFFFFFFFFFFFULL) | 0x8000000000000000ULL;
    d.anonymous_id = "\"";
    AppendHex(hi >> 32, 8, &d.anonymous_id);
    d.anonymous_id += '-';
    AppendHex(hi >> 16, 4, &d.anonymous_id);
    d.anonymous_id += '-';
    AppendHex(hi, 4, &d.anonymous_id);
    d.anonymous_id += '-';
    AppendHex(lo >> 48, 4, &d.anonymous_id);
    d.anonymous_id += '-';
    AppendHex(lo, 12, &d.anonymous_id);
    d.anonymous_id += '"';
    // Two devices are a phone and a laptop.
    const bool phone = device_count_ == 2 ? i == 0 : phone_only;
    d.context = ",\"userAgent\":";
    AppendJsonString(&d.context, phone ? rng_.Pick(kPhoneAgents) : rng_.Pick(kDesktopAgents));
    d.context += R"(,"library":{"name":"analytics.js","version":"next-1.70.0"},"locale":")";
    d.context += rng_.Pick(kLocales);
    d.context += '"';
    d.skew = 0;
    if (rng_.Chance(0.05)) {                     // a clock off by a minute to two hours, either way
      d.skew = Millis(rng_, 60'000, 7'200'000);  // one draw per statement (evaluation order)
      if (rng_.Chance(0.5)) d.skew = -d.skew;
    }
    d.logged_in = false;
  }
  user_id_ = fmt::format("\"user-{}\"", visitor_);
  identified_ = bought_ = member_ = false;
  keen_ = rng_.Chance(kKeenShare);
}

void ShopGenerator::Simulator::DrawSession(int ordinal) {
  views_.clear();
  traffic_.NextSession(&views_);
  // Returning visitors come back direct or from the newsletter more often than new ones.
  if (ordinal > 0 && rng_.Chance(0.3)) {
    for (int i = 0; i < 8 && !IsReturningChannel(views_[0].channel); ++i) {
      views_.clear();
      traffic_.NextSession(&views_);
    }
  }
}

// Adds a page to the session (`referrer` is a copy: pages_ may move).
int ShopGenerator::Simulator::AddPage(std::string_view url, std::string referrer) {
  if (static_cast<size_t>(page_count_) == pages_.size()) pages_.emplace_back();
  Page& p = pages_[static_cast<size_t>(page_count_)];
  p.url = url;
  UrlParts parts;
  if (!SplitUrl(p.url, &parts).ok()) parts = UrlParts{};
  p.path = parts.path.empty() ? std::string_view("/") : parts.path;
  const std::string_view last = std::string_view(p.path).substr(p.path.rfind('/') + 1);
  p.name = {};
  p.product = -1;
  if (p.path.starts_with("/products/")) {
    p.name = "Product";
    for (int i = 0; i < kProductCount; ++i) {
      if (kCatalog[i].id == last) p.product = i;
    }
  } else if (p.path.starts_with("/collections/")) {
    p.name = "Collection";
  } else if (p.path == "/cart") {
    p.name = "Cart";
  } else if (p.path == "/checkout") {
    p.name = "Checkout";
  }
  // The title: "Linen Shirt | Demo Shop" from the last path segment.
  scratch_.clear();
  for (size_t i = 0; i < last.size(); ++i) {
    const char c = last[i];
    const bool word_start = i == 0 || last[i - 1] == '-';
    if (c == '-') {
      scratch_ += ' ';
    } else {
      scratch_ += word_start && c >= 'a' && c <= 'z' ? static_cast<char>(c - 32) : c;
    }
  }
  if (!scratch_.empty()) scratch_ += " | "sv;
  scratch_ += "Demo Shop"sv;

  p.json = "{\"path\":";
  AppendJsonString(&p.json, p.path);
  p.json += ",\"referrer\":"sv;
  AppendJsonString(&p.json, referrer);
  p.json += ",\"search\":\""sv;
  if (!parts.query.empty()) {
    p.json += '?';
    // Re-escape through AppendJsonString without its quotes.
    const size_t at = p.json.size();
    AppendJsonString(&p.json, parts.query);
    p.json.erase(at, 1);
    p.json.pop_back();
  }
  p.json += "\",\"title\":"sv;
  AppendJsonString(&p.json, scratch_);
  p.json += ",\"url\":"sv;
  AppendJsonString(&p.json, p.url);
  p.json += '}';

  // analytics.js reads utm_* parameters of the page's query into context.campaign, decoded.
  static constexpr std::string_view kUtm[][2] = {{"utm_campaign", "name"},
                                                 {"utm_source", "source"},
                                                 {"utm_medium", "medium"},
                                                 {"utm_term", "term"},
                                                 {"utm_content", "content"}};
  p.campaign.clear();
  const bool has_utm = parts.query.find("utm_") != std::string_view::npos;
  for (const auto& [param, field] : kUtm) {
    if (!has_utm) break;
    QueryIterator it(parts.query);
    std::string_view name, value;
    while (it.Next(&name, &value)) {
      if (name != param) continue;
      p.campaign += p.campaign.empty() ? ",\"campaign\":{\""sv : ",\""sv;
      p.campaign += field;
      p.campaign += "\":"sv;
      scratch_.clear();
      PercentDecodeAppend(value, /*plus_is_space=*/true, &scratch_);
      AppendJsonString(&p.campaign, scratch_);
      break;
    }
  }
  if (!p.campaign.empty()) p.campaign += '}';
  return page_count_++;
}

Micros ShopGenerator::Simulator::ClientDelay() {
  return rng_.Chance(0.8) ? Millis(rng_, 0, 300) : Millis(rng_, 300, 5'000);
}

// Emits a page view at `t` and what happens on the page; returns when the next page is viewed.
Micros ShopGenerator::Simulator::VisitPage(int page, Micros t, bool login) {
  const auto p = static_cast<uint8_t>(page);
  Device& dev = devices_[device_];
  events_.push_back({Kind::kPage, dev.logged_in, p, -1, t});
  // A glance of a second or two, a read of a minute or so, now and then a long look.
  Micros dwell = Millis(rng_, 1'000, 13'000);
  if (rng_.Chance(0.6)) dwell += Millis(rng_, 0, 50'000);
  if (rng_.Chance(0.25)) dwell += Millis(rng_, 0, 100'000);
  if (login) {
    dwell = std::max(dwell, 2 * kSecond);
    Identify(page, t + Millis(rng_, 300, 1'300));
  }
  const int product = pages_[static_cast<size_t>(page)].product;
  if (product >= 0 && rng_.Chance(0.6)) {
    dwell = std::max(dwell, 4 * kSecond);
    const auto id = static_cast<int8_t>(product);
    events_.push_back({Kind::kProductViewed, dev.logged_in, p, id, t + Millis(rng_, 1'500, 3'000)});
    if (rng_.Chance(0.3)) {
      events_.push_back({Kind::kProductAdded, dev.logged_in, p, id,
                         t + Millis(rng_, 3'200, (dwell - 500 * kMilli) / kMilli)});
      cart_.push_back({product, rng_.Chance(0.9) ? 1 : 2});
    }
  }
  return t + dwell;
}

void ShopGenerator::Simulator::Identify(int page, Micros t) {
  Device& dev = devices_[device_];
  dev.logged_in = identified_ = true;
  const auto p = static_cast<uint8_t>(page);
  events_.push_back({Kind::kIdentify, true, p, -1, t});
  if (rng_.Chance(kAliasChance)) {
    events_.push_back({Kind::kAlias, true, p, -1, t + Millis(rng_, 100, 400)});
  }
}

// The checkout page at `t`: log in if needed, maybe sign up, order.
void ShopGenerator::Simulator::Checkout(int page, Micros t) {
  Device& dev = devices_[device_];
  const bool first_order = !bought_;
  const bool sign_up = first_order && !member_ && rng_.Chance(0.1);
  if (sign_up) member_ = true;
  const Micros at = t + Millis(rng_, 20'000, 120'000);
  const Micros order_at = at + Millis(rng_, 1'000, 3'000);
  // Now and then the page stamps the userId on the order before the identify call is sent.
  const bool identify_late = !dev.logged_in && rng_.Chance(kEarlyUserChance);
  if (identify_late) {
    dev.logged_in = true;
  } else if (!dev.logged_in) {
    Identify(page, at);
  }
  const auto p = static_cast<uint8_t>(page);
  if (sign_up) events_.push_back({Kind::kSignedUp, true, p, -1, at + Millis(rng_, 500, 900)});
  events_.push_back({Kind::kOrder, true, p, -1, order_at});
  if (identify_late) Identify(page, order_at + Millis(rng_, 1'000, 4'000));
  BuildOrder();
  bought_ = true;
}

void ShopGenerator::Simulator::BuildOrder() {
  LineItem items[8];
  int count = 0;
  // What was added to the cart this session, else a few products (added on an earlier visit).
  for (const LineItem& c : cart_) {
    int i = 0;
    while (i < count && items[i].product != c.product) ++i;
    if (i == count && count < 8) items[count++] = c;
  }
  if (count == 0) {
    const uint64_t roll = rng_.Below(100);
    const int n = roll < 55   ? 1
                  : roll < 82 ? 2
                  : roll < 94 ? 3
                              : 4 + static_cast<int>(rng_.Below(4));
    for (int k = 0; k < n; ++k) {
      const int product = static_cast<int>(rng_.Below(kProductCount));
      int i = 0;
      while (i < count && items[i].product != product) ++i;
      const uint64_t q = rng_.Below(100);
      if (i == count) items[count++] = {product, q < 88 ? 1 : q < 97 ? 2 : 3};
    }
  }
  int64_t subtotal = 0;
  for (int i = 0; i < count; ++i) subtotal += kCatalog[items[i].product].cents * items[i].quantity;
  const bool coupon = !bought_ && rng_.Chance(0.15);
  const int64_t discount = coupon ? subtotal * 15 / 100 : 0;
  order_ = fmt::format("{{\"order_id\":\"order-{}\",\"revenue\":", ++orders_);
  AppendCents(subtotal - discount, &order_);
  order_ += R"(,"currency":"USD","products":[)";
  for (int i = 0; i < count; ++i) {
    const Product& product = kCatalog[items[i].product];
    fmt::format_to(std::back_inserter(order_),
                   "{}{{\"product_id\":\"{}\",\"name\":\"{}\",\"price\":", i == 0 ? "" : ",",
                   product.id, product.name);
    AppendCents(product.cents, &order_);
    fmt::format_to(std::back_inserter(order_), ",\"quantity\":{}}}", items[i].quantity);
  }
  order_ += ']';
  if (coupon) {
    order_ += R"(,"coupon":"WELCOME15","discount":)";
    AppendCents(discount, &order_);
  }
  order_ += '}';
}

void ShopGenerator::Simulator::RunSession(int ordinal, Micros start) {
  device_ = device_count_ == 1 ? 0 : static_cast<int>(rng_.Below(2));
  Device& dev = devices_[device_];
  DrawSession(ordinal);
  page_count_ = 0;
  events_.clear();
  cart_.clear();
  for (const PageView& v : views_) AddPage(v.url, v.referrer);

  const Channel channel = views_[0].channel;
  const int per_mille = ordinal > 0 && channel == Channel::kDirect
                            ? kReturningDirectPerMille
                            : kConversionPerMille[static_cast<int>(channel)];
  const double p = per_mille / 1000.0 * (1 + 0.4 * std::min(ordinal, 4)) * (keen_ ? 2.5 : 0.6) *
                   (bought_ ? 0.6 : 1.0);
  const bool converts = rng_.Chance(p);
  // A person known on another device logs in on this one now and then.
  const bool login = !dev.logged_in && identified_ && rng_.Chance(kLoginChance);

  Micros t = start;
  const int views = page_count_;
  for (int i = 0; i < views; ++i) t = VisitPage(i, t, login && i == 0);
  if (converts) {
    const std::string base = fmt::format("https://{}", options_.host);
    if (pages_[static_cast<size_t>(views - 1)].path != "/cart") {
      const int cart = AddPage(base + "/cart", pages_[static_cast<size_t>(views - 1)].url);
      t = VisitPage(cart, t, false);
    }
    const int checkout =
        AddPage(base + "/checkout", pages_[static_cast<size_t>(page_count_ - 1)].url);
    events_.push_back({Kind::kPage, dev.logged_in, static_cast<uint8_t>(checkout), -1, t});
    Checkout(checkout, t);
  }
  std::stable_sort(events_.begin(), events_.end(),
                   [](const Event& a, const Event& b) { return a.t < b.t; });
  WriteSession();
}

// Turns the session's events into lines: mostly one message each, now and then a batch of
// messages sent together, and a few retried ones that arrive (and are written) late.
void ShopGenerator::Simulator::WriteSession() {
  const Micros skew = devices_[device_].skew;
  for (size_t i = 0; i < events_.size();) {
    std::string& out = *lines_;
    const size_t begin = out.size();
    const Micros t = events_[i].t;
    const Micros latency = Millis(rng_, 10, 300);
    size_t n = 1;
    if (rng_.Chance(kBatchChance)) {
      const size_t most = 2 + rng_.Below(3);
      while (n < most && i + n < events_.size() && events_[i + n].t - t <= kBatchSpan) ++n;
    }
    Micros key = t;
    if (n == 1) {
      Micros delay = ClientDelay();
      if (rng_.Chance(kRetryChance)) {
        delay = Millis(rng_, 5'000, 1'200'000);
        key = t + delay + latency;
      }
      WriteMessage(events_[i], {t + skew, t + latency, t + skew + delay, t + delay + latency});
    } else {
      const Micros sent = events_[i + n - 1].t + ClientDelay();  // true time
      out += "{\"batch\":["sv;
      for (size_t k = i; k < i + n; ++k) {
        if (k > i) out += ',';
        const Micros tk = events_[k].t;
        WriteMessage(events_[k], {tk + skew, tk + latency, sent + skew, sent + latency});
      }
      out += "],\"sentAt\":\""sv;
      AppendTime(sent + skew, &out);
      out += "\"}"sv;
    }
    out += '\n';
    spans_.push_back({key, begin, out.size()});
    i += n;
  }
}

void ShopGenerator::Simulator::WriteMessage(const Event& e, const Timing& timing) {
  static constexpr std::string_view kTypes[] = {"page",  "track", "track", "identify",
                                                "track", "track", "alias"};
  static constexpr std::string_view kEvents[] = {
      "", "Product Viewed", "Product Added", "", "Signed Up", "Order Completed", ""};
  const Device& dev = devices_[device_];
  const Page& page = pages_[e.page];
  std::string& out = *lines_;
  const auto kind = static_cast<size_t>(e.kind);
  out += "{\"type\":\""sv;
  out += kTypes[kind];
  out += "\",\"messageId\":\"ajs-next-"sv;
  AppendHex(Mix(messages_++ ^ id_salt_), 16, &out);
  AppendHex(rng_.Next(), 16, &out);
  out += "\",\"anonymousId\":"sv;
  out += dev.anonymous_id;
  if (e.user) {
    out += ",\"userId\":"sv;
    out += user_id_;
  }
  if (!kEvents[kind].empty()) {
    out += ",\"event\":\""sv;
    out += kEvents[kind];
    out += '"';
  }
  switch (e.kind) {
    case Kind::kPage:
      if (!page.name.empty()) {
        out += ",\"name\":\""sv;
        out += page.name;
        out += '"';
      }
      out += ",\"properties\":"sv;
      out += page.json;
      break;
    case Kind::kProductViewed:
    case Kind::kProductAdded: {
      const Product& product = kCatalog[e.product];
      out += ",\"properties\":{\"product_id\":\""sv;
      out += product.id;
      out += "\",\"name\":\""sv;
      out += product.name;
      out += "\",\"price\":"sv;
      AppendCents(product.cents, &out);
      out += e.kind == Kind::kProductAdded ? ",\"quantity\":1,\"currency\":\"USD\"}"
                                           : ",\"currency\":\"USD\"}";
      break;
    }
    case Kind::kIdentify:
      // user_id_ is "\"user-<n>\"": the email is user-<n>@example.com.
      out += ",\"traits\":{\"email\":"sv;
      out.append(user_id_, 0, user_id_.size() - 1);
      out += "@example.com\",\"plan\":\""sv;
      out += member_ ? "member"sv : "guest"sv;
      out += "\"}"sv;
      break;
    case Kind::kSignedUp:
      out += ",\"properties\":{\"method\":\"checkout\"}"sv;
      break;
    case Kind::kOrder:
      out += ",\"properties\":"sv;
      out += order_;
      break;
    case Kind::kAlias:
      out += ",\"previousId\":"sv;
      out += dev.anonymous_id;
      break;
  }
  out += ",\"context\":{\"page\":"sv;
  out += page.json;
  out += page.campaign;
  out += dev.context;
  out += "},\"originalTimestamp\":\""sv;
  AppendTime(timing.original, &out);
  out += "\",\"timestamp\":\""sv;
  AppendTime(timing.timestamp, &out);
  out += "\",\"sentAt\":\""sv;
  AppendTime(timing.sent, &out);
  out += "\",\"receivedAt\":\""sv;
  AppendTime(timing.received, &out);
  out += "\"}"sv;
}

// FormatIsoTime's text, to the millisecond: the date formatted by it once per day, the time of
// day once per second, the milliseconds every time.
void ShopGenerator::Simulator::AppendTime(Micros t, std::string* out) {
  int64_t second = t / kSecond;
  if (t % kSecond < 0) --second;
  if (second != memo_second_) {
    memo_second_ = second;
    int64_t day = second / 86'400;
    if (second % 86'400 < 0) --day;
    if (day != memo_day_) {
      memo_day_ = day;
      memo_ = FormatIsoTime(day * kDay);  // "YYYY-MM-DDT00:00:00.000Z"
    }
    const auto s = static_cast<int>(second - day * 86'400);
    const int parts[] = {s / 3600, s / 60 % 60, s % 60};
    char* hms = memo_.data() + memo_.size() - 13;  // "HH:MM:SS"
    for (int i = 0; i < 3; ++i) {
      hms[3 * i] = static_cast<char>('0' + parts[i] / 10);
      hms[3 * i + 1] = static_cast<char>('0' + parts[i] % 10);
    }
  }
  const auto milli = static_cast<int>((t - second * kSecond) / kMilli);
  char* ms = memo_.data() + memo_.size() - 4;
  ms[0] = static_cast<char>('0' + milli / 100);
  ms[1] = static_cast<char>('0' + milli / 10 % 10);
  ms[2] = static_cast<char>('0' + milli % 10);
  out->append(memo_);
}

ShopGenerator::ShopGenerator(uint64_t seed, ShopOptions options)
    : sim_(std::make_unique<Simulator>(seed, std::move(options))) {}

ShopGenerator::~ShopGenerator() = default;

bool ShopGenerator::NextVisitor(std::string* out) { return sim_->NextVisitor(out); }

}  // namespace attrib::demo
