// bounded_child: runs a test body in a forked process and waits for it at
// most a given time, so that a body that blocks forever (a Berkeley DB lock
// of a dead process never released) fails its test instead of hanging the
// suite. The child is killed when the time is up.
#pragma once

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <thread>

namespace testing {

inline constexpr int kChildTimedOut = 129;  // the body was still running at the deadline

// Returns the child's exit status (0: body returned true, 1: false),
// kChildTimedOut, or 128 when it died from a signal or fork failed.
inline int in_child_within(const std::function<bool()>& body, std::chrono::seconds limit) {
    pid_t pid = ::fork();
    if (pid < 0) return 128;
    if (pid == 0) ::_exit(body() ? 0 : 1);
    auto deadline = std::chrono::steady_clock::now() + limit;
    int status = 0;
    while (::waitpid(pid, &status, WNOHANG) == 0) {
        if (std::chrono::steady_clock::now() >= deadline) {
            ::kill(pid, SIGKILL);
            ::waitpid(pid, &status, 0);
            return kChildTimedOut;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

}  // namespace testing
