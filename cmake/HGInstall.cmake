# Installation: library, programs (apps/CMakeLists.txt), headers, the CMake package
# (hypergradConfig.cmake, version file, exported target hypergrad::hypergrad), hypergrad.pc
# and the tutorials under share/hypergrad/tutorials.
include(CMakePackageConfigHelpers)
set(HG_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/hypergrad)

install(TARGETS hypergrad EXPORT hypergradTargets
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(FILES ${PROJECT_SOURCE_DIR}/include/hypergrad.h DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
# every header: hgimpl.h (and hgcompat.h, which it includes) for those who register their own types
file(GLOB HG_PUBLIC_HEADERS ${PROJECT_SOURCE_DIR}/include/hypergrad/*.h)
install(FILES ${HG_PUBLIC_HEADERS} DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/hypergrad)

install(EXPORT hypergradTargets NAMESPACE hypergrad:: DESTINATION ${HG_CMAKE_DIR})
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/hypergradConfig.cmake.in
  ${PROJECT_BINARY_DIR}/hypergradConfig.cmake INSTALL_DESTINATION ${HG_CMAKE_DIR})
# 0.x: a minor version may change the API
write_basic_package_version_file(${PROJECT_BINARY_DIR}/hypergradConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/hypergradConfig.cmake ${PROJECT_BINARY_DIR}/hypergradConfigVersion.cmake
  ${PROJECT_SOURCE_DIR}/cmake/HGDependencies.cmake DESTINATION ${HG_CMAKE_DIR})

# pkg-config: PETSc, HDF5 and zlib by their own .pc files, MPI by the flags CMake found
set(HG_PC_MPI_CFLAGS "")
foreach(d ${MPI_C_INCLUDE_DIRS})
  string(APPEND HG_PC_MPI_CFLAGS " -I${d}")
endforeach()
set(HG_PC_MPI_LIBS "")
foreach(l ${MPI_C_LIBRARIES})
  string(APPEND HG_PC_MPI_LIBS " ${l}")
endforeach()
# relocatable: the prefix is found from where the .pc file lies (cmake --install --prefix P works)
file(RELATIVE_PATH HG_PC_TO_PREFIX "/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/")
string(REGEX REPLACE "/$" "" HG_PC_TO_PREFIX "${HG_PC_TO_PREFIX}")
configure_file(${PROJECT_SOURCE_DIR}/cmake/hypergrad.pc.in ${PROJECT_BINARY_DIR}/hypergrad.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/hypergrad.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

file(GLOB HG_TUTORIALS ${PROJECT_SOURCE_DIR}/src/tutorials/*.c ${PROJECT_SOURCE_DIR}/src/tutorials/*.h)
install(FILES ${HG_TUTORIALS} ${PROJECT_SOURCE_DIR}/src/tutorials/CMakeLists.txt
  ${PROJECT_SOURCE_DIR}/src/tutorials/makefile DESTINATION ${CMAKE_INSTALL_DATADIR}/hypergrad/tutorials)
