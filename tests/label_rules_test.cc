// What may name and tag a batch, and how stored text is shown on a terminal.
#include "experiments/base/label_rules.h"

#include <gtest/gtest.h>

#include <string>

namespace attnsweep {
namespace {

TEST(LabelRules, ControlCharactersAreShownAsEscapes) {
  EXPECT_EQ(EscapeControlCharacters("plain ± text"), "plain ± text");
  EXPECT_EQ(EscapeControlCharacters(std::string("a\x1b]0;t\x07z", 8)), "a\\e]0;t\\x07z");
  EXPECT_EQ(EscapeControlCharacters("a\nb\tc\rd"), "a\\nb\\tc\\rd");
  EXPECT_EQ(EscapeControlCharacters("a\nb", /*keep_newlines=*/true), "a\nb");
  EXPECT_EQ(EscapeControlCharacters(std::string("nul\0del\x7f", 8)), "nul\\x00del\\x7f");
  // C1 controls, U+0080-U+009F, in UTF-8 (0xC2 0x9B is CSI, which some terminals obey).
  EXPECT_EQ(EscapeControlCharacters("x\xc2\x9b"
                                    "2J"),
            "x\\u009b2J");
  EXPECT_EQ(EscapeControlCharacters("\xc2\xa0"), "\xc2\xa0");  // a no-break space stays
}

TEST(LabelRules, NamesAreShortAndPrintable) {
  EXPECT_EQ(NameProblem("gender study v2 (L 1024)"), "");
  EXPECT_EQ(NameProblem(std::string(200, 'n')), "");
  EXPECT_EQ(NameProblem(std::string(201, 'n')), "a name has at most 200 characters, this one 201");
  EXPECT_EQ(NameProblem(""), "a name cannot be empty");
  EXPECT_EQ(NameProblem("a\x1b[2J"), "a name cannot hold control characters (it has \\e)");
  EXPECT_EQ(NameProblem("two\nlines"), "a name cannot hold control characters (it has \\n)");
}

TEST(LabelRules, TagsAreOneWord) {
  EXPECT_EQ(TagProblem("cpu-2x"), "");
  EXPECT_EQ(TagProblem("two words"), "a tag is one word (no blanks or commas)");
  EXPECT_EQ(TagProblem("a,b"), "a tag is one word (no blanks or commas)");
  EXPECT_EQ(TagProblem("t\x1b[K"), "a tag cannot hold control characters (it has \\e)");
  EXPECT_EQ(TagProblem(std::string(65, 't')), "a tag has at most 64 characters");
}

}  // namespace
}  // namespace attnsweep
