/**
 * Flags of the account automation commands (profiles, balances, statements, activities, rates, quotes, recipients,
 * payments, batches, transfers, webhook subscriptions), with the options types the command functions take.
 */
import { Command, Option } from '@commander-js/extra-typings';
import { attach, lazy, type Registry } from './registry.js';
import { collect, examples, type OptionsOf, webhookListenSpec, webhookVerifySpec } from './specs.js';

export const profilesListSpec = () =>
  new Command('list')
    .description('list the personal and business profiles of the credentials in use')
    .addHelpText('after', examples('wise profiles list', 'wise --json profiles list'));

export const profilesUseSpec = () =>
  new Command('use')
    .description("make a profile the account's default for profile-scoped commands")
    .addHelpText('after', examples('wise profiles use 2002', 'wise --account shop profiles use 2002'))
    .argument('<id>', 'profile id (see `wise profiles list`)');

export const balancesListSpec = () =>
  new Command('list')
    .description('list the balances and jars of a profile (--profile-id, or the default profile)')
    .addHelpText(
      'after',
      examples(
        'wise balances list',
        'wise balances list --all-profiles',
        'wise --profile-id <id> --json balances list',
      ),
    )
    .option('--all-profiles', 'every profile of the credentials, one table');
export type BalancesListOptions = OptionsOf<typeof balancesListSpec>;

export const statementSpec = () =>
  new Command('statement')
    .description('download a balance statement (any length: split into windows of 469 days, as Wise allows)')
    .addHelpText(
      'after',
      examples(
        'wise statement --currency EUR --from 2026-01-01 --to 2026-06-30',
        'wise statement --currency EUR --from 2025-01-01 --to 2026-11-30 --format csv --out eur.csv',
        'wise statement --all-currencies --from 2026-01-01 --to 2026-12-31 --format camt053 --out statements/',
        'wise statement --currency GBP --from 2026-11-01 --to 2026-11-30 --format pdf',
      ),
    )
    .option('--currency <code>', 'the balance to list (e.g. EUR)')
    .option('--all-currencies', 'every balance of the profile, one file each (--out names a folder)')
    .requiredOption('--from <date>', 'first day (YYYY-MM-DD, UTC) or time (ISO 8601)')
    .requiredOption('--to <date>', 'last day, included (YYYY-MM-DD, UTC) or time (ISO 8601)')
    .addOption(
      new Option('--type <type>', 'COMPACT (one row per transaction) or FLAT (fees apart)')
        .choices(['COMPACT', 'FLAT'] as const)
        .default('COMPACT' as const),
    )
    .addOption(
      new Option('--format <format>', 'file format')
        .choices(['json', 'csv', 'pdf', 'xlsx', 'camt053', 'mt940', 'qif'] as const)
        .default('json' as const),
    )
    .option(
      '--out <file-or-dir>',
      'where to write it (a folder gets statement-<currency>-<from>-<to>.<ext>); - for stdout',
    );
export type StatementOptions = OptionsOf<typeof statementSpec>;

export const activitiesSpec = () =>
  new Command('activities')
    .description('what happened on the profile, newest first: payments in and out, card spending (no SCA needed)')
    .addHelpText(
      'after',
      examples(
        'wise activities',
        'wise activities --since 2026-11-01 --all',
        'wise activities --since 2026-11-01 --until 2026-11-30 --all --format csv > november-activities.csv',
      ),
    )
    .option('--since <date>', 'from this day or time on')
    .option('--until <date>', 'up to this day (included) or time')
    .option('--limit <n>', 'how many to show without --all', '20')
    .option('--all', 'every activity in the range (pages are fetched as they are printed)')
    .option('--jq <expression>', 'filter the JSON list with a jq expression (built in; strings print raw)')
    .addOption(
      new Option('--format <format>', 'table, csv (for a spreadsheet) or json (as --json)').choices([
        'table',
        'csv',
        'json',
      ] as const),
    );
export type ActivitiesOptions = OptionsOf<typeof activitiesSpec>;

export const ratesSpec = () =>
  new Command('rates')
    .description("Wise's mid-market exchange rate now, at a time, or over a period")
    .addHelpText(
      'after',
      examples(
        'wise rates --source EUR --target USD',
        'wise rates --source EUR --target GBP --at 2026-11-02T10:00:00Z',
        'wise rates --source EUR --target GBP --from 2026-11-01 --to 2026-11-30 --group day',
      ),
    )
    .requiredOption('--source <code>', 'source currency')
    .requiredOption('--target <code>', 'target currency')
    .option('--at <time>', 'the rate at this time')
    .option('--from <date>', 'start of a period')
    .option('--to <date>', 'end of a period')
    .addOption(new Option('--group <unit>', 'one rate per').choices(['day', 'hour', 'minute'] as const));
export type RatesOptions = OptionsOf<typeof ratesSpec>;

export const quoteSpec = () =>
  new Command('quote')
    .description('price a transfer: rate, fee, delivery estimate and how long the quote holds')
    .addHelpText(
      'after',
      examples(
        'wise quote --source EUR --target GBP --source-amount 100',
        'wise --json quote --source EUR --target USD --target-amount 250',
      ),
    )
    .requiredOption('--source <code>', 'currency you pay')
    .requiredOption('--target <code>', 'currency the recipient gets')
    .option('--source-amount <n>', 'amount you pay')
    .option('--target-amount <n>', 'amount the recipient gets')
    .option('--pay-in <method>', 'how you pay in', 'BALANCE');
export type QuoteOptions = OptionsOf<typeof quoteSpec>;

export const recipientsListSpec = () =>
  new Command('list')
    .description('the recipients (bank accounts you pay) of the profile')
    .addHelpText(
      'after',
      examples('wise recipients list', 'wise recipients list --currency GBP', 'wise --json recipients list'),
    )
    .option('--currency <code>', 'only recipients in this currency')
    .option('--jq <expression>', 'filter the JSON list with a jq expression (built in; strings print raw)');
export type RecipientsListOptions = OptionsOf<typeof recipientsListSpec>;

export const recipientsAddSpec = () =>
  new Command('add')
    .description('add a recipient: the fields Wise requires for the currency are asked for (or given with --field)')
    .addHelpText(
      'after',
      examples(
        'wise recipients add --currency GBP',
        'wise recipients add --currency EUR --field accountHolderName="Max Mustermann" --field iban=DE89370400440532013000',
      ),
    )
    .requiredOption('--currency <code>', "the recipient's currency")
    .option('--from <code>', 'the currency you will pay from (the form can differ by route; default: --currency)')
    .option('--quote <id>', "read the account form of this quote's route (default: a quote made for the form)")
    .option('--field <key=value>', 'a field of the account form, e.g. iban=DE89... (repeatable)', collect);
export type RecipientsAddOptions = OptionsOf<typeof recipientsAddSpec>;

export const paySpec = () =>
  new Command('pay')
    .description('pay a recipient from your balance: quote, transfer, fund (asks for confirmation on a terminal)')
    .addHelpText(
      'after',
      examples(
        'wise pay --to 7001 --amount 120 --currency GBP --source-currency EUR --reference "Invoice 42"',
        'wise pay --to "Max Mustermann" --amount 50 --currency EUR --dry-run',
        'wise pay --to 7002 --amount 50 --currency EUR --idempotency-key "$KEY" --yes',
      ),
    )
    .requiredOption('--to <recipient>', 'recipient id or exact name (see `wise recipients list`)')
    .requiredOption('--amount <n>', 'amount the recipient gets, in --currency')
    .requiredOption('--currency <code>', "the recipient's currency")
    .option('--source-currency <code>', 'balance to pay from (default: --currency)')
    .option('--reference <text>', 'reference the recipient sees (at most 35 characters)')
    .option(
      '--detail <key=value>',
      "a detail Wise's transfer requirements ask for, e.g. transferPurpose=... (repeatable)",
      collect,
    )
    .option(
      '--idempotency-key <uuid>',
      'key of this payment: running again with it never pays twice (default: a new one, shown)',
    )
    .option('--dry-run', 'quote and show the payment, but create and fund nothing')
    .option('--yes', 'do not ask for confirmation (needed without a terminal)');
export type PayOptions = OptionsOf<typeof paySpec>;

export const batchPaySpec = () =>
  new Command('pay')
    .description('pay many recipients from a CSV file as Wise batch groups; safe to run again after a crash')
    .addHelpText(
      'after',
      examples(
        'wise batch pay payments.csv --dry-run',
        'wise batch pay payments.csv',
        'wise batch pay payments.csv --yes --fund none',
      ),
    )
    .argument(
      '<payments.csv>',
      'CSV with the header recipient,amount,currency,reference[,source_currency,idempotency_key]',
    )
    .option('--dry-run', 'check every row and show the batches, send nothing')
    .addOption(
      new Option('--fund <how>', 'fund from the balance, or leave funding to the web app')
        .choices(['balance', 'none'] as const)
        .default('balance' as const),
    )
    .option('--state <file>', 'the state file that makes a re-run safe (default: <payments.csv>.wise-state.jsonl)')
    .option('--concurrency <n>', 'requests in flight at once', '4')
    .option('--yes', 'do not ask for confirmation (needed without a terminal)');
export type BatchPayOptions = OptionsOf<typeof batchPaySpec>;

export const transferListSpec = () =>
  new Command('list')
    .description("the profile's transfers, newest first: to whom, the reference, the amounts (table, CSV or JSON)")
    .addHelpText(
      'after',
      examples(
        'wise transfer list',
        'wise transfer list --status outgoing_payment_sent --limit 50',
        'wise transfer list --since 2026-11-01 --until 2026-11-30 --all --format csv > november.csv',
        'wise transfer list --all --jq \'.[] | select(.status == "outgoing_payment_sent") | .id\'',
      ),
    )
    .option('--status <status>', 'only transfers in this state (comma-separated)')
    .option('--since <date>', 'only transfers created on or after this date (2026-11-01) or time')
    .option('--until <date>', 'only transfers created on or before this date (the whole day) or time')
    .option('--limit <n>', 'how many (at most 1000)', '20')
    .option('--all', 'every transfer that matches, page by page (--limit is ignored)')
    .option('--jq <expression>', 'filter the JSON list with a jq expression (built in; strings print raw)')
    .addOption(
      new Option('--format <format>', 'table, csv (for a spreadsheet) or json (as --json)').choices([
        'table',
        'csv',
        'json',
      ] as const),
    );
export type TransferListOptions = OptionsOf<typeof transferListSpec>;

export const transferGetSpec = () =>
  new Command('get')
    .description('one transfer, with what its state means')
    .addHelpText('after', examples('wise transfer get 49000001', 'wise --json transfer get 49000001'))
    .argument('<id>', 'transfer id');

export const transferWatchSpec = () =>
  new Command('watch')
    .description('print each state change of a transfer until it reaches a final state')
    .addHelpText('after', examples('wise transfer watch 49000001', 'wise --json transfer watch 49000001 --interval 30'))
    .argument('<id>', 'transfer id')
    .option('--interval <seconds>', 'seconds between checks', '10')
    .option('--timeout <seconds>', 'give up after this long (exit 1)', '86400');
export type TransferWatchOptions = OptionsOf<typeof transferWatchSpec>;

export const transferCancelSpec = () =>
  new Command('cancel')
    .description('cancel a transfer that has not been funded yet')
    .addHelpText('after', examples('wise transfer cancel 49000001'))
    .argument('<id>', 'transfer id');

export const webhookSubscribeSpec = () =>
  new Command('subscribe')
    .description("subscribe an HTTPS endpoint to the profile's events")
    .addHelpText(
      'after',
      examples(
        'wise webhook subscribe --event transfers#state-change --url https://example.com/wise',
        'wise webhook subscribe --event balances#credit --url https://example.com/wise --name "money in"',
        'wise webhook subscribe --application --event transfers#state-change --url https://example.com/wise --schema-version 4.0.0',
      ),
    )
    .requiredOption('--event <event>', 'transfers#state-change, balances#credit, transfers#active-cases, ...')
    .requiredOption('--url <url>', 'the https:// URL Wise delivers to')
    .option('--name <name>', 'a name for the subscription')
    .option('--schema-version <version>', "the delivery's payload version: 2.0.0 or 4.0.0", '2.0.0')
    .option('--application', "subscribe the partner application (all its users' events), not the profile");
export type WebhookSubscribeOptions = OptionsOf<typeof webhookSubscribeSpec>;

export const webhookListSpec = () =>
  new Command('list')
    .description("the profile's webhook subscriptions (or the partner application's)")
    .addHelpText('after', examples('wise webhook list', 'wise --json webhook list', 'wise webhook list --application'))
    .option('--application', "the partner application's subscriptions, not the profile's");
export type WebhookListOptions = OptionsOf<typeof webhookListSpec>;

export const webhookDeleteSpec = () =>
  new Command('delete')
    .description('delete a webhook subscription')
    .addHelpText('after', examples('wise webhook delete <subscription-id>', 'wise webhook delete --application <id>'))
    .argument('<id>', 'subscription id')
    .option('--application', 'a subscription of the partner application, not of the profile');
export type WebhookDeleteOptions = OptionsOf<typeof webhookDeleteSpec>;

export const execSpec = () =>
  new Command('exec')
    .description('run one command with a valid WISE_TOKEN in its environment, and no other Wise secret')
    .addHelpText(
      'after',
      examples(
        'wise exec -- ./pay-invoices.sh',
        'wise --account shop exec --min-ttl 60 -- python sync.py',
        'wise exec -- env',
      ),
    )
    .argument('<command...>', 'the command and its arguments, after --')
    .option('--min-ttl <minutes>', 'refresh first unless the token stays valid this long', '30');
export type ExecOptions = OptionsOf<typeof execSpec>;

export const policyShowSpec = () =>
  new Command('show')
    .description('the spending policy rules in force for the account and environment')
    .addHelpText('after', examples('wise policy show', 'wise --env production --json policy show'));

export const policyCheckSpec = () =>
  new Command('check')
    .description('check a payments file against the policy and today’s journal, without calling Wise')
    .addHelpText('after', examples('wise policy check payments.csv'))
    .argument('<payments.csv>', 'the file `wise batch pay` would pay');

export const journalShowSpec = () =>
  new Command('show')
    .description('the money-moving calls made from here, with their outcome')
    .addHelpText(
      'after',
      examples('wise journal show', 'wise journal show --since 2026-11-01 --refresh', 'wise --json journal show'),
    )
    .option('--since <date>', 'from this day or time on')
    .option('--refresh', "ask Wise for each transfer's state now (did it really go out?)");
export type JournalShowOptions = OptionsOf<typeof journalShowSpec>;

export const journalVerifySpec = () =>
  new Command('verify')
    .description('check the hash chain of the journal: exit 1 at the first line edited, removed or moved')
    .option(
      '--head <hash>',
      'and check that the chain still holds this head (from `wise journal head`, kept elsewhere)',
    )
    .addHelpText('after', examples('wise journal verify', 'wise journal verify --head "$(cat journal-head.txt)"'));
export type JournalVerifyOptions = OptionsOf<typeof journalVerifySpec>;

export const journalHeadSpec = () =>
  new Command('head')
    .description("print the chain's last hash and its line count, to keep elsewhere (a CI log, a ticket)")
    .addHelpText(
      'after',
      examples('wise journal head', 'wise journal head | cut -d" " -f1 > journal-head.txt', 'wise --json journal head'),
    );

export const simulateTransferSpec = () =>
  new Command('transfer')
    .description("move a sandbox transfer to its next state, as Wise's sandbox simulation does")
    .addHelpText(
      'after',
      examples('wise simulate transfer 49000001 processing', 'wise simulate transfer 49000001 outgoing_payment_sent'),
    )
    .argument('<id>', 'the transfer id')
    .argument('<state>', 'processing, funds_converted, outgoing_payment_sent, bounced_back or funds_refunded');

export const simulateTopupSpec = () =>
  new Command('topup')
    .description('put sandbox money on a balance of the profile')
    .addHelpText('after', examples('wise simulate topup --balance-id 3001 --amount 500 --currency EUR'))
    .requiredOption('--balance-id <id>', 'the balance (see `wise balances`)')
    .requiredOption('--amount <n>', 'the amount to add')
    .requiredOption('--currency <code>', "the balance's currency");
export type SimulateTopupOptions = OptionsOf<typeof simulateTopupSpec>;

export const mcpSpec = () =>
  new Command('mcp')
    .description('an MCP server on stdio for AI agents: read-only, or money inside the spending policy')
    .addHelpText(
      'after',
      examples('wise mcp', 'wise mcp --allow-money', 'claude mcp add wise -- wise mcp --allow-money'),
    )
    .option(
      '--allow-money',
      'offer prepare_payment, confirm_payment and cancel_transfer (only with a spending policy in force; a person confirms each payment)',
    );
export type McpOptions = OptionsOf<typeof mcpSpec>;

export const approveSpec = () =>
  new Command('approve')
    .description('approve, on a terminal, a payment an AI agent prepared (wise mcp)')
    .addHelpText('after', examples('wise approve --list', 'wise approve pay_3f9c0e1a2b4d6f8091a2b3c4d5e6f708'))
    .argument('[payment-id]', 'the paymentId the agent shows')
    .option('--list', 'list the payments waiting for a person');
export type ApproveOptions = OptionsOf<typeof approveSpec>;

/** The account commands declared here, each registered with its loader. */
export const accountCommands: Registry = {
  profiles: (program) => {
    const profiles = program
      .command('profiles')
      .description('your Wise profiles')
      .addHelpText('after', examples('wise profiles list', 'wise profiles use <id>'));
    attach(profiles, profilesListSpec()).action(lazy(async () => (await import('./profiles.js')).profilesList));
    attach(profiles, profilesUseSpec()).action(lazy(async () => (await import('./profiles.js')).profilesUse));
  },
  balances: (program) => {
    const balances = program
      .command('balances')
      .description('multi-currency balances and jars')
      .addHelpText('after', examples('wise balances list'));
    attach(balances, balancesListSpec()).action(lazy(async () => (await import('./balances.js')).balancesList));
  },
  statement: (program) => {
    attach(program, statementSpec()).action(lazy(async () => (await import('./statement.js')).statement));
  },
  activities: (program) => {
    attach(program, activitiesSpec()).action(lazy(async () => (await import('./activities.js')).activities));
  },
  rates: (program) => {
    attach(program, ratesSpec()).action(lazy(async () => (await import('./rates.js')).rates));
  },
  quote: (program) => {
    attach(program, quoteSpec()).action(lazy(async () => (await import('./quote.js')).quote));
  },
  recipients: (program) => {
    const recipients = program
      .command('recipients')
      .description('the bank accounts you pay')
      .addHelpText('after', examples('wise recipients list', 'wise recipients add --currency GBP'));
    attach(recipients, recipientsListSpec()).action(lazy(async () => (await import('./recipients.js')).recipientsList));
    attach(recipients, recipientsAddSpec()).action(lazy(async () => (await import('./recipients.js')).recipientsAdd));
  },
  pay: (program) => {
    attach(program, paySpec()).action(lazy(async () => (await import('./pay.js')).pay));
  },
  batch: (program) => {
    const batch = program
      .command('batch')
      .description('batch payments from a CSV file')
      .addHelpText('after', examples('wise batch pay payments.csv --dry-run'));
    attach(batch, batchPaySpec()).action(lazy(async () => (await import('./batch.js')).batchPay));
  },
  transfer: (program) => {
    const transfer = program
      .command('transfer')
      .description('transfers: list, look at, follow and cancel them')
      .addHelpText('after', examples('wise transfer list', 'wise transfer watch <id>'));
    attach(transfer, transferListSpec()).action(lazy(async () => (await import('./transfer.js')).transferList));
    attach(transfer, transferGetSpec()).action(lazy(async () => (await import('./transfer.js')).transferGet));
    attach(transfer, transferWatchSpec()).action(lazy(async () => (await import('./transfer.js')).transferWatch));
    attach(transfer, transferCancelSpec()).action(lazy(async () => (await import('./transfer.js')).transferCancel));
  },
  simulate: (program) => {
    const simulate = program
      .command('simulate')
      .description("Wise's sandbox simulations: move a transfer on, top up a balance (never on production)")
      .addHelpText(
        'after',
        examples(
          'wise simulate transfer <id> processing',
          'wise simulate topup --balance-id 3001 --amount 500 --currency EUR',
        ),
      );
    attach(simulate, simulateTransferSpec()).action(lazy(async () => (await import('./simulate.js')).simulateTransfer));
    attach(simulate, simulateTopupSpec()).action(lazy(async () => (await import('./simulate.js')).simulateTopup));
  },
  exec: (program) => {
    attach(program, execSpec()).action(lazy(async () => (await import('./exec.js')).exec));
  },
  policy: (program) => {
    const policy = program
      .command('policy')
      .description('the spending policy checked before money moves')
      .addHelpText('after', examples('wise policy show', 'wise policy check payments.csv'));
    attach(policy, policyShowSpec()).action(lazy(async () => (await import('./guard.js')).policyShow));
    attach(policy, policyCheckSpec()).action(lazy(async () => (await import('./guard.js')).policyCheck));
  },
  journal: (program) => {
    const journal = program
      .command('journal')
      .description('the hash-chained record of every money-moving call')
      .addHelpText('after', examples('wise journal show', 'wise journal verify'));
    attach(journal, journalShowSpec()).action(lazy(async () => (await import('./guard.js')).journalShow));
    attach(journal, journalHeadSpec()).action(lazy(async () => (await import('./guard.js')).journalHead));
    attach(journal, journalVerifySpec()).action(lazy(async () => (await import('./guard.js')).journalVerify));
  },
  mcp: (program) => {
    attach(program, mcpSpec()).action(lazy(async () => (await import('./mcp.js')).mcp));
  },
  approve: (program) => {
    attach(program, approveSpec()).action(lazy(async () => (await import('./mcp.js')).approve));
  },
  webhook: (program) => {
    const webhook = program
      .command('webhook')
      .description("Wise's webhooks: subscribe, verify signatures, receive deliveries")
      .addHelpText('after', examples('wise webhook verify --signature "$SIGNATURE" body.json'));
    attach(webhook, webhookVerifySpec()).action(lazy(async () => (await import('./webhook.js')).webhookVerify));
    attach(webhook, webhookListenSpec()).action(lazy(async () => (await import('./webhook.js')).webhookListen));
    attach(webhook, webhookSubscribeSpec()).action(
      lazy(async () => (await import('./webhook-subscriptions.js')).webhookSubscribe),
    );
    attach(webhook, webhookListSpec()).action(
      lazy(async () => (await import('./webhook-subscriptions.js')).webhookList),
    );
    attach(webhook, webhookDeleteSpec()).action(
      lazy(async () => (await import('./webhook-subscriptions.js')).webhookDelete),
    );
  },
};
