# sealog-storage-bench: encryption cost and group-commit throughput of the
# storage layer (see tools/bench/STORAGE.md). Included from
# tools/bench/CMakeLists.txt.
add_executable(sealog-storage-bench ${CMAKE_CURRENT_LIST_DIR}/storage_bench.c)
target_link_libraries(sealog-storage-bench PRIVATE sealog_storage)
