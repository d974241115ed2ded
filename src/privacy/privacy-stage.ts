/**
 * The privacy stage, beside the sink (it needs ClickHouse): it watches the
 * regulations and runs each one still RUNNING to its end, one at a time,
 * those left by a process that stopped included. A step that fails is
 * tried again with backoff; after MAX_ATTEMPTS the regulation is FAILED
 * with the reason. Two sinks may both run one regulation: every step is
 * safe to run twice, and once one has ended it the other stops at its next
 * write of the state.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { jetstreamManager } from '@nats-io/jetstream';
import type { Logger } from 'pino';
import type { Config } from '../config/settings';
import { backoffMs, errorMessage, sleep } from '../lifecycle/backoff';
import type { StartWaits } from '../lifecycle/start-waits';
import { openPolicy } from '../policy/open-policy';
import type { PolicyLedger } from '../policy/policy-ledger';
import { regulationsBucket, type RegulationState, type RegulationStore } from '../policy/regulation-store';
import { accountingConsumerConfig, identityConsumerConfig, IDENTITY_CALLS, replayConsumerPrefix, sinkConsumerConfig } from '../stages/consumers';
import { accountingStreamName } from '../stream/accounting-stream';
import type { NatsLink } from '../stream/connection';
import { deadLetterStreamName } from '../stream/dead-letter-stream';
import { leased } from '../tasks/task-lease';
import { TaskStore, tasksBucket } from '../tasks/task-store';
import { permanentNatsFailure } from '../stream/set-up';
import { failRegulation, RegulationEnded, runRegulation, type RunnerParts } from './regulation-runner';

/** Attempts of a regulation before it is FAILED. */
const MAX_ATTEMPTS = 8;
/** Longest wait between attempts. */
const MAX_RETRY_MS = 30_000;

/** A running privacy stage. */
export interface PrivacyStage {
  /** The ledger this process holds (the identity stage suppresses new links with it). */
  readonly ledger: PolicyLedger;
  /** The regulations (a replay reads when an erasure was asked for). */
  readonly regulations: RegulationStore;
  /** Stops watching; a regulation being run stops where it is and is run again at the next start. */
  stop(): Promise<void>;
}

/** Starts the privacy stage on the sink's connection and ClickHouse client. */
export async function startPrivacy(config: Config, logger: Logger, client: ClickHouseClient, link: NatsLink, waits: StartWaits): Promise<PrivacyStage> {
  const { ledger, store } = await openPolicy(waits, 'sink', link, config, logger);
  const replayPrefix = replayConsumerPrefix(config);
  const tasks = await waits
    .step('sink', `the tasks "${tasksBucket(config.stream)}"`, () => TaskStore.open(link, tasksBucket(config.stream), config.replicas), permanentNatsFailure)
    .catch((error: unknown) => {
      ledger.close();
      throw error;
    });
  const parts: RunnerParts = {
    client,
    database: config.clickhouseDatabase,
    ledger,
    store,
    jsm: await jetstreamManager(link.nc),
    stream: config.stream,
    deadLetterStream: deadLetterStreamName(config),
    durables: [sinkConsumerConfig(config).durable_name, ...IDENTITY_CALLS.map((call) => identityConsumerConfig(config, call).durable_name)],
    replayPrefix,
    replayRunning: async (consumer) => {
      const state = await tasks.get(consumer.slice(replayPrefix.length));
      return state !== undefined && leased(state, Date.now());
    },
    tasks,
    accounting: { stream: accountingStreamName(config), durable: accountingConsumerConfig(config).durable_name },
    logger,
  };
  const stopping = new AbortController();
  const queued = new Set<string>();
  let chain = Promise.resolve();
  const run = async (id: string): Promise<void> => {
    for (let attempt = 1; !stopping.signal.aborted; attempt++) {
      const state = await store.get(id).catch(() => undefined);
      if (state === undefined || state.phase !== 'RUNNING') return;
      try {
        await runRegulation(parts, state, stopping.signal);
        return;
      } catch (error) {
        if (stopping.signal.aborted || error instanceof RegulationEnded) return;
        if (attempt >= MAX_ATTEMPTS) {
          logger.error({ err: errorMessage(error), regulation: id, attempts: attempt }, 'a regulation failed');
          await failRegulation(parts, state, error).catch(() => undefined);
          return;
        }
        logger.warn({ err: errorMessage(error), regulation: id, attempt }, 'a regulation step failed; trying again');
        await sleep(backoffMs(attempt, MAX_RETRY_MS), stopping.signal).catch(() => undefined);
      }
    }
  };
  const enqueue = (state: RegulationState): void => {
    if (state.phase !== 'RUNNING' || queued.has(state.id)) return;
    queued.add(state.id);
    chain = chain.then(() => run(state.id)).finally(() => queued.delete(state.id));
  };
  const watcher = await store.watch();
  void (async () => {
    // Those left running when this starts are run in the order they were made, so a later regulation of a person wins.
    let leftRunning: RegulationState[] = [];
    for await (const entry of watcher) {
      let state: RegulationState | undefined;
      try {
        state = entry.operation === 'PUT' ? entry.json<RegulationState>() : undefined;
      } catch {
        logger.warn({ key: entry.key }, 'the regulations hold an entry this version cannot read; it is left alone');
      }
      if (!entry.isUpdate && (entry.delta ?? 0) > 0) {
        if (state !== undefined) leftRunning.push(state);
        continue;
      }
      for (const left of leftRunning.sort((a, b) => a.createdAt.localeCompare(b.createdAt))) enqueue(left);
      leftRunning = [];
      if (state !== undefined) enqueue(state);
    }
    if (!stopping.signal.aborted) logger.error('the privacy stage stopped watching the regulations: new ones wait for a restart');
  })();
  logger.info({ bucket: regulationsBucket(config.stream) }, 'privacy stage watching regulations');
  return {
    ledger,
    regulations: store,
    async stop() {
      stopping.abort();
      watcher.stop();
      ledger.close();
      await chain;
    },
  };
}
