# tools/bench/tls.cmake - the TLS handshake benchmark; included from
# tools/bench/CMakeLists.txt (include(${CMAKE_CURRENT_LIST_DIR}/tls.cmake)).
# Needs net/ and tools/sealog-certs (certgen) to be configured first.
if(TARGET sealog_net AND TARGET sealog_certgen)
  add_executable(tls_handshake_bench
                 ${CMAKE_CURRENT_LIST_DIR}/tls_handshake_bench.c)
  target_link_libraries(tls_handshake_bench PRIVATE sealog_net sealog_certgen
                        PkgConfig::OPENSSL Threads::Threads)
else()
  message(STATUS "tls_handshake_bench not built: sealog_net or sealog_certgen missing")
endif()
