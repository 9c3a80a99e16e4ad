#include "support/process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <stdexcept>
#include <thread>

#include "support/temp_dir.hpp"

namespace sgaudit::test {
namespace {

[[noreturn]] void execChild(const std::vector<std::string>& argv,
                            const std::map<std::string, std::string>& env, const std::filesystem::path& cwd) {
  for (const auto& [key, value] : env)
    ::setenv(key.c_str(), value.c_str(), 1);
  if (!cwd.empty() && ::chdir(cwd.c_str()) != 0) ::_exit(127);
  std::vector<char*> args;
  for (const auto& arg : argv)
    args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  ::execv(args[0], args.data());
  ::_exit(127);
}

int decodeStatus(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

}  // namespace

std::filesystem::path sgauditBinary() {
  const char* path = std::getenv("SGAUDIT_BINARY");
  return path != nullptr ? path : SGAUDIT_BINARY_PATH;
}

std::filesystem::path testDataDir() {
  const char* path = std::getenv("SGAUDIT_TEST_DATA");
  return path != nullptr ? path : SGAUDIT_TEST_DATA_DIR;
}

ProcessResult runProcess(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
                         const std::filesystem::path& cwd) {
  TempDir capture;
  const auto out_path = capture / "out";
  const auto err_path = capture / "err";
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    const int out = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    const int err = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ::dup2(out, STDOUT_FILENO);
    ::dup2(err, STDERR_FILENO);
    execChild(argv, env, cwd);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return {decodeStatus(status), readFile(out_path), readFile(err_path)};
}

ChildProcess::ChildProcess(const std::vector<std::string>& argv,
                           const std::map<std::string, std::string>& env, const std::filesystem::path& cwd,
                           const std::filesystem::path& stderr_file) {
  pid_ = ::fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    const int err = ::open(stderr_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ::dup2(err, STDERR_FILENO);
    ::dup2(err, STDOUT_FILENO);
    execChild(argv, env, cwd);
  }
}

ChildProcess::~ChildProcess() {
  if (!reaped_ && pid_ > 0) {
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
  }
}

void ChildProcess::signal(int signo) const {
  ::kill(pid_, signo);
}

std::optional<int> ChildProcess::wait(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    const pid_t done = ::waitpid(pid_, &status, WNOHANG);
    if (done == pid_) {
      reaped_ = true;
      return decodeStatus(status);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return std::nullopt;
}

std::string waitForText(const std::filesystem::path& file, const std::string& needle,
                        std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    std::string text = readFile(file);
    if (text.find(needle) != std::string::npos) return text;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return {};
}

}  // namespace sgaudit::test
