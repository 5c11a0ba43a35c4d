// How much a file is wanted: skipped files are not downloaded (and never created on disk), and
// higher priorities are downloaded before lower ones.
#pragma once

#include <cstdint>

namespace tessera {

/// A file's priority. The named values are the usual steps; any value 0..7 is accepted (values
/// above 7 count as 7). Every piece gets the highest priority of the files it overlaps, so a piece
/// shared by a skipped file and a wanted one is downloaded (the skipped file's bytes of it go to
/// the part file `<save_path>/.<info-hash hex>.parts`, never into the skipped file).
/// Priorities order the download only: low files are not slowed down while nothing of a higher
/// priority is left to request from a peer.
enum class file_priority : std::uint8_t {
  skip = 0,    ///< not downloaded; the file is not created
  low = 1,     ///< downloaded after every higher-priority file's pieces
  normal = 4,  ///< the default
  high = 7,    ///< downloaded first
};

}  // namespace tessera
