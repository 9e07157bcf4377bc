// callbacks: libmilter glue. Each callback hands its strings to the Session
// (session.h) and, at end of message, applies the Outcome: delete forged
// Authentication-Results (smfi_chgheader with a NULL value, highest index
// first so earlier indexes stay valid), insert ours at index 0, then reject,
// tempfail or quarantine.
//
// Negotiation (milter protocol v6, as Postfix >= 2.6 speaks it): actions
// ADDHDRS, CHGHDRS, QUARANTINE, SETSYMLIST; steps not needed are switched off
// (DATA, body, EOH, unknown commands; RCPT stays for the report history's
// recipient domains) and HELO, MAIL, RCPT and headers need no reply when the
// MTA offers that: end of message is then the only round trip of a message.
// A skipped message (authenticated submission, client in
// milter_skip_networks) is not evaluated but goes on to end of message,
// where the Authentication-Results claiming our authserv-id are deleted
// (RFC 8601 §5: a user or a skipped relay is not a trusted MTA) and no
// header is added. Macros are requested at the stages Postfix defines them:
// {client_addr} j {daemon_name} at connect, {auth_authen} {mail_addr} at
// MAIL, i at end of message.
//
// Shutdown: libmilter's smfi_main() returns without waiting for the
// connections it started; drain() lets the messages at end of message
// finish (their verdict applied, their history row queued) and tempfails
// the ones that arrive there later.
//
// A callback never lets an exception escape into libmilter: an unexpected
// failure tempfails the message (and is logged).
#include "callbacks.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <atomic>
#include <cstring>
#include <exception>
#include <thread>

#include "dmarc/evaluate.h"
#include "log.h"
#include "session.h"

namespace milter {
namespace {

std::atomic<std::shared_ptr<const Runtime>> g_runtime;
// Shutdown (drain()): the stop flag, and the callbacks at end of message.
std::atomic<bool> g_stopping{false};
std::atomic<int> g_in_eom{0};
constexpr std::chrono::milliseconds kDrainPoll{20};

struct InEom {
    InEom() { ++g_in_eom; }
    ~InEom() { --g_in_eom; }
    InEom(const InEom&) = delete;
    InEom& operator=(const InEom&) = delete;
};

constexpr unsigned long kActions = SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_QUARANTINE | SMFIF_SETSYMLIST;
constexpr unsigned long kStepsOff = SMFIP_NODATA | SMFIP_NOBODY | SMFIP_NOEOH | SMFIP_NOUNKNOWN;
constexpr unsigned long kNoReply = SMFIP_NR_HDR | SMFIP_NR_HELO | SMFIP_NR_MAIL | SMFIP_NR_RCPT;

struct Connection {
    Session session;
    unsigned long protocol = 0;  // the negotiated SMFIP_* flags
    bool skipped = false;        // this message is skipped (accepted at end of message)
    sfsistat reply(unsigned long no_reply_flag) const {
        return (protocol & no_reply_flag) ? SMFIS_NOREPLY : SMFIS_CONTINUE;
    }
};

Connection* connection(SMFICTX* ctx) {
    auto* c = static_cast<Connection*>(smfi_getpriv(ctx));
    if (!c) {
        c = new Connection;
        smfi_setpriv(ctx, c);
    }
    return c;
}

// A view into libmilter's copy, valid until the next command of this stage.
std::string_view macro(SMFICTX* ctx, const char* name) {
    const char* v = smfi_getsymval(ctx, const_cast<char*>(name));
    return v ? v : "";
}

std::string address_text(const sockaddr* sa) {
    char buf[INET6_ADDRSTRLEN] = {};
    if (!sa) return "";
    if (sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(sa)->sin_addr, buf, sizeof buf);
    else if (sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(sa)->sin6_addr, buf, sizeof buf);
    return buf;
}

void log_skip(const std::string& reason, const std::string& client, const std::string& detail) {
    logging::info(logging::fields({{"skipped", reason}, {"client", client}, {"detail", detail}}));
}

template <typename F>
sfsistat guarded(const char* stage, F&& body) {
    try {
        return body();
    } catch (const std::exception& e) {
        logging::error(std::string("milter ") + stage + ": " + e.what());
    } catch (...) {
        logging::error(std::string("milter ") + stage + ": unknown failure");
    }
    return SMFIS_TEMPFAIL;
}

sfsistat on_negotiate(SMFICTX* ctx, unsigned long f0, unsigned long f1, unsigned long, unsigned long,
                      unsigned long* pf0, unsigned long* pf1, unsigned long* pf2, unsigned long* pf3) {
    return guarded("negotiate", [&] {
        if ((f0 & (SMFIF_ADDHDRS | SMFIF_CHGHDRS)) != (SMFIF_ADDHDRS | SMFIF_CHGHDRS)) {
            logging::error("MTA does not offer the header actions mtaguard-milter needs");
            return SMFIS_REJECT;
        }
        Connection* c = connection(ctx);
        *pf0 = f0 & kActions;
        c->protocol = f1 & (kStepsOff | kNoReply);
        *pf1 = c->protocol;
        *pf2 = *pf3 = 0;
        if (f0 & SMFIF_SETSYMLIST) {
            smfi_setsymlist(ctx, SMFIM_CONNECT, const_cast<char*>("{client_addr} j {daemon_name}"));
            smfi_setsymlist(ctx, SMFIM_ENVFROM, const_cast<char*>("{auth_authen} {mail_addr}"));
            smfi_setsymlist(ctx, SMFIM_EOM, const_cast<char*>("i"));
        }
        return SMFIS_CONTINUE;
    });
}

sfsistat on_connect(SMFICTX* ctx, char*, _SOCK_ADDR* hostaddr) {
    return guarded("connect", [&] {
        Connection* c = connection(ctx);
        std::string ip = address_text(hostaddr);
        if (ip.empty()) ip = std::string(macro(ctx, "{client_addr}"));
        // A skipped client's messages are skipped at MAIL (and logged there),
        // not accepted here: their headers are still needed (session.h).
        c->session.connect(current_runtime(), ip);
        return SMFIS_CONTINUE;
    });
}

sfsistat on_helo(SMFICTX* ctx, char* name) {
    return guarded("helo", [&] {
        Connection* c = connection(ctx);
        c->session.helo(name ? name : "");
        return c->reply(SMFIP_NR_HELO);
    });
}

sfsistat on_envfrom(SMFICTX* ctx, char** argv) {
    return guarded("envfrom", [&] {
        Connection* c = connection(ctx);
        std::string_view sender = argv && argv[0] ? argv[0] : "";
        std::string_view auth = macro(ctx, "{auth_authen}");
        std::string skip = c->session.mail(sender, auth);
        c->skipped = !skip.empty();
        if (c->skipped) log_skip(skip, c->session.facts().client_ip, auth.empty() ? "" : "user=" + std::string(auth));
        return c->reply(SMFIP_NR_MAIL);
    });
}

sfsistat on_envrcpt(SMFICTX* ctx, char** argv) {
    return guarded("envrcpt", [&] {
        Connection* c = connection(ctx);
        if (!c->skipped) c->session.rcpt(argv && argv[0] ? argv[0] : "");
        return c->reply(SMFIP_NR_RCPT);
    });
}

sfsistat on_header(SMFICTX* ctx, char* name, char* value) {
    return guarded("header", [&] {
        Connection* c = connection(ctx);
        c->session.header(name ? name : "", value ? value : "");  // skipped too: forged A-R are deleted
        return c->reply(SMFIP_NR_HDR);
    });
}

sfsistat apply(SMFICTX* ctx, const Outcome& out) {
    static char kAuthRes[] = "Authentication-Results";
    for (int index : out.delete_authres) smfi_chgheader(ctx, kAuthRes, index, nullptr);
    if (!out.add_authres.empty()) smfi_insheader(ctx, 0, kAuthRes, const_cast<char*>(out.add_authres.c_str()));
    if (!out.log_line.empty()) logging::info(out.log_line);
    switch (out.action) {
        case dmarc::Action::Accept: return SMFIS_CONTINUE;
        case dmarc::Action::Quarantine:
            smfi_quarantine(ctx, const_cast<char*>(out.quarantine_reason.c_str()));
            return SMFIS_CONTINUE;
        case dmarc::Action::Reject:
        case dmarc::Action::TempFail: {
            // The session made the text safe for smfi_setreply (no '%', CR, LF).
            smfi_setreply(ctx, const_cast<char*>(out.smtp_code.c_str()), const_cast<char*>(out.smtp_xcode.c_str()),
                          const_cast<char*>(out.smtp_text.c_str()));
            return out.action == dmarc::Action::Reject ? SMFIS_REJECT : SMFIS_TEMPFAIL;
        }
    }
    return SMFIS_CONTINUE;
}

sfsistat on_eom(SMFICTX* ctx) {
    InEom busy;  // counted before the stop flag is read: drain() sees it or it sees the flag
    return guarded("eom", [&] {
        Connection* c = connection(ctx);
        if (g_stopping) {
            c->skipped = false;
            c->session.abort_message();
            smfi_setreply(ctx, const_cast<char*>("451"), const_cast<char*>("4.7.1"),
                          const_cast<char*>("mtaguard-milter is stopping, try again later"));
            return SMFIS_TEMPFAIL;
        }
        const Runtime* rt = c->session.runtime();
        if (!rt) return SMFIS_CONTINUE;  // no connect stage seen
        std::string queue_id(macro(ctx, "i"));
        Outcome out;
        if (c->skipped) {  // logged at MAIL
            c->skipped = false;
            out = c->session.skipped_end_of_message(std::move(queue_id));
        } else {
            Evaluator evaluate = [rt](const dmarc::MessageFacts& facts) {
                return dmarc::evaluate(facts, *rt->resolver, *rt->config);
            };
            out = c->session.end_of_message(std::move(queue_id), evaluate);
        }
        sfsistat status = apply(ctx, out);
        c->session.abort_message();
        return status;
    });
}

sfsistat on_abort(SMFICTX* ctx) {
    if (auto* c = static_cast<Connection*>(smfi_getpriv(ctx))) {
        c->skipped = false;
        c->session.abort_message();
    }
    return SMFIS_CONTINUE;
}

sfsistat on_close(SMFICTX* ctx) {
    delete static_cast<Connection*>(smfi_getpriv(ctx));
    smfi_setpriv(ctx, nullptr);
    return SMFIS_CONTINUE;
}

}  // namespace

bool drain(std::chrono::milliseconds limit) {
    g_stopping = true;
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (g_in_eom > 0) {
        if (std::chrono::steady_clock::now() >= deadline) return false;
        std::this_thread::sleep_for(kDrainPoll);
    }
    return true;
}

void set_runtime(std::shared_ptr<const Runtime> runtime) { g_runtime.store(std::move(runtime)); }
std::shared_ptr<const Runtime> current_runtime() { return g_runtime.load(); }

smfiDesc& filter_description() {
    static smfiDesc desc = {
        const_cast<char*>("mtaguard-milter"),
        SMFI_VERSION,
        SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_QUARANTINE | SMFIF_SETSYMLIST,
        on_connect,
        on_helo,
        on_envfrom,
        on_envrcpt,
        on_header,
        nullptr,  // eoh
        nullptr,  // body
        on_eom,
        on_abort,
        on_close,
        nullptr,  // unknown
        nullptr,  // data
        on_negotiate,
    };
    return desc;
}

}  // namespace milter
