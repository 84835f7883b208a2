# qopt_add_library(name SRCS... DEPENDS tgts... LINK libs...)
# Plain static libraries: the installed MLIR's add_mlir_library expects in-tree
# targets (mlir-generic-headers) that Debian's packages do not export.
function(qopt_add_library name)
  cmake_parse_arguments(ARG "" "" "DEPENDS;LINK" ${ARGN})
  add_library(${name} STATIC ${ARG_UNPARSED_ARGUMENTS})
  if(ARG_DEPENDS)
    add_dependencies(${name} ${ARG_DEPENDS})
  endif()
  target_link_libraries(${name} PUBLIC ${ARG_LINK} ${QOPT_MLIR_LIBS})
endfunction()
