# Proves the gate library is freestanding (docs/gate.md, STYLE.md item 8):
#   1. its objects, linked together (ld -r), reference no undefined symbol: no
#      libc, no libgcc, no compiler-emitted memcpy/memset;
#   2. no constructors, destructors or thread-local data (.init_array, .ctors,
#      .fini_array, .tdata, .tbss);
#   3. no instruction names a vector register (xmm/ymm/zmm/mm, mxcsr), except in
#      sysgate_vector_save/restore (vector_state.S), which save the program's.
#
#   cmake -DLIB=libsysgate_gate.a -DLD=ld -DNM=nm -DOBJDUMP=objdump -DREADELF=readelf
#         -DWORK=dir -P check_freestanding.cmake
# Exits non-zero with the offending lines on failure.
foreach(var LIB LD NM OBJDUMP READELF WORK)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "check_freestanding: -D${var}= is required")
  endif()
endforeach()

file(MAKE_DIRECTORY ${WORK})
set(combined ${WORK}/gate_combined.o)
execute_process(
  COMMAND ${LD} -r -o ${combined} --whole-archive ${LIB}
  RESULT_VARIABLE rc ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "check_freestanding: ld -r failed: ${err}")
endif()

execute_process(COMMAND ${NM} -u ${combined} OUTPUT_VARIABLE undefined RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "check_freestanding: nm failed")
endif()
string(STRIP "${undefined}" undefined)
if(NOT undefined STREQUAL "")
  message(FATAL_ERROR "check_freestanding: the gate references undefined symbols:\n${undefined}")
endif()

execute_process(COMMAND ${READELF} -S -W ${combined} OUTPUT_VARIABLE sections)
foreach(forbidden .init_array .fini_array .ctors .dtors .tdata .tbss)
  string(FIND "${sections}" " ${forbidden} " at)
  if(NOT at EQUAL -1)
    message(FATAL_ERROR "check_freestanding: the gate has a ${forbidden} section "
                        "(constructors or thread-local data)")
  endif()
endforeach()

execute_process(COMMAND ${OBJDUMP} -d --no-show-raw-insn ${combined} OUTPUT_VARIABLE disassembly)
# The two functions that save and restore the program's vector state around the
# interposer's hooks (arch/x86_64/vector_state.S) are the one exception: drop
# their bodies (objdump ends each function with a blank line).
string(REGEX REPLACE "<sysgate_vector_(save|restore)>:[^\n]*\n([^\n]+\n)*" "" disassembly "${disassembly}")
string(REGEX MATCHALL "[^\n]*%(xmm|ymm|zmm|mm)[0-9]+[^\n]*" vector_lines "${disassembly}")
string(REGEX MATCHALL "[^\n]*(ldmxcsr|stmxcsr|fxsave|fxrstor|xsave|xrstor)[^\n]*" state_lines "${disassembly}")
if(vector_lines OR state_lines)
  string(REPLACE ";" "\n" shown "${vector_lines};${state_lines}")
  message(FATAL_ERROR "check_freestanding: the gate touches vector registers:\n${shown}")
endif()

message(STATUS "check_freestanding: ${LIB}: no undefined symbols, no constructors or TLS, no vector registers")
