#include "workers/inprocess_transport.h"

#include <deque>
#include <mutex>
#include <vector>

namespace attnsweep {

class InProcessHub {
 public:
  explicit InProcessHub(int size) : boxes_(static_cast<size_t>(size)) {}
  int size() const { return static_cast<int>(boxes_.size()); }

  void Deliver(int destination, Envelope envelope) {
    Mailbox& box = boxes_.at(static_cast<size_t>(destination));
    std::lock_guard<std::mutex> lock(box.mutex);
    box.queue.push_back(std::move(envelope));
  }

  bool Waiting(int rank) {
    Mailbox& box = boxes_.at(static_cast<size_t>(rank));
    std::lock_guard<std::mutex> lock(box.mutex);
    return !box.queue.empty();
  }

  std::optional<Envelope> Take(int rank) {
    Mailbox& box = boxes_.at(static_cast<size_t>(rank));
    std::lock_guard<std::mutex> lock(box.mutex);
    if (box.queue.empty()) return std::nullopt;
    Envelope envelope = std::move(box.queue.front());
    box.queue.pop_front();
    return envelope;
  }

 private:
  struct Mailbox {
    std::mutex mutex;
    std::deque<Envelope> queue;
  };
  std::vector<Mailbox> boxes_;
};

namespace {

class InProcessTransport final : public Transport {
 public:
  InProcessTransport(std::shared_ptr<InProcessHub> hub, int rank)
      : hub_(std::move(hub)), rank_(rank) {}
  int rank() const override { return rank_; }
  int size() const override { return hub_->size(); }
  void Send(int destination, std::string bytes) override {
    hub_->Deliver(destination, Envelope{rank_, std::move(bytes)});
  }
  std::optional<Envelope> Poll() override { return hub_->Take(rank_); }
  bool HasMessage() override { return hub_->Waiting(rank_); }

 private:
  std::shared_ptr<InProcessHub> hub_;
  int rank_;
};

}  // namespace

std::vector<std::unique_ptr<Transport>> MakeInProcessTransports(int size) {
  auto hub = std::make_shared<InProcessHub>(size);
  std::vector<std::unique_ptr<Transport>> endpoints;
  for (int r = 0; r < size; ++r) endpoints.push_back(std::make_unique<InProcessTransport>(hub, r));
  return endpoints;
}

}  // namespace attnsweep
