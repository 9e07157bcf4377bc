// report_tempdir: ScratchDir for the report unit tests; one definition for
// all tests lives in common/scratch_dir.h.
#pragma once

#include "common/scratch_dir.h"
