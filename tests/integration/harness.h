// harness: helpers for integration tests with real peers on loopback.
//
// TempDir      a private directory, removed with everything in it.
// Process      a child process (argv), stdout captured to a file; killed
//              (SIGTERM, then SIGKILL) when the object goes away.
// TestDns      ldns-testns on a random loopback port serving a data file,
//              written with dns_entry(), dns_txt() and dns_nxdomain_rest().
// SilentUdp    a UDP socket on 127.0.0.1 that never answers (DNS timeouts).
// run_tool     runs the built `mtaguard` and returns status, stdout, stderr;
//              tool_json() parses what a --json command printed.
// read_file    a file's whole content.
// wait_until   polls a condition, bounded only against a hang.
// Paths come from MTAGUARD_SRCDIR / MTAGUARD_BUILDDIR (set by make check).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "json.h"

namespace harness {

std::string srcdir();
std::string builddir();
std::string read_file(const std::string& path);  // the whole file; "" when it cannot be read
// Polls `done` every 20 ms until it holds (true) or `limit` has passed
// (false). The limit guards against a hang; no test asserts a duration.
// What `done` throws propagates.
bool wait_until(const std::function<bool()>& done, std::chrono::milliseconds limit);

// The processes whose parent is `parent` and whose name (/proc comm, at
// most 15 characters) is `comm`, zombies left out; and whether `pid` is a
// live (not zombie) process.
std::vector<pid_t> children_of(pid_t parent, const std::string& comm);
bool alive(pid_t pid);

class TempDir {
public:
    TempDir();
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::string& path() const { return path_; }
    std::string file(const std::string& name, const std::string& content) const;  // writes, returns path

private:
    std::string path_;
};

class Process {
public:
    Process(const std::vector<std::string>& argv, const std::string& stdout_file);
    ~Process();
    Process(const Process&) = delete;
    Process& operator=(const Process&) = delete;
    pid_t pid() const { return pid_; }
    bool running();
    void stop();

private:
    pid_t pid_ = -1;
};

class TestDns {
public:
    explicit TestDns(const std::string& datafile_content);
    std::uint16_t port() const { return port_; }
    std::string nameserver() const { return "127.0.0.1:" + std::to_string(port_); }

private:
    TempDir dir_;
    std::uint16_t port_ = 0;
    std::unique_ptr<Process> process_;
};

// ldns-testns data-file entries; entries match in file order.
// dns_entry: the reply to `qname` (absolute, final dot) `qtype` with reply
// flags (an rcode, NOERROR, NXDOMAIN or SERVFAIL, after AD if wanted) and
// answer and authority records as zone-file lines, each ending "\n".
std::string dns_entry(const std::string& qname, const std::string& qtype, const std::string& flags,
                      const std::string& answer, const std::string& authority = "");
// `name` (absolute) 300 IN TXT "value".
std::string dns_txt(const std::string& name, const std::string& value, const std::string& flags = "NOERROR");
// Last in a data file: NXDOMAIN for every question no entry above matched.
std::string dns_nxdomain_rest();

class SilentUdp {
public:
    SilentUdp();
    ~SilentUdp();
    std::uint16_t port() const { return port_; }

private:
    int fd_ = -1;
    std::uint16_t port_ = 0;
};

struct ToolResult {
    int status = -1;
    std::string out;
    std::string err;
};

ToolResult run(const std::vector<std::string>& argv, const std::string& stdin_text = "");
ToolResult run_tool(const std::vector<std::string>& args, const std::string& stdin_text = "");
// The one JSON object a --json command printed; throws (the test errs) with
// what it printed when stdout is not JSON.
json::Value tool_json(const ToolResult& r);

}  // namespace harness
