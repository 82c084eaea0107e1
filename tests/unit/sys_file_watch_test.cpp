// SPDX-License-Identifier: MIT
// Real files in a temporary directory, changed the ways certbot, editors and Kubernetes
// change them, and the callbacks counted. Windows are generous: only counts are asserted.
#include "sys/file_watch.hpp"  // first: the header must compile on its own

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace {

namespace fs = std::filesystem;
using kmr::sys::file_watch;
using namespace std::chrono_literals;
using std::chrono::milliseconds;

std::string make_temp_dir() {
  const char* tmp = std::getenv("TMPDIR");
  std::string pattern =
      std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/kmr-watch-XXXXXX";
  return ::mkdtemp(pattern.data()) != nullptr ? pattern : std::string();
}

// open(O_TRUNC), write, close: an in-place overwrite.
void overwrite(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::trunc) << text;
}

// A new file written beside the old one, then renamed over it.
void rename_into_place(const std::string& path, const std::string& text) {
  overwrite(path + ".tmp", text);
  fs::rename(path + ".tmp", path);
}

class FileWatch : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_FALSE(dir_.empty()); }
  void TearDown() override {
    watch_.reset();
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }

  std::string path(const std::string& name) const { return dir_ + "/" + name; }

  void start(std::vector<std::string> paths, milliseconds debounce = 150ms) {
    auto made = file_watch::start(io_, std::move(paths), debounce, [this] { on_change(); });
    ASSERT_TRUE(made) << made.error();
    watch_ = std::move(*made);
  }

  void run_for(milliseconds d) {
    io_.restart();
    io_.run_for(d);
  }

  // Runs until `want` callbacks (at most `limit`), then `settle` more, so that one callback
  // too many would be counted.
  void run_until(int want, milliseconds limit = 10s, milliseconds settle = 1s) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (calls_ < want && std::chrono::steady_clock::now() < deadline) run_for(20ms);
    run_for(settle);
  }

  virtual void on_change() {
    ++calls_;
    std::ifstream(path("cert.pem")).get();  // reads the file, as a reload would
  }

  kmr::asio::io_context io_;  // before watch_: destroyed after it
  std::unique_ptr<file_watch> watch_;
  int calls_ = 0;
  std::string dir_ = make_temp_dir();
};

TEST_F(FileWatch, CallsOnceForOverwrite) {
  overwrite(path("cert.pem"), "old");
  overwrite(path("key.pem"), "old");
  start({path("cert.pem"), path("key.pem")});
  run_for(300ms);
  EXPECT_EQ(calls_, 0);
  overwrite(path("cert.pem"), "new");
  run_until(1);
  EXPECT_EQ(calls_, 1);
  overwrite(path("key.pem"), "new");
  run_until(2);
  EXPECT_EQ(calls_, 2);
}

TEST_F(FileWatch, CallsOnceForRenameIntoPlace) {
  overwrite(path("cert.pem"), "old");
  start({path("cert.pem")});
  rename_into_place(path("cert.pem"), "new");
  run_until(1);
  EXPECT_EQ(calls_, 1);
  rename_into_place(path("cert.pem"), "newer");  // the directory watch survives the rename
  run_until(2);
  EXPECT_EQ(calls_, 2);
}

TEST_F(FileWatch, CallsOnceForBurstOfWrites) {
  overwrite(path("cert.pem"), "old");
  start({path("cert.pem")}, 1000ms);
  for (int i = 0; i < 10; ++i) {
    overwrite(path("cert.pem"), std::to_string(i) + " writes");
    run_for(30ms);  // the events arrive during the wait and restart it
  }
  run_until(1, 10s, 2s);
  EXPECT_EQ(calls_, 1);
}

TEST_F(FileWatch, IgnoresOtherFilesInTheDirectory) {
  overwrite(path("cert.pem"), "old");
  start({path("cert.pem")});
  overwrite(path("other.txt"), "x");
  rename_into_place(path("cert.pem.bak"), "x");
  overwrite(path("cert.pe"), "x");
  fs::remove(path("other.txt"));
  run_for(1s);
  EXPECT_EQ(calls_, 0);
}

TEST_F(FileWatch, NoticesFileCreatedAndDeleted) {
  start({path("ocsp.der")});  // may not exist yet: only its directory must
  overwrite(path("ocsp.der"), "staple");
  run_until(1);
  EXPECT_EQ(calls_, 1);
  fs::remove(path("ocsp.der"));
  run_until(2);
  EXPECT_EQ(calls_, 2);
}

// certbot: live/cert.pem -> ../archive/cert1.pem; renewal writes archive/cert2.pem and
// renames a new link over live/cert.pem.
TEST_F(FileWatch, FollowsSymlinkSwapAndNewTarget) {
  fs::create_directories(path("live"));
  fs::create_directories(path("archive"));
  overwrite(path("archive/cert1.pem"), "one");
  fs::create_symlink("../archive/cert1.pem", path("live/cert.pem"));
  start({path("live/cert.pem")});

  overwrite(path("archive/cert1.pem"), "one, edited");  // the target itself changes
  run_until(1);
  EXPECT_EQ(calls_, 1);

  overwrite(path("archive/cert2.pem"), "two");
  fs::create_symlink("../archive/cert2.pem", path("live/cert.pem.tmp"));
  fs::rename(path("live/cert.pem.tmp"), path("live/cert.pem"));
  run_until(2);
  EXPECT_EQ(calls_, 2);

  overwrite(path("archive/cert2.pem"), "two, edited");  // the new target is watched now
  run_until(3);
  EXPECT_EQ(calls_, 3);
  overwrite(path("archive/cert1.pem"), "old target");  // and the old one no longer
  run_for(1s);
  EXPECT_EQ(calls_, 3);
}

// A Kubernetes secret volume: tls.crt -> ..data/tls.crt, ..data -> ..v1; an update makes
// ..v2 and renames a new ..data link over the old one.
TEST_F(FileWatch, FollowsSymlinkedDirectorySwap) {
  fs::create_directories(path("..v1"));
  overwrite(path("..v1/tls.crt"), "one");
  fs::create_symlink("..v1", path("..data"));
  fs::create_symlink("..data/tls.crt", path("tls.crt"));
  start({path("tls.crt")});

  fs::create_directories(path("..v2"));
  overwrite(path("..v2/tls.crt"), "two");
  fs::create_symlink("..v2", path("..data_tmp"));
  fs::rename(path("..data_tmp"), path("..data"));  // ..v1 stays: only the link tells
  run_until(1);
  EXPECT_EQ(calls_, 1);
  overwrite(path("..v2/tls.crt"), "two, edited");
  run_until(2);
  EXPECT_EQ(calls_, 2);
}

TEST_F(FileWatch, NoCallbackAfterStop) {
  overwrite(path("cert.pem"), "old");
  start({path("cert.pem")});
  overwrite(path("cert.pem"), "new");
  run_for(20ms);  // the event is (most likely) read and the wait started
  watch_->stop();
  watch_->stop();  // again: harmless
  overwrite(path("cert.pem"), "newer");
  run_for(1s);
  EXPECT_EQ(calls_, 0);
  watch_.reset();
  run_for(100ms);
  EXPECT_EQ(calls_, 0);
}

class FileWatchSelfDestroying : public FileWatch {
 protected:
  void on_change() override {
    ++calls_;
    watch_.reset();  // the owner drops the watch from inside its callback
  }
};

TEST_F(FileWatchSelfDestroying, CallbackMayDestroyTheWatch) {
  overwrite(path("cert.pem"), "old");
  start({path("cert.pem")});
  overwrite(path("cert.pem"), "new");
  run_until(1);
  EXPECT_EQ(calls_, 1);
  EXPECT_FALSE(watch_);
  overwrite(path("cert.pem"), "newer");
  run_for(500ms);
  EXPECT_EQ(calls_, 1);
}

TEST_F(FileWatch, RecoversWhenDirectoryIsRecreated) {
  fs::create_directories(path("tls"));
  overwrite(path("tls/cert.pem"), "old");
  start({path("tls/cert.pem")});
  fs::remove_all(path("tls"));  // IN_DELETE, then IN_IGNORED for the directory
  run_until(1);
  EXPECT_EQ(calls_, 1);
  fs::create_directories(path("tls"));
  overwrite(path("tls/cert.pem"), "new");
  run_until(2, 15s);  // found again by the slow retry
  EXPECT_EQ(calls_, 2);
  overwrite(path("tls/cert.pem"), "newer");  // and watched as before
  run_until(3);
  EXPECT_EQ(calls_, 3);
}

// More events than the kernel queues (IN_Q_OVERFLOW): some may have been ours.
TEST_F(FileWatch, TreatsQueueOverflowAsChange) {
  std::ifstream limit_file("/proc/sys/fs/inotify/max_queued_events");
  int limit = 0;
  limit_file >> limit;
  if (limit <= 0 || limit > 100000) GTEST_SKIP() << "max_queued_events is " << limit;
  overwrite(path("cert.pem"), "old");
  start({path("cert.pem")});
  overwrite(path("a.other"), "x");
  for (int i = 0; i <= limit / 2; ++i) {  // two events each, never two alike in a row
    fs::rename(path(i % 2 == 0 ? "a.other" : "b.other"), path(i % 2 == 0 ? "b.other" : "a.other"));
  }
  run_until(1);
  EXPECT_EQ(calls_, 1);
}

TEST(FileWatchStart, FailsWithPathAndReason) {
  kmr::asio::io_context io;
  const auto missing = file_watch::start(io, {"/nonexistent-kmr-dir/cert.pem"}, 100ms, [] {});
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error(),
            "cannot watch /nonexistent-kmr-dir (the directory of cert.pem): No such file or "
            "directory");
  EXPECT_FALSE(file_watch::start(io, {}, 100ms, [] {}));
  EXPECT_FALSE(file_watch::start(io, {"/tmp/"}, 100ms, [] {}));
  EXPECT_FALSE(file_watch::start(io, {"/dev/null/cert.pem"}, 100ms, [] {}));  // not a dir
  io.run_for(100ms);  // nothing left behind to run
}

}  // namespace
