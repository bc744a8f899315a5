// A problem with input data, located: file, line and column (1-based; 0 = not known), and what was
// expected. what() reads "transactions.csv:12:3: <message>", the form editors jump to.
#pragma once

#include <stdexcept>
#include <string>

namespace attnsweep {

class DataError : public std::runtime_error {
 public:
  DataError(std::string file, int64_t line, int64_t column, const std::string& message)
      : std::runtime_error(Format(file, line, column, message)),
        file_(std::move(file)),
        line_(line),
        column_(column),
        message_(message) {}

  const std::string& file() const { return file_; }
  int64_t line() const { return line_; }
  int64_t column() const { return column_; }
  const std::string& message() const { return message_; }  // without the location

 private:
  static std::string Format(const std::string& file, int64_t line, int64_t column,
                            const std::string& message) {
    std::string where = file;
    if (line > 0) where += ":" + std::to_string(line);
    if (column > 0) where += ":" + std::to_string(column);
    return where + ": " + message;
  }

  std::string file_;
  int64_t line_;
  int64_t column_;
  std::string message_;
};

}  // namespace attnsweep
