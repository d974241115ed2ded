/**
 * Prometheus metrics (prom-client) of one process, in a registry of its own:
 * records by outcome, publish latency, sink batches, rows by table, dead
 * letters, the consumer's backlog, and the process's own metrics.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** The stages whose consumer backlog is a gauge. */
type PendingStage = 'sink' | 'identity' | 'accounting';

/** Every metric Tributary exports. */
export class Metrics {
  readonly registry = new Registry();
  readonly recordsReceived = new Counter({ name: 'tributary_records_received_total', help: 'Records received, by source.', labelNames: ['source'], registers: [this.registry] });
  readonly recordsAccepted = new Counter({ name: 'tributary_records_accepted_total', help: 'Records made durable in the stream, by source.', labelNames: ['source'], registers: [this.registry] });
  readonly recordsDuplicate = new Counter({ name: 'tributary_records_duplicate_total', help: 'Records the stream already held, by source.', labelNames: ['source'], registers: [this.registry] });
  readonly recordsRateLimited = new Counter({
    name: 'tributary_records_rate_limited_total',
    help: 'Records refused whole (RESOURCE_EXHAUSTED) because their source was over its rate limit, by source.',
    labelNames: ['source'],
    registers: [this.registry],
  });
  readonly recordsRejected = new Counter({
    name: 'tributary_records_rejected_total',
    help: "Records rejected by the contract or their source's tracking plan, by source and first reason.",
    labelNames: ['source', 'reason'],
    registers: [this.registry],
  });
  readonly planViolations = new Counter({
    name: 'tributary_plan_violations_total',
    help: "Violations of sources' tracking plans, by source and what was done (REPORTED, OMITTED, BLOCKED).",
    labelNames: ['source', 'action'],
    registers: [this.registry],
  });
  readonly planViolationsUnwritten = new Counter({
    name: 'tributary_plan_violations_unwritten_total',
    help: 'Plan violations beyond what one request writes to plan_violations (1,000), by source: counted, not written.',
    labelNames: ['source'],
    registers: [this.registry],
  });
  readonly recordsDropped = new Counter({
    name: 'tributary_records_dropped_total',
    help: 'Valid records a policy dropped before the stream, by source and reason (suppressed, no_consent, consent_rejected, consent_expired).',
    labelNames: ['source', 'reason'],
    registers: [this.registry],
  });
  readonly publishSeconds = new Histogram({
    name: 'tributary_publish_duration_seconds',
    help: 'Time from publishing a batch to its last PubAck.',
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5],
    registers: [this.registry],
  });
  readonly sinkBatchSize = new Histogram({ name: 'tributary_sink_batch_size', help: 'Messages per sink batch.', buckets: [1, 10, 100, 1000, 5000, 10000, 50000], registers: [this.registry] });
  readonly sinkBatchSeconds = new Histogram({
    name: 'tributary_sink_batch_duration_seconds',
    help: 'Time from fetching a sink batch to acking it.',
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  readonly rowsWritten = new Counter({ name: 'tributary_rows_written_total', help: 'Rows handed to ClickHouse, by table.', labelNames: ['table'], registers: [this.registry] });
  readonly identityLinks = new Counter({
    name: 'tributary_identity_links_total',
    help: 'Identity links decided by the identity stage, by effect (linked, merged, redundant, refused).',
    labelNames: ['effect'],
    registers: [this.registry],
  });
  readonly identitySeconds = new Histogram({
    name: 'tributary_identity_resolution_seconds',
    help: "Time the identity stage spends resolving a batch's links.",
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });
  readonly deadLetters = new Counter({ name: 'tributary_dead_letters_total', help: 'Messages set aside as dead letters, by reason.', labelNames: ['reason'], registers: [this.registry] });
  readonly stalls = new Counter({
    name: 'tributary_stage_stalls_total',
    help: 'Batches that failed for longer than the stall bound, by stage (sink, identity, accounting); the stage is not ready while one fails.',
    labelNames: ['stage'],
    registers: [this.registry],
  });
  readonly adminQueries = new Counter({
    name: 'tributary_admin_queries_total',
    help: 'Admin queries, by outcome (answered, truncated, refused, busy, failed, stopped).',
    labelNames: ['outcome'],
    registers: [this.registry],
  });
  private readonly pending = new Map<PendingStage, () => Promise<number>>();
  private adminRunning: () => number = () => 0;
  private ledgerCounts: () => { suppressed: number; consent: number } = () => ({ suppressed: 0, consent: 0 });

  constructor() {
    for (const stage of ['sink', 'identity', 'accounting'] as const) {
      const read = () => this.pending.get(stage);
      new Gauge({
        name: `tributary_${stage}_consumer_pending`,
        help: `Messages the ${stage} consumer${stage === 'identity' ? 's have' : ' has'} not yet acked (undelivered plus awaiting ack).`,
        registers: [this.registry],
        async collect() {
          const source = read();
          if (source !== undefined) this.set(await source());
        },
      });
    }
    const running = () => this.adminRunning();
    new Gauge({
      name: 'tributary_admin_queries_running',
      help: 'Admin queries running in the engine now (at most one; others wait their turn).',
      registers: [this.registry],
      collect() {
        this.set(running());
      },
    });
    const counts = () => this.ledgerCounts();
    for (const [kind, help] of [
      ['suppressed', 'Hashed ids the policy ledger suppresses (for some source), as this process holds it.'],
      ['consent', 'Hashed ids with consent decisions in the policy ledger, as this process holds it.'],
    ] as const) {
      new Gauge({
        name: `tributary_policy_${kind}_ids`,
        help,
        registers: [this.registry],
        collect() {
          this.set(counts()[kind]);
        },
      });
    }
    collectDefaultMetrics({ register: this.registry, prefix: 'tributary_' });
  }

  /** Tells the running-admin-queries gauge how to read its count. */
  watchAdminQueries(read: () => number): void {
    this.adminRunning = read;
  }

  /** Tells the ledger's gauges how to read its counts. */
  watchLedger(read: () => { suppressed: number; consent: number }): void {
    this.ledgerCounts = read;
  }

  /** Tells a backlog gauge how to read its consumers' backlog. */
  watchPending(stage: PendingStage, read: () => Promise<number>): void {
    this.pending.set(stage, read);
  }
}
