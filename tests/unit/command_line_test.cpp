// SPDX-License-Identifier: MIT
#include "opt/command_line.hpp"  // first: the header must be self-contained

#include "opt/option_table.hpp"

#include <gtest/gtest.h>

#include <map>
#include <sstream>

using kmr::opt::parse_command_line;
using kmr::opt::run_tunnel;
using kmr::opt::side;

namespace {

kmr::opt::env_lookup env_of(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const char* name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

const std::map<std::string, std::string> plugin_vars = {
    {"SS_LOCAL_HOST", "127.0.0.1"}, {"SS_LOCAL_PORT", "1080"},
    {"SS_REMOTE_HOST", "::1"},      {"SS_REMOTE_PORT", "8388"},
    {"SS_PLUGIN_OPTIONS", "threads=1"}};

auto parse(side role, std::vector<std::string> args, std::map<std::string, std::string> vars = {}) {
  return parse_command_line(role, args, env_of(std::move(vars)));
}

}  // namespace

TEST(CommandLine, TakesThreePositionalArguments) {
  auto r = parse(side::client, {"127.0.0.1:1", "[::1]:2", "threads=1"});
  ASSERT_TRUE(r);
  const auto& run = std::get<run_tunnel>(*r);
  EXPECT_EQ(run.listen.to_string(), "127.0.0.1:1");
  EXPECT_EQ(kmr::opt::to_string(run.remotes), "[::1]:2");
  EXPECT_EQ(run.options, "threads=1");
  EXPECT_FALSE(run.sip003);
}

TEST(CommandLine, TakesAListOfRemotes) {
  for (const auto role : {side::client, side::server}) {
    auto r = parse(role, {"127.0.0.1:1", "a.example:443,[::1]:444,b.example:443", ""});
    ASSERT_TRUE(r) << r.error().message;
    const auto& run = std::get<run_tunnel>(*r);
    ASSERT_EQ(run.remotes.size(), 3u);
    EXPECT_EQ(run.remotes[1], (kmr::opt::host_port{"::1", 444}));
    EXPECT_EQ(kmr::opt::to_string(run.remotes), "a.example:443,[::1]:444,b.example:443");
  }
}

TEST(CommandLine, NamesTheBadItemOfARemoteList) {
  const auto message = [](std::string remote) {
    auto r = parse(side::client, {"127.0.0.1:1", remote, ""});
    EXPECT_FALSE(r) << remote;
    return r ? std::string() : r.error().message;
  };
  EXPECT_EQ(message("a:1,,b:2"), "remote address 'a:1,,b:2': item 2 is empty");
  EXPECT_EQ(message("a:1,b:2,"), "remote address 'a:1,b:2,': item 3 is empty");
  EXPECT_EQ(message("a:1,a:1"), "remote address 'a:1,a:1': item 2 ('a:1') repeats item 1");
  EXPECT_EQ(message("a:1,nowhere").rfind("remote address 'a:1,nowhere': item 2 ('nowhere'): ", 0), 0u)
      << message("a:1,nowhere");
}

TEST(CommandLine, Sip003ClientTakesAListOfRemoteHosts) {
  auto vars = plugin_vars;
  vars["SS_REMOTE_HOST"] = "a.example,::1";
  auto r = parse(side::client, {}, vars);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(kmr::opt::to_string(std::get<run_tunnel>(*r).remotes), "a.example:8388,[::1]:8388");
}

TEST(CommandLine, Sip003ServerListensOnOneRemoteHostOnly) {
  auto vars = plugin_vars;
  vars["SS_REMOTE_HOST"] = "a.example,::1";
  auto r = parse(side::server, {}, vars);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message.rfind("SS_REMOTE_HOST: ", 0), 0u) << r.error().message;
  EXPECT_FALSE(r.error().show_usage);
}

TEST(CommandLine, WrongArgumentCountAsksForUsage) {
  for (const auto& args : std::vector<std::vector<std::string>>{{}, {"a:1"}, {"a:1", "b:2"},
                                                               {"a:1", "b:2", "", "x"}}) {
    auto r = parse(side::client, args);
    ASSERT_FALSE(r);
    EXPECT_TRUE(r.error().show_usage);
  }
}

TEST(CommandLine, NamesTheBadAddress) {
  auto r = parse(side::server, {"127.0.0.1:1", "nowhere", ""});
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("'nowhere'"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("remote"), std::string::npos);
}

TEST(CommandLine, HelpAndVersion) {
  EXPECT_TRUE(std::holds_alternative<kmr::opt::show_help>(*parse(side::client, {"-h"})));
  EXPECT_TRUE(std::holds_alternative<kmr::opt::show_help>(*parse(side::client, {"--help"})));
  EXPECT_TRUE(std::holds_alternative<kmr::opt::show_version>(*parse(side::client, {"-V"})));
  EXPECT_TRUE(std::holds_alternative<kmr::opt::show_version>(*parse(side::server, {"--version"})));
}

TEST(CommandLine, HelpListsEveryOption) {
  const auto help = kmr::opt::help_text(side::client);
  for (const char* key : {"threads=", "log=", "connect-timeout=", "idle-timeout=",
                          "half-close-timeout=", "keepalive=", "SS_PLUGIN_OPTIONS", "uot", "udp-timeout=",
                          "udp-max-flows="})
    EXPECT_NE(help.find(key), std::string::npos) << key;
}

TEST(CommandLine, HelpListsEveryOptionOfTheTable_OnBothSides) {
  for (const auto role : {side::client, side::server}) {
    const auto help = kmr::opt::help_text(role);
    for (const auto& o : kmr::opt::option_table)
      EXPECT_NE(help.find("\n  " + kmr::opt::option_usage(o) + " "), std::string::npos) << o.name;
  }
}

TEST(CommandLine, HelpMarksSidesAndDefaults) {
  const auto help = kmr::opt::help_text(side::server);
  // Each line carries what the table says, side first, default last.
  EXPECT_NE(help.find("  sni=NAME                client, required: the name sent and verified\n"), std::string::npos)
      << help;
  EXPECT_NE(help.find("  fallback=ADDR:PORT      server: "), std::string::npos) << help;
  EXPECT_NE(help.find("(default 10s)"), std::string::npos) << help;
  EXPECT_NE(help.find("  drain=DUR "), std::string::npos) << help;
  EXPECT_NE(help.find("  reload=signal|watch "), std::string::npos) << help;
}

TEST(CommandLine, HelpKeepsItsFrame) {
  const auto help = kmr::opt::help_text(side::client);
  EXPECT_EQ(help.rfind(kmr::opt::short_usage(side::client), 0), 0u) << help;
  for (const char* part : {"Accepts TCP connections on <local_addr>", "Layers (the same on both ends; any order):\n",
                           "Behaviour:\n", "UDP over TCP (both sides; combines with ws and tls):\n", "Operations:\n",
                           "  DUR is seconds (10, 1.5) or with a unit: 500ms, 10s, 2m, 1h.\n", "SS_PLUGIN_OPTIONS",
                           "See docs/options.md for the full reference.\n",
                           "SIGHUP reloads the TLS files"})
    EXPECT_NE(help.find(part), std::string::npos) << part;
  EXPECT_LT(help.find("Layers ("), help.find("Behaviour:"));
  EXPECT_LT(help.find("Behaviour:"), help.find("UDP over TCP ("));
  EXPECT_LT(help.find("UDP over TCP ("), help.find("Operations:"));
}

TEST(CommandLine, HelpLinesFitA100ColumnTerminal) {
  for (const auto role : {side::client, side::server}) {
    std::istringstream in(kmr::opt::help_text(role));
    for (std::string line; std::getline(in, line);) EXPECT_LE(line.size(), 100u) << line;
  }
}

TEST(CommandLine, Sip003ClientListensOnLocal) {
  auto r = parse(side::client, {}, plugin_vars);
  ASSERT_TRUE(r);
  const auto& run = std::get<run_tunnel>(*r);
  EXPECT_TRUE(run.sip003);
  EXPECT_EQ(run.listen.to_string(), "127.0.0.1:1080");
  EXPECT_EQ(kmr::opt::to_string(run.remotes), "[::1]:8388");
  EXPECT_EQ(run.options, "threads=1");
}

TEST(CommandLine, Sip003ServerSwapsLocalAndRemote) {
  auto r = parse(side::server, {}, plugin_vars);
  ASSERT_TRUE(r);
  const auto& run = std::get<run_tunnel>(*r);
  EXPECT_EQ(run.listen.to_string(), "[::1]:8388");
  EXPECT_EQ(kmr::opt::to_string(run.remotes), "127.0.0.1:1080");
}

TEST(CommandLine, Sip003IgnoresTheVpnFlag) {
  // Android hosts pass -V (VPN mode); in plugin mode it is not --version.
  auto r = parse(side::client, {"-V"}, plugin_vars);
  ASSERT_TRUE(r);
  EXPECT_TRUE(std::holds_alternative<run_tunnel>(*r));
}

TEST(CommandLine, Sip003WithoutPluginOptionsMeansNone) {
  auto vars = plugin_vars;
  vars.erase("SS_PLUGIN_OPTIONS");
  auto r = parse(side::client, {}, vars);
  ASSERT_TRUE(r);
  EXPECT_EQ(std::get<run_tunnel>(*r).options, "");
}

TEST(CommandLine, PartialSip003VariablesNameTheMissingOne) {
  auto vars = plugin_vars;
  vars.erase("SS_REMOTE_PORT");
  auto r = parse(side::client, {}, vars);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("SS_REMOTE_PORT"), std::string::npos) << r.error().message;
}

TEST(CommandLine, PositionalArgumentsWinOverPartialVariables) {
  auto vars = plugin_vars;
  vars.erase("SS_REMOTE_PORT");
  auto r = parse(side::client, {"127.0.0.1:1", "127.0.0.1:2", ""}, vars);
  ASSERT_TRUE(r);
  EXPECT_FALSE(std::get<run_tunnel>(*r).sip003);
}
