// harness: helpers for integration tests with real peers on loopback.
//
// TempDir      a private directory, removed with everything in it.
// Process      a child process (argv), stdout captured to a file; killed
//              (SIGTERM, then SIGKILL) when the object goes away.
// TestDns      ldns-testns on a random loopback port serving a data file.
// SilentUdp    a UDP socket on 127.0.0.1 that never answers (DNS timeouts).
// run_tool     runs the built `mtaguard` and returns status, stdout, stderr.
// Paths come from MTAGUARD_SRCDIR / MTAGUARD_BUILDDIR (set by make check).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace harness {

std::string srcdir();
std::string builddir();

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

}  // namespace harness
