// Writes several output files as one transaction: every file goes to a temporary name in its directory
// first, and only when all of them are complete are they renamed into place. On any failure the
// temporaries are removed and a UserError names the path, so a failed run never leaves a partial set.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace espq::cli {

void write_files_atomically(const std::vector<std::pair<std::string, std::string>>& files);

}  // namespace espq::cli
