// The primitives the protocol needs from a transport: send bytes to a rank, poll for bytes from
// any. MpiTransport carries them between processes; InProcessTransport between threads (tests, and
// the one-rank run, where the coordinator and its worker share the process).
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "workers/message.h"

namespace attnsweep {

struct Envelope {
  int source = -1;
  std::string bytes;
};

// Used by one thread only.
class Transport {
 public:
  virtual ~Transport() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  // Queues the bytes for `destination`; never waits for the receiver.
  virtual void Send(int destination, std::string bytes) = 0;
  // The next message that has arrived, if any; never blocks.
  virtual std::optional<Envelope> Poll() = 0;
  // Whether Poll() has a message now, without taking it; never blocks.
  virtual bool HasMessage() = 0;
  // Waits (up to `timeout_s`) until queued sends have left this process; before shutting down.
  virtual void Flush(double timeout_s) {}
};

void SendMessage(Transport& transport, int destination, const Message& message);

struct Received {
  int source;
  Message message;
};
// The next valid message; invalid ones are logged (with their source) and dropped.
std::optional<Received> PollMessage(Transport& transport);

}  // namespace attnsweep
