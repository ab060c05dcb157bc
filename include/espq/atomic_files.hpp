// The one atomic file writer of espq (the .espdl/.info/.json outputs of quantize, .npy files, test fixtures).
//
// Several files are written as one transaction: each goes to a temporary file (mkstemp) in its own directory,
// is flushed to disk (fsync), and only when every one of them is complete are they renamed into place. On any
// failure the temporaries are removed and a one-line UserError names the path, so a failed run never leaves a
// partial file or a partial set of files behind.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace espq {

struct FileContents {
    std::string path;
    std::string bytes;
};

// `what` names the kind of file in messages ("cannot write numpy file 'x.npy': ..."); empty = just the path.
void write_files_atomically(const std::vector<FileContents>& files, const std::string& what = "");

void write_file_atomic(const std::string& path, const std::string& bytes, const std::string& what = "");
void write_file_atomic(const std::string& path, const std::vector<uint8_t>& bytes, const std::string& what = "");

}  // namespace espq
