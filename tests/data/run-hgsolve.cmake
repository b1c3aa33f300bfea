# Runs hgsolve under mpiexec for the one-shot tests (cmake -P):
#   -DMPIEXEC=... -DNP=n -DHGSOLVE=path "-DARGS=a|b|c" [-DOUT=file.h5] [-DEXPECT_FAIL=text]
# With OUT: the file is first filled with garbage (an existing file must be replaced whole),
# hgsolve must succeed, OUT must be an HDF5 file and OUT.tmp must be gone.
# With EXPECT_FAIL: hgsolve must fail (non-zero exit) and its output must contain the text
# (several texts separated by '|').
string(REPLACE "|" ";" args "${ARGS}")
if(OUT)
  file(WRITE "${OUT}" "garbage left by an earlier run\n")
  list(APPEND args -output "${OUT}")
endif()
execute_process(COMMAND ${MPIEXEC} --oversubscribe -n ${NP} ${HGSOLVE} ${args}
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(EXPECT_FAIL)
  if(rc EQUAL 0)
    message(FATAL_ERROR "hgsolve ${args} succeeded; expected a failure saying: ${EXPECT_FAIL}\n${out}")
  endif()
  string(REPLACE "|" ";" texts "${EXPECT_FAIL}")
  foreach(t IN LISTS texts)
    string(FIND "${out}${err}" "${t}" pos)
    if(pos EQUAL -1)
      message(FATAL_ERROR "hgsolve failed (exit ${rc}) but its output does not say \"${t}\":\n${out}${err}")
    endif()
  endforeach()
else()
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "hgsolve ${args} failed (exit ${rc}):\n${out}${err}")
  endif()
  if(OUT)
    file(READ "${OUT}" sig LIMIT 8 HEX)
    if(NOT sig STREQUAL "894844460d0a1a0a")
      message(FATAL_ERROR "${OUT} is not an HDF5 file after hgsolve -output (signature ${sig})")
    endif()
    if(EXISTS "${OUT}.tmp")
      message(FATAL_ERROR "${OUT}.tmp was left behind")
    endif()
  endif()
endif()
