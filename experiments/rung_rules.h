// The rules that stop a training job early on what its group's other jobs reached (issue 32's
// `scheduler:`): asynchronous successive halving (ASHA: Li et al. 2020, "A System for Massively
// Parallel Hyperparameter Tuning") and the median stopping rule (Golovin et al. 2017, Google
// Vizier). Plain logic over the validation figures jobs report after each epoch, in the order the
// coordinator hears them: no clock, no MPI, no store, so the same reports in the same order give
// the same decisions — which is what lets `resume` replay the stored reports and go on as a run
// without the kill would have.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace attnsweep {

struct RungRule {
  enum class Type { kAsha, kMedian };
  Type type = Type::kAsha;
  bool higher_is_better = true;  // mode: max (val_auc) or min (a loss)
  int64_t grace = 1;             // epochs before the first decision
  int64_t max_epochs = 27;       // what a job that is never stopped runs
  int64_t reduction = 3;         // ASHA: the top 1/reduction of a rung go on
};

// ASHA's rungs: grace · reduction^k epochs, below max_epochs (a job at max_epochs is finished, not
// judged). The median rule judges every epoch from grace on, below max_epochs.
std::vector<int64_t> RungEpochs(const RungRule& rule);

// What was decided about a job at one epoch, and what it rested on (stored with it).
struct RungDecision {
  bool judged = false;  // false: not a rung epoch, nothing decided, the job goes on
  bool go_on = true;
  int64_t epoch = 0;
  double value = 0;      // the job's figure at that epoch
  int64_t reached = 0;   // jobs of its group with a figure at this rung, itself included
  int64_t better = 0;    // of those, how many had a strictly better figure
  int64_t allowed = 0;   // ASHA: how many may go on, ceil(reached / reduction)
  double threshold = 0;  // ASHA: the allowed-th best figure; median: the others' median
  std::string reason;    // for people: "rung 3: 2 of 5 better, top 2 go on"
};

class RungJudge {
 public:
  explicit RungJudge(RungRule rule) : rule_(rule), rungs_(RungEpochs(rule)) {}

  // A job of `group` reports `value` after `epoch`. At a rung epoch the figure is recorded, then
  // judged against every figure its group recorded at that rung so far (ties go on); elsewhere
  // nothing is decided. A report of an epoch the job already reported (a resumed attempt) is judged
  // as the first report was, and not recorded twice.
  RungDecision Report(const std::string& group, int64_t job, int64_t epoch, double value);

 private:
  struct Rung {
    std::vector<double> values;               // in arrival order
    std::map<int64_t, RungDecision> decided;  // by job
  };
  RungRule rule_;
  std::vector<int64_t> rungs_;
  std::map<std::pair<std::string, int64_t>, Rung> recorded_;  // (group, epoch)
};

}  // namespace attnsweep
