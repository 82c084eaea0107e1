// SPDX-License-Identifier: MIT
#include "sys/udp_drops.hpp"  // first: the header must compile on its own

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

using kmr::sys::kernel_udp_drops;
using kmr::sys::own_socket_inodes;
using kmr::sys::parse_udp_table;
using kmr::sys::udp_socket_drops;

namespace {

// As /proc/net/udp prints it (net/ipv4/udp.c), header included.
constexpr const char* table =
    "   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref "
    "pointer drops            \n"
    "  123: 0100007F:1F90 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 45678 2 "
    "0000000000000000 17        \n"
    "  124: 0100007F:1F91 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 45679 2 "
    "0000000000000000 0         \n"
    "garbage line\n"
    "  125: 0100007F:1F92 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 x 2 0 3\n";

}  // namespace

TEST(SysUdpDrops, ParsesTheKernelsTable) {
  const auto rows = parse_udp_table(table);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].inode, 45678u);
  EXPECT_EQ(rows[0].drops, 17u);
  EXPECT_EQ(rows[1].inode, 45679u);
  EXPECT_EQ(rows[1].drops, 0u);
  EXPECT_TRUE(parse_udp_table("").empty());
  EXPECT_TRUE(parse_udp_table("\n\n  \n").empty());
}

TEST(SysUdpDrops, TotalCountsOnlyOurSocketsAndKeepsClosedOnes) {
  kernel_udp_drops drops;
  EXPECT_EQ(drops.add({{1, 5}, {2, 7}, {3, 100}}, {1, 2}), 12u);  // 3 is not ours
  EXPECT_EQ(drops.add({{1, 6}, {2, 7}}, {1, 2}), 13u);
  EXPECT_EQ(drops.add({{1, 9}}, {1}), 16u);     // 2 closed: its 7 stay counted
  EXPECT_EQ(drops.add({{2, 4}}, {2}), 20u);     // a new socket on inode 2: all 4 are new
  EXPECT_EQ(drops.add({{2, 1}}, {2}), 21u);     // went down: recycled again
}

// A real socket whose receive buffer overflows: the kernel's count reaches our total.
TEST(SysUdpDrops, SeesTheKernelDropOnAFullReceiveBuffer) {
  const int rx = ::socket(AF_INET, SOCK_DGRAM, 0);
  const int tx = ::socket(AF_INET, SOCK_DGRAM, 0);
  ASSERT_GE(rx, 0);
  ASSERT_GE(tx, 0);
  const int small = 4096;
  ASSERT_EQ(::setsockopt(rx, SOL_SOCKET, SO_RCVBUF, &small, sizeof small), 0);
  sockaddr_in at{};
  at.sin_family = AF_INET;
  at.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(rx, reinterpret_cast<sockaddr*>(&at), sizeof at), 0);
  socklen_t len = sizeof at;
  ASSERT_EQ(::getsockname(rx, reinterpret_cast<sockaddr*>(&at), &len), 0);

  struct stat st {};
  ASSERT_EQ(::fstat(rx, &st), 0);
  const auto ours = own_socket_inodes();
  EXPECT_NE(std::find(ours.begin(), ours.end(), static_cast<std::uint64_t>(st.st_ino)), ours.end());

  kernel_udp_drops drops;
  const auto before = drops.update();
  const char payload[512] = {};
  for (int i = 0; i < 200; ++i)  // far more than 4 KiB of buffer holds; never read
    (void)::sendto(tx, payload, sizeof payload, 0, reinterpret_cast<sockaddr*>(&at), sizeof at);
  EXPECT_GT(drops.update(), before);
  ::close(rx);
  ::close(tx);
}
