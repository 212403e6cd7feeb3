#!/bin/bash
# The crash suite, exactly once (kafka-write --transactional-id), with host
# moves, a broker kill and a fenced writer: see tests/lib/e2e_crash.sh.
E2E_EOS=1
. "$(dirname "$0")/../lib/e2e_crash.sh"
