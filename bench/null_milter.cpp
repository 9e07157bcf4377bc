// null-milter: a libmilter filter that does nothing, the floor of the
// benchmark: what the milter protocol and libmilter cost by themselves for a
// filter that must see what a DMARC filter sees. It negotiates exactly the
// steps and no-reply flags mtaguard-milter does (connect, HELO, MAIL, RCPT
// and headers, without replies to HELO, MAIL, RCPT and headers where
// offered; no DATA, body, EOH; RCPT because the report history records
// recipient domains) and
// answers "continue" to everything. A filter registering only xxfi_eom would
// get no headers at all, which no DMARC filter can do, and would measure a
// different protocol exchange.
//   null-milter SOCKET        (e.g. inet:9001@127.0.0.1)
#include <libmilter/mfapi.h>

#include <cstdio>

namespace {

constexpr unsigned long kSteps = SMFIP_NODATA | SMFIP_NOBODY | SMFIP_NOEOH | SMFIP_NOUNKNOWN | SMFIP_NR_HDR |
                                 SMFIP_NR_HELO | SMFIP_NR_MAIL | SMFIP_NR_RCPT;

sfsistat negotiate(SMFICTX* ctx, unsigned long f0, unsigned long f1, unsigned long, unsigned long,
                   unsigned long* pf0, unsigned long* pf1, unsigned long* pf2, unsigned long* pf3) {
    *pf0 = f0 & SMFIF_ADDHDRS;
    *pf1 = f1 & kSteps;
    *pf2 = *pf3 = 0;
    smfi_setpriv(ctx, reinterpret_cast<void*>(*pf1));
    return SMFIS_CONTINUE;
}
sfsistat no_reply(SMFICTX* ctx, unsigned long flag) {
    return (reinterpret_cast<unsigned long>(smfi_getpriv(ctx)) & flag) ? SMFIS_NOREPLY : SMFIS_CONTINUE;
}
sfsistat connect(SMFICTX*, char*, _SOCK_ADDR*) { return SMFIS_CONTINUE; }
sfsistat helo(SMFICTX* ctx, char*) { return no_reply(ctx, SMFIP_NR_HELO); }
sfsistat envfrom(SMFICTX* ctx, char**) { return no_reply(ctx, SMFIP_NR_MAIL); }
sfsistat envrcpt(SMFICTX* ctx, char**) { return no_reply(ctx, SMFIP_NR_RCPT); }
sfsistat header(SMFICTX* ctx, char*, char*) { return no_reply(ctx, SMFIP_NR_HDR); }
sfsistat eom(SMFICTX*) { return SMFIS_CONTINUE; }
sfsistat close(SMFICTX* ctx) {
    smfi_setpriv(ctx, nullptr);
    return SMFIS_CONTINUE;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: null-milter SOCKET\n");
        return 2;
    }
    smfiDesc desc{};
    desc.xxfi_name = const_cast<char*>("null-milter");
    desc.xxfi_version = SMFI_VERSION;
    desc.xxfi_flags = SMFIF_ADDHDRS;
    desc.xxfi_connect = connect;
    desc.xxfi_helo = helo;
    desc.xxfi_envfrom = envfrom;
    desc.xxfi_envrcpt = envrcpt;
    desc.xxfi_header = header;
    desc.xxfi_eom = eom;
    desc.xxfi_close = close;
    desc.xxfi_negotiate = negotiate;
    if (smfi_setconn(argv[1]) == MI_FAILURE || smfi_register(desc) == MI_FAILURE) {
        std::fprintf(stderr, "null-milter: cannot set up %s\n", argv[1]);
        return 1;
    }
    return smfi_main() == MI_SUCCESS ? 0 : 1;
}
