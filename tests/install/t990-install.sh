#!/usr/bin/env bash
# t990-install BUILD WORK MPIEXEC CC: install the build tree into WORK/prefix, then, using only
# what was installed:
#  1. run the installed hgsolve and hgscale.py (they must find libhypergrad through their run path);
#  2. build the installed tutorials out of tree with find_package(hypergrad) and run ex1 and ex2;
#  3. build ex1 with pkg-config (hypergrad.pc) and run it.
# The tutorials check their own results (closed form, finite differences) and exit non-zero
# on a mismatch.
set -euo pipefail
build=$1 work=$2 mpiexec=$3 cc=$4
fail() { echo "t990-install: FAILED: $*" >&2; exit 1; }
rm -rf "$work"; mkdir -p "$work"
prefix=$work/prefix
unset LD_LIBRARY_PATH
cmake --install "$build" --prefix "$prefix" > "$work/install.log" || fail "cmake --install (see $work/install.log)"
for f in include/hypergrad.h include/hypergrad/hgservice.h include/hypergrad/hgdata.h include/hypergrad/hgimpl.h \
         share/hypergrad/tutorials/ex1.c share/hypergrad/tutorials/CMakeLists.txt; do
  [ -f "$prefix/$f" ] || fail "$f was not installed"
done
cfg=$(find "$prefix" -name hypergradConfig.cmake | head -1); [ -n "$cfg" ] || fail "no hypergradConfig.cmake installed"
[ -f "$(dirname "$cfg")/hypergradConfigVersion.cmake" ] || fail "no hypergradConfigVersion.cmake beside $cfg"
pc=$(find "$prefix" -name hypergrad.pc | head -1); [ -n "$pc" ] || fail "no hypergrad.pc installed"

# 1. installed programs run from the prefix alone
"$mpiexec" -n 2 "$prefix/bin/hgsolve" -problem quadratic -hg_type aid -lower_max_it 50 > "$work/hgsolve.out" 2>&1 \
  || { cat "$work/hgsolve.out"; fail "the installed hgsolve does not run"; }
grep -q "||h||" "$work/hgsolve.out" || { cat "$work/hgsolve.out"; fail "the installed hgsolve printed no hypergradient"; }
if /usr/bin/python3 -c "import numpy" 2>/dev/null; then   # the Debian python the script names
  "$prefix/bin/hgscale.py" --ranks 1 --t 5 --reps 1 --runs 1 --no-plot --csv "$work/scale.csv" --mpiexec "$mpiexec" \
    -- -problem quadratic > "$work/hgscale.out" 2>&1 || { cat "$work/hgscale.out"; fail "the installed hgscale.py does not run"; }
fi

# 2. find_package(hypergrad): the installed tutorials' CMakeLists.txt, out of tree
cmake -S "$prefix/share/hypergrad/tutorials" -B "$work/cmake-build" -DCMAKE_PREFIX_PATH="$prefix" \
  -DCMAKE_C_COMPILER="$cc" > "$work/cmake-configure.log" 2>&1 || { cat "$work/cmake-configure.log"; fail "configuring the tutorials with find_package(hypergrad)"; }
cmake --build "$work/cmake-build" > "$work/cmake-build.log" 2>&1 || { cat "$work/cmake-build.log"; fail "building the tutorials with find_package(hypergrad)"; }
"$mpiexec" -n 2 "$work/cmake-build/ex1" || fail "ex1 built with find_package does not pass"
"$mpiexec" -n 2 "$work/cmake-build/ex2" > /dev/null || fail "ex2 built with find_package does not pass"

# 3. pkg-config
export PKG_CONFIG_PATH=$(dirname "$pc")
flags=$(pkg-config --cflags hypergrad) || fail "pkg-config --cflags hypergrad"
libs=$(pkg-config --libs hypergrad) || fail "pkg-config --libs hypergrad"
libdir=$(pkg-config --variable=libdir hypergrad)
# shellcheck disable=SC2086
"$cc" $flags "$prefix/share/hypergrad/tutorials/ex1.c" -o "$work/ex1-pc" $libs -Wl,-rpath,"$libdir" \
  > "$work/pc-build.log" 2>&1 || { cat "$work/pc-build.log"; fail "building ex1 with pkg-config: $cc $flags ex1.c $libs"; }
"$mpiexec" -n 2 "$work/ex1-pc" || fail "ex1 built with pkg-config does not pass"
echo "t990-install: installed into $prefix; hgsolve ran; ex1 and ex2 built with find_package and ex1 with pkg-config passed"
