# elf_image: the loader's ELF header validator (src/loader/elf_image.cc).
# Included by fuzz/CMakeLists.txt: the corpus replays as a test in every build;
# with SYSGATE_FUZZ=ON (clang) the libFuzzer binary is built too, compiling
# elf_image.cc itself with -fsanitize=fuzzer so the parser gets coverage.
add_executable(elf_image_replay ${CMAKE_CURRENT_LIST_DIR}/elf_image_fuzzer.cc ${CMAKE_CURRENT_LIST_DIR}/replay_main.cc)
target_link_libraries(elf_image_replay PRIVATE sysgate_loader_pure)
set_target_properties(elf_image_replay PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/tests)
add_test(NAME fuzz.elf_image_corpus_replay COMMAND elf_image_replay ${CMAKE_CURRENT_LIST_DIR}/corpus/elf_image)

if(SYSGATE_FUZZ)
  add_executable(elf_image_fuzzer ${CMAKE_CURRENT_LIST_DIR}/elf_image_fuzzer.cc
                                  ${PROJECT_SOURCE_DIR}/src/loader/elf_image.cc)
  target_include_directories(elf_image_fuzzer PRIVATE ${PROJECT_SOURCE_DIR}/src)
  target_compile_options(elf_image_fuzzer PRIVATE -fsanitize=fuzzer,address,undefined)
  target_link_options(elf_image_fuzzer PRIVATE -fsanitize=fuzzer,address,undefined)
endif()
