// Bencode (BEP 3): decoding with limits, and encoding. Pure: bytes in, values out.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <variant>
#include <vector>

#include "tessera/result.hpp"

namespace tessera::detail {

/// Why bencoded input was rejected. Category name "tessera.bencode".
enum class bencode_errc {
  unexpected_end = 1,   ///< input ended inside a value
  bad_integer,          ///< not digits, leading zero, "-0", or overflows int64
  bad_string_length,    ///< a string length that is malformed or runs past the input
  bad_token,            ///< a byte that cannot start a value
  depth_exceeded,       ///< nesting deeper than bdecode_limits::max_depth
  too_many_items,       ///< more values than bdecode_limits::max_items
  unsorted_keys,        ///< dictionary keys out of order or repeated (only in strict mode)
  key_not_string,       ///< a dictionary key that is not a string
  trailing_data,        ///< bytes left after the top-level value
};
const std::error_category& bencode_category() noexcept;
inline std::error_code make_error_code(bencode_errc e) { return {static_cast<int>(e), bencode_category()}; }

/// A decode failure: what went wrong and the byte offset in the input where it was found.
struct bdecode_error {
  std::error_code code;
  std::size_t offset = 0;
  std::string message() const;  ///< e.g. "bad integer at offset 17"
};

class bvalue;
using blist = std::vector<bvalue>;
/// Keys are raw byte strings, sorted as bencode requires (std::map gives that order on encode).
using bdict = std::map<std::string, bvalue, std::less<>>;

/// One bencoded value: integer, byte string, list or dictionary.
class bvalue {
 public:
  bvalue() : v_(std::int64_t{0}) {}
  bvalue(std::int64_t i) : v_(i) {}
  bvalue(int i) : v_(std::int64_t{i}) {}
  bvalue(std::string s) : v_(std::move(s)) {}
  bvalue(std::string_view s) : v_(std::string(s)) {}
  bvalue(const char* s) : v_(std::string(s)) {}
  bvalue(blist l) : v_(std::move(l)) {}
  bvalue(bdict d) : v_(std::move(d)) {}

  bool is_int() const { return v_.index() == 0; }
  bool is_string() const { return v_.index() == 1; }
  bool is_list() const { return v_.index() == 2; }
  bool is_dict() const { return v_.index() == 3; }

  /// Accessors; calling the wrong one is a broken invariant (throws std::bad_variant_access).
  std::int64_t as_int() const { return std::get<0>(v_); }
  const std::string& as_string() const { return std::get<1>(v_); }
  const blist& as_list() const { return std::get<2>(v_); }
  blist& as_list() { return std::get<2>(v_); }
  const bdict& as_dict() const { return std::get<3>(v_); }
  bdict& as_dict() { return std::get<3>(v_); }

  /// Dictionary lookups that return nullptr when *this is not a dict, the key is absent, or the
  /// value has another type. The usual way to read untrusted input.
  const bvalue* find(std::string_view key) const;
  const std::int64_t* find_int(std::string_view key) const;
  const std::string* find_string(std::string_view key) const;
  const blist* find_list(std::string_view key) const;
  const bvalue* find_dict(std::string_view key) const;

 private:
  std::variant<std::int64_t, std::string, blist, bdict> v_;
};

struct bdecode_limits {
  int max_depth = 100;              ///< nested lists/dicts
  std::size_t max_items = 1 << 21;  ///< total values in the document
  bool strict_key_order = false;    ///< reject unsorted or repeated dict keys
  bool allow_trailing = false;      ///< accept bytes after the top-level value
};

/// Decodes one complete bencoded value. Never throws for bad input.
result<bvalue, bdecode_error> bdecode(std::string_view input, const bdecode_limits& limits = {});

/// Like bdecode, but stops after the first value and reports its end in *consumed.
result<bvalue, bdecode_error> bdecode_prefix(std::string_view input, std::size_t* consumed,
                                             const bdecode_limits& limits = {});

/// Finds the exact byte span of the value stored under `key` in the top-level dictionary of
/// `input` (e.g. "info" for the info-hash, which is the SHA-1 of those bytes as they appear in
/// the file, not of a re-encoding). Empty if absent or on malformed input.
std::string_view find_raw_value(std::string_view input, std::string_view key,
                                const bdecode_limits& limits = {});

/// Encodes canonically (dict keys sorted).
std::string bencode(const bvalue& v);
void bencode_append(std::string& out, const bvalue& v);

}  // namespace tessera::detail

template <>
struct std::is_error_code_enum<tessera::detail::bencode_errc> : std::true_type {};
