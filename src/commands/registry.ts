/**
 * How a command is registered: its spec (flags and arguments), attached to its parent, with a loader that imports its
 * module only when it runs and hands it the context. The registries next to the specs (specs.ts, account-specs.ts)
 * use these; cli.ts builds only the branch of the tree a run names. Loaded at every start: nothing here runs a
 * command's code.
 */
import type { Command } from '@commander-js/extra-typings';
import type { Context, GlobalOptions } from '../context.js';
import type { createClient } from '../wiring/clients.js';

/** A command's function: the context, then its positional arguments and options as commander parsed them. */
type Run<Args extends unknown[]> = (ctx: Context, ...args: Args) => Promise<void>;

/** Any command, for the parts that do not care about its options. */
export type AnyCommand = Command<unknown[], Record<string, unknown>, Record<string, unknown>>;

/** Top-level commands by name, each adding itself (and its subcommands) to the program. */
export type Registry = Record<string, (program: AnyCommand) => void>;

/** Builds a command's context from the global options and the client builder (context.ts's createContext). */
export type ContextFactory = (options: GlobalOptions, clients: typeof createClient) => Context;

/** Per command tree (one per run): the factory its runner was given, and the context its command runs with. */
const factories = new WeakMap<AnyCommand, ContextFactory>();
const contexts = new WeakMap<AnyCommand, Context>();

const rootOf = (command: AnyCommand): AnyCommand => {
  let root = command;
  while (root.parent) root = root.parent as AnyCommand;
  return root;
};

/** The context factory of a run's command tree; the real context (context.ts) when none is given. */
export function useContextFactory(program: AnyCommand, factory: ContextFactory | undefined): void {
  if (factory) factories.set(program, factory);
}

/** The context of the command that runs in `program`, once it has one (error reports redact with it). */
export function activeContext(program: AnyCommand): Context | undefined {
  return contexts.get(program);
}

/**
 * Wraps a lazily imported command function as a commander action. Its type ties the command's function to the flags
 * declared for it: the options commander infers from the spec must be what the function takes.
 */
export function lazy<Args extends unknown[]>(load: () => Promise<Run<Args>>) {
  return async (...args: [...Args, ...unknown[]]) => {
    const command = args[args.length - 1] as AnyCommand;
    const globals = command.optsWithGlobals() as Record<string, unknown>;
    const options: GlobalOptions = {
      json: globals.json === true,
      debug: globals.debug === true,
      color: globals.color !== false,
      ...(typeof globals.account === 'string' ? { account: globals.account } : {}),
      ...(typeof globals.env === 'string' ? { env: globals.env } : {}),
      ...(typeof globals.profileId === 'string' ? { profileId: globals.profileId } : {}),
      ...(typeof globals.apiUrl === 'string' ? { apiUrl: globals.apiUrl } : {}),
      ...(typeof globals.apiVersion === 'string' ? { apiVersion: globals.apiVersion } : {}),
    };
    // The composition root: the context, and the client builder every command and domain module gets from it.
    const [{ createContext }, { createClient }] = await Promise.all([
      import('../context.js'),
      import('../wiring/clients.js'),
    ]);
    const root = rootOf(command);
    const ctx = (factories.get(root) ?? createContext)(options, createClient);
    contexts.set(root, ctx);
    const run = await load();
    // Positional arguments, then this command's own options.
    await run(ctx, ...(args.slice(0, -1) as Args));
  };
}

/** Adds a command built from its spec, with the settings a `.command()` child inherits (help, suggestions). */
export function attach<C extends AnyCommand>(parent: AnyCommand, child: C): C {
  child.copyInheritedSettings(parent as never);
  parent.addCommand(child as never);
  return child;
}
