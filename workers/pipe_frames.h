// Length-prefixed frames over pipes, between a worker and its job processes: 4 bytes of
// little-endian length, then that many bytes (an encoded Message).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace attnsweep {

// Writes the whole frame, retrying on EINTR and short writes. False when the pipe is closed.
bool WriteFrame(int fd, const std::string& payload);
// Blocks until a whole frame is read. False at end of file or on error.
bool ReadFrame(int fd, std::string* payload);

// Accumulates bytes read without blocking and yields whole frames.
class FrameReader {
 public:
  // Reads what is available from a non-blocking fd. False once the other end has closed it.
  bool ReadAvailable(int fd);
  std::optional<std::string> Next();

 private:
  std::string buffer_;
};

}  // namespace attnsweep
