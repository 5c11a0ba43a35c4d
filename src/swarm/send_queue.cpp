// send_queue: the swap of the two buffers and the end of a write.
#include "swarm/send_queue.hpp"

#include <utility>

namespace tessera::detail {

void send_queue::start_write() {
  std::swap(queued_, writing_);  // writing_ was empty: queued_ keeps its capacity for reuse
  queued_.clear();
  written_ = 0;
}

void send_queue::wrote(std::size_t n) {
  written_ += n;
  if (written_ < writing_.size()) return;
  written_ = 0;
  if (writing_.capacity() > keep_capacity_) {
    std::vector<std::uint8_t>().swap(writing_);  // a burst's memory goes back
  } else {
    writing_.clear();
  }
}

}  // namespace tessera::detail
