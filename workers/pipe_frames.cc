#include "workers/pipe_frames.h"

#include <unistd.h>

#include <cerrno>

namespace attnsweep {
namespace {

// Frames this large mean a corrupted stream, not a message.
constexpr uint32_t kMaxFrame = 256u << 20;

bool WriteAll(int fd, const char* data, size_t size) {
  while (size > 0) {
    const ssize_t n = write(fd, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

bool ReadAll(int fd, char* data, size_t size) {
  while (size > 0) {
    const ssize_t n = read(fd, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

uint32_t DecodeLength(const unsigned char* b) {
  return uint32_t{b[0]} | uint32_t{b[1]} << 8 | uint32_t{b[2]} << 16 | uint32_t{b[3]} << 24;
}

}  // namespace

bool WriteFrame(int fd, const std::string& payload) {
  const auto n = static_cast<uint32_t>(payload.size());
  const char header[4] = {static_cast<char>(n & 0xff), static_cast<char>((n >> 8) & 0xff),
                          static_cast<char>((n >> 16) & 0xff), static_cast<char>((n >> 24) & 0xff)};
  return WriteAll(fd, header, 4) && WriteAll(fd, payload.data(), payload.size());
}

bool ReadFrame(int fd, std::string* payload) {
  unsigned char header[4];
  if (!ReadAll(fd, reinterpret_cast<char*>(header), 4)) return false;
  const uint32_t n = DecodeLength(header);
  if (n > kMaxFrame) return false;
  payload->resize(n);
  return ReadAll(fd, payload->data(), n);
}

bool FrameReader::ReadAvailable(int fd) {
  char chunk[65536];
  for (;;) {
    const ssize_t n = read(fd, chunk, sizeof(chunk));
    if (n > 0) {
      buffer_.append(chunk, static_cast<size_t>(n));
      continue;
    }
    if (n == 0) return false;
    if (errno == EINTR) continue;
    return errno == EAGAIN || errno == EWOULDBLOCK;
  }
}

std::optional<std::string> FrameReader::Next() {
  if (buffer_.size() < 4) return std::nullopt;
  const uint32_t n = DecodeLength(reinterpret_cast<const unsigned char*>(buffer_.data()));
  if (buffer_.size() < 4 + static_cast<size_t>(n)) return std::nullopt;
  std::string payload = buffer_.substr(4, n);
  buffer_.erase(0, 4 + static_cast<size_t>(n));
  return payload;
}

}  // namespace attnsweep
