# The git commit the binary was configured from, for `kinesis-import --version`. Read at configure
# time (cmake -S . -B build); "unknown" outside a git checkout (a source tarball).
execute_process(COMMAND git -C "${CMAKE_SOURCE_DIR}" rev-parse --short=12 HEAD
  OUTPUT_VARIABLE KI_GIT_COMMIT OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET RESULT_VARIABLE _ki_git_rc)
if(NOT _ki_git_rc EQUAL 0 OR KI_GIT_COMMIT STREQUAL "")
  set(KI_GIT_COMMIT "unknown")
endif()
execute_process(COMMAND git -C "${CMAKE_SOURCE_DIR}" status --porcelain --untracked-files=no
  OUTPUT_VARIABLE _ki_git_dirty OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
if(NOT _ki_git_dirty STREQUAL "" AND NOT KI_GIT_COMMIT STREQUAL "unknown")
  string(APPEND KI_GIT_COMMIT "-dirty")
endif()
configure_file("${CMAKE_SOURCE_DIR}/src/cli/build_info.h.in"
  "${CMAKE_BINARY_DIR}/generated/cli/build_info.h" @ONLY)
target_include_directories(kinesis-import PRIVATE "${CMAKE_BINARY_DIR}/generated")
