// Samples in comma-separated text.
#include <gtest/gtest.h>

#include "data/csv.h"

namespace qplay {
namespace {

std::string Error(std::string_view text) {
  auto samples = ParseCsv(text, "s.csv");
  return samples.ok() ? "" : samples.status().message();
}

TEST(Csv, AHeaderWithALabelColumnGivesFeaturesAndLabels) {
  auto samples = ParseCsv("f1, f2 ,Label\r\n0.5,1,2\r\n\r\n-1e1,3,0\n", "s.csv");
  ASSERT_TRUE(samples.ok()) << samples.status().message();
  EXPECT_EQ(samples->features.shape(), (Shape{2, 2}));
  EXPECT_EQ(std::vector<float>(samples->features.data<float>(), samples->features.data<float>() + 4),
            (std::vector<float>{0.5f, 1, -10, 3}));
  ASSERT_TRUE(samples->labels);
  EXPECT_EQ(samples->labels->data<int64_t>()[0], 2);
  EXPECT_EQ(samples->labels->data<int64_t>()[1], 0);
}

TEST(Csv, RowsOfNumbersAloneAreFeatures) {
  auto samples = ParseCsv("1,2,3\n4,5,6", "s.csv");
  ASSERT_TRUE(samples.ok()) << samples.status().message();
  EXPECT_EQ(samples->features.shape(), (Shape{2, 3}));
  EXPECT_FALSE(samples->labels);
}

TEST(Csv, NamesTheRowAndColumnOfWhatIsWrong) {
  EXPECT_EQ(Error(""), "s.csv: the file has no rows");
  EXPECT_EQ(Error("a,b\n"), "s.csv: the file has a header but no rows");
  EXPECT_EQ(Error("1,2\n3,x\n"), "s.csv: row 2, column 2 is not a number: 'x'");
  EXPECT_EQ(Error("1,2\n3,nan\n"), "s.csv: row 2, column 2 is not a number: 'nan'");
  EXPECT_EQ(Error("1,2\n3,1e999\n"), "s.csv: row 2, column 2 is not a number: '1e999'");
  EXPECT_EQ(Error("1,2\n\n3\n"), "s.csv: row 3 has 1 columns, expected 2");
  EXPECT_EQ(Error("x,y\n1,2.5\n"), "s.csv: row 2: the label 2.5 is not a whole class number");
  EXPECT_EQ(Error("label\n1\n"), "s.csv: the rows hold labels but no features");
}

}  // namespace
}  // namespace qplay
