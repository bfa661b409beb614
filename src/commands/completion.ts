import type { CommandUnknownOpts as Command } from '@commander-js/extra-typings';
import type { Context } from '../context.js';

interface Node {
  path: string[];
  subcommands: string[];
  flags: string[];
  description: string;
}

/** The commands a user can type: the hidden ones the scripts call (`__complete`) are left out. */
const visible = (command: Command) => command.commands.filter((c) => !c.name().startsWith('__'));

/** Walks the command tree so the scripts always match the commands that exist. */
function walk(command: Command, path: string[] = []): Node[] {
  const flags = command.options.flatMap((o) => [o.long, o.short].filter((f): f is string => Boolean(f)));
  const node: Node = {
    path,
    subcommands: visible(command).map((c) => c.name()),
    flags: [...flags, '--help'],
    description: command.description(),
  };
  return [node, ...visible(command).flatMap((c) => walk(c, [...path, c.name()]))];
}

/** Values of a flag, for the scripts: `accounts` (from the config), `envs`. Prints nothing it cannot read. */
export async function completeValues(ctx: Context, what: string): Promise<void> {
  let values: string[] = [];
  if (what === 'envs') values = ['sandbox', 'production'];
  if (what === 'accounts') {
    const config = await ctx.config.read().catch(() => undefined);
    values = Object.keys(config?.accounts ?? {});
  }
  if (values.length) ctx.io.out(`${values.join('\n')}\n`);
}

function bash(program: Command): string {
  const nodes = walk(program);
  const globals = nodes[0]?.flags ?? [];
  const cases = nodes
    .map((n) => {
      const words = [...n.subcommands, ...n.flags, ...(n.path.length ? globals : [])];
      return `    "${n.path.join(' ')}") words="${[...new Set(words)].join(' ')}" ;;`;
    })
    .join('\n');
  return `# bash completion for wise; load with: source <(wise completion bash)
_wise() {
  local cur prev path="" i w words
  cur="\${COMP_WORDS[COMP_CWORD]}"
  prev="\${COMP_WORDS[COMP_CWORD-1]}"
  case "$prev" in
    --account) COMPREPLY=($(compgen -W "$(wise __complete accounts 2>/dev/null)" -- "$cur")); return ;;
    --env) COMPREPLY=($(compgen -W "sandbox production" -- "$cur")); return ;;
  esac
  for ((i = 1; i < COMP_CWORD; i++)); do
    w="\${COMP_WORDS[i]}"
    [[ "$w" == -* ]] && continue
    case "\${path:+$path }$w" in
${nodes
  .slice(1)
  .map((n) => `      "${n.path.join(' ')}") path="${n.path.join(' ')}" ;;`)
  .join('\n')}
    esac
  done
  case "$path" in
${cases}
    *) words="" ;;
  esac
  COMPREPLY=($(compgen -W "$words" -- "$cur"))
}
complete -o default -F _wise wise
`;
}

function zsh(program: Command): string {
  return `#compdef wise
# zsh completion for wise; load with: source <(wise completion zsh)
autoload -U +X bashcompinit && bashcompinit
${bash(program)}`;
}

function fish(program: Command): string {
  const nodes = walk(program);
  const lines = ['# fish completion for wise; load with: wise completion fish | source', 'complete -c wise -f'];
  for (const n of nodes) {
    const parent = n.path.slice(0, -1);
    const name = n.path[n.path.length - 1];
    if (!name) continue;
    const siblings = nodes.find((p) => p.path.join(' ') === parent.join(' '))?.subcommands ?? [];
    const cond = parent.length
      ? `__fish_seen_subcommand_from ${parent[parent.length - 1]}; and not __fish_seen_subcommand_from ${siblings.join(' ')}`
      : `not __fish_seen_subcommand_from ${siblings.join(' ')}`;
    const desc = n.description.replace(/'/g, "\\'");
    lines.push(`complete -c wise -n '${cond}' -a ${name} -d '${desc}'`);
    for (const flag of n.flags.filter((f) => f.startsWith('--') && f !== '--help')) {
      lines.push(`complete -c wise -n '__fish_seen_subcommand_from ${name}' -l ${flag.slice(2)}`);
    }
  }
  for (const flag of (nodes[0]?.flags ?? []).filter((f) => f.startsWith('--'))) {
    if (flag === '--account') lines.push("complete -c wise -l account -x -a '(wise __complete accounts 2>/dev/null)'");
    else if (flag === '--env') lines.push("complete -c wise -l env -x -a 'sandbox production'");
    else lines.push(`complete -c wise -l ${flag.slice(2)}`);
  }
  return `${lines.join('\n')}\n`;
}

/**
 * PowerShell (Windows, and pwsh elsewhere): a native argument completer with the same table as bash, from the words
 * before the cursor: the deepest command path they name, then its subcommands and flags.
 */
function powershell(program: Command): string {
  const nodes = walk(program);
  const globals = nodes[0]?.flags ?? [];
  const quote = (w: string) => `'${w.replaceAll("'", "''")}'`;
  const table = nodes
    .map((n) => {
      const words = [...new Set([...n.subcommands, ...n.flags, ...(n.path.length ? globals : [])])];
      return `    ${quote(n.path.join(' '))} = @(${words.map(quote).join(', ')})`;
    })
    .join('\n');
  return `# PowerShell completion for wise; load with: wise completion powershell | Out-String | Invoke-Expression
# (add that line to $PROFILE to keep it)
Register-ArgumentCompleter -Native -CommandName wise -ScriptBlock {
  param($wordToComplete, $commandAst, $cursorPosition)
  $commands = @{
${table}
  }
  # The words before the one being completed, the command name left out.
  $words = @($commandAst.CommandElements | Select-Object -Skip 1 |
    Where-Object { $_.Extent.EndOffset -lt $cursorPosition } | ForEach-Object { $_.Extent.Text })
  $previous = if ($words.Count) { $words[-1] } else { '' }
  if ($previous -eq '--env') {
    $candidates = @('sandbox', 'production')
  } elseif ($previous -eq '--account') {
    $candidates = @(wise __complete accounts 2>$null)
  } else {
    $path = ''
    foreach ($w in $words) {
      if ($w.StartsWith('-')) { continue }
      $next = if ($path) { "$path $w" } else { $w }
      if ($commands.ContainsKey($next)) { $path = $next }
    }
    $candidates = $commands[$path]
  }
  $candidates | Where-Object { $_ -like "$wordToComplete*" } | ForEach-Object {
    [System.Management.Automation.CompletionResult]::new($_, $_, 'ParameterValue', $_)
  }
}
`;
}

export type Shell = 'bash' | 'zsh' | 'fish' | 'powershell';

export function completionScript(program: Command, shell: Shell): string {
  if (shell === 'powershell') return powershell(program);
  return shell === 'bash' ? bash(program) : shell === 'zsh' ? zsh(program) : fish(program);
}

export async function completion(ctx: Context, program: Command, shell: Shell): Promise<void> {
  ctx.io.out(completionScript(program, shell));
}
