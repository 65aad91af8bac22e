# bash completion for watchbot-progress-cpp. The commands and their options are read from the
# tool's own --help when completing, so they are always those of the installed version:
#   watchbot-progress-cpp <TAB>            the commands
#   watchbot-progress-cpp info --<TAB>     the options of `info`
# anything else completes file names (parts files, sqlite paths, workers).
# Installed as share/bash-completion/completions/watchbot-progress-cpp (bash-completion loads it on
# first use); `source` it to use it without bash-completion.

# The options (-x and --long) a --help text lists at the start of its lines, one a line.
_watchbot_progress_cpp_options() {
    sed -n 's/^ \{1,\}\(-[^ ]*\).*/\1/p' | tr ',' '\n' | sed -n 's/^\(--\{0,1\}[A-Za-z0-9][A-Za-z0-9-]*\).*/\1/p'
}

# The commands listed under "Subcommands:" in the main --help, one a line.
_watchbot_progress_cpp_commands() {
    sed -n '/^Subcommands:/,/^$/s/^ \{1,\}\([a-z][a-z0-9-]*\) .*/\1/p'
}

_watchbot_progress_cpp() {
    local tool=${COMP_WORDS[0]} cur=${COMP_WORDS[COMP_CWORD]} command="" i
    for ((i = 1; i < COMP_CWORD; i++)); do
        case ${COMP_WORDS[i]} in
            --) return 0 ;;  # a worker's own command line follows: leave it to bash
            -*) ;;
            *) command=${COMP_WORDS[i]}; break ;;
        esac
    done
    local words
    if [ -z "$command" ]; then
        if [[ $cur == -* ]]; then
            words=$("$tool" --help 2>/dev/null | _watchbot_progress_cpp_options)
        else
            words=$("$tool" --help 2>/dev/null | _watchbot_progress_cpp_commands)
        fi
    elif [[ $cur == -* ]]; then
        words=$("$tool" "$command" --help 2>/dev/null | _watchbot_progress_cpp_options)
    else
        compopt -o default 2>/dev/null
        COMPREPLY=()
        return 0
    fi
    local IFS=$'\n'
    # shellcheck disable=SC2207
    COMPREPLY=($(compgen -W "$words" -- "$cur"))
}
complete -F _watchbot_progress_cpp watchbot-progress-cpp
