# packaging.cmake - install rules for what the subdirectories do not install,
# the pkg-config file, the CMake package, man pages, and CPack DEB.
# Included at the end of the top CMakeLists.txt.
#
# Components (cmake --install . --component NAME) and the .deb each becomes:
#   daemon -> syncmgrd        /usr/sbin/syncmgrd, systemd units, sysusers.d,
#                             /etc/syncmgr/syncmgrd.conf (conffile), man 8 and 5
#   lib    -> libsyncmgr0     libsyncmgr.so.0*
#   dev    -> libsyncmgr-dev  syncmgr.h, syncmgr-errors.def, libsyncmgr.a, the .so
#                             link, syncmgr.pc, lib/cmake/syncmgr, man 3
#   tools  -> syncmgr-tools   syncmgrctl, syncmgr-bench, man 1, bash completion
#
#   cmake -S . -B build -DCMAKE_INSTALL_PREFIX=/usr && cmake --build build
#   (cd build && cpack -G DEB)
#
# The daemon component installs to absolute system places (/etc, /lib/systemd,
# /usr/lib/sysusers.d) whatever the prefix: stage it with DESTDIR.
include(CMakePackageConfigHelpers)

set(SM_SYSTEMD_UNITDIR "/lib/systemd/system" CACHE PATH "where syncmgrd.service goes")
set(SM_SYSTEMD_USERUNITDIR "/usr/lib/systemd/user" CACHE PATH "where the user unit goes")
set(SM_SYSUSERSDIR "/usr/lib/sysusers.d" CACHE PATH "where the sysusers.d file goes")
set(SM_CONFDIR "/etc/syncmgr" CACHE PATH "where syncmgrd.conf goes")
get_target_property(SM_SOVERSION syncmgr SOVERSION)

# ---- daemon ------------------------------------------------------------------
# (broker/CMakeLists.txt's own install rule has no component; this one puts
# syncmgrd in the daemon package)
install(TARGETS syncmgrd RUNTIME DESTINATION ${CMAKE_INSTALL_SBINDIR} COMPONENT daemon)
install(FILES ${CMAKE_CURRENT_LIST_DIR}/systemd/syncmgrd.service
  DESTINATION ${SM_SYSTEMD_UNITDIR} COMPONENT daemon)
install(FILES ${CMAKE_CURRENT_LIST_DIR}/systemd/user/syncmgrd.service
  DESTINATION ${SM_SYSTEMD_USERUNITDIR} COMPONENT daemon)
install(FILES ${CMAKE_CURRENT_LIST_DIR}/sysusers.d/syncmgr.conf
  DESTINATION ${SM_SYSUSERSDIR} COMPONENT daemon)
install(FILES ${CMAKE_CURRENT_LIST_DIR}/syncmgrd.conf
  DESTINATION ${SM_CONFDIR} COMPONENT daemon)

# ---- man pages (gzipped when gzip is there, as Debian wants) ------------------
find_program(SM_GZIP gzip)
set(SM_MAN_PAGES
  "syncmgrd.8\;daemon" "syncmgrd.conf.5\;daemon" "syncmgr.3\;dev" "syncmgrctl.1\;tools"
  "syncmgr-bench.1\;tools")
set(SM_MAN_OUTPUTS)
foreach(entry ${SM_MAN_PAGES})
  list(GET entry 0 page)
  list(GET entry 1 comp)
  string(REGEX REPLACE ".*\\.([0-9])$" "\\1" section ${page})
  set(src ${CMAKE_CURRENT_LIST_DIR}/man/${page})
  if(SM_GZIP)
    set(out ${CMAKE_BINARY_DIR}/man/${page}.gz)
    add_custom_command(OUTPUT ${out}
      COMMAND ${CMAKE_COMMAND} -E make_directory ${CMAKE_BINARY_DIR}/man
      COMMAND ${SM_GZIP} -9nc ${src} > ${out}
      DEPENDS ${src} VERBATIM)
    list(APPEND SM_MAN_OUTPUTS ${out})
  else()
    set(out ${src})
  endif()
  install(FILES ${out} DESTINATION ${CMAKE_INSTALL_MANDIR}/man${section} COMPONENT ${comp})
endforeach()
add_custom_target(man ALL DEPENDS ${SM_MAN_OUTPUTS})

# ---- bash completion (loaded on demand by the bash-completion package) -------
install(FILES ${CMAKE_CURRENT_LIST_DIR}/bash-completion/syncmgrctl
  DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions COMPONENT tools)

# ---- pkg-config ----------------------------------------------------------------
# prefix= is the prefix of the install that writes the file (cmake --install
# --prefix P, CPack's /usr), so it is made at install time: the template is
# filled now except for @SM_PC_PREFIX@, which the install fills in.
set(SM_PC_DIR ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
set(SM_PC_PREFIX "@SM_PC_PREFIX@")
foreach(d LIBDIR INCLUDEDIR)
  if(IS_ABSOLUTE "${CMAKE_INSTALL_${d}}")
    set(SM_PC_${d} "${CMAKE_INSTALL_${d}}")
  else()
    set(SM_PC_${d} "\${prefix}/${CMAKE_INSTALL_${d}}")
  endif()
endforeach()
configure_file(${CMAKE_CURRENT_LIST_DIR}/syncmgr.pc.in ${CMAKE_BINARY_DIR}/syncmgr.pc.in @ONLY)
install(CODE "
  set(SM_PC_PREFIX \"\${CMAKE_INSTALL_PREFIX}\")
  configure_file(\"${CMAKE_BINARY_DIR}/syncmgr.pc.in\" \"${CMAKE_BINARY_DIR}/install/syncmgr.pc\" @ONLY)
  " COMPONENT dev)
install(FILES ${CMAKE_BINARY_DIR}/install/syncmgr.pc DESTINATION ${SM_PC_DIR} COMPONENT dev)

# ---- CMake package: find_package(syncmgr) -> syncmgr::syncmgr(_static) --------
set(SM_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/syncmgr)
configure_package_config_file(${CMAKE_SOURCE_DIR}/cmake/syncmgrConfig.cmake.in
  ${CMAKE_BINARY_DIR}/cmake/syncmgrConfig.cmake
  INSTALL_DESTINATION ${SM_CMAKE_DIR}
  PATH_VARS CMAKE_INSTALL_INCLUDEDIR CMAKE_INSTALL_LIBDIR)
# 0.x: a minor release may break the API
write_basic_package_version_file(${CMAKE_BINARY_DIR}/cmake/syncmgrConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_BINARY_DIR}/cmake/syncmgrConfig.cmake
  ${CMAKE_BINARY_DIR}/cmake/syncmgrConfigVersion.cmake
  DESTINATION ${SM_CMAKE_DIR} COMPONENT dev)

# ---- CPack DEB ---------------------------------------------------------------
set(CPACK_PACKAGE_NAME syncmgr)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_VENDOR "syncmgr")
set(CPACK_PACKAGE_CONTACT "syncmgr maintainers <syncmgr@localhost>")
set(CPACK_GENERATOR DEB)
set(CPACK_SOURCE_GENERATOR TGZ)
set(CPACK_SOURCE_IGNORE_FILES "/\\\\.git/" "/build[^/]*/")
set(CPACK_DEB_COMPONENT_INSTALL ON)
# only these: the subdirectories' rules without a component ("Unspecified")
# make no package
set(CPACK_COMPONENTS_ALL daemon lib dev tools)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_RELEASE 1)
set(SM_DEB_VERSION "${PROJECT_VERSION}-${CPACK_DEBIAN_PACKAGE_RELEASE}")
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# Depends from dpkg-shlibdeps (dpkg-dev), appended to what is stated below
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION TRUE)
# a shlibs file for libsyncmgr0 (only that package has a shared library)
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS ON)
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS_POLICY ">=")
# (each package's Description: its component's first line is the synopsis)

set(CPACK_COMPONENT_DAEMON_DESCRIPTION "syncmgr broker daemon (syncmgrd)
syncmgrd holds named shared objects (dicts, lists, queues, locks,
semaphores, conditions, events, barriers, values, arrays, namespaces,
pipes), Python's multiprocessing SyncManager as a system service.  This
package runs it as the systemd service syncmgrd.service, user syncmgr.")
set(CPACK_DEBIAN_DAEMON_PACKAGE_NAME syncmgrd)
set(CPACK_DEBIAN_DAEMON_PACKAGE_SECTION net)
# the postinst creates the user with systemd-sysusers, else adduser
set(CPACK_DEBIAN_DAEMON_PACKAGE_DEPENDS "adduser | systemd")
set(CPACK_DEBIAN_DAEMON_PACKAGE_RECOMMENDS "syncmgr-tools (= ${SM_DEB_VERSION})")
set(SM_DEB_SCRIPTS ${CMAKE_CURRENT_LIST_DIR}/debian/syncmgrd)
set(CPACK_DEBIAN_DAEMON_PACKAGE_CONTROL_EXTRA
  "${SM_DEB_SCRIPTS}/postinst;${SM_DEB_SCRIPTS}/prerm;${SM_DEB_SCRIPTS}/postrm;${SM_DEB_SCRIPTS}/conffiles")

set(CPACK_COMPONENT_LIB_DESCRIPTION "syncmgr client library
libsyncmgr opens the named shared objects of a syncmgrd broker and calls
their methods (see syncmgr(3)).")
set(CPACK_DEBIAN_LIB_PACKAGE_NAME libsyncmgr${SM_SOVERSION})
set(CPACK_DEBIAN_LIB_PACKAGE_SECTION libs)
set(CPACK_DEBIAN_LIB_PACKAGE_GENERATE_SHLIBS ON)

set(CPACK_COMPONENT_DEV_DESCRIPTION "syncmgr client library: development files
The header syncmgr.h, the static library, syncmgr.pc for pkg-config and
the CMake package (find_package(syncmgr): syncmgr::syncmgr,
syncmgr::syncmgr_static).")
set(CPACK_DEBIAN_DEV_PACKAGE_NAME libsyncmgr-dev)
set(CPACK_DEBIAN_DEV_PACKAGE_SECTION libdevel)
# the static library's dependencies (pkg-config's Requires.private / Libs.private)
set(CPACK_DEBIAN_DEV_PACKAGE_DEPENDS
  "libsyncmgr${SM_SOVERSION} (= ${SM_DEB_VERSION}), libnng-dev, libmsgpack-dev, libsodium-dev")

set(CPACK_COMPONENT_TOOLS_DESCRIPTION "syncmgr command-line tools
syncmgrctl inspects and changes the objects of a running syncmgrd and
writes key files; with bash completion of its commands and object names.")
set(CPACK_DEBIAN_TOOLS_PACKAGE_NAME syncmgr-tools)
set(CPACK_DEBIAN_TOOLS_PACKAGE_SECTION utils)

include(CPack)

# ---- the packaging test --------------------------------------------------------
# Not in a sanitizer tree (SM_SANITIZE): its binaries need the sanitizer
# runtime and are never packaged, so the .deb checks would test nothing real.
if(BUILD_TESTING AND NOT SM_SANITIZE)
  add_test(NAME packaging_deb
    COMMAND ${CMAKE_SOURCE_DIR}/tests/packaging/check-debs.sh ${CMAKE_BINARY_DIR})
  # heavy (cpack, dpkg in a namespace): alone, so it starves no timed test
  set_tests_properties(packaging_deb PROPERTIES TIMEOUT 300 RUN_SERIAL TRUE)
endif()
