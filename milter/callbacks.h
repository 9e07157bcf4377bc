// callbacks: the libmilter filter description (smfiDesc) of mtaguard-milter
// and the configuration snapshot its connections start from.
//
// The snapshot is the one mutable global of the milter: an atomic
// std::shared_ptr<const Runtime>, replaced whole on reload. Each connection
// copies it at connect and keeps it to the end, so a reload applies to new
// connections only.
#pragma once

#include <libmilter/mfapi.h>

#include <chrono>
#include <memory>

#include "runtime.h"

namespace milter {

void set_runtime(std::shared_ptr<const Runtime> runtime);
std::shared_ptr<const Runtime> current_runtime();

// The filter description to pass to smfi_register.
smfiDesc& filter_description();

// Shutdown, after smfi_main() returned (libmilter does not wait for the
// connections it started): messages reaching end of message from now on
// are answered 451 (the MTA retries them, with the next instance), and
// those already there are waited for, at most `limit`, so that their
// verdict is applied and their history row queued. False when some were
// still running at the limit.
bool drain(std::chrono::milliseconds limit);

}  // namespace milter
