// Owners of file descriptors: each closes what it holds when it goes, so no path (an early return,
// a failed spawn) leaks one. Move-only; nothing here throws. Header-only, in the lowest layer, so
// every library (the data reader's files and locks, the workers' pipes) and the tests share it.
#pragma once

#include <fcntl.h>
#include <unistd.h>

#include <utility>

namespace attnsweep {

class UniqueFd {
 public:
  UniqueFd() = default;
  // Takes ownership of `fd` (-1: nothing).
  explicit UniqueFd(int fd) noexcept : fd_(fd) {}
  ~UniqueFd() { reset(); }

  UniqueFd(UniqueFd&& other) noexcept : fd_(other.release()) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    if (this != &other) reset(other.release());
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;

  int get() const noexcept { return fd_; }
  explicit operator bool() const noexcept { return fd_ >= 0; }

  // Gives up ownership without closing; the caller closes what it returns.
  int release() noexcept { return std::exchange(fd_, -1); }
  // Closes what it holds (an error from close() is ignored: the descriptor is gone either way on
  // Linux, and retrying could close a descriptor another thread has just opened), then holds `fd`.
  void reset(int fd = -1) noexcept {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

// Both ends of a pipe. `flags` as for pipe2 (O_CLOEXEC, O_NONBLOCK).
struct Pipe {
  UniqueFd read_end;
  UniqueFd write_end;

  // False with errno set when the kernel refuses (out of descriptors); both ends stay empty then.
  bool Open(int flags) noexcept {
    int fds[2];
    if (::pipe2(fds, flags) != 0) return false;
    read_end.reset(fds[0]);
    write_end.reset(fds[1]);
    return true;
  }
};

}  // namespace attnsweep
