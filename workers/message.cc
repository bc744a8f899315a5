#include "workers/message.h"

#include <cmath>

#include <nlohmann/json.hpp>

#include "experiments/job_progress_json.h"

namespace attnsweep {
namespace {

constexpr MessageType kAllTypes[] = {
    MessageType::kHello,  MessageType::kAssign,   MessageType::kHeartbeat, MessageType::kResult,
    MessageType::kCancel, MessageType::kShutdown, MessageType::kProgress,  MessageType::kDecision};

}  // namespace

const char* MessageTypeName(MessageType type) {
  switch (type) {
    case MessageType::kHello:
      return "hello";
    case MessageType::kAssign:
      return "assign";
    case MessageType::kHeartbeat:
      return "heartbeat";
    case MessageType::kResult:
      return "result";
    case MessageType::kCancel:
      return "cancel";
    case MessageType::kShutdown:
      return "shutdown";
    case MessageType::kProgress:
      return "progress";
    case MessageType::kDecision:
      return "decision";
  }
  return "?";
}

std::string EncodeMessage(const Message& m) {
  nlohmann::json j = {{"v", kProtocolVersion}, {"type", MessageTypeName(m.type)}};
  switch (m.type) {
    case MessageType::kHello:
      j["host"] = m.host;
      j["pid"] = m.pid;
      j["threads"] = m.threads;
      j["node_threads"] = m.node_threads;
      j["device"] = m.device;
      j["device_error"] = m.device_error;
      break;
    case MessageType::kAssign:
      j["config"] = m.config;
      j["isolation"] = m.isolation;
      j["timeout_s"] = m.timeout_s;
      j["memory_bytes"] = m.memory_bytes;
      j["checkpoint"] = m.checkpoint;
      j["threads"] = m.threads;
      j["device"] = m.device;
      j["decision_epochs"] = m.decision_epochs;
      [[fallthrough]];
    case MessageType::kHeartbeat:
    case MessageType::kCancel:
    case MessageType::kProgress:
      j["job_id"] = m.job_id;
      j["attempt"] = m.attempt;
      if (m.progress && m.type != MessageType::kCancel && m.type != MessageType::kAssign) {
        j["progress"] = JobProgressToJson(*m.progress);
      }
      break;
    case MessageType::kResult: {
      j["job_id"] = m.job_id;
      j["attempt"] = m.attempt;
      j["outcome"] = JobOutcomeName(m.output.outcome);
      j["error"] = m.output.error;
      j["seconds"] = m.seconds;
      j["log"] = m.log;
      // Metrics as pairs, not an object: a NaN value must survive as null, and order is kept.
      nlohmann::json metrics = nlohmann::json::array();
      for (const auto& [name, value] : m.output.metrics) metrics.push_back({name, value});
      j["metrics"] = std::move(metrics);
      nlohmann::json curves = nlohmann::json::array();
      for (const auto& c : m.output.curves) curves.push_back({c.step, c.name, c.value});
      j["curves"] = std::move(curves);
      nlohmann::json predictions = nlohmann::json::array();
      for (const auto& p : m.output.predictions)
        predictions.push_back({p.example, p.label, p.score});
      j["predictions"] = std::move(predictions);
      break;
    }
    case MessageType::kShutdown:
      j["exit_code"] = m.exit_code;
      break;
    case MessageType::kDecision:
      j["job_id"] = m.job_id;
      j["attempt"] = m.attempt;
      j["epoch"] = m.epoch;
      j["go_on"] = m.go_on;
      j["reason"] = m.reason;
      break;
  }
  return j.dump();
}

std::optional<Message> DecodeMessage(const std::string& bytes, std::string* error) {
  nlohmann::json j = nlohmann::json::parse(bytes, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    *error = "not a JSON object";
    return std::nullopt;
  }
  if (!j.contains("v") || !j["v"].is_number_integer() || j["v"].get<int>() != kProtocolVersion) {
    *error = "protocol version " + (j.contains("v") ? j["v"].dump() : std::string("missing")) +
             ", expected " + std::to_string(kProtocolVersion) + " (ranks of different builds?)";
    return std::nullopt;
  }
  Message m;
  const std::string type = j.value("type", "");
  bool known = false;
  for (MessageType t : kAllTypes) {
    if (type == MessageTypeName(t)) {
      m.type = t;
      known = true;
    }
  }
  if (!known) {
    *error = "unknown message type '" + type + "'";
    return std::nullopt;
  }
  try {
    switch (m.type) {
      case MessageType::kHello:
        m.host = j.at("host").get<std::string>();
        m.pid = j.at("pid").get<int>();
        m.threads = j.at("threads").get<int>();
        m.node_threads = j.at("node_threads").get<int>();
        m.device = j.at("device").get<std::string>();
        m.device_error = j.at("device_error").get<std::string>();
        break;
      case MessageType::kAssign:
        m.config = j.at("config").get<std::string>();
        m.isolation = j.at("isolation").get<std::string>();
        m.timeout_s = j.at("timeout_s").get<double>();
        m.memory_bytes = j.at("memory_bytes").get<int64_t>();
        m.checkpoint = j.at("checkpoint").get<std::string>();
        m.threads = j.at("threads").get<int>();
        m.device = j.at("device").get<std::string>();
        m.decision_epochs = j.at("decision_epochs").get<std::vector<int64_t>>();
        if (m.isolation != "process" && m.isolation != "host" && m.isolation != "inproc") {
          *error = "unknown isolation '" + m.isolation + "'";
          return std::nullopt;
        }
        [[fallthrough]];
      case MessageType::kHeartbeat:
      case MessageType::kCancel:
      case MessageType::kProgress:
        m.job_id = j.at("job_id").get<int64_t>();
        m.attempt = j.at("attempt").get<int>();
        // Required in a progress frame, optional in a heartbeat (a job that has reported none).
        if (m.type == MessageType::kProgress ||
            (m.type == MessageType::kHeartbeat && j.contains("progress"))) {
          std::string why;
          m.progress = JobProgressFromJson(j.at("progress"), &why);
          if (!m.progress) {
            *error = type + " message with a bad progress: " + why;
            return std::nullopt;
          }
        }
        break;
      case MessageType::kResult: {
        m.job_id = j.at("job_id").get<int64_t>();
        m.attempt = j.at("attempt").get<int>();
        const std::string outcome = j.at("outcome").get<std::string>();
        const auto parsed = JobOutcomeFromName(outcome);
        if (!parsed) {
          *error = "unknown outcome '" + outcome + "'";
          return std::nullopt;
        }
        m.output.outcome = *parsed;
        m.output.error = j.at("error").get<std::string>();
        m.seconds = j.at("seconds").get<double>();
        m.log = j.at("log").get<std::string>();
        for (const auto& metric : j.at("metrics")) {
          const auto& value = metric.at(1);
          m.output.metrics.emplace_back(metric.at(0).get<std::string>(),
                                        value.is_null() ? std::nan("") : value.get<double>());
        }
        for (const auto& c : j.at("curves")) {
          m.output.curves.push_back({c.at(0).get<int64_t>(), c.at(1).get<std::string>(),
                                     c.at(2).is_null() ? std::nan("") : c.at(2).get<double>()});
        }
        for (const auto& p : j.at("predictions")) {
          m.output.predictions.push_back(
              {p.at(0).get<int64_t>(), p.at(1).get<int>(),
               p.at(2).is_null() ? std::nan("") : p.at(2).get<double>()});
        }
        break;
      }
      case MessageType::kShutdown:
        m.exit_code = j.at("exit_code").get<int>();
        break;
      case MessageType::kDecision:
        m.job_id = j.at("job_id").get<int64_t>();
        m.attempt = j.at("attempt").get<int>();
        m.epoch = j.at("epoch").get<int64_t>();
        m.go_on = j.at("go_on").get<bool>();
        m.reason = j.at("reason").get<std::string>();
        break;
    }
  } catch (const nlohmann::json::exception& e) {
    *error = std::string("malformed ") + type + " message: " + e.what();
    return std::nullopt;
  }
  if ((m.type == MessageType::kAssign || m.type == MessageType::kResult ||
       m.type == MessageType::kProgress || m.type == MessageType::kDecision || m.progress) &&
      (m.job_id <= 0 || m.attempt <= 0)) {
    *error = std::string(type) + " message without a valid job id and attempt";
    return std::nullopt;
  }
  return m;
}

}  // namespace attnsweep
