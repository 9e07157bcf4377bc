// harness: see harness.h.
#include "harness.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace harness {
namespace {

[[noreturn]] void exec_child(const std::vector<std::string>& argv) {
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execvp(args[0], args.data());
    _exit(127);
}

}  // namespace

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

bool wait_until(const std::function<bool()>& done, std::chrono::milliseconds limit) {
    auto end = std::chrono::steady_clock::now() + limit;
    for (;;) {
        if (done()) return true;
        if (std::chrono::steady_clock::now() >= end) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
}

std::string srcdir() {
    const char* s = std::getenv("MTAGUARD_SRCDIR");
    return s ? s : ".";
}

std::string builddir() {
    const char* s = std::getenv("MTAGUARD_BUILDDIR");
    return s ? s : ".";
}

TempDir::TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "mtaguard-test-XXXXXX").string();
    if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
}

TempDir::~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
}

std::string TempDir::file(const std::string& name, const std::string& content) const {
    std::string p = path_ + "/" + name;
    std::ofstream(p, std::ios::binary) << content;
    return p;
}

Process::Process(const std::vector<std::string>& argv, const std::string& stdout_file) {
    pid_ = fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
        setpgid(0, 0);
        int fd = open(stdout_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
            close(fd);
        }
        exec_child(argv);
    }
}

bool Process::running() {
    if (pid_ <= 0) return false;
    int status;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return false;
    }
    return true;
}

void Process::stop() {
    if (pid_ <= 0) return;
    kill(pid_, SIGTERM);
    for (int i = 0; i < 50; ++i) {
        int status;
        if (waitpid(pid_, &status, WNOHANG) == pid_) {
            pid_ = -1;
            return;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
}

Process::~Process() { stop(); }

std::string dns_entry(const std::string& qname, const std::string& qtype, const std::string& flags,
                      const std::string& answer, const std::string& authority) {
    return "ENTRY_BEGIN\nMATCH opcode qtype qname\nADJUST copy_id\nREPLY QR RD RA " + flags +
           "\nSECTION QUESTION\n" + qname + " IN " + qtype + "\nSECTION ANSWER\n" + answer +
           (authority.empty() ? "" : "SECTION AUTHORITY\n" + authority) + "ENTRY_END\n";
}

std::string dns_txt(const std::string& name, const std::string& value, const std::string& flags) {
    return dns_entry(name, "TXT", flags, name + " 300 IN TXT \"" + value + "\"\n");
}

std::string dns_nxdomain_rest() {
    return "ENTRY_BEGIN\nMATCH opcode\nADJUST copy_id copy_query\nREPLY QR RD RA NXDOMAIN\n"
           "SECTION QUESTION\nSECTION ANSWER\nENTRY_END\n";
}

namespace {

struct ProcStat {
    std::string comm;
    char state = 0;
    pid_t ppid = 0;
};

// /proc/PID/stat: "pid (comm) state ppid ..."; comm may hold spaces and ')'.
std::optional<ProcStat> proc_stat(pid_t pid) {
    std::string stat = read_file("/proc/" + std::to_string(pid) + "/stat");
    auto open = stat.find('('), close = stat.rfind(')');
    if (open == std::string::npos || close == std::string::npos || close + 4 >= stat.size()) return std::nullopt;
    return ProcStat{stat.substr(open + 1, close - open - 1), stat[close + 2],
                    static_cast<pid_t>(std::atoi(stat.c_str() + close + 4))};
}

}  // namespace

std::vector<pid_t> children_of(pid_t parent, const std::string& comm) {
    std::vector<pid_t> out;
    DIR* proc = ::opendir("/proc");
    if (!proc) return out;
    while (dirent* e = ::readdir(proc)) {
        pid_t pid = static_cast<pid_t>(std::atoi(e->d_name));
        if (pid <= 0) continue;
        auto st = proc_stat(pid);
        if (st && st->ppid == parent && st->state != 'Z' && st->comm == comm) out.push_back(pid);
    }
    ::closedir(proc);
    return out;
}

bool alive(pid_t pid) {
    auto st = proc_stat(pid);
    return st && st->state != 'Z';
}

TestDns::TestDns(const std::string& datafile_content) {
    std::string data = dir_.file("dns.data", datafile_content);
    std::string log = dir_.path() + "/testns.log";
    process_ = std::make_unique<Process>(std::vector<std::string>{"ldns-testns", "-r", data}, log);
    // ldns-testns prints "Listening on port N" once its sockets are bound.
    for (int i = 0; i < 250 && port_ == 0; ++i) {
        std::string out = read_file(log);
        auto pos = out.find("Listening on port ");
        if (pos != std::string::npos && out.find('\n', pos) != std::string::npos)
            port_ = static_cast<std::uint16_t>(std::stoi(out.substr(pos + 18)));
        else if (!process_->running())
            throw std::runtime_error("ldns-testns exited: " + out);
        else
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (port_ == 0) throw std::runtime_error("ldns-testns did not start");
}

SilentUdp::SilentUdp() {
    fd_ = socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof sa;
    if (fd_ < 0 || bind(fd_, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0 ||
        getsockname(fd_, reinterpret_cast<sockaddr*>(&sa), &len) != 0)
        throw std::runtime_error("cannot bind UDP socket");
    port_ = ntohs(sa.sin_port);
}

SilentUdp::~SilentUdp() {
    if (fd_ >= 0) close(fd_);
}

ToolResult run(const std::vector<std::string>& argv, const std::string& stdin_text) {
    TempDir dir;
    std::string in_path = dir.file("stdin", stdin_text);
    std::string out_path = dir.path() + "/stdout", err_path = dir.path() + "/stderr";
    pid_t pid = fork();
    if (pid < 0) throw std::runtime_error("fork failed");
    if (pid == 0) {
        int in = open(in_path.c_str(), O_RDONLY);
        int out = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int err = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        dup2(in, 0);
        dup2(out, 1);
        dup2(err, 2);
        exec_child(argv);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    ToolResult r;
    r.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    r.out = read_file(out_path);
    r.err = read_file(err_path);
    return r;
}

ToolResult run_tool(const std::vector<std::string>& args, const std::string& stdin_text) {
    std::vector<std::string> argv{builddir() + "/tools/mtaguard"};
    argv.insert(argv.end(), args.begin(), args.end());
    return run(argv, stdin_text);
}

json::Value tool_json(const ToolResult& r) {
    auto v = json::parse(r.out);
    if (!v) throw std::runtime_error("not JSON: " + r.out + r.err);
    return *v;
}

}  // namespace harness
