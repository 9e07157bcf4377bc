// daemon: process plumbing for mtaguard-milter: the account to run as,
// dropping root privileges (initgroups, setgid, setuid, then a check that
// root cannot be regained), the pid file, detaching from the terminal, and
// the supervisor that turns SIGHUP into a reload.
//
// Why a supervisor: libmilter's own signal thread sigwait()s for SIGHUP,
// SIGTERM and SIGINT and stops the milter on SIGHUP. A second thread waiting
// for SIGHUP would race it for every signal. So the process named in the
// pid file is a small parent that owns no connections: it relays SIGHUP (and
// SIGUSR1) to the libmilter worker as SIGUSR1, which the worker's reload
// thread waits for, and SIGTERM/SIGINT as SIGTERM, which libmilter handles
// with a clean stop. The worker dies with the parent (PR_SET_PDEATHSIG).
// Failures are values: an error string, "" on success.
#pragma once

#include <sys/types.h>

#include <functional>
#include <optional>
#include <string>

namespace milter {

struct Account {
    std::string name;
    uid_t uid = 0;
    gid_t gid = 0;
};

std::optional<Account> lookup_account(const std::string& name, std::string& error);
std::string drop_privileges(const Account& account);

std::string write_pid_file(const std::string& path);
void remove_pid_file(const std::string& path);

// Fork into the background (setsid, chdir /, stdio to /dev/null).
std::string detach();

// Runs `worker` in a child process and relays signals to it as described
// above; returns the worker's exit status. In the child, SIGUSR1 stays
// blocked for `worker` to sigwait() on.
int supervise(const std::function<int()>& worker);

}  // namespace milter
