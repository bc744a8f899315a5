#include "experiments/data/csv_reader.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>

#include "experiments/base/strings.h"
#include "experiments/data/data_error.h"

namespace attnsweep {
namespace {

constexpr size_t kChunk = size_t{4} << 20;

// Quotes the path for the shell: the gzip pipe must not run what a file name says.
std::string ShellQuoted(const std::string& path) {
  std::string quoted = "'";
  for (char c : path) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

}  // namespace

CsvReader::CsvReader(std::string path, char separator)
    : path_(std::move(path)), separator_(separator), buffer_(kChunk) {
  if (EndsWith(path_, ".gz")) {
    if (access(path_.c_str(), R_OK) != 0) {
      throw DataError(path_, 0, 0, std::string("cannot open: ") + std::strerror(errno));
    }
    pipe_ = popen(("gzip -dc " + ShellQuoted(path_)).c_str(), "r");
    if (pipe_ == nullptr) throw DataError(path_, 0, 0, "cannot start gzip to decompress it");
  } else {
    fd_.reset(open(path_.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd_) throw DataError(path_, 0, 0, std::string("cannot open: ") + std::strerror(errno));
    posix_fadvise(fd_.get(), 0, 0, POSIX_FADV_SEQUENTIAL);
  }
}

CsvReader::~CsvReader() {
  if (pipe_ != nullptr) pclose(pipe_);
}

bool CsvReader::Fill() {
  if (eof_) return false;
  // Keep the unread tail at the front; grow when one record outgrows the buffer.
  if (begin_ > 0) {
    std::memmove(buffer_.data(), buffer_.data() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }
  if (end_ == buffer_.size()) buffer_.resize(buffer_.size() * 2);
  ssize_t got;
  if (pipe_ != nullptr) {
    got = static_cast<ssize_t>(fread(buffer_.data() + end_, 1, buffer_.size() - end_, pipe_));
    if (got == 0 && ferror(pipe_))
      throw DataError(path_, line_, 0, "read error while decompressing");
  } else {
    do {
      got = read(fd_.get(), buffer_.data() + end_, buffer_.size() - end_);
    } while (got < 0 && errno == EINTR);
    if (got < 0)
      throw DataError(path_, line_, 0, std::string("read error: ") + std::strerror(errno));
  }
  if (got == 0) {
    eof_ = true;
    if (pipe_ != nullptr) {
      const int status = pclose(pipe_);
      pipe_ = nullptr;
      if (status != 0)
        throw DataError(path_, 0, 0, "gzip could not decompress it (corrupt or not gzip)");
    }
    return false;
  }
  end_ += static_cast<size_t>(got);
  bytes_read_ += got;
  return true;
}

void CsvReader::Split(char* begin, char* end) {
  fields_.clear();
  columns_.clear();
  char* p = begin;
  while (true) {
    columns_.push_back(static_cast<int64_t>(p - begin) + 1);
    if (p < end && *p == '"') {
      // Quoted: unescape "" in place; the field ends at the closing quote.
      char* out = p;
      char* in = p + 1;
      while (in < end) {
        if (*in == '"') {
          if (in + 1 < end && in[1] == '"') {
            *out++ = '"';
            in += 2;
            continue;
          }
          ++in;
          break;
        }
        *out++ = *in++;
      }
      fields_.emplace_back(p, static_cast<size_t>(out - p));
      p = in;
      while (p < end && *p != separator_) ++p;  // anything after the closing quote is dropped
    } else {
      char* stop = static_cast<char*>(std::memchr(p, separator_, static_cast<size_t>(end - p)));
      if (stop == nullptr) stop = end;
      fields_.emplace_back(p, static_cast<size_t>(stop - p));
      p = stop;
    }
    if (p >= end) break;
    ++p;  // past the separator: another field follows, perhaps empty
  }
}

bool CsvReader::Next() {
  while (true) {
    char* data = buffer_.data();
    char* newline = static_cast<char*>(std::memchr(data + begin_, '\n', end_ - begin_));
    if (newline == nullptr) {
      if (Fill()) continue;
      if (begin_ == end_) return false;
      data = buffer_.data();
      newline = data + end_;  // a last line without its newline
    }
    char* line_begin = data + begin_;
    char* line_end = newline;
    begin_ = std::min(static_cast<size_t>(newline - data) + 1, end_);
    ++line_;
    if (line_end > line_begin && line_end[-1] == '\r') --line_end;
    if (line_end == line_begin) continue;
    Split(line_begin, line_end);
    return true;
  }
}

bool ParseInteger(std::string_view text, int64_t* value) {
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), *value);
  return error == std::errc() && end == text.data() + text.size() && !text.empty();
}

bool ParseReal(std::string_view text, double* value) {
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), *value);
  return error == std::errc() && end == text.data() + text.size() && !text.empty();
}

}  // namespace attnsweep
