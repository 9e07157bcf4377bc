// captured_log: what the logging module writes while a CapturedLog lives,
// read back as lines (tests of what the daemon logs). Standard error is
// redirected into a file in a temporary directory and logging sends to it
// alone; the destructor puts both back (logging to syslog off, as tests run).
// For unit and integration tests.
// The file is opened when capture starts, so a test may then run out of
// descriptors on purpose.
#pragma once

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "common/scratch_dir.h"
#include "log.h"

namespace testing {

class CapturedLog {
public:
    // Lines read "PROGRAM: LEVEL: message".
    explicit CapturedLog(const std::string& program = "test") : path_(dir_.path() + "/log") {
        std::fflush(stderr);
        saved_ = ::dup(STDERR_FILENO);
        int file = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        ::dup2(file, STDERR_FILENO);
        ::close(file);
        logging::Options o;
        o.program = program;
        o.to_syslog = false;
        o.to_stderr = true;
        logging::init(o);
    }
    ~CapturedLog() { stop(); }
    CapturedLog(const CapturedLog&) = delete;
    CapturedLog& operator=(const CapturedLog&) = delete;

    // Ends the capture (once) and returns every line written.
    std::vector<std::string> lines() {
        stop();
        std::vector<std::string> out;
        std::string line;
        std::ifstream file(path_, std::ios::binary);
        for (char ch; file.get(ch);) {
            if (ch != '\n') {
                line += ch;
                continue;
            }
            out.push_back(line);
            line.clear();
        }
        return out;
    }

private:
    void stop() {
        if (saved_ < 0) return;
        std::fflush(stderr);
        ::dup2(saved_, STDERR_FILENO);
        ::close(saved_);
        saved_ = -1;
        logging::Options o;
        o.to_syslog = false;
        o.to_stderr = false;
        logging::init(o);
    }

    ScratchDir dir_;
    std::string path_;
    int saved_ = -1;
};

}  // namespace testing
