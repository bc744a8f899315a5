// Streams a delimited text file a record at a time, without allocating per field: fields are views
// into the reader's buffer, valid until the next call to Next(). A path ending in .gz is read
// through `gzip -dc`. Double-quoted fields may hold the separator; "" inside them is a quote.
#pragma once

#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "experiments/base/unique_fd.h"

namespace attnsweep {

class CsvReader {
 public:
  // Throws DataError naming the file when it cannot be opened.
  CsvReader(std::string path, char separator);
  ~CsvReader();
  CsvReader(const CsvReader&) = delete;
  CsvReader& operator=(const CsvReader&) = delete;

  // Moves to the next record; false at the end of the file. Empty lines are skipped.
  bool Next();

  size_t size() const { return fields_.size(); }
  std::string_view field(size_t i) const { return fields_[i]; }
  // 1-based line of the current record, and the 1-based column where field i starts.
  int64_t line() const { return line_; }
  int64_t column(size_t i) const { return columns_[i]; }
  const std::string& path() const { return path_; }
  // Bytes of (uncompressed) text read so far.
  int64_t bytes_read() const { return bytes_read_; }

 private:
  bool Fill();  // reads more into the buffer; false at end of input
  void Split(char* begin, char* end);

  std::string path_;
  char separator_;
  UniqueFd fd_;
  FILE* pipe_ = nullptr;
  std::vector<char> buffer_;
  size_t begin_ = 0, end_ = 0;  // unread bytes are buffer_[begin_, end_)
  bool eof_ = false;
  int64_t line_ = 0;
  int64_t bytes_read_ = 0;
  std::vector<std::string_view> fields_;
  std::vector<int64_t> columns_;
};

// Field parsers: true when the whole field is a value of the type.
bool ParseInteger(std::string_view text, int64_t* value);
bool ParseReal(std::string_view text, double* value);

}  // namespace attnsweep
