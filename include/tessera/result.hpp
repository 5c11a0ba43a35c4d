// result<T, E>: a value or an error, for the expected failures of parsing and I/O.
// (C++20 has no std::expected; this is the small subset the project uses.)
#pragma once

#include <stdexcept>
#include <system_error>
#include <utility>
#include <variant>

namespace tessera {

/// Wraps an error to construct a failed result: `return unexpected{errc::foo};`.
template <class E>
struct unexpected {
  E error;
};
template <class E>
unexpected(E) -> unexpected<E>;

/// Thrown by result::value() on a failed result: a broken invariant in the caller.
struct bad_result_access : std::logic_error {
  using std::logic_error::logic_error;
};

/// Holds either a T (success) or an E (the error). E defaults to std::error_code.
template <class T, class E = std::error_code>
class [[nodiscard]] result {
 public:
  /// A success holding `value` (implicit, so `return value;` works).
  result(T value) : v_(std::in_place_index<0>, std::move(value)) {}
  /// A failure holding E(e.error) (implicit, so `return unexpected{errc::foo};` works).
  template <class U>
  result(unexpected<U> e) : v_(std::in_place_index<1>, E(std::move(e.error))) {}

  /// True on success.
  bool has_value() const noexcept { return v_.index() == 0; }
  /// Same as has_value(): `if (auto r = f()) use(*r); else log(r.error());`.
  explicit operator bool() const noexcept { return has_value(); }

  /// The value; throws bad_result_access on a failed result (a caller bug: check first).
  /// operator* and operator-> do the same.
  T& value() & { check(); return std::get<0>(v_); }
  const T& value() const& { check(); return std::get<0>(v_); }
  T&& value() && { check(); return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  /// The error; only valid when !has_value().
  const E& error() const { return std::get<1>(v_); }

 private:
  void check() const {
    if (!has_value()) throw bad_result_access("result holds an error");
  }
  std::variant<T, E> v_;
};

}  // namespace tessera
