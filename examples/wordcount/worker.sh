#!/bin/sh
# wordcount in shell: the same map-reduce job as worker.cpp (word frequencies over a directory of
# text files), written as a plain script and run through `watchbot-progress-cpp worker`, which does
# the Part guard's work: completing parts, the one reduce message, failing the job.
#
#   watchbot-progress-cpp run -- watchbot-progress-cpp worker --fail-job-on-exit 3 -- \
#       examples/wordcount/worker.sh INPUT_DIR OUTPUT_DIR
#
#   Subject=start   lists INPUT_DIR's files into OUTPUT_DIR/<jobid>/files.txt and creates the job,
#                   one part {"line": N} per file (`watchbot-progress-cpp create`)
#   Subject=map     counts the words of the file on line N (N from the map message on stdin) into
#                   OUTPUT_DIR/<jobid>/parts/<partid>.txt; exit 3 when the file is gone, which fails
#                   the job (--fail-job-on-exit 3)
#   Subject=reduce  adds the counts up into OUTPUT_DIR/<jobid>/result.txt ("COUNT WORD" lines, most
#                   frequent first)
#
# ProgressTable and WorkTopic come from the environment (watchbot, or `run`); WATCHBOT_PROGRESS_CPP
# names the CLI when it is not on PATH. Words are runs of ASCII letters, lowercased.
set -eu
export LC_ALL=C
input=$1
output=$2
cli=${WATCHBOT_PROGRESS_CPP:-watchbot-progress-cpp}

case "$Subject" in
start)
    jobid=$(cat /proc/sys/kernel/random/uuid)
    mkdir -p "$output/$jobid/parts"
    find "$input" -maxdepth 1 -type f | sort > "$output/$jobid/files.txt"
    [ -s "$output/$jobid/files.txt" ] || { echo "start: no files in $input" >&2; exit 3; }
    awk '{ printf "{\"line\": %d}\n", NR }' "$output/$jobid/files.txt" |
        "$cli" create --jobid "$jobid" --metadata '{"example": "wordcount.sh"}' >/dev/null
    echo "start: job $jobid with $(wc -l < "$output/$jobid/files.txt") parts" >&2
    ;;
map)
    # The map message arrives on stdin, e.g. {"jobid":"...","line":3,"metadata":{...},"partid":2}.
    line=$(sed -n 's/.*"line":\([0-9][0-9]*\).*/\1/p')
    dir="$output/$WATCHBOT_PROGRESS_JOBID"
    file=$(sed -n "${line}p" "$dir/files.txt")
    [ -f "$file" ] || { echo "part $WATCHBOT_PROGRESS_PARTID: no file '$file'" >&2; exit 3; }
    tr -cs 'A-Za-z' '\n' < "$file" | tr 'A-Z' 'a-z' | grep -v '^$' | sort | uniq -c |
        awk '{ print $1, $2 }' > "$dir/parts/$WATCHBOT_PROGRESS_PARTID.txt.tmp.$$"
    mv "$dir/parts/$WATCHBOT_PROGRESS_PARTID.txt.tmp.$$" "$dir/parts/$WATCHBOT_PROGRESS_PARTID.txt"
    ;;
reduce)
    jobid=$(printf '%s' "$Message" | sed -n 's/.*"jobid":"\([^"]*\)".*/\1/p')
    dir="$output/$jobid"
    cat "$dir"/parts/*.txt | awk '{ n[$2] += $1 } END { for (w in n) print n[w], w }' |
        sort -k1,1nr -k2,2 > "$dir/result.txt.tmp"
    mv "$dir/result.txt.tmp" "$dir/result.txt"
    echo "reduce: job $jobid: $(wc -l < "$dir/result.txt") distinct words -> $dir/result.txt" >&2
    ;;
*)
    echo "wordcount.sh: unknown subject '$Subject'" >&2
    exit 3
    ;;
esac
