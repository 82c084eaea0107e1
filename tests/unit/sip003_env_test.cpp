// SPDX-License-Identifier: MIT
#include "opt/sip003_env.hpp"  // first: the header must compile on its own

#include <gtest/gtest.h>

#include <stdlib.h>  // setenv, unsetenv (POSIX)

#include <map>
#include <string>
#include <vector>

using kmr::opt::env_lookup;
using kmr::opt::host_port;
using kmr::opt::read_sip003_env;

namespace {

using env_map = std::map<std::string, std::string>;

// A fake environment: only the names in the map are "set".
env_lookup fake(env_map vars) {
  return [vars = std::move(vars)](const char* name) -> std::optional<std::string> {
    const auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

env_map full_env() {
  return {{"SS_LOCAL_HOST", "127.0.0.1"},
          {"SS_LOCAL_PORT", "1080"},
          {"SS_REMOTE_HOST", "example.com"},
          {"SS_REMOTE_PORT", "443"},
          {"SS_PLUGIN_OPTIONS", "ws;host=a;path=/"}};
}

std::string error_of(const env_map& vars) {
  const auto r = read_sip003_env(fake(vars));
  EXPECT_FALSE(r);
  return r ? std::string() : r.error();
}

}  // namespace

TEST(Sip003Env, ReturnsNullopt_WhenNoAddressVariableIsSet) {
  const auto r = read_sip003_env(fake({}));
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->has_value());
}

TEST(Sip003Env, ReturnsNullopt_WhenOnlyOptionsAreSet) {
  // SS_PLUGIN_OPTIONS alone does not make a plugin; the addresses decide.
  const auto r = read_sip003_env(fake({{"SS_PLUGIN_OPTIONS", "ws"}}));
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->has_value());
}

TEST(Sip003Env, ReturnsNullopt_ForEmptyLookupFunction) {
  const auto r = read_sip003_env(env_lookup{});
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->has_value());
}

TEST(Sip003Env, ReadsAllValues_WhenAllSet) {
  const auto r = read_sip003_env(fake(full_env()));
  ASSERT_TRUE(r);
  ASSERT_TRUE(r->has_value());
  const auto& env = **r;
  EXPECT_EQ(env.local, (host_port{"127.0.0.1", 1080}));
  EXPECT_EQ(env.remotes, (std::vector<host_port>{{"example.com", 443}}));
  EXPECT_EQ(env.options, "ws;host=a;path=/");
}

TEST(Sip003Env, ReturnsEmptyOptions_WhenPluginOptionsMissing_DiffersFromOriginal) {
  // DIFFERS from the original, which needs all five variables and otherwise falls back
  // to the command line (kaminari-wire.md §2.2); DESIGN.md §1 says "missing means none".
  auto vars = full_env();
  vars.erase("SS_PLUGIN_OPTIONS");
  const auto r = read_sip003_env(fake(vars));
  ASSERT_TRUE(r);
  ASSERT_TRUE(r->has_value());
  EXPECT_EQ((*r)->options, "");
}

TEST(Sip003Env, NamesFirstMissingVariable_WhenPartiallySet) {
  for (const char* name : {"SS_LOCAL_HOST", "SS_LOCAL_PORT", "SS_REMOTE_HOST", "SS_REMOTE_PORT"}) {
    auto vars = full_env();
    vars.erase(name);
    EXPECT_EQ(error_of(vars), std::string(name) + ": missing");
  }
  EXPECT_EQ(error_of({{"SS_REMOTE_PORT", "1"}}), "SS_LOCAL_HOST: missing");
  EXPECT_EQ(error_of({{"SS_LOCAL_HOST", "::1"}, {"SS_REMOTE_HOST", "::1"}}),
            "SS_LOCAL_PORT: missing");
}

TEST(Sip003Env, NamesPortVariable_WhenPortInvalid) {
  auto vars = full_env();
  vars["SS_REMOTE_PORT"] = "99999";
  EXPECT_EQ(error_of(vars), "SS_REMOTE_PORT: '99999' is not a port (0-65535)");
  vars = full_env();
  vars["SS_LOCAL_PORT"] = "";
  EXPECT_EQ(error_of(vars).rfind("SS_LOCAL_PORT: ", 0), 0u);
  vars["SS_LOCAL_PORT"] = "-1";
  EXPECT_EQ(error_of(vars).rfind("SS_LOCAL_PORT: '-1'", 0), 0u);
}

TEST(Sip003Env, NamesHostVariable_WhenHostInvalid) {
  auto vars = full_env();
  vars["SS_REMOTE_HOST"] = "a b";
  const auto e = error_of(vars);
  EXPECT_EQ(e.rfind("SS_REMOTE_HOST: ", 0), 0u) << e;
  EXPECT_NE(e.find("'a b'"), std::string::npos) << e;
  vars = full_env();
  vars["SS_LOCAL_HOST"] = "";
  EXPECT_EQ(error_of(vars).rfind("SS_LOCAL_HOST: ", 0), 0u);
  vars["SS_LOCAL_HOST"] = "a.com,b.com";  // several hosts are not supported
  EXPECT_EQ(error_of(vars).rfind("SS_LOCAL_HOST: ", 0), 0u);
}

TEST(Sip003Env, AcceptsBareAndBracketedIpv6Hosts) {
  auto vars = full_env();
  vars["SS_LOCAL_HOST"] = "::1";
  vars["SS_REMOTE_HOST"] = "::";
  auto r = read_sip003_env(fake(vars));
  ASSERT_TRUE(r && r->has_value());
  EXPECT_EQ((*r)->local, (host_port{"::1", 1080}));
  EXPECT_EQ((*r)->remotes, (std::vector<host_port>{{"::", 443}}));
  vars["SS_REMOTE_HOST"] = "[::1]";
  vars["SS_LOCAL_HOST"] = "0.0.0.0";
  r = read_sip003_env(fake(vars));
  ASSERT_TRUE(r && r->has_value());
  EXPECT_EQ((*r)->remotes, (std::vector<host_port>{{"::1", 443}}));
  EXPECT_EQ((*r)->local, (host_port{"0.0.0.0", 1080}));
}

TEST(Sip003Env, ReadsAListOfRemoteHostsSharingThePort) {
  auto vars = full_env();
  vars["SS_REMOTE_HOST"] = "a.example,::1,10.0.0.2";
  const auto r = read_sip003_env(fake(vars));
  ASSERT_TRUE(r && r->has_value()) << (r ? "" : r.error());
  EXPECT_EQ((*r)->remotes, (std::vector<host_port>{{"a.example", 443}, {"::1", 443}, {"10.0.0.2", 443}}));
}

TEST(Sip003Env, NamesTheBadItemOfARemoteHostList) {
  auto vars = full_env();
  vars["SS_REMOTE_HOST"] = "a.example,,b.example";
  EXPECT_EQ(error_of(vars), "SS_REMOTE_HOST: item 2 is empty");
  vars["SS_REMOTE_HOST"] = "a.example,a.example";
  EXPECT_EQ(error_of(vars), "SS_REMOTE_HOST: item 2 ('a.example') repeats item 1");
  vars["SS_REMOTE_HOST"] = "a.example,b c";
  EXPECT_EQ(error_of(vars).rfind("SS_REMOTE_HOST: item 2 ('b c'): ", 0), 0u) << error_of(vars);
}

TEST(Sip003Env, KeepsOptionsVerbatim) {
  auto vars = full_env();
  vars["SS_PLUGIN_OPTIONS"] = "  path=/a\\;b ; ";  // parsing is plugin_options' job
  const auto r = read_sip003_env(fake(vars));
  ASSERT_TRUE(r && r->has_value());
  EXPECT_EQ((*r)->options, "  path=/a\\;b ; ");
}

TEST(Sip003Env, ReadsProcessEnvironment) {
  ::setenv("KMR_TEST_SIP003_VAR", "v", 1);
  const auto lookup = kmr::opt::process_environment();
  EXPECT_EQ(lookup("KMR_TEST_SIP003_VAR"), "v");
  ::unsetenv("KMR_TEST_SIP003_VAR");
  EXPECT_FALSE(lookup("KMR_TEST_SIP003_VAR"));
}
