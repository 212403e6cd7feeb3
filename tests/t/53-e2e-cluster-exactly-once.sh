#!/bin/bash
# The crash suite, exactly once, on a three-node Kafka cluster (replication
# factor 3, min.insync.replicas 2) whose partition leader is killed
# mid-stream: see tests/lib/e2e_crash.sh.
E2E_EOS=1
E2E_CLUSTER=1
. "$(dirname "$0")/../lib/e2e_crash.sh"
