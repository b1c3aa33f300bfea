# Sourced by the service test scripts that take (HGRUN NP): strict variables, R the hgrun
# binary, MPI the launcher for NP ranks, a scratch directory W (removed on exit) as the working
# directory, and fail MSG (print and exit 1).
set -u
R=$1; NP=${2:-1}
MPI="mpiexec --oversubscribe -n $NP"
W=$(mktemp -d); trap 'rm -rf "$W"' EXIT
cd "$W"
fail() { echo "FAIL: $*"; exit 1; }
