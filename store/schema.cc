#include "store/schema.h"

#include <algorithm>
#include <string>
#include <vector>

namespace attnsweep {
namespace {

// Figures that get a column of their own in the `results` view; every figure is in `metric_values`.
const char* const kResultColumns[] = {"seconds",
                                      "fwd_ms",
                                      "fwd_ms_min",
                                      "fwd_ms_max",
                                      "fwdbwd_ms",
                                      "fwdbwd_ms_min",
                                      "fwdbwd_ms_max",
                                      "tokens_per_s",
                                      "fwdbwd_tokens_per_s",
                                      "peak_mb",
                                      "fwdbwd_peak_mb",
                                      "rss_mb",
                                      "test_auc",
                                      "test_accuracy",
                                      "test_logloss",
                                      "test_auc_lo",
                                      "test_auc_hi",
                                      "best_val_auc",
                                      "rel_error",
                                      "recon_error",
                                      "best_epoch",
                                      "epoch_s",
                                      "train_tokens_per_s",
                                      "node_jobs"};

// `job_columns`: the jobs table's own columns the view shows, as they were at that schema version.
// From version 4 on, `seconds` is every job's wall time (WallSecondsSql).
std::string ResultsView(const std::string& job_columns, bool wall_seconds = false) {
  std::string sql =
      "CREATE VIEW results AS SELECT j.id AS job_id, j.batch_id, b.name AS batch, j.experiment, "
      "j.status, j.error_kind, ";
  for (const ConfigShortName& short_name : ConfigShortNames()) {
    sql += ConfigValueSql(short_name.key) + " AS " + short_name.name + ", ";
  }
  sql += job_columns + ", j.config";
  for (const char* name : kResultColumns) {
    if (wall_seconds && std::string(name) == "seconds") {
      sql += ", " + WallSecondsSql() + " AS seconds";
    } else {
      sql += ", " + FigureSql(name) + " AS " + name;
    }
  }
  sql += " FROM jobs j JOIN batches b ON b.id = j.batch_id;";
  return sql;
}

// The attempts table rebuilt with `outcomes` (an SQL list) in the CHECK on its outcome: SQLite
// cannot change a CHECK in place, so a new table (attempts_vVERSION while both exist) takes the
// rows and then the name.
std::string RebuildAttempts(int version, const std::string& outcomes) {
  const std::string table = "attempts_v" + std::to_string(version);
  return "\nCREATE TABLE " + table + R"sql( (
  job_id      INTEGER NOT NULL REFERENCES jobs(id),
  attempt     INTEGER NOT NULL,
  rank        INTEGER,
  host        TEXT,
  started_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  finished_at TEXT,
  outcome     TEXT CHECK (outcome IN ()sql" +
         outcomes + R"sql()),
  error       TEXT,
  PRIMARY KEY (job_id, attempt)
);
INSERT INTO )sql" +
         table + R"sql( (job_id, attempt, rank, host, started_at, finished_at, outcome, error)
  SELECT job_id, attempt, rank, host, started_at, finished_at, outcome, error FROM attempts;
DROP TABLE attempts;
ALTER TABLE )sql" +
         table + " RENAME TO attempts;\n";
}

// Each entry moves the schema from version i to i + 1. Never edit one that has shipped: add
// another. The CHECK on attempts.outcome lists the rows of kAttemptOutcomes
// (experiments/base/attempt_outcomes.h) as they were then: a new row needs a migration that widens
// it (StoreTest.AttemptsTakeEveryOutcomeOfTheTableAndNoOther).
std::vector<std::string> Migrations() {
  return {
      R"sql(
CREATE TABLE batches (
  id            INTEGER PRIMARY KEY,
  name          TEXT NOT NULL,
  grid_yaml     TEXT NOT NULL,
  grid_path     TEXT,
  status        TEXT NOT NULL
                CHECK (status IN ('running', 'done', 'failed', 'interrupted', 'stopped')),
  created_at    TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  finished_at   TEXT,
  host          TEXT,
  git_rev       TEXT,
  versions      TEXT,
  lease_owner   TEXT,
  lease_expires TEXT,
  stop_requested_at TEXT
);
CREATE TABLE jobs (
  id          INTEGER PRIMARY KEY,
  batch_id    INTEGER NOT NULL REFERENCES batches(id),
  experiment  TEXT NOT NULL,
  job_key     TEXT NOT NULL,
  config      TEXT NOT NULL,
  cost        REAL NOT NULL DEFAULT 0,
  limits      TEXT NOT NULL DEFAULT '{}',
  status      TEXT NOT NULL DEFAULT 'pending'
              CHECK (status IN ('pending', 'running', 'done', 'failed')),
  attempts    INTEGER NOT NULL DEFAULT 0,
  rank        INTEGER,
  host        TEXT,
  device      TEXT,
  threads     INTEGER,
  started_at  TEXT,
  finished_at TEXT,
  error_kind  TEXT,
  error       TEXT,
  UNIQUE (batch_id, job_key)
);
CREATE INDEX jobs_by_batch_status ON jobs(batch_id, status);
CREATE INDEX jobs_by_key ON jobs(job_key);
CREATE TABLE attempts (
  job_id      INTEGER NOT NULL REFERENCES jobs(id),
  attempt     INTEGER NOT NULL,
  rank        INTEGER,
  host        TEXT,
  started_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  finished_at TEXT,
  outcome     TEXT CHECK (outcome IN ('done', 'error', 'crash', 'timeout', 'oom', 'diverged',
                                      'invalid', 'interrupted', 'lost')),
  error       TEXT,
  PRIMARY KEY (job_id, attempt)
);
CREATE TABLE metrics (
  job_id INTEGER NOT NULL REFERENCES jobs(id),
  name   TEXT NOT NULL,
  value  REAL,
  PRIMARY KEY (job_id, name)
);
CREATE TABLE curves (
  job_id INTEGER NOT NULL REFERENCES jobs(id),
  step   INTEGER NOT NULL,
  name   TEXT NOT NULL,
  value  REAL,
  PRIMARY KEY (job_id, name, step)
);
CREATE VIEW metric_values AS
  SELECT j.batch_id, j.id AS job_id, j.experiment, j.config, m.name, m.value
  FROM jobs j JOIN metrics m ON m.job_id = j.id;
)sql",
      // 2: how each job was isolated; the results view (re)created with today's columns. A view
      // holds no data: dropping and recreating it is how its columns change, so version 1 as
      // written today leaves it to this step (stores made by earlier builds have one to drop).
      "ALTER TABLE jobs ADD COLUMN isolation TEXT; DROP VIEW IF EXISTS results; " +
          ResultsView("j.threads, j.host, j.device, j.isolation"),
      // 3: each job's plan (how it runs, its cost estimate), results reused from earlier batches,
      // and how many worker ranks a batch's run has (for its ETA).
      "ALTER TABLE jobs ADD COLUMN plan TEXT; ALTER TABLE jobs ADD COLUMN reused_from INTEGER "
      "REFERENCES jobs(id); ALTER TABLE batches ADD COLUMN workers INTEGER; "
      "DROP VIEW IF EXISTS results; " +
          ResultsView("j.threads, j.host, j.device, j.isolation, j.reused_from"),
      // 4: a batch's description and tags (from the grid, or set later with `attnsweep tag`);
      // `seconds` in the results view for every job.
      "ALTER TABLE batches ADD COLUMN description TEXT; "
      "ALTER TABLE batches ADD COLUMN tags TEXT NOT NULL DEFAULT '[]'; "
      "DROP VIEW IF EXISTS results; " +
          ResultsView("j.threads, j.host, j.device, j.isolation, j.reused_from", true),
      // 5: three more ways an attempt ends (experiments/base/attempt_outcomes.h): `killed` (a
      // SIGKILL that was not the kernel's OOM killer's), `abandoned` (its coordinator died while
      // the job ran in a process of its own) and `rank_died` (its worker rank died while running
      // it). SQLite cannot change a CHECK in place: the table is rebuilt, its rows copied.
      RebuildAttempts(5, R"sql('done', 'error', 'crash', 'timeout', 'oom', 'diverged',
                                      'invalid', 'interrupted', 'lost', 'killed', 'abandoned',
                                      'rank_died')sql"),
      // 6: each train job's test scores, one row per test customer, so that two jobs can be
      // compared paired on the same customers (results --compare). No rowid: the key is the row.
      R"sql(
CREATE TABLE predictions (
  job_id  INTEGER NOT NULL REFERENCES jobs(id),
  example INTEGER NOT NULL,
  label   INTEGER NOT NULL,
  score   REAL,
  PRIMARY KEY (job_id, example)
) WITHOUT ROWID;
)sql",
      // 7: how far each running job has got, as it last said (JSON: its epoch of epochs, the
      // validation figure it follows, and "at", when the coordinator heard it); kept once it
      // ends, cleared when an attempt starts. And the nodes (or GPUs) a batch's run has, for the
      // ETA: jobs that need their node to themselves run one at a time on each.
      "ALTER TABLE jobs ADD COLUMN progress TEXT; ALTER TABLE batches ADD COLUMN nodes INTEGER;",
      // 8: an early-stopping scheduler's decisions (experiments/rung_rules.h), with the evidence
      // each rested on; their order (id) is the order they were made in, which `resume` replays.
      R"sql(
CREATE TABLE rung_decisions (
  id         INTEGER PRIMARY KEY,
  job_id     INTEGER NOT NULL REFERENCES jobs(id),
  attempt    INTEGER NOT NULL,
  epoch      INTEGER NOT NULL,
  group_key  TEXT NOT NULL,
  rule       TEXT NOT NULL,
  metric     TEXT NOT NULL,
  value      REAL,
  decision   TEXT NOT NULL CHECK (decision IN ('continue', 'stop')),
  reached    INTEGER NOT NULL,
  better     INTEGER NOT NULL,
  allowed    INTEGER,
  threshold  REAL,
  reason     TEXT NOT NULL,
  decided_at TEXT NOT NULL,
  UNIQUE (job_id, epoch)
);
)sql",
      // 9: `worker_fault`, an attempt ended by its worker's machinery, not by the job (the job
      // launcher died, a process could not be started): the CHECK widened as in 5.
      RebuildAttempts(9, R"sql('done', 'error', 'crash', 'timeout', 'oom', 'diverged',
                                      'invalid', 'interrupted', 'lost', 'killed', 'abandoned',
                                      'rank_died', 'worker_fault')sql"),
      // 10: the data fingerprint each job's key was made with (experiments/data/data_fingerprint.h:
      // "csv-sha256:...", "synthetic-vN"), so that resume can tell that the data changed under a
      // batch; NULL for jobs stored before and for tasks that read no data.
      "ALTER TABLE jobs ADD COLUMN data_fingerprint TEXT;",
      // 11: `job_id` in jobs too (the name every other table and view uses; `id` stays), and the
      // results view with the train task's interval and best validation figure. Every config key
      // and figure is in the `wide` view that `attnsweep query` makes (store/wide_view.h).
      "ALTER TABLE jobs ADD COLUMN job_id INTEGER GENERATED ALWAYS AS (id) VIRTUAL; "
      "DROP VIEW IF EXISTS results; " +
          ResultsView("j.threads, j.host, j.device, j.isolation, j.reused_from", true),
      // 12: the command line's overrides a batch's grid was expanded with (a JSON list of
      // `key=values` as given; NULL for a batch without, and for batches stored before).
      "ALTER TABLE batches ADD COLUMN overrides TEXT;",
  };
}

}  // namespace

int CurrentSchemaVersion() { return static_cast<int>(Migrations().size()); }

const std::vector<ConfigShortName>& ConfigShortNames() {
  static const std::vector<ConfigShortName> names = {{"task", "task"},
                                                     {"attention", "model.attention"},
                                                     {"max_len", "data.max_len"},
                                                     {"d_model", "model.d_model"},
                                                     {"heads", "model.heads"},
                                                     {"batch_size", "bench.batch_size"},
                                                     {"seed", "seed"}};
  return names;
}

namespace {
// `text` as an SQL string literal.
std::string QuoteText(const std::string& text) {
  std::string quoted = "'";
  for (char c : text) quoted += c == '\'' ? std::string("''") : std::string(1, c);
  return quoted + "'";
}
}  // namespace

std::string ConfigValueSql(const std::string& dotted_key) {
  return "json_extract(j.config, " + QuoteText("$." + dotted_key) + ")";
}

std::string FigureSql(const std::string& name) {
  return "(SELECT value FROM metrics m WHERE m.job_id = j.id AND m.name = " + QuoteText(name) + ")";
}

std::string WallSecondsSql() {
  return "COALESCE(" + FigureSql("seconds") +
         ", ROUND((julianday(j.finished_at) - julianday(j.started_at)) * 86400.0, 3))";
}

namespace {
int UserVersion(const Database& db) {
  Statement version(db, "PRAGMA user_version");
  version.Step();
  return static_cast<int>(version.Int(0));
}

void RefuseNewer(const Database& db, int found) {
  if (found > CurrentSchemaVersion()) {
    throw StoreError("store '" + db.path() + "' has schema version " + std::to_string(found) +
                     ", written by a newer attnsweep (this one knows up to " +
                     std::to_string(CurrentSchemaVersion()) + "): upgrade attnsweep");
  }
}
// A database with tables of its own and no attnsweep schema is someone else's: adding ours beside
// them would mix two programs' data in one file.
void RefuseForeign(Database& db) {
  Statement tables(db,
                   "SELECT group_concat(name, ', ') FROM (SELECT name FROM sqlite_master WHERE "
                   "type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name LIMIT 5)");
  if (!tables.Step() || tables.IsNull(0)) return;
  throw StoreError("'" + db.path() + "' is an SQLite database of another program (tables " +
                   tables.Text(0) +
                   "), not an attnsweep store: nothing was written to it; pass another --db");
}
}  // namespace

void MigrateSchema(Database& db, int target) {
  // Before anything is written, WAL mode included (it rewrites the file's header).
  if (UserVersion(db) == 0) RefuseForeign(db);
  // WAL: readers never block the writer, and a kill -9 loses no committed transaction. NORMAL sync:
  // a power cut may lose the last transactions, but the file stays consistent.
  db.Exec("PRAGMA journal_mode = WAL");
  db.Exec("PRAGMA synchronous = NORMAL");
  db.Exec("PRAGMA foreign_keys = ON");
  const auto migrations = Migrations();
  for (;;) {
    Transaction txn(db);  // re-read the version under the write lock: another process may migrate
    const int version = UserVersion(db);
    RefuseNewer(db, version);
    if (version >= std::min(target, static_cast<int>(migrations.size()))) break;
    db.Exec(migrations[version]);
    db.Exec("PRAGMA user_version = " + std::to_string(version + 1));
    txn.Commit();
  }
}

int SchemaVersion(const Database& db) { return UserVersion(db); }

void CheckSchemaReadable(const Database& db) {
  const int version = UserVersion(db);
  if (version == 0) {
    throw StoreError("'" + db.path() + "' is not an attnsweep store (no schema): check --db");
  }
  RefuseNewer(db, version);
}

}  // namespace attnsweep
