# install.cmake: what `cmake --install` (make install) puts where.  Included at the end of
# CMakeLists.txt.
#
#   <prefix>/sbin/lolwire                           the sensor
#   <prefix>/share/man/man8/lolwire.8               its manual page
#   <prefix>/lib/systemd/system/lolwire.service     the systemd unit (configured below)
#   <prefix>/lib/sysusers.d/lolwire.conf            the user lolwire (systemd-sysusers)
#   <sysconfdir>/lolwire/lolwire.conf               the example configuration, installed
#                                                   only if there is none (a reinstall
#                                                   keeps the one in use)
#   <prefix>/share/doc/lolwire/                     README.md, docs/*.md and
#                                                   lolwire.conf.example
#
# <sysconfdir> is /etc for the prefix /usr and <prefix>/etc otherwise (GNUInstallDirs).
# DESTDIR is honoured throughout: DESTDIR=/tmp/root cmake --install build.
include(GNUInstallDirs)

# Relative to the prefix: systemd reads units and sysusers.d files from both /usr/lib and
# /usr/local/lib.  Override for a distribution that wants them elsewhere.
set(LOLWIRE_SYSTEMD_UNITDIR "lib/systemd/system" CACHE STRING
    "where make install puts lolwire.service (relative to the prefix, or absolute)")
set(LOLWIRE_SYSUSERSDIR "lib/sysusers.d" CACHE STRING
    "where make install puts the sysusers.d file (relative to the prefix, or absolute)")

# The unit names the binary and the configuration by their full installed paths.
function(lolwire_configure_unit)
    set(SBINDIR "${CMAKE_INSTALL_FULL_SBINDIR}")
    set(SYSCONFDIR "${CMAKE_INSTALL_FULL_SYSCONFDIR}")
    configure_file(${PROJECT_SOURCE_DIR}/dist/lolwire.service.in
                   ${PROJECT_BINARY_DIR}/dist/lolwire.service @ONLY)
endfunction()
lolwire_configure_unit()

install(TARGETS lolwire RUNTIME DESTINATION ${CMAKE_INSTALL_SBINDIR})
install(FILES ${PROJECT_SOURCE_DIR}/dist/lolwire.8 DESTINATION ${CMAKE_INSTALL_MANDIR}/man8)
install(FILES ${PROJECT_BINARY_DIR}/dist/lolwire.service DESTINATION ${LOLWIRE_SYSTEMD_UNITDIR})
install(FILES ${PROJECT_SOURCE_DIR}/dist/lolwire.sysusers DESTINATION ${LOLWIRE_SYSUSERSDIR}
        RENAME lolwire.conf)
install(FILES ${PROJECT_SOURCE_DIR}/README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/docs/ DESTINATION ${CMAKE_INSTALL_DOCDIR}
        FILES_MATCHING PATTERN "*.md")
# The example of this version, for comparing with a configuration a reinstall kept.
install(FILES ${PROJECT_SOURCE_DIR}/dist/lolwire.conf DESTINATION ${CMAKE_INSTALL_DOCDIR}
        RENAME lolwire.conf.example)

# The configuration: only when there is none yet under $DESTDIR, so that a reinstall does
# not undo the administrator's settings.  file(INSTALL) adds $DESTDIR itself and records the
# file in install_manifest.txt.
set(LOLWIRE_CONF_DIR "${CMAKE_INSTALL_FULL_SYSCONFDIR}/lolwire")
install(CODE "
    set(_lw_conf \"\$ENV{DESTDIR}${LOLWIRE_CONF_DIR}/lolwire.conf\")
    if(EXISTS \"\${_lw_conf}\")
        message(STATUS \"Keeping: \${_lw_conf} (the new example is ${CMAKE_INSTALL_FULL_DOCDIR}/lolwire.conf.example)\")
    else()
        file(INSTALL DESTINATION \"${LOLWIRE_CONF_DIR}\" TYPE FILE
             FILES \"${PROJECT_SOURCE_DIR}/dist/lolwire.conf\")
    endif()
")
