# `cmake --install` and `cpack -G DEB` (README, Install):
#   bin/kinesis-import                        the binary; finds libduckdb through its RUNPATH
#   lib/kinesis-import/libduckdb.so           DuckDB's C API library, private to this package
#   share/man/man1/kinesis-import.1.gz        generated from --help by scripts/gen-man
#   share/bash-completion/completions/kinesis-import, share/zsh/vendor-completions/_kinesis-import
#   share/doc/kinesis-import/example-job.toml
#   lib/systemd/system/kinesis-import@.service (follow, one job file per instance; /usr/lib/... in the .deb)
include(GNUInstallDirs)

set(KI_PRIVATE_LIB_DIR "${CMAKE_INSTALL_LIBDIR}/kinesis-import")
# Relative to the binary, so the tree works wherever it is installed (the .deb: /usr).
set_target_properties(kinesis-import PROPERTIES INSTALL_RPATH "$ORIGIN/../${KI_PRIVATE_LIB_DIR}")

install(TARGETS kinesis-import RUNTIME DESTINATION "${CMAKE_INSTALL_BINDIR}")
# The real file behind the libduckdb.so symlink (if any), installed under the soname-less name the
# binary was linked against.
get_filename_component(_ki_duckdb_real "${DUCKDB_LIBRARY}" REALPATH)
install(FILES "${_ki_duckdb_real}" DESTINATION "${KI_PRIVATE_LIB_DIR}" RENAME libduckdb.so)

set(_ki_man "${CMAKE_BINARY_DIR}/kinesis-import.1.gz")
add_custom_command(OUTPUT "${_ki_man}"
  COMMAND "${CMAKE_SOURCE_DIR}/scripts/gen-man" "$<TARGET_FILE:kinesis-import>" > kinesis-import.1
  COMMAND gzip -9nf kinesis-import.1
  DEPENDS kinesis-import "${CMAKE_SOURCE_DIR}/scripts/gen-man"
  WORKING_DIRECTORY "${CMAKE_BINARY_DIR}"
  COMMENT "Generating the kinesis-import(1) man page from --help")
add_custom_target(man ALL DEPENDS "${_ki_man}")
install(FILES "${_ki_man}" DESTINATION "${CMAKE_INSTALL_MANDIR}/man1")

install(FILES packaging/completions/kinesis-import.bash
  DESTINATION "${CMAKE_INSTALL_DATADIR}/bash-completion/completions" RENAME kinesis-import)
install(FILES packaging/completions/_kinesis-import
  DESTINATION "${CMAKE_INSTALL_DATADIR}/zsh/vendor-completions")
install(FILES packaging/example-job.toml DESTINATION "${CMAKE_INSTALL_DATADIR}/doc/kinesis-import")
install(FILES "packaging/systemd/kinesis-import@.service" DESTINATION lib/systemd/system)

set(CPACK_PACKAGE_NAME "kinesis-import")
set(CPACK_PACKAGE_VERSION "${PROJECT_VERSION}")
set(CPACK_PACKAGE_CONTACT "kinesis-import maintainers <kinesis-import@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
  "load Amazon Kinesis Data Streams into DuckDB or PostgreSQL, exactly once")
set(CPACK_PACKAGING_INSTALL_PREFIX "/usr")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION "database")
# Dependencies from the binary's shared libraries (dpkg-shlibdeps: libcurl4, libpq5, libssl3,
# libfmt, libsimdjson, libtomlplusplus, ...); libduckdb is ours, in the private folder.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS_PRIVATE_DIRS "${DUCKDB_LIBRARY_DIR}")
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "ca-certificates")
set(CPACK_STRIP_FILES ON)
include(CPack)

# The package test (ctest -L package; scripts/test runs it with everything else): builds the .deb,
# checks its contents and dependencies, runs the binary from an extracted copy, and as root
# installs it with apt-get, runs --version and --help from /usr/bin and removes it again.
if(BUILD_TESTING)
  add_test(NAME package.deb
    COMMAND "${CMAKE_SOURCE_DIR}/scripts/test-package" "${CMAKE_BINARY_DIR}")
  set_tests_properties(package.deb PROPERTIES LABELS package TIMEOUT 900 RUN_SERIAL TRUE)
endif()

# The DuckDB extension (README, From DuckDB SQL): LOAD '/usr/lib/kinesis-import/kinesis.duckdb_extension'.
# Installed as a plain file: its metadata footer must stay the file's last 512 bytes.
if(TARGET kinesis_extension)
  install(FILES "$<TARGET_FILE:kinesis_extension>" DESTINATION lib/kinesis-import)
endif()
