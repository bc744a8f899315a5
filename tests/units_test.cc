#include "experiments/units.h"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <unistd.h>

#include "workers/pipe_frames.h"

namespace attnsweep {
namespace {

TEST(Units, Durations) {
  EXPECT_EQ(*ParseDurationSeconds("90"), 90);
  EXPECT_EQ(*ParseDurationSeconds("90s"), 90);
  EXPECT_EQ(*ParseDurationSeconds("30m"), 1800);
  EXPECT_EQ(*ParseDurationSeconds("1.5h"), 5400);
  EXPECT_EQ(*ParseDurationSeconds("2d"), 172800);
  EXPECT_FALSE(ParseDurationSeconds("soon"));
  EXPECT_FALSE(ParseDurationSeconds("10x"));
  EXPECT_FALSE(ParseDurationSeconds("-5s"));
  EXPECT_FALSE(ParseDurationSeconds(""));
}

TEST(Units, Sizes) {
  EXPECT_EQ(*ParseSizeBytes("1024"), 1024);
  EXPECT_EQ(*ParseSizeBytes("512M"), 512LL << 20);
  EXPECT_EQ(*ParseSizeBytes("16G"), 16LL << 30);
  EXPECT_EQ(*ParseSizeBytes("1.5g"), 3LL << 29);
  EXPECT_EQ(*ParseSizeBytes("2GiB"), 2LL << 30);
  EXPECT_FALSE(ParseSizeBytes("lots"));
  EXPECT_FALSE(ParseSizeBytes("5Q"));
}

TEST(PipeFrames, WholeFramesAcrossPartialReads) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  // Under the pipe's 64 KiB buffer: nobody reads while these are written.
  ASSERT_TRUE(WriteFrame(fds[1], "first"));
  ASSERT_TRUE(WriteFrame(fds[1], std::string(30000, 'x')));
  ASSERT_TRUE(WriteFrame(fds[1], ""));
  std::string payload;
  ASSERT_TRUE(ReadFrame(fds[0], &payload));
  EXPECT_EQ(payload, "first");
  ASSERT_TRUE(ReadFrame(fds[0], &payload));
  EXPECT_EQ(payload.size(), 30000u);
  ASSERT_TRUE(ReadFrame(fds[0], &payload));
  EXPECT_EQ(payload, "");
  close(fds[1]);
  EXPECT_FALSE(ReadFrame(fds[0], &payload)) << "end of file";
  close(fds[0]);
}

TEST(PipeFrames, ReaderYieldsOnlyCompleteFrames) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  FrameReader reader;
  // Half a frame: a header announcing 6 bytes, then 3 of them.
  const char partial[] = {6, 0, 0, 0, 'a', 'b', 'c'};
  ASSERT_EQ(write(fds[1], partial, sizeof(partial)), static_cast<ssize_t>(sizeof(partial)));
  int flags = fcntl(fds[0], F_GETFL);
  fcntl(fds[0], F_SETFL, flags | O_NONBLOCK);
  EXPECT_TRUE(reader.ReadAvailable(fds[0]));
  EXPECT_FALSE(reader.Next());
  ASSERT_EQ(write(fds[1], "def", 3), 3);
  EXPECT_TRUE(reader.ReadAvailable(fds[0]));
  EXPECT_EQ(*reader.Next(), "abcdef");
  close(fds[1]);
  EXPECT_FALSE(reader.ReadAvailable(fds[0])) << "the writer has gone";
  close(fds[0]);
}

}  // namespace
}  // namespace attnsweep
