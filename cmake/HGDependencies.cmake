# Finds MPI, PETSc and HDF5 as Debian installs them, through pkg-config.
# Defines the imported targets HG::PETSc, HG::HDF5, HG::ZLIB and uses MPI::MPI_C.
# Installed beside hypergradConfig.cmake: a project that calls find_package(hypergrad) runs it
# too, so that the exported target hypergrad::hypergrad carries these usage requirements.
if(TARGET HG::PETSc)
  return()
endif()
find_package(PkgConfig REQUIRED)
find_package(MPI REQUIRED COMPONENTS C)

# Debian's petsc-dev puts PETSc.pc under the PETSc arch directory as well as in the
# multiarch pkgconfig directory; PETSC_DIR from the environment wins when set.
if(DEFINED ENV{PETSC_DIR})
  list(PREPEND CMAKE_PREFIX_PATH "$ENV{PETSC_DIR}")
  set(ENV{PKG_CONFIG_PATH} "$ENV{PETSC_DIR}/lib/pkgconfig:$ENV{PKG_CONFIG_PATH}")
endif()
pkg_check_modules(PETSC REQUIRED IMPORTED_TARGET GLOBAL petsc)
if(PETSC_VERSION VERSION_LESS 3.18)
  message(FATAL_ERROR "hypergrad needs PETSc >= 3.18, found ${PETSC_VERSION}. On Debian: apt-get install petsc-dev")
endif()
add_library(HG::PETSc ALIAS PkgConfig::PETSC)

pkg_check_modules(HDF5 REQUIRED IMPORTED_TARGET GLOBAL hdf5-openmpi)
add_library(HG::HDF5 ALIAS PkgConfig::HDF5)

# zlib reads gzip-compressed data files (IDX, LIBSVM, CSV); Debian: zlib1g-dev
pkg_check_modules(ZLIB REQUIRED IMPORTED_TARGET GLOBAL zlib)
add_library(HG::ZLIB ALIAS PkgConfig::ZLIB)

