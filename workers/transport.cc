#include "workers/transport.h"

#include <spdlog/spdlog.h>

namespace attnsweep {

void SendMessage(Transport& transport, int destination, const Message& message) {
  transport.Send(destination, EncodeMessage(message));
}

std::optional<Received> PollMessage(Transport& transport) {
  while (auto envelope = transport.Poll()) {
    std::string error;
    if (auto message = DecodeMessage(envelope->bytes, &error)) {
      return Received{envelope->source, std::move(*message)};
    }
    spdlog::error("dropped a message from rank {}: {}", envelope->source, error);
  }
  return std::nullopt;
}

}  // namespace attnsweep
