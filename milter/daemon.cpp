// daemon: see daemon.h.
#include "daemon.h"

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <vector>

namespace milter {
namespace {

std::string errno_text(const std::string& what) { return what + ": " + std::strerror(errno); }

sigset_t relayed_signals() {
    sigset_t set;
    sigemptyset(&set);
    for (int s : {SIGHUP, SIGTERM, SIGINT, SIGCHLD, SIGUSR1}) sigaddset(&set, s);
    return set;
}

int exit_status(int wstatus) {
    if (WIFEXITED(wstatus)) return WEXITSTATUS(wstatus);
    return 128 + (WIFSIGNALED(wstatus) ? WTERMSIG(wstatus) : 0);
}

}  // namespace

std::optional<Account> lookup_account(const std::string& name, std::string& error) {
    long size = sysconf(_SC_GETPW_R_SIZE_MAX);
    std::vector<char> buf(static_cast<std::size_t>(size > 0 ? size : 16384));
    passwd pw{};
    passwd* found = nullptr;
    int rc = getpwnam_r(name.c_str(), &pw, buf.data(), buf.size(), &found);
    if (rc != 0 || !found) {
        error = "user \"" + name + "\" does not exist";
        return std::nullopt;
    }
    return Account{name, pw.pw_uid, pw.pw_gid};
}

std::string drop_privileges(const Account& account) {
    if (initgroups(account.name.c_str(), account.gid) != 0) return errno_text("initgroups");
    if (setgid(account.gid) != 0) return errno_text("setgid");
    if (setuid(account.uid) != 0) return errno_text("setuid");
    if (account.uid != 0 && setuid(0) == 0) return "root privileges could be regained after setuid";
    return "";
}

std::string write_pid_file(const std::string& path) {
    if (path.empty()) return "";
    std::ofstream out(path, std::ios::trunc);
    out << getpid() << "\n";
    out.close();
    if (!out) return "cannot write pid file " + path;
    return "";
}

void remove_pid_file(const std::string& path) {
    if (!path.empty()) unlink(path.c_str());
}

std::string detach() {
    pid_t pid = fork();
    if (pid < 0) return errno_text("fork");
    if (pid > 0) _exit(0);
    if (setsid() < 0) return errno_text("setsid");
    if (chdir("/") != 0) return errno_text("chdir /");
    int null = open("/dev/null", O_RDWR);
    if (null < 0) return errno_text("/dev/null");
    for (int fd : {0, 1, 2}) dup2(null, fd);
    if (null > 2) close(null);
    return "";
}

int supervise(const std::function<int()>& worker) {
    sigset_t set = relayed_signals();
    sigprocmask(SIG_BLOCK, &set, nullptr);
    pid_t parent = getpid();
    pid_t child = fork();
    if (child < 0) return 1;
    if (child == 0) {
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (getppid() != parent) _exit(1);  // the parent died before prctl
        sigset_t unblock;
        sigemptyset(&unblock);
        sigaddset(&unblock, SIGCHLD);
        sigprocmask(SIG_UNBLOCK, &unblock, nullptr);
        _exit(worker());
    }
    for (;;) {
        int sig = 0;
        if (sigwait(&set, &sig) != 0) continue;
        if (sig == SIGHUP || sig == SIGUSR1) {
            kill(child, SIGUSR1);
        } else if (sig == SIGTERM || sig == SIGINT) {
            kill(child, SIGTERM);
        } else if (sig == SIGCHLD) {
            int wstatus = 0;
            if (waitpid(child, &wstatus, WNOHANG) == child) return exit_status(wstatus);
        }
    }
}

}  // namespace milter
