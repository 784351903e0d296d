#!/usr/bin/env node
import { extractOverrides, runMain } from '@pretrain-lab/experiment';
import { UserError } from '@pretrain-lab/runtime';
/**
 * Entry point of `pnpm exp`, `pnpm figures`, `pnpm bench` and `pnpm lab <command>`.
 * Errors a user can cause print one line and exit 2 (see errors.ts).
 */
import { Command, CommanderError, Option } from 'commander';

async function main(): Promise<void> {
  const { overrides, rest } = extractOverrides(process.argv.slice(2));
  const program = new Command('lab')
    .description('pretrain-lab: reproduce large-scale pretraining experiments on your machine')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s.startsWith('error:') ? '' : s) })
    .showHelpAfterError(false);

  program
    .command('exp')
    .description(
      'run an experiment: pnpm exp <name> [--preset P] [--out DIR] [--resume DIR] [--key.path=value ...]; many machines: --plan, --unit/--shard, --merge, --slurm, --k8s',
    )
    .argument('<name>', 'experiment name (scaling, ...)')
    .option('--preset <preset>', 'preset name (smoke, default, full)')
    .option('--out <dir>', 'run directory (default results/<name>/<run-id>)')
    .option('--resume <dir>', 'continue a stopped run in DIR')
    .option(
      '--backend <name>',
      'auto, native (tfjs-wasm + native C++ kernels), wasm (+ AssemblyScript kernels), wasm-stock, cpu, tensorflow, tensorflow-gpu',
    )
    .option('--quiet', 'no progress output')
    // Many machines (docs/distributed.md): the grid as units, workers, job arrays, merge.
    .option('--plan', 'print the units (ids, stages, dependencies, FLOPs, minutes) and exit')
    .option('--json', 'with --plan: print JSON; with --k8s: print the Jobs as JSON')
    .option('--unit <ids...>', 'run only these units (ids or names) into the shared --out DIR')
    .option('--shard <i/n>', 'run share i of n of every stage (or of --stage) into --out DIR')
    .option('--stage <k>', 'with --shard or --plan: stage k only')
    .option('--wait-deps <seconds>', "wait this long for other workers' units this one depends on", '0')
    .option('--merge', 'merge the complete units of --out DIR into metrics.jsonl, summary.json, run.json')
    .option('--slurm', 'write sbatch job arrays for the grid into DIR/slurm/ (with submit.sh)')
    .option('--k8s', 'write Kubernetes Indexed Jobs for the grid into DIR/k8s/jobs.yaml')
    .option('--tasks <n>', 'with --slurm/--k8s: array tasks per stage at most (default one per unit)')
    .option('--partition <name>', 'with --slurm: the partition')
    .option('--cpus-per-task <n>', 'with --slurm: cpus per task; with --k8s: the cpu request')
    .option(
      '--image <image>',
      'with --k8s: the container image holding this repository',
      'pretrain-lab:latest',
    )
    .option(
      '--pvc <claim>',
      'with --k8s: the PersistentVolumeClaim that holds run directories',
      'pretrain-lab-runs',
    )
    .option('--mount <path>', 'with --k8s: where pods mount it', '/runs')
    .option('--workdir <dir>', 'where the repository is on the nodes (default: here; /app in --k8s pods)')
    .action(async (name: string, opts) => {
      const { gridCommand, isGridCommand } = await import('./exp-grid.js');
      if (isGridCommand(opts)) {
        if (opts.resume)
          throw new UserError('--resume is for single-process runs; workers resume with --out DIR');
        await gridCommand(name, opts, overrides);
        return;
      }
      const { runExperiment } = await import('./exp.js');
      await runExperiment(name, opts, overrides);
    });

  program
    .command('figures')
    .description('regenerate docs/figures and docs/experiments/*.md from results/ alone')
    .option('--results <dir>', 'results directory', 'results')
    .option('--docs <dir>', 'docs directory', 'docs')
    .action(async (opts) => {
      const { figuresCommand } = await import('./figures.js');
      await figuresCommand(opts);
    });

  program
    .command('bench')
    .description(
      "time one training step of each experiment's workload (GPT-ref, scaling-min, scaling-max, nsp, spans) on each backend that loads",
    )
    .option('--json', 'print JSON')
    .option('--vs-torch', 'also time the same workloads in PyTorch (needs python3 with torch)')
    .option(
      '--backend <names>',
      'comma-separated backends (default: native, wasm, wasm-stock, tensorflow, each that loads)',
    )
    .option(
      '--workloads <names>',
      'comma-separated: GPT-ref, scaling-min, scaling-max, nsp, spans (default: all)',
    )
    .option('--steps <n>', 'timed steps after warm-up', '10')
    .option('--warmup <n>', 'untimed warm-up steps', '3')
    .option(
      '--rounds <n>',
      'time each workload n times, back to back with PyTorch; report medians (default: 3 with --vs-torch, else 1)',
    )
    .option('--sweep', 'also the GPT-ref width sweep (64, 128, 256, 512)')
    .option('--no-sweep', 'no width sweep (the default; kept for old commands)')
    .addOption(new Option('--internal-one <backend>').hideHelp())
    .action(async (opts) => {
      const { benchCommand } = await import('./bench.js');
      await benchCommand(opts);
    });

  program
    .command('export')
    .description('export a checkpoint: lab export <checkpoint> --format hf --out DIR')
    .argument('<checkpoint>')
    .requiredOption(
      '--format <format>',
      'hf (Hugging Face layout: GPT2LMHeadModel, BertForPreTraining/BertForMaskedLM or T5ForConditionalGeneration)',
    )
    .requiredOption('--out <dir>', 'output directory')
    .action(async (checkpoint: string, opts) => {
      const { exportCommand } = await import('./checkpoint-tools.js');
      await exportCommand(checkpoint, opts);
    });

  program
    .command('score')
    .description(
      'log-probabilities under a checkpoint: GPT next tokens, BERT masked tokens (one masked at a time), T5 target tokens',
    )
    .argument('<checkpoint>')
    .requiredOption('--text <text>', 'text to score (T5: the input)')
    .option('--target <text>', 'T5: the target text to score given --text')
    .option('--pair <text>', 'BERT: a second segment, [CLS] text [SEP] pair [SEP]')
    .option(
      '--positions <list>',
      'BERT: comma-separated positions to mask and score (0 = [CLS]; default all non-special)',
    )
    .option('--json', 'print JSON')
    .option('--backend <name>', 'tfjs backend')
    .action(async (checkpoint: string, opts) => {
      const { scoreCommand } = await import('./checkpoint-tools.js');
      await scoreCommand(checkpoint, opts);
    });

  program
    .command('generate')
    .description('sample text from a checkpoint')
    .argument('<checkpoint>')
    .option('--prompt <text>', 'prompt', '')
    .option('--max-tokens <n>', 'tokens to generate', '100')
    .option('--temperature <t>', 'sampling temperature (0 = greedy)', '0.8')
    .option('--top-k <k>', 'sample among the k most likely tokens', '0')
    .option('--seed <n>', 'sampling seed', '1')
    .option('--backend <name>', 'tfjs backend')
    .action(async (checkpoint: string, opts) => {
      const { generateCommand } = await import('./checkpoint-tools.js');
      await generateCommand(checkpoint, opts);
    });

  program
    .command('show')
    .description(
      'what an objective makes of a text: lab show <objective> --text "..." --seed N (mlm, span-corruption, causal-lm, prefix-lm, deshuffle, bart-*, electra, spanbert; an unknown name lists them all)',
    )
    .argument('<objective>')
    .requiredOption('--text <text>', 'the text')
    .option('--seed <n>', 'seed', '1')
    .option(
      '--mean-span <n>',
      'mean span length (span corruption) or Poisson lambda (BART text infilling)',
      '3',
    )
    .option('--rate <r>', 'noise rate: span corruption, BART noising, SpanBERT masking budget', '0.15')
    .option('--length <n>', 'span corruption: use the first N tokens')
    .option('--tokenizer <file>', 'a tokenizer.json instead of the toy word vocabulary')
    .option('--json', 'print JSON')
    .action(async (objective: string, opts) => {
      const { showCommand } = await import('./show.js');
      await showCommand(objective, opts);
    });

  program
    .command('tensorboard')
    .description('write TensorBoard event files (tb/) from metrics.jsonl for every run under DIR')
    .argument('[dirs...]', 'run directories, or folders holding them', ['results'])
    .action(async (dirs: string[]) => {
      const { tensorboardCommand } = await import('./tensorboard.js');
      tensorboardCommand(dirs);
    });

  program
    .command('corpora')
    .description('list the built-in corpora')
    .action(async () => {
      const { listCorpora } = await import('@pretrain-lab/data');
      for (const c of listCorpora()) process.stdout.write(`${c.name.padEnd(12)} ${c.description}\n`);
    });

  try {
    await program.parseAsync(rest, { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) {
      if (
        e.code === 'commander.helpDisplayed' ||
        e.code === 'commander.version' ||
        e.code === 'commander.help'
      )
        return;
      const cmds = program.commands.map((c) => c.name()).join(', ');
      const hint = e.code === 'commander.unknownCommand' ? `; valid commands: ${cmds}` : '';
      throw new UserError(`${e.message.replace(/^error:\s*/, '')}${hint}`);
    }
    throw e;
  }
}

await runMain(main);
