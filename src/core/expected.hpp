// SPDX-License-Identifier: MIT
// A small expected<T, E> for set-up code (C++20 has no std::expected): a value or an
// error, checked with `if (result)`, never thrown.
#pragma once

#include <utility>
#include <variant>

namespace kmr {

template <class E>
struct unexpected {
  E error;
  explicit unexpected(E e) : error(std::move(e)) {}
};

template <class T, class E>
class expected {
 public:
  expected(T value) : state_(std::in_place_index<0>, std::move(value)) {}
  expected(unexpected<E> failure) : state_(std::in_place_index<1>, std::move(failure.error)) {}

  explicit operator bool() const noexcept { return state_.index() == 0; }
  bool has_value() const noexcept { return state_.index() == 0; }

  T& value() & { return std::get<0>(state_); }
  const T& value() const& { return std::get<0>(state_); }
  T&& value() && { return std::get<0>(std::move(state_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const E& error() const& { return std::get<1>(state_); }
  E&& error() && { return std::get<1>(std::move(state_)); }

 private:
  std::variant<T, E> state_;
};

}  // namespace kmr
