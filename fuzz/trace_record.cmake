# trace_record: the monitor's decoder of ring records written by the traced
# (untrusted) process (src/trace/record.cc), and the formatter behind it.
add_executable(trace_record_replay ${CMAKE_CURRENT_LIST_DIR}/trace_record_fuzzer.cc ${CMAKE_CURRENT_LIST_DIR}/replay_main.cc)
target_link_libraries(trace_record_replay PRIVATE sysgate_trace)
set_target_properties(trace_record_replay PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/tests)
add_test(NAME fuzz.trace_record_corpus_replay COMMAND trace_record_replay ${CMAKE_CURRENT_LIST_DIR}/corpus/trace_record)

if(SYSGATE_FUZZ)
  add_executable(trace_record_fuzzer ${CMAKE_CURRENT_LIST_DIR}/trace_record_fuzzer.cc)
  target_link_libraries(trace_record_fuzzer PRIVATE sysgate_trace)
  target_compile_options(trace_record_fuzzer PRIVATE -fsanitize=fuzzer,address,undefined)
  target_link_options(trace_record_fuzzer PRIVATE -fsanitize=fuzzer,address,undefined)
endif()
