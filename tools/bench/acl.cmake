# sealog-acl-bench: authorization decisions per second with 10,000 ACL
# bindings (tools/bench/acl_bench.c). Included from tools/bench/.
if(TARGET sealog_auth)
  add_executable(sealog-acl-bench ${CMAKE_CURRENT_LIST_DIR}/acl_bench.c)
  target_link_libraries(sealog-acl-bench PRIVATE sealog_auth)
endif()
