import type { Command } from 'commander';
import type { Context } from '../context.js';

interface Node {
  path: string[];
  subcommands: string[];
  flags: string[];
  description: string;
}

/** Walks the command tree so the scripts always match the commands that exist. */
function walk(command: Command, path: string[] = []): Node[] {
  const flags = command.options.flatMap((o) => [o.long, o.short].filter((f): f is string => Boolean(f)));
  const node: Node = {
    path,
    subcommands: command.commands.map((c) => c.name()),
    flags: [...flags, '--help'],
    description: command.description(),
  };
  return [node, ...command.commands.flatMap((c) => walk(c, [...path, c.name()]))];
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
  local cur path="" i w words
  cur="\${COMP_WORDS[COMP_CWORD]}"
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
    lines.push(`complete -c wise -l ${flag.slice(2)}`);
  }
  return `${lines.join('\n')}\n`;
}

export function completionScript(program: Command, shell: 'bash' | 'zsh' | 'fish'): string {
  return shell === 'bash' ? bash(program) : shell === 'zsh' ? zsh(program) : fish(program);
}

export async function completion(ctx: Context, program: Command, shell: 'bash' | 'zsh' | 'fish'): Promise<void> {
  ctx.io.out(completionScript(program, shell));
}
