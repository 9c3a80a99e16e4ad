#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace sgaudit::test {

// The sgaudit binary under test: the one this build made, or $SGAUDIT_BINARY.
std::filesystem::path sgauditBinary();
// The project's test/data folder, or $SGAUDIT_TEST_DATA.
std::filesystem::path testDataDir();

struct ProcessResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs a command to completion with extra environment variables and the given working folder.
ProcessResult runProcess(const std::vector<std::string>& argv,
                         const std::map<std::string, std::string>& env = {},
                         const std::filesystem::path& cwd = {});

// A long-running child (sgaudit serve) whose stderr is collected into a file.
class ChildProcess {
 public:
  ChildProcess(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
               const std::filesystem::path& cwd, const std::filesystem::path& stderr_file);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  void signal(int signo) const;
  // Waits for exit; nullopt on timeout. Returns the exit code (128+signal when killed).
  std::optional<int> wait(std::chrono::milliseconds timeout);
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
  bool reaped_ = false;
};

// Waits until `file` contains `needle`; returns its contents (empty on timeout).
std::string waitForText(const std::filesystem::path& file, const std::string& needle,
                        std::chrono::milliseconds timeout);

}  // namespace sgaudit::test
