// dmarc-eval: the milter's warm-cache DMARC path without the milter
// protocol, for instruction and allocation counts (bench/README.md).
//
// Calls dmarc::evaluate() with the facts bench/milter-load sends (a trusted
// Authentication-Results with DKIM and SPF pass, one From) for MESSAGES
// messages over DOMAINS domains, through a dmarc::CachingResolver in front
// of an in-memory resolver that answers as bench/run-milter-bench.sh's DNS
// does: "v=DMARC1; p=reject" at _dmarc.dN.bench.example, NXDOMAIN for
// everything else. Every domain is evaluated once before measuring, so the
// cache is warm. Prints the messages, the allocations per message (every
// operator new in the process is counted) and the CPU time per message;
// run it under `valgrind --tool=callgrind` for instructions per message.
// Exits 1 when a verdict is not dmarc=pass.
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <new>
#include <string>

#include "config.h"
#include "dmarc/cache.h"
#include "dmarc/evaluate.h"

namespace {

std::atomic<unsigned long long> g_allocations{0};  // counter for this benchmark only

class BenchDns : public dns::Resolver {
public:
    dns::Answer query(std::string_view name, dns::RrType type) override {
        dns::Answer a;
        a.status = dns::Status::NxDomain;
        if (type == dns::RrType::TXT && name.starts_with("_dmarc.d") && name.ends_with(".bench.example")) {
            a.status = dns::Status::Ok;
            a.ttl = 3600;
            a.texts = {"v=DMARC1; p=reject"};
        }
        return a;
    }
};

double cpu_seconds() {
    timespec ts{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

dmarc::MessageFacts facts_for(int seq, int domains) {
    std::string domain = "d" + std::to_string(seq % domains) + ".bench.example";
    std::string from = "user@" + domain;
    dmarc::MessageFacts f;
    f.authentication_results = {" bench.example; dkim=pass header.d=" + domain +
                                " header.s=sel; spf=pass smtp.mailfrom=" + from};
    f.from_headers = {" Bench User <" + from + ">"};
    f.queue_id = "BENCH" + std::to_string(seq);
    f.envelope_from = from;
    f.helo = "client.example";
    f.client_ip = "127.0.0.1";
    return f;
}

}  // namespace

void* operator new(std::size_t size) {
    ++g_allocations;
    if (void* p = std::malloc(size ? size : 1)) return p;
    throw std::bad_alloc();
}
// The replacement pair: what operator new took from malloc goes back to free.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
#pragma GCC diagnostic pop

int main(int argc, char** argv) {
    int messages = argc > 1 ? std::atoi(argv[1]) : 20000;
    int domains = argc > 2 ? std::atoi(argv[2]) : 200;
    if (messages <= 0 || domains <= 0) {
        std::fprintf(stderr, "usage: dmarc-eval [MESSAGES [DOMAINS]]\n");
        return 2;
    }
    config::Loader loader;
    loader.load_text("authserv_id = mx.bench.example\ntrusted_authserv_ids = bench.example\n", "bench");
    auto config = loader.finish();
    BenchDns upstream;
    dmarc::CachingResolver cache(upstream, dmarc::CacheLimits::from_config(*config));
    std::vector<dmarc::MessageFacts> inputs;
    for (int i = 0; i < messages; ++i) inputs.push_back(facts_for(i, domains));
    for (int i = 0; i < domains; ++i) dmarc::evaluate(inputs[i % messages], cache, *config);  // warm the cache
    int errors = 0;
    unsigned long long before = g_allocations;
    double start = cpu_seconds();
    for (const auto& f : inputs)
        if (dmarc::evaluate(f, cache, *config).status != dmarc::Status::Pass) ++errors;
    double cpu = cpu_seconds() - start;
    unsigned long long allocations = g_allocations - before;
    std::printf("dmarc-eval messages=%d domains=%d errors=%d allocations/msg=%.1f cpu_us/msg=%.2f\n", messages,
                domains, errors, static_cast<double>(allocations) / messages, cpu * 1e6 / messages);
    return errors ? 1 : 0;
}
