#include "server/answer_cache.h"

#include <gtest/gtest.h>

namespace attrib::server {
namespace {

TEST(AnswerCache, KeepsAnswersUntilTheirStoreChanges) {
  AnswerCache cache(1 << 20);
  EXPECT_FALSE(cache.Find("a", 1).has_value());
  cache.Put("a", 1, "answer a");
  cache.Put("b", 7, "answer b");  // another project's: its own count of changes
  EXPECT_EQ(cache.Find("a", 1), "answer a");
  EXPECT_EQ(cache.Find("b", 7), "answer b");
  // a's store changed: its answer no longer holds, and is forgotten; b's still holds.
  EXPECT_FALSE(cache.Find("a", 2).has_value());
  EXPECT_FALSE(cache.Find("a", 1).has_value());
  EXPECT_EQ(cache.Find("b", 7), "answer b");
  // An answer computed before the change never answers after it.
  cache.Put("a", 1, "old a");
  EXPECT_FALSE(cache.Find("a", 2).has_value());
  cache.Put("a", 2, "new a");
  cache.Put("a", 1, "old a");  // late: a newer answer is kept
  EXPECT_EQ(cache.Find("a", 2), "new a");
}

TEST(AnswerCache, TheLeastRecentlyUsedGoFirst) {
  // Room for eight entries of 100 bytes (a key counts twice: the list and the index).
  AnswerCache cache(8 * 100 + 50);
  const std::string answer(98, 'x');
  for (char k = '1'; k <= '8'; ++k) cache.Put(std::string(1, k), 1, answer);
  ASSERT_TRUE(cache.Find("1", 1).has_value());  // now the most recently used
  cache.Put("9", 1, answer);                    // no room: "2" goes
  EXPECT_FALSE(cache.Find("2", 1).has_value());
  for (const char* k : {"1", "3", "4", "5", "6", "7", "8", "9"}) {
    EXPECT_TRUE(cache.Find(k, 1).has_value()) << k;
  }
}

TEST(AnswerCache, AnAnswerOverAnEighthOfTheRoomIsNotKept) {
  AnswerCache cache(800);
  cache.Put("small", 1, std::string(90, 'x'));
  cache.Put("large", 1, std::string(100, 'x'));
  EXPECT_TRUE(cache.Find("small", 1).has_value());
  EXPECT_FALSE(cache.Find("large", 1).has_value());
}

}  // namespace
}  // namespace attrib::server
