// RewriteDottedNames: only bare dotted names change; strings, quoted names, comments and numbers
// pass as written.
#include <gtest/gtest.h>

#include "store/wide_view.h"

namespace attnsweep {
namespace {

std::string Quoted(const std::string& sql) {
  return RewriteDottedNames(sql, [](const std::string& name) -> std::optional<std::string> {
    if (name == "model.attention" || name == "data.max_len") return QuoteIdentifier(name);
    return std::nullopt;
  });
}

TEST(RewriteDottedNames, QuotesKnownDottedNamesOnly) {
  EXPECT_EQ(Quoted("data.max_len >= 1024 AND model.attention='softmax'"),
            "\"data.max_len\" >= 1024 AND \"model.attention\"='softmax'");
  EXPECT_EQ(Quoted("j.id = 3 AND max_len > 1.5e3 AND x < .5e-2"),
            "j.id = 3 AND max_len > 1.5e3 AND x < .5e-2");
  EXPECT_EQ(Quoted("(data.max_len)+1"), "(\"data.max_len\")+1");
}

TEST(RewriteDottedNames, LeavesStringsQuotedNamesAndCommentsAlone) {
  const std::string untouched =
      "'data.max_len' = \"data.max_len\" OR `data.max_len` OR [data.max_len] -- data.max_len\n";
  EXPECT_EQ(Quoted(untouched), untouched);
  EXPECT_EQ(Quoted("'it''s data.max_len' /* model.attention */ data.max_len"),
            "'it''s data.max_len' /* model.attention */ \"data.max_len\"");
  EXPECT_EQ(Quoted("'unterminated data.max_len"), "'unterminated data.max_len");
}

TEST(QuoteIdentifier, DoublesInnerQuotes) { EXPECT_EQ(QuoteIdentifier("a\"b"), "\"a\"\"b\""); }

}  // namespace
}  // namespace attnsweep
