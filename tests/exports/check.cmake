# The test LibraryExports: the shared library exports its public API and nothing else
# (docs/architecture.md, "The library's ABI"). Lists the dynamic symbols LIBRARY defines
# (nm -D --defined-only) and fails, naming them, on any that is not
#   - in namespace watchbot_progress, outside any detail namespace and any exported class's
#     implementation type (Impl, State: WATCHBOT_PROGRESS_NO_EXPORT): a function, variable, vtable,
#     typeinfo, VTT, guard variable or thunk of the API that include/watchbot_progress/ marks
#     WATCHBOT_PROGRESS_EXPORT, or
#   - of the C++ runtime: std:: and __gnu_cxx:: template instances (on the API's types) that the
#     compiler gives default visibility, or
#   - one of the symbols the linker defines in every shared library (_init, _fini, _edata, ...).
# Variables: LIBRARY (the .so), NM (nm).
cmake_minimum_required(VERSION 3.20)
if(NOT EXISTS "${LIBRARY}")
  message(FATAL_ERROR "no shared library ${LIBRARY}: build the target watchbot_progress first")
endif()
# -p: in symbol-table order, so that the mangled and the demangled lists line up.
foreach(_form mangled demangled)
  set(_args -D --defined-only -p)
  if(_form STREQUAL "demangled")
    list(APPEND _args -C)
  endif()
  execute_process(COMMAND "${NM}" ${_args} "${LIBRARY}" RESULT_VARIABLE _rc OUTPUT_VARIABLE _out ERROR_VARIABLE _err)
  if(_rc)
    message(FATAL_ERROR "${NM} ${_args} ${LIBRARY} failed (${_rc}): ${_err}")
  endif()
  # CMake's lists do not split inside square brackets ([abi:cxx11], operator[]): set them aside.
  string(REPLACE "[" "<wp-lb>" _out "${_out}")
  string(REPLACE "]" "<wp-rb>" _out "${_out}")
  string(REPLACE ";" "<wp-sc>" _out "${_out}")
  string(REGEX REPLACE "\n$" "" _out "${_out}")
  string(REPLACE "\n" ";" _${_form} "${_out}")
endforeach()
list(LENGTH _mangled _count)
list(LENGTH _demangled _count_demangled)
if(NOT _count EQUAL _count_demangled OR _count EQUAL 0)
  message(FATAL_ERROR "nm listed ${_count} symbols mangled and ${_count_demangled} demangled in ${LIBRARY}")
endif()

set(_linker_symbols _init _fini _edata _end __bss_start)
# After _Z: a special name's prefix (vtable TV, VTT TT, typeinfo TI, its name TS, construction vtable
# TC, guard variable GV, reference temporary GR, thunks Th/Tv/Tc) and a typeinfo's type constructors
# (pointer P, reference R, const K, function F: the typeinfo of std::function's signatures), or a
# local entity's Z (a function's static variable), then a nested name's N and its qualifiers, then the
# first namespace: 17watchbot_progress, or the runtime's St / Sa Sb Ss Si So Sd (std:: abbreviations)
# / 9__gnu_cxx.
set(_special "((T[VTISC]|G[VR]|Thn?[0-9]+_|Tvn?[0-9]+_n?[0-9]+_|Tc(h|v)[n0-9_]+)[PRKF]*)*Z?")
set(_nested "(N[rVK]*[RO]?)?")
set(_offenders "")
set(_ours 0)
set(_runtime 0)
math(EXPR _last "${_count} - 1")
foreach(_i RANGE ${_last})
  list(GET _mangled ${_i} _line)
  list(GET _demangled ${_i} _dline)
  # "ADDRESS TYPE NAME": the name is what follows the second space.
  string(REGEX MATCH "^[^ ]+ [^ ]+ (.*)$" _match "${_line}")
  set(_name "${CMAKE_MATCH_1}")
  string(REGEX MATCH "^[^ ]+ [^ ]+ (.*)$" _match "${_dline}")
  set(_dname "${CMAKE_MATCH_1}")
  string(REGEX REPLACE "@.*$" "" _name "${_name}")
  if(_name IN_LIST _linker_symbols)
    continue()
  endif()
  if(_dname MATCHES "watchbot_progress::([A-Za-z0-9_]+::)*detail::")
    list(APPEND _offenders "${_dname}   [a detail namespace]")
  elseif(_dname MATCHES "watchbot_progress::([A-Za-z0-9_]+::)+(Impl|State)::")
    list(APPEND _offenders "${_dname}   [an exported class's implementation, Impl or State]")
  elseif(_name MATCHES "^_Z${_special}${_nested}17watchbot_progress")
    math(EXPR _ours "${_ours} + 1")
  elseif(_name MATCHES "^_Z${_special}${_nested}(St|S[absiod]|9__gnu_cxx)")
    math(EXPR _runtime "${_runtime} + 1")
  else()
    list(APPEND _offenders "${_dname}   [outside namespace watchbot_progress]")
  endif()
endforeach()

list(LENGTH _offenders _bad)
if(_bad)
  list(JOIN _offenders "\n  " _list)
  string(REPLACE "<wp-lb>" "[" _list "${_list}")
  string(REPLACE "<wp-rb>" "]" _list "${_list}")
  string(REPLACE "<wp-sc>" ";" _list "${_list}")
  message(FATAL_ERROR "${LIBRARY} exports ${_bad} internal symbols (of ${_count}); the library is compiled "
    "with hidden visibility and only declarations marked WATCHBOT_PROGRESS_EXPORT in "
    "include/watchbot_progress/ should be exported: remove the mark from these, or move what is public "
    "out of the detail namespace:\n  ${_list}")
endif()
message(STATUS "${LIBRARY}: ${_count} dynamic symbols, ${_ours} of namespace watchbot_progress, "
  "${_runtime} of the C++ runtime's templates, none internal")
