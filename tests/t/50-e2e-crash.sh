#!/bin/bash
# The crash suite, at least once: see tests/lib/e2e_crash.sh.
E2E_EOS=0
. "$(dirname "$0")/../lib/e2e_crash.sh"
