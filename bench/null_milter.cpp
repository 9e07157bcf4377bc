// null-milter: a libmilter filter that does nothing, the floor of the
// benchmark: what the milter protocol and libmilter cost by themselves.
//   null-milter SOCKET        (e.g. inet:9001@127.0.0.1)
#include <libmilter/mfapi.h>

#include <cstdio>

namespace {

sfsistat eom(SMFICTX*) { return SMFIS_ACCEPT; }

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: null-milter SOCKET\n");
        return 2;
    }
    smfiDesc desc{};
    desc.xxfi_name = const_cast<char*>("null-milter");
    desc.xxfi_version = SMFI_VERSION;
    desc.xxfi_eom = eom;
    if (smfi_setconn(argv[1]) == MI_FAILURE || smfi_register(desc) == MI_FAILURE) {
        std::fprintf(stderr, "null-milter: cannot set up %s\n", argv[1]);
        return 1;
    }
    return smfi_main() == MI_SUCCESS ? 0 : 1;
}
