// The HTML report: one self-contained file (plotting libraries inlined, no request made when it
// opens) with the batches, their headline tables, the plots and the failed jobs.
#pragma once

#include <string>
#include <vector>

#include "cli/analysis/report_plots.h"
#include "cli/output_format.h"
#include "store/result_store.h"

namespace attnsweep {

struct TitledTable {
  std::string title;
  Table table;
};

struct ReportContent {
  std::vector<BatchSummary> batches;
  std::vector<TitledTable> tables;  // the headline figures, per task
  std::vector<Plot> plots;
  Table failures;         // one row per failed job (empty: none)
  std::string generated;  // "attnsweep 0.1.0 (abc1234), 2026-12-02T05:00Z"
};

std::string RenderReportHtml(const ReportContent& content);

// Text safe in HTML element content and attribute values.
std::string EscapeHtml(const std::string& text);

// JSON safe inside a <script> element: every '<' as \u003c, so no "</script>" or "<!--" in the
// data can end or change the element.
std::string ScriptSafeJson(const nlohmann::json& value);

}  // namespace attnsweep
