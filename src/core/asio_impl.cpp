// SPDX-License-Identifier: MIT
// The one translation unit that compiles Asio's implementation (separate compilation).
//
// Before it, one change to how Asio allocates: the epoll reactor's state for each socket
// (168 bytes) comes from slabs (core/slot_slabs.hpp) instead of one `new` each. Asio keeps
// these states in a pool for the life of the io_context, as many as were ever open at
// once, and reuses them; made one by one during a burst of connections, they ended up
// scattered among the connections' buffers and pinned about 60 MB of freed pages per
// 10,000 connections (docs/operations.md). This is the only place the pool's objects are
// made and destroyed (epoll_reactor.ipp is compiled here alone), so the explicit
// specialisations below are seen before their one use. They depend on Asio 1.26's
// internals (object_pool_access); another version compiles without them, and
// asio_descriptor_slots() then answers null (tests/unit/slot_slabs_test.cpp notices).
#include "core/slot_slabs.hpp"

#include <boost/asio/detail/config.hpp>
#include <boost/asio/version.hpp>

#if BOOST_ASIO_VERSION == 102600 && defined(BOOST_ASIO_HAS_EPOLL) && !defined(BOOST_ASIO_HAS_IO_URING_AS_DEFAULT)
#define KMR_ASIO_DESCRIPTOR_SLABS 1
#include <boost/asio/detail/epoll_reactor.hpp>
#include <boost/asio/detail/object_pool.hpp>

#include <new>

namespace {

using descriptor_state = boost::asio::detail::epoll_reactor::descriptor_state;

// Never destroyed: an io_context that outlives static destruction still frees its states.
// 1024 slots a slab: 176 KiB, reserved but only touched as far as sockets were open.
kmr::slot_slabs& descriptor_slabs() {
  static auto* const slabs = new kmr::slot_slabs(sizeof(descriptor_state), 1024);
  return *slabs;
}

}  // namespace

namespace boost::asio::detail {

static_assert(alignof(descriptor_state) <= alignof(std::max_align_t));

template <>
descriptor_state* object_pool_access::create<descriptor_state, bool>(bool locking) {
  void* slot = descriptor_slabs().allocate();
  try {
    return ::new (slot) descriptor_state(locking);
  } catch (...) {
    descriptor_slabs().deallocate(slot);
    throw;
  }
}

template <>
void object_pool_access::destroy<descriptor_state>(descriptor_state* state) {
  state->~descriptor_state();
  descriptor_slabs().deallocate(state);
}

}  // namespace boost::asio::detail
#endif

#include <boost/asio/impl/src.hpp>

namespace kmr {

const slot_slabs* asio_descriptor_slots() noexcept {
#ifdef KMR_ASIO_DESCRIPTOR_SLABS
  return &descriptor_slabs();
#else
  return nullptr;
#endif
}

}  // namespace kmr
