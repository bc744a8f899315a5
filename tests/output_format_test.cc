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

TEST(OutputFormat, ProseColumnsWrapToTheWidthGivenAtWordBreaks) {
  Table table;
  table.columns = {"key", "meaning"};
  table.rows = {{"data.max_len",
                 "sequence length: events per customer window, or tokens per "
                 "benchmark input"},
                {"seed", "random seed"}};
  table.wrap_columns = {1};
  const std::string text = RenderTable(table, OutputFormat::kTable, 40);
  std::istringstream lines(text);
  std::string line, meaning;
  int count = 0;
  for (; std::getline(lines, line); ++count) {
    EXPECT_LE(line.size(), 40u) << line;
    if (count >= 2) meaning += " " + line.substr(14);  // the wrapped column, after the key's
  }
  EXPECT_EQ(count, 2 + 4) << text;  // head, rule, 3 lines of the first meaning, 1 of the second
  // Read back in order, the words are the cell's: nothing lost, none cut.
  EXPECT_EQ(meaning,
            " sequence length: events per customer window, or tokens per benchmark input "
            "random seed");
  // Without a width, or in other formats, one line a row.
  const std::string unwrapped = RenderTable(table, OutputFormat::kTable);
  EXPECT_EQ(std::count(unwrapped.begin(), unwrapped.end(), '\n'), 4);
  // Too wide to fit whatever the prose does: left as it is.
  table.columns[0] = std::string(50, 'k');
  EXPECT_EQ(RenderTable(table, OutputFormat::kTable, 40), RenderTable(table, OutputFormat::kTable));
  EXPECT_EQ(WrapText("abcdefghij xy", 4), (std::vector<std::string>{"abcd", "efgh", "ij", "xy"}));
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

// A benchmark column never shows a training failure, and a training column shows one even where
// the group's benchmark is done.
TEST(ResultsAggregate, AFailureShowsOnlyUnderTheFiguresItsTaskReports) {
  std::vector<JobRecord> jobs = {
      Job(R"({"task":"benchmark","model":{"attention":"softmax"},"data":{"max_len":256}})", "done",
          {{"fwd_ms", 2.0}}),
      Job(R"({"task":"train","model":{"attention":"softmax"},"data":{"max_len":256}})", "failed",
          {}, "diverged"),
      Job(R"({"task":"train","model":{"attention":"softmax"},"data":{"max_len":64}})", "failed", {},
          "diverged"),
      Job(R"({"task":"train","model":{"attention":"gru"},"data":{"max_len":64}})", "done",
          {{"test_auc", 0.7}}),
      Job(R"({"task":"benchmark","model":{"attention":"gru"},"data":{"max_len":64}})", "failed", {},
          "oom"),
  };
  ResultsTable r = AggregateResults(jobs, {{"model.attention", "data.max_len"}, {}});
  Table people = ResultsToTable(r, OutputFormat::kTable);
  ASSERT_EQ(people.columns, (std::vector<std::string>{"model.attention", "data.max_len", "fwd_ms",
                                                      "test_auc", "n", "failed"}));
  ASSERT_EQ(people.rows.size(), 3u);
  EXPECT_EQ(people.rows[0][2], "2");         // softmax 256: the benchmark
  EXPECT_EQ(people.rows[0][3], "DIVERGED");  // and its training, though a job of the group is done
  EXPECT_EQ(people.rows[1][2], nullptr);     // softmax 64: no benchmark here, only a training
  EXPECT_EQ(people.rows[1][3], "DIVERGED");
  EXPECT_EQ(people.rows[2][2], "OOM");  // gru 64
  EXPECT_EQ(people.rows[2][3], "0.7");
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
