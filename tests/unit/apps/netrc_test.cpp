#include "netrc.hpp"

#include <gtest/gtest.h>

using namespace tessera::cli;

TEST(Netrc, FindsTheMachineEntryOfTheHost) {
  const char* text =
      "machine example.org login alice password secret\n"
      "machine 127.0.0.1\n"
      "  login u\n"
      "  password p\n";
  auto login = find_netrc_login(text, "127.0.0.1");
  ASSERT_TRUE(login);
  EXPECT_EQ(login->login, "u");
  EXPECT_EQ(login->password, "p");
  login = find_netrc_login(text, "EXAMPLE.org");
  ASSERT_TRUE(login);
  EXPECT_EQ(login->login, "alice");
  EXPECT_EQ(login->password, "secret");
}

TEST(Netrc, NoEntryForAnUnknownHostWithoutDefault) {
  EXPECT_FALSE(find_netrc_login("machine a login x password y", "b"));
  EXPECT_FALSE(find_netrc_login("", "b"));
  EXPECT_FALSE(find_netrc_login("   \n\n", "b"));
}

TEST(Netrc, DefaultAppliesOnlyWhenNoMachineMatches) {
  // `default` first: a later machine entry of the host still wins.
  const char* text = "default login anon password guest\nmachine h login real password pw\n";
  auto login = find_netrc_login(text, "h");
  ASSERT_TRUE(login);
  EXPECT_EQ(login->login, "real");
  login = find_netrc_login(text, "other");
  ASSERT_TRUE(login);
  EXPECT_EQ(login->login, "anon");
  EXPECT_EQ(login->password, "guest");
}

TEST(Netrc, FirstMatchingEntryWins) {
  auto login = find_netrc_login("machine h login one password 1\nmachine h login two password 2", "h");
  ASSERT_TRUE(login);
  EXPECT_EQ(login->login, "one");
}

TEST(Netrc, QuotedTokensHoldSpacesAndEscapes) {
  auto login = find_netrc_login(R"(machine h login "a user" password "p \"q\" \\ r")", "h");
  ASSERT_TRUE(login);
  EXPECT_EQ(login->login, "a user");
  EXPECT_EQ(login->password, R"(p "q" \ r)");
}

TEST(Netrc, CommentsAndMacrosAreSkipped) {
  const char* text =
      "# machine h login commented password out\n"
      "macdef init\n"
      "machine h login inside-macro password no\n"
      "\n"
      "machine h login u password p # trailing comment\n";
  auto login = find_netrc_login(text, "h");
  ASSERT_TRUE(login);
  EXPECT_EQ(login->login, "u");
  EXPECT_EQ(login->password, "p");
}

TEST(Netrc, AccountIsIgnoredAndMissingFieldsAreEmpty) {
  auto login = find_netrc_login("machine h account acct login u", "h");
  ASSERT_TRUE(login);
  EXPECT_EQ(login->login, "u");
  EXPECT_EQ(login->password, "");
}

TEST(Netrc, MalformedInputNeverFails) {
  // A keyword without its value at the end, an unknown keyword, an unterminated quote.
  EXPECT_FALSE(find_netrc_login("machine", "h"));
  auto login = find_netrc_login("machine h login u password", "h");
  ASSERT_TRUE(login);
  EXPECT_EQ(login->login, "u");
  login = find_netrc_login("bogus machine h port 21 login u password p", "h");
  ASSERT_TRUE(login);
  EXPECT_EQ(login->password, "p");
  login = find_netrc_login("machine h login \"unterminated", "h");
  ASSERT_TRUE(login);
  EXPECT_EQ(login->login, "unterminated");
}
