#include "api/prom/prom_json.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace opsight::api {
namespace {

std::string ts(int64_t ms) {
  std::string s;
  append_prom_timestamp(s, ms);
  return s;
}
std::string val(double v) {
  std::string s;
  append_prom_value(s, v);
  return s;
}

TEST(PromJson, TimestampsAreSecondsWithThreeDecimalsWhenFractional) {
  EXPECT_EQ(ts(1'700'000'000'000), "1700000000");
  EXPECT_EQ(ts(1'700'000'000'500), "1700000000.500");
  EXPECT_EQ(ts(1'050), "1.050");
  EXPECT_EQ(ts(7), "0.007");
  EXPECT_EQ(ts(-1'500), "-1.500");
}

TEST(PromJson, ValuesAreShortestFixedNotationStrings) {
  EXPECT_EQ(val(1), R"("1")");
  EXPECT_EQ(val(0.1), R"("0.1")");
  EXPECT_EQ(val(-2.5), R"("-2.5")");
  EXPECT_EQ(val(1e21), R"("1000000000000000000000")");
  EXPECT_EQ(val(1.5e-7), R"("0.00000015")");
  EXPECT_EQ(val(std::nan("")), R"("NaN")");
  EXPECT_EQ(val(std::numeric_limits<double>::infinity()), R"("+Inf")");
  EXPECT_EQ(val(-std::numeric_limits<double>::infinity()), R"("-Inf")");
}

TEST(PromJson, QueryDataOfEveryResultType) {
  namespace pq = query::promql;
  EXPECT_EQ(prom_query_data(pq::Scalar{1000, 2}), R"({"resultType":"scalar","result":[1,"2"]})");
  EXPECT_EQ(prom_query_data(pq::String{1000, "a\"b"}),
            R"({"resultType":"string","result":[1,"a\"b"]})");
  pq::Vector v{{Labels{{"__name__", "up"}, {"job", "x"}}, 2000, 1}};
  EXPECT_EQ(prom_query_data(v),
            R"({"resultType":"vector","result":[{"metric":{"__name__":"up","job":"x"},)"
            R"("value":[2,"1"]}]})");
  pq::Matrix m{{Labels{{"job", "x"}}, {{1000, 1}, {2000, 0.5}}}};
  EXPECT_EQ(prom_query_data(m), R"({"resultType":"matrix","result":[{"metric":{"job":"x"},)"
                                R"("values":[[1,"1"],[2,"0.5"]]}]})");
  EXPECT_EQ(prom_query_data(pq::Vector{}), R"({"resultType":"vector","result":[]})");
}

}  // namespace
}  // namespace opsight::api
