// SPDX-License-Identifier: MIT
// The bidirectional copy at the heart of the tunnel: two pumps (one per direction) and a
// watchdog, in one coroutine. Half-close is carried across (end of stream on one side
// becomes end of stream on the other), an error on either side ends both, and the
// watchdog ends connections that stay idle too long or linger half-closed.
//
// Streams are template parameters, so the loop is monomorphic per transport; they follow
// the relay stream concept described in net/tcp_stream.hpp.
#pragma once

#include "core/asio.hpp"
#include "core/completion_latch.hpp"
#include "core/report_exception.hpp"
#include "opt/config.hpp"
#include "net/copy_pump.hpp"
#include "net/relay_watch.hpp"
#include "net/splice_pump.hpp"
#include "net/tcp_stream.hpp"

#include <chrono>

namespace kmr::net {

// One direction: in the kernel where both ends allow it (net/splice_pump.hpp), through
// user space otherwise (net/copy_pump.hpp).
template <class From, class To>
awaitable<void> pump(From& from, To& to, relay_watch& watch, std::size_t direction) {
  if constexpr (splice_source<From> && splice_sink<To>) {
    if (to.accepts_spliced()) return splice_pump(from, to, watch, direction);
  }
  return copy_pump(from, to, watch, direction);
}

// Relays until both directions have ended, one fails, or the watchdog fires. This
// coroutine runs the a-to-b pump itself, spawns the b-to-a pump and starts the watchdog;
// it returns only after the spawned pump has finished and the watchdog has given its
// verdict, because both use its frame. The bytes moved are counted in `counted`
// (direction 0: a to b). To end early the watchdog closes both streams
// (after setting them to reset on a failure), which makes every pending and later
// operation complete at once.
template <class A, class B>
awaitable<relay_end> relay(A& a, B& b, const opt::relay_limits& limits, traffic& counted) {
  const auto ex = co_await asio::this_coro::executor;
  struct ending {
    A& a;
    B& b;
    completion_latch children;
    relay_end verdict = relay_end::completed;

    static void on_verdict(void* self, relay_end why) {
      auto& e = *static_cast<ending*>(self);
      e.verdict = why;
      if (why == relay_end::failed) {
        e.a.abort();  // each peer learns it was an error, not a clean end
        e.b.abort();
      }
      if (why != relay_end::completed) {
        e.a.close();
        e.b.close();
      }
      e.children.arrive();
    }
  } end{a, b, completion_latch(ex, 2)};
  relay_watch watch(ex, limits, counted);

  asio::co_spawn(ex, pump(b, a, watch, 1), [&end](std::exception_ptr e) {
    report_exception("relay", e);
    end.children.arrive();
  });
  watch.start(&ending::on_verdict, &end);
  co_await pump(a, b, watch, 0);
  co_await end.children.wait();
  co_return end.verdict;
}

}  // namespace kmr::net
