# Writes the man pages of watchbot-progress-cpp with help2man, from the tool's own --help: one page
# for the tool (watchbot-progress-cpp.1) and one per command (watchbot-progress-cpp-COMMAND.1, the
# commands read from the "Subcommands:" list of --help, so a new command gets its page), gzipped, into
# OUTPUT_DIR (emptied first). Run at build time (cmake -P) by the man_pages target.
# Variables: CLI (the built tool), HELP2MAN, VERSION, OUTPUT_DIR.
foreach(var CLI HELP2MAN VERSION OUTPUT_DIR)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "man_pages.cmake: ${var} is not set")
  endif()
endforeach()

file(REMOVE_RECURSE "${OUTPUT_DIR}")
file(MAKE_DIRECTORY "${OUTPUT_DIR}/work")
set(work "${OUTPUT_DIR}/work")

execute_process(COMMAND "${CLI}" --help OUTPUT_VARIABLE help RESULT_VARIABLE rc)
if(rc)
  message(FATAL_ERROR "man_pages.cmake: ${CLI} --help failed (${rc})")
endif()
# The commands and their one-line descriptions: "  NAME   DESCRIPTION" lines after "Subcommands:".
string(REGEX REPLACE ".*\nSubcommands:\n" "" listing "${help}")
string(REGEX REPLACE "\n\n.*" "" listing "${listing}")
string(REPLACE "\n" ";" lines "${listing}")
set(commands "")
foreach(line IN LISTS lines)
  if(line MATCHES "^  ([a-z][a-z0-9-]*) +(.*)$")  # not the deeper-indented continuation lines
    list(APPEND commands "${CMAKE_MATCH_1}")
    string(REGEX REPLACE "[. ]+$" "" "summary_${CMAKE_MATCH_1}" "${CMAKE_MATCH_2}")
  endif()
endforeach()
if(NOT commands)
  message(FATAL_ERROR "man_pages.cmake: no commands found under 'Subcommands:' in ${CLI} --help")
endif()

# One help2man run: NAME is the page's program name, RUN the command line help2man appends --help to.
function(write_page name summary run see_also)
  execute_process(COMMAND sh -c "${run} --help" OUTPUT_QUIET ERROR_VARIABLE err RESULT_VARIABLE rc)
  if(rc)
    message(FATAL_ERROR "man_pages.cmake: '${run} --help' failed (${rc}): ${err}")
  endif()
  set(wrapper "${work}/${name}")
  file(WRITE "${wrapper}" "#!/bin/sh\nexec ${run} \"$@\"\n")
  file(CHMOD "${wrapper}" PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE)
  set(include_args "")
  if(see_also)
    file(WRITE "${work}/${name}.h2m" "[SEE ALSO]\n${see_also}\n")
    set(include_args "--include=${work}/${name}.h2m")
  endif()
  execute_process(COMMAND "${HELP2MAN}" --no-info --no-discard-stderr --section=1
                          "--version-string=${VERSION}" "--name=${summary}"
                          "--source=watchbot-progress-cpp ${VERSION}" "--manual=User Commands"
                          ${include_args} "--output=${work}/${name}.1" "${wrapper}"
                  RESULT_VARIABLE rc ERROR_VARIABLE err)
  if(rc)
    message(FATAL_ERROR "man_pages.cmake: help2man failed for ${name}: ${err}")
  endif()
  file(ARCHIVE_CREATE OUTPUT "${OUTPUT_DIR}/${name}.1.gz" PATHS "${work}/${name}.1" FORMAT raw COMPRESSION GZip)
endfunction()

set(see_also "")
foreach(command IN LISTS commands)
  string(APPEND see_also ".BR watchbot-progress-cpp-${command} (1)\n")
endforeach()
write_page(watchbot-progress-cpp "inspect and edit watchbot-progress jobs (map-reduce jobs on ECS watchbot)"
           "'${CLI}'" "${see_also}")
foreach(command IN LISTS commands)
  write_page(watchbot-progress-cpp-${command} "${summary_${command}}" "'${CLI}' ${command}"
             ".BR watchbot-progress-cpp (1)")
endforeach()
file(REMOVE_RECURSE "${work}")
