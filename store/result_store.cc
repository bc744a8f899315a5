#include "store/result_store.h"

#include <cmath>
#include <cstdio>
#include <ctime>

#include <nlohmann/json.hpp>

#include "store/attempt_outcomes.h"
#include "store/integrity_check.h"
#include "store/readonly_query.h"
#include "store/schema.h"

namespace attnsweep {

ResultStore ResultStore::OpenForWriting(const std::string& path) {
  Database db(path, Database::Mode::kReadWriteCreate);
  // Before anything is written: a write into a damaged b-tree can spread the damage, and a batch
  // stored into one may never be finished or read back.
  RefuseDamagedStore(db);
  MigrateSchema(db);
  return ResultStore(std::move(db));
}

ResultStore ResultStore::OpenReadOnly(const std::string& path) {
  return ResultStore(OpenGuardedReadOnly(path));
}

int64_t ResultStore::CreateBatch(const NewBatch& batch, const std::vector<NewJob>& jobs, bool reuse,
                                 int64_t* reused) {
  Transaction txn(db_);
  Statement insert_batch(db_,
                         "INSERT INTO batches (name, grid_yaml, grid_path, status, host, git_rev, "
                         "versions, description, tags, overrides) "
                         "VALUES (?, ?, ?, 'running', ?, ?, ?, NULLIF(?, ''), ?, ?)");
  insert_batch.Bind(1, batch.name)
      .Bind(2, batch.grid_yaml)
      .Bind(3, batch.grid_path)
      .Bind(4, batch.host)
      .Bind(5, batch.git_rev)
      .Bind(6, batch.versions)
      .Bind(7, batch.description)
      .Bind(8, nlohmann::json(batch.tags).dump())
      .Bind(9, nlohmann::json(batch.overrides).dump())
      .Run();
  const int64_t batch_id = db_.LastInsertId();
  Statement insert_job(
      db_,
      "INSERT INTO jobs (batch_id, experiment, job_key, config, cost, limits, plan, "
      "data_fingerprint) VALUES (?, ?, ?, ?, ?, ?, NULLIF(?, ''), NULLIF(?, ''))");
  // The newest done result of the same job in an earlier batch — the run that produced it, never a
  // copy — and what it copies.
  Statement find_done(db_,
                      "SELECT id FROM jobs WHERE job_key = ? AND status = 'done' AND batch_id <> ? "
                      "AND reused_from IS NULL ORDER BY finished_at DESC, id DESC LIMIT 1");
  Statement mark_reused(db_,
                        "UPDATE jobs SET status = 'done', reused_from = o.id, rank = o.rank, "
                        "host = o.host, device = o.device, threads = o.threads, "
                        "isolation = o.isolation, started_at = o.started_at, "
                        "finished_at = o.finished_at FROM jobs o WHERE jobs.id = ? AND o.id = ?");
  Statement copy_metrics(db_,
                         "INSERT INTO metrics (job_id, name, value) "
                         "SELECT ?, name, value FROM metrics WHERE job_id = ?");
  Statement copy_curves(db_,
                        "INSERT INTO curves (job_id, step, name, value) "
                        "SELECT ?, step, name, value FROM curves WHERE job_id = ?");
  Statement copy_predictions(db_,
                             "INSERT INTO predictions (job_id, example, label, score) "
                             "SELECT ?, example, label, score FROM predictions WHERE job_id = ?");
  int64_t reused_count = 0;
  for (const NewJob& job : jobs) {
    insert_job.Reset();
    insert_job.Bind(1, batch_id)
        .Bind(2, job.experiment)
        .Bind(3, job.job_key)
        .Bind(4, job.config)
        .Bind(5, job.cost)
        .Bind(6, job.limits)
        .Bind(7, job.plan)
        .Bind(8, job.data_fingerprint)
        .Run();
    if (!reuse) continue;
    const int64_t job_id = db_.LastInsertId();
    find_done.Reset();
    find_done.Bind(1, job.job_key).Bind(2, batch_id);
    if (!find_done.Step()) continue;
    const int64_t original = find_done.Int(0);
    for (Statement* statement : {&mark_reused, &copy_metrics, &copy_curves, &copy_predictions}) {
      statement->Reset();
      statement->Bind(1, job_id).Bind(2, original).Run();
    }
    ++reused_count;
  }
  txn.Commit();
  if (reused != nullptr) *reused = reused_count;
  return batch_id;
}

std::map<std::string, int64_t> ResultStore::DoneResultBatches(
    const std::vector<std::string>& job_keys) {
  // The order CreateBatch's reuse takes a result in.
  Statement find(db_,
                 "SELECT batch_id FROM jobs WHERE job_key = ? AND status = 'done' AND "
                 "reused_from IS NULL ORDER BY finished_at DESC, id DESC LIMIT 1");
  std::map<std::string, int64_t> batches;
  for (const auto& key : job_keys) {
    find.Reset();
    find.Bind(1, key);
    if (find.Step()) batches[key] = find.Int(0);
  }
  return batches;
}

std::vector<ResultStore::JobTime> ResultStore::DoneJobTimes() {
  Statement s(
      db_,
      "SELECT job_key, plan, (julianday(finished_at) - julianday(started_at)) * 86400.0, "
      "COALESCE(progress, '') FROM jobs WHERE status = 'done' AND reused_from IS NULL AND "
      "plan IS NOT NULL AND started_at IS NOT NULL AND finished_at IS NOT NULL ORDER BY id");
  std::vector<JobTime> times;
  while (s.Step()) times.push_back({s.Text(0), s.Text(1), s.Double(2), false, s.Text(3)});
  return times;
}

std::vector<ResultStore::JobTime> ResultStore::UnfinishedJobTimes(int64_t batch_id) {
  Statement s(db_,
              "SELECT job_key, COALESCE(plan, ''), CASE WHEN status = 'running' THEN "
              "(julianday('now') - julianday(started_at)) * 86400.0 ELSE 0 END, "
              "status = 'running', CASE WHEN status = 'running' THEN COALESCE(progress, '') "
              "ELSE '' END FROM jobs WHERE batch_id = ? AND status IN ('pending', 'running') "
              "ORDER BY id");
  s.Bind(1, batch_id);
  std::vector<JobTime> times;
  while (s.Step()) times.push_back({s.Text(0), s.Text(1), s.Double(2), s.Int(3) != 0, s.Text(4)});
  return times;
}

void ResultStore::SetBatchWorkers(int64_t batch_id, int workers) {
  Statement s(db_, "UPDATE batches SET workers = ? WHERE id = ?");
  s.Bind(1, workers).Bind(2, batch_id).Run();
}

int ResultStore::BatchWorkers(int64_t batch_id) {
  Statement s(db_, "SELECT COALESCE(workers, 1) FROM batches WHERE id = ?");
  s.Bind(1, batch_id);
  return s.Step() ? static_cast<int>(s.Int(0)) : 1;
}

void ResultStore::SetBatchNodes(int64_t batch_id, int nodes) {
  Statement s(db_, "UPDATE batches SET nodes = ? WHERE id = ?");
  s.Bind(1, nodes).Bind(2, batch_id).Run();
}

int ResultStore::BatchNodes(int64_t batch_id) {
  Statement s(db_, "SELECT COALESCE(nodes, 1) FROM batches WHERE id = ?");
  s.Bind(1, batch_id);
  return s.Step() ? static_cast<int>(s.Int(0)) : 1;
}

namespace {
JobRecord ReadJob(const Statement& s) {
  JobRecord job;
  job.id = s.Int(0);
  job.experiment = s.Text(1);
  job.job_key = s.Text(2);
  job.config = s.Text(3);
  job.status = s.Text(4);
  job.attempts = static_cast<int>(s.Int(5));
  job.cost = s.Double(6);
  job.error_kind = s.Text(7);
  job.error = s.Text(8);
  job.limits = s.Text(9);
  job.plan = s.Text(10);
  job.reused_from = s.Int(11);
  job.batch_id = s.Int(12);
  job.rank = static_cast<int>(s.Int(13));
  job.host = s.Text(14);
  job.seconds = s.Double(15);
  job.running_s = s.Double(16);
  job.progress = s.Text(17);
  job.data_fingerprint = s.Text(18);
  job.reused_from_batch = s.Int(19);
  return job;
}
constexpr const char* kJobColumns =
    "id, experiment, job_key, config, status, attempts, cost, error_kind, error, limits, "
    "COALESCE(plan, ''), COALESCE(reused_from, 0), batch_id, COALESCE(rank, -1), "
    "COALESCE(host, ''), "
    "COALESCE(ROUND((julianday(finished_at) - julianday(started_at)) * 86400.0, 3), -1), "
    "CASE WHEN status = 'running' THEN ROUND((julianday('now') - julianday(started_at)) * "
    "86400.0, 3) ELSE -1 END, COALESCE(progress, ''), COALESCE(data_fingerprint, ''), "
    "COALESCE((SELECT o.batch_id FROM jobs o WHERE o.id = jobs.reused_from), 0)";

// "(1,2,3)": ids are integers, so spelling them into the SQL is safe.
std::string IdList(const std::vector<int64_t>& ids) {
  std::string text = "(";
  for (size_t i = 0; i < ids.size(); ++i) text += (i ? "," : "") + std::to_string(ids[i]);
  return text + ")";
}
}  // namespace

std::vector<JobRecord> ResultStore::JobsNotDone(int64_t batch_id) {
  Statement s(db_, std::string("SELECT ") + kJobColumns +
                       " FROM jobs WHERE batch_id = ? AND status <> 'done' ORDER BY id");
  s.Bind(1, batch_id);
  std::vector<JobRecord> jobs;
  while (s.Step()) jobs.push_back(ReadJob(s));
  return jobs;
}

std::vector<JobRecord> ResultStore::PendingJobs(int64_t batch_id) {
  Statement s(db_, std::string("SELECT ") + kJobColumns +
                       " FROM jobs WHERE batch_id = ? AND status = 'pending' "
                       "ORDER BY cost DESC, id");
  s.Bind(1, batch_id);
  std::vector<JobRecord> jobs;
  while (s.Step()) jobs.push_back(ReadJob(s));
  return jobs;
}

namespace {
// SQLite's own format for the store's times (strftime('%Y-%m-%dT%H:%M:%fZ')), UTC to the
// millisecond; "" stands for now, which the statements below read as strftime(..., 'now').
std::string StoreTime(std::optional<ResultStore::WallTime> at) {
  if (!at) return "";
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(at->time_since_epoch()).count();
  const std::time_t seconds = static_cast<std::time_t>(ms / 1000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[40];
  const size_t n = std::strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%S", &utc);
  std::snprintf(text + n, sizeof(text) - n, ".%03dZ", static_cast<int>(ms % 1000));
  return text;
}
constexpr const char* kNow = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')";
constexpr const char* kTimeOrNow = "COALESCE(NULLIF(?, ''), strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))";
}  // namespace

int ResultStore::StartAttempt(int64_t job_id, const AttemptPlace& place,
                              std::optional<WallTime> at) {
  const std::string time = StoreTime(at);
  Transaction txn(db_);
  Statement update(db_,
                   std::string("UPDATE jobs SET status = 'running', attempts = attempts + 1, "
                               "rank = ?, host = ?, device = ?, threads = ?, isolation = ?, "
                               "started_at = ") +
                       kTimeOrNow +
                       ", finished_at = NULL, error_kind = NULL, error = NULL, progress = NULL "
                       "WHERE id = ? AND status = 'pending' RETURNING attempts",
                   Statement::Prepare::kReused);
  update.Bind(1, place.rank).Bind(2, place.host).Bind(3, place.device).Bind(4, place.threads);
  update.Bind(5, place.isolation).Bind(6, time).Bind(7, job_id);
  if (!update.Step()) return 0;
  const int attempt = static_cast<int>(update.Int(0));
  update.Run();
  Statement insert(db_,
                   std::string("INSERT INTO attempts (job_id, attempt, rank, host, started_at) "
                               "VALUES (?, ?, ?, ?, ") +
                       kTimeOrNow + ")",
                   Statement::Prepare::kReused);
  insert.Bind(1, job_id).Bind(2, attempt).Bind(3, place.rank).Bind(4, place.host).Bind(5, time);
  insert.Run();
  txn.Commit();
  return attempt;
}

namespace {
// Moves the job out of `running` only if `attempt` is still its current one. Returns false
// otherwise.
bool FenceAndSetStatus(Database& db, int64_t job_id, int attempt, const std::string& status,
                       const std::string& error_kind, const std::string& error,
                       const std::string& time) {
  Statement update(db,
                   std::string("UPDATE jobs SET status = ?, finished_at = ") + kTimeOrNow +
                       ", error_kind = NULLIF(?, ''), error = NULLIF(?, '') "
                       "WHERE id = ? AND attempts = ? AND status = 'running'",
                   Statement::Prepare::kReused);
  update.Bind(1, status).Bind(2, time).Bind(3, error_kind).Bind(4, error).Bind(5, job_id);
  update.Bind(6, attempt).Run();
  return db.Changes() == 1;
}

void CloseAttempt(Database& db, int64_t job_id, int attempt, const std::string& outcome,
                  const std::string& error, const std::string& time) {
  Statement update(db,
                   std::string("UPDATE attempts SET outcome = ?, error = NULLIF(?, ''), "
                               "finished_at = ") +
                       kTimeOrNow + " WHERE job_id = ? AND attempt = ?",
                   Statement::Prepare::kReused);
  update.Bind(1, outcome).Bind(2, error).Bind(3, time).Bind(4, job_id).Bind(5, attempt).Run();
}
}  // namespace

bool ResultStore::CommitResult(int64_t job_id, int attempt, const std::vector<Metric>& metrics,
                               const std::vector<CurvePoint>& curves, std::optional<WallTime> at,
                               const std::vector<Prediction>& predictions) {
  const std::string time = StoreTime(at);
  Transaction txn(db_);
  if (!FenceAndSetStatus(db_, job_id, attempt, "done", "", "", time)) return false;
  Statement insert_metric(db_,
                          "INSERT OR REPLACE INTO metrics (job_id, name, value) VALUES (?, ?, ?)",
                          Statement::Prepare::kReused);
  for (const Metric& m : metrics) {
    insert_metric.Reset();
    insert_metric.Bind(1, job_id).Bind(2, m.name).Bind(3, m.value).Run();
  }
  Statement insert_curve(
      db_, "INSERT OR REPLACE INTO curves (job_id, step, name, value) VALUES (?, ?, ?, ?)",
      Statement::Prepare::kReused);
  for (const CurvePoint& c : curves) {
    insert_curve.Reset();
    insert_curve.Bind(1, job_id).Bind(2, c.step).Bind(3, c.name).Bind(4, c.value).Run();
  }
  if (!predictions.empty()) {
    Statement insert_prediction(db_,
                                "INSERT OR REPLACE INTO predictions (job_id, example, label, "
                                "score) VALUES (?, ?, ?, ?)",
                                Statement::Prepare::kReused);
    for (const Prediction& p : predictions) {
      insert_prediction.Reset();
      insert_prediction.Bind(1, job_id).Bind(2, p.example).Bind(3, p.label).Bind(4, p.score).Run();
    }
  }
  CloseAttempt(db_, job_id, attempt, "done", "", time);
  txn.Commit();
  return true;
}

bool ResultStore::RecordProgress(int64_t job_id, int attempt, const std::string& progress,
                                 std::optional<WallTime> at) {
  // The text is the caller's JSON; only "at" is the store's, set as every other time it keeps.
  Statement update(db_,
                   std::string("UPDATE jobs SET progress = json_set(?, '$.at', ") + kTimeOrNow +
                       ") WHERE id = ? AND attempts = ? AND status = 'running'",
                   Statement::Prepare::kReused);
  update.Bind(1, progress).Bind(2, StoreTime(at)).Bind(3, job_id).Bind(4, attempt).Run();
  return db_.Changes() == 1;
}

bool ResultStore::RecordRungDecision(const RungDecisionRecord& d) {
  Statement insert(db_,
                   std::string("INSERT OR IGNORE INTO rung_decisions (job_id, attempt, epoch, "
                               "group_key, rule, metric, value, decision, reached, better, "
                               "allowed, threshold, reason, decided_at) SELECT ?1, ?2, ?3, ?4, ?5, "
                               "?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ") +
                       kNow + " FROM jobs WHERE id = ?1 AND attempts = ?2 AND status = 'running'",
                   Statement::Prepare::kReused);
  insert.Bind(1, d.job_id)
      .Bind(2, d.attempt)
      .Bind(3, d.epoch)
      .Bind(4, d.group)
      .Bind(5, d.rule)
      .Bind(6, d.metric)
      .Bind(7, d.value)
      .Bind(8, std::string(d.go_on ? "continue" : "stop"))
      .Bind(9, d.reached)
      .Bind(10, d.better);
  if (d.allowed) {
    insert.Bind(11, *d.allowed);
  } else {
    insert.BindNull(11);
  }
  if (d.threshold) {
    insert.Bind(12, *d.threshold);
  } else {
    insert.BindNull(12);
  }
  insert.Bind(13, d.reason).Run();
  if (db_.Changes() == 1) return true;
  Statement current(db_, "SELECT 1 FROM jobs WHERE id = ? AND attempts = ? AND status = 'running'");
  current.Bind(1, d.job_id).Bind(2, d.attempt);
  return current.Step();
}

std::vector<RungDecisionRecord> ResultStore::RungDecisions(int64_t batch_id) {
  // A store of schema 7 or older, opened to read, has no decisions, nor their table.
  Statement table(db_,
                  "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'rung_decisions'");
  if (!table.Step()) return {};
  Statement s(db_,
              "SELECT d.job_id, d.attempt, d.epoch, d.group_key, d.rule, d.metric, d.value, "
              "d.decision, d.reached, d.better, d.allowed, d.threshold, d.reason, d.decided_at "
              "FROM rung_decisions d JOIN jobs j ON j.id = d.job_id WHERE j.batch_id = ? "
              "ORDER BY d.id");
  s.Bind(1, batch_id);
  std::vector<RungDecisionRecord> out;
  while (s.Step()) {
    RungDecisionRecord d;
    d.job_id = s.Int(0);
    d.attempt = static_cast<int>(s.Int(1));
    d.epoch = s.Int(2);
    d.group = s.Text(3);
    d.rule = s.Text(4);
    d.metric = s.Text(5);
    d.value = s.IsNull(6) ? std::nan("") : s.Double(6);
    d.go_on = s.Text(7) == "continue";
    d.reached = s.Int(8);
    d.better = s.Int(9);
    if (!s.IsNull(10)) d.allowed = s.Int(10);
    if (!s.IsNull(11)) d.threshold = s.Double(11);
    d.reason = s.Text(12);
    d.decided_at = s.Text(13);
    out.push_back(std::move(d));
  }
  return out;
}

bool ResultStore::RecordFailure(int64_t job_id, int attempt, const std::string& outcome,
                                const std::string& message, bool retry, std::optional<WallTime> at,
                                const std::string& error_kind) {
  const std::string time = StoreTime(at);
  Transaction txn(db_);
  const bool current =
      retry ? FenceAndSetStatus(db_, job_id, attempt, "pending", "", "", time)
            : FenceAndSetStatus(db_, job_id, attempt, "failed",
                                error_kind.empty() ? outcome : error_kind, message, time);
  if (!current) return false;
  CloseAttempt(db_, job_id, attempt, outcome, message, time);
  txn.Commit();
  return true;
}

void ResultStore::FinishBatch(int64_t batch_id, const std::string& status) {
  Statement update(db_,
                   "UPDATE batches SET status = ?, finished_at = CASE WHEN ? = 'running' THEN NULL "
                   "ELSE strftime('%Y-%m-%dT%H:%M:%fZ', 'now') END WHERE id = ?");
  update.Bind(1, status).Bind(2, status).Bind(3, batch_id).Run();
}

std::optional<BatchRecord> ResultStore::FindBatchRecord(int64_t batch_id) {
  Statement s(db_,
              "SELECT id, name, grid_yaml, COALESCE(grid_path, ''), status, "
              "COALESCE(lease_owner, ''), COALESCE(lease_expires, ''), "
              "lease_owner IS NOT NULL AND lease_expires > strftime('%Y-%m-%dT%H:%M:%fZ', 'now') "
              "FROM batches WHERE id = ?");
  s.Bind(1, batch_id);
  if (!s.Step()) return std::nullopt;
  return BatchRecord{s.Int(0),  s.Text(1), s.Text(2), s.Text(3),
                     s.Text(4), s.Text(5), s.Text(6), s.Int(7) != 0};
}

std::vector<std::string> ResultStore::GridPaths() {
  Statement s(db_, "SELECT DISTINCT grid_path FROM batches WHERE grid_path <> ''");
  std::vector<std::string> paths;
  while (s.Step()) paths.push_back(s.Text(0));
  return paths;
}

std::optional<JobLocation> ResultStore::FindJob(int64_t job_id) {
  Statement s(db_, "SELECT batch_id, status, COALESCE(isolation, '') FROM jobs WHERE id = ?");
  s.Bind(1, job_id);
  if (!s.Step()) return std::nullopt;
  return JobLocation{s.Int(0), s.Text(1), s.Text(2)};
}

namespace {
std::string ExpiresIn(double ttl_s) {
  return "strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '+" + std::to_string(ttl_s) + " seconds')";
}
}  // namespace

LeaseClaim ResultStore::AcquireLease(
    int64_t batch_id, const std::string& owner, double ttl_s,
    const std::function<bool(const std::string& holder)>& holder_is_dead) {
  Transaction txn(db_);
  Statement current(db_,
                    std::string("SELECT COALESCE(lease_owner, ''), COALESCE(lease_expires, ''), "
                                "COALESCE(lease_expires, '') < ") +
                        kNow + " FROM batches WHERE id = ?");
  current.Bind(1, batch_id);
  if (!current.Step()) throw StoreError("no batch " + std::to_string(batch_id) + " in the store");
  LeaseClaim claim;
  const std::string holder = current.Text(0);
  const bool expired = current.Int(2) != 0;
  if (!holder.empty() && holder != owner && !expired && !holder_is_dead(holder)) {
    claim.holder = holder;
    claim.expires = current.Text(1);
    return claim;
  }
  claim.took_over = !holder.empty() && holder != owner;
  Statement take(db_, "UPDATE batches SET lease_owner = ?, lease_expires = " + ExpiresIn(ttl_s) +
                          " WHERE id = ?");
  take.Bind(1, owner).Bind(2, batch_id).Run();
  txn.Commit();
  claim.acquired = true;
  return claim;
}

bool ResultStore::RenewLease(int64_t batch_id, const std::string& owner, double ttl_s) {
  Statement renew(db_, "UPDATE batches SET lease_expires = " + ExpiresIn(ttl_s) +
                           " WHERE id = ? AND lease_owner = ?");
  renew.Bind(1, batch_id).Bind(2, owner).Run();
  return db_.Changes() == 1;
}

void ResultStore::ReleaseLease(int64_t batch_id, const std::string& owner) {
  Statement release(db_,
                    "UPDATE batches SET lease_owner = NULL, lease_expires = NULL "
                    "WHERE id = ? AND lease_owner = ?");
  release.Bind(1, batch_id).Bind(2, owner).Run();
}

int ResultStore::CountedAttempts(int64_t job_id) {
  Statement s(
      db_, "SELECT count(*) FROM attempts WHERE job_id = ? AND outcome IN " + CountedOutcomesSql());
  s.Bind(1, job_id);
  s.Step();
  return static_cast<int>(s.Int(0));
}

std::vector<ResultStore::RunningAttempt> ResultStore::RunningAttempts(int64_t batch_id) {
  std::vector<RunningAttempt> running;
  Statement s(db_,
              "SELECT id, attempts, COALESCE(isolation, '') = 'inproc' AND rank = 0 FROM jobs "
              "WHERE batch_id = ? AND status = 'running'");
  s.Bind(1, batch_id);
  while (s.Step()) running.push_back({s.Int(0), static_cast<int>(s.Int(1)), s.Int(2) != 0});
  return running;
}

ResultStore::Requeued ResultStore::RequeueRunning(int64_t batch_id, int max_attempts) {
  Requeued requeued;
  for (const auto& job : RunningAttempts(batch_id)) {
    if (!job.in_coordinator) {
      RecordFailure(job.job_id, job.attempt, "abandoned",
                    "its coordinator died while the job ran in a process of its own: not the "
                    "job's doing, so it does not count; it runs again",
                    /*retry=*/true);
      ++requeued.abandoned;
      continue;
    }
    const bool poisoned = !RankDied(job.job_id, job.attempt, max_attempts,
                                    "the coordinator's process, which ran this job inproc, died "
                                    "while it ran: the job may have brought it down");
    ++(poisoned ? requeued.poisoned : requeued.suspects);
  }
  return requeued;
}

int64_t ResultStore::AbandonRunning(int64_t batch_id, const std::string& owner,
                                    const std::string& why) {
  Transaction txn(db_);
  Statement ours(db_, "SELECT 1 FROM batches WHERE id = ? AND lease_owner = ?");
  ours.Bind(1, batch_id).Bind(2, owner);
  if (!ours.Step()) return 0;
  int64_t abandoned = 0;
  for (const auto& job : RunningAttempts(batch_id)) {
    abandoned += RecordFailure(job.job_id, job.attempt, "abandoned", why, /*retry=*/true) ? 1 : 0;
  }
  txn.Commit();
  return abandoned;
}

bool ResultStore::RankDied(int64_t job_id, int attempt, int max_attempts, const std::string& why) {
  const int counted = CountedAttempts(job_id) + 1;
  const bool retry = counted < max_attempts;
  const std::string message =
      retry ? why + " (counted: attempt " + std::to_string(counted) + " of " +
                  std::to_string(max_attempts) + ")"
            : "poison: " + why + "; it took its process down " + std::to_string(counted) +
                  " times, as many as its attempts: not run again (resume --retry-failed runs "
                  "it anyway)";
  RecordFailure(job_id, attempt, "rank_died", message, retry, std::nullopt, "crash");
  return retry;
}

bool ResultStore::MarkRankDied(int64_t job_id, int attempt, int max_attempts,
                               const std::string& why) {
  Transaction txn(db_);
  Statement outcome(db_, "SELECT outcome FROM attempts WHERE job_id = ? AND attempt = ?");
  outcome.Bind(1, job_id).Bind(2, attempt);
  if (!outcome.Step() || outcome.Text(0) != "interrupted") return false;
  // Reopen the attempt, then end it again as rank_died (fenced like any other ending).
  Statement reopen(db_,
                   "UPDATE attempts SET outcome = NULL, error = NULL, finished_at = NULL "
                   "WHERE job_id = ? AND attempt = ?");
  reopen.Bind(1, job_id).Bind(2, attempt).Run();
  Statement running(db_, "UPDATE jobs SET status = 'running' WHERE id = ? AND attempts = ?");
  running.Bind(1, job_id).Bind(2, attempt).Run();
  RankDied(job_id, attempt, max_attempts, why);
  txn.Commit();
  return true;
}

int64_t ResultStore::RetryFailed(int64_t batch_id) {
  Statement s(db_,
              "UPDATE jobs SET status = 'pending', error_kind = NULL, error = NULL, "
              "finished_at = NULL WHERE batch_id = ? AND status = 'failed'");
  s.Bind(1, batch_id).Run();
  return db_.Changes();
}

void ResultStore::RequestStop(int64_t batch_id) {
  Statement s(db_, std::string("UPDATE batches SET stop_requested_at = ") + kNow + " WHERE id = ?");
  s.Bind(1, batch_id).Run();
}

bool ResultStore::StopRequested(int64_t batch_id) {
  Statement s(db_, "SELECT stop_requested_at IS NOT NULL FROM batches WHERE id = ?");
  s.Bind(1, batch_id);
  return s.Step() && s.Int(0) != 0;
}

void ResultStore::ClearStopRequest(int64_t batch_id) {
  Statement s(db_, "UPDATE batches SET stop_requested_at = NULL WHERE id = ?");
  s.Bind(1, batch_id).Run();
}

std::optional<int64_t> ResultStore::LatestUnfinishedBatchId() {
  Statement s(db_, "SELECT max(id) FROM batches WHERE status NOT IN ('done', 'failed')");
  if (!s.Step() || s.IsNull(0)) return std::nullopt;
  return s.Int(0);
}

namespace {
constexpr const char* kBatchSummarySql = R"sql(
SELECT b.id, b.name, b.status, b.created_at, COALESCE(b.finished_at, ''), COALESCE(b.host, ''),
       COALESCE(b.git_rev, ''),
       COUNT(j.id),
       COALESCE(SUM(j.status = 'pending'), 0), COALESCE(SUM(j.status = 'running'), 0),
       COALESCE(SUM(j.status = 'done'), 0), COALESCE(SUM(j.status = 'failed'), 0),
       COALESCE(SUM(j.reused_from IS NOT NULL), 0),
       (julianday(COALESCE(b.finished_at, 'now')) - julianday(b.created_at)) * 86400.0,
       COALESCE(SUM(CASE WHEN j.status = 'done' AND j.reused_from IS NULL
                    THEN (julianday(j.finished_at) - julianday(j.started_at)) * 86400.0 END), 0),
       COALESCE(b.description, ''), b.tags, COALESCE(b.overrides, '[]')
FROM batches b LEFT JOIN jobs j ON j.batch_id = b.id
)sql";

BatchSummary ReadSummary(const Statement& s) {
  BatchSummary b;
  b.id = s.Int(0);
  b.name = s.Text(1);
  b.status = s.Text(2);
  b.created_at = s.Text(3);
  b.finished_at = s.Text(4);
  b.host = s.Text(5);
  b.git_rev = s.Text(6);
  b.total = s.Int(7);
  b.pending = s.Int(8);
  b.running = s.Int(9);
  b.done = s.Int(10);
  b.failed = s.Int(11);
  b.reused = s.Int(12);
  b.elapsed_s = s.Double(13);
  b.done_job_seconds = s.Double(14);
  b.description = s.Text(15);
  auto strings = [](const std::string& text) {
    std::vector<std::string> values;
    const auto array = nlohmann::json::parse(text, nullptr, false);
    if (array.is_array()) {
      for (const auto& value : array) {
        if (value.is_string()) values.push_back(value.get<std::string>());
      }
    }
    return values;
  };
  b.tags = strings(s.Text(16));
  b.overrides = strings(s.Text(17));
  return b;
}
}  // namespace

std::vector<BatchSummary> ResultStore::ListBatches() {
  Statement s(db_, std::string(kBatchSummarySql) + " GROUP BY b.id ORDER BY b.id");
  std::vector<BatchSummary> batches;
  while (s.Step()) batches.push_back(ReadSummary(s));
  return batches;
}

std::optional<BatchSummary> ResultStore::FindBatch(int64_t batch_id) {
  Statement s(db_, std::string(kBatchSummarySql) + " WHERE b.id = ? GROUP BY b.id");
  s.Bind(1, batch_id);
  if (!s.Step()) return std::nullopt;
  return ReadSummary(s);
}

std::optional<int64_t> ResultStore::LatestBatchId() {
  Statement s(db_, "SELECT max(id) FROM batches");
  if (!s.Step() || s.IsNull(0)) return std::nullopt;
  return s.Int(0);
}

int64_t ResultStore::BatchCount() {
  Statement s(db_, "SELECT count(*) FROM batches");
  return s.Step() ? s.Int(0) : 0;
}

std::optional<int64_t> ResultStore::FindBatchId(const std::string& id_or_name) {
  Statement s(db_,
              "SELECT id FROM batches WHERE CAST(id AS TEXT) = ?1 OR name = ?1 "
              "ORDER BY CAST(id AS TEXT) = ?1 DESC, id DESC LIMIT 1");
  s.Bind(1, id_or_name);
  if (!s.Step()) return std::nullopt;
  return s.Int(0);
}

std::vector<ResultStore::ExperimentCounts> ResultStore::CountsByExperiment(int64_t batch_id) {
  Statement s(db_,
              "SELECT experiment, COUNT(*), SUM(status = 'pending'), SUM(status = 'running'), "
              "SUM(status = 'done'), SUM(status = 'failed') FROM jobs WHERE batch_id = ? "
              "GROUP BY experiment ORDER BY MIN(id)");
  s.Bind(1, batch_id);
  std::vector<ExperimentCounts> counts;
  while (s.Step()) {
    counts.push_back({s.Text(0), s.Int(1), s.Int(2), s.Int(3), s.Int(4), s.Int(5)});
  }
  return counts;
}

std::vector<JobRecord> ResultStore::JobsWithMetrics(const std::vector<int64_t>& batch_ids,
                                                    const std::string& status) {
  Statement s(db_, std::string("SELECT ") + kJobColumns + " FROM jobs WHERE batch_id IN " +
                       IdList(batch_ids) + " AND (? = '' OR status = ?) ORDER BY batch_id, id");
  s.Bind(1, status).Bind(2, status);
  std::vector<JobRecord> jobs;
  std::map<int64_t, size_t> index;
  while (s.Step()) {
    index[s.Int(0)] = jobs.size();
    jobs.push_back(ReadJob(s));
  }
  Statement m(db_,
              "SELECT m.job_id, m.name, m.value FROM metrics m JOIN jobs j ON j.id = m.job_id "
              "WHERE j.batch_id IN " +
                  IdList(batch_ids));
  while (m.Step()) {
    auto it = index.find(m.Int(0));
    // A NULL value is a NaN that SQLite could not store; leave it out of the aggregates.
    if (it != index.end() && !m.IsNull(2)) jobs[it->second].metrics[m.Text(1)] = m.Double(2);
  }
  return jobs;
}

std::vector<int64_t> ResultStore::JobIdsWhere(const std::vector<int64_t>& batch_ids,
                                              const std::string& condition) {
  // The condition is the user's SQL: it goes through the read-only guard, never a plain statement.
  const QueryResult result =
      RunReadOnlyQuery(db_, "SELECT job_id FROM wide WHERE batch_id IN " + IdList(batch_ids) +
                                " AND (" + condition + "\n)");
  std::vector<int64_t> ids;
  for (const auto& row : result.rows) ids.push_back(std::get<int64_t>(row[0]));
  return ids;
}

std::map<int64_t, std::vector<CurvePoint>> ResultStore::Curves(
    const std::vector<int64_t>& job_ids) {
  std::map<int64_t, std::vector<CurvePoint>> curves;
  if (job_ids.empty()) return curves;
  Statement s(db_, "SELECT job_id, step, name, value FROM curves WHERE job_id IN " +
                       IdList(job_ids) + " AND value IS NOT NULL ORDER BY job_id, name, step");
  while (s.Step()) curves[s.Int(0)].push_back({s.Int(1), s.Text(2), s.Double(3)});
  return curves;
}

std::vector<Prediction> ResultStore::Predictions(int64_t job_id) {
  std::vector<Prediction> predictions;
  Statement s(db_,
              "SELECT example, label, score FROM predictions WHERE job_id = ? ORDER BY example");
  s.Bind(1, job_id);
  while (s.Step()) predictions.push_back({s.Int(0), static_cast<int>(s.Int(1)), s.Double(2)});
  return predictions;
}

void ResultStore::SetBatchLabels(int64_t batch_id, const std::optional<std::string>& description,
                                 const std::vector<std::string>& tags) {
  Statement s(db_,
              "UPDATE batches SET tags = ?, description = CASE WHEN ? THEN NULLIF(?, '') "
              "ELSE description END WHERE id = ?");
  s.Bind(1, nlohmann::json(tags).dump())
      .Bind(2, static_cast<int64_t>(description.has_value()))
      .Bind(3, description.value_or(""))
      .Bind(4, batch_id)
      .Run();
}

std::vector<std::string> ResultStore::DeleteBatch(int64_t batch_id) {
  Transaction txn(db_);
  std::vector<std::string> orphan_keys;
  Statement keys(db_,
                 "SELECT DISTINCT job_key FROM jobs j WHERE batch_id = ?1 AND NOT EXISTS "
                 "(SELECT 1 FROM jobs o WHERE o.job_key = j.job_key AND o.batch_id <> ?1)");
  keys.Bind(1, batch_id);
  while (keys.Step()) orphan_keys.push_back(keys.Text(0));
  const std::string mine =
      "(SELECT id FROM jobs WHERE batch_id = " + std::to_string(batch_id) + ")";
  db_.Exec("UPDATE jobs SET reused_from = NULL WHERE reused_from IN " + mine);
  for (const char* table : {"metrics", "curves", "predictions", "attempts", "rung_decisions"}) {
    db_.Exec(std::string("DELETE FROM ") + table + " WHERE job_id IN " + mine);
  }
  db_.Exec("DELETE FROM jobs WHERE batch_id = " + std::to_string(batch_id));
  db_.Exec("DELETE FROM batches WHERE id = " + std::to_string(batch_id));
  txn.Commit();
  return orphan_keys;
}

}  // namespace attnsweep
