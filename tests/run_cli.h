// Runs the built qplay CLI as a user would, capturing what it prints and how it ended.
#pragma once
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <string>

namespace qplay::testing {

struct CommandResult {
  int exit_code;
  std::string output;  // stdout and stderr
  bool signaled;       // killed by a signal (a crash) instead of exiting
};

inline CommandResult RunCli(const std::string& args) {
  std::string command = std::string(QPLAY_CLI) + " " + args + " 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  std::string output;
  std::array<char, 4096> buffer;
  while (size_t n = fread(buffer.data(), 1, buffer.size(), pipe)) output.append(buffer.data(), n);
  const int status = pclose(pipe);
  // The shell reports a child killed by signal N as exit status 128 + N.
  const bool signaled = WIFSIGNALED(status) || (WIFEXITED(status) && WEXITSTATUS(status) > 128);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, output, signaled};
}

}  // namespace qplay::testing
