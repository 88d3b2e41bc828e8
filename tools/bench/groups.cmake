# sealog-groups-bench: the group coordinator in raw frames (proto/'s codec)
# against sealogd and librdkafka's mock cluster (see GROUPS.md). Included
# from tools/bench/CMakeLists.txt after librdkafka was looked for.
if(RDKAFKA_FOUND)
  add_executable(sealog-groups-bench
                 ${CMAKE_CURRENT_LIST_DIR}/groups_bench.c
                 ${CMAKE_CURRENT_LIST_DIR}/groups_client.c)
  target_link_libraries(sealog-groups-bench PRIVATE sealog_proto sealog_base
                        PkgConfig::RDKAFKA)
endif()
