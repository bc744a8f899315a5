// The coordinator/worker protocol: typed messages with a version, serialised as JSON and validated
// on receipt (a message of another version, or missing a field its type needs, is refused, not
// guessed at).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "experiments/job_contract.h"

namespace attnsweep {

// Bumped on any change to a message's fields or meaning; ranks of different builds refuse each
// other.
constexpr int kProtocolVersion = 6;

enum class MessageType {
  kHello,      // worker -> coordinator: I am up (host, pid, threads)
  kAssign,     // coordinator -> worker: run this job attempt
  kHeartbeat,  // worker -> coordinator: still running job_id/attempt
  kResult,     // worker -> coordinator: how the attempt ended, with its figures
  kCancel,     // coordinator -> worker: stop job_id/attempt, report it interrupted
  kShutdown,   // coordinator -> worker: exit with exit_code
  // job process -> its worker, over their pipe: job_id/attempt has reached `progress`
  kProgress,
  // coordinator -> worker -> job process (over its stdin): an early-stopping decision about
  // job_id/attempt after epoch `epoch`, which the job waits for at the epochs its assignment's
  // decision_epochs lists
  kDecision,
};

const char* MessageTypeName(MessageType type);

struct Message {
  MessageType type = MessageType::kHello;
  // kHello
  std::string host;
  int pid = 0;
  // kHello: where the worker runs its jobs ("cpu", "cuda:1"); empty, with device_error saying why,
  // when it can run none (--device cuda on a host without a visible GPU). kAssign: the same, for
  // the job.
  std::string device;
  std::string device_error;
  // kHello: the worker's threads per job; kAssign: the threads this job gets (all the node's for
  // a job that has its node to itself)
  int threads = 0;
  // kHello: the threads of every worker on its node together (all the node's cores, unless
  // --threads-per-rank says otherwise)
  int node_threads = 0;
  // kAssign, kHeartbeat, kResult, kCancel, kProgress, kDecision
  int64_t job_id = 0;
  int attempt = 0;
  std::string config;  // kAssign: the resolved config, canonical JSON
  // kAssign: how to run it
  std::string isolation = "inproc";  // process | host | inproc
  double timeout_s = 0;              // 0: none
  int64_t memory_bytes = 0;          // 0: no cap
  std::string checkpoint;            // where the job keeps its checkpoint; "": it keeps none
  // kAssign: the epochs after which the job waits for a kDecision (its experiment's scheduler);
  // none: it never waits
  std::vector<int64_t> decision_epochs;
  // kDecision
  int64_t epoch = 0;
  bool go_on = true;
  std::string reason;
  // kResult
  JobOutput output;
  double seconds = 0;  // wall time of the attempt on the worker
  std::string log;     // the end of the job's own output (stdout and stderr), when it was captured
  // kShutdown
  int exit_code = 0;
  // kProgress: where the job is; kHeartbeat: the latest its job reported, if it reported any
  std::optional<JobProgress> progress;
};

std::string EncodeMessage(const Message& message);
// nullopt, with `error` saying why, for bytes that are not a valid message of kProtocolVersion.
std::optional<Message> DecodeMessage(const std::string& bytes, std::string* error);

}  // namespace attnsweep
