#include "cli/output_format.h"

#include <gtest/gtest.h>

#include "cli/analysis/results_aggregate.h"

namespace attnsweep {
namespace {

Table Sample() {
  Table t;
  t.columns = {"name", "value"};
  t.rows = {{"plain", 1.5}, {"with, comma", nullptr}, {"say \"hi\"", int64_t{42}}};
  return t;
}

TEST(OutputFormat, CsvQuotesPerRfc4180) {
  EXPECT_EQ(RenderTable(Sample(), OutputFormat::kCsv),
            "name,value\nplain,1.5\n\"with, comma\",\n\"say \"\"hi\"\"\",42\n");
}

TEST(OutputFormat, CsvNumbersReadBackExactlyInTheirShortestSpelling) {
  Table t;
  t.columns = {"x"};
  t.rows = {{0.1}, {1.0 / 3.0}, {1e-5}, {2.0}};
  const std::string text = RenderTable(t, OutputFormat::kCsv);
  EXPECT_EQ(text, "x\n0.1\n0.3333333333333333\n1e-05\n2\n");
  EXPECT_EQ(std::stod("0.3333333333333333"), 1.0 / 3.0);
}

TEST(OutputFormat, JsonKeepsColumnOrderAndTypes) {
  const std::string text = RenderTable(Sample(), OutputFormat::kJson);
  auto parsed = nlohmann::json::parse(text);
  ASSERT_EQ(parsed.size(), 3u);
  EXPECT_EQ(parsed[0]["value"], 1.5);
  EXPECT_TRUE(parsed[1]["value"].is_null());
  EXPECT_EQ(parsed[2]["value"], 42);
  EXPECT_LT(text.find("\"name\""), text.find("\"value\""));
}

TEST(OutputFormat, TableAlignsNumbersRight) {
  EXPECT_EQ(RenderTable(Sample(), OutputFormat::kTable),
            "name         value\n"
            "-----------  -----\n"
            "plain          1.5\n"
            "with, comma\n"
            "say \"hi\"        42\n");
}

TEST(OutputFormat, Markdown) {
  Table t;
  t.columns = {"a", "b"};
  t.rows = {{"x|y", 2}};
  EXPECT_EQ(RenderTable(t, OutputFormat::kMarkdown),
            "| a    | b   |\n| ---- | --: |\n| x\\|y |   2 |\n");
}

TEST(OutputFormat, NumbersForPeople) {
  EXPECT_EQ(FormatNumber(3), "3");
  EXPECT_EQ(FormatNumber(12.3456), "12.35");
  EXPECT_EQ(FormatNumber(123456.7), "123457");
  EXPECT_EQ(FormatNumber(0.000012345), "1.234e-05");
}

JobRecord Job(const std::string& config, const std::string& status,
              std::map<std::string, double> metrics, const std::string& error_kind = "") {
  JobRecord job;
  job.experiment = "e";
  job.config = config;
  job.status = status;
  job.metrics = std::move(metrics);
  job.error_kind = error_kind;
  return job;
}

TEST(ResultsAggregate, MeanAndSampleStdOverSeeds) {
  std::vector<JobRecord> jobs = {
      Job(R"({"model":{"attention":"softmax"},"data":{"max_len":256},"seed":1})", "done",
          {{"t", 1.0}}),
      Job(R"({"model":{"attention":"softmax"},"data":{"max_len":256},"seed":2})", "done",
          {{"t", 3.0}}),
      Job(R"({"model":{"attention":"softmax"},"data":{"max_len":512},"seed":1})", "done",
          {{"t", 10.0}}),
      Job(R"({"model":{"attention":"softmax"},"data":{"max_len":1024},"seed":1})", "failed", {},
          "oom"),
  };
  EXPECT_EQ(VaryingKeys(jobs), (std::vector<std::string>{"data.max_len"}));
  ResultsTable r = AggregateResults(jobs, {{"data.max_len"}, {}});
  ASSERT_EQ(r.groups.size(), 3u);
  EXPECT_DOUBLE_EQ(r.groups[0].metrics.at("t").mean, 2.0);
  EXPECT_DOUBLE_EQ(r.groups[0].metrics.at("t").std, std::sqrt(2.0));
  EXPECT_EQ(r.groups[0].metrics.at("t").count, 2);
  EXPECT_EQ(r.groups[2].failures.at("oom"), 1);

  Table people = ResultsToTable(r, OutputFormat::kTable);
  EXPECT_EQ(people.columns, (std::vector<std::string>{"data.max_len", "t", "n", "failed"}));
  EXPECT_EQ(people.rows[0][1], "2 ± 1.414");
  EXPECT_EQ(people.rows[2][1], "OOM") << "a group with only failures shows why";
  Table machines = ResultsToTable(r, OutputFormat::kCsv);
  EXPECT_EQ(machines.columns,
            (std::vector<std::string>{"data.max_len", "t", "t_std", "n", "failed"}));
  EXPECT_DOUBLE_EQ(machines.rows[0][2].get<double>(), std::sqrt(2.0));
}

}  // namespace
}  // namespace attnsweep
