/**
 * What the gateway needs from the stream: publish a batch of messages and
 * learn, per message, its stream sequence and whether it was a duplicate.
 */

/** A message for the stream. */
export interface OutboundMessage {
  readonly subject: string;
  /** The Nats-Msg-Id that makes a retry a duplicate. */
  readonly msgId: string;
  readonly data: Uint8Array;
}

/** The stream's acknowledgement of one message. */
export interface PublishAck {
  /** The stream sequence: new when stored, the original one when a duplicate. */
  readonly seq: number;
  /** Whether the stream already held a message with the same Nats-Msg-Id. */
  readonly duplicate: boolean;
}

/**
 * Publishes batches. A batch's promise resolves, with one ack per message in
 * order, only once every message is durable; otherwise it rejects with an
 * IngestError (UNAVAILABLE or RESOURCE_EXHAUSTED).
 */
export interface RecordPublisher {
  publish(messages: readonly OutboundMessage[]): Promise<PublishAck[]>;
}
