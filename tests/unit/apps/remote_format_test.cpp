#include "remote_format.hpp"

#include <gtest/gtest.h>

using namespace tessera::cli;

TEST(RemoteFormat, SizesUseThousandBasedUnitsLikeTransmission) {
  EXPECT_EQ(format_size(0), "0 B");
  EXPECT_EQ(format_size(999), "999 B");
  EXPECT_EQ(format_size(1000), "1.00 kB");
  EXPECT_EQ(format_size(1234567), "1.23 MB");
  EXPECT_EQ(format_size(10485760), "10.49 MB");
  EXPECT_EQ(format_size(123456789), "123.5 MB");
  EXPECT_EQ(format_size(999'960), "1.00 MB");  // not "1000.0 kB"
  EXPECT_EQ(format_size(3'000'000'000'000LL), "3.00 TB");
  EXPECT_EQ(format_size(-1), "--");
  EXPECT_EQ(format_speed(1500), "1.50 kB/s");
  EXPECT_EQ(format_speed(0), "0 B/s");
}

TEST(RemoteFormat, EtaDurationsAndSpecialValues) {
  EXPECT_EQ(format_eta(-1, 0), "Done");
  EXPECT_EQ(format_eta(65, 10), "1m05s");
  EXPECT_EQ(format_eta(3725, 10), "1h02m");
  EXPECT_EQ(format_eta(90000, 10), "1d01h");
  EXPECT_EQ(format_eta(-1, 10), "--");
  EXPECT_EQ(format_eta(-2, 10), "Unknown");
  EXPECT_EQ(format_duration(9), "9s");
  EXPECT_EQ(format_duration(-5), "--");
}

TEST(RemoteFormat, RatioAndItsSpecialValues) {
  EXPECT_EQ(format_ratio(0), "0.00");
  EXPECT_EQ(format_ratio(1.5), "1.50");
  EXPECT_EQ(format_ratio(12.34), "12.3");
  EXPECT_EQ(format_ratio(-1), "None");
  EXPECT_EQ(format_ratio(-2), "Inf");
}

TEST(RemoteFormat, PercentDoneIsTruncatedSoOnlyCompleteIsHundred) {
  EXPECT_EQ(format_percent_done(1000, 0), "100%");
  EXPECT_EQ(format_percent_done(1000, 1), "99%");
  EXPECT_EQ(format_percent_done(1000, 1000), "0%");
  EXPECT_EQ(format_percent_done(1000, 555), "44%");
  EXPECT_EQ(format_percent_done(0, 0), "n/a");
  EXPECT_EQ(format_percent_done(1LL << 62, 1), "99%");  // no overflow
  EXPECT_EQ(format_fraction(0.4567), "45.6%");
  EXPECT_EQ(format_fraction(1), "100.0%");
  EXPECT_EQ(format_fraction(-3), "0.0%");
}

TEST(RemoteFormat, StatusAndPriorityNames) {
  EXPECT_EQ(status_name(0), "Stopped");
  EXPECT_EQ(status_name(1), "Verify queued");
  EXPECT_EQ(status_name(2), "Verifying");
  EXPECT_EQ(status_name(3), "Download queued");
  EXPECT_EQ(status_name(4), "Downloading");
  EXPECT_EQ(status_name(5), "Seed queued");
  EXPECT_EQ(status_name(6), "Seeding");
  EXPECT_EQ(status_name(16), "Unknown (16)");
  EXPECT_EQ(priority_name(-1), "Low");
  EXPECT_EQ(priority_name(0), "Normal");
  EXPECT_EQ(priority_name(1), "High");
  EXPECT_EQ(priority_name(7), "Unknown (7)");
}

TEST(RemoteFormat, TimesInUtc) {
  EXPECT_EQ(format_time(0), "--");
  EXPECT_EQ(format_time(1'700'000'000), "2023-11-14 22:13:20 UTC");
}

TEST(TextTable, AlignsColumnsAndDropsTrailingBlanks) {
  text_table t({{"ID", column_align::right}, {"Size", column_align::right}, {"Name"}, {"Note"}});
  t.add_row({"1", "1.23 MB", "alpha", ""});
  t.add_row({"12", "0 B", "b", "x"});
  t.add_row({"Sum:"});
  EXPECT_EQ(t.render(),
            "  ID     Size  Name   Note\n"
            "   1  1.23 MB  alpha\n"
            "  12      0 B  b      x\n"
            "Sum:\n");
}

TEST(TextTable, CountsCodePointsNotBytes) {
  text_table t({{"Name"}, {"N", column_align::right}});
  t.add_row({"caf\xc3\xa9", "1"});
  t.add_row({"ab", "22"});
  EXPECT_EQ(t.render(),
            "Name   N\n"
            "caf\xc3\xa9   1\n"
            "ab    22\n");
  EXPECT_EQ(display_width("caf\xc3\xa9"), 4u);
}
