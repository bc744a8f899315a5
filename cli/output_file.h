// The files `export -o` and `report -o` write: never over the store they read, its journal files
// or a grid one of its batches was run from, and through a temporary file renamed into place, so
// that a failed write leaves nothing half-written and a reader never sees half a file.
#pragma once

#include <string>
#include <vector>

namespace attnsweep {

// What is wrong with writing `output` ("" when nothing): it is the store at `db`, its -wal, -shm
// or -journal, one of `inputs` (the same file by any path: links count), or a directory.
std::string OutputProblem(const std::string& output, const std::string& db,
                          const std::vector<std::string>& inputs);

class ResultStore;

// OutputProblem for the store opened from `db`, its batches' grids the inputs; false, with the
// problem printed, when `output` must not be written.
bool OutputMayBeWritten(const std::string& output, const std::string& db, ResultStore& store);

// Writes `text` to `path` (replacing it) through a temporary file in the same folder; false, with
// the reason printed, when it cannot.
bool WriteOutputFile(const std::string& path, const std::string& text);

}  // namespace attnsweep
