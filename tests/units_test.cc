#include "experiments/base/units.h"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <unistd.h>

#include "experiments/base/unique_fd.h"
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
  for (const char* size : {"512M", "1.5G", "900K", "12B", "3T"}) {
    EXPECT_EQ(FormatSize(*ParseSizeBytes(size)), size);
  }
}

TEST(PipeFrames, WholeFramesAcrossPartialReads) {
  Pipe pipe;
  ASSERT_TRUE(pipe.Open(0));
  // Under the pipe's 64 KiB buffer: nobody reads while these are written.
  ASSERT_TRUE(WriteFrame(pipe.write_end.get(), "first"));
  ASSERT_TRUE(WriteFrame(pipe.write_end.get(), std::string(30000, 'x')));
  ASSERT_TRUE(WriteFrame(pipe.write_end.get(), ""));
  std::string payload;
  ASSERT_TRUE(ReadFrame(pipe.read_end.get(), &payload));
  EXPECT_EQ(payload, "first");
  ASSERT_TRUE(ReadFrame(pipe.read_end.get(), &payload));
  EXPECT_EQ(payload.size(), 30000u);
  ASSERT_TRUE(ReadFrame(pipe.read_end.get(), &payload));
  EXPECT_EQ(payload, "");
  pipe.write_end.reset();
  EXPECT_FALSE(ReadFrame(pipe.read_end.get(), &payload)) << "end of file";
}

TEST(PipeFrames, ReaderYieldsOnlyCompleteFrames) {
  Pipe pipe;
  ASSERT_TRUE(pipe.Open(0));
  FrameReader reader;
  // Half a frame: a header announcing 6 bytes, then 3 of them.
  const char partial[] = {6, 0, 0, 0, 'a', 'b', 'c'};
  ASSERT_EQ(write(pipe.write_end.get(), partial, sizeof(partial)),
            static_cast<ssize_t>(sizeof(partial)));
  int flags = fcntl(pipe.read_end.get(), F_GETFL);
  fcntl(pipe.read_end.get(), F_SETFL, flags | O_NONBLOCK);
  EXPECT_TRUE(reader.ReadAvailable(pipe.read_end.get()));
  EXPECT_FALSE(reader.Next());
  ASSERT_EQ(write(pipe.write_end.get(), "def", 3), 3);
  EXPECT_TRUE(reader.ReadAvailable(pipe.read_end.get()));
  EXPECT_EQ(*reader.Next(), "abcdef");
  pipe.write_end.reset();
  EXPECT_FALSE(reader.ReadAvailable(pipe.read_end.get())) << "the writer has gone";
}

}  // namespace
}  // namespace attnsweep
