// Reading Server-Sent Events (the WHATWG HTML standard's text/event-stream) from the bytes of a
// stream as they arrive, for `tessera watch`. Pure: no I/O; bounded memory.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "tessera/result.hpp"

namespace tessera::cli {

/// One dispatched event. `name` is "message" when the stream gave no `event:` field.
struct sse_event {
  std::string name;
  std::string id;    ///< the last `id:` seen on the stream (kept across events, as the standard says)
  std::string data;  ///< the `data:` lines joined with '\n'
};

/// An incremental reader: feed() it bytes in any pieces; it returns the events completed. Lines
/// end with "\n", "\r\n" or "\r"; a line starting with ':' is a comment (a ping); a field
/// without ':' has an empty value; one space after the ':' is dropped; unknown fields and
/// `retry` are ignored; an event without data is not dispatched. Not thread-safe.
class sse_reader {
 public:
  /// `max_line_bytes`: a line (and an event's data) longer than this is an error, so a stream
  /// cannot make the reader hold more than about twice this much.
  explicit sse_reader(std::size_t max_line_bytes = std::size_t{16} << 20);

  /// The events completed by `bytes`. Errors: a line or an event's data longer than the limit
  /// ("a line of the event stream is longer than 16 MiB"), a NUL byte. After an error the reader
  /// is unusable.
  result<std::vector<sse_event>, std::string> feed(std::string_view bytes);

  /// Comments (": ping") read so far; for tests.
  std::size_t comments() const { return comments_; }

 private:
  /// Handles one complete line; may append to `out`.
  bool line(std::string_view text, std::vector<sse_event>& out);

  std::size_t max_line_;
  std::string partial_;    ///< the current line, not complete yet
  bool after_cr_ = false;  ///< the last byte was '\r' (a following '\n' belongs to it)
  std::string name_, data_, last_id_;
  bool has_data_ = false;
  std::size_t comments_ = 0;
  bool failed_ = false;
};

}  // namespace tessera::cli
