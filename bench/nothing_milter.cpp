// nothing-milter: the do-nothing libmilter filter of the benchmark: it
// negotiates like mtaguard-milter (headers only) and answers "continue" to
// everything, so the figures show what libmilter and the protocol cost.
//   nothing-milter SOCKET_SPEC
#include <libmilter/mfapi.h>

#include <cstdio>

namespace {

sfsistat on_negotiate(SMFICTX*, unsigned long f0, unsigned long f1, unsigned long, unsigned long,
                      unsigned long* pf0, unsigned long* pf1, unsigned long* pf2, unsigned long* pf3) {
    *pf0 = f0 & SMFIF_ADDHDRS;
    *pf1 = f1 & (SMFIP_NORCPT | SMFIP_NODATA | SMFIP_NOBODY | SMFIP_NOEOH | SMFIP_NOUNKNOWN | SMFIP_NR_HDR |
                 SMFIP_NR_HELO);
    *pf2 = *pf3 = 0;
    return SMFIS_CONTINUE;
}
sfsistat on_header(SMFICTX*, char*, char*) { return SMFIS_NOREPLY; }
sfsistat on_eom(SMFICTX*) { return SMFIS_CONTINUE; }

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: nothing-milter SOCKET_SPEC\n");
        return 2;
    }
    smfiDesc desc = {const_cast<char*>("nothing-milter"), SMFI_VERSION, SMFIF_ADDHDRS, nullptr, nullptr, nullptr,
                     nullptr, on_header, nullptr, nullptr, on_eom, nullptr, nullptr, nullptr, nullptr, on_negotiate};
    if (smfi_register(desc) != MI_SUCCESS || smfi_setconn(argv[1]) != MI_SUCCESS) return 1;
    return smfi_main() == MI_SUCCESS ? 0 : 1;
}
