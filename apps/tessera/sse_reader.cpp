#include "sse_reader.hpp"

namespace tessera::cli {

sse_reader::sse_reader(std::size_t max_line_bytes) : max_line_(max_line_bytes) {}

bool sse_reader::line(std::string_view text, std::vector<sse_event>& out) {
  if (text.empty()) {  // a blank line dispatches the event gathered so far
    if (has_data_) out.push_back(sse_event{name_.empty() ? "message" : name_, last_id_, data_});
    name_.clear();
    data_.clear();
    has_data_ = false;
    return true;
  }
  if (text.front() == ':') {
    ++comments_;
    return true;
  }
  const auto colon = text.find(':');
  const std::string_view field = text.substr(0, colon);
  std::string_view value = colon == std::string_view::npos ? std::string_view() : text.substr(colon + 1);
  if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  if (field == "event") {
    name_ = value;
  } else if (field == "data") {
    if (has_data_) data_ += '\n';
    data_ += value;
    has_data_ = true;
    if (data_.size() > max_line_) return false;
  } else if (field == "id") {
    if (value.find('\0') == std::string_view::npos) last_id_ = value;
  }
  return true;
}

result<std::vector<sse_event>, std::string> sse_reader::feed(std::string_view bytes) {
  std::vector<sse_event> out;
  const std::string too_long =
      "a line of the event stream is longer than " + std::to_string(max_line_ >> 20) + " MiB";
  if (failed_) return unexpected{std::string("the event stream was already malformed")};
  for (char c : bytes) {
    if (c == '\n' && after_cr_) {  // the "\n" of a "\r\n"
      after_cr_ = false;
      continue;
    }
    after_cr_ = c == '\r';
    if (c == '\r' || c == '\n') {
      if (!line(partial_, out)) {
        failed_ = true;
        return unexpected{too_long};
      }
      partial_.clear();
      continue;
    }
    if (c == '\0') {
      failed_ = true;
      return unexpected{std::string("the event stream holds a NUL byte")};
    }
    if (partial_.size() >= max_line_) {
      failed_ = true;
      return unexpected{too_long};
    }
    partial_ += c;
  }
  return out;
}

}  // namespace tessera::cli
