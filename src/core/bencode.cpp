// Bencode (BEP 3) decoder and canonical encoder. See bencode.hpp for the contract.
//
// The decoder is a recursive-descent parser whose recursion is bounded by
// bdecode_limits::max_depth, so untrusted input cannot exhaust the stack. The same parser either
// builds values or only validates and skips them (used by find_raw_value, which needs byte spans
// rather than values).
#include "core/bencode.hpp"

#include <limits>

namespace tessera::detail {

namespace {

class bencode_category_impl final : public std::error_category {
 public:
  const char* name() const noexcept override { return "tessera.bencode"; }
  std::string message(int ev) const override {
    switch (static_cast<bencode_errc>(ev)) {
      case bencode_errc::unexpected_end: return "unexpected end of input";
      case bencode_errc::bad_integer: return "bad integer";
      case bencode_errc::bad_string_length: return "bad string length";
      case bencode_errc::bad_token: return "unexpected byte";
      case bencode_errc::depth_exceeded: return "nesting too deep";
      case bencode_errc::too_many_items: return "too many items";
      case bencode_errc::unsorted_keys: return "dictionary keys unsorted or repeated";
      case bencode_errc::key_not_string: return "dictionary key is not a string";
      case bencode_errc::trailing_data: return "trailing data after value";
    }
    return "unknown bencode error";
  }
};

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Error offsets: the offset of the first byte of the value (or key) that was rejected, except
// for unexpected_end (the input's size: where more bytes were needed) and trailing_data (the first
// byte after the top-level value).
class parser {
 public:
  parser(std::string_view in, const bdecode_limits& limits) : in_(in), limits_(limits) {}

  std::size_t pos() const { return pos_; }
  const bdecode_error& error() const { return err_; }

  /// Parses (out != nullptr) or skips (out == nullptr) one value at pos_. `depth` is the number of
  /// containers enclosing it.
  bool value(bvalue* out, int depth) {
    if (pos_ >= in_.size()) return fail(bencode_errc::unexpected_end, in_.size());
    if (++items_ > limits_.max_items) return fail(bencode_errc::too_many_items, pos_);
    char c = in_[pos_];
    if (c == 'i') {
      std::int64_t v = 0;
      if (!integer(v)) return false;
      if (out) *out = bvalue(v);
      return true;
    }
    if (is_digit(c)) {
      std::string_view s;
      if (!string(s)) return false;
      if (out) *out = bvalue(s);
      return true;
    }
    if (c == 'l') return list(out, depth);
    if (c == 'd') return dict(out, depth);
    return fail(bencode_errc::bad_token, pos_);
  }

  /// Parses a byte string "<len>:<bytes>" at pos_; `s` points into the input.
  bool string(std::string_view& s) {
    const std::size_t start = pos_;
    std::size_t len = 0;
    std::size_t p = pos_;
    const std::size_t remaining_max = in_.size();
    while (true) {
      if (p >= in_.size()) return fail(bencode_errc::unexpected_end, in_.size());
      char c = in_[p];
      if (c == ':') break;
      if (!is_digit(c)) return fail(bencode_errc::bad_string_length, start);
      // A leading zero is only allowed for the empty string "0:".
      if (p > start && in_[start] == '0') return fail(bencode_errc::bad_string_length, start);
      len = len * 10 + static_cast<std::size_t>(c - '0');
      // No valid length exceeds the input size; stopping here also rules out overflow.
      if (len > remaining_max) return fail(bencode_errc::bad_string_length, start);
      ++p;
    }
    if (p == start) return fail(bencode_errc::bad_string_length, start);
    ++p;  // ':'
    if (len > in_.size() - p) return fail(bencode_errc::bad_string_length, start);
    s = in_.substr(p, len);
    pos_ = p + len;
    return true;
  }

 private:
  bool fail(bencode_errc e, std::size_t offset) {
    err_ = {make_error_code(e), offset};
    return false;
  }

  /// "i<digits>e" with an optional '-', no leading zeros, no "-0", within int64.
  bool integer(std::int64_t& out) {
    const std::size_t start = pos_;
    std::size_t p = pos_ + 1;
    bool negative = false;
    if (p < in_.size() && in_[p] == '-') {
      negative = true;
      ++p;
    }
    const std::size_t digits = p;
    // Accumulate as a negative number so that INT64_MIN is representable.
    std::int64_t v = 0;
    constexpr std::int64_t min = std::numeric_limits<std::int64_t>::min();
    while (true) {
      if (p >= in_.size()) return fail(bencode_errc::unexpected_end, in_.size());
      char c = in_[p];
      if (c == 'e') break;
      if (!is_digit(c)) return fail(bencode_errc::bad_integer, start);
      int d = c - '0';
      if (v < min / 10 || v * 10 < min + d) return fail(bencode_errc::bad_integer, start);
      v = v * 10 - d;
      ++p;
    }
    const std::size_t ndigits = p - digits;
    if (ndigits == 0) return fail(bencode_errc::bad_integer, start);                 // "ie", "i-e"
    if (in_[digits] == '0' && (ndigits > 1 || negative)) return fail(bencode_errc::bad_integer, start);  // "i03e", "i-0e"
    if (!negative) {
      if (v == min) return fail(bencode_errc::bad_integer, start);  // 2^63 overflows
      v = -v;
    }
    out = v;
    pos_ = p + 1;
    return true;
  }

  bool list(bvalue* out, int depth) {
    if (depth + 1 > limits_.max_depth) return fail(bencode_errc::depth_exceeded, pos_);
    ++pos_;  // 'l'
    blist items;
    while (true) {
      if (pos_ >= in_.size()) return fail(bencode_errc::unexpected_end, in_.size());
      if (in_[pos_] == 'e') break;
      if (out) {
        items.emplace_back();
        if (!value(&items.back(), depth + 1)) return false;
      } else if (!value(nullptr, depth + 1)) {
        return false;
      }
    }
    ++pos_;  // 'e'
    if (out) *out = bvalue(std::move(items));
    return true;
  }

  bool dict(bvalue* out, int depth) {
    if (depth + 1 > limits_.max_depth) return fail(bencode_errc::depth_exceeded, pos_);
    ++pos_;  // 'd'
    bdict items;
    std::string_view prev;
    bool first = true;
    while (true) {
      if (pos_ >= in_.size()) return fail(bencode_errc::unexpected_end, in_.size());
      if (in_[pos_] == 'e') break;
      const std::size_t key_at = pos_;
      if (!is_digit(in_[pos_])) return fail(bencode_errc::key_not_string, key_at);
      if (++items_ > limits_.max_items) return fail(bencode_errc::too_many_items, key_at);
      std::string_view key;
      if (!string(key)) return false;
      // std::string_view compares bytes as unsigned char: the raw byte order bencode requires.
      if (limits_.strict_key_order && !first && !(prev < key))
        return fail(bencode_errc::unsorted_keys, key_at);
      prev = key;
      first = false;
      if (out) {
        bvalue v;
        if (!value(&v, depth + 1)) return false;
        items.emplace(std::string(key), std::move(v));  // a repeated key keeps its first value
      } else if (!value(nullptr, depth + 1)) {
        return false;
      }
    }
    ++pos_;  // 'e'
    if (out) *out = bvalue(std::move(items));
    return true;
  }

  std::string_view in_;
  const bdecode_limits& limits_;
  std::size_t pos_ = 0;
  std::size_t items_ = 0;
  bdecode_error err_;
};

void append_string(std::string& out, std::string_view s) {
  out += std::to_string(s.size());
  out += ':';
  out += s;
}

}  // namespace

const std::error_category& bencode_category() noexcept {
  static const bencode_category_impl instance;
  return instance;
}

std::string bdecode_error::message() const {
  return code.message() + " at offset " + std::to_string(offset);
}

const bvalue* bvalue::find(std::string_view key) const {
  if (!is_dict()) return nullptr;
  const auto& d = as_dict();
  auto it = d.find(key);
  return it == d.end() ? nullptr : &it->second;
}

const std::int64_t* bvalue::find_int(std::string_view key) const {
  const bvalue* v = find(key);
  return v && v->is_int() ? &std::get<0>(v->v_) : nullptr;
}

const std::string* bvalue::find_string(std::string_view key) const {
  const bvalue* v = find(key);
  return v && v->is_string() ? &v->as_string() : nullptr;
}

const blist* bvalue::find_list(std::string_view key) const {
  const bvalue* v = find(key);
  return v && v->is_list() ? &v->as_list() : nullptr;
}

const bvalue* bvalue::find_dict(std::string_view key) const {
  const bvalue* v = find(key);
  return v && v->is_dict() ? v : nullptr;
}

// GCC 12 reports a false -Wmaybe-uninitialized inside std::variant when a recursive variant is
// moved into result<>; every path here initialises the value.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
result<bvalue, bdecode_error> bdecode_prefix(std::string_view input, std::size_t* consumed,
                                             const bdecode_limits& limits) {
  parser p(input, limits);
  bvalue v;
  if (!p.value(&v, 0)) return unexpected{p.error()};
  if (consumed) *consumed = p.pos();
  return v;
}
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

result<bvalue, bdecode_error> bdecode(std::string_view input, const bdecode_limits& limits) {
  std::size_t consumed = 0;
  auto r = bdecode_prefix(input, &consumed, limits);
  if (r && !limits.allow_trailing && consumed != input.size())
    return unexpected{bdecode_error{make_error_code(bencode_errc::trailing_data), consumed}};
  return r;
}

std::string_view find_raw_value(std::string_view input, std::string_view key,
                                const bdecode_limits& limits) {
  // Validate the whole document first: a span out of malformed input is worth nothing.
  {
    parser check(input, limits);
    if (!check.value(nullptr, 0)) return {};
    if (!limits.allow_trailing && check.pos() != input.size()) return {};
  }
  if (input.empty() || input[0] != 'd') return {};
  // Walk the top-level dict's keys; values are skipped at depth 1. The document is known valid,
  // so the parse calls below cannot fail.
  std::size_t pos = 1;
  while (pos < input.size() && input[pos] != 'e') {
    parser kp(input.substr(pos), limits);
    std::string_view k;
    if (!kp.string(k)) return {};
    const std::size_t value_at = pos + kp.pos();
    parser vp(input.substr(value_at), limits);
    if (!vp.value(nullptr, 1)) return {};
    if (k == key) return input.substr(value_at, vp.pos());  // first occurrence, as in bdecode
    pos = value_at + vp.pos();
  }
  return {};
}

void bencode_append(std::string& out, const bvalue& v) {
  if (v.is_int()) {
    out += 'i';
    out += std::to_string(v.as_int());
    out += 'e';
  } else if (v.is_string()) {
    append_string(out, v.as_string());
  } else if (v.is_list()) {
    out += 'l';
    for (const auto& item : v.as_list()) bencode_append(out, item);
    out += 'e';
  } else {
    out += 'd';
    for (const auto& [k, item] : v.as_dict()) {  // std::map: keys in raw byte order
      append_string(out, k);
      bencode_append(out, item);
    }
    out += 'e';
  }
}

std::string bencode(const bvalue& v) {
  std::string out;
  bencode_append(out, v);
  return out;
}

}  // namespace tessera::detail
