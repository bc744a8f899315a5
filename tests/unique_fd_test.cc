#include "experiments/base/unique_fd.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

#include <gtest/gtest.h>

namespace attnsweep {
namespace {

// Whether `fd` names an open descriptor of this process.
bool IsOpen(int fd) { return fcntl(fd, F_GETFD) != -1; }

// Closed, as the kernel sees it: EBADF, not just "not ours any more".
void ExpectClosed(int fd) {
  errno = 0;
  EXPECT_EQ(fcntl(fd, F_GETFD), -1) << "fd " << fd;
  EXPECT_EQ(errno, EBADF) << "fd " << fd;
}

int OpenDevNull() { return open("/dev/null", O_RDONLY | O_CLOEXEC); }

TEST(UniqueFd, ClosesOnDestruction) {
  int raw = -1;
  {
    UniqueFd fd(OpenDevNull());
    raw = fd.get();
    ASSERT_GE(raw, 0);
    EXPECT_TRUE(fd);
    EXPECT_TRUE(IsOpen(raw));
  }
  ExpectClosed(raw);
}

TEST(UniqueFd, EmptyHoldsNothing) {
  UniqueFd fd;
  EXPECT_FALSE(fd);
  EXPECT_EQ(fd.get(), -1);
  fd.reset();  // closing nothing is harmless
  EXPECT_EQ(fd.release(), -1);
}

TEST(UniqueFd, MoveTransfersOwnership) {
  UniqueFd a(OpenDevNull());
  const int raw = a.get();
  ASSERT_GE(raw, 0);
  UniqueFd b(std::move(a));
  EXPECT_EQ(a.get(), -1);  // NOLINT(bugprone-use-after-move): moved-from is empty, by contract
  EXPECT_EQ(b.get(), raw);
  EXPECT_TRUE(IsOpen(raw));

  // Assigning over a holder closes what it held.
  UniqueFd c(OpenDevNull());
  const int replaced = c.get();
  ASSERT_GE(replaced, 0);
  c = std::move(b);
  EXPECT_EQ(c.get(), raw);
  ExpectClosed(replaced);
  EXPECT_TRUE(IsOpen(raw));

  UniqueFd& same = c;
  c = std::move(same);  // a self-move keeps the descriptor
  EXPECT_EQ(c.get(), raw);
  EXPECT_TRUE(IsOpen(raw));
}

TEST(UniqueFd, ReleaseGivesUpWithoutClosing) {
  int raw = -1;
  {
    UniqueFd fd(OpenDevNull());
    raw = fd.release();
    EXPECT_FALSE(fd);
  }
  ASSERT_GE(raw, 0);
  EXPECT_TRUE(IsOpen(raw));
  close(raw);
}

TEST(UniqueFd, ResetClosesTheOldAndHoldsTheNew) {
  UniqueFd fd(OpenDevNull());
  const int first = fd.get();
  const int second = OpenDevNull();
  ASSERT_GE(second, 0);
  fd.reset(second);
  ExpectClosed(first);
  EXPECT_EQ(fd.get(), second);
  fd.reset();
  ExpectClosed(second);
  EXPECT_FALSE(fd);
}

TEST(Pipe, OpensBothEndsWithTheFlagsAndClosesThem) {
  int read_end = -1, write_end = -1;
  {
    Pipe pipe;
    ASSERT_TRUE(pipe.Open(O_CLOEXEC));
    read_end = pipe.read_end.get();
    write_end = pipe.write_end.get();
    EXPECT_EQ(fcntl(read_end, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
    EXPECT_EQ(fcntl(write_end, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
    ASSERT_EQ(write(write_end, "x", 1), 1);
    char c = 0;
    ASSERT_EQ(read(read_end, &c, 1), 1);
    EXPECT_EQ(c, 'x');
    // The reader sees end of file once the writer's end is gone.
    pipe.write_end.reset();
    EXPECT_EQ(read(read_end, &c, 1), 0);
  }
  ExpectClosed(read_end);
  ExpectClosed(write_end);
}

}  // namespace
}  // namespace attnsweep
