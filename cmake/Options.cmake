# Compile options shared by every opsight target (applied through opsight_options).
add_library(opsight_options INTERFACE)
target_compile_options(opsight_options INTERFACE -Wall -Wextra -Wno-unused-parameter)
if(OPSIGHT_WERROR)
  target_compile_options(opsight_options INTERFACE -Werror)
endif()
if(OPSIGHT_SANITIZE)
  target_compile_options(opsight_options INTERFACE -fsanitize=address,undefined
                         -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  target_link_options(opsight_options INTERFACE -fsanitize=address,undefined)
endif()
target_include_directories(opsight_options INTERFACE ${PROJECT_SOURCE_DIR}/src)

# opsight_library(NAME SOURCES... DEPS ...): one static library per subsystem.
function(opsight_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;PRIVATE_DEPS" ${ARGN})
  if(NOT ARG_SOURCES)  # a subsystem whose first file has not landed yet
    set(ARG_SOURCES ${CMAKE_CURRENT_BINARY_DIR}/${name}_empty.cc)
    file(WRITE ${ARG_SOURCES} "// empty\n")
  endif()
  add_library(${name} STATIC ${ARG_SOURCES})
  target_link_libraries(${name} PUBLIC opsight_options ${ARG_DEPS} PRIVATE ${ARG_PRIVATE_DEPS})
endfunction()

# opsight_test(NAME SOURCES... DEPS ...): a GoogleTest binary registered with CTest (label unit).
function(opsight_test name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE opsight_options ${ARG_DEPS} GTest::gtest GTest::gmock
                        GTest::gtest_main)
  add_test(NAME ${name} COMMAND ${name})
  set_tests_properties(${name} PROPERTIES LABELS unit)
endfunction()
