// SPDX-License-Identifier: MIT
#include "app/remote_choice.hpp"

namespace kmr::app {

std::vector<std::size_t> remote_choice::candidates(std::size_t count, opt::balance_mode mode,
                                                   clock::time_point now) {
  if (until_.size() != count) {
    until_.assign(count, clock::time_point::min());
    cursor_ = 0;
  }
  std::vector<std::size_t> order;
  if (count == 0) return order;
  order.reserve(count);
  const std::size_t start = mode == opt::balance_mode::roundrobin ? cursor_ : 0;
  if (mode == opt::balance_mode::roundrobin) cursor_ = (cursor_ + 1) % count;
  // Two passes over the same rotation: first those in service, then those set aside.
  for (const bool aside : {false, true}) {
    for (std::size_t k = 0; k < count; ++k) {
      const std::size_t i = (start + k) % count;
      if (set_aside(i, now) == aside) order.push_back(i);
    }
  }
  return order;
}

void remote_choice::failed(std::size_t index, clock::time_point now, clock::duration backoff) {
  if (index < until_.size()) until_[index] = now + backoff;
}

void remote_choice::succeeded(std::size_t index) noexcept {
  if (index < until_.size()) until_[index] = clock::time_point::min();
}

bool remote_choice::set_aside(std::size_t index, clock::time_point now) const noexcept {
  return index < until_.size() && now < until_[index];
}

}  // namespace kmr::app
