// SPDX-License-Identifier: MIT
// Start-up contract of both binaries: exit status 2 and a message naming the problem
// for bad input, 1 for a runtime failure, 0 for -h and -V; unknown items only warn.
#include "opt/option_table.hpp"
#include "support/socket_fd.hpp"
#include "support/tunnel_pair.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <regex>
#include <sstream>

namespace kmr::test {
namespace {

struct finished_run {
  exit_status status;
  std::string out, err, diagnostics;
};

// Runs a binary that is expected to exit on its own within 5 s.
finished_run run_to_exit(const std::string& path, std::vector<std::string> args) {
  child_process child(path, std::move(args));
  const auto status = child.wait_exit(after(5s));
  if (!status) ADD_FAILURE() << "did not exit within 5 s\n" << child.diagnostics();
  return {status.value_or(exit_status{}), child.stdout_text(), child.stderr_text(), child.diagnostics()};
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

std::size_t lines_containing(const std::string& text, const std::string& needle) {
  std::istringstream in(text);
  std::size_t count = 0;
  for (std::string line; std::getline(in, line);)
    if (line.find(needle) != std::string::npos) ++count;
  return count;
}

const std::vector<std::string> both_binaries = {client_bin, server_bin};

struct bad_option {
  const char* options;
  const char* named;  // what the error line must mention
};

class BadOption : public ::testing::TestWithParam<bad_option> {};

TEST_P(BadOption, ExitsWithStatus2_NamingIt) {
  for (const auto& bin : both_binaries) {
    const auto run = run_to_exit(bin, {"127.0.0.1:0", address_text("127.0.0.1", unused_port()), GetParam().options});
    EXPECT_TRUE(run.status.exited_with(2)) << run.diagnostics;
    EXPECT_EQ(lines_containing(run.err, GetParam().named), 1U) << run.diagnostics;
    EXPECT_EQ(run.err.find("listen: "), std::string::npos) << "started despite the bad option\n" << run.diagnostics;
  }
}

INSTANTIATE_TEST_SUITE_P(CommandLine, BadOption,
                         ::testing::Values(bad_option{"threads=0", "threads"}, bad_option{"threads=abc", "threads"},
                                           bad_option{"log=loud", "log"},
                                           bad_option{"connect-timeout=-1", "connect-timeout"},
                                           bad_option{"idle-timeout=soon", "idle-timeout"},
                                           bad_option{"half-close-timeout=1x", "half-close-timeout"},
                                           bad_option{"keepalive=-5", "keepalive"}, bad_option{"ws", "host"},
                                           bad_option{"ws;host=a", "path"}, bad_option{"ws=1", "ws"},
                                           bad_option{"handshake-timeout=0", "handshake-timeout"},
                                           bad_option{"tls=1", "tls"}, bad_option{"uot=1", "uot"},
                                           bad_option{"uot;udp-timeout=0", "udp-timeout"},
                                           bad_option{"uot;udp-max-flows=0", "udp-max-flows"},
                                           bad_option{"threads=2\\", "backslash"}));

class BadAddress : public ::testing::TestWithParam<const char*> {};

TEST_P(BadAddress, ExitsWithStatus2_NamingIt_AsListen) {
  for (const auto& bin : both_binaries) {
    const auto run = run_to_exit(bin, {GetParam(), address_text("127.0.0.1", unused_port()), ""});
    EXPECT_TRUE(run.status.exited_with(2)) << run.diagnostics;
    EXPECT_NE(run.err.find(GetParam()), std::string::npos) << run.diagnostics;
  }
}

TEST_P(BadAddress, ExitsWithStatus2_NamingIt_AsRemote) {
  for (const auto& bin : both_binaries) {
    const auto run = run_to_exit(bin, {"127.0.0.1:0", GetParam(), ""});
    EXPECT_TRUE(run.status.exited_with(2)) << run.diagnostics;
    EXPECT_NE(run.err.find(GetParam()), std::string::npos) << run.diagnostics;
  }
}

INSTANTIATE_TEST_SUITE_P(CommandLine, BadAddress,
                         ::testing::Values("1.2.3.4", "[::1", "host:99999", "127.0.0.1:", "[::1]:80x"));

TEST(CommandLine, PrintsUsage_WrongArgumentCount) {
  const std::vector<std::vector<std::string>> cases = {
      {}, {"127.0.0.1:0"}, {"127.0.0.1:0", "127.0.0.1:1"}, {"127.0.0.1:0", "127.0.0.1:1", "", "extra"}};
  for (const auto& bin : both_binaries) {
    for (const auto& args : cases) {
      const auto run = run_to_exit(bin, args);
      EXPECT_TRUE(run.status.exited_with(2)) << run.diagnostics;
      EXPECT_NE(lower(run.err).find("usage"), std::string::npos) << run.diagnostics;
    }
  }
}

TEST(CommandLine, PrintsHelpWithEveryOption_ExitStatus0) {
  for (const auto& bin : both_binaries) {
    for (const char* flag : {"-h", "--help"}) {
      const auto run = run_to_exit(bin, {flag});
      EXPECT_TRUE(run.status.exited_with(0)) << run.diagnostics;
      for (const char* option :
           {"threads=", "log=", "connect-timeout=", "idle-timeout=", "half-close-timeout=", "keepalive=",
            "uot", "udp-timeout=", "udp-max-flows="})
        EXPECT_NE(run.out.find(option), std::string::npos) << flag << " does not mention " << option << "\n"
                                                           << run.diagnostics;
    }
  }
}

// Both programs list every option of the table: one string is shared by both ends, so
// each marks the other's options rather than leaving them out.
TEST(CommandLine, PrintsHelpWithEveryOptionOfTheTable) {
  for (const auto& bin : both_binaries) {
    const auto run = run_to_exit(bin, {"--help"});
    EXPECT_TRUE(run.status.exited_with(0)) << run.diagnostics;
    for (const auto& o : opt::option_table) {
      const auto usage = "\n  " + opt::option_usage(o) + " ";
      EXPECT_NE(run.out.find(usage), std::string::npos) << bin << " --help does not list " << o.name << "\n"
                                                        << run.out;
    }
  }
}

TEST(CommandLine, PrintsVersion_ExitStatus0) {
  const std::regex version(R"(\b\d+\.\d+\.\d+\b)");
  for (const auto& bin : both_binaries) {
    for (const char* flag : {"-V", "--version"}) {
      const auto run = run_to_exit(bin, {flag});
      EXPECT_TRUE(run.status.exited_with(0)) << run.diagnostics;
      EXPECT_TRUE(std::regex_search(run.out + run.err, version)) << run.diagnostics;
    }
  }
}

TEST(CommandLine, WarnsOnceAndRuns_UnknownItem) {
  for (const auto& bin : both_binaries) {
    auto started = start_binary(bin, "127.0.0.1:0", address_text("127.0.0.1", unused_port()), "mux=0;threads=1");
    EXPECT_EQ(started.process->wait_for_line("threads: ", after(startup_budget)).value_or("?"), "1");
    EXPECT_TRUE(started.process->wait_for_line_containing("mux", after(startup_budget)).has_value())
        << started.process->diagnostics();
    const auto status = started.process->terminate(after(5s));
    ASSERT_TRUE(status.has_value()) << started.process->diagnostics();
    EXPECT_TRUE(status->exited_with(0)) << started.process->diagnostics();
    EXPECT_EQ(lines_containing(started.process->stderr_text(), "mux"), 1U) << started.process->diagnostics();
  }
}

TEST(CommandLine, ExitsWithStatus1_ListenAddressInUse) {
  const socket_fd taken = listen_on("127.0.0.1");
  const std::string port = std::to_string(local_port(taken.get()));
  for (const auto& bin : both_binaries) {
    for (const char* options : {"", "threads=2"}) {
      const auto run = run_to_exit(bin, {"127.0.0.1:" + port, address_text("127.0.0.1", unused_port()), options});
      EXPECT_TRUE(run.status.exited_with(1)) << run.diagnostics;
      const std::string err = lower(run.err);
      EXPECT_TRUE(err.find(port) != std::string::npos || err.find("in use") != std::string::npos) << run.diagnostics;
    }
  }
}

}  // namespace
}  // namespace kmr::test
