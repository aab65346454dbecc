# bash completion for kinesis-import: commands, then the options of the chosen command (read from
# its --help, so they never go stale).
_kinesis_import() {
  local cur="${COMP_WORDS[COMP_CWORD]}"
  local commands="shards put peek stream run sql positions credentials follow"
  local cmd="" w
  for w in "${COMP_WORDS[@]:1:COMP_CWORD-1}"; do
    case " $commands " in *" $w "*) cmd="$w"; break ;; esac
  done
  if [ -z "$cmd" ]; then
    COMPREPLY=($(compgen -W "$commands --help --version --verbose --log-level" -- "$cur"))
    return
  fi
  if [[ "$cur" == -* ]]; then
    local opts
    opts="$(kinesis-import "$cmd" --help 2>/dev/null | grep -oE -- '--[a-z][a-z0-9-]*' | sort -u)"
    COMPREPLY=($(compgen -W "$opts" -- "$cur"))
    return
  fi
  COMPREPLY=($(compgen -f -- "$cur"))
}
complete -F _kinesis_import kinesis-import
