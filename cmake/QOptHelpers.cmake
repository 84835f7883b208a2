# The precompiled header the MLIR-heavy libraries share (cmake/QOptPCH.h):
# built once by this object library, reused by every library marked PCH.
# QOPT_PCH=OFF turns it off.
option(QOPT_PCH "Share a precompiled header of the common MLIR headers" ON)
if(QOPT_PCH)
  add_library(qopt_pch OBJECT ${CMAKE_CURRENT_LIST_DIR}/QOptPCH.cpp)
  add_dependencies(qopt_pch QOptOpsIncGen)
  target_precompile_headers(qopt_pch PRIVATE ${CMAKE_CURRENT_LIST_DIR}/QOptPCH.h)
  target_link_libraries(qopt_pch PRIVATE ${QOPT_MLIR_LIBS})
  # Without a timestamp in the PCH, ccache can cache the files that use it.
  if(CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    target_compile_options(qopt_pch PRIVATE -Xclang -fno-pch-timestamp)
  endif()
endif()

# qopt_add_library(name [PCH] SRCS... DEPENDS tgts... LINK libs...)
# Plain static libraries: the installed MLIR's add_mlir_library expects in-tree
# targets (mlir-generic-headers) that Debian's packages do not export.
function(qopt_add_library name)
  cmake_parse_arguments(ARG "PCH" "" "DEPENDS;LINK" ${ARGN})
  add_library(${name} STATIC ${ARG_UNPARSED_ARGUMENTS})
  if(ARG_DEPENDS)
    add_dependencies(${name} ${ARG_DEPENDS})
  endif()
  target_link_libraries(${name} PUBLIC ${ARG_LINK} ${QOPT_MLIR_LIBS})
  if(ARG_PCH AND QOPT_PCH)
    target_precompile_headers(${name} REUSE_FROM qopt_pch)
  endif()
endfunction()
