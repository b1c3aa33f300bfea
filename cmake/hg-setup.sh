#!/usr/bin/env bash
# One-step set-up on a fresh Debian machine: installs the Debian packages hypergrad needs
# (when missing), configures and builds in ./build, then
#   bash cmake/hg-setup.sh run [hgsolve options]   runs the main job on the built-in default problem
#   bash cmake/hg-setup.sh test [ctest options]    runs the whole CTest suite
#   bash cmake/hg-setup.sh build                   only builds
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-build}
shift || true

pkgs=(build-essential cmake pkg-config petsc-dev libhdf5-openmpi-dev openmpi-bin libopenblas0 liblapack-dev zlib1g-dev python3-numpy python3-h5py python3-matplotlib hdf5-tools)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "hg-setup: installing Debian packages: ${missing[*]}"
  if [ "$(id -u)" = 0 ]; then SUDO=(); elif command -v sudo >/dev/null; then SUDO=(sudo); else
    echo "hg-setup: the packages ${missing[*]} are missing and this user cannot install them: run as root or install them with apt-get" >&2
    exit 1
  fi
  "${SUDO[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "$(nproc)"

# MPI ranks run single-threaded BLAS; Open MPI refuses root without these
export OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-1}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
case "$mode" in
  build) ;;
  run)
    np=${HG_NP:-2}
    # one hypergradient with its report and a finite-difference check, then the service:
    # 100 steps of Nesterov hypergradient descent with an HDF5 run file, and its summary
    mpiexec --oversubscribe -n "$np" build/apps/hgsolve -problem quadratic -hg_type aid -hg_ksp_type cg -lower_max_it 200 -hg_view_info -hg_test_hypergradient 3
    mpiexec --oversubscribe -n "$np" build/apps/hgrun -problem quadratic -hg_type aid -hg_ksp_type cg -lower_max_it 200 \
      -outer_type nesterov -outer_step 0.01 -outer_max_it 100 -outer_monitor -outer_monitor_every 10 \
      -outer_checkpoint build/run.h5 -outer_checkpoint_overwrite "$@"
    /usr/bin/python3 apps/hgreport.py build/run.h5 --png build/run-history.png ;;
  test)
    exec ctest --test-dir build --output-on-failure -j "$(nproc)" "$@" ;;
  *)
    echo "usage: bash cmake/hg-setup.sh [build|run|test] [options]" >&2; exit 2 ;;
esac
